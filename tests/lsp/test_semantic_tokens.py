"""Semantic tokens over LSP: legend from the capabilities, relative encoding."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import open_document


async def test_full_and_range(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", "SELECT u.email\nFROM users u;\nSELECT 1;\n")
    doc = types.TextDocumentIdentifier(uri=uri)
    full = await lsp_client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=doc))
    # (deltaLine, deltaStart, length, type, modifiers); legend: class, interface, property, variable, struct
    assert full is not None and list(full.data) == [
        0, 7, 1, 3, 0,
        0, 2, 5, 2, 0,
        1, 5, 5, 0, 0,
        0, 6, 1, 3, 0,
    ]
    ranged = await lsp_client.text_document_semantic_tokens_range_async(
        types.SemanticTokensRangeParams(text_document=doc, range=types.Range(types.Position(2, 0), types.Position(2, 9)))
    )
    assert ranged is not None and list(ranged.data) == []
