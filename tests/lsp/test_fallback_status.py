"""The status names what actually answers: ``ollama:NAME`` configured, no Ollama server
listening at ``ollama_host``, the built-in model (the user's model cache) serves instead,
and ``querywright/status`` says so ("builtin:smollm2-135m (fallback: ollama:NAME
unreachable)"), never "ollama:NAME ready". Real ``querywright lsp`` over stdio; the port
is one a real server listened on and closed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..ai.conftest import smollm2_gguf  # noqa: F401  (fixture: the real SmolLM2 GGUF)
from ..support.canned_ollama import CannedOllama
from .conftest import open_document, wait_for_status

pytestmark = pytest.mark.model
MODEL_TIMEOUT_S = 240  # first load of the fallback on a busy 2-core machine
FALLBACK = "builtin:smollm2-135m (fallback: ollama:absent unreachable)"


@pytest.fixture
def init_options(smollm2_gguf: Path) -> dict[str, Any]:  # noqa: F811
    server = CannedOllama().start()
    url = server.url
    server.stop()  # nothing listens there any more
    return {"dialect": "postgres", "model": "ollama:absent", "ollama_host": url,
            "inline": {"debounce_ms": 0, "timeout_ms": 60_000, "max_candidates": 1}}


def _claims_ollama_serves(status: dict[str, Any]) -> bool:
    return status["model"] == "ollama:absent" and status["backend"] in ("ready", "loading")


async def test_status_names_the_fallback_that_serves(lsp_client: LanguageClient, workspace: Path) -> None:
    statuses: list[dict[str, Any]] = lsp_client.statuses  # type: ignore[attr-defined]
    named = await wait_for_status(lsp_client, 0, lambda s: s["model"] == FALLBACK)
    assert named["backend"] == "ready", named
    assert "ollama:absent is not reachable" in named["message"], named
    since = statuses.index(named)

    # a suggestion request is served by the fallback (loaded now); the status keeps saying so
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", "SELECT email FROM ")
    context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)
    params = types.InlineCompletionParams(context=context, text_document=types.TextDocumentIdentifier(uri=uri),
                                          position=types.Position(0, 18))
    result = await asyncio.wait_for(lsp_client.text_document_inline_completion_async(params), MODEL_TIMEOUT_S)
    assert isinstance(result, types.InlineCompletionList)
    after = statuses[since:]
    assert not any(_claims_ollama_serves(s) for s in after), after
    assert after[-1]["model"] == FALLBACK, after[-1]
    assert after[-1]["backend"] == "ready", after[-1]
