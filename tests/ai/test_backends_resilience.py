"""Timeouts and the circuit breaker: a dead Ollama goes OFFLINE quickly, requests are then
refused without touching the network, and a half-open trial brings it back. Real HTTP
against the stand-in server of ``tests/support/fake_ollama.py``; time is a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from querywright.server.ai.completer import (
    BackendState,
    Capabilities,
    Completion,
    CompletionRequest,
)
from querywright.server.ai.ollama_backend import OllamaCompleter
from querywright.server.ai.resilience import (
    BackendTimeout,
    BackendUnavailable,
    BreakerState,
    CircuitBreaker,
    ModelNotFound,
    ResilientCompleter,
)

from ..support.fake_ollama import FakeOllama
from ..support.ready_completer import ReadyCompleter

REQUEST = CompletionRequest(prompt="SELECT id FROM", max_tokens=4)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_threshold_and_half_opens_after_window() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after_s=30.0, clock=clock)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    assert breaker.retry_in() == pytest.approx(30.0)
    clock.now += 30.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.record_failure()  # the trial failed: open for another window
    assert breaker.state is BreakerState.OPEN
    clock.now += 30.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()


class Stalling(ReadyCompleter):
    """A backend that never answers (stands for a hung model)."""

    name = "stalling"
    capabilities = Capabilities()

    async def complete(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> list[Completion]:
        await asyncio.Event().wait()
        return []

    async def stream(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[str]:
        yield "SELECT"
        await asyncio.Event().wait()


async def test_timeout_wrapper_bounds_complete_and_stream() -> None:
    guarded = ResilientCompleter(Stalling(), timeout_s=0.05)
    with pytest.raises(BackendTimeout):
        await guarded.complete(REQUEST)
    pieces = []
    with pytest.raises(BackendTimeout):
        async for piece in guarded.stream(REQUEST):
            pieces.append(piece)
    assert pieces == ["SELECT"]


@pytest.mark.model
async def test_dead_server_goes_offline_then_recovers(fake_ollama: FakeOllama) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after_s=30.0, clock=clock)
    guarded = ResilientCompleter(
        OllamaCompleter("smollm2", fake_ollama.url, probe_timeout_s=0.5),
        timeout_s=20.0,
        breaker=breaker,
    )
    try:
        fake_ollama.stop()
        for _ in range(2):
            with pytest.raises(BackendUnavailable, match="not reachable"):
                await guarded.complete(REQUEST)
        assert await guarded.state() is BackendState.OFFLINE
        fake_ollama.start()  # back on the same port, but the breaker is still open
        seen = len(fake_ollama.requests)
        with pytest.raises(BackendUnavailable, match="offline"):
            await guarded.complete(REQUEST)
        assert len(fake_ollama.requests) == seen  # refused without any HTTP
        clock.now += 30.0  # the half-open trial goes through and closes the breaker
        [result] = await guarded.complete(REQUEST)
        assert result.text
        assert breaker.state is BreakerState.CLOSED
        assert await guarded.state() is BackendState.READY
    finally:
        await guarded.aclose()


@pytest.mark.model
async def test_missing_model_does_not_open_the_breaker(fake_ollama: FakeOllama) -> None:
    breaker = CircuitBreaker(failure_threshold=1)
    guarded = ResilientCompleter(OllamaCompleter("nope", fake_ollama.url), breaker=breaker)
    try:
        with pytest.raises(ModelNotFound):
            await guarded.complete(REQUEST)
    finally:
        await guarded.aclose()
    assert breaker.state is BreakerState.CLOSED
