"""Cursor context analysis: statement choice, replace ranges, scopes, robustness."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.completion import complete
from querywright.server.sql.context import (
    AFTER_EXPRESSION,
    COLUMN,
    EXPRESSION,
    TABLE,
    Clause,
    CursorContext,
    analyze,
)
from querywright.server.sql.workspace import load_catalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIXTURES = Path(__file__).parent / "fixtures"


@cache
def catalog_of(name: str) -> Catalog:
    root = EXAMPLES / name
    config, _problems = load_config(root)
    return load_catalog(root, config).catalog


def at(sql: str, name: str = "shop") -> CursorContext:
    offset = sql.index("|")
    return analyze(sql[:offset] + sql[offset + 1 :], offset, catalog_of(name))


def test_replace_range_covers_the_typed_word() -> None:
    ctx = at("SELECT * FROM users WHERE ema|")
    assert ctx.prefix == "ema"
    assert (ctx.replace_start, ctx.replace_end) == (26, 29)


def test_qualifier_chain_and_word() -> None:
    ctx = at("SELECT public.users.na| FROM users")
    assert [n.text for n in ctx.qualifier] == ["public", "users"]
    assert ctx.prefix == "na"


def test_statement_is_the_one_under_the_cursor() -> None:
    ctx = at("SELECT 1;\nSELECT * FROM orders o WHERE o.|;\nSELECT 3")
    assert ctx.statement is not None and ctx.statement.index == 1
    assert [s.name for s in ctx.sources] == ["o"]


def test_sources_after_the_cursor_and_outer_scope() -> None:
    ctx = at("SELECT * FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE |)")
    assert [s.name for s in ctx.sources] == ["o"]
    assert [s.name for s in ctx.outer_sources] == ["u"]
    assert ctx.clause == Clause.WHERE and ctx.expect == EXPRESSION


def test_joining_source_and_target() -> None:
    ctx = at("SELECT * FROM orders o LEFT JOIN users u ON |")
    assert ctx.joining is not None and ctx.joining.name == "u"
    ctx = at("UPDATE orders SET status = 'x' WHERE |")
    assert ctx.target is not None and ctx.target.written == "orders"
    ctx = at("DELETE FROM orders WHERE |")
    assert ctx.target is not None and ctx.target.written == "orders"


def test_alias_being_typed_is_not_an_alias_yet() -> None:
    ctx = at("SELECT * FROM orders ord|")
    assert ctx.expect not in (TABLE,)
    assert [(s.name, s.aliased) for s in ctx.sources] == [("orders", False)]


def test_expect_positions() -> None:
    assert at("SELECT * FROM users WHERE id |").expect == AFTER_EXPRESSION
    assert at("SELECT * FROM users WHERE id = |").expect == EXPRESSION
    assert at("SELECT * FROM |").expect == TABLE
    assert at("INSERT INTO users (|").expect == COLUMN
    assert at("SELECT a * | FROM users").expect == EXPRESSION


def test_keyword_case_follows_the_statement() -> None:
    assert at("select * from users where |").lowercase
    assert not at("SELECT * FROM users WHERE |").lowercase


def test_unterminated_string_before_the_cursor_means_inside_it() -> None:
    assert at("SELECT * FROM users WHERE name = 'abc |").clause == Clause.NONE


def test_cursor_after_the_semicolon_starts_a_new_statement() -> None:
    assert at("SELECT * FROM users; |").clause == Clause.START
    assert at("SELECT * FROM users |;").clause == Clause.FROM


def test_results_are_cached_per_statement_text() -> None:
    catalog = catalog_of("shop")
    text = "SELECT u. FROM users u JOIN orders o ON o.user_id = u.id"
    first = complete(text, 9, catalog)
    second = complete(text, 9, catalog)
    assert [i.label for i in first.items] == [i.label for i in second.items]
    assert first.context.sources[0] is second.context.sources[0]


def _documents() -> list[Path]:
    return sorted(EXAMPLES.glob("*/queries/**/*.sql")) + sorted((FIXTURES / "checks").glob("*.sql"))


@pytest.mark.parametrize("path", _documents(), ids=lambda p: p.name)
def test_every_offset_of_real_documents_completes(path: Path) -> None:
    """No position of a real document makes completion fail (nor leave the document)."""
    text = path.read_text("utf-8")
    catalog = catalog_of("analytics" if "analytics" in path.as_posix() else "shop")
    for offset in range(0, len(text) + 1, 3):
        result = complete(text, offset, catalog)
        assert 0 <= result.replace[0] <= result.replace[1] <= len(text)
