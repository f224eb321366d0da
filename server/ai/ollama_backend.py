"""The Ollama backend: a model served by an Ollama server, through the ``ollama`` client.

Requests go to ``/api/generate`` with the fully formatted prompt in ``raw`` mode, always
streamed (so a cancel closes the connection and Ollama stops generating). When the
caller passes a ``suffix`` and the model's template uses ``.Suffix`` (checked once with
``/api/show``), the request goes through the template instead so Ollama builds the
fill-in-the-middle prompt. A stream that ends without ``done`` is an error, never a
truncated suggestion; so is text that arrived as bytes that were not UTF-8.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import ollama

from .completer import BackendState, Capabilities, Completion, CompletionRequest
from .resilience import BackendUnavailable, ModelNotFound
from .streaming import TRANSPORT_ERRORS, checked_text, transport_error, until_cancelled

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_SEED = 1234


class OllamaCompleter:
    """``Completer`` for ``ollama:NAME``."""

    def __init__(
        self,
        model: str,
        host: str = DEFAULT_HOST,
        *,
        keep_alive: str | float = "30m",
        timeout_s: float = 30.0,
        probe_timeout_s: float = 1.0,
    ) -> None:
        self.model = model
        self.host = host
        self.name = f"ollama:{model}"
        self.keep_alive = keep_alive
        self.capabilities = Capabilities(grammar=False, fim=False, prefix_cache=True)
        self._fim_checked = False
        self._client = ollama.AsyncClient(
            host=host, timeout=httpx.Timeout(timeout_s, connect=probe_timeout_s)
        )
        self._probe = ollama.AsyncClient(host=host, timeout=probe_timeout_s)

    @property
    def _where(self) -> str:
        return f"Ollama at {self.host}"

    def _response_error(self, exc: ollama.ResponseError) -> Exception:
        message = str(exc.error)
        if exc.status_code == 404 or "not found" in message.lower():
            return ModelNotFound(
                f"model '{self.model}' is not available in {self._where}; "
                f"run `ollama pull {self.model}` (or create it with `ollama create`)"
            )
        code = f"HTTP {exc.status_code}" if exc.status_code > 0 else "in the stream"
        return BackendUnavailable(f"{self._where} failed ({code}): {message}")

    async def _check_fim(self) -> None:
        """Learn once whether the model's template supports ``suffix``."""
        if self._fim_checked:
            return
        try:
            shown = await self._client.show(self.model)
        except ollama.ResponseError as exc:
            raise self._response_error(exc) from None
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, self._where) from None
        template = shown.template or ""
        self.capabilities = Capabilities(
            grammar=False, fim=".Suffix" in template, prefix_cache=True
        )
        self._fim_checked = True

    def _arguments(self, request: CompletionRequest, seed: int) -> dict[str, Any]:
        options: dict[str, Any] = {
            "temperature": request.temperature,
            "top_p": request.top_p,
            "num_predict": request.max_tokens,
            "seed": seed,
        }
        if request.stop:
            options["stop"] = list(request.stop)
        arguments: dict[str, Any] = {
            "model": self.model,
            "prompt": request.prompt,
            "options": options,
            "keep_alive": self.keep_alive,
            "raw": True,
        }
        if request.suffix is not None and self.capabilities.fim:
            arguments["suffix"] = request.suffix
            arguments["raw"] = False  # the template places prompt and suffix
        return arguments

    async def _generate(
        self, request: CompletionRequest, seed: int, cancel: asyncio.Event | None
    ) -> AsyncIterator[tuple[str, ollama.GenerateResponse]]:
        """Stream ``(piece, chunk)``; raise if the stream ends without ``done``."""
        if request.suffix is not None:
            await self._check_fim()
        done = False
        try:
            parts = await self._client.generate(stream=True, **self._arguments(request, seed))
            async for chunk in until_cancelled(parts, cancel):
                if chunk.response:
                    yield checked_text(chunk.response, self._where), chunk
                if chunk.done:
                    done = True
                    yield "", chunk
                    return
        except ollama.ResponseError as exc:
            raise self._response_error(exc) from None
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, self._where) from None
        if not done and not (cancel is not None and cancel.is_set()):
            raise BackendUnavailable(f"the response from {self._where} was cut off")

    async def complete(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> list[Completion]:
        base_seed = DEFAULT_SEED if request.seed is None else request.seed
        results: list[Completion] = []
        for index in range(max(1, request.n)):
            if cancel is not None and cancel.is_set():
                break
            started = time.perf_counter()
            pieces: list[str] = []
            last: ollama.GenerateResponse | None = None
            async for piece, chunk in self._generate(request, base_seed + index, cancel):
                if piece:
                    pieces.append(piece)
                last = chunk
            results.append(_completion(pieces, last, started, base_seed + index))
        return results

    async def stream(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[str]:
        seed = DEFAULT_SEED if request.seed is None else request.seed
        async for piece, _chunk in self._generate(request, seed, cancel):
            if piece:
                yield piece

    async def state(self) -> BackendState:
        """READY when the server answers ``/api/tags`` and lists the model, DISABLED when
        it answers without it, OFFLINE when it does not answer within the probe timeout."""
        try:
            listed = await self._probe.list()
        except ollama.ResponseError:
            return BackendState.OFFLINE
        except TRANSPORT_ERRORS:
            return BackendState.OFFLINE
        names = {m.model for m in listed.models if m.model}
        wanted = self.model if ":" in self.model else f"{self.model}:latest"
        return BackendState.READY if {self.model, wanted} & names else BackendState.DISABLED

    async def warm_up(self) -> None:
        """Check the template for FIM support and load the model into memory (Ollama loads
        a model when asked to generate from an empty prompt)."""
        await self._check_fim()
        try:
            await self._client.generate(
                model=self.model, prompt="", keep_alive=self.keep_alive, stream=False
            )
        except ollama.ResponseError as exc:
            raise self._response_error(exc) from None
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, self._where) from None

    async def aclose(self) -> None:
        await self._client.close()
        await self._probe.close()


def _completion(
    pieces: list[str], last: ollama.GenerateResponse | None, started: float, seed: int
) -> Completion:
    if last is None or not last.done:
        finish = "cancelled"
    else:
        finish = "length" if last.done_reason == "length" else "stop"
    return Completion(
        text="".join(pieces),
        finish_reason=finish,
        tokens=(last.eval_count or 0) if last is not None and last.done else len(pieces),
        latency_ms=(time.perf_counter() - started) * 1000.0,
        metadata={
            "seed": seed,
            "prompt_tokens": (last.prompt_eval_count or 0) if last is not None else 0,
        },
    )
