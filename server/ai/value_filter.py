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
holds ``'Mike'``) is spelt the data's way (``respelled``): a string comparison is exact.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from ..sql.catalog import Catalog, Table
from ..sql.scratch import family
from .attach import attach, column
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


def respelled(tree: exp.Expression | None, matches: Sequence[ValueMatch]) -> list[exp.Expression]:
    """``tree`` with each string literal that equals a matched value but for case (or
    surrounding blanks) written as the data writes it; empty when there is none."""
    if tree is None or not matches:
        return []
    spelling: dict[str, str] = {}
    for match in matches:
        spelling.setdefault(match.value.strip().lower(), match.value)
    out = tree.copy()
    changed = False
    for lit in out.find_all(exp.Literal):
        if not lit.is_string:
            continue
        text = str(lit.this)
        value = spelling.get(text.strip().lower())
        if value is not None and value != text:
            lit.replace(exp.Literal.string(value))
            changed = True
    return [out] if changed else []
