"""The model a workspace uses right now: which reference, its ``Completer``, the suggestion
service over it, its state, and the models one could switch to.

The language server keeps one ``ModelHost``. ``configure`` (settings changed) and
``set_model`` (the ``querywright.setModel`` command) swap the backend; opening one is
cheap and never blocks (loading happens in ``warm_up``, in a worker thread). A reference
that cannot be opened (malformed, weights not pulled) leaves the host ``disabled`` with
the reason as its message, and the deterministic features go on as before.

The warm-up has two steps, ``load`` (the model, every engine it runs on) and ``prime``
(the keystroke prompt's schema prefix evaluated on the bare weights). What a suggestion
waits for is :func:`readiness`: a question comment only the model loaded (its answer runs
on the adapter engine, with its own prompt; the keystroke prefix does not help it), a
keystroke continuation the whole warm-up. The question engine is not primed: a
question's prompt shows the tables linking picked, so it shares with any fixed prefix
only the instruction line (measured on Sakila, 2 shared cores: priming that head saved
about 0.1 s of a 1.6 s first question; the whole schema, 7 s of evaluation, saved nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import ModelError
from ..sql.catalog import Catalog
from ..sql.text import Statement, TextIndex
from .completer import BackendState, Completer, CompletionRequest
from .context import inline_context
from .prompt import prompt_prefix
from .schema_slice import slice_schema
from .suggest import SuggestionService

log = logging.getLogger(__name__)
# generateFromComment samples several whole statements: allow it longer than a keystroke.
COMMAND_TIMEOUT_S = 120.0
# The keystroke schema prefix is evaluated in this many growing requests (each reusing the
# cached part before it); between them it waits while a question is being answered and
# for PRIME_QUIET_S after, since on a machine of few cores the two halve each other's
# speed (measured on 2 shared cores: a first question 1.6 s alone, 3.6 s beside it).
PRIME_STEPS = 4
PRIME_QUIET_S = 0.5
StateListener = Callable[[BackendState, str], None]


class Readiness(str, enum.Enum):
    """What of the warm-up a suggestion needs before it can run."""

    LOADED = "loaded"  # the model loaded (a question comment's answer)
    PRIMED = "primed"  # also the schema prefix in the bare weights' cache (keystrokes)


def readiness(text: str, offset: int, dialect: str, statements: list[Statement] | None = None,
              index: TextIndex | None = None) -> Readiness:  # fmt: skip
    """What a suggestion at ``offset`` waits for: a question comment (``-- question`` and
    a new line) is answered from its own prompt (linked schema, value hints) on the
    adapter engine, so it needs only the model loaded; anything else continues the
    keystroke prompt, whose schema prefix the warm-up evaluates."""
    context = inline_context(text, offset, dialect, statements, index)
    return Readiness.LOADED if context.mode == "comment" else Readiness.PRIMED


def prime_cuts(prefix: str, steps: int) -> list[int]:
    """Where the growing warm-up requests end: up to ``steps`` line ends spread evenly
    over ``prefix`` (a cut at a line end tokenizes as the whole prefix does), the last
    one the whole prefix."""
    cuts: list[int] = []
    for step in range(1, max(1, steps)):
        at = prefix.rfind("\n", 0, len(prefix) * step // steps) + 1
        if at > (cuts[-1] if cuts else 0):
            cuts.append(at)
    return [*cuts, len(prefix)]


class ModelHost:
    def __init__(self, on_state: StateListener | None = None) -> None:
        self.on_state = on_state
        self.ref: str | None = None  # None: the configured model
        self.completer: Completer | None = None  # keystrokes: the inline timeout
        self.command_completer: Completer | None = None  # explicit commands: a longer one
        self.service = SuggestionService(None)
        self.state = BackendState.DISABLED
        self.message = ""
        self._config = Config()
        self._root: Path | None = None
        self._opened: tuple[str, str, str | None] | None = None
        self._shown = ""  # ``serving`` as last reported
        self._answering = 0  # questions being answered now (``busy``)
        self._idle = asyncio.Event()
        self._idle.set()
        self._answered = float("-inf")  # when the last one ended (time.monotonic)

    @property
    def model(self) -> str:
        """The model reference asked for (``setModel``, else the settings)."""
        return self.ref or self._config.model

    @property
    def serving(self) -> str:
        """What answers now, for the status: the model asked for, or the built-in model
        standing in for an unreachable Ollama one ("builtin:smollm2-135m (fallback:
        ollama:NAME unreachable)")."""
        fallback = self._falling_back()
        return fallback.name if fallback is not None else self.model

    def _falling_back(self) -> Any:
        from .refs import FallbackCompleter

        for completer in (self.completer, self.command_completer):
            if isinstance(completer, FallbackCompleter) and completer.falling_back:
                return completer
        return None

    def _fallback_notice(self) -> str:
        fallback = self._falling_back()
        return fallback.notice if fallback is not None else ""

    def _set(self, state: BackendState, message: str = "") -> None:
        shown = (state, message, self.serving)
        changed = shown != (self.state, self.message, self._shown)
        self.state, self.message, self._shown = state, message, self.serving
        if changed and self.on_state is not None:
            self.on_state(state, message)

    def _switched(self) -> None:
        """A fallback completer moved to the built-in model or back: say what serves."""
        if self.state is not BackendState.DISABLED:
            self._set(self.state, self._fallback_notice())

    def configure(self, config: Config, root: Path | None) -> bool:
        """Adopt settings; True when the backend was (re)opened."""
        self._config, self._root = config, root
        return self._open()

    def set_model(self, ref: str) -> None:
        self.ref = ref
        self._open()

    def _open(self) -> bool:
        from .refs import BackendConfig, FallbackCompleter, open_completer

        wanted = (self.model, self._config.ollama_host, str(self._root) if self._root else None)
        if wanted == self._opened and self.completer is not None:
            self.service.config = self._config.inline
            return False
        for old in (self.completer, self.command_completer):
            if old is not None:
                asyncio.get_running_loop().create_task(old.aclose())
        self._opened = wanted
        backend = BackendConfig(
            ollama_host=self._config.ollama_host,
            workspace=self._root,
            timeout_s=max(self._config.inline.timeout_ms / 1000.0, 1.0),
        )
        try:
            self.completer = open_completer(self.model, backend)
            self.command_completer = open_completer(self.model, replace(backend, timeout_s=COMMAND_TIMEOUT_S))
        except ModelError as exc:
            self.completer = self.command_completer = None
            self.service = SuggestionService(None, self._config.inline)
            self._set(BackendState.DISABLED, str(exc))
            return True
        for completer in (self.completer, self.command_completer):
            if isinstance(completer, FallbackCompleter):
                completer.on_switch = self._switched
        self.service = SuggestionService(self.completer, self._config.inline, on_state=self._service_state)
        # Nothing is loaded before the first suggestion (editors that never ask for one
        # never pay for the model); a cheap probe finds servers that are not there.
        self._set(BackendState.READY, f"{self.model} loads on first use")
        asyncio.get_running_loop().create_task(self._probe(self.completer))
        return True

    async def _probe(self, completer: Completer) -> None:
        try:
            state = await completer.state()
        except ModelError as exc:
            state, message = BackendState.OFFLINE, str(exc)
        else:
            message = f"{self.model} is not available" if state is BackendState.DISABLED else f"{self.model} is not reachable"
        if completer is self.completer and state in (BackendState.OFFLINE, BackendState.DISABLED):
            self._set(state, message)

    def _service_state(self, state: BackendState, message: str) -> None:
        self._set(state, message or (self._fallback_notice() if state is BackendState.READY else ""))

    async def warm_up(self, catalog: Catalog) -> None:
        """Load the model and evaluate the workspace's fixed prompt prefix (schema), so
        the first suggestion finds it in the engine's cache. Failures set the state."""
        if await self.load():
            await self.prime(catalog)

    def _warm_up_completer(self) -> Completer | None:
        # The longer timeout: loading and a cold schema prefix may outlast a keystroke's.
        return self.command_completer or self.completer

    async def load(self) -> bool:
        """The warm-up's first step: load the model (``Completer.warm_up``: every engine
        it runs on). False when there is no model or it failed (the state says why); the
        state stays ``loading`` until ``prime`` is done."""
        completer = self._warm_up_completer()
        if completer is None:
            return False
        self._set(BackendState.LOADING, f"loading {self.model}")
        try:
            await completer.warm_up()
        except ModelError as exc:
            if completer in (self.completer, self.command_completer):
                self._set(BackendState.OFFLINE, str(exc))
            return False
        return True

    @contextlib.contextmanager
    def busy(self, needs: Readiness) -> Iterator[None]:
        """Around a request that needs ``needs``: while a question (``LOADED``) is being
        answered, and for ``PRIME_QUIET_S`` after, the warm-up's ``prime`` waits before
        its next step."""
        if needs is not Readiness.LOADED:
            yield
            return
        self._answering += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._answering -= 1
            if self._answering == 0:
                self._answered = time.monotonic()
                self._idle.set()

    async def _quiet(self) -> None:
        """Return once no question has been answered for ``PRIME_QUIET_S``."""
        while True:
            await self._idle.wait()
            left = self._answered + PRIME_QUIET_S - time.monotonic()
            if left <= 0 and self._idle.is_set():
                return
            await asyncio.sleep(max(left, 0.0))

    async def prime(self, catalog: Catalog) -> None:
        """The warm-up's second step: evaluate the keystroke prompt's schema prefix, so
        the first keystroke suggestion finds it in the engine's cache; then the state.
        It runs in ``PRIME_STEPS`` growing requests, giving way to questions between
        them (``busy``)."""
        completer = self._warm_up_completer()
        if completer is None:
            return
        try:
            sliced = slice_schema(catalog)
            prefix = prompt_prefix(sliced.ddl, catalog.dialect)
            for cut in prime_cuts(prefix, PRIME_STEPS):
                await self._quiet()
                # on the bare weights, as keystroke suggestions run (an adapter switch
                # would drop the evaluated prefix from the engine's cache)
                await completer.complete(CompletionRequest(prompt=prefix[:cut], max_tokens=1, adapter=False))
            state = await completer.state()
        except ModelError as exc:
            if completer in (self.completer, self.command_completer):
                self._set(BackendState.OFFLINE, str(exc))
            return
        if completer in (self.completer, self.command_completer):
            self._set(state, self._fallback_notice() if state is BackendState.READY else self.message)

    async def available(self) -> list[dict[str, Any]]:
        """``querywright.listModels``: Ollama models (``/api/tags``), registered and local
        GGUF models, and the built-in model."""
        from .models import BUILTIN_MODELS, cached_path, gguf_files, runtime_path
        from .registry import list_registered

        out: list[dict[str, Any]] = []
        for name, model in BUILTIN_MODELS.items():
            present = cached_path(model).is_file()
            out.append({"ref": f"builtin:{name}", "label": f"builtin:{name}",
                        "description": model.description + ("" if present else " (not downloaded: querywright models pull builtin)")})  # fmt: skip
        out += await _ollama_models(self._config.ollama_host)
        try:
            registered = list_registered()
        except ModelError as exc:
            log.warning("%s", exc)
            registered = []
        for entry in registered:
            out.append({"ref": entry.name, "label": entry.name, "description": f"fine-tuned model ({entry.gguf})"})
        builtin_files = {p(m).resolve() for m in BUILTIN_MODELS.values() for p in (cached_path, runtime_path)}
        for path in gguf_files():
            if path.resolve() not in builtin_files:
                out.append({"ref": str(path), "label": path.name, "description": f"local GGUF {path}"})
        return out

    async def aclose(self) -> None:
        for completer in (self.completer, self.command_completer):
            if completer is not None:
                await completer.aclose()
        self.completer = self.command_completer = None


async def _ollama_models(host: str) -> list[dict[str, Any]]:
    import httpx
    import ollama

    client = ollama.AsyncClient(host=host, timeout=1.0)
    try:
        listed = await client.list()
    except (httpx.HTTPError, ollama.ResponseError, ConnectionError, OSError):
        return []  # no Ollama server here: nothing to list
    finally:
        await client.close()
    out = []
    for model in listed.models:
        if model.model:
            size = f"{(model.size or 0) / 1e6:.0f} MB" if model.size else ""
            out.append({"ref": f"ollama:{model.model}", "label": model.model, "description": f"Ollama at {host} {size}".strip()})
    return out
