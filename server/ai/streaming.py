"""Helpers shared by the HTTP backends: stop reading a stream the moment the caller's
cancel event is set, turn transport failures into querywright errors (never text), and
refuse streamed text that arrived as bytes that were not UTF-8."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TypeVar

import httpx

from .resilience import BackendTimeout, BackendUnavailable

T = TypeVar("T")


async def until_cancelled(
    source: AsyncIterator[T], cancel: asyncio.Event | None
) -> AsyncIterator[T]:
    """Yield from ``source`` until it ends or ``cancel`` is set, whichever comes first.
    The source is closed on exit (for HTTP streams that closes the connection, which is
    how Ollama and OpenAI-compatible servers learn to stop generating)."""
    iterator = source.__aiter__()
    waiter: asyncio.Task[bool] | None = None
    step: asyncio.Future[T] | None = None
    try:
        if cancel is None:
            async for item in iterator:
                yield item
            return
        waiter = asyncio.ensure_future(cancel.wait())
        while not cancel.is_set():
            step = asyncio.ensure_future(iterator.__anext__())
            await asyncio.wait({step, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                step.cancel()
                await asyncio.wait({step})
                return
            try:
                item = step.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        if waiter is not None:
            waiter.cancel()
        if step is not None and not step.done():
            # Cancelled from outside (e.g. a timeout) while a step was pending: the
            # generator must stop running before it can be closed.
            step.cancel()
            await asyncio.wait({step})
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


def transport_error(exc: BaseException, what: str) -> BackendUnavailable:
    """Map a failure while talking HTTP to a backend onto the error callers handle."""
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            return BackendUnavailable(f"{what} is not reachable (connect timeout)")
        return BackendTimeout(f"{what} timed out")
    if isinstance(exc, (httpx.ConnectError, ConnectionError)):
        return BackendUnavailable(f"{what} is not reachable")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return BackendUnavailable(f"the response from {what} was cut off")
    if isinstance(exc, json.JSONDecodeError):
        return BackendUnavailable(f"{what} sent a malformed response (cut stream?)")
    return BackendUnavailable(f"{what} failed: {exc}")


REPLACEMENT = "\ufffd"  # what the HTTP client decodes bytes that are not UTF-8 into


def checked_text(piece: str, what: str) -> str:
    """``piece`` as streamed by ``what``; ``BackendUnavailable`` when it holds U+FFFD, the
    mark of bytes that were not UTF-8 (a broken proxy or server): such text is never shown
    nor validated as a suggestion. Models emit valid UTF-8 (Ollama and llama-server hold
    back a partial character until it is complete)."""
    if REPLACEMENT in piece:
        raise BackendUnavailable(f"{what} sent text that is not valid UTF-8")
    return piece


# Exceptions that ``transport_error`` understands; backends catch exactly these.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.TransportError,
    ConnectionError,
    json.JSONDecodeError,
)
