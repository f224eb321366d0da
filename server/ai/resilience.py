"""Keep a slow or dead model backend from stalling the editor: a circuit breaker and a
request timeout, applied around any ``Completer`` by :class:`ResilientCompleter`.

After ``failure_threshold`` consecutive failures the breaker opens: requests fail at once
with :class:`BackendUnavailable` and ``state()`` reports OFFLINE without touching the
network. Once ``reset_after_s`` has passed, one trial request is let through (half-open);
its success closes the breaker, its failure opens it again for another window.
The clock is injectable so tests move time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import ModelError
from .completer import BackendState, Capabilities, Completer, Completion, CompletionRequest

log = logging.getLogger(__name__)

T = TypeVar("T")


class BackendUnavailable(ModelError):
    """The backend cannot serve now (unreachable, failing, or its breaker is open)."""


class BackendTimeout(BackendUnavailable):
    """The backend did not answer within the request timeout."""


class ModelNotFound(ModelError):
    """The backend is up but does not have the requested model. Not a backend failure:
    it does not count against the circuit breaker."""


class BreakerState(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Counts consecutive failures; opens after ``failure_threshold`` of them."""

    failure_threshold: int = 3
    reset_after_s: float = 30.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - self._opened_at >= self.reset_after_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def retry_in(self) -> float:
        """Seconds until the next trial request is allowed (0 when allowed now)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.reset_after_s - (self.clock() - self._opened_at))

    def allow(self) -> bool:
        """Whether a request may go to the backend now. In the half-open state only one
        trial request is let through until it reports success or failure."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        if self._opened_at is not None:
            log.info("model backend recovered; circuit closed")
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        self._trial_in_flight = False
        if self._opened_at is not None or self._failures >= self.failure_threshold:
            if self._opened_at is None:
                log.warning(
                    "model backend failed %d times; offline for %.0f s",
                    self._failures,
                    self.reset_after_s,
                )
            self._opened_at = self.clock()

    def release_trial(self) -> None:
        """Forget a trial that ended without a verdict (e.g. cancelled by the caller)."""
        self._trial_in_flight = False


async def with_timeout(awaitable: Awaitable[T], timeout_s: float | None, what: str) -> T:
    """Await ``awaitable``; raise :class:`BackendTimeout` after ``timeout_s`` seconds."""
    if timeout_s is None:
        return await awaitable
    try:
        return await asyncio.wait_for(awaitable, timeout_s)
    except asyncio.TimeoutError:
        raise BackendTimeout(f"{what} did not answer within {timeout_s:g} s") from None


class ResilientCompleter:
    """A ``Completer`` that guards another one with a timeout and a circuit breaker.

    Failures that mean the backend is unwell (``BackendUnavailable``, including timeouts)
    count against the breaker; other ``ModelError``s (unknown model, bad grammar) pass
    through without opening it.
    """

    def __init__(
        self,
        inner: Completer,
        *,
        timeout_s: float | None = 10.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.inner = inner
        self.timeout_s = timeout_s
        self.breaker = breaker or CircuitBreaker()

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.inner.name

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        return self.inner.capabilities

    def _refuse(self) -> BackendUnavailable:
        return BackendUnavailable(
            f"{self.inner.name} is offline (retrying in {self.breaker.retry_in():.0f} s)"
        )

    async def _guard(self, awaitable: Awaitable[T]) -> T:
        if not self.breaker.allow():
            if asyncio.iscoroutine(awaitable):
                awaitable.close()
            raise self._refuse()
        try:
            result = await with_timeout(awaitable, self.timeout_s, self.inner.name)
        except BackendUnavailable:
            self.breaker.record_failure()
            raise
        except asyncio.CancelledError:
            self.breaker.release_trial()
            raise
        except ModelError:
            self.breaker.release_trial()
            raise
        self.breaker.record_success()
        return result

    async def complete(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> list[Completion]:
        return await self._guard(self.inner.complete(request, cancel))

    async def stream(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[str]:
        if not self.breaker.allow():
            raise self._refuse()
        loop = asyncio.get_running_loop()
        deadline = None if self.timeout_s is None else loop.time() + self.timeout_s
        pieces = self.inner.stream(request, cancel).__aiter__()
        try:
            while True:
                remaining = None if deadline is None else max(0.0, deadline - loop.time())
                try:
                    piece = await with_timeout(pieces.__anext__(), remaining, self.inner.name)
                except StopAsyncIteration:
                    break
                yield piece
        except BackendUnavailable:
            self.breaker.record_failure()
            raise
        except (ModelError, asyncio.CancelledError, GeneratorExit):
            self.breaker.release_trial()
            raise
        finally:
            aclose = getattr(pieces, "aclose", None)
            if aclose is not None:
                await aclose()
        self.breaker.record_success()

    async def state(self) -> BackendState:
        """OFFLINE while the breaker is open (no probe); otherwise the backend's own probe,
        whose verdict also feeds the breaker."""
        if self.breaker.state is BreakerState.OPEN:
            return BackendState.OFFLINE
        try:
            state = await with_timeout(self.inner.state(), self.timeout_s, self.inner.name)
        except BackendUnavailable:
            state = BackendState.OFFLINE
        if state is BackendState.OFFLINE:
            self.breaker.record_failure()
        elif state is BackendState.READY:
            self.breaker.record_success()
        return state

    async def warm_up(self) -> None:
        await self._guard(self.inner.warm_up())

    async def aclose(self) -> None:
        await self.inner.aclose()
