"""Incremental changes whose positions lie past the end of a line reach the session as
the client sent them (a character past the end of its line means the end of the line),
whatever the library's own copy of the document does with them."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import change_document, open_document


async def statement_spans(client: LanguageClient, uri: str) -> list[tuple[int, int, int, int]]:
    found = await client.text_document_document_symbol_async(types.DocumentSymbolParams(types.TextDocumentIdentifier(uri)))
    return [(s.range.start.line, s.range.start.character, s.range.end.line, s.range.end.character) for s in found or [] if isinstance(s, types.DocumentSymbol)]


async def test_a_deletion_to_past_the_end_of_the_last_line(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "tail.sql", "SELECT id FROM users WHERE id = 1")
    change_document(lsp_client, uri, 2, (0, 20), (0, 999), "")  # delete " WHERE id = 1"
    assert await statement_spans(lsp_client, uri) == [(0, 0, 0, 20)]  # "SELECT id FROM users"


async def test_a_deletion_across_a_lone_carriage_return(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "cr.sql", "")
    change_document(lsp_client, uri, 2, (0, 0), (0, 0), "\rSELECT 1")
    change_document(lsp_client, uri, 3, (0, 0), (1, 99), "SELECT 22")  # the whole text: \r ends line 0
    assert await statement_spans(lsp_client, uri) == [(0, 0, 0, 9)]
