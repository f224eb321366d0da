"""The schema catalog: tables, views, columns, keys, and where each was defined.

A ``Catalog`` is plain data. ``server.sql.ddl`` fills it by replaying DDL, and
``server.sql.introspect`` by reading a live database. Names are stored under a *key*
normalised with the dialect's case rules (``users`` and ``USERS`` are one table in
Postgres, ``"Users"`` is another), and keep their spelling for display.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from .issues import Issue, Location


@functools.lru_cache(maxsize=64)
def get_dialect(name: str) -> Dialect:
    """A cached sqlglot dialect instance (raises ``ValueError`` for unknown names)."""
    return Dialect.get_or_raise(name)


@functools.lru_cache(maxsize=65536)
def normalize_name(name: str, dialect: str, quoted: bool = False) -> str:
    """The lookup key of an identifier under ``dialect``'s case rules."""
    ident = exp.Identifier(this=name, quoted=quoted)
    return get_dialect(dialect).normalize_identifier(ident).name


@dataclass(frozen=True)
class Column:
    """A column; immutable, so replayed catalogs can share unchanged columns."""

    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    primary_key: bool = False
    unique: bool = False
    comment: str | None = None
    location: Location | None = None

    def describe(self) -> str:
        parts = [self.type or "unknown type"]
        if self.primary_key:
            parts.append("PRIMARY KEY")
        if not self.nullable and not self.primary_key:
            parts.append("NOT NULL")
        if self.unique:
            parts.append("UNIQUE")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        return " ".join(parts)


@dataclass
class ForeignKey:
    columns: tuple[str, ...]  # column keys in the owning table
    ref_table: str  # table key (``schema.name`` or ``name``)
    ref_columns: tuple[str, ...]  # column keys in the referenced table (empty: its primary key)
    location: Location | None = None


@dataclass
class Table:
    name: str
    schema: str | None = None
    kind: str = "table"  # "table" | "view"
    columns: dict[str, Column] = field(default_factory=dict)  # key -> column, in definition order
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    comment: str | None = None
    location: Location | None = None
    definition: str | None = None  # the SELECT of a view
    key: str = ""  # the catalog key it is stored under (keeps quoting: "Order" vs order)
    parents: tuple[str, ...] = ()  # catalog keys of the tables it inherits from / is a partition of

    @property
    def display_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def column(self, key: str) -> Column | None:
        return self.columns.get(key)

    def find_column(self, name: str) -> str | None:
        """The key of the column called ``name`` in any case (``Year`` for ``year``), or None."""
        low = name.lower()
        return next((k for k, c in self.columns.items() if c.name.lower() == low), None)


@dataclass(frozen=True)
class Skipped:
    """A schema statement (or part of one) that did not reach the catalog, and why."""

    path: str
    line: int
    statement: str
    reason: str


@dataclass
class Catalog:
    """All tables of a workspace, keyed by ``schema.name`` keys (or ``name`` without schema)."""

    dialect: str = "postgres"
    tables: dict[str, Table] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    default_schema: str | None = None  # MySQL/T-SQL ``USE db``: ``db.x`` also names an unqualified ``x``
    # History kept by migration replay, for better messages: what was renamed or dropped.
    renamed_columns: dict[tuple[str, str], tuple[str, Location | None]] = field(default_factory=dict)
    dropped_columns: dict[tuple[str, str], Location | None] = field(default_factory=dict)
    dropped_tables: dict[str, Location | None] = field(default_factory=dict)

    # ----------------------------------------------------------------- naming
    def key(self, name: str, quoted: bool = False) -> str:
        return normalize_name(name, self.dialect, quoted)

    def table_key(self, name: str, schema: str | None = None, quoted: bool = False, schema_quoted: bool = False) -> str:
        key = self.key(name, quoted)
        if schema:
            return f"{self.key(schema, schema_quoted)}.{key}"
        return key

    # ----------------------------------------------------------------- lookup
    def find(self, name: str, schema: str | None = None, quoted: bool = False) -> Table | None:
        """Find a table; an unqualified name also matches a table in any schema when that is
        unambiguous (search path), and ``public.x`` matches ``x``."""
        key = self.table_key(name, schema, quoted)
        table = self.tables.get(key)
        if table is not None or schema:
            if table is None and schema and (self.key(schema) in ("public", "main", "dbo") or (self.default_schema and self.key(schema) == self.key(self.default_schema))):
                return self.tables.get(self.key(name, quoted))
            return table
        matches = [t for k, t in self.tables.items() if k.rpartition(".")[2] == key]
        return matches[0] if len(matches) == 1 else None

    def find_expression(self, table: exp.Table) -> Table | None:
        ident = table.this
        quoted = bool(isinstance(ident, exp.Identifier) and ident.quoted)
        schema = table.db or None
        return self.find(table.name, schema, quoted)

    def add(self, key: str, table: Table) -> Table:
        """Store ``table`` under ``key`` (and remember the key on the table)."""
        table.key = key
        self.tables[key] = table
        return table

    def key_of(self, table: Table) -> str:
        """The key ``table`` is stored under (quoted names keep their case)."""
        if table.key and self.tables.get(table.key) is table:
            return table.key
        for key, candidate in self.tables.items():
            if candidate is table:
                return key
        return self.table_key(table.name, table.schema)

    def __iter__(self) -> Iterator[Table]:
        return iter(self.tables.values())

    def __len__(self) -> int:
        return len(self.tables)

    def referencing(self, key: str) -> list[tuple[Table, ForeignKey]]:
        """Foreign keys of other tables that point at table ``key``."""
        out = []
        for table in self.tables.values():
            for fk in table.foreign_keys:
                if fk.ref_table == key:
                    out.append((table, fk))
        return out

    def column_count(self) -> int:
        return sum(len(t.columns) for t in self.tables.values())

    # ----------------------------------------------------------------- export
    def to_sqlglot_schema(self) -> dict[str, dict[str, str]]:
        """A mapping for ``sqlglot.optimizer`` (``{table: {column: type}}`` or nested by schema)."""
        flat: dict[str, dict[str, str]] = {}
        for table in self.tables.values():
            flat[table.name] = {c.name: (c.type or "UNKNOWN") for c in table.columns.values()}
        return flat

    def to_json(self) -> dict[str, object]:
        """The ``querywright schema --json`` contract (plus extra keys)."""
        return {
            "dialect": self.dialect,
            "tables": [
                {
                    "name": t.display_name,
                    "kind": t.kind,
                    "columns": [
                        {
                            "name": c.name,
                            "type": c.type,
                            "nullable": c.nullable,
                            "primary_key": c.primary_key,
                            "source": _loc_json(c.location),
                        }
                        for c in t.columns.values()
                    ],
                    "primary_key": [t.columns[k].name for k in t.primary_key if k in t.columns],
                    "foreign_keys": [
                        {
                            "columns": [t.columns[k].name if k in t.columns else k for k in fk.columns],
                            "references": self.tables[fk.ref_table].display_name if fk.ref_table in self.tables else fk.ref_table,
                            "ref_columns": list(fk.ref_columns),
                        }
                        for fk in t.foreign_keys
                    ],
                    "source": _loc_json(t.location),
                }
                for t in sorted(self.tables.values(), key=lambda t: t.display_name.lower())
            ],
            "skipped": [{"path": s.path, "line": s.line, "statement": s.statement, "reason": s.reason} for s in self.skipped],
        }


def _loc_json(loc: Location | None) -> dict[str, object] | None:
    return {"path": loc.path, "line": loc.line} if loc else None
