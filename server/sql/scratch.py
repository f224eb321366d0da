"""The scratch database: an in-memory SQLite database shaped like a catalog, to run SQL on.

The product's one scratch database. ``ask`` runs its candidates here to choose among them,
synthesis keeps a generated pair only when its query runs here, evaluation and the benches
run gold and predicted SQL here and compare rows. Nothing here touches a real database.

Built in one of three ways:

- :class:`ScratchDB` (``build_database`` for the editor, ``database_for`` a dataset record): the catalog's tables (types transpiled to SQLite with
  sqlglot, primary keys and UNIQUE kept; untyped columns when SQLite cannot spell a type),
  filled with seeded rows — primary keys count 1..N, foreign keys point at existing parent
  rows, other ``*_id`` columns into 1..N so joins find partners, other columns plausible
  values from their name and type (emails look like emails, ratings run 1-5). Where a
  value sample of the workspace's data is given, non-key columns hold its values instead,
  the ones a question mentions first (so a filter on ``'Comedy'`` finds its row). Then the
  views (their SELECT transpiled; one whose source tables are missing becomes a table of
  generated rows). Schema-qualified tables live in an attached database named after the
  schema: ``sales.refunds`` and ``refunds`` both run.
- :meth:`ScratchDB.from_setup_sql`: CREATE + INSERT statements (a dataset's
  ``setup_sql``), each transpiled to SQLite.
- :meth:`ScratchDB.from_sqlite_file`: an existing SQLite file copied into memory.

:func:`run` runs one statement with a timeout and a row limit, inside a savepoint that is
rolled back, so writes leave no trace. Connections are in autocommit mode.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..errors import CatalogError
from .catalog import Catalog, Column, Table
from .replay import apply_ops
from .values import ValueSample
from .workspace import parse_schema_text

QUERY_TIMEOUT_S = 0.5
MAX_ROWS = 1000
ASK_ROWS = 6  # the editor's database: small, for latency
EVAL_ROWS = 8
EVAL_SEED = 7


@dataclass(frozen=True)
class Outcome:
    """The result of running one statement: its rows (sorted), or the error."""

    rows: tuple[tuple[object, ...], ...] | None
    error: str | None = None

    @property
    def signature(self) -> str | None:
        return None if self.rows is None else repr(self.rows)


class Mentioned(Protocol):
    """A value the question mentions, and the column that holds it."""

    table_key: str
    column_key: str
    value: str


# --- names and types -------------------------------------------------------------------------


def quote(name: str) -> str:
    """``name`` as a quoted SQLite identifier."""
    return '"' + name.replace('"', '""') + '"'


def qualified(table: Table) -> str:
    return quote(table.name) if not table.schema else f"{quote(table.schema)}.{quote(table.name)}"


def family(type_text: str) -> str:
    """The broad family of a SQL type: int, number, bool, timestamp, date, text."""
    t = (type_text or "").upper()
    if "BOOL" in t:
        return "bool"
    if "INT" in t or "SERIAL" in t:
        return "int"
    if any(k in t for k in ("NUMERIC", "DECIMAL", "REAL", "FLOAT", "DOUBLE", "MONEY", "NUMBER")):
        return "number"
    if "TIMESTAMP" in t or "DATETIME" in t:
        return "timestamp"
    if "DATE" in t:
        return "date"
    return "text"


def sqlite_type(column: Column, dialect: str) -> str:
    if not column.type:
        return ""
    try:
        return exp.DataType.build(column.type, dialect=dialect).sql("sqlite")
    except (SqlglotError, ValueError):
        return "TEXT"


def to_sqlite(sql: str, dialect: str, fold_schemas: bool = False, schemas: Collection[str] | None = None) -> str | None:
    """``sql`` (one statement) in SQLite; ``fold_schemas`` drops table qualifiers, ``schemas``
    (the attached databases) drops those that name none of them. None when sqlglot cannot
    read it. SQLite text is left as written unless ``fold_schemas``."""
    if dialect in ("sqlite", "") and not fold_schemas:
        return sql
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect or "sqlite") if t is not None]
        if len(trees) != 1:
            return None
        for node in trees[0].find_all(exp.Table):
            if fold_schemas or (schemas is not None and node.db and node.db not in schemas):
                node.set("db", None)
                node.set("catalog", None)
        return trees[0].sql(dialect="sqlite")
    except (SqlglotError, ValueError, RecursionError):
        return None


def _is_key(column: Column) -> bool:
    name = column.name.lower()
    return column.primary_key or name == "id" or name.endswith("_id")


def _max_length(type_text: str) -> int | None:
    m = re.search(r"(?:CHAR|TEXT|STRING)\s*\(\s*(\d+)", (type_text or "").upper())
    return int(m.group(1)) if m else None


# --- plausible values ------------------------------------------------------------------------

FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra", "Perlman", "Lee"]
WORDS = ["red", "mug", "lamp", "desk", "chair", "garden", "river", "cloud", "stone", "paper", "glass", "cotton", "silver", "ocean"]
CITIES = ["Paris", "Berlin", "Lisbon", "Oslo", "Tokyo", "Lima", "Nairobi", "Toronto", "Sydney", "Madrid"]
COUNTRIES = ["FR", "DE", "PT", "NO", "JP", "PE", "KE", "CA", "AU", "ES"]
STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled"]


class ValueMaker:
    """Plausible values for one column, from its name and type. Categorical text (countries,
    cities, statuses) draws from ``pool`` values, so that GROUP BY and filters find repeats."""

    def __init__(self, rng: random.Random, pool: int = 10) -> None:
        self.rng = rng
        self.base = datetime(2024, 1, 1)
        self.pool = max(1, pool)

    def make(self, column: Column, i: int) -> Any:
        name = column.name.lower()
        kind = family(column.type)
        rng = self.rng
        if kind == "bool":
            return rng.random() < 0.7
        if kind in ("timestamp", "date"):
            moment = self.base + timedelta(days=rng.randrange(0, 365), seconds=rng.randrange(0, 86400))
            return moment.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S")
        if kind in ("int", "number"):
            if "rating" in name or "stars" in name or "score" in name:
                value: float = rng.randint(1, 5)
            elif any(k in name for k in ("price", "amount", "cents", "total", "cost", "salary", "revenue", "balance")):
                value = rng.randint(100, 100_000)
            elif "year" in name:
                value = rng.randint(1995, 2024)
            elif "age" in name:
                value = rng.randint(18, 90)
            elif any(k in name for k in ("quantity", "qty", "stock", "count", "num")):
                value = rng.randint(0, 50)
            else:
                value = rng.randint(1, 1000)
            return round(value + rng.random(), 2) if kind == "number" and rng.random() < 0.5 else value
        text = self._text(name, i)
        limit = _max_length(column.type)
        return text[:limit] if limit else text

    def _text(self, name: str, i: int) -> str:
        rng = self.rng
        if "email" in name:
            return f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}{i}@example.com"
        if name in ("first_name", "firstname", "given_name"):
            return rng.choice(FIRST)
        if name in ("last_name", "lastname", "surname", "family_name"):
            return rng.choice(LAST)
        if "name" in name and "user" not in name or name in ("author", "customer", "username"):
            return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if "country" in name:
            return rng.choice(COUNTRIES[: self.pool])
        if "city" in name or "location" in name:
            return rng.choice(CITIES[: self.pool])
        if "status" in name or "state" in name:
            return rng.choice(STATUSES[: self.pool])
        if name in ("sku", "code") or name.endswith("_code"):
            return f"{name[:3].upper()}-{i:04d}"
        if "phone" in name:
            return f"+1-555-{rng.randint(1000, 9999)}"
        if "url" in name:
            return f"https://example.com/{rng.choice(WORDS)}/{i}"
        if any(k in name for k in ("body", "description", "comment", "text", "note")):
            return " ".join(rng.choice(WORDS) for _ in range(6))
        return f"{rng.choice(WORDS).title()} {rng.choice(WORDS)}"


def _sample_values(sample: ValueSample | None, table_key: str, column_key: str, column: Column,
                   first: Sequence[str], limit: int) -> list[object]:
    """Values of the data for one column: the mentioned ones first, then the sample's."""
    known = sample.columns.get((table_key, column_key)) if sample is not None else None
    raw = list(dict.fromkeys([*first, *(known.values if known is not None else ())]))
    numeric = family(column.type) in ("int", "number")
    out: list[object] = []
    for value in raw[:limit]:
        if not numeric:
            out.append(value)
            continue
        try:
            out.append(float(value) if "." in value else int(value))
        except ValueError:
            continue
    return out


