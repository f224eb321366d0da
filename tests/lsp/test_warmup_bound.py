"""Keystrokes never wait on a model that is slow to warm up or hung.

The model's warm-up (load, schema prefix) runs with the commands' long timeout, in the
background, from the moment a query document opens. An inline request arriving meanwhile
waits for it at most the inline timeout, then answers an empty list, and the status says
the model is still loading; the warm-up goes on, and once it is done the next request is
answered by the model.

The backend is ``CannedOllama`` of ``tests/support/fake_ollama.py`` in its ``slow`` mode (every generation
request, the warm-up's included, answers after ``SLOW_S``), talked to by the real
``querywright lsp`` over stdio; the server's model cache is empty, so no built-in model
stands in.
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
from .conftest import open_document, wait_for_status

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


async def _timed(client: LanguageClient, uri: str) -> tuple[types.InlineCompletionList, float]:
    started = time.perf_counter()
    result = await inline(client, uri)
    return result, time.perf_counter() - started


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
