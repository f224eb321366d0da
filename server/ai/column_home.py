"""A column used on a table that lacks it, taken from the table that has it.

A small model often reads a column off the wrong table: ``SELECT name, tonnage FROM battle``
where ``tonnage`` is a column of ``ship``, or ``SELECT title FROM film WHERE name = 'Horror'``
where ``name`` lives in ``category``. Two variants put it right:

- **Another table**: a one-table query whose columns all belong to one other table reads
  that table instead (``FROM ship``).
- **A join**: the table that has the column is joined along the foreign keys (``attach``) and
  the column qualified with it.

Only columns of the outermost query are considered (a subquery's own scope is left alone), and
only where the catalog knows every table the query reads. ``ask`` validates, runs and ranks each
variant with the other candidates.
"""

from __future__ import annotations

from sqlglot import exp

from ..sql.catalog import Catalog
from ..sql.checks import from_sources
from .attach import attach, outer_columns, owners, path_length, sources

MAX_VARIANTS = 3


def _holders(catalog: Catalog, name: str) -> list[str]:
    """Keys of the tables with a column called ``name`` (any case)."""
    return sorted(k for k, t in catalog.tables.items() if t.find_column(name) is not None)


def _has(catalog: Catalog, key: str, name: str) -> bool:
    return catalog.tables[key].find_column(name) is not None


def misplaced(tree: exp.Select, catalog: Catalog) -> list[exp.Column] | None:
    """The outer query's columns that no table it reads has (None: a table of the query is
    not in the catalog, so nothing can be said)."""
    known = sources(tree, catalog)
    tables = from_sources(tree)
    if not tables or any(not isinstance(t, exp.Table) for t in tables) or len(known) != len({t.alias_or_name.lower() for t in tables}):
        return None
    by_name = {q.lower(): k for k, q in known.items()}
    aliases = {e.alias.lower() for e in tree.expressions if isinstance(e, exp.Alias)}
    out: list[exp.Column] = []
    for col in outer_columns(tree):
        if col.table:
            key = by_name.get(col.table.lower())
            if key is not None and not _has(catalog, key, col.name):
                out.append(col)
        elif col.name.lower() not in aliases and not owners(col, known, catalog):
            out.append(col)
    return out


_MISPLACED = "querywright_misplaced"


def _marked(tree: exp.Select, wrong: list[exp.Column]) -> exp.Select:
    """A copy of ``tree`` whose misplaced columns are marked for the join that brings their table."""
    for col in wrong:
        col.meta[_MISPLACED] = col.name.lower()
    out = tree.copy()
    for col in wrong:
        col.meta.pop(_MISPLACED, None)
    return out


def column_homes(tree: exp.Expression | None, catalog: Catalog) -> list[exp.Expression]:
    """Variants of ``tree`` whose misplaced columns (``misplaced``) come from a table that has
    them: another table for a one-table query, else joined ones. Empty when nothing is misplaced."""
    if not isinstance(tree, exp.Select):
        return []
    wrong = misplaced(tree, catalog)
    if not wrong:
        return []
    out: list[exp.Expression] = []
    known = sources(tree, catalog)
    if len(known) == 1 and not tree.args.get("joins"):
        names = {c.name.lower() for c in outer_columns(tree)}
        (current,) = known
        for key in sorted(catalog.tables):
            if key != current and all(_has(catalog, key, n) for n in names):
                swapped = tree.copy()
                from_ = swapped.args["from_"]
                old = from_.this
                table = catalog.tables[key]
                new = exp.table_(table.name, db=table.schema, alias=old.alias or None)
                from_.set("this", new)
                if not old.alias:  # columns qualified with the old table's name follow it
                    for col in swapped.find_all(exp.Column):
                        if col.table and col.table.lower() == old.name.lower():
                            col.set("table", exp.to_identifier(table.name))
                out.append(swapped)
                if len(out) >= MAX_VARIANTS:
                    return out
    variant = _marked(tree, wrong)
    for name in dict.fromkeys(c.name.lower() for c in wrong):
        homes = [(path_length(variant, k, catalog), k) for k in _holders(catalog, name)]
        reachable = sorted((n, k) for n, k in homes if n is not None)
        if not reachable:
            return out
        attached = attach(variant, reachable[0][1], catalog)
        if attached is None:
            return out
        variant, qualifier = attached
        for col in variant.find_all(exp.Column):
            if col.meta.get(_MISPLACED) == name:
                col.set("table", exp.to_identifier(qualifier))
                col.meta.pop(_MISPLACED)
    out.append(variant)
    return out[:MAX_VARIANTS]