def _table_order(catalog: Catalog) -> list[str]:
    """Keys of the tables (not views), parents before children (cycles broken stably)."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(key: str) -> None:
        if state.get(key):
            return
        state[key] = 1
        for fk in catalog.tables[key].foreign_keys:
            if fk.ref_table in catalog.tables and fk.ref_table != key:
                visit(fk.ref_table)
        state[key] = 2
        order.append(key)

    for key in sorted(k for k, t in catalog.tables.items() if t.kind == "table"):
        visit(key)
    return [k for k in order if catalog.tables[k].kind == "table"]


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _connect() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)


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


# --- the database ----------------------------------------------------------------------------


class ScratchDB:
    """One scratch database: its connection, the catalog it was built from (if any), the
    tables and views that exist in it, and the statements that recreate it."""

    def __init__(self, catalog: Catalog, rows: int = 20, seed: int = 0,
                 sample: ValueSample | None = None, mentioned: Sequence[Mentioned] = ()) -> None:
        """The database of ``catalog`` with ``rows`` seeded rows per table (see the module)."""
        self.catalog = catalog
        self.conn = _connect()
        self.tables: list[str] = []  # catalog keys of the tables/views that exist here
        self.statements: list[str] = []
        self._rng = random.Random(seed)
        self._maker = ValueMaker(self._rng, pool=max(3, rows // 3))
        self._keys: dict[str, list[Any]] = {}
        first: dict[tuple[str, str], list[str]] = {}
        for match in mentioned:
            first.setdefault((match.table_key, match.column_key), []).append(match.value)
        for schema in sorted({t.schema for t in catalog if t.schema} - {"main", "temp"}):
            self.conn.execute(f"ATTACH DATABASE ':memory:' AS {quote(schema)}")
        for key in _table_order(catalog):
            table = catalog.tables[key]
            if table.name.lower().startswith("sqlite_"):  # SQLite makes its own (sqlite_sequence)
                continue
            if self._create_table(key, table):
                self._fill(key, table, rows, sample, first)
        self._create_views(rows)

    @classmethod
    def _bare(cls, conn: sqlite3.Connection, dialect: str) -> ScratchDB:
        db = cls.__new__(cls)
        db.catalog, db.conn, db.tables, db.statements = Catalog(dialect=dialect), conn, [], []
        return db

    @classmethod
    def from_setup_sql(cls, setup_sql: str, dialect: str) -> ScratchDB:
        """A database made by running ``setup_sql``; CatalogError when no statement runs."""
        conn = _connect()
        statements = _statements(setup_sql, dialect)
        schemas = set(re.findall(r'(?i)\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?"?(\w+)"?\.', "\n".join(statements)))
        for schema in sorted(schemas - {"main", "temp"}):
            conn.execute(f"ATTACH DATABASE ':memory:' AS {quote(schema)}")
        ran, errors = 0, []
        for statement in statements:
            try:
                conn.execute(statement)
                ran += 1
            except (sqlite3.Error, OverflowError) as exc:
                errors.append(str(exc))
        if not ran and statements:
            raise CatalogError(f"setup SQL did not run on SQLite: {errors[0]}")
        db = cls._bare(conn, dialect)
        db.statements = [s + ";" for s in statements]
        return db

    @classmethod
    def from_sqlite_file(cls, path: Path) -> ScratchDB:
        """An in-memory copy of the database at ``path`` (the file is never written)."""
        if not path.is_file():
            raise CatalogError(f"database file {path} does not exist")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn = _connect()
            source.backup(conn)
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"cannot read database {path}: {exc}") from exc
        finally:
            source.close()
        return cls._bare(conn, "sqlite")

    # ------------------------------------------------------------------ building

    def _execute(self, sql: str) -> bool:
        try:
            self.conn.execute(sql)
        except sqlite3.Error:
            return False
        self.statements.append(sql + ";")
        return True

    def _create_table(self, key: str, table: Table) -> bool:
        columns = list(table.columns.items())
        if not columns:
            return False
        parts = []
        for _ckey, column in columns:
            unique = " UNIQUE" if column.unique and not column.primary_key else ""
            parts.append(f"{quote(column.name)} {sqlite_type(column, self.catalog.dialect)}".rstrip() + unique)
        names = {k: c.name for k, c in columns}
        if table.primary_key and all(k in names for k in table.primary_key):
            parts.append("PRIMARY KEY (" + ", ".join(quote(names[k]) for k in table.primary_key) + ")")
        target = qualified(table)
        untyped = f"CREATE TABLE {target} ({', '.join(quote(c.name) for _, c in columns)})"  # a type SQLite cannot spell
        if not self._execute(f"CREATE TABLE {target} ({', '.join(parts)})") and not self._execute(untyped):
            return False
        self.tables.append(key)
        return True

    def _fill(self, key: str, table: Table, rows: int, sample: ValueSample | None,
              first: Mapping[tuple[str, str], Sequence[str]]) -> None:
        columns = list(table.columns.items())
        fk_of = {c: fk.ref_table for fk in table.foreign_keys for c in fk.columns}
        single_pk = table.primary_key[0] if len(table.primary_key) == 1 else None
        data = {
            ckey: _sample_values(sample, key, ckey, column, first.get((key, ckey), ()), rows)
            for ckey, column in columns
            if ckey not in fk_of and not _is_key(column)
        }  # fmt: skip
        out = []
        for i in range(1, rows + 1):
            row: list[Any] = []
            for ckey, column in columns:
                kind = family(column.type)
                parent = self._keys.get(fk_of.get(ckey, ""))
                if parent:
                    row.append(self._rng.choice(parent))
                elif ckey == single_pk:
                    row.append(i if kind in ("int", "number") or not column.type else f"{self._maker.make(column, i)}-{i}")
                elif data.get(ckey):
                    row.append(data[ckey][(i - 1) % len(data[ckey])])
                elif _is_key(column) and kind in ("int", "number", "text") and (kind != "text" or not column.type):
                    row.append(self._rng.randint(1, rows))
                elif column.unique and kind == "text" and "email" not in column.name.lower():
                    row.append(f"{self._maker.make(column, i)}-{i}")
                elif column.unique and kind in ("int", "number"):
                    row.append(i)
                else:
                    row.append(self._maker.make(column, i))
            out.append(row)
        names = ", ".join(quote(c.name) for _, c in columns)
        insert = f"INSERT OR IGNORE INTO {qualified(table)} ({names}) VALUES ({', '.join('?' for _ in columns)})"
        try:
            self.conn.executemany(insert, out)
        except (sqlite3.Error, OverflowError):
            return
        self.statements.extend(f"INSERT OR IGNORE INTO {qualified(table)} ({names}) VALUES ({', '.join(map(_literal, r))});" for r in out)
        if single_pk is not None:
            found = self.conn.execute(f"SELECT {quote(table.columns[single_pk].name)} FROM {qualified(table)}").fetchall()
            self._keys[key] = [r[0] for r in found]

    def _create_views(self, rows: int) -> None:
        views = [(k, t) for k, t in self.catalog.tables.items() if t.kind == "view"]
        pending = [(k, t) for k, t in views if t.definition]
        while pending:  # a view may select from another view: retry until no progress
            failed = []
            for key, view in pending:
                if not self._create_view(key, view):
                    failed.append((key, view))
            if len(failed) == len(pending):
                break
            pending = failed
        for key, view in views:  # no definition, or its source tables are not here: generated rows
            if key not in self.tables and view.columns and self._create_table(key, view):
                self._fill(key, view, rows, None, {})

    def _create_view(self, key: str, view: Table) -> bool:
        """The view as SQLite runs it: its SELECT as written, else with schemas folded away."""
        target = qualified(view)
        for fold in (False, True):
            body = to_sqlite(view.definition or "", self.catalog.dialect, fold_schemas=fold)
            if body is None or not self._execute(f"CREATE VIEW {target} AS {body}"):
                continue
            if run(self.conn, f"SELECT * FROM {target} LIMIT 0", "sqlite").error is None:
                self.tables.append(key)
                return True
            self.conn.execute(f"DROP VIEW IF EXISTS {target}")
            self.statements.pop()
        return False

    # ------------------------------------------------------------------ use

    def has(self, key: str) -> bool:
        return key in self.tables

    def values(self, key: str, column: Column, limit: int = 20) -> list[Any]:
        """Distinct non-null values of a column (for filters that match rows)."""
        table, col = self.catalog.tables[key], quote(column.name)
        outcome = run(self.conn, f"SELECT DISTINCT {col} FROM {qualified(table)} WHERE {col} IS NOT NULL ORDER BY 1 LIMIT {limit}", "sqlite")
        return [r[0] for r in outcome.rows or ()]

    def run(self, sql: str, dialect: str) -> tuple[int | None, str | None]:
        """``(row count, None)`` or ``(None, error)`` for ``sql`` (in ``dialect``) run here."""
        outcome = run(self.conn, sql, dialect)
        return (None, outcome.error) if outcome.rows is None else (len(outcome.rows), None)

    def setup_sql(self) -> str:
        """SQLite statements that recreate this database (CREATE + INSERT)."""
        return "\n".join(self.statements)

    def save(self, path: Path) -> bool:
        """Write this database to the SQLite file ``path`` (replaced whole, never half-written);
        False when it cannot be one file (tables in attached schemas)."""
        attached = {str(row[1]) for row in self.conn.execute("PRAGMA database_list")}
        if attached - {"main", "temp"}:
            return False
        partial = path.with_name(f".{path.name}.partial")
        partial.unlink(missing_ok=True)
        dest = sqlite3.connect(partial)
        try:
            self.conn.backup(dest)
        finally:
            dest.close()
        os.replace(partial, path)
        return True

    def close(self) -> None:
        self.conn.close()


def run(conn: sqlite3.Connection, sql: str, dialect: str, timeout_s: float = QUERY_TIMEOUT_S,
        max_rows: int = MAX_ROWS) -> Outcome:
    """Run one statement (in ``dialect``) on ``conn`` in a savepoint that is rolled back: at
    most ``max_rows`` rows, stopped after ``timeout_s``. A schema qualifier that names no
    attached database (``public.film`` where ``film`` lives in main) is dropped."""
    attached = {str(row[1]) for row in conn.execute("PRAGMA database_list")}
    translated = to_sqlite(sql, dialect, schemas=attached)
    if translated is None:
        return Outcome(None, "cannot transpile to SQLite")
    deadline = time.monotonic() + timeout_s
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    try:
        conn.execute("SAVEPOINT qw_scratch")
        cursor = conn.execute(translated)
        rows = cursor.fetchmany(max_rows) if cursor.description is not None else []
        return Outcome(tuple(sorted((tuple(r) for r in rows), key=repr)))
    except sqlite3.OperationalError as exc:
        return Outcome(None, f"timed out after {timeout_s:g} s" if time.monotonic() > deadline else str(exc))
    except (sqlite3.Error, sqlite3.Warning, OverflowError, ValueError) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}")
    finally:
        conn.set_progress_handler(None, 0)
        if conn.in_transaction:
            conn.execute("ROLLBACK TO qw_scratch")
            conn.execute("RELEASE qw_scratch")


def build_database(catalog: Catalog, sample: ValueSample | None = None,
                   mentioned: Sequence[Mentioned] = ()) -> sqlite3.Connection:
    """The editor's scratch database for ``catalog``: a few rows per table, non-key columns
    holding values of ``sample`` (``mentioned`` ones first) where it has any."""
    return ScratchDB(catalog, rows=ASK_ROWS, sample=sample, mentioned=mentioned).conn


def database_for(record: Mapping[str, Any]) -> sqlite3.Connection:
    """The scratch database of one dataset record, in order of preference: its SQLite file
    (``db_path``), its ``setup_sql``, else its ``schema`` with generated rows."""
    dialect = record.get("dialect") or "sqlite"
    if record.get("db_path"):
        return ScratchDB.from_sqlite_file(Path(record["db_path"])).conn
    if record.get("setup_sql"):
        return ScratchDB.from_setup_sql(record["setup_sql"], dialect).conn
    catalog = Catalog(dialect=dialect)
    apply_ops(catalog, parse_schema_text(record.get("schema") or "", "schema.sql", dialect).ops)
    if not len(catalog):
        raise CatalogError(f"record {record.get('id')}: its schema defines no table")
    return ScratchDB(catalog, rows=EVAL_ROWS, seed=EVAL_SEED).conn


def value_sample(conn: sqlite3.Connection, catalog: Catalog, rows: int = 2000,
                 keys: Collection[str] | None = None) -> ValueSample:
    """The rows a database holds for ``catalog``'s tables (``keys``: only those), read back as
    the value sample of a workspace's seed data, up to ``rows`` per table: what grounding sees
    when the data is a dataset's SQLite file or generated rows. Tables the database lacks are
    left out."""
    from .values import SeedFile

    seed = SeedFile("<database rows>")
    for key, table in catalog.tables.items():
        names = [column.name for column in table.columns.values()]
        if not names or (keys is not None and key not in keys):
            continue
        select = ", ".join(quote(name) for name in names)
        try:
            found = conn.execute(f"SELECT {select} FROM {qualified(table)} LIMIT {int(rows)}").fetchall()
        except sqlite3.Error:
            continue
        # a name spelt with capitals is matched as spelt (created quoted), others case-folded
        ref = (table.schema, False, table.name, table.name != table.name.lower())
        seed.add_rows(ref, [(name, name != name.lower()) for name in names],
                      [[None if value is None else str(value) for value in row] for row in found])
    return seed.resolve(catalog)


def database_key(record: Mapping[str, Any]) -> str:
    """Records with the same key share one database."""
    if record.get("db_path"):
        return f"file:{record['db_path']}"
    return "|".join((record.get("dialect") or "", record.get("schema") or "", record.get("setup_sql") or ""))
