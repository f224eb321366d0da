"""A scratch SQLite database built from the catalog, to run candidate queries on.

Used to rank several valid candidates for one question: candidates that return the same
rows agree, and agreement is evidence (self-consistency). The database is in memory: the
catalog's tables as SQLite DDL (types transpiled with sqlglot), its views (their SELECT
transpiled), and a few generated rows per table whose key columns line up, so joins along
foreign keys find partners. Nothing here touches a real database.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..sql.catalog import Catalog, Column, Table

ROWS_PER_TABLE = 6
QUERY_TIMEOUT_S = 0.5
_TEXT_SAMPLES = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")


@dataclass(frozen=True)
class Outcome:
    """The result of running one query: sorted rows, or the error."""

    rows: tuple[tuple[object, ...], ...] | None
    error: str | None = None

    @property
    def signature(self) -> str | None:
        return None if self.rows is None else repr(self.rows)


def sqlite_type(column: Column, dialect: str) -> str:
    if not column.type:
        return ""
    try:
        return exp.DataType.build(column.type, dialect=dialect).sql("sqlite")
    except (ParseError, TokenError, ValueError):
        return "TEXT"


def _value(table: Table, column: Column, row: int, affinity: str) -> object:
    name = column.name.lower()
    kind = affinity.upper()
    if column.primary_key or name == "id" or name.endswith("_id"):
        return row
    if "BOOL" in column.type.upper():
        return row % 2
    if any(t in kind for t in ("INT", "REAL", "FLOAT", "DOUBLE", "NUMERIC", "DECIMAL")):
        return (row * 7) % 23 + row
    if any(t in column.type.upper() for t in ("TIME", "DATE")):
        return f"2026-0{(row % 9) + 1}-1{row % 10} 10:00:00"
    return f"{_TEXT_SAMPLES[(row - 1) % len(_TEXT_SAMPLES)]}_{table.name}_{row}"


def build_database(catalog: Catalog) -> sqlite3.Connection:
    """An in-memory SQLite database shaped like ``catalog`` with a few rows per table."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    views: list[Table] = []
    for table in catalog:
        if table.kind == "view":
            views.append(table)
            continue
        columns = [(c, sqlite_type(c, catalog.dialect)) for c in table.columns.values()]
        if not columns:
            continue
        ddl = ", ".join(f'"{c.name}" {t}'.rstrip() for c, t in columns)
        try:
            conn.execute(f'CREATE TABLE "{table.name}" ({ddl})')
        except sqlite3.Error:  # a type SQLite cannot spell (domains, enums): untyped columns
            conn.execute(f'CREATE TABLE "{table.name}" ({", ".join(chr(34) + c.name + chr(34) for c, _ in columns)})')
        marks = ", ".join("?" for _ in columns)
        rows = [tuple(_value(table, c, i, t) for c, t in columns) for i in range(1, ROWS_PER_TABLE + 1)]
        conn.executemany(f'INSERT INTO "{table.name}" VALUES ({marks})', rows)
    for view in views:
        if view.definition:
            body = to_sqlite(view.definition, catalog.dialect)
            if body is not None:
                try:
                    conn.execute(f'CREATE VIEW "{view.name}" AS {body}')
                except sqlite3.Error:
                    pass  # a view SQLite cannot express: queries using it fail to run
    conn.commit()
    return conn


def to_sqlite(sql: str, dialect: str) -> str | None:
    try:
        return sqlglot.transpile(sql, read=dialect, write="sqlite")[0]
    except (ParseError, TokenError, IndexError, ValueError):
        return None


def run(conn: sqlite3.Connection, sql: str, dialect: str, timeout_s: float = QUERY_TIMEOUT_S) -> Outcome:
    """Run one read query in a savepoint that is rolled back (writes leave no trace)."""
    translated = to_sqlite(sql, dialect)
    if translated is None:
        return Outcome(None, "cannot transpile to SQLite")
    deadline = time.monotonic() + timeout_s
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        conn.execute("SAVEPOINT qw")
        rows = conn.execute(translated).fetchall()
        return Outcome(tuple(sorted((tuple(r) for r in rows), key=repr)))
    except sqlite3.Error as exc:
        return Outcome(None, str(exc))
    finally:
        conn.execute("ROLLBACK TO qw")
        conn.execute("RELEASE qw")
        conn.set_progress_handler(None, 0)


def agreement_ranking(conn: sqlite3.Connection, candidates: Sequence[str], dialect: str) -> list[tuple[int, int, Outcome]]:
    """``(index, votes, outcome)`` per candidate, best first: candidates whose results
    agree with the most others first (ties: the earlier candidate, i.e. the greedy one);
    candidates that fail to run last."""
    outcomes = [run(conn, sql, dialect) for sql in candidates]
    votes: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.signature is not None:
            votes[outcome.signature] = votes.get(outcome.signature, 0) + 1
    ranked = [(i, votes.get(o.signature, 0) if o.signature is not None else 0, o) for i, o in enumerate(outcomes)]
    ranked.sort(key=lambda item: (-item[1], item[0]))
    return ranked
