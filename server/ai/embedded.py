"""The embedded backend: llama.cpp running a GGUF inside this process, through xllamacpp.

xllamacpp (the ``local`` extra; prebuilt wheels, no compiler) embeds llama.cpp's own server
code: ``Server(CommonParams)`` loads the model and ``handle_completions`` takes
OpenAI-style request dicts, so grammars (GBNF), seeds, stop strings and the prompt prefix
cache (``cache_prompt``) behave exactly as in ``llama-server``.

- One load per (model, adapter, context size, threads), shared by every completer that asks
  for it (:func:`shared_engine`).
- Blocking calls run in a worker thread; generation is always streamed internally so that
  a set ``cancel`` event (or the caller's task being cancelled) stops it at the next token.
- ``n`` candidates are sampled one after the other with seeds ``seed, seed+1, ...``; they
  share the prompt, so all but the first reuse its cached prefix.
- A model served with a LoRA adapter runs on two engines over the same (memory-mapped)
  weights: one with the adapter applied, one without it, for requests that ask for the
  bare weights (``CompletionRequest.adapter=False``). Switching the adapter per request on
  one engine mixes the modes' KV states: llama.cpp keeps the cached prompt when a request
  with the adapter follows one without it (measured: the same question, asked after a
  bare-weights request on the same prompt prefix, got another answer), and its saved
  prompt states are restored whatever adapter computed them. Two engines keep each mode's
  prompt cache apart, and a keystroke suggestion and a question's answer can run at once,
  one core each.
- Each engine keeps its recent prompt states in memory (llama.cpp's prompt cache, bounded
  by :data:`PROMPT_CACHE_MIB`): a prompt that starts like an earlier one (the same schema
  tables) re-evaluates only what differs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .completer import BackendState, Capabilities, Completion, CompletionRequest
from .models import check_gguf

log = logging.getLogger(__name__)

DEFAULT_SEED = 1234
# Memory for saved prompt states per engine (llama.cpp's default is 8 GiB). SmolLM2-135M
# keeps about 23 KiB per token: 256 MiB hold some 11,000 tokens, dozens of schema prefixes.
PROMPT_CACHE_MIB = 256


@dataclass(frozen=True)
class EngineKey:
    model: Path
    adapter: Path | None
    n_ctx: int
    n_threads: int


def default_threads(cores: int | None = None) -> int:
    """Half the cores (``cores``, default this machine's), at most 4: the editor, the language
    server and the user's other work share the CPU, and llama.cpp threads that wait for a busy
    core stall every token (measured on 2 shared cores: 1 thread 20 tokens/s, 2 threads 2)."""
    return max(1, min(4, (cores or os.cpu_count() or 2) // 2))


class Engine:
    """One loaded model (an xllamacpp ``Server``); thread-safe for sequential requests."""

    def __init__(self, key: EngineKey) -> None:
        self.key = key
        self._server: Any = None
        self._load_lock = threading.Lock()
        self.loading = False
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        return self._server is not None

    def load(self) -> None:
        """Load the model (blocking; idempotent)."""
        with self._load_lock:
            if self._server is not None:
                return
            check_gguf(self.key.model)
            if self.key.adapter is not None:
                check_gguf(self.key.adapter)
            try:
                import xllamacpp
            except ImportError:
                raise ModelError(
                    "the embedded engine needs xllamacpp: pip install 'querywright[local]'"
                ) from None
            params = xllamacpp.CommonParams()
            params.model.path = str(self.key.model)
            params.n_ctx = self.key.n_ctx
            params.n_parallel = 1
            params.cache_ram_mib = PROMPT_CACHE_MIB
            params.cpuparams.n_threads = self.key.n_threads
            params.cpuparams_batch.n_threads = self.key.n_threads
            params.warmup = False
            params.verbosity = -1
            # xllamacpp also opens an HTTP listener on a random 127.0.0.1 port with CORS
            # open to every origin; a secret key nobody knows keeps other local programs
            # and web pages out (in-process calls do not need it).
            params.api_keys = [secrets.token_hex(32)]
            params.ui = False
            if self.key.adapter is not None:
                params.lora_adapters = [xllamacpp.CommonAdapterLoraInfo(str(self.key.adapter), 1.0)]
            started = time.perf_counter()
            self.loading = True
            try:
                self._server = xllamacpp.Server(params)
            except RuntimeError as exc:  # llama.cpp reports load failures this way
                raise ModelError(
                    f"llama.cpp could not load {self.key.model.name}: {exc} "
                    "(corrupt or unsupported GGUF?)"
                ) from None
            finally:
                self.loading = False
            self.load_seconds = time.perf_counter() - started
            log.info("loaded %s in %.2f s", self.key.model.name, self.load_seconds)

    def generate(
        self, body: dict[str, Any], on_piece: Callable[[str], None], stop: threading.Event
    ) -> dict[str, Any]:
        """Stream one completion (blocking). ``on_piece`` gets each text piece; setting
        ``stop`` ends generation at the next token. Returns the last chunk (usage,
        timings, finish_reason)."""
        self.load()
        last: dict[str, Any] = {}
        error: list[str] = []

        def callback(chunk: dict[str, Any]) -> bool:
            nonlocal last
            if "error" in chunk:
                err = chunk["error"]
                error.append(err.get("message", str(err)) if isinstance(err, dict) else str(err))
                return True
            last = chunk
            choices = chunk.get("choices") or [{}]
            text = choices[0].get("text") or ""
            if text:
                on_piece(text)
            return stop.is_set()  # True asks llama.cpp to cancel the task

        self._server.handle_completions({**body, "stream": True}, callback)
        if error:
            raise ModelError(f"embedded engine rejected the request: {error[0]}")
        return last

    @property
    def listening_address(self) -> str | None:
        """The address of xllamacpp's own HTTP listener (locked by a secret key)."""
        return None if self._server is None else str(self._server.listening_address)

    def close(self) -> None:
        with self._load_lock:
            self._server = None


_ENGINES: dict[EngineKey, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def shared_engine(key: EngineKey) -> Engine:
    """The one ``Engine`` for ``key`` in this process (created unloaded)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = Engine(key)
        return engine


def release_engines() -> None:
    """Drop every loaded model (tests, shutdown)."""
    with _ENGINES_LOCK:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
    for engine in engines:
        engine.close()


class EmbeddedCompleter:
    """``Completer`` over a GGUF loaded in process."""

    capabilities = Capabilities(grammar=True, fim=False, prefix_cache=True)

    def __init__(
        self,
        model: Path,
        adapter: Path | None = None,
        *,
        name: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
    ) -> None:
        key = EngineKey(
            model=Path(model).resolve(),
            adapter=None if adapter is None else Path(adapter).resolve(),
            n_ctx=n_ctx,
            n_threads=n_threads or default_threads(),
        )
        self.engine = shared_engine(key)
        # the bare weights: the same engine when there is no adapter, else their own one
        self.bare_engine = (
            self.engine if key.adapter is None else shared_engine(replace(key, adapter=None))
        )
        if key.adapter is not None:
            self.capabilities = replace(self.capabilities, bare_weights=True)
        self.name = name or str(model)

    def _engine(self, request: CompletionRequest) -> Engine:
        return self.engine if request.adapter else self.bare_engine

    def _body(self, request: CompletionRequest, seed: int) -> dict[str, Any]:
        prompt = request.prompt
        body: dict[str, Any] = {
            "prompt": prompt,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": seed,
            "cache_prompt": True,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.grammar:
            body["grammar"] = request.grammar
        return body

    async def _run(
        self,
        engine: Engine,
        body: dict[str, Any],
        cancel: asyncio.Event | None,
        on_piece: Callable[[str], None],
    ) -> dict[str, Any]:
        """Run one generation in a thread; cancel it when ``cancel`` is set or when the
        awaiting task is cancelled."""
        stop = threading.Event()
        watcher = None
        if cancel is not None:
            if cancel.is_set():
                return {"cancelled": True}

            async def watch() -> None:
                await cancel.wait()
                stop.set()

            watcher = asyncio.create_task(watch())
        worker = asyncio.ensure_future(asyncio.to_thread(engine.generate, body, on_piece, stop))
        try:
            return await asyncio.shield(worker)
        except asyncio.CancelledError:
            stop.set()
            await asyncio.wait({worker})  # let llama.cpp finish cancelling before leaving
            raise
        finally:
            if watcher is not None:
                watcher.cancel()

    async def complete(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> list[Completion]:
        base_seed = DEFAULT_SEED if request.seed is None else request.seed
        results: list[Completion] = []
        for index in range(max(1, request.n)):
            if cancel is not None and cancel.is_set():
                break
            pieces: list[str] = []
            started = time.perf_counter()
            last = await self._run(
                self._engine(request), self._body(request, base_seed + index), cancel, pieces.append
            )
            seconds = time.perf_counter() - started
            results.append(_completion(pieces, last, seconds, cancel, base_seed + index))
        return results

    async def stream(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue()
        body = self._body(request, DEFAULT_SEED if request.seed is None else request.seed)
        task = asyncio.create_task(
            self._run(
                self._engine(request),
                body,
                cancel,
                lambda piece: loop.call_soon_threadsafe(queue.put_nowait, piece),
            )
        )
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                    continue
                getter.cancel()
                task.result()  # re-raise a generation error
                while not queue.empty():  # pieces posted just before the end
                    yield queue.get_nowait()
                return
        finally:
            if not task.done():
                task.cancel()
                await asyncio.wait({task})

    async def state(self) -> BackendState:
        """READY when loaded or loadable on first use, LOADING while a load runs, DISABLED
        when the model file is gone."""
        if self.engine.loaded:
            return BackendState.READY
        if self.engine.loading:
            return BackendState.LOADING
        if not self.engine.key.model.is_file():
            return BackendState.DISABLED
        return BackendState.READY

    async def warm_up(self) -> None:
        """Load the model (both engines when there is an adapter), then evaluate a
        one-token prompt on each so llama.cpp's graphs are built."""
        engines = list(dict.fromkeys((self.engine, self.bare_engine)))
        for engine in engines:
            await asyncio.to_thread(engine.load)
        for engine in engines:
            await self._run(
                engine,
                {"prompt": " ", "max_tokens": 1, "temperature": 0.0, "cache_prompt": False},
                None,
                lambda _piece: None,
            )

    async def aclose(self) -> None:
        """Nothing to release per completer: the engine is shared (``release_engines``)."""


def _completion(
    pieces: list[str], last: dict[str, Any], seconds: float, cancel: asyncio.Event | None, seed: int
) -> Completion:
    choices = last.get("choices") or [{}]
    usage = last.get("usage") or {}
    timings = last.get("timings") or {}
    cancelled = last.get("cancelled") or (cancel is not None and cancel.is_set())
    finish = choices[0].get("finish_reason") or ("cancelled" if cancelled else "stop")
    return Completion(
        text="".join(pieces),
        finish_reason=finish,
        tokens=int(usage.get("completion_tokens", len(pieces))),
        latency_ms=seconds * 1000.0,
        metadata={
            "seed": seed,
            "prompt_tokens": usage.get("prompt_tokens", 0),
            "cached_tokens": timings.get("cache_n", 0),
            "tokens_per_second": timings.get("predicted_per_second", 0.0),
        },
    )
