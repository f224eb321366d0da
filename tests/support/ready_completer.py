"""The part of a scripted test model that is the same in every test: always ready.

Tests of ``ask``, suggestions and the backend wrappers script a ``Completer`` (the protocol
of ``server/ai/completer.py``) that answers from fixed text. :class:`ReadyCompleter` is
what those scripts share: ``state`` is ``READY``, and there is nothing to load
(``warm_up``) or release (``aclose``). A script subclasses it, names itself, sets its
``capabilities`` and writes ``complete`` and ``stream``.
"""

from __future__ import annotations

from querywright.server.ai.completer import BackendState


class ReadyCompleter:
    """A scripted model's lifecycle: ready at once, nothing to warm up or close."""

    async def state(self) -> BackendState:
        return BackendState.READY

    async def warm_up(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
