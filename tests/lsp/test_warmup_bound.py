"""Keystrokes never wait on a model that is slow to warm up or hung.

The model's warm-up (load, schema prefix) runs with the commands' long timeout, in the
background, from the moment a query document opens. An inline request arriving meanwhile
waits for it at most the inline timeout, then answers an empty list, and the status says
the model is still loading; the warm-up goes on, and once it is done the next request is
answered by the model.

A question comment (``-- question`` and a new line) needs only the model loaded, not the
keystroke prompt's schema prefix that the warm-up evaluates next: it is answered while
that evaluation still runs, and a keystroke at the same time still answers empty within
the bound.

The backend is ``CannedOllama`` of ``tests/support/fake_ollama.py`` in its ``slow`` mode (every generation
request, the warm-up's included, answers after ``SLOW_S``; its load request, an empty
prompt, is answered at once), talked to by the real ``querywright lsp`` over stdio; the
server's model cache is empty, so no built-in model stands in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..faults.conftest import lsp_client  # noqa: F401  (fixture: server with no model cache)
from ..faults.test_sick_model_lsp import TEXT, deterministic, errors_logged, inline
from ..support.fake_ollama import CannedOllama
from .conftest import TIMEOUT_S, open_document, wait_for_status

INLINE_TIMEOUT_MS = 1000
SLOW_S = 8.0  # the warm-up's answer; a request that waited for it would take this long
BOUND_S = INLINE_TIMEOUT_MS / 1000 + 1.5  # the inline timeout plus a busy machine's slack


@pytest.fixture
def canned() -> Iterator[CannedOllama]:
    with CannedOllama(slow_s=SLOW_S) as server:
        server.mode = "slow"
        yield server


@pytest.fixture
def init_options(canned: CannedOllama) -> dict[str, Any]:
    return {"dialect": "postgres", "model": "ollama:canned", "ollama_host": canned.url,
            "inline": {"debounce_ms": 0, "timeout_ms": INLINE_TIMEOUT_MS, "max_candidates": 1}}


QUESTION_TEXT = "SELECT u.email FROM users u WHERE u.id = 1;\n\n-- the id and email of every user\n\n"
QUESTION_AT = types.Position(3, 0)  # the blank line under the question


async def _timed(client: LanguageClient, uri: str) -> tuple[types.InlineCompletionList, float]:
    started = time.perf_counter()
    result = await inline(client, uri)
    return result, time.perf_counter() - started


async def _timed_question(client: LanguageClient, uri: str) -> tuple[list[str], float]:
    context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)
    params = types.InlineCompletionParams(context=context, text_document=types.TextDocumentIdentifier(uri=uri),
                                          position=QUESTION_AT)  # fmt: skip
    started = time.perf_counter()
    result = await asyncio.wait_for(client.text_document_inline_completion_async(params), TIMEOUT_S)
    took = time.perf_counter() - started
    assert isinstance(result, types.InlineCompletionList), result
    return [str(item.insert_text) for item in result.items], took


async def test_inline_requests_do_not_wait_for_a_hung_warm_up(canned: CannedOllama,
                                                              lsp_client: LanguageClient,  # noqa: F811
                                                              workspace: Path) -> None:
    statuses: list[dict[str, Any]] = lsp_client.statuses  # type: ignore[attr-defined]
    opened = time.perf_counter()
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", TEXT)  # the warm-up starts
    loading = await wait_for_status(lsp_client, 0, lambda s: s["backend"] == "loading")
    assert "loading ollama:canned" in loading["message"], loading

    # the first request and one arriving meanwhile: both answer within the inline timeout
    first, second = await asyncio.gather(_timed(lsp_client, uri), _timed(lsp_client, uri))
    for result, took in (first, second):
        assert list(result.items) == [], result
        assert took < BOUND_S, (took, statuses)
    assert time.perf_counter() - opened < SLOW_S  # the warm-up cannot have finished yet
    said = [s for s in statuses if "while loading" in s["message"]]
    assert said and said[-1]["backend"] == "loading", statuses
    assert "ollama:canned did not answer within 1 s while loading" in said[-1]["message"], said
    assert max(await deterministic(lsp_client, uri)) < 1.0  # the editor is not held up

    # the warm-up went on in the background; once done, the model answers
    canned.mode = "ok"  # requests after the warm-up's are answered at once
    since = len(statuses)
    ready = await wait_for_status(lsp_client, since, lambda s: s["backend"] == "ready")
    assert time.perf_counter() - opened >= SLOW_S * 0.9, ready  # it was the warm-up's answer
    result, _ = await _timed(lsp_client, uri)
    assert [item.insert_text for item in result.items] == ["id, email FROM users"]
    assert errors_logged(lsp_client) == []


async def test_a_question_waits_for_the_model_loaded_not_the_schema_prefix(canned: CannedOllama,
                                                                          lsp_client: LanguageClient,  # noqa: F811
                                                                          workspace: Path) -> None:
    statuses: list[dict[str, Any]] = lsp_client.statuses  # type: ignore[attr-defined]
    opened = time.perf_counter()
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", QUESTION_TEXT)  # the warm-up starts
    # its load request is answered at once; the next one, the schema prefix, hangs for SLOW_S
    while canned.generations < 2:
        assert time.perf_counter() - opened < SLOW_S, canned.generations
        await asyncio.sleep(0.02)
    canned.mode = "ok"  # requests after the schema prefix's are answered at once

    # the question is answered by the model while the schema prefix is still evaluated
    (answer, took), (keystroke, typed) = await asyncio.gather(_timed_question(lsp_client, uri), _timed(lsp_client, uri))
    assert answer == ["SELECT id, email FROM users;"], statuses
    assert took < BOUND_S, took
    # a keystroke continuation needs the schema prefix: it still answers empty within the bound
    assert list(keystroke.items) == [] and typed < BOUND_S, (keystroke, typed)
    assert time.perf_counter() - opened < SLOW_S  # the warm-up cannot have finished yet
    assert errors_logged(lsp_client) == []
