"""The suggestion service with a scripted backend: context, healing, validation, cache,
cancellation, staleness, offline backends. (The real model: tests/lsp/test_inline*.py.)"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

import pytest
from querywright.server.ai.completer import (
    BackendState,
    Capabilities,
    Completion,
    CompletionRequest,
)
from querywright.server.ai.context import heal, inline_context, insertion
from querywright.server.ai.resilience import BackendUnavailable
from querywright.server.ai.suggest import SuggestionService
from querywright.server.config import InlineConfig
from querywright.server.sql.catalog import Catalog

from ..support.ready_completer import ReadyCompleter

NO_DEBOUNCE = InlineConfig(debounce_ms=0, max_candidates=2, grammar=True)


class ScriptedCompleter(ReadyCompleter):
    """A backend answering from a script (a test double of the Completer protocol).
    ``stream`` yields word-sized pieces of answer number ``request.seed`` (the suggestion
    service numbers a keystroke's candidates 0, 1, ...) and records how far it was read."""

    name = "scripted"

    def __init__(self, answers: list[str], *, grammar: bool = True, fail: bool = False) -> None:
        self.answers = answers
        self.capabilities = Capabilities(grammar=grammar, prefix_cache=True)
        self.fail = fail
        self.requests: list[CompletionRequest] = []
        self.started = asyncio.Event()
        self.release: asyncio.Event | None = None
        self.cancelled = False
        self.pieces_read = 0
        self.closed_early = 0

    async def _begin(self, request: CompletionRequest, cancel: asyncio.Event | None) -> bool:
        """Record the request; wait for ``release`` when set; False when cancelled."""
        self.requests.append(request)
        self.started.set()
        if self.fail:
            raise BackendUnavailable("scripted backend is down")
        if self.release is not None and cancel is not None:
            await asyncio.wait(
                {asyncio.ensure_future(self.release.wait()), asyncio.ensure_future(cancel.wait())},
                return_when=asyncio.FIRST_COMPLETED,
            )
            if cancel.is_set():
                self.cancelled = True
                return False
        return True

    async def complete(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> list[Completion]:
        if not await self._begin(request, cancel):
            return []
        return [Completion(text) for text in self.answers[: request.n]]

    async def stream(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> AsyncIterator[str]:
        if not await self._begin(request, cancel):
            return
        index = request.seed or 0
        pieces = re.findall(r"\s*\S+", self.answers[index]) if index < len(self.answers) else []
        finished = False
        try:
            for piece in pieces:
                self.pieces_read += 1
                yield piece
            finished = True
        finally:
            self.closed_early += not finished


def test_context_modes() -> None:
    text = "-- emails of active users\nSELECT email FROM us"
    ctx = inline_context(text, len(text), "postgres")
    assert ctx.mode == "continue" and ctx.prefix == "SELECT email FROM us"
    assert ctx.question == "emails of active users"
    comment = "SELECT 1;\n-- how many users\n"
    ctx = inline_context(comment, len(comment), "postgres")
    assert ctx.mode == "comment" and ctx.question == "how many users"
    assert inline_context("SELECT 1;\n\n", 11, "postgres").mode == "none"
    assert inline_context("SELECT 1 -- note", 16, "postgres").mode == "none"


def test_cursor_past_end_of_last_empty_line_is_clamped() -> None:
    text = "-- count users\n"
    assert inline_context(text, len(text) + 50, "postgres").mode == "comment"


def test_token_healing() -> None:
    assert heal("SELECT email FROM us") == heal("SELECT email FROM us")
    h = heal("SELECT email FROM us")
    assert (h.prompt_prefix, h.partial, h.spaced) == ("SELECT email FROM", "us", True)
    assert insertion(h, " users WHERE id = 1") == "ers WHERE id = 1"
    assert insertion(h, " orders") is None
    h = heal("SELECT u.em")
    assert insertion(h, "email") == "ail" and insertion(h, " email") is None
    h = heal("SELECT * FROM ")
    assert insertion(h, " users") == "users"


async def test_continuation_validated_and_healed(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" users WHERE is_active", " albums"])
    service = SuggestionService(backend, NO_DEBOUNCE)
    text = "SELECT email FROM us"
    result = await service.suggest("file:///q.sql", text, len(text), catalog)
    assert [s.text for s in result.items] == ["ers"]  # the FROM clause, finished
    assert result.raw == 1 and result.valid == 1  # valid at once: no second candidate
    request = backend.requests[0]
    assert request.prompt.endswith("<|im_start|>assistant\nSELECT email FROM")
    assert request.grammar is None  # measured: not worth its latency for keystrokes
    assert ";" in request.stop and "\n" in request.stop


async def test_continuation_grammar_when_asked(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" users"])
    service = SuggestionService(backend, NO_DEBOUNCE, continuation_grammar=True)
    await service.suggest("u", "SELECT email FROM us", 20, catalog)
    assert "first ::=" in (backend.requests[0].grammar or "")


async def test_all_invalid_says_so(catalog: Catalog) -> None:
    service = SuggestionService(ScriptedCompleter([" album_title FROM albums"]), NO_DEBOUNCE)
    result = await service.suggest("u", "SELECT ", 7, catalog)
    assert result.items == () and result.status == "no-valid"
    assert result.message.startswith("no valid suggestion")
    assert "albums" in result.message


async def test_statement_keyword_is_regenerated_whole(catalog: Catalog) -> None:
    backend = ScriptedCompleter(["SELECT email FROM users", " email FROM users"])
    result = await SuggestionService(backend, NO_DEBOUNCE).suggest("u", "SELECT", 6, catalog)
    assert [s.text for s in result.items] == [" email FROM users"]
    assert backend.requests[0].prompt.endswith("<|im_start|>assistant\n")


async def test_comment_to_sql_whole_statement(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" count(*) FROM users"])
    service = SuggestionService(backend, InlineConfig(debounce_ms=0, max_candidates=1))
    text = "-- how many users are there\n"
    result = await service.suggest("u", text, len(text), catalog)
    assert [s.text for s in result.items] == ["SELECT count(*) FROM users;"]
    assert backend.requests[0].prompt.endswith("how many users are there<|im_end|>\n<|im_start|>assistant\nSELECT")
    assert "select-body" in (backend.requests[0].grammar or "")


