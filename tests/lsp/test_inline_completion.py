"""Inline completion and comment -> SQL end to end with the REAL SmolLM2-135M weights:
through the embedded llama.cpp engine, and through the Ollama HTTP protocol.

No Ollama server can be installed on the machines these tests run on, so the Ollama path
talks to ``tests/support/fake_ollama.py``: a stand-in server on 127.0.0.1 speaking
Ollama's documented API and answering from the same real GGUF model. The client under
test (the ``ollama`` package inside ``querywright lsp``) is the real one.

Every suggestion shown must parse and reference only catalog objects. The base model is
weak (see bench/RESULTS.md), so a test may get no suggestion; it then asserts that the
server said so in ``querywright/status`` ("no valid suggestion"), never that an invalid
suggestion was hidden silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from querywright.server.ai.models import SMOLLM2_135M, pull_model
from querywright.server.ai.validate import validate_candidate, validate_statement
from querywright.server.config import load_config
from querywright.server.sql.workspace import load_catalog

from ..support.fake_ollama import FakeOllama
from ..support.lsp_client import as_dict
from .conftest import EXAMPLE, TIMEOUT_S, open_document, wait_for_status

pytestmark = [pytest.mark.model, pytest.mark.parametrize("backend", ["embedded", "ollama"])]
MODEL_TIMEOUT_S = 240  # first load + a cold 300-token prompt on a busy 2-core machine


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOllama]:
    gguf = pull_model(SMOLLM2_135M)
    with FakeOllama(n_ctx=2048, n_threads=1) as server:
        server.add_model("smollm2", gguf)
        yield server


@pytest.fixture
def init_options(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    inline = {"debounce_ms": 0, "max_candidates": 2, "timeout_ms": 60_000}  # the schema's maximum
    if backend == "embedded":
        return {"dialect": "postgres", "model": "builtin:smollm2-135m", "inline": inline}
    server = request.getfixturevalue("fake_server")
    return {"dialect": "postgres", "model": "ollama:smollm2", "ollama_host": server.url, "inline": inline}


def _catalog():  # type: ignore[no-untyped-def]
    config, _ = load_config(EXAMPLE)
    return load_catalog(EXAMPLE, config).catalog


async def _inline(client: LanguageClient, uri: str, position: types.Position) -> tuple[list[types.InlineCompletionItem], list[dict[str, Any]]]:
    """Inline items at ``position`` and the statuses sent while they were computed (the
    server sends its "no valid suggestion" status before it answers)."""
    statuses: list[dict[str, Any]] = client.statuses  # type: ignore[attr-defined]
    seen = len(statuses)
    result = await asyncio.wait_for(
        client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=position,
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
            )
        ),
        MODEL_TIMEOUT_S,
    )
    items = list(result.items if isinstance(result, types.InlineCompletionList) else result or [])
    return items, statuses[seen:]


def _assert_valid_or_explained(items: list[types.InlineCompletionItem], statuses: list[dict[str, Any]], prefix: str, position: types.Position) -> None:
    catalog = _catalog()
    for item in items:
        assert item.range == types.Range(position, position)
        statement = prefix + str(item.insert_text)
        verdict = validate_statement(statement.rstrip().rstrip(";"), catalog)
        assert verdict.ok, f"shown suggestion is invalid: {statement!r}: {verdict.reason}"
    if not items:
        assert any("no valid suggestion" in s["message"] or "no valid SQL" in s["message"] for s in statuses), statuses


async def test_inline_completion_continues_statement(backend: str, lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "inline.sql"
    text = "SELECT email FROM "
    path.write_text(text)
    uri = open_document(lsp_client, path)
    position = types.Position(0, len(text))
    items, statuses = await _inline(lsp_client, uri, position)
    assert items, statuses  # the real model names a table here (greedy, so every run)
    _assert_valid_or_explained(items, statuses, text, position)
    assert " WHERE" not in str(items[0].insert_text)  # it stops where the FROM clause ends


async def test_select_list_gets_one_more_item_or_from(backend: str, lsp_client: LanguageClient, workspace: Path) -> None:
    """Before FROM, a suggestion adds one select item (every column of one table) or
    the FROM clause."""
    path = workspace / "queries" / "inline_list.sql"
    text = "SELECT email "
    path.write_text(text)
    uri = open_document(lsp_client, path)
    position = types.Position(0, len(text))
    items, statuses = await _inline(lsp_client, uri, position)
    for item in items:
        verdict = validate_candidate(str(item.insert_text), _catalog(), prefix=text, partial=True)
        assert verdict.ok, f"shown suggestion is invalid: {text + str(item.insert_text)!r}: {verdict.reason}"
        assert str(item.insert_text).count(",") <= 1
    if not items:
        assert any("no valid suggestion" in s["message"] for s in statuses), statuses


async def test_comment_line_gets_whole_statement(backend: str, lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "ask.sql"
    text = "-- list the email of every user\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    position = types.Position(1, 0)  # the last, empty line
    items, statuses = await _inline(lsp_client, uri, position)
    _assert_valid_or_explained(items, statuses, "", position)
    for item in items:
        assert str(item.insert_text).upper().startswith("SELECT")


async def test_cursor_past_the_end_does_not_fail(backend: str, lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "edge.sql"
    text = "-- count the users\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    items, statuses = await _inline(lsp_client, uri, types.Position(5, 40))
    _assert_valid_or_explained(items, statuses, "", types.Position(1, 0))


async def test_generate_from_comment_command(backend: str, lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "gen.sql"
    text = "-- how many users are there\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    edits: list[types.ApplyWorkspaceEditParams] = []

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    result = as_dict(await asyncio.wait_for(
        lsp_client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="querywright.generateFromComment", arguments=[{"uri": uri, "line": 0}])
        ),
        MODEL_TIMEOUT_S,
    ))
    if result["sql"] is None:
        assert result["message"].startswith("no valid SQL"), result
        assert edits == []
        return
    assert validate_statement(result["sql"].rstrip(";"), _catalog()).ok
    assert len(edits) == 1


async def test_list_and_set_model(backend: str, lsp_client: LanguageClient) -> None:
    models = await lsp_client.workspace_execute_command_async(types.ExecuteCommandParams(command="querywright.listModels"))
    refs = [as_dict(m)["ref"] for m in models]
    assert "builtin:smollm2-135m" in refs
    answer = as_dict(await lsp_client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="querywright.setModel", arguments=[{"ref": "builtin:smollm2-135m"}])
    ))
    assert answer == {"model": "builtin:smollm2-135m"}


async def test_set_model_to_missing_file_disables_with_reason(backend: str, lsp_client: LanguageClient, workspace: Path) -> None:
    since = len(lsp_client.statuses)  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="model file not found"):
        await lsp_client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="querywright.setModel", arguments=[{"ref": str(workspace / "missing.gguf")}])
        )
    sent = await wait_for_status(lsp_client, since, lambda s: s["backend"] == "disabled")
    assert "model file not found" in sent["message"]
    path = workspace / "queries" / "after.sql"
    path.write_text("SELECT email FROM ")
    uri = open_document(lsp_client, path)
    result = await lsp_client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(0, 18),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
    )
    assert result is None  # no model: no suggestions, and nothing else waits on it


async def test_cancel_and_hover_while_generating(backend: str, lsp_client: LanguageClient, workspace: Path) -> None:
    """A pending suggestion never blocks the deterministic features, and ``$/cancelRequest``
    ends it with RequestCancelled (the handler's event stops the backend)."""
    path = workspace / "queries" / "busy.sql"
    text = "SELECT email FROM users;\n-- every product with its title and price\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(2, 0),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
    )
    pending = lsp_client.protocol.send_request(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="inline-1")
    hover = await asyncio.wait_for(
        lsp_client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 8))
        ),
        TIMEOUT_S,
    )
    assert hover is not None and "email" in str(hover.contents)
    lsp_client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="inline-1"))
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wait_for(asyncio.wrap_future(pending), MODEL_TIMEOUT_S)
    assert raised.value.code == types.LSPErrorCodes.RequestCancelled
    # The server is still serving suggestions afterwards.
    items, statuses = await _inline(lsp_client, uri, types.Position(2, 0))
    _assert_valid_or_explained(items, statuses, "", types.Position(2, 0))
