"""Structural ghost text over stdio (pytest-lsp), on a workspace holding the real Sakila
schema (BSD 2-Clause, tests/sql/fixtures/corpus/LICENSE.sakila): the FK join condition
after ``JOIN payment p ON`` comes back at once with an empty range at the cursor, with
no model configured and with the model's backend down."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from querywright.server.ai.context import inline_context

from .conftest import open_document

SAKILA = Path(__file__).resolve().parents[1] / "sql" / "fixtures" / "corpus"
QUERY = "SELECT c.first_name, p.amount\nFROM customer c\nJOIN payment p ON "


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "sakila"
    (root / "db").mkdir(parents=True)
    (root / "queries").mkdir()
    shutil.copy(SAKILA / "sakila-postgres.sql", root / "db" / "sakila-postgres.sql")
    (root / "querywright.toml").write_text('dialect = "postgres"\nschema_paths = ["db/*.sql"]\nquery_paths = ["queries/**/*.sql"]\n')
    return root


BACKENDS = pytest.mark.parametrize("backend", ["no-model", "backend-down"])


@pytest.fixture
def init_options(backend: str) -> dict[str, Any]:
    if backend == "no-model":
        return {"dialect": "postgres", "model": None}
    # an Ollama backend on a port nothing listens on
    return {"dialect": "postgres", "model": "ollama:smollm2", "ollama_host": "http://127.0.0.1:9", "inline": {"debounce_ms": 500}}


async def _inline(client: LanguageClient, uri: str, position: types.Position) -> list[types.InlineCompletionItem]:
    result = await asyncio.wait_for(
        client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=position,
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
            )
        ),
        30,
    )
    return list(result.items if isinstance(result, types.InlineCompletionList) else result or [])


@BACKENDS
async def test_join_condition_ghost_text_without_the_model(backend: str, lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "join.sql"
    path.write_text(QUERY)
    uri = open_document(lsp_client, path)
    cursor = types.Position(2, len("JOIN payment p ON "))
    items = await _inline(lsp_client, uri, cursor)
    assert [i.insert_text for i in items] == ["p.customer_id = c.customer_id"]
    assert items[0].range == types.Range(cursor, cursor)


@BACKENDS
async def test_insert_column_list_ghost_text(backend: str, lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "insert.sql"
    path.write_text("INSERT INTO category (")
    uri = open_document(lsp_client, path)
    cursor = types.Position(0, len("INSERT INTO category ("))
    items = await _inline(lsp_client, uri, cursor)
    assert [i.insert_text for i in items] == ["name, last_update)"]
    assert items[0].range == types.Range(cursor, cursor)


def test_question_after_blank_line_starts_a_new_statement() -> None:
    text = "SELECT * FROM customer c WHERE c.\n\n-- emails of the customers of store 1\n"
    context = inline_context(text, len(text), "postgres")
    assert context.mode == "comment"
    assert context.question == "emails of the customers of store 1"
    # without the blank line the comment belongs to the statement being written
    inside = "SELECT *\nFROM customer c\n-- only active ones\n"
    assert inline_context(inside, len(inside), "postgres").mode == "continue"