async def test_cache_serves_typed_through_suggestion(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" email FROM users"])
    service = SuggestionService(backend, NO_DEBOUNCE)
    await service.suggest("u", "SELECT ", 7, catalog)
    again = await service.suggest("u", "SELECT em", 9, catalog)
    assert again.status == "cached" and [s.text for s in again.items] == ["ail FROM users"]
    assert len(backend.requests) == 1


async def test_cancel_event_stops_backend(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" email FROM users"])
    backend.release = asyncio.Event()
    service = SuggestionService(backend, NO_DEBOUNCE)
    cancel = asyncio.Event()
    task = asyncio.create_task(service.suggest("u", "SELECT", 6, catalog, cancel=cancel))
    await backend.started.wait()
    cancel.set()
    result = await task
    assert result.status == "cancelled" and backend.cancelled


async def test_newer_request_supersedes_older(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" email FROM users"])
    backend.release = asyncio.Event()
    service = SuggestionService(backend, NO_DEBOUNCE)
    first = asyncio.create_task(service.suggest("u", "SELECT", 6, catalog))
    await backend.started.wait()
    backend.release.set()
    second = await service.suggest("u", "SELECT e", 8, catalog)
    assert (await first).status == "cancelled"
    assert second.status in ("ok", "cached")


async def test_stale_result_dropped(catalog: Catalog) -> None:
    service = SuggestionService(ScriptedCompleter([" email FROM users"]), NO_DEBOUNCE)
    result = await service.suggest("u", "SELECT", 6, catalog, is_current=lambda: False)
    assert result.status == "stale" and result.items == ()


async def test_offline_backend_reported(catalog: Catalog) -> None:
    states: list[BackendState] = []
    service = SuggestionService(ScriptedCompleter([], fail=True), NO_DEBOUNCE, on_state=lambda s, _m: states.append(s))
    result = await service.suggest("u", "SELECT", 6, catalog)
    assert result.status == "offline" and "down" in result.message
    assert states == [BackendState.OFFLINE]


