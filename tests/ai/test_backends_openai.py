"""The OpenAI-compatible backend over real HTTP (httpx, server-sent events) against the
tiny local server of ``tests/support/fake_openai.py``, which answers from SmolLM2."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from querywright.server.ai.completer import BackendState, CompletionRequest
from querywright.server.ai.openai_backend import OpenAICompleter, completions_url
from querywright.server.ai.resilience import BackendTimeout, BackendUnavailable, ModelNotFound

from ..support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.model

PROMPT = "-- all users\nSELECT id, name FROM"


@pytest.fixture
def server(smollm2_gguf: Path) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(smollm2_gguf) as fake:
        yield fake


def test_completions_url_accepts_base_with_or_without_v1() -> None:
    assert completions_url("http://h:8000") == "http://h:8000/v1"
    assert completions_url("http://h:8000/v1/") == "http://h:8000/v1"


async def test_complete_n_candidates_and_stream(server: FakeOpenAI) -> None:
    completer = OpenAICompleter(server.url, "smollm2", grammar_field="grammar")
    request = CompletionRequest(prompt=PROMPT, max_tokens=6, n=2, temperature=0.9, seed=3,
                                grammar='root ::= " users;" | " orders;"')  # fmt: skip
    try:
        results = await completer.complete(request)
        pieces = [p async for p in completer.stream(CompletionRequest(prompt=PROMPT, max_tokens=6))]
        assert await completer.state() is BackendState.READY
    finally:
        await completer.aclose()
    assert len(results) == 2
    assert {r.text for r in results} <= {" users;", " orders;"}
    assert server.requests[0]["n"] == 2 and server.requests[0]["grammar"]
    assert "".join(pieces).strip()


async def test_cancel_closes_the_stream(server: FakeOpenAI) -> None:
    completer = OpenAICompleter(server.url, "smollm2")
    cancel = asyncio.Event()
    pieces: list[str] = []
    try:
        async for piece in completer.stream(
            CompletionRequest(prompt="1, 2, 3, 4, 5,", max_tokens=200), cancel
        ):
            pieces.append(piece)
            if len(pieces) == 2:
                cancel.set()
    finally:
        await completer.aclose()
    assert len(pieces) == 2


async def test_unknown_model(server: FakeOpenAI) -> None:
    completer = OpenAICompleter(server.url, "gpt-5")
    try:
        with pytest.raises(ModelNotFound, match="gpt-5"):
            await completer.complete(CompletionRequest(prompt=PROMPT))
        assert await completer.state() is BackendState.DISABLED
    finally:
        await completer.aclose()


async def test_faults_are_clean_errors(server: FakeOpenAI) -> None:
    completer = OpenAICompleter(server.url, "smollm2", timeout_s=0.5)
    request = CompletionRequest(prompt="1, 2, 3,", max_tokens=30)
    try:
        server.inject("http500")
        with pytest.raises(BackendUnavailable, match="HTTP 500"):
            await completer.complete(request)
        server.inject("cut")
        with pytest.raises(BackendUnavailable, match="cut off"):
            await completer.complete(request)
        server.inject("slow", delay_s=10.0)
        with pytest.raises(BackendTimeout):
            await completer.complete(request)
    finally:
        await completer.aclose()


async def test_dead_server_is_offline() -> None:
    completer = OpenAICompleter("http://127.0.0.1:9", "smollm2", probe_timeout_s=0.5)
    try:
        assert await completer.state() is BackendState.OFFLINE
        with pytest.raises(BackendUnavailable, match="not reachable"):
            await completer.complete(CompletionRequest(prompt=PROMPT))
    finally:
        await completer.aclose()
