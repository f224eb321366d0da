"""Build the scratch SQLite database an evaluation example's queries run on.

Three sources, in order of preference:

1. an existing SQLite file (Spider's ``database/<db_id>/<db_id>.sqlite``), copied into memory;
2. the record's ``setup_sql`` (CREATE + INSERT statements, as in the public set), each
   statement transpiled from the record's dialect to SQLite;
3. otherwise tables made from the record's schema and filled with deterministic generated rows:
   primary keys count 1..N, foreign keys and ``*_id`` columns point into 1..N so that joins
   match, text columns draw from a small pool so that filters and GROUP BY find repeats.
   A view whose source tables are not part of the schema (a schema slice may carry the view
   alone) becomes a table of generated rows with the view's columns.

Schema-qualified tables (``sales.orders``) live in an attached in-memory database named after
the schema, so qualified queries run unchanged. Connections are in autocommit mode, as
:func:`.metrics.run_query` expects.
"""

from __future__ import annotations

import random
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot.errors import SqlglotError

from ..server.errors import TrainingError
from ..server.sql.catalog import Catalog, Column, Table
from .metrics import schema_catalog, to_sqlite

ROWS_PER_TABLE = 8
SEED = 7
_WORDS = ("alpha", "beta", "gamma")
_STATUS = ("pending", "shipped", "delivered")
_COUNTRIES = ("US", "FR", "DE")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)


def from_sqlite_file(path: Path) -> sqlite3.Connection:
    """An in-memory copy of the database at ``path`` (the file is never written)."""
    if not path.is_file():
        raise TrainingError(f"database file {path} does not exist")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn = _connect()
        source.backup(conn)
    except sqlite3.DatabaseError as exc:
        raise TrainingError(f"cannot read database {path}: {exc}") from exc
    finally:
        source.close()
    return conn


def _statements(sql: str, dialect: str) -> list[str]:
    """``sql`` split into statements, each transpiled to SQLite where sqlglot can."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except SqlglotError:
        return [part for part in sql.split(";") if part.strip()]
    out = []
    for tree in trees:
        try:
            out.append(tree.sql(dialect="sqlite"))
        except SqlglotError:
            out.append(tree.sql(dialect=dialect))
    return out


def _attach_schemas(conn: sqlite3.Connection, names: set[str]) -> None:
    for name in sorted(names - {"main", "temp"}):
        conn.execute(f"ATTACH DATABASE ':memory:' AS {_quote(name)}")


def from_setup_sql(setup_sql: str, dialect: str) -> sqlite3.Connection:
    """A database made by running ``setup_sql``; TrainingError when no statement runs."""
    conn = _connect()
    statements = _statements(setup_sql, dialect)
    schemas = set(re.findall(r'(?i)\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?"?(\w+)"?\.',
                             "\n".join(statements)))
    _attach_schemas(conn, schemas)
    ran, errors = 0, []
    for statement in statements:
        try:
            conn.execute(statement)
            ran += 1
        except (sqlite3.Error, OverflowError) as exc:
            errors.append(f"{exc}")
    if not ran and statements:
        raise TrainingError(f"setup SQL did not run on SQLite: {errors[0]}")
    return conn


def _value(table: Table, column: Column, index: int, fk_columns: set[str], rng: random.Random) -> Any:
    """A plausible value for row ``index`` (0-based) of ``column``."""
    kind = column.type.upper()
    name = column.name.lower()
    numeric = any(t in kind for t in ("INT", "SERIAL"))
    if column.primary_key and (numeric or not kind) and len(table.primary_key) == 1:
        return index + 1
    if name in fk_columns or (numeric and (name.endswith("_id") or name == "id")):
        return rng.randint(1, ROWS_PER_TABLE)
    if "BOOL" in kind:
        return index % 2
    if numeric:
        return rng.randint(0, 50) * (10 if "cents" in name or "price" in name else 1)
    if any(t in kind for t in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL", "MONEY")):
        return round(rng.uniform(1, 500), 2)
    if any(t in kind for t in ("TIMESTAMP", "DATETIME")):
        moment = datetime(2024, 1, 1) + timedelta(days=index * 9, hours=index)
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if "DATE" in kind:
        return (datetime(2024, 1, 1) + timedelta(days=index * 9)).strftime("%Y-%m-%d")
    if "email" in name:
        return f"user{index + 1}@example.com"
    if "country" in name:
        return _COUNTRIES[index % len(_COUNTRIES)]
    if "status" in name or "state" in name:
        return _STATUS[index % len(_STATUS)]
    if column.unique or column.primary_key:
        return f"{name}-{index + 1}"
    return f"{name} {_WORDS[index % len(_WORDS)]}"


def _create_table(conn: sqlite3.Connection, table: Table, rng: random.Random) -> None:
    target = _quote(table.name) if not table.schema else f"{_quote(table.schema)}.{_quote(table.name)}"
    columns = list(table.columns.values())
    definition = ", ".join(f"{_quote(c.name)} {c.type}".rstrip() for c in columns)
    conn.execute(f"CREATE TABLE {target} ({definition})")
    fk_columns = {c.lower() for fk in table.foreign_keys for c in fk.columns}
    marks = ", ".join("?" for _ in columns)
    rows = [[_value(table, c, i, fk_columns, rng) for c in columns] for i in range(ROWS_PER_TABLE)]
    conn.executemany(f"INSERT INTO {target} VALUES ({marks})", rows)


def from_catalog(catalog: Catalog, dialect: str, seed: int = SEED) -> sqlite3.Connection:
    """Tables of ``catalog`` filled with generated rows, then its views (in dependency order)."""
    conn = _connect()
    rng = random.Random(seed)
    _attach_schemas(conn, {t.schema for t in catalog if t.schema})
    views = []
    for table in catalog:
        if table.kind == "view":
            views.append(table)
        elif not table.name.lower().startswith("sqlite_"):  # SQLite makes its own (sqlite_sequence)
            _create_table(conn, table, rng)
    while views:  # a view may select from another view: retry until no progress
        pending = []
        for view in views:
            target = _quote(view.name) if not view.schema else f"{_quote(view.schema)}.{_quote(view.name)}"
            try:
                conn.execute(f"CREATE VIEW {target} AS {to_sqlite(view.definition or '', dialect)}")
                conn.execute(f"SELECT * FROM {target} LIMIT 0")
            except sqlite3.Error:
                conn.execute(f"DROP VIEW IF EXISTS {target}")
                pending.append(view)
        if len(pending) == len(views):
            break
        views = pending
    for view in views:  # its source tables are not in the schema: a table of generated rows
        _create_table(conn, view, rng)
    return conn


def build_database(record: dict[str, Any]) -> sqlite3.Connection:
    """The scratch database for one evaluation record (see the module docstring)."""
    dialect = record.get("dialect") or "sqlite"
    db_path = record.get("db_path")
    if db_path:
        return from_sqlite_file(Path(db_path))
    if record.get("setup_sql"):
        return from_setup_sql(record["setup_sql"], dialect)
    catalog = schema_catalog(record.get("schema") or "", dialect)
    if not len(catalog):
        raise TrainingError(f"record {record.get('id')}: its schema defines no table")
    return from_catalog(catalog, dialect)


def database_key(record: dict[str, Any]) -> str:
    """Records with the same key share one database."""
    if record.get("db_path"):
        return f"file:{record['db_path']}"
    return "|".join((record.get("dialect") or "", record.get("schema") or "",
                     record.get("setup_sql") or ""))