async def test_no_grammar_without_capability_or_when_off(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" 1"], grammar=False)
    await SuggestionService(backend, NO_DEBOUNCE).suggest("u", "SELECT", 6, catalog)
    assert backend.requests[0].grammar is None
    backend = ScriptedCompleter([" 1"])
    off = InlineConfig(debounce_ms=0, grammar=False)
    await SuggestionService(backend, off).suggest("u", "SELECT", 6, catalog)
    assert backend.requests[0].grammar is None


async def test_debounce_is_cancellable(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" 1"])
    service = SuggestionService(backend, InlineConfig(debounce_ms=60_000))
    cancel = asyncio.Event()
    task = asyncio.create_task(service.suggest("u", "SELECT", 6, catalog, cancel=cancel))
    await asyncio.sleep(0)
    cancel.set()
    assert (await task).status == "cancelled" and backend.requests == []


async def test_disabled_without_backend(catalog: Catalog) -> None:
    result = await SuggestionService(None, NO_DEBOUNCE).suggest("u", "SELECT", 6, catalog)
    assert result.status == "disabled"


def test_adaptive_debounce_waits_longer_for_fast_typing_on_a_slow_model() -> None:
    service = SuggestionService(ScriptedCompleter([]), InlineConfig(debounce_ms=100))
    assert service.debounce_s("u", now=10.0) == pytest.approx(0.1)  # first request
    service._last_request["u"] = 10.0
    assert service.debounce_s("u", now=10.05) == pytest.approx(0.1)  # model fast (no latency yet)
    service._latency_ewma = 800.0  # the model takes 0.8 s per suggestion
    assert service.debounce_s("u", now=10.05) == pytest.approx(0.3)  # capped at 3x
    assert service.debounce_s("u", now=11.0) == pytest.approx(0.1)  # a pause in typing


async def test_keystroke_stops_at_a_clause_boundary(catalog: Catalog) -> None:
    """The greedy candidate is cut after the clause at the cursor and one more; the stream
    is closed there, so the model generates nothing past it."""
    backend = ScriptedCompleter([" * FROM users WHERE id = 1000 ORDER BY email"])
    result = await SuggestionService(backend, NO_DEBOUNCE).suggest("u", "SELECT ", 7, catalog)
    assert [s.text for s in result.items] == ["* FROM users"]
    # "*", "FROM", "users", "WHERE": nothing is generated past the capital WHERE
    assert backend.closed_early == 1 and backend.pieces_read == 4
    assert result.raw == 1 and len(backend.requests) == 1 and backend.requests[0].temperature == 0.0


async def test_keystroke_before_existing_text_finishes_only_the_clause(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" email, created_at FROM users"])
    text = "SELECT  FROM users"
    result = await SuggestionService(backend, NO_DEBOUNCE).suggest("u", text, 7, catalog)
    assert [s.text for s in result.items] == ["email, created_at"]


async def test_keystroke_samples_another_candidate_only_when_one_fails(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" album_title FROM albums", " email FROM users"])
    result = await SuggestionService(backend, NO_DEBOUNCE).suggest("u", "SELECT ", 7, catalog)
    assert [s.text for s in result.items] == ["email FROM users"]
    assert [r.seed for r in backend.requests] == [0, 1]
    assert [r.temperature for r in backend.requests] == [0.0, 0.5]
    assert result.raw == 2 and result.valid == 1 and not result.verdicts[0].ok
    good = ScriptedCompleter([" email FROM users", " id FROM users"])
    assert (await SuggestionService(good, NO_DEBOUNCE).suggest("u", "SELECT ", 7, catalog)).raw == 1
    assert len(good.requests) == 1


async def test_keystroke_after_from_finishes_only_that_clause(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" users WHERE id = 1000"])
    text = "SELECT email FROM "
    result = await SuggestionService(backend, NO_DEBOUNCE).suggest("u", text, len(text), catalog)
    assert [s.text for s in result.items] == ["users"] and backend.closed_early == 1


