"""``until_cancelled``: a stream cut by an outer cancellation closes cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from querywright.server.ai.streaming import until_cancelled


async def test_outer_cancellation_while_a_step_is_pending_closes_the_source() -> None:
    closed = asyncio.Event()
    never = asyncio.Event()

    async def source() -> AsyncIterator[int]:
        try:
            yield 1
            await never.wait()
            yield 2
        finally:
            closed.set()

    received: list[int] = []

    async def consume() -> None:
        async for item in until_cancelled(source(), asyncio.Event()):
            received.append(item)

    task = asyncio.ensure_future(consume())
    while not received:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task  # not "aclose(): asynchronous generator is already running"
    assert received == [1] and closed.is_set()


async def test_cancel_event_stops_the_stream() -> None:
    cancel = asyncio.Event()
    never = asyncio.Event()

    async def source() -> AsyncIterator[int]:
        yield 1
        cancel.set()
        await never.wait()
        yield 2

    assert [x async for x in until_cancelled(source(), cancel)] == [1]
