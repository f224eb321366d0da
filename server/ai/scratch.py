"""A scratch SQLite database built from the catalog, to run candidate queries on.

Used to choose among candidates for one question by execution (``execution_ranking``): a
candidate that fails to run loses, one that returns rows beats one that returns none,
and candidates that return the same rows agree (self-consistency). The database is in
memory: the catalog's tables as SQLite DDL (types transpiled with sqlglot), its views
(their SELECT transpiled), and a few rows per table whose key columns line up, so joins
along foreign keys find partners. Non-key values come from the workspace's data when a
value sample is given (the values a question mentions first, so that a filter on
``'Comedy'`` finds its row), else they are generated. Nothing here touches a real database.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..sql.catalog import Catalog, Column, Table
from ..sql.values import ValueSample

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


def _is_key(column: Column) -> bool:
    name = column.name.lower()
    return column.primary_key or name == "id" or name.endswith("_id")


def _value(table: Table, column: Column, row: int, affinity: str) -> object:
    kind = affinity.upper()
    if _is_key(column):
        return row
    if "BOOL" in column.type.upper():
        return row % 2
    if any(t in kind for t in _NUMERIC):
        return (row * 7) % 23 + row
    if any(t in column.type.upper() for t in ("TIME", "DATE")):
        return f"2026-0{(row % 9) + 1}-1{row % 10} 10:00:00"
    return f"{_TEXT_SAMPLES[(row - 1) % len(_TEXT_SAMPLES)]}_{table.name}_{row}"


_NUMERIC = ("INT", "REAL", "FLOAT", "DOUBLE", "NUMERIC", "DECIMAL")


class _Mentioned(Protocol):
    table_key: str
    column_key: str
    value: str


def _data_values(table_key: str, column_key: str, affinity: str, sample: ValueSample | None, first: Sequence[str]) -> list[object]:
    """Values of the data for one column: the mentioned ones first, then the sample's."""
    raw = list(dict.fromkeys([*first, *(sample.columns[(table_key, column_key)].values if sample and (table_key, column_key) in sample.columns else ())]))
    numeric = any(t in affinity.upper() for t in _NUMERIC)
    out: list[object] = []
    for value in raw[:ROWS_PER_TABLE]:
        if numeric:
            try:
                out.append(float(value) if "." in value else int(value))
            except ValueError:
                continue
        else:
            out.append(value)
    return out


def build_database(catalog: Catalog, sample: ValueSample | None = None, mentioned: Sequence[_Mentioned] = ()) -> sqlite3.Connection:
    """An in-memory SQLite database shaped like ``catalog`` with a few rows per table;
    non-key columns hold values of ``sample`` (``mentioned`` ones first) where it has any."""
    first: dict[tuple[str, str], list[str]] = {}
    for match in mentioned:
        first.setdefault((match.table_key, match.column_key), []).append(match.value)
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
        data = {
            c.name: _data_values(table.key or table.name, key, t, sample, first.get((table.key or table.name, key), ()))
            for (key, c), (_, t) in zip(table.columns.items(), columns)
            if not _is_key(c)
        }  # fmt: skip
        rows = [
            tuple(data[c.name][(i - 1) % len(data[c.name])] if data.get(c.name) else _value(table, c, i, t) for c, t in columns)
            for i in range(1, ROWS_PER_TABLE + 1)
        ]  # fmt: skip
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


def execution_ranking(outcomes: Sequence[Outcome]) -> list[int]:
    """Indexes of ``outcomes``, best first: those that ran before those that failed, those
    with rows before empty ones, then by how many others returned the same rows; ties keep
    the given order (the greedy candidate first)."""
    votes: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.signature is not None:
            votes[outcome.signature] = votes.get(outcome.signature, 0) + 1

    def key(i: int) -> tuple[int, int, int, int]:
        o = outcomes[i]
        if o.rows is None:
            return (1, 1, 0, i)
        return (0, 0 if o.rows else 1, -votes[o.signature or ""], i)

    return sorted(range(len(outcomes)), key=key)


def agreement_ranking(conn: sqlite3.Connection, candidates: Sequence[str], dialect: str) -> list[tuple[int, int, Outcome]]:
    """``(index, votes, outcome)`` per candidate, best first (``execution_ranking`` over
    their outcomes on ``conn``)."""
    outcomes = [run(conn, sql, dialect) for sql in candidates]
    votes: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.signature is not None:
            votes[outcome.signature] = votes.get(outcome.signature, 0) + 1
    return [(i, votes.get(outcomes[i].signature or "", 0) if outcomes[i].signature is not None else 0, outcomes[i]) for i in execution_ranking(outcomes)]
