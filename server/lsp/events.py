"""Signals between features, and a per-key debouncer for background work.

Features never call each other: ``sync`` emits ``document_changed``, ``diagnostics``
listens. A listener added by a later feature module (completion, inline suggestions)
needs no change here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any


class Signal:
    """A list of listeners called in order with the emitted arguments."""

    def __init__(self) -> None:
        self._listeners: list[Callable[..., Any]] = []

    def connect(self, listener: Callable[..., Any]) -> Callable[..., Any]:
        self._listeners.append(listener)
        return listener

    def emit(self, *args: Any) -> None:
        for listener in list(self._listeners):
            listener(*args)


@dataclass
class Events:
    """``document_opened/changed/saved/closed(uri)``; ``catalog_changed()`` after the
    schema was rebuilt; ``config_changed()`` after settings were reloaded."""

    document_opened: Signal = field(default_factory=Signal)
    document_changed: Signal = field(default_factory=Signal)
    document_saved: Signal = field(default_factory=Signal)
    document_closed: Signal = field(default_factory=Signal)
    catalog_changed: Signal = field(default_factory=Signal)
    config_changed: Signal = field(default_factory=Signal)


class Debouncer:
    """Runs the latest job per key after a delay; a newer call cancels the pending one."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[Any]] = {}

    def call(self, key: Hashable, delay: float, job: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        pending = self._tasks.get(key)
        if pending is not None and not pending.done():
            pending.cancel()

        async def run() -> None:
            if delay > 0:
                await asyncio.sleep(delay)
            await job()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks[key] = task
        task.add_done_callback(lambda t, k=key: self._tasks.get(k) is t and self._tasks.pop(k, None))
        return task

    def cancel(self, key: Hashable) -> None:
        pending = self._tasks.pop(key, None)
        if pending is not None:
            pending.cancel()
