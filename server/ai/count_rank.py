""""The most <rows of a table>" ranked by how many rows of that table there are.

"Which category has the most films?" answered ``SELECT name FROM category ORDER BY
category_id DESC LIMIT 1``: the question ranks by a count of films (``intent.ranked_by_count``
found that "films" are rows of ``film``), so the variant joins ``film`` along the foreign keys
when the query lacks it (``attach``), groups by the selected entity (its primary key, so two
categories that share a name stay two) and orders by ``COUNT(*)``. When the counted table is
the one the columns come from ("Which year had the most matches?" over ``matches``), the
groups are the selected values themselves. ``ask`` validates, runs and ranks each variant.
"""

from __future__ import annotations

from sqlglot import exp

from ..sql.catalog import Catalog
from .attach import attach, sources
from .intent import AGGREGATES, Expectations, singular


def _tables_called(catalog: Catalog, noun: str) -> list[str]:
    """Keys of the tables ``noun`` names (their name or its last ``_`` part, singular),
    whole-name matches first."""
    whole = [k for k, t in catalog.tables.items() if singular(t.name.lower()) == noun]
    part = [k for k, t in catalog.tables.items() if k not in whole and singular(t.name.lower().rpartition("_")[2]) == noun]
    return sorted(whole) + sorted(part)


def _owner(tree: exp.Select, items: list[exp.Expression], catalog: Catalog) -> str | None:
    """The key of the one table of the query all of ``items``' columns come from."""
    known = sources(tree, catalog)
    by_name = {q.lower(): k for k, q in known.items()}
    owners: set[str] = set()
    for item in items:
        for col in item.find_all(exp.Column):
            if col.table:
                key = by_name.get(col.table.lower())
            else:
                key = next((k for k in known if any(c.name.lower() == col.name.lower() for c in catalog.tables[k].columns.values())), None)
            if key is None:
                return None
            owners.add(key)
    return owners.pop() if len(owners) == 1 else None


def count_ranked(tree: exp.Expression | None, wanted: Expectations, catalog: Catalog) -> list[exp.Expression]:
    """The variant of ``tree`` ranked by a count of the rows the question counts (see the
    module's docstring); empty when the question does not rank by a count or ``tree`` already does."""
    if not wanted.ranked_count or not isinstance(tree, exp.Select) or any(isinstance(e, exp.Star) for e in tree.expressions):
        return []
    order = tree.args.get("order")
    if order is not None and order.find(exp.Count) is not None:
        return []
    plain = [item for item in tree.expressions if item.find(*AGGREGATES.values()) is None]
    if not plain:
        return []
    owner = _owner(tree, plain, catalog)
    for goal in _tables_called(catalog, wanted.ranked_noun):
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
        out.set("order", exp.Order(expressions=[exp.Ordered(this=exp.Count(this=exp.Star()), desc=wanted.ranked_count == "desc")]))
        out.set("limit", exp.Limit(expression=exp.Literal.number(1)))
        out.set("distinct", None)
        return [out]
    return []
