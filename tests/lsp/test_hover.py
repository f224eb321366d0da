"""Hover over tables, columns and aliases of the shop example."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import open_document, position_of


async def hover(client: LanguageClient, uri: str, position: types.Position) -> types.Hover | None:
    return await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position))


async def test_hover_column_shows_type_constraints_and_origin(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    text = path.read_text()
    result = await hover(lsp_client, uri, position_of(text, "u.email", 3))
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    value = result.contents.value
    assert "users.email" in value
    assert "VARCHAR(255) NOT NULL UNIQUE" in value
    assert "db/migration/V1__create_users.sql` line 4" in value
    start = position_of(text, "u.email", 2)
    assert result.range == types.Range(start, types.Position(start.line, start.character + 5))


async def test_hover_foreign_key_column_names_its_target(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    result = await hover(lsp_client, uri, position_of(path.read_text(), "o.user_id", 3))
    assert result is not None
    assert "references `users(id)`" in result.contents.value  # type: ignore[union-attr]


async def test_hover_table_lists_columns_comment_and_references(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    result = await hover(lsp_client, uri, position_of(path.read_text(), "users u", 1))
    value = result.contents.value  # type: ignore[union-attr]
    assert value.startswith("**table** `users`")
    assert "Customers of the shop" in value
    assert "| is_active | `BOOLEAN NOT NULL DEFAULT TRUE` |" in value


async def test_hover_alias_describes_its_table(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    result = await hover(lsp_client, uri, position_of(path.read_text(), "o.ordered_at", 0))
    assert result is not None
    assert result.contents.value.startswith("alias `o` for table `orders`")  # type: ignore[union-attr]


async def test_hover_on_keyword_or_unknown_document_is_empty(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    assert await hover(lsp_client, uri, types.Position(1, 2)) is None  # SELECT
    assert await hover(lsp_client, (workspace / "nope.sql").as_uri(), types.Position(0, 0)) is None
    assert await hover(lsp_client, uri, types.Position(10_000, 500)) is None
