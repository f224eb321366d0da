"""Questions about how many rows of a table there are, answered by counting that table's rows.

- **Ranked**: "the most <rows of a table>".

"Which category has the most films?" answered ``SELECT name FROM category ORDER BY
category_id DESC LIMIT 1``: the question ranks by a count of films (``intent.ranked_by_count``
found that "films" are rows of ``film``), so the variant joins ``film`` along the foreign keys
when the query lacks it (``attach``), groups by the selected entity (its primary key, so two
categories that share a name stay two) and orders by ``COUNT(*)``. When the counted table is
the one the columns come from ("Which year had the most matches?" over ``matches``), the
groups are the selected values themselves.
- **A condition on the count**: "Which countries have more than 20 cities?" grouped the same
  way with ``HAVING COUNT(*) > 20`` (``intent.count_threshold``).
- **Counted**: "How many customers are there in each country?" answered by counting
  ``country`` rows: the counted table (``customer``) joined, so its rows are what ``COUNT(*)``
  counts (``intent.counted_noun``).

``ask`` validates, runs and ranks each variant with the other candidates.
"""

from __future__ import annotations

from sqlglot import exp

from ..sql.catalog import Catalog
from .attach import attach, owners, sources, tables_called
from .intent import AGGREGATES, Expectations


def _owner(tree: exp.Select, items: list[exp.Expression], catalog: Catalog) -> str | None:
    """The key of the one table of the query all of ``items``' columns come from."""
    known = sources(tree, catalog)
    keys: set[str] = set()
    for item in items:
        for col in item.find_all(exp.Column):
            found = owners(col, known, catalog)
            if not found:
                return None
            keys.add(found[0])
    return keys.pop() if len(keys) == 1 else None


def _grouped_with(tree: exp.Select, noun: str, catalog: Catalog) -> exp.Select | None:
    """``tree`` reading the table ``noun`` names (joined when it lacks it) and grouped by the
    selected entity: its primary key when the selected columns come from another table, the
    selected values when they come from the counted one. None when nothing fits."""
    if any(isinstance(e, exp.Star) for e in tree.expressions):
        return None
    plain = [item for item in tree.expressions if item.find(*AGGREGATES.values()) is None]
    if not plain:
        return None
    owner = _owner(tree, plain, catalog)
    for goal in tables_called(catalog, noun):
        attached = attach(tree, goal, catalog)
        if attached is None:
            continue
        out = attached[0]
        if out.args.get("group") is None:
            table = catalog.tables[owner] if owner is not None else None
            if owner is not None and owner != goal and table is not None and len(table.primary_key) == 1:
                qualifier = sources(out, catalog)[owner]
                keys: list[exp.Expression] = [exp.column(table.columns[table.primary_key[0]].name, table=qualifier)]
            else:
                keys = [item.unalias().copy() for item in plain]
            out.set("group", exp.Group(expressions=keys))
        out.set("distinct", None)
        return out
    return None


def count_ranked(tree: exp.Expression | None, wanted: Expectations, catalog: Catalog) -> list[exp.Expression]:
    """The variants of ``tree`` that answer the question's count the way it asks (see the
    module's docstring); empty when it asks none of them or ``tree`` already does it."""
    if not isinstance(tree, exp.Select):
        return []
    out: list[exp.Expression] = []
    order = tree.args.get("order")
    if wanted.ranked_count and not (order is not None and order.find(exp.Count) is not None):
        ranked = _grouped_with(tree, wanted.ranked_noun, catalog)
        if ranked is not None:
            ranked.set("order", exp.Order(expressions=[exp.Ordered(this=exp.Count(this=exp.Star()), desc=wanted.ranked_count == "desc")]))
            ranked.set("limit", exp.Limit(expression=exp.Literal.number(1)))
            out.append(ranked)
    having = tree.args.get("having")
    if wanted.count_threshold is not None and not (having is not None and having.find(exp.Count) is not None):
        op, n, noun = wanted.count_threshold
        counted = _grouped_with(tree, noun, catalog)
        if counted is not None:
            kinds = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE, "=": exp.EQ}
            counted.set("having", exp.Having(this=kinds[op](this=exp.Count(this=exp.Star()), expression=exp.Literal.number(n))))
            counted.set("order", None)
            counted.set("limit", None)
            out.append(counted)
    if wanted.counted_noun and any(item.unalias().find(exp.Count) is not None for item in tree.expressions):
        goals = tables_called(catalog, wanted.counted_noun)
        if goals and not any(g in sources(tree, catalog) for g in goals):
            attached = attach(tree, goals[0], catalog)
            if attached is not None:
                out.append(attached[0])
    return out
