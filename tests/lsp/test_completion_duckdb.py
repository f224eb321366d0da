"""Completion end to end on the analytics example (DuckDB, schemas ``raw`` and ``mart``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import open_document


@pytest.fixture
def workspace(analytics_workspace: Path) -> Path:
    return analytics_workspace


@pytest.fixture
def init_options() -> dict[str, Any]:
    return {}


async def test_schema_prefixed_tables_and_fk_join(lsp_client: LanguageClient, workspace: Path) -> None:
    text = "SELECT *\nFROM mart.fct_daily_activity a\nJOIN "
    uri = open_document(lsp_client, workspace / "queries" / "scratch.sql", text)
    result = await lsp_client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(2, 5))
    )
    assert isinstance(result, types.CompletionList)
    ordered = [i.label for i in sorted(result.items, key=lambda i: (i.sort_text or "", i.label))]
    assert ordered[0] == "mart.dim_users du ON du.user_id = a.user_id"
    assert {"raw.events", "raw.sessions", "mart.active_users"} <= set(ordered)


async def test_columns_of_a_schema_table(lsp_client: LanguageClient, workspace: Path) -> None:
    text = "SELECT e. FROM raw.events e"
    uri = open_document(lsp_client, workspace / "queries" / "cols.sql", text)
    result = await lsp_client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 9))
    )
    assert isinstance(result, types.CompletionList)
    assert [i.label for i in result.items] == ["event_id", "session_id", "user_id", "event_type", "Payload", "occurred_at"]
