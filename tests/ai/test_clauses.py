"""Clause boundaries in streamed SQL continuations (``server.ai.clauses``)."""

from __future__ import annotations

import pytest
from querywright.server.ai.clauses import Stop, clause_starts, cut_point, stop_for


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
    assert text[: cut_point(text, Stop(1))] == " as n FROM products"
    assert text[: cut_point(text, Stop(0))] == " as n"
    assert text[: cut_point(text, Stop(2))] == " as n FROM products WHERE id = 1"
    assert cut_point(text, Stop(3)) is None  # may still grow


def test_a_keyword_at_the_start_opens_the_current_clause() -> None:
    text = " WHERE is_active ORDER BY id LIMIT 3"
    assert text[: cut_point(text, Stop(1))] == " WHERE is_active ORDER BY id"
    assert cut_point(" WHERE is_active", Stop(0)) is None


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        (", name, created_at, country", ", name"),  # a comma at the start opens the item
        (" name, created_at", " name"),
        (" FROM users WHERE id = 1", " FROM users"),  # or the FROM clause
        (" as n FROM products", " as n"),
        (" coalesce(a, b), c", " coalesce(a, b)"),  # commas inside parentheses do not count
        (" 'a, b', c", " 'a, b'"),
        (" a /* , */, b", " a /* , */"),  # a comma in a comment does not count, one after it does
        (", name", None),  # may still grow
    ],
)
def test_one_item_stop(text: str, cut: str | None) -> None:
    point = cut_point(text, Stop(one_item=True))
    assert (None if point is None else text[:point]) == cut


@pytest.mark.parametrize(
    ("prefix", "stop"),
    [
        ("SELECT ", Stop(1)),  # an empty select list: the list and FROM
        ("SELECT DISTINCT ", Stop(1)),
        ("SELECT em", Stop(1)),  # the first word being typed
        ("select count(*) ", Stop(one_item=True)),  # items but no FROM: one item or FROM
        ("SELECT email ", Stop(one_item=True)),
        ("SELECT email FR", Stop(one_item=True)),  # FROM is still being typed
        ("SELECT email FROM ", Stop()),
        ("select email from users where ", Stop()),
        ("SELECT * FROM users WHERE id IN (SELECT ", Stop(1)),  # the subquery has no FROM yet
        ("SELECT * FROM users WHERE id IN (SELECT user_id FROM orders) AND ", Stop()),
        ("SELECT 'a (' || ", Stop(one_item=True)),  # a parenthesis in a string opens nothing
        ("WITH t AS (SELECT id FROM users) SELECT ", Stop(1)),  # the main SELECT has no FROM yet
        ("UPDATE users SET ", Stop()),
        ("", Stop()),
    ],
)
def test_stop_for(prefix: str, stop: Stop) -> None:
    assert stop_for(prefix) == stop
