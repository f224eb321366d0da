"""Attach a table to a candidate query along the foreign keys: the one home of the join
building that the candidate repairs share (``value_filter``: the table that holds a value the
question names; ``column_home``: the table that holds a column the candidate used on the wrong
one). Joins follow the shortest foreign-key path (``linking.join_path``) from a table the query
already reads; each added table gets a fresh alias (``<initials>_v``).
"""

from __future__ import annotations

import itertools

from sqlglot import exp

from ..sql.catalog import Catalog, ForeignKey, Table
from ..sql.checks import from_sources
from .intent import table_nouns
from .linking import join_path

MAX_ADDED_JOINS = 3  # as far as linking shows a path; further is more likely another question's


def tables_called(catalog: Catalog, noun: str) -> list[str]:
    """Keys of the tables ``noun`` (singular, lower case) names (``intent.table_nouns``:
    their name or its last ``_`` part, singular); whole-name matches first."""
    whole = [k for k, t in catalog.tables.items() if table_nouns(t.name)[0] == noun]
    part = [k for k, t in catalog.tables.items() if k not in whole and noun in table_nouns(t.name)]
    return sorted(whole) + sorted(part)


def sources(tree: exp.Select, catalog: Catalog) -> dict[str, str]:
    """Table key -> the name the query refers to it by (alias, else table name), for the
    tables of the outermost FROM and JOINs."""
    out: dict[str, str] = {}
    for node in from_sources(tree):
        if not isinstance(node, exp.Table):
            continue
        table = catalog.find(node.name, node.db or None)
        if table is not None:
            out.setdefault(catalog.key_of(table), node.alias_or_name)
    return out


def outer_columns(tree: exp.Select) -> list[exp.Column]:
    """The named columns of the outermost query itself (not ``*``, not a subquery's)."""
    return [c for c in tree.find_all(exp.Column)
            if c.find_ancestor(exp.Select) is tree and not isinstance(c.this, exp.Star) and c.name]


def owners(col: exp.Column, known: dict[str, str], catalog: Catalog) -> list[str]:
    """Keys of the tables of ``known`` (``sources``) that ``col`` may read: the one its
    qualifier names, else every one with a column of its name, in ``known``'s order."""
    if col.table:
        by_name = {q.lower(): k for k, q in known.items()}
        key = by_name.get(col.table.lower())
        return [key] if key is not None else []
    return [k for k in known if catalog.tables[k].find_column(col.name) is not None]


def column(table: Table, key: str, qualifier: str) -> exp.Column:
    """``qualifier.<the column's name>``."""
    return exp.column(table.columns[key].name, table=qualifier)


def _edge(catalog: Catalog, a: str, b: str) -> tuple[str, ForeignKey] | None:
    """The single-column foreign key between tables ``a`` and ``b``: (owner key, fk)."""
    for owner, other in ((a, b), (b, a)):
        for fk in catalog.tables[owner].foreign_keys:
            if fk.ref_table == other and len(fk.columns) == 1:
                refs = fk.ref_columns or catalog.tables[other].primary_key
                if len(refs) == 1 and refs[0] in catalog.tables[other].columns:
                    return owner, fk
    return None


def _alias(name: str, taken: set[str]) -> str:
    base = "".join(w[0] for w in name.lower().replace("-", "_").split("_") if w) or "t"
    alias, n = f"{base}_v", 1
    while alias in taken:
        n += 1
        alias = f"{base}_v{n}"
    taken.add(alias)
    return alias


def _qualify(tree: exp.Select, catalog: Catalog, known: dict[str, str]) -> None:
    """Qualify, in place, the outer query's unqualified columns that exactly one of its tables
    has, so that a joined table with a column of the same name leaves them unambiguous."""
    aliases = {e.alias.lower() for e in tree.expressions if isinstance(e, exp.Alias)}
    for col in outer_columns(tree):
        if col.table or col.name.lower() in aliases:
            continue
        found = owners(col, known, catalog)
        if len(found) == 1:
            col.set("table", exp.to_identifier(known[found[0]]))


def _path(known: dict[str, str], goal: str, catalog: Catalog) -> list[str] | None:
    """The shortest foreign-key path from a table of the query to ``goal``, within ``MAX_ADDED_JOINS``."""
    path = join_path(catalog, known, goal)
    return path if path is not None and len(path) - 1 <= MAX_ADDED_JOINS else None


def path_length(tree: exp.Select, goal: str, catalog: Catalog) -> int | None:
    """How many joins attaching ``goal`` to ``tree`` takes (0: the query reads it already;
    None: no foreign-key path within ``MAX_ADDED_JOINS``)."""
    known = sources(tree, catalog)
    if goal in known:
        return 0
    path = _path(known, goal, catalog)
    return len(path) - 1 if path is not None else None


def attach(tree: exp.Select, goal: str, catalog: Catalog, alias: str | None = None) -> tuple[exp.Select, str] | None:
    """A copy of ``tree`` that reads table ``goal`` and the name to qualify its columns with
    (its own, when the query reads it already); None when no path within ``MAX_ADDED_JOINS``.
    ``alias``: the name ``goal`` gets when it is joined (default: a fresh one)."""
    if goal not in catalog.tables:
        return None
    known = sources(tree, catalog)
    if not known:
        return None
    out = tree.copy()
    if goal in known:
        return out, known[goal]
    path = _path(known, goal, catalog)
    if path is None:
        return None
    _qualify(out, catalog, known)
    taken = {name.lower() for name in known.values()}
    names = dict(known)
    for before, key in itertools.pairwise(path):
        edge = _edge(catalog, before, key)
        if edge is None:
            return None
        owner, fk = edge
        table = catalog.tables[key]
        names[key] = alias if key == goal and alias else _alias(table.name, taken)
        refs = fk.ref_columns or catalog.tables[fk.ref_table].primary_key
        on = exp.EQ(this=column(catalog.tables[owner], fk.columns[0], names[owner]),
                    expression=column(catalog.tables[fk.ref_table], refs[0], names[fk.ref_table]))
        out = out.join(exp.table_(table.name, db=table.schema, alias=names[key]), on=on, copy=False)
    return out, names[goal]
