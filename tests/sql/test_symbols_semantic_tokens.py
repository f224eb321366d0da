"""Semantic tokens: resolved names only, shifted to each statement's place, cached."""

from __future__ import annotations

from querywright.server.sql.semantic import TokenCache, statement_tokens
from querywright.server.sql.text import TextIndex, split_statements

from .cursor_fixtures import shop_catalog


def named(text: str, generation: int = 1) -> list[tuple[int, str, str]]:
    tokens = TokenCache().tokens(split_statements(text, "postgres"), TextIndex(text), shop_catalog(), generation)
    lines = text.split("\n")
    return [(t.line, t.type, lines[t.line][t.character : t.character + t.length]) for t in tokens]


def test_tables_views_columns_aliases_ctes() -> None:
    text = "-- x\nWITH r AS (SELECT product_id FROM product_ratings)\nSELECT p.sku, nope, r.product_id FROM products p JOIN r ON r.product_id = p.id;"
    assert named(text) == [
        (1, "struct", "r"),
        (1, "property", "product_id"),
        (1, "interface", "product_ratings"),
        (2, "variable", "p"),
        (2, "property", "sku"),
        (2, "struct", "r"),
        (2, "property", "product_id"),
        (2, "class", "products"),
        (2, "variable", "p"),
        (2, "struct", "r"),
        (2, "struct", "r"),
        (2, "property", "product_id"),
        (2, "variable", "p"),
        (2, "property", "id"),
    ]


def test_second_statement_on_the_same_line_is_shifted() -> None:
    assert named("SELECT 1; SELECT email FROM users") == [(0, "property", "email"), (0, "class", "users")]


def test_broken_statement_has_no_tokens() -> None:
    [statement] = split_statements("SELECT FROM WHERE users", "postgres")
    assert statement_tokens(statement, shop_catalog()) == []
