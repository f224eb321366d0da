"""Clause boundaries in streamed SQL continuations (``server.ai.clauses``)."""

from __future__ import annotations

import pytest
from querywright.server.ai.clauses import clause_starts, clauses_to_add, cut_point


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        (" * FROM products WHERE id = 1", [3, 17]),
        (" orders o LEFT OUTER JOIN users u ON u.id = o.user_id WHERE ", [10, 54]),
        (" a FROM t GROUP BY a ORDER BY a LIMIT 5", [3, 10, 21, 32]),
        (" x FROM (SELECT a FROM b WHERE c) t", [3]),  # inside parentheses: not top level
        (" 'FROM x' FROM t", [10]),  # inside a string
        (' "where" FROM t', [9]),  # a quoted identifier
        (" a -- FROM here\n FROM t", [17]),  # inside a comment
        (" a FROM orders ORDER", [3]),  # ORDER without BY is no clause yet
        (" a FROM orders ORDER BY", [3, 15]),  # capitals at the end: a whole keyword
        (" a FROM orders where", [3]),  # lower case at the end: may become "whereas"
        (" a from orders where x", [3, 15]),
        (" ORDERS", []),
        (" fromage, wherever FROM t", [19]),  # keywords inside words do not count
        (" u.from FROM t", [8]),  # a column named like a keyword
        (" a FROM t WHERE 'open FROM x", [3, 10]),  # nothing after an unterminated quote counts
        (" x) WHERE y", [4]),  # closing a parenthesis opened before the cursor
        (" count(*) FROM(SELECT 1) s", [10]),
        ("", []),
    ],
)
def test_clause_starts(text: str, starts: list[int]) -> None:
    assert clause_starts(text) == starts


def test_cut_point_keeps_the_current_clause_and_n_more() -> None:
    text = " as n FROM products WHERE id = 1 ORDER BY id "
    assert text[: cut_point(text, 1)] == " as n FROM products"
    assert text[: cut_point(text, 0)] == " as n"
    assert text[: cut_point(text, 2)] == " as n FROM products WHERE id = 1"
    assert cut_point(text, 3) is None  # may still grow


def test_a_keyword_at_the_start_opens_the_current_clause() -> None:
    text = " WHERE is_active ORDER BY id LIMIT 3"
    assert text[: cut_point(text, 1)] == " WHERE is_active ORDER BY id"
    assert cut_point(" WHERE is_active", 0) is None


@pytest.mark.parametrize(
    ("prefix", "clauses"),
    [
        ("SELECT ", 1),  # a SELECT without FROM: the suggestion may add FROM
        ("select count(*) ", 1),
        ("SELECT email FR", 1),  # FROM is still being typed
        ("SELECT email FROM ", 0),
        ("select email from users where ", 0),
        ("SELECT * FROM users WHERE id IN (SELECT ", 1),  # the subquery has no FROM yet
        ("SELECT * FROM users WHERE id IN (SELECT user_id FROM orders) AND ", 0),
        ("SELECT 'a (' || ", 1),  # a parenthesis in a string opens nothing
        ("WITH t AS (SELECT id FROM users) SELECT ", 1),  # the main SELECT has no FROM yet
        ("UPDATE users SET ", 0),
        ("", 0),
    ],
)
def test_clauses_to_add(prefix: str, clauses: int) -> None:
    assert clauses_to_add(prefix) == clauses
