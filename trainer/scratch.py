"""A scratch SQLite database built from any catalog, filled with plausible generated rows.

Each table's DDL is rendered from the catalog and transpiled to SQLite with sqlglot (a plain
typed-columns table is the fallback when the transpiled text does not run); views are
transpiled too. Rows are generated per column from its type and name (emails look like
emails, ratings run 1-5, foreign keys point at existing parent rows), seeded, so the same
catalog and seed give the same database. Synthesis runs every query here before keeping it.
"""

from __future__ import annotations

import random
import re
import sqlite3
from datetime import datetime, timedelta
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..server.sql.catalog import Catalog, Column, Table
from .records import table_ddl

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


def sqlite_name(table: Table) -> str:
    """The table's name in the scratch database (schemas are folded into the name)."""
    return exp.to_identifier(table.name, quoted=True).sql(dialect="sqlite")


class ScratchDB:
    """An in-memory SQLite database for one catalog: schema, rows, and a runner."""

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
                cols = ", ".join(f"{exp.to_identifier(c.name, quoted=True).sql(dialect='sqlite')} {_affinity(c)}" for c in table.columns.values())
                if not cols or not self._run_ddl(f"CREATE TABLE {sqlite_name(table)} ({cols})"):
                    continue
            self.tables.append(key)

    def _create_views(self) -> None:
        pending = [k for k in sorted(self.catalog.tables) if self.catalog.tables[k].kind == "view" and self.catalog.tables[k].definition]
        for _round in range(3):
            failed = []
            for key in pending:
                table = self.catalog.tables[key]
                body = self._transpile(table.definition or "")
                if body is None or not self._run_ddl(f"CREATE VIEW {sqlite_name(table)} AS {body}"):
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
            names = ", ".join(exp.to_identifier(c.name, quoted=True).sql(dialect="sqlite") for _, c in columns)
            marks = ", ".join("?" for _ in columns)
            insert = f"INSERT OR IGNORE INTO {sqlite_name(table)} ({names}) VALUES ({marks})"
            try:
                self.conn.executemany(insert, data)
            except sqlite3.Error:
                continue
            self.statements.extend(_literal_insert(sqlite_name(table), names, row) for row in data)
        self.conn.commit()

    # ------------------------------------------------------------------ use

    def has(self, key: str) -> bool:
        return key in self.tables

    def values(self, key: str, column: Column, limit: int = 20) -> list[Any]:
        """Distinct non-null values of a column (for filters that match rows)."""
        table = self.catalog.tables[key]
        col = exp.to_identifier(column.name, quoted=True).sql(dialect="sqlite")
        sql = f"SELECT DISTINCT {col} FROM {sqlite_name(table)} WHERE {col} IS NOT NULL ORDER BY 1 LIMIT {limit}"
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
