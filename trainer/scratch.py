"""The scratch SQLite database a trainer query runs on: in memory, built from a schema.

Nothing here touches a real database. Synthesis keeps a generated pair only when its query
runs here; evaluation runs the gold and the predicted query here and compares their rows.
Each use has its own builder, because each has its own rows:

- :class:`ScratchDB` (synthesis): each table's DDL is rendered from the catalog and transpiled
  to SQLite with sqlglot (a plain typed-columns table is the fallback when the transpiled text
  does not run); schemas fold away into one namespace; views are transpiled too. Rows are
  generated per column from its type and name (emails look like emails, ratings run 1-5,
  foreign keys point at existing parent rows), seeded, so the same catalog and seed give the
  same database, and :meth:`ScratchDB.setup_sql` gives the statements that recreate it.
- :func:`build_database` (evaluation), from one record, in order of preference: an existing
  SQLite file (Spider's ``database/<db_id>/<db_id>.sqlite``), copied into memory; the
  record's ``setup_sql`` (CREATE + INSERT, as in the public set), each statement transpiled
  to SQLite; otherwise :func:`from_catalog`: the schema's tables with deterministic rows
  (primary keys count 1..N, foreign keys and ``*_id`` columns point into 1..N so that joins
  match, text columns draw from a small pool so that filters and GROUP BY find repeats). A
  view whose source tables are not part of the schema (a schema slice may carry the view
  alone) becomes a table of generated rows with the view's columns. Schema-qualified tables
  (``sales.orders``) live in an attached in-memory database named after the schema, so
  qualified queries run unchanged. Connections are in autocommit mode, as
  :func:`.metrics.run_query` expects.

``querywright ask`` ranks candidates on :mod:`querywright.server.ai.scratch`, a smaller
database with its own rows and a 0.5 s query limit, sized for the editor's latency.
"""

from __future__ import annotations

import random
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError

from ..server.errors import TrainingError
from ..server.sql.catalog import Catalog, Column, Table
from .metrics import schema_catalog, to_sqlite
from .records import table_ddl


def _quote(name: str) -> str:
    """``name`` as a quoted SQLite identifier."""
    return '"' + name.replace('"', '""') + '"'


# --- synthesis: plausible rows for a catalog -------------------------------------------------

FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra", "Perlman", "Lee"]
WORDS = ["red", "mug", "lamp", "desk", "chair", "garden", "river", "cloud", "stone", "paper", "glass", "cotton", "silver", "ocean"]
CITIES = ["Paris", "Berlin", "Lisbon", "Oslo", "Tokyo", "Lima", "Nairobi", "Toronto", "Sydney", "Madrid"]
COUNTRIES = ["FR", "DE", "PT", "NO", "JP", "PE", "KE", "CA", "AU", "ES"]
STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled"]


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


def _max_length(type_text: str) -> int | None:
    m = re.search(r"(?:CHAR|TEXT|STRING)\s*\(\s*(\d+)", (type_text or "").upper())
    return int(m.group(1)) if m else None


