"""Join suggestions from foreign keys, in both directions.

After ``FROM orders o JOIN`` the tables that ``orders`` references or that reference it
are offered with an alias and the ON condition (``users u ON u.id = o.user_id``); after
``JOIN users u ON`` the condition between the joined table and the tables before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .catalog import Catalog, ForeignKey, Table
from .scope import Source

Quote = Callable[[str, str], str]  # (name, key) -> the name as it must be written


@dataclass(frozen=True)
class JoinSuggestion:
    table: Table
    alias: str
    condition: str  # "u.id = o.user_id"
    via: str  # "references" (the new table is referenced by an existing one) | "referenced-by"
    source: str  # the existing source it joins to


class ForeignKeyIndex:
    """Reverse foreign keys of one catalog: table key -> [(referencing table, fk)]."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.referencing: dict[str, list[tuple[Table, ForeignKey]]] = {}
        self.keys = {id(table): key for key, table in catalog.tables.items()}
        for table in catalog.tables.values():
            for fk in table.foreign_keys:
                self.referencing.setdefault(fk.ref_table, []).append((table, fk))

    def key(self, table: Table) -> str:
        """The catalog key of a table (its spelling under the case rules it was created with)."""
        return self.keys.get(id(table)) or self.catalog.key_of(table)

    def pairs(self, table: Table) -> list[tuple[Table, list[tuple[str, str]], str]]:
        """Tables linked to ``table`` by a foreign key: (other, [(other column key, own column key)], direction)."""
        out: list[tuple[Table, list[tuple[str, str]], str]] = []
        for fk in table.foreign_keys:
            other = self.catalog.tables.get(fk.ref_table)
            if other is None:
                continue
            ref_cols = fk.ref_columns or other.primary_key
            if len(ref_cols) == len(fk.columns):
                out.append((other, list(zip(ref_cols, fk.columns)), "references"))
        for other, fk in self.referencing.get(self.key(table), ()):
            ref_cols = fk.ref_columns or table.primary_key
            if len(ref_cols) == len(fk.columns):
                out.append((other, list(zip(fk.columns, ref_cols)), "referenced-by"))
        return out


def column_text(table: Table, key: str, quote: Quote) -> str:
    column = table.columns.get(key)
    return quote(column.name, key) if column is not None else key



def alias_for(name: str, taken: set[str]) -> str:
    """Initials of the table name (``order_items`` -> ``oi``), made unique."""
    words = [w for w in re.split(r"[_\W]+", name) if w]
    base = "".join(w[0] for w in words).lower() or "t"
    if not base[0].isalpha():
        base = "t" + base
    alias, n = base, 2
    while alias in taken:
        alias, n = f"{base}{n}", n + 1
    return alias


def join_suggestions(index: ForeignKeyIndex, sources: tuple[Source, ...], taken: set[str], quote: Quote) -> list[JoinSuggestion]:
    """Tables to join to the ``sources`` already in the statement."""
    out: list[JoinSuggestion] = []
    seen: set[tuple[str, str]] = set()
    present = {id(s.table) for s in sources if s.table is not None}
    for source in sources:
        if source.table is None:
            continue
        ref = quote(source.name, source.key)
        for other, cols, direction in index.pairs(source.table):
            if id(other) in present and other is not source.table:
                continue  # already in the statement (a self-reference is still offered)
            alias = alias_for(other.name, taken)
            condition = " AND ".join(f"{alias}.{column_text(other, oc, quote)} = {ref}.{column_text(source.table, sc, quote)}" for oc, sc in cols)
            if (other.display_name, condition) in seen:
                continue
            seen.add((other.display_name, condition))
            out.append(JoinSuggestion(other, alias, condition, direction, source.name))
    return out


def join_conditions(index: ForeignKeyIndex, joining: Source, earlier: tuple[Source, ...], quote: Quote) -> list[str]:
    """ON conditions between the table being joined and the sources before it."""
    if joining.table is None:
        return []
    out: list[str] = []
    mine = quote(joining.name, joining.key)
    for other, cols, _direction in index.pairs(joining.table):
        other_key = index.key(other)
        for source in earlier:
            if source.table is None or index.key(source.table) != other_key or source is joining:
                continue
            ref = quote(source.name, source.key)
            condition = " AND ".join(f"{mine}.{column_text(joining.table, sc, quote)} = {ref}.{column_text(other, oc, quote)}" for oc, sc in cols)
            if condition not in out:
                out.append(condition)
    return out
