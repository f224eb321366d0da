"""The OpenAI-compatible backend: ``/v1/completions`` on a shared server (vLLM,
llama-server, ...), over httpx with server-sent events.

Requests are always streamed so a cancel closes the connection; ``n`` candidates come
back interleaved by ``index`` and are put back together here. A stream that ends without
``[DONE]`` or a finish reason for every candidate is an error, never partial text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .completer import BackendState, Capabilities, Completion, CompletionRequest
from .resilience import BackendUnavailable, ModelNotFound
from .streaming import TRANSPORT_ERRORS, transport_error, until_cancelled

DEFAULT_SEED = 1234


def completions_url(base_url: str) -> str:
    """``http://h:8000`` and ``http://h:8000/v1`` both give ``http://h:8000/v1``."""
    base = base_url.rstrip("/")
    return base if base.endswith("/v1") else f"{base}/v1"


class OpenAICompleter:
    """``Completer`` for ``openai:URL#MODEL``.

    ``grammar_field``: the request field that carries a GBNF grammar on this server
    (``"grammar"`` for llama-server); ``None`` when the server has none.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        grammar_field: str | None = None,
        timeout_s: float = 30.0,
        probe_timeout_s: float = 1.0,
    ) -> None:
        self.base = completions_url(base_url)
        self.model = model
        self.name = f"openai:{base_url}#{model}"
        self.grammar_field = grammar_field
        self.capabilities = Capabilities(
            grammar=grammar_field is not None, fim=False, prefix_cache=False
        )
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(timeout_s, connect=probe_timeout_s)
        )
        self._probe_timeout_s = probe_timeout_s

    @property
    def _where(self) -> str:
        return f"the model server at {self.base}"

    def _body(self, request: CompletionRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": request.prompt,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "n": max(1, request.n),
            "seed": DEFAULT_SEED if request.seed is None else request.seed,
            "stream": True,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.grammar and self.grammar_field:
            body[self.grammar_field] = request.grammar
        return body

    def _status_error(self, status: int, text: str) -> Exception:
        try:
            detail = json.loads(text).get("error", text)
        except (ValueError, AttributeError):
            detail = text
        if isinstance(detail, dict):
            detail = detail.get("message", str(detail))
        detail = str(detail).strip()[:300]
        if status == 404 or (status == 400 and "model" in detail.lower()):
            return ModelNotFound(f"model '{self.model}' is not served by {self._where}: {detail}")
        return BackendUnavailable(f"{self._where} failed (HTTP {status}): {detail}")

    async def _events(self, request: CompletionRequest) -> AsyncIterator[dict[str, Any]]:
        """Parsed SSE events; raises if the stream ends without ``[DONE]``."""
        async with self._client.stream(
            "POST", f"{self.base}/completions", json=self._body(request)
        ) as response:
            if response.status_code >= 400:
                await response.aread()
                raise self._status_error(response.status_code, response.text)
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                event = json.loads(data)
                if isinstance(event, dict) and "error" in event:
                    raise self._status_error(500, json.dumps(event))
                yield event
        raise BackendUnavailable(f"the response from {self._where} was cut off")

    async def _collect(
        self, request: CompletionRequest, cancel: asyncio.Event | None
    ) -> tuple[dict[int, list[str]], dict[int, str], dict[str, Any]]:
        texts: dict[int, list[str]] = {}
        finish: dict[int, str] = {}
        usage: dict[str, Any] = {}
        try:
            async for event in until_cancelled(self._events(request), cancel):
                for choice in event.get("choices") or []:
                    index = int(choice.get("index", 0))
                    piece = choice.get("text") or ""
                    texts.setdefault(index, []).append(piece)
                    if choice.get("finish_reason"):
                        finish[index] = str(choice["finish_reason"])
                usage = event.get("usage") or usage
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, self._where) from None
        return texts, finish, usage

    async def complete(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> list[Completion]:
        started = time.perf_counter()
        texts, finish, usage = await self._collect(request, cancel)
        cancelled = cancel is not None and cancel.is_set()
        if not cancelled and len(finish) < max(1, request.n):
            raise BackendUnavailable(f"the response from {self._where} was cut off")
        seconds = time.perf_counter() - started
        return [
            Completion(
                text="".join(texts.get(index, [])),
                finish_reason=finish.get(index, "cancelled"),
                tokens=len([p for p in texts.get(index, []) if p]),
                latency_ms=seconds * 1000.0,
                metadata={"index": index, "usage": usage},
            )
            for index in range(max(1, request.n))
            if index in texts or not cancelled
        ]

    async def stream(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[str]:
        single = dataclasses.replace(request, n=1)
        try:
            async for event in until_cancelled(self._events(single), cancel):
                for choice in event.get("choices") or []:
                    if choice.get("text"):
                        yield str(choice["text"])
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, self._where) from None

    async def state(self) -> BackendState:
        """READY when ``/v1/models`` answers and lists the model (DISABLED when it does
        not list it), OFFLINE when the server does not answer within the probe timeout."""
        try:
            response = await self._client.get(f"{self.base}/models", timeout=self._probe_timeout_s)
        except TRANSPORT_ERRORS:
            return BackendState.OFFLINE
        if response.status_code >= 400:
            return BackendState.OFFLINE
        try:
            ids = {str(item.get("id")) for item in response.json().get("data", [])}
        except (ValueError, AttributeError):
            return BackendState.OFFLINE
        return BackendState.READY if self.model in ids else BackendState.DISABLED

    async def warm_up(self) -> None:
        """One token, so the server has the model loaded before the first keystroke."""
        await self.complete(CompletionRequest(prompt=" ", max_tokens=1))

    async def aclose(self) -> None:
        await self._client.aclose()
