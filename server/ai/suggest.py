"""The inline-suggestion service: from a document and a cursor to validated suggestions.

One request runs: context (``context.inline_context``) -> prefix-keyed cache (a hit is
answered at once, without the debounce) -> adaptive debounce (cancellable) -> schema slice
+ prompt (``prompt``) + grammar (``grammar``, when the backend can honour one and it is
enabled) -> the backend, with the request's ``asyncio.Event`` as its cancel signal ->
token healing -> validation (``validate``) -> up to N distinct suggestions. Nothing
unvalidated comes out.

- **Cancellation**: the caller sets ``cancel`` (``$/cancelRequest``); a newer request for
  the same document sets the older one's too. Generation stops at the next token.
- **Staleness**: ``is_current()`` is asked after generation; a result for a document
  version that changed meanwhile is dropped (``status="stale"``).
- **Cache**: keyed by model, schema and statement prefix/suffix/question. Typing the
  characters a cached suggestion starts with is served from the cache (the rest of it).
- **Keystrokes** (``continue`` mode) are latency-first: one candidate is streamed and cut
  at a clause or select-item boundary (``clauses``), generation stopping there, and is
  validated as a statement still being written; another candidate is sampled
  only when the previous one fails validation, up to ``max_candidates``. Comment -> SQL
  (a ``-- question`` line) is answered as ``ask`` answers it — value hints from the
  workspace's seed rows, schema linking, the greedy candidate and its repairs, the
  execution-guided choice — and shows that one statement. A question is answered once:
  a request for a question already being answered waits on that answer (no debounce),
  and a cancelled request (the editor stopped waiting) leaves the answer running into the
  cache; only a request for something else in that document stops it. The debounce of
  a question is the configured one, not the adaptive one of keystrokes.
- **Backend state**: backend failures (``ModelError``: offline, timeout, circuit breaker
  open) become a result with ``status="offline"`` and a message; ``on_state`` hears of
  every change so the editor's status bar follows. The deterministic features never wait
  on this: the model runs in a worker thread or another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..config import InlineConfig
from ..errors import ModelError
from ..sql.catalog import Catalog
from ..sql.text import Statement, TextIndex
from ..sql.values import ValueSample
from .ask import ask
from .clauses import Stop, cut_point, stop_for
from .completer import BackendState, Completer, CompletionRequest
from .context import Healing, InlineContext, heal, inline_context, insertion
from .grammar import continuation_grammar
from .prompt import STOP_SEQUENCES, build_prompt
from .schema_slice import DEFAULT_TOKEN_BUDGET, SchemaSlice, rendered_tables, slice_schema
from .validate import Verdict, validate_candidate

log = logging.getLogger(__name__)

# Measured with the built-in model (bench/RESULTS.md): the lexical continuation grammar
# doubles the time per generated token for a few points of raw validity, and validation
# keeps shown suggestions valid either way, so keystroke suggestions run without it. The
# statement grammar (comment -> SQL) pays: it follows ``inline.grammar``.
CONTINUATION_GRAMMAR = False
# Keystroke suggestions are one line of ghost text: generation stops at the line's end.
CONTINUATION_STOPS = (*STOP_SEQUENCES, "\n")
CACHE_SIZE = 256
MAX_TYPE_THROUGH = 48  # characters typed into a cached suggestion that still hit the cache
ALTERNATIVE_TEMPERATURE = 0.5  # candidates after the first (the first is greedy)


@dataclass(frozen=True)
class Suggestion:
    text: str  # inserted at the cursor
    statement: str  # the whole statement it completes (validated)
    repairs: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuggestResult:
    items: tuple[Suggestion, ...]
    status: str  # "ok" | "no-valid" | "none" | "cancelled" | "stale" | "offline" | "disabled" | "cached"
    message: str = ""
    latency_ms: float = 0.0
    raw: int = 0  # candidates the model produced
    valid: int = 0  # of those, how many passed validation
    verdicts: tuple[Verdict, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class _Entry:
    prefix: str
    items: tuple[Suggestion, ...]


@dataclass(eq=False)
class _Work:
    """A question being answered: its task, its own stop signal, the documents waiting."""

    cancel: asyncio.Event
    task: asyncio.Task[SuggestResult] | None = None
    uris: set[str] = field(default_factory=set)


class SuggestionService:
    """Inline suggestions for one workspace, from one ``Completer``."""

    def __init__(
        self,
        completer: Completer | None,
        config: InlineConfig | None = None,
        *,
        on_state: Callable[[BackendState, str], None] | None = None,
        budget_tokens: int = DEFAULT_TOKEN_BUDGET,
        continuation_grammar: bool = CONTINUATION_GRAMMAR,
    ) -> None:
        self.completer = completer
        self.continuation_grammar = continuation_grammar
        self.config = config or InlineConfig()
        self.on_state = on_state
        self.budget_tokens = budget_tokens
        self._cache: OrderedDict[tuple[str, ...], _Entry] = OrderedDict()
        self._inflight: dict[str, asyncio.Event] = {}
        self._answers: dict[tuple[str, ...], _Work] = {}
        self._last_request: dict[str, float] = {}
        self._latency_ewma: float | None = None
        self._state: BackendState | None = None

    # ------------------------------------------------------------------ state
    def _set_state(self, state: BackendState, message: str = "") -> None:
        if state is not self._state:
            self._state = state
            if self.on_state is not None:
                self.on_state(state, message)

    def debounce_s(self, uri: str, now: float) -> float:
        """Adaptive debounce: the configured delay, longer while keystrokes come faster
        than the model answers (waiting costs less than generating for nothing)."""
        base = self.config.debounce_ms / 1000.0
        gap = now - self._last_request.get(uri, float("-inf"))
        latency = (self._latency_ewma or 0.0) / 1000.0
        if gap < base * 2 and latency > base:
            return min(base * 3, max(base, latency / 2))
        return base

    # ------------------------------------------------------------------ cache
    def _key(self, catalog: Catalog, ddl: str, context: InlineContext, grammar: bool) -> tuple[str, ...]:
        digest = hashlib.sha1(ddl.encode()).hexdigest()[:16]
        name = self.completer.name if self.completer is not None else ""
        return (name, catalog.dialect, digest, context.mode, context.question or "", context.suffix, str(grammar))

    def _cached(self, key: tuple[str, ...], prefix: str) -> tuple[Suggestion, ...] | None:
        for cut in range(min(len(prefix), MAX_TYPE_THROUGH) + 1):
            head = prefix[: len(prefix) - cut]
            entry = self._cache.get((*key, head))
            if entry is None:
                continue
            typed = prefix[len(head) :]
            items = tuple(
                replace(s, text=s.text[len(typed) :]) for s in entry.items if s.text.startswith(typed) and len(s.text) > len(typed)
            )
            if items or cut == 0:
                self._cache.move_to_end((*key, head))
                return items
        return None

    def _store(self, key: tuple[str, ...], prefix: str, items: tuple[Suggestion, ...]) -> None:
        self._cache[(*key, prefix)] = _Entry(prefix, items)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    # ------------------------------------------------------------------ requests
    async def suggest(
        self,
        uri: str,
        text: str,
        offset: int,
        catalog: Catalog,
        *,
        cancel: asyncio.Event | None = None,
        is_current: Callable[[], bool] = lambda: True,
        statements: list[Statement] | None = None,
        index: TextIndex | None = None,
        debounce: bool = True,
        force_comment: str | None = None,
        values: ValueSample | None = None,
    ) -> SuggestResult:
        """Suggestions at ``offset`` of ``text``. ``force_comment``: generate a whole
        statement for this question regardless of the cursor (generateFromComment)."""
        started = time.perf_counter()
        cancel = cancel or asyncio.Event()
        if force_comment is not None:
            context = InlineContext("comment", question=force_comment)
        else:
            context = inline_context(text, offset, catalog.dialect, statements, index)
        if context.mode == "none":
            return SuggestResult((), "none", context.reason)
        if self.completer is None or not self.config.enabled:
            return SuggestResult((), "disabled", "inline suggestions are off")
        use_grammar = self.config.grammar and self.completer.capabilities.grammar
        whole = context.mode == "comment"
        sliced = None if whole else slice_schema(catalog, context.prefix + context.suffix, context.question or "", self.budget_tokens)
        key = self._key(catalog, _schema_text(catalog) if sliced is None else sliced.ddl, context, use_grammar)
        previous = self._inflight.get(uri)
        if previous is not None:
            previous.set()  # a newer request supersedes it
        self._supersede(uri, key)
        # a cached answer (the same question, the same statement text) needs no debounce
        cached = self._cached(key, context.prefix)
        if cached is not None:
            status = "cached" if cached else "no-valid"
            return SuggestResult(cached, status, "" if cached else "no valid suggestion", _ms(started))
        self._inflight[uri] = cancel
        now = time.monotonic()
        try:
            # a question already being answered (the editor asked again) is joined, not redone
            if debounce and not (whole and key in self._answers):
                # the adaptive part is for keystrokes coming faster than the model answers;
                # a question comment is not one of a stream of keystrokes
                delay = self.config.debounce_ms / 1000.0 if whole else self.debounce_s(uri, now)
                self._last_request[uri] = now
                try:
                    await asyncio.wait_for(cancel.wait(), timeout=delay)
                except asyncio.TimeoutError:
                    pass
            if cancel.is_set():
                return SuggestResult((), "cancelled", "cancelled")
            if whole:
                return await self._comment(uri, key, context, catalog, cancel, is_current, started, values, use_grammar)
            assert sliced is not None
            return await self._run(key, sliced, context, catalog, cancel, is_current, started, use_grammar)
        finally:
            if self._inflight.get(uri) is cancel:
                del self._inflight[uri]

    def _supersede(self, uri: str, key: tuple[str, ...]) -> None:
        """A request for ``uri`` with ``key`` came: the answer this document waited for
        is stopped when it is for another question and no other document waits on it."""
        for other, work in list(self._answers.items()):
            if other != key and uri in work.uris:
                work.uris.discard(uri)
                if not work.uris:
                    work.cancel.set()

    async def _comment(
        self,
        uri: str,
        key: tuple[str, ...],
        context: InlineContext,
        catalog: Catalog,
        cancel: asyncio.Event,
        is_current: Callable[[], bool],
        started: float,
        values: ValueSample | None,
        use_grammar: bool,
    ) -> SuggestResult:
        """A question comment, answered the way ``ask`` answers it: value hints, schema
        linking, repairs and the execution-guided choice (greedy only). One answer per
        question runs at a time; its requests wait on it, and when they are cancelled
        (the editor gave up waiting) it goes on and lands in the cache, so asking again
        is answered at once. Only a request for something else stops it."""
        work = self._answers.get(key)
        if work is None:
            work = _Work(asyncio.Event())
            work.task = asyncio.get_running_loop().create_task(self._answer(key, context, catalog, values, use_grammar, work.cancel))
            self._answers[key] = work
            work.task.add_done_callback(lambda task, key=key, work=work: self._finished(key, work, task))
        work.uris.add(uri)
        assert work.task is not None
        waiter = asyncio.ensure_future(cancel.wait())
        try:
            await asyncio.wait({work.task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if not work.task.done():
            return SuggestResult((), "cancelled", "cancelled", _ms(started))
        outcome = work.task.result()
        if outcome.status == "offline":
            return replace(outcome, latency_ms=_ms(started))
        if cancel.is_set() or outcome.status == "cancelled":
            return SuggestResult((), "cancelled", "cancelled", _ms(started))
        if not is_current():
            return SuggestResult((), "stale", "the document changed", _ms(started))
        return replace(outcome, latency_ms=_ms(started))

    def _finished(self, key: tuple[str, ...], work: _Work, task: asyncio.Task[SuggestResult]) -> None:
        if self._answers.get(key) is work:
            del self._answers[key]
        if not task.cancelled() and task.exception() is not None:  # also when nobody waits any more
            log.warning("answering a question comment failed: %r", task.exception())

    async def _answer(
        self,
        key: tuple[str, ...],
        context: InlineContext,
        catalog: Catalog,
        values: ValueSample | None,
        use_grammar: bool,
        cancel: asyncio.Event,
    ) -> SuggestResult:
        assert self.completer is not None
        started = time.perf_counter()
        try:
            answer = await ask(context.question or "", catalog, self.completer, values=values, samples=1,
                               grammar=use_grammar, cancel=cancel)  # fmt: skip
        except ModelError as exc:
            self._set_state(BackendState.OFFLINE, str(exc))
            return SuggestResult((), "offline", str(exc), _ms(started))
        self._set_state(BackendState.READY)
        if cancel.is_set():
            return SuggestResult((), "cancelled", "cancelled")
        healing = heal("")
        if answer.sql is not None:
            items, verdicts = self._validate(context, catalog, healing, [answer.sql], True)
        else:
            items, verdicts = (), list(answer.verdicts)
        self._store(key, context.prefix, items)
        message = "" if items else _no_valid_message(verdicts)
        return SuggestResult(items, "ok" if items else "no-valid", message, 0.0, len(answer.verdicts), len(items), tuple(verdicts))

    def _observe(self, elapsed_ms: float) -> None:
        """A keystroke suggestion's latency, for the adaptive debounce."""
        self._latency_ewma = elapsed_ms if self._latency_ewma is None else 0.7 * self._latency_ewma + 0.3 * elapsed_ms

    async def _run(
        self,
        key: tuple[str, ...],
        sliced: SchemaSlice,
        context: InlineContext,
        catalog: Catalog,
        cancel: asyncio.Event,
        is_current: Callable[[], bool],
        started: float,
        use_grammar: bool,
    ) -> SuggestResult:
        """A keystroke suggestion: the statement continued, one clause at a time."""
        assert self.completer is not None
        healing = heal(context.prefix)
        grammar = None
        if use_grammar and self.continuation_grammar:
            grammar = continuation_grammar(catalog, sliced.keys, healing.prompt_prefix, healing.partial)
        n = max(1, self.config.max_candidates)
        request = CompletionRequest(
            prompt=build_prompt(sliced.ddl, catalog.dialect, context.question, healing.prompt_prefix, context.suffix),
            max_tokens=self.config.max_tokens,
            temperature=0.0 if n == 1 else ALTERNATIVE_TEMPERATURE,
            n=n,
            stop=CONTINUATION_STOPS,
            grammar=grammar,
            adapter=False,  # the SQL adapter answers questions; continuing text is the bare weights' job
        )
        try:
            # Text after the cursor: the suggestion only fills the gap up to it.
            stop = Stop() if context.suffix.strip() else stop_for(context.prefix)
            outputs, items, verdicts = await self._keystroke(request, cancel, stop, context, catalog, healing)
        except ModelError as exc:
            self._set_state(BackendState.OFFLINE, str(exc))
            return SuggestResult((), "offline", str(exc), _ms(started))
        self._set_state(BackendState.READY)
        elapsed = _ms(started)
        self._observe(elapsed)
        if cancel.is_set():
            return SuggestResult((), "cancelled", "cancelled", elapsed)
        if not is_current():
            return SuggestResult((), "stale", "the document changed", elapsed)
        self._store(key, context.prefix, items)
        message = "" if items else _no_valid_message(verdicts)
        return SuggestResult(items, "ok" if items else "no-valid", message, _ms(started), len(outputs), len(items), tuple(verdicts))

    async def _keystroke(
        self,
        request: CompletionRequest,
        cancel: asyncio.Event,
        stop: Stop,
        context: InlineContext,
        catalog: Catalog,
        healing: Healing,
    ) -> tuple[list[str], tuple[Suggestion, ...], list[Verdict]]:
        """Candidates one at a time (greedy first, then sampled), each streamed and cut at
        a clause boundary, until one validates or ``request.n`` were tried."""
        assert self.completer is not None
        outputs: list[str] = []
        verdicts: list[Verdict] = []
        for index in range(request.n):
            if cancel.is_set():
                break
            one = replace(request, n=1, seed=index,
                          temperature=0.0 if index == 0 else ALTERNATIVE_TEMPERATURE)  # fmt: skip
            outputs.append(await self._stream_clauses(one, cancel, stop))
            items, checked = self._validate(context, catalog, healing, outputs[-1:], False)
            verdicts += checked
            if items:
                return outputs, items, verdicts
        return outputs, (), verdicts

    async def _stream_clauses(self, request: CompletionRequest, cancel: asyncio.Event, stop: Stop) -> str:
        """One candidate's text, generation stopped at the boundary ``stop`` describes
        (``clauses.cut_point``)."""
        assert self.completer is not None
        text = ""
        async with contextlib.aclosing(self.completer.stream(request, cancel)) as pieces:
            async for piece in pieces:
                text += piece
                cut = cut_point(text, stop)
                if cut is not None:
                    return text[:cut]  # leaving the block closes the stream: generation stops
        return text

    def _validate(self, context: InlineContext, catalog: Catalog, healing: Healing, outputs: list[str], whole: bool) -> tuple[tuple[Suggestion, ...], list[Verdict]]:
        items: list[Suggestion] = []
        verdicts: list[Verdict] = []
        seen: set[str] = set()
        for output in outputs:
            inserted = output if whole else insertion(healing, output)
            if inserted is None:
                verdicts.append(Verdict(False, "", "", "does not continue the text at the cursor", raw=output))
                continue
            verdict = validate_candidate(inserted, catalog, "" if whole else context.prefix, "" if whole else context.suffix, partial=not whole)
            verdicts.append(verdict)
            if not verdict.ok:
                continue
            text = verdict.text + (";" if whole else "")
            if text.strip() and text not in seen:
                seen.add(text)
                items.append(Suggestion(text, verdict.statement, verdict.repairs))
        return tuple(items), verdicts

    async def state(self) -> BackendState:
        if self.completer is None or not self.config.enabled:
            return BackendState.DISABLED
        try:
            state = await self.completer.state()
        except ModelError as exc:
            self._set_state(BackendState.OFFLINE, str(exc))
            return BackendState.OFFLINE
        self._set_state(state)
        return state

    def clear_cache(self) -> None:
        self._cache.clear()


def _schema_text(catalog: Catalog) -> str:
    """The whole schema as the cache key of a question's answer (linking looks at every
    table); rendered once per catalog object (``rendered_tables``)."""
    return "\n".join(rendered_tables(catalog).values())


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _no_valid_message(verdicts: list[Verdict]) -> str:
    reasons = [v.reason for v in verdicts if v.reason]
    detail = f" ({reasons[0]})" if reasons else ""
    return f"no valid suggestion: the model's {len(verdicts)} candidate(s) failed validation{detail}"
