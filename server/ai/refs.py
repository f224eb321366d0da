"""Model references: parse them, and open the ``Completer`` one names.

Forms (the ``model`` setting):

- ``builtin:smollm2-135m``  the built-in model, pulled with ``querywright models pull builtin``
- ``ollama:NAME``           a model of the Ollama server at ``ollama_host``
- ``openai:URL#MODEL``      MODEL on an OpenAI-compatible server (``/v1/completions``)
- ``PATH.gguf`` or ``PATH.gguf+ADAPTER.gguf``  a GGUF (and LoRA adapter) run in process
- ``NAME``                  a fine-tuned model registered by the trainer's export

Every backend comes wrapped in a timeout and a circuit breaker. An ``ollama:`` reference
whose server is unreachable falls back to the built-in model; the completer's ``name`` and
``notice`` then say so.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import ModelError
from .completer import BackendState, Capabilities, Completer, Completion, CompletionRequest
from .models import DEFAULT_BUILTIN, adapter_path, builtin_model, resolve_builtin
from .registry import find_registered
from .resilience import BackendUnavailable, CircuitBreaker, ResilientCompleter

log = logging.getLogger(__name__)

RefKind = Literal["builtin", "ollama", "openai", "gguf", "registered"]
FORMS = "builtin:smollm2-135m, ollama:NAME, openai:URL#MODEL, PATH.gguf[+ADAPTER.gguf], or a registered model name"
_REGISTERED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class ModelRef:
    """A parsed model reference."""

    kind: RefKind
    text: str  # the reference as written
    name: str = ""  # builtin/ollama/openai/registered model name
    url: str = ""  # openai base URL
    path: Path | None = None  # gguf
    adapter: Path | None = None  # gguf LoRA adapter

    def __str__(self) -> str:
        return self.text


def parse_ref(text: str, *, base_dir: Path | None = None) -> ModelRef:
    """Parse a model reference; ``ModelError`` explains a malformed one. Relative GGUF
    paths are taken relative to ``base_dir`` (the workspace) when given."""
    ref = text.strip()
    if not ref:
        raise ModelError(f"empty model reference; use {FORMS}")
    if ref == "builtin":
        ref = f"builtin:{DEFAULT_BUILTIN}"
    scheme, sep, rest = ref.partition(":")
    if sep and scheme == "builtin":
        builtin_model(rest)  # raises for an unknown name
        return ModelRef("builtin", ref, name=rest)
    if sep and scheme == "ollama":
        if not rest or any(c.isspace() for c in rest):
            raise ModelError(f"bad model reference {text!r}: expected ollama:NAME")
        return ModelRef("ollama", ref, name=rest)
    if sep and scheme == "openai":
        url, hash_sign, model = rest.rpartition("#")
        if not hash_sign or not model or not url.startswith(("http://", "https://")):
            raise ModelError(
                f"bad model reference {text!r}: expected openai:URL#MODEL, "
                "e.g. openai:http://127.0.0.1:8000/v1#qwen2.5-coder"
            )
        return ModelRef("openai", ref, name=model, url=url)
    if ref.lower().endswith(".gguf"):
        return _gguf_ref(ref, base_dir)
    if _REGISTERED.match(ref):
        return ModelRef("registered", ref, name=ref)
    raise ModelError(f"unrecognised model reference {text!r}; use {FORMS}")


def _gguf_ref(ref: str, base_dir: Path | None) -> ModelRef:
    def resolve(part: str) -> Path:
        path = Path(part).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path

    whole = resolve(ref)
    model, plus, adapter = ref.rpartition("+")
    if plus and model.lower().endswith(".gguf") and not whole.exists():
        return ModelRef("gguf", ref, path=resolve(model), adapter=resolve(adapter))
    return ModelRef("gguf", ref, path=whole)


@dataclass(frozen=True)
class BackendConfig:
    """Settings the backends need; :meth:`from_settings` reads the workspace config."""

    ollama_host: str = "http://127.0.0.1:11434"
    keep_alive: str = "30m"
    timeout_s: float = 30.0  # whole request, enforced around every backend
    probe_timeout_s: float = 1.0  # connect / health probe
    failure_threshold: int = 3  # consecutive failures before the breaker opens
    reset_after_s: float = 30.0  # how long the breaker stays open before a trial request
    n_ctx: int = 4096
    n_threads: int | None = None  # embedded engine; None: min(4, cpu count)
    fallback_to_builtin: bool = True  # for ollama: references whose server is unreachable
    models_dir: Path | None = None  # model cache; None: models.cache_dir()
    workspace: Path | None = None  # base of relative GGUF paths
    openai_api_key: str | None = field(
        default_factory=lambda: os.environ.get("QUERYWRIGHT_OPENAI_API_KEY")
    )
    openai_grammar_field: str | None = None  # "grammar" for llama-server
    clock: Callable[[], float] | None = None  # circuit breaker clock (tests)

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, Any], workspace: Path | None = None
    ) -> BackendConfig:
        """From a validated querywright config mapping (schemas/config.schema.json)."""
        return cls(
            ollama_host=str(settings.get("ollama_host", cls.ollama_host)),
            workspace=workspace,
        )

    def breaker(self) -> CircuitBreaker:
        if self.clock is None:
            return CircuitBreaker(self.failure_threshold, self.reset_after_s)
        return CircuitBreaker(self.failure_threshold, self.reset_after_s, self.clock)


def open_completer(
    ref: str | ModelRef, config: BackendConfig | Mapping[str, Any] | None = None
) -> Completer:
    """The ``Completer`` for ``ref``, wrapped in a timeout and a circuit breaker.

    Cheap and non-blocking: nothing is loaded or contacted until ``warm_up``, ``state`` or
    the first request. Raises ``ModelError`` for malformed references and for local files
    that are missing (a missing built-in model names the pull command).
    """
    if config is None:
        config = BackendConfig()
    elif not isinstance(config, BackendConfig):
        config = BackendConfig.from_settings(config)
    parsed = ref if isinstance(ref, ModelRef) else parse_ref(ref, base_dir=config.workspace)
    if parsed.kind == "ollama":
        primary = _guard(_ollama(parsed, config), config)
        if not config.fallback_to_builtin:
            return primary
        return FallbackCompleter(primary, lambda: _guard(_builtin(DEFAULT_BUILTIN, config), config))
    return _guard(_open_direct(parsed, config), config)


def _open_direct(ref: ModelRef, config: BackendConfig) -> Completer:
    if ref.kind == "builtin":
        return _builtin(ref.name, config)
    if ref.kind == "openai":
        from .openai_backend import OpenAICompleter

        return OpenAICompleter(
            ref.url,
            ref.name,
            api_key=config.openai_api_key,
            grammar_field=config.openai_grammar_field,
            timeout_s=config.timeout_s,
            probe_timeout_s=config.probe_timeout_s,
        )
    if ref.kind == "gguf":
        assert ref.path is not None
        return _embedded(ref.path, ref.adapter, ref.text, config)
    if ref.kind == "registered":
        entry = find_registered(ref.name, config.models_dir)
        if entry is None:
            raise ModelError(
                f"no registered model named {ref.name!r} (see `querywright models list`); "
                f"model references are {FORMS}"
            )
        adapter = None if entry.adapter is None else Path(entry.adapter)
        return _embedded(Path(entry.gguf), adapter, ref.name, config)
    raise ModelError(f"cannot open model reference {ref.text!r}")


def _builtin(name: str, config: BackendConfig) -> Completer:
    path = resolve_builtin(name, config.models_dir)
    return _embedded(path, adapter_path(builtin_model(name)), f"builtin:{name}", config)


def _embedded(path: Path, adapter: Path | None, name: str, config: BackendConfig) -> Completer:
    for file in (path, adapter):
        if file is not None and not file.is_file():
            raise ModelError(f"model file not found: {file}")
    from .embedded import EmbeddedCompleter

    return EmbeddedCompleter(
        path, adapter, name=name, n_ctx=config.n_ctx, n_threads=config.n_threads
    )


def _ollama(ref: ModelRef, config: BackendConfig) -> Completer:
    from .ollama_backend import OllamaCompleter

    return OllamaCompleter(
        ref.name,
        config.ollama_host,
        keep_alive=config.keep_alive,
        timeout_s=config.timeout_s,
        probe_timeout_s=config.probe_timeout_s,
    )


def _guard(inner: Completer, config: BackendConfig) -> ResilientCompleter:
    return ResilientCompleter(inner, timeout_s=config.timeout_s, breaker=config.breaker())


class FallbackCompleter:
    """Serve from ``primary`` (Ollama); while it is unreachable, from the built-in model.

    The primary's circuit breaker decides: once open, requests go straight to the
    fallback, and its half-open trial brings the primary back when it recovers.
    ``notice`` holds the status message while the fallback serves (else ``None``), and
    ``name`` then names the fallback, so a status built from it says what answers;
    ``on_switch`` (when set) is called each time serving moves to the fallback or back.
    """

    def __init__(self, primary: ResilientCompleter, make_fallback: Callable[[], Completer]) -> None:
        self.primary = primary
        self._make_fallback = make_fallback
        self._fallback: Completer | None = None
        self.notice: str | None = None
        self.on_switch: Callable[[], None] | None = None

    @property
    def falling_back(self) -> bool:
        """Whether the built-in fallback serves now."""
        return bool(self.notice) and self._fallback is not None

    @property
    def _active(self) -> Completer:
        return self._fallback if self.notice and self._fallback else self.primary

    @property
    def name(self) -> str:  # type: ignore[override]
        if self.falling_back:
            assert self._fallback is not None
            return f"{self._fallback.name} (fallback: {self.primary.name} unreachable)"
        return self.primary.name

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        return self._active.capabilities

    def _fall_back(self, reason: str) -> Completer:
        if self._fallback is None:
            try:
                self._fallback = self._make_fallback()
            except ModelError as exc:
                raise ModelError(
                    f"{reason}, and the built-in fallback is unavailable: {exc}"
                ) from None
        switched = not self.falling_back
        if self.notice is None:
            log.warning("%s; using %s instead", reason, self._fallback.name)
        self.notice = f"{reason}; using {self._fallback.name} instead"
        if switched:
            self._switched()
        return self._fallback

    def _recovered(self) -> None:
        switched = self.falling_back
        if self.notice is not None:
            log.info("%s is reachable again", self.primary.name)
        self.notice = None
        if switched:
            self._switched()

    def _switched(self) -> None:
        if self.on_switch is not None:
            self.on_switch()

    async def complete(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> list[Completion]:
        try:
            result = await self.primary.complete(request, cancel)
        except BackendUnavailable as exc:
            return await self._fall_back(str(exc)).complete(request, cancel)
        self._recovered()
        return result

    async def stream(
        self, request: CompletionRequest, cancel: asyncio.Event | None = None
    ) -> AsyncIterator[str]:
        started = False
        try:
            async for piece in self.primary.stream(request, cancel):
                started = True
                yield piece
        except BackendUnavailable as exc:
            if started:
                raise
            async for piece in self._fall_back(str(exc)).stream(request, cancel):
                yield piece
            return
        self._recovered()

    async def state(self) -> BackendState:
        """The primary's state; while it is OFFLINE, the fallback's (OFFLINE when the
        fallback cannot be opened either; ``notice`` then says why)."""
        state = await self.primary.state()
        if state is BackendState.OFFLINE:
            try:
                fallback = self._fall_back(f"{self.primary.name} is not reachable")
            except ModelError as exc:
                self.notice = str(exc)
                return BackendState.OFFLINE
            return await fallback.state()
        self._recovered()
        return state

    async def warm_up(self) -> None:
        try:
            await self.primary.warm_up()
        except BackendUnavailable as exc:
            await self._fall_back(str(exc)).warm_up()
            return
        self._recovered()

    async def aclose(self) -> None:
        await self.primary.aclose()
        if self._fallback is not None:
            await self._fallback.aclose()
