"""The one interface every model backend implements, and the data that crosses it.

Backends (embedded llama.cpp, Ollama over HTTP, OpenAI-compatible servers) live in their
own modules and are chosen from a model reference by ``server.ai.refs``. Callers (inline
suggestions, comment -> SQL, ``querywright ask``, the trainer's eval) only see this module.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class BackendState(str, enum.Enum):
    """What the status bar shows about the model backend."""

    READY = "ready"
    LOADING = "loading"
    OFFLINE = "offline"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Capabilities:
    """What a backend can honour; requests asking for more degrade gracefully."""

    grammar: bool = False  # GBNF-constrained decoding
    fim: bool = False  # native fill-in-the-middle (``suffix``)
    prefix_cache: bool = False  # reuses the KV cache of a shared prompt prefix
    bare_weights: bool = False  # serves ``adapter=False`` requests without the model's adapter


@dataclass(frozen=True)
class CompletionRequest:
    """One raw-text completion request (the prompt is already fully formatted)."""

    prompt: str
    suffix: str | None = None
    max_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 0.95
    n: int = 1  # number of candidates to sample
    stop: tuple[str, ...] = ()
    grammar: str | None = None  # GBNF; ignored by backends without Capabilities.grammar
    seed: int | None = None
    # apply the model's LoRA adapter (the embedded engine's builtin SQL adapter, trained on
    # whole answers to questions); False runs the bare weights for this request only
    adapter: bool = True


@dataclass(frozen=True)
class Completion:
    """One candidate returned by a backend."""

    text: str
    finish_reason: str = "stop"  # "stop" | "length" | "cancelled" | "error"
    tokens: int = 0
    latency_ms: float = 0.0
    metadata: dict[str, object] = field(default_factory=dict)


@runtime_checkable
class Completer(Protocol):
    """A model backend. Implementations must be safe to call from an asyncio loop:
    blocking work runs in a thread, and ``cancel`` (when set) stops generation early."""

    name: str
    capabilities: Capabilities

    async def complete(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> list[Completion]:
        """Return ``request.n`` candidates (fewer if cancelled or failing)."""
        ...

    def stream(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[str]:
        """Yield text pieces of one candidate as they are generated."""
        ...

    async def state(self) -> BackendState:
        """Probe whether the backend can serve now (cheap; no generation)."""
        ...

    async def warm_up(self) -> None:
        """Load the model / prime caches so the first real request is fast."""
        ...

    async def aclose(self) -> None:
        """Release the model and any connections."""
        ...