async def test_keystroke_in_a_select_list_adds_one_item(catalog: Catalog) -> None:
    """Before FROM, a select list with items gets one more item (checked against the
    table that has them all), never the model's whole rambling list."""
    backend = ScriptedCompleter([", name, created_at, country, is_active, is_active"])
    text = "SELECT email "
    result = await SuggestionService(backend, NO_DEBOUNCE).suggest("u", text, len(text), catalog)
    assert [s.text for s in result.items] == [", name"] and backend.pieces_read == 2  # ",", " name,"
    wrong = ScriptedCompleter([", title FROM users", ", name"])
    result = await SuggestionService(wrong, NO_DEBOUNCE).suggest("u", text, len(text), catalog)
    assert [s.text for s in result.items] == [", name"] and "no table has all" in result.verdicts[0].reason


QUESTION = "-- how many users are there\n"


async def test_a_cached_answer_skips_the_debounce(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" count(*) FROM users"])
    service = SuggestionService(backend, InlineConfig(debounce_ms=300, max_candidates=1))
    first = await service.suggest("u", QUESTION, len(QUESTION), catalog)
    assert first.status == "ok" and first.latency_ms >= 300
    again = await service.suggest("u", QUESTION, len(QUESTION), catalog)
    assert again.status == "cached" and again.items == first.items
    assert again.latency_ms < 100 and len(backend.requests) == 1


async def test_a_question_asked_again_joins_its_running_answer(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" count(*) FROM users"])
    backend.release = asyncio.Event()
    service = SuggestionService(backend, InlineConfig(debounce_ms=0, max_candidates=1))
    first = asyncio.create_task(service.suggest("u", QUESTION, len(QUESTION), catalog))
    await backend.started.wait()
    second = asyncio.create_task(service.suggest("u", QUESTION, len(QUESTION), catalog))
    await asyncio.sleep(0.01)
    backend.release.set()
    assert (await first).status == "cancelled"  # superseded by the newer request...
    result = await second
    assert [s.text for s in result.items] == ["SELECT count(*) FROM users;"]
    assert len(backend.requests) == 1 and not backend.cancelled  # ...which got the same answer


async def test_a_cancelled_question_is_still_answered_into_the_cache(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" count(*) FROM users"])
    backend.release = asyncio.Event()
    service = SuggestionService(backend, InlineConfig(debounce_ms=0, max_candidates=1))
    cancel = asyncio.Event()
    task = asyncio.create_task(service.suggest("u", QUESTION, len(QUESTION), catalog, cancel=cancel))
    await backend.started.wait()
    cancel.set()  # $/cancelRequest: the editor stopped waiting
    assert (await task).status == "cancelled"
    backend.release.set()
    await asyncio.sleep(0.05)  # nobody waits: the answer finishes on its own
    again = await service.suggest("u", QUESTION, len(QUESTION), catalog)
    assert again.status == "cached" and [s.text for s in again.items] == ["SELECT count(*) FROM users;"]
    assert len(backend.requests) == 1 and not backend.cancelled


async def test_another_question_stops_the_running_answer(catalog: Catalog) -> None:
    backend = ScriptedCompleter([" count(*) FROM users"])
    backend.release = asyncio.Event()
    service = SuggestionService(backend, InlineConfig(debounce_ms=0, max_candidates=1))
    first = asyncio.create_task(service.suggest("u", QUESTION, len(QUESTION), catalog))
    await backend.started.wait()
    other = "-- how many products are there\n"
    second = asyncio.create_task(service.suggest("u", other, len(other), catalog))
    assert (await first).status == "cancelled"
    await asyncio.sleep(0.01)
    assert backend.cancelled  # the first question's generation was stopped
    backend.release.set()
    await second
    assert len(backend.requests) == 2


async def test_a_question_comment_waits_only_the_configured_debounce(catalog: Catalog) -> None:
    """The debounce grows while keystrokes come faster than the model answers; a question
    comment right after another request is not such a keystroke."""
    backend = ScriptedCompleter([" count(*) FROM users", " email FROM users"])
    service = SuggestionService(backend, InlineConfig(debounce_ms=100, max_candidates=1))
    await service.suggest("u", "SELECT ", 7, catalog)
    service._latency_ewma = 800.0  # a slow model
    assert service.debounce_s("u", time.monotonic()) == pytest.approx(0.3)  # a keystroke would wait 3x
    result = await service.suggest("u", QUESTION, len(QUESTION), catalog)
    assert result.status == "ok" and 100 <= result.latency_ms < 250
