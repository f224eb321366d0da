"""The status names what actually answers: ``ollama:NAME`` configured, no Ollama server
listening at ``ollama_host``, the built-in model (the user's model cache) serves instead,
and ``querywright/status`` says so ("builtin:smollm2-135m (fallback: ollama:NAME
unreachable)"), never "ollama:NAME ready". Real ``querywright lsp`` over stdio; the port
is one a real server listened on and closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..ai.conftest import smollm2_gguf  # noqa: F401  (fixture: the real SmolLM2 GGUF)
from ..support.fake_ollama import CannedOllama
from .conftest import open_document, wait_for_status

pytestmark = pytest.mark.model
MODEL_TIMEOUT_S = 240  # first load of the fallback on a busy 2-core machine
FALLBACK = "builtin:smollm2-135m (fallback: ollama:canned unreachable)"


@pytest.fixture
def ollama(smollm2_gguf: Path) -> Iterator[CannedOllama]:  # noqa: F811
    """An Ollama-protocol server that is down: its port was open and is closed now
    (``start()`` opens it again)."""
    server = CannedOllama().start()
    server.stop()
    yield server
    server.stop()


@pytest.fixture
def init_options(ollama: CannedOllama) -> dict[str, Any]:
    return {"dialect": "postgres", "model": "ollama:canned", "ollama_host": ollama.url,
            "inline": {"debounce_ms": 0, "timeout_ms": 60_000, "max_candidates": 1}}


async def _inline(client: LanguageClient, uri: str, position: types.Position) -> types.InlineCompletionList | None:
    context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)
    params = types.InlineCompletionParams(context=context, text_document=types.TextDocumentIdentifier(uri=uri),
                                          position=position)
    return await asyncio.wait_for(client.text_document_inline_completion_async(params), MODEL_TIMEOUT_S)


def _claims_ollama_serves(status: dict[str, Any]) -> bool:
    return status["model"] == "ollama:canned" and status["backend"] in ("ready", "loading")


async def test_status_names_the_fallback_that_serves(lsp_client: LanguageClient, workspace: Path) -> None:
    statuses: list[dict[str, Any]] = lsp_client.statuses  # type: ignore[attr-defined]
    named = await wait_for_status(lsp_client, 0, lambda s: s["model"] == FALLBACK)
    assert named["backend"] == "ready", named
    assert "ollama:canned is not reachable" in named["message"], named
    since = statuses.index(named)

    # a suggestion request is served by the fallback (loaded now); the status keeps saying so
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", "SELECT email FROM ")
    result = await _inline(lsp_client, uri, types.Position(0, 18))
    assert isinstance(result, types.InlineCompletionList)
    after = statuses[since:]
    assert not any(_claims_ollama_serves(s) for s in after), after
    assert after[-1]["model"] == FALLBACK, after[-1]
    assert after[-1]["backend"] == "ready", after[-1]


async def test_status_names_ollama_again_once_it_answers(ollama: CannedOllama, lsp_client: LanguageClient,
                                                        workspace: Path) -> None:
    statuses: list[dict[str, Any]] = lsp_client.statuses  # type: ignore[attr-defined]
    await wait_for_status(lsp_client, 0, lambda s: s["model"] == FALLBACK)
    ollama.start()  # the same port: Ollama is up now
    since = len(statuses)
    text = "SELECT u.email FROM users u WHERE u.id = 1;\nSELECT \n"
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", text)
    result = await _inline(lsp_client, uri, types.Position(1, 7))
    assert isinstance(result, types.InlineCompletionList)
    assert [item.insert_text for item in result.items] == ["id, email FROM users"]  # Ollama's answer
    back = await wait_for_status(lsp_client, since, lambda s: s["model"] == "ollama:canned")
    assert back["backend"] == "ready" and "fallback" not in back["message"], back
    assert statuses[-1]["model"] == "ollama:canned", statuses[-1]
