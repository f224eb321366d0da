"""A SELECT with 15,000 projections: semantic tokens and definitions stay right (and
linear: each identifier's lookup uses indexes built once per statement)."""

from __future__ import annotations

from querywright.server.sql.navigation import Place, definition, target_at
from querywright.server.sql.semantic import TokenCache
from querywright.server.sql.text import TextIndex, split_statements

from .cursor_fixtures import shop_catalog

WIDTH = 15_000


def wide_select() -> tuple[str, list[tuple[int, int, str]], dict[str, int]]:
    """The statement (one line), the tokens it must get (character, length, type) and the
    offsets of a few names in it."""
    parts: list[str] = []
    expected: list[tuple[int, int, str]] = []
    at: dict[str, int] = {}
    offset = len("SELECT ")
    for i in range(WIDTH):
        kind = i % 4
        if kind == 0:  # a catalog column
            item = "email"
            expected.append((offset, 5, "property"))
            at["email"] = offset
        elif kind == 1:  # alias.column
            item = "u.name"
            expected += [(offset, 1, "variable"), (offset + 2, 4, "property")]
        elif kind == 2:  # a column renamed: the alias defines a name, it is no token
            item = f"id AS c{i}"
            expected.append((offset, 2, "property"))
            at[f"c{i}"] = offset + len("id AS ")
        else:  # unknown: plain colouring
            item = f"nope{i}"
            at["nope"] = offset
        parts.append(item)
        offset += len(item) + len(", ")
    text = "SELECT " + ", ".join(parts) + " FROM users u ORDER BY c14998, nope"
    table_at = text.index(" FROM users u") + len(" FROM ")
    expected += [(table_at, 5, "class"), (table_at + 6, 1, "variable")]
    order_at = text.index("ORDER BY ") + len("ORDER BY ")
    expected.append((order_at, len("c14998"), "property"))  # a select alias
    at["order_by"] = order_at
    return text, sorted(expected), at


def test_semantic_tokens_of_a_15k_column_select() -> None:
    text, expected, _ = wide_select()
    tokens = TokenCache().tokens(split_statements(text, "postgres"), TextIndex(text), shop_catalog(), 1)
    assert all(t.line == 0 for t in tokens)
    assert [(t.character, t.length, t.type) for t in tokens] == expected
    assert len(tokens) == WIDTH + 3  # four tokens per four projections, table, alias, ORDER BY


def test_definitions_in_a_15k_column_select() -> None:
    text, _, at = wide_select()
    catalog, index = shop_catalog(), TextIndex(text)
    statements = split_statements(text, "postgres")

    ordered = target_at(index, statements, catalog, at["order_by"] + 1)
    assert ordered is not None and ordered.kind == "select_alias" and ordered.name == "c14998"
    alias_at = at["c14998"]
    assert definition(ordered) == [Place(None, index.span(alias_at, alias_at + len("c14998")))]

    column = target_at(index, statements, catalog, at["email"] + 1)  # the last `email`
    assert column is not None and column.kind == "column" and column.table is not None and column.table.name == "users"
    [place] = definition(column)
    assert place.path == "db/migration/V1__create_users.sql" and place.span.start.line == 3

    assert target_at(index, statements, catalog, at["nope"] + 1) is None
