"""A value the question mentions, filtered on: candidates that leave it out get it added.

"List the titles of the films rated PG-13" with the hint ``'PG-13' is a value of film.rating``
answered ``SELECT title FROM film`` gets ``WHERE film.rating = 'PG-13'``; answered without the
table that holds the value ("the Horror films" -> ``category.name``), the table is joined (``attach``) along
the shortest foreign-key path from a table the candidate reads (``film -> film_category ->
category``) and the filter put on it. The values come from ``grounding`` (what the data holds,
not what the model invented), so a variant that uses them answers more of the question; ``ask``
validates, runs and ranks each variant with the other candidates, and the ranking
(``intent.fit``) already counts an unused value against a candidate.

A literal that is a value the question names spelt another way (``'MIKE'`` where the data
holds ``'Mike'``) is spelt the data's way (``respelled``): a string comparison is exact, so
``ask`` applies it to every candidate it keeps, not as one more variant to rank (a count
comes back either way, and the two would tie).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from ..sql.catalog import Catalog, Table
from ..sql.scratch import family
from .attach import attach, column, owners, sources
from .grounding import ValueMatch


def value_filters(tree: exp.Expression | None, matches: Sequence[ValueMatch], catalog: Catalog) -> list[exp.Expression]:
    """Variants of ``tree`` (a plain SELECT) with a filter on each value of ``matches`` that it
    does not use: one variant per way to place the first unused value (its table in the query,
    else joined), with the other unused values placed the first way that works. Empty when every
    value is used or none can be placed."""
    if not isinstance(tree, exp.Select) or not matches or tree.args.get("from_") is None:
        return []
    used = {str(lit.this).lower() for lit in tree.find_all(exp.Literal) if lit.is_string}
    groups: dict[str, list[ValueMatch]] = {}
    for match in matches:
        groups.setdefault(match.text.lower(), []).append(match)
    unused = [options for options in groups.values()
              if not any(m.value.lower() in lit for m in options for lit in used)]
    if not unused:
        return []
    out: list[exp.Expression] = []
    seen: set[str] = set()
    first, rest = unused[0], unused[1:]
    for match in sorted(first, key=lambda m: -m.score):
        variant = _with_filter(tree, match, catalog)
        if variant is None:
            continue
        for options in rest:
            for other in sorted(options, key=lambda m: -m.score):
                more = _with_filter(variant, other, catalog)
                if more is not None:
                    variant = more
                    break
        text = variant.sql()
        if text not in seen:
            seen.add(text)
            out.append(variant)
    return out


def _literal(table: Table, key: str, value: str) -> exp.Expression:
    if family(table.columns[key].type) in ("int", "number"):
        try:
            float(value)
        except ValueError:
            return exp.Literal.string(value)
        return exp.Literal.number(value)
    return exp.Literal.string(value)


def _with_filter(tree: exp.Select, match: ValueMatch, catalog: Catalog) -> exp.Select | None:
    """``tree`` with ``match``'s column = its value, joining its table when the query lacks it."""
    goal = match.table_key
    if goal not in catalog.tables or match.column_key not in catalog.tables[goal].columns:
        return None
    attached = attach(tree, goal, catalog)
    if attached is None:
        return None
    out, qualifier = attached
    table = catalog.tables[goal]
    condition = exp.EQ(this=column(table, match.column_key, qualifier), expression=_literal(table, match.column_key, match.value))
    return out.where(condition, copy=False)


def respelled(tree: exp.Expression | None, matches: Sequence[ValueMatch], catalog: Catalog) -> exp.Expression | None:
    """``tree`` with each string literal that equals a matched value but for case (or
    surrounding blanks) written as the data writes it; None when there is none. A literal
    compared with a column takes that column's spelling (``s.first_name = 'MIKE'`` becomes
    ``'Mike'`` when staff holds ``Mike``, even where customer holds ``MIKE``); a literal that
    already is one of its candidates' values, exactly, is kept."""
    if tree is None or not matches:
        return None
    out = tree.copy()
    changed = False
    for lit in list(out.find_all(exp.Literal)):
        if not lit.is_string:
            continue
        options = _spellings(lit, matches, catalog)
        text = str(lit.this)
        if not options or text in options:
            continue
        value = next((v for v in options if v.strip().lower() == text.strip().lower()), None)
        if value is not None:
            lit.replace(exp.Literal.string(value))
            changed = True
    return out if changed else None


def _spellings(lit: exp.Literal, matches: Sequence[ValueMatch], catalog: Catalog) -> list[str]:
    """The matched values ``lit`` may stand for: those of the column it is compared with
    (``col = lit``, ``col IN (lit, ...)``, ``col <> lit``) when that column holds any, else all."""
    ranked = sorted(matches, key=lambda m: -m.score)
    everything = [m.value for m in ranked]
    parent = lit.parent.parent if isinstance(lit.parent, exp.Tuple) else lit.parent
    if isinstance(parent, exp.In):
        side = parent.this
    elif isinstance(parent, (exp.EQ, exp.NEQ)):
        side = parent.expression if parent.this is lit else parent.this
    else:
        return everything
    select = lit.find_ancestor(exp.Select)
    if not isinstance(side, exp.Column) or select is None:
        return everything
    homes = set()
    for key in owners(side, sources(select, catalog), catalog):
        column_key = catalog.tables[key].find_column(side.name)
        if column_key is not None:
            homes.add((key, column_key))
    own = [m.value for m in ranked if (m.table_key, m.column_key) in homes]
    return own or everything
