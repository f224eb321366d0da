"""The real ``querywright lsp`` over stdio while its Ollama backend is sick.

The backend is ``CannedOllama`` of ``tests/support/fake_ollama.py``, an Ollama-protocol server answering
canned text (so the model costs nothing), made sick on demand: down (port closed), slow
(answers after 10 s; the server's inline timeout is 2 s), dropping the connection after
the first streamed piece, a 200 whose body is not JSON, NDJSON lines that are not UTF-8,
and HTTP 500. For each:

- ``textDocument/inlineCompletion`` answers a valid ``InlineCompletionList`` (empty here:
  nothing the sick backend sent is shown) and the status says the model is offline;
- completion and hover answer while an inline request is still waiting on the model, as
  fast as with a healthy backend (a bound of 1 s against the 2 s inline timeout: a server
  that waited on the model could not make it), and no handler failure is logged;
- the server stays up: a second inline request (the circuit breaker counting) answers
  validly too, deterministic features still answer fast after it, no handler failure.

The first inline request finds the model's warm-up (120 s command timeout) still running
against the slow backend: it waits for it at most the 2 s inline timeout and answers an
empty list, the status saying the model did not answer within 2 s while loading
(``tests/lsp/test_warmup_bound.py`` follows such a warm-up to its end).

The control test asks the same with a healthy backend and gets the canned suggestion, so
the empty answers above are the sickness's doing, not the request's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from lsprotocol.converters import get_converter
from pytest_lsp import LanguageClient

from ..lsp.conftest import TIMEOUT_S, open_document
from ..support.fake_ollama import CannedOllama

# each sickness and what the status bar says of it
SICK = {"down": "is not reachable", "slow": "did not answer within 2 s", "cut": "was cut off",
        "garbage": "sent a malformed response", "non_utf8": "sent text that is not valid UTF-8",
        "http500": "failed (HTTP 500)"}
INLINE_TIMEOUT_MS = 2000
FAST_S = 1.0  # deterministic answers while the model is sick (healthy: tens of ms)
TEXT = "SELECT u.email FROM users u WHERE u.id = 1;\nSELECT \n"
SELECT_END = types.Position(1, 7)  # after "SELECT " on line 2: only the model continues here
CONVERTER = get_converter()


@pytest.fixture
def canned(mode: str) -> Iterator[CannedOllama]:
    with CannedOllama(slow_s=10.0) as server:
        if mode == "down":
            server.stop()
        else:
            server.mode = mode  # type: ignore[assignment]
        yield server


@pytest.fixture
def init_options(canned: CannedOllama) -> dict[str, Any]:
    return {"dialect": "postgres", "model": "ollama:canned", "ollama_host": canned.url,
            "inline": {"debounce_ms": 0, "timeout_ms": INLINE_TIMEOUT_MS, "max_candidates": 1}}


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def inline(client: LanguageClient, uri: str) -> types.InlineCompletionList:
    context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)
    params = types.InlineCompletionParams(context=context, text_document=_doc(uri), position=SELECT_END)
    result = await asyncio.wait_for(client.text_document_inline_completion_async(params), TIMEOUT_S)
    raw = CONVERTER.unstructure(result)
    response = CONVERTER.structure({"jsonrpc": "2.0", "id": 1, "result": raw},
                                   types.InlineCompletionResponse)
    assert isinstance(response.result, types.InlineCompletionList), raw  # valid for its type
    return response.result


async def deterministic(client: LanguageClient, uri: str) -> tuple[float, float]:
    """(completion, hover) round trips in seconds, each checked for its content."""
    started = time.perf_counter()
    completion = await asyncio.wait_for(client.text_document_completion_async(
        types.CompletionParams(text_document=_doc(uri), position=types.Position(0, 9))), TIMEOUT_S)
    completed = time.perf_counter()
    hover = await asyncio.wait_for(client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=types.Position(0, 22))), TIMEOUT_S)
    hovered = time.perf_counter()
    items = completion.items if isinstance(completion, types.CompletionList) else completion
    assert "email" in {item.label for item in items or []}
    assert hover is not None and "users" in hover.contents.value  # type: ignore[union-attr]
    return completed - started, hovered - completed


def errors_logged(client: LanguageClient) -> list[str]:
    return [m.message for m in client.log_messages if m.type == types.MessageType.Error]


@pytest.mark.parametrize("mode", ["ok"])
async def test_healthy_backend_suggests(mode: str, lsp_client: LanguageClient, workspace: Path) -> None:
    """The control: the same request with the backend well gets the canned suggestion."""
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", TEXT)
    result = await inline(lsp_client, uri)
    assert [item.insert_text for item in result.items] == ["id, email FROM users"]


@pytest.mark.parametrize("mode", SICK)
async def test_sick_backend_never_blocks_the_editor(mode: str, canned: CannedOllama,
                                                    lsp_client: LanguageClient,
                                                    workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", TEXT)
    baseline = await deterministic(lsp_client, uri)

    pending = asyncio.ensure_future(inline(lsp_client, uri))
    await asyncio.sleep(0)  # the request is on its way
    during = await deterministic(lsp_client, uri)
    if mode == "slow":
        assert not pending.done(), "the inline request should still be waiting on the model"
    result = await pending
    assert list(result.items) == [], f"{mode}: a sick backend's output was shown: {result.items}"
    assert max(during) < FAST_S, (mode, baseline, during)
    assert canned.generations >= (0 if mode == "down" else 1)  # the model was asked

    again = await inline(lsp_client, uri)  # the breaker counts it; still a valid answer
    assert list(again.items) == []
    statuses = [s["message"] for s in lsp_client.statuses]  # type: ignore[attr-defined]
    assert any(SICK[mode] in s for s in statuses), statuses
    assert max(await deterministic(lsp_client, uri)) < FAST_S
    assert errors_logged(lsp_client) == []
