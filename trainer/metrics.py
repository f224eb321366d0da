"""Score one predicted SQL query against its gold query: valid, exact match, same results.

- ``is_valid``: the prediction parses in the record's dialect and every table and column it
  names exists in the record's schema (the same checks the editor runs on a suggestion).
- ``exact_match``: both queries are equal after sqlglot normalisation (identifiers folded by
  the dialect's rules, keywords and spacing canonical, trailing semicolons dropped).
- ``execution_match``: both queries run on the same scratch SQLite database
  (:mod:`.scratch`) and return the same rows, compared as multisets unless the gold query
  orders its result (a top-level ORDER BY), then as lists. Statements that return no rows
  (INSERT, UPDATE, DELETE) are compared by the database contents they leave behind; every
  query runs inside a transaction that is rolled back, so one prediction never affects the next.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..server.sql.catalog import Catalog
from ..server.sql.checks import check_sql
from ..server.sql.issues import Severity
from ..server.sql.replay import apply_ops
from ..server.sql.text import split_statements
from ..server.sql.workspace import parse_schema_text

MAX_ROWS = 10_000
DEFAULT_TIMEOUT_S = 5.0

Row = tuple[Any, ...]


@dataclass(frozen=True)
class QueryResult:
    """Rows a query returned (or the state it left), or the error that stopped it."""

    rows: tuple[Row, ...] | None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


# --- text-level metrics ---------------------------------------------------------------------


def first_statement(text: str, dialect: str) -> str:
    """The first SQL statement of a model's output, without code fences or a trailing ``;``."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.split("```", 1)[0]
    for statement in split_statements(body, dialect):
        code = statement.code.strip().rstrip(";").strip()
        if code:
            return code
    return ""


def normalize_sql(sql: str, dialect: str) -> str | None:
    """Canonical text of ``sql`` (None when it does not parse as exactly one statement)."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except SqlglotError:
        return None
    if len(trees) != 1:
        return None
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    tree = normalize_identifiers(trees[0], dialect=dialect)
    return tree.sql(dialect=dialect, normalize=True, normalize_functions="upper", pretty=False)


def exact_match(predicted: str, gold: str, dialect: str) -> bool:
    left, right = normalize_sql(predicted, dialect), normalize_sql(gold, dialect)
    return left is not None and left == right


def schema_catalog(schema_sql: str, dialect: str) -> Catalog:
    """A core ``Catalog`` from a record's CREATE statements."""
    catalog = Catalog(dialect=dialect)
    apply_ops(catalog, parse_schema_text(schema_sql, "schema.sql", dialect).ops)
    return catalog


def _not_a_statement(sql: str, dialect: str) -> str | None:
    """Why ``sql`` is not one query or data statement (``SELEC x`` parses as an expression)."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except SqlglotError as exc:
        return f"does not parse: {str(exc).splitlines()[0]}"
    if len(trees) != 1:
        return f"expected one statement, got {len(trees)}"
    if not isinstance(trees[0], (exp.Query, exp.DML, exp.DDL)):
        return f"not a SQL statement: {sql.split()[0]!r}"
    return None


def validity_errors(sql: str, catalog: Catalog) -> list[str]:
    """Why ``sql`` is not valid against ``catalog`` (empty: valid)."""
    if not sql.strip():
        return ["empty prediction"]
    problem = _not_a_statement(sql, catalog.dialect)
    if problem is not None:
        return [problem]
    return [issue.message for issue in check_sql(sql, catalog) if issue.severity is Severity.ERROR]


def is_valid(sql: str, catalog: Catalog) -> bool:
    return not validity_errors(sql, catalog)


# --- execution ------------------------------------------------------------------------------


def to_sqlite(sql: str, dialect: str) -> str:
    """``sql`` transpiled to SQLite; unchanged when it is SQLite already or cannot be read."""
    if dialect in ("sqlite", ""):
        return sql
    try:
        out = sqlglot.transpile(sql, read=dialect, write="sqlite")
    except SqlglotError:
        return sql
    return out[0] if len(out) == 1 else sql


def has_top_level_order(sql: str, dialect: str) -> bool:
    """Whether the outermost query sorts its rows (then row order is part of the answer)."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return "order by" in sql.lower()
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    return tree is not None and tree.args.get("order") is not None