class ValueMaker:
    """Plausible values for one column, from its name and type."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.base = datetime(2024, 1, 1)

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
            elif any(k in name for k in ("year",)):
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
            return rng.choice(COUNTRIES)
        if "city" in name or "location" in name:
            return rng.choice(CITIES)
        if "status" in name or "state" in name:
            return rng.choice(STATUSES)
        if name in ("sku", "code") or name.endswith("_code"):
            return f"{name[:3].upper()}-{i:04d}"
        if "phone" in name:
            return f"+1-555-{rng.randint(1000, 9999)}"
        if "url" in name:
            return f"https://example.com/{rng.choice(WORDS)}/{i}"
        if any(k in name for k in ("body", "description", "comment", "text", "note")):
            return " ".join(rng.choice(WORDS) for _ in range(6))
        return f"{rng.choice(WORDS).title()} {rng.choice(WORDS)}"


def _table_order(catalog: Catalog) -> list[str]:
    """Tables with parents before children (cycles broken arbitrarily but stably)."""
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


def _affinity(column: Column) -> str:
    return {"int": "INTEGER", "number": "REAL", "bool": "INTEGER"}.get(family(column.type), "TEXT")


class ScratchDB:
    """The synthesis database for one catalog: schema, plausible rows, and a runner."""

    def __init__(self, catalog: Catalog, rows: int = 20, seed: int = 0) -> None:
        self.catalog = catalog
        self.conn = sqlite3.connect(":memory:")
        self.rng = random.Random(seed)
        self.tables: list[str] = []  # keys of tables/views that exist here
        self.statements: list[str] = []
        self._create_tables()
        self._fill(rows)
        self._create_views()

    def _run_ddl(self, sql: str) -> bool:
        try:
            self.conn.execute(sql)
        except sqlite3.Error:
            return False
        self.statements.append(sql + ";")
        return True

    def _transpile(self, sql: str) -> str | None:
        try:
            trees = sqlglot.parse(sql, read=self.catalog.dialect)
            if len(trees) != 1 or trees[0] is None:
                return None
            tree = trees[0]
            for node in tree.find_all(exp.Table):  # schemas fold away: one SQLite namespace
                node.set("db", None)
                node.set("catalog", None)
            return tree.sql(dialect="sqlite", identify=True)
        except (ParseError, TokenError, ValueError, RecursionError):
            return None

    def _create_tables(self) -> None:
        for key in _table_order(self.catalog):
            table = self.catalog.tables[key]
            rendered = self._transpile(table_ddl(self.catalog, table).rstrip(";"))
            if rendered is None or not self._run_ddl(rendered):
                cols = ", ".join(f"{_quote(c.name)} {_affinity(c)}" for c in table.columns.values())
                if not cols or not self._run_ddl(f"CREATE TABLE {_quote(table.name)} ({cols})"):
                    continue
            self.tables.append(key)

    def _create_views(self) -> None:
        pending = [k for k in sorted(self.catalog.tables) if self.catalog.tables[k].kind == "view" and self.catalog.tables[k].definition]
        for _round in range(3):
            failed = []
            for key in pending:
                table = self.catalog.tables[key]
                body = self._transpile(table.definition or "")
                if body is None or not self._run_ddl(f"CREATE VIEW {_quote(table.name)} AS {body}"):
                    failed.append(key)
                else:
                    self.tables.append(key)
            pending = failed

    def _fill(self, rows: int) -> None:
        maker = ValueMaker(self.rng)
        created = set(self.tables)
        keys: dict[str, list[Any]] = {}
        for key in self.tables:
            table = self.catalog.tables[key]
            columns = list(table.columns.items())
            fk_of = {c: (fk, i) for fk in table.foreign_keys for i, c in enumerate(fk.columns)}
            data = []
            for i in range(1, rows + 1):
                row = []
                for col_key, column in columns:
                    if col_key in fk_of and fk_of[col_key][0].ref_table in created and keys.get(fk_of[col_key][0].ref_table):
                        row.append(self.rng.choice(keys[fk_of[col_key][0].ref_table]))
                    elif col_key in table.primary_key and len(table.primary_key) == 1 and family(column.type) in ("int", "number"):
                        row.append(i)
                    elif col_key in table.primary_key and len(table.primary_key) == 1:
                        row.append(f"{maker.make(column, i)}-{i}")
                    else:
                        row.append(maker.make(column, i))
                data.append(row)
            pk_index = [i for i, (k, _) in enumerate(columns) if k in table.primary_key]
            if len(pk_index) == 1:
                keys[key] = [r[pk_index[0]] for r in data]
            names = ", ".join(_quote(c.name) for _, c in columns)
            marks = ", ".join("?" for _ in columns)
            insert = f"INSERT OR IGNORE INTO {_quote(table.name)} ({names}) VALUES ({marks})"
            try:
                self.conn.executemany(insert, data)
            except sqlite3.Error:
                continue
            self.statements.extend(_literal_insert(_quote(table.name), names, row) for row in data)
        self.conn.commit()

    # ------------------------------------------------------------------ use

    def has(self, key: str) -> bool:
        return key in self.tables

    def values(self, key: str, column: Column, limit: int = 20) -> list[Any]:
        """Distinct non-null values of a column (for filters that match rows)."""
        table = self.catalog.tables[key]
        col = _quote(column.name)
        sql = f"SELECT DISTINCT {col} FROM {_quote(table.name)} WHERE {col} IS NOT NULL ORDER BY 1 LIMIT {limit}"
        try:
            return [r[0] for r in self.conn.execute(sql).fetchall()]
        except sqlite3.Error:
            return []

    def run(self, sql: str, dialect: str) -> tuple[int | None, str | None]:
        """Run ``sql`` (in ``dialect``) here: (row count, None) or (None, error)."""
        sqlite_sql = self._transpile(sql) if dialect != "sqlite" else sql
        if sqlite_sql is None:
            return None, "transpile-error"
        try:
            return len(self.conn.execute(sqlite_sql).fetchmany(1000)), None
        except sqlite3.Error as exc:
            return None, f"{exc.__class__.__name__}: {exc}"

    def setup_sql(self) -> str:
        """SQLite statements that recreate this database (CREATE + INSERT)."""
        return "\n".join(self.statements)

    def close(self) -> None:
        self.conn.close()


def _literal_insert(name: str, columns: str, row: list[Any]) -> str:
    def lit(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, (int, float)):
            return repr(v)
        return "'" + str(v).replace("'", "''") + "'"

    return f"INSERT INTO {name} ({columns}) VALUES ({', '.join(lit(v) for v in row)});"


# --- evaluation: the database of one record -------------------------------------------------

EVAL_ROWS = 8
EVAL_SEED = 7
_EVAL_WORDS = ("alpha", "beta", "gamma")
_EVAL_STATUS = ("pending", "shipped", "delivered")
_EVAL_COUNTRIES = ("US", "FR", "DE")


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


def _eval_value(table: Table, column: Column, index: int, fk_columns: set[str],
                rng: random.Random) -> Any:
    """A plausible value for row ``index`` (0-based) of ``column``."""
    kind = column.type.upper()
    name = column.name.lower()
    numeric = any(t in kind for t in ("INT", "SERIAL"))
    if column.primary_key and (numeric or not kind) and len(table.primary_key) == 1:
        return index + 1
    if name in fk_columns or (numeric and (name.endswith("_id") or name == "id")):
        return rng.randint(1, EVAL_ROWS)
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
        return _EVAL_COUNTRIES[index % len(_EVAL_COUNTRIES)]
    if "status" in name or "state" in name:
        return _EVAL_STATUS[index % len(_EVAL_STATUS)]
    if column.unique or column.primary_key:
        return f"{name}-{index + 1}"
    return f"{name} {_EVAL_WORDS[index % len(_EVAL_WORDS)]}"


def _qualified(table: Table) -> str:
    return _quote(table.name) if not table.schema else f"{_quote(table.schema)}.{_quote(table.name)}"


def _create_table(conn: sqlite3.Connection, table: Table, rng: random.Random) -> None:
    target = _qualified(table)
    columns = list(table.columns.values())
    definition = ", ".join(f"{_quote(c.name)} {c.type}".rstrip() for c in columns)
    conn.execute(f"CREATE TABLE {target} ({definition})")
    fk_columns = {c.lower() for fk in table.foreign_keys for c in fk.columns}
    marks = ", ".join("?" for _ in columns)
    rows = [[_eval_value(table, c, i, fk_columns, rng) for c in columns] for i in range(EVAL_ROWS)]
    conn.executemany(f"INSERT INTO {target} VALUES ({marks})", rows)


def from_catalog(catalog: Catalog, dialect: str, seed: int = EVAL_SEED) -> sqlite3.Connection:
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
            target = _qualified(view)
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
    """The scratch database for one evaluation record: its SQLite file, else its setup SQL,
    else its schema with generated rows (:func:`from_catalog`)."""
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
