"""Evaluation metrics on hand-checked cases: exact match, validity, execution accuracy."""

from __future__ import annotations

import sqlite3

import pytest
from querywright.server.sql.scratch import ScratchDB
from querywright.trainer import metrics

SETUP = """
CREATE TABLE t (a INT, b TEXT);
INSERT INTO t VALUES (1, 'x');
INSERT INTO t VALUES (2, 'y');
INSERT INTO t VALUES (2, 'y');
INSERT INTO t VALUES (3, 'z');
"""
SCHEMA = "CREATE TABLE users (id INT PRIMARY KEY, name TEXT, country CHAR(2));\n" \
         "CREATE TABLE orders (id INT PRIMARY KEY, user_id INT REFERENCES users (id), total INT);\n"


@pytest.fixture()
def conn() -> sqlite3.Connection:
    return ScratchDB.from_setup_sql(SETUP, "sqlite").conn


@pytest.mark.parametrize(
    ("predicted", "gold", "expected"),
    [
        ("select ID from T;", "SELECT id FROM t", True),  # case, semicolon
        ("SELECT  id\n FROM t  WHERE a=1", "SELECT id FROM t WHERE a = 1", True),  # spacing
        ("SELECT count(*) FROM t", "SELECT COUNT(*) FROM t", True),  # function case
        ("SELECT b FROM t", "SELECT a FROM t", False),
        ("SELECT a AS x FROM t", "SELECT a FROM t", False),  # an alias is a difference
        ('SELECT "A" FROM t', "SELECT a FROM t", False),  # quoted identifiers keep case
        ("SELECT a FROM", "SELECT a FROM t", False),  # unparseable never matches
    ],
)
def test_exact_match(predicted: str, gold: str, expected: bool) -> None:
    assert metrics.exact_match(predicted, gold, "postgres") is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT 1;\nSELECT 2;", "SELECT 1"),
        ("```sql\nSELECT a FROM t;\n```\nexplanation", "SELECT a FROM t"),
        ("  -- comment\nSELECT a\nFROM t", "SELECT a\nFROM t"),
        ("", ""),
    ],
)
def test_first_statement(text: str, expected: str) -> None:
    assert metrics.first_statement(text, "postgres") == expected


@pytest.mark.parametrize(
    ("sql", "valid"),
    [
        ("SELECT u.name, o.total FROM users u JOIN orders o ON o.user_id = u.id", True),
        ("WITH big AS (SELECT user_id FROM orders WHERE total > 10) SELECT user_id FROM big", True),
        ("UPDATE users SET country = 'FR' WHERE id = 1", True),
        ("SELECT nmae FROM users", False),  # unknown column
        ("SELECT name FROM customers", False),  # unknown table
        ("SELECT o.name FROM orders o", False),  # column of the wrong table
        ("SELEC name FROM users", False),  # not a statement
        ("SELECT name FROM users WHERE", False),  # does not parse
        ("", False),
    ],
)
def test_validity(sql: str, valid: bool) -> None:
    catalog = metrics.schema_catalog(SCHEMA, "postgres")
    assert metrics.is_valid(sql, catalog) is valid
    assert bool(metrics.validity_errors(sql, catalog)) is not valid


def test_order_matters_only_for_a_top_level_order_by() -> None:
    assert metrics.has_top_level_order("SELECT a FROM t ORDER BY a", "sqlite")
    assert not metrics.has_top_level_order("SELECT * FROM (SELECT a FROM t ORDER BY a) s", "sqlite")
    assert not metrics.has_top_level_order("SELECT a FROM t", "sqlite")


def test_same_results_multiset_and_list() -> None:
    rows = ((1, "x"), (2, "y"), (2, "y"))
    assert metrics.same_results(((2, "y"), (1, "x"), (2, "y")), rows, ordered=False)
    assert not metrics.same_results(((2, "y"), (1, "x"), (2, "y")), rows, ordered=True)
    assert not metrics.same_results(((1, "x"), (2, "y")), rows, ordered=False)  # multiplicity


@pytest.mark.parametrize(
    ("predicted", "gold", "match"),
    [
        ("SELECT b FROM t WHERE a > 1 AND a < 3", "SELECT b FROM t WHERE a = 2", True),
        ("SELECT DISTINCT b FROM t WHERE a = 2", "SELECT b FROM t WHERE a = 2", False),  # 1 row vs 2
        ("SELECT a FROM t ORDER BY a", "SELECT a FROM t", True),  # gold unordered: multiset
        ("SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY a DESC", False),  # gold ordered
        ("SELECT a FROM t ORDER BY a DESC, b", "SELECT a FROM t ORDER BY a DESC", True),
        ("SELECT AVG(a) FROM t WHERE a = 2", "SELECT 2", True),  # 2.0 == 2
        ("SELECT a, b FROM t", "SELECT b, a FROM t", False),  # column order is part of the answer
        ("SELECT nope FROM t", "SELECT a FROM t", False),  # prediction fails
        ("", "SELECT a FROM t", False),
        ("DELETE FROM t WHERE b = 'y'", "DELETE FROM t WHERE a = 2", True),  # same end state
        ("DELETE FROM t", "DELETE FROM t WHERE a = 2", False),
    ],
)
def test_execution_match(conn: sqlite3.Connection, predicted: str, gold: str, match: bool) -> None:
    outcome = metrics.execution_match(conn, predicted, gold, "sqlite")
    assert outcome.match is match
    # every query ran in a rolled-back transaction: the data is untouched
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (4,)


def test_gold_that_fails_counts_nowhere(conn: sqlite3.Connection) -> None:
    outcome = metrics.execution_match(conn, "SELECT a FROM t", "SELECT missing FROM t", "sqlite")
    assert outcome.match is None and "missing" in (outcome.gold_error or "")
    assert outcome.gold_rows is None


@pytest.mark.parametrize(
    ("predicted", "gold", "match", "gold_rows"),
    [
        ("SELECT a FROM t WHERE a > 9", "SELECT a FROM t WHERE a < 0", True, 0),  # both empty
        ("SELECT a FROM t WHERE a > 9", "SELECT a FROM t WHERE a = 2", False, 2),
        ("SELECT nope FROM t", "SELECT a FROM t", False, 4),  # prediction fails
        ("", "SELECT b FROM t WHERE a = 1", False, 1),  # empty prediction
    ],
)
def test_the_outcome_counts_the_rows_gold_returns(conn: sqlite3.Connection, predicted: str,
                                                  gold: str, match: bool, gold_rows: int) -> None:
    outcome = metrics.execution_match(conn, predicted, gold, "sqlite")
    assert outcome.match is match and outcome.gold_rows == gold_rows


def test_runaway_query_times_out(conn: sqlite3.Connection) -> None:
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
    outcome = metrics.execution_match(conn, endless, "SELECT a FROM t", "sqlite", timeout_s=0.2)
    assert outcome.match is False and "timed out" in (outcome.predicted_error or "")


def test_other_dialects_are_transpiled_to_sqlite(conn: sqlite3.Connection) -> None:
    outcome = metrics.execution_match(conn, "SELECT CAST(a AS TEXT) FROM t", "SELECT a::text FROM t",
                                      "postgres")
    assert outcome.match is True