def _normalize_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        rounded = round(value, 6)
        return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return value


def normalize_rows(rows: Sequence[Sequence[Any]]) -> tuple[Row, ...]:
    return tuple(tuple(_normalize_value(v) for v in row) for row in rows)


def _sort_key(row: Row) -> tuple[tuple[int, str], ...]:
    return tuple((0, "") if v is None else (1, repr(v)) for v in row)


def same_results(predicted: tuple[Row, ...], gold: tuple[Row, ...], ordered: bool) -> bool:
    """Rows equal as lists when ``ordered``, else as multisets."""
    if ordered:
        return predicted == gold
    return Counter(predicted) == Counter(gold)


def database_state(conn: sqlite3.Connection) -> tuple[Row, ...]:
    """Every row of every table, sorted: what a data-changing statement is judged by."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    state: list[Row] = []
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        rows = normalize_rows(conn.execute(f"SELECT * FROM {quoted}").fetchmany(MAX_ROWS))
        state.extend((name, *row) for row in sorted(rows, key=_sort_key))
    return tuple(state)


def run_query(conn: sqlite3.Connection, sql: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> QueryResult:
    """Run ``sql`` (SQLite) inside a rolled-back transaction, stopping it after ``timeout_s``.

    ``conn`` must be in autocommit mode (``isolation_level=None``).
    """
    started = time.monotonic()
    deadline = started + timeout_s
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    conn.execute("BEGIN")
    try:
        cursor = conn.execute(sql)
        if cursor.description is None:
            rows = database_state(conn)
        else:
            rows = normalize_rows(cursor.fetchmany(MAX_ROWS))
        return QueryResult(rows, None, time.monotonic() - started)
    except sqlite3.OperationalError as exc:
        timed_out = time.monotonic() > deadline
        message = f"timed out after {timeout_s:g} s" if timed_out else str(exc)
        return QueryResult(None, message, time.monotonic() - started)
    except (sqlite3.Error, sqlite3.Warning, OverflowError, ValueError) as exc:
        return QueryResult(None, f"{type(exc).__name__}: {exc}", time.monotonic() - started)
    finally:
        conn.set_progress_handler(None, 0)
        if conn.in_transaction:
            conn.execute("ROLLBACK")


@dataclass(frozen=True)
class ExecutionOutcome:
    """Execution verdict for one prediction: ``match`` is None when the gold query itself fails
    (the example then counts in no execution figure). ``gold_rows``: how many rows the gold
    query returned (for a data-changing statement, rows of the state it left); None when it
    failed."""

    match: bool | None
    gold_error: str | None = None
    predicted_error: str | None = None
    gold_rows: int | None = None


def execution_match(
    conn: sqlite3.Connection,
    predicted_sql: str,
    gold_sql: str,
    dialect: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> ExecutionOutcome:
    """Run gold and prediction (both transpiled to SQLite) on ``conn`` and compare results."""
    gold = run_query(conn, to_sqlite(gold_sql, dialect), timeout_s)
    if not gold.ok:
        return ExecutionOutcome(None, gold_error=gold.error)
    assert gold.rows is not None
    gold_rows = len(gold.rows)
    if not predicted_sql.strip():
        return ExecutionOutcome(False, predicted_error="empty prediction", gold_rows=gold_rows)
    predicted = run_query(conn, to_sqlite(predicted_sql, dialect), timeout_s)
    if not predicted.ok:
        return ExecutionOutcome(False, predicted_error=predicted.error, gold_rows=gold_rows)
    assert predicted.rows is not None
    ordered = has_top_level_order(gold_sql, dialect)
    return ExecutionOutcome(same_results(predicted.rows, gold.rows, ordered), gold_rows=gold_rows)
