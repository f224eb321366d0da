"""Per-statement check results, cached by (statement text, catalog generation).

A one-statement edit in a 2,000-line document re-checks only that statement: every
other statement's text is unchanged, so its issues come from the cache, shifted to the
statement's current position. Issues are computed on the statement's own text, which
makes them independent of where the statement sits in the document.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

from .catalog import Catalog
from .checks import check_statement
from .issues import Issue, Position, Span, TextEdit
from .parsing import parse_statement
from .resolve import shift
from .text import Statement, TextIndex

CacheKey = tuple[str, int, "str | None", int]


def _move_span(span: Span, base: Position) -> Span:
    return Span(shift(span.start, base), shift(span.end, base))


def _move(issue: Issue, base: Position, path: str | None) -> Issue:
    if base == Position(0, 0) and issue.path == path:
        return issue
    fixes = tuple(dataclasses.replace(f, edits=tuple(TextEdit(_move_span(e.span, base), e.new_text) for e in f.edits)) for f in issue.fixes)
    return dataclasses.replace(issue, span=_move_span(issue.span, base), fixes=fixes, path=path)


class CheckCache:
    """LRU of statement-local issues for one catalog generation at a time."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self.generation = -1
        self._entries: OrderedDict[CacheKey, tuple[Issue, ...]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def statement_issues(self, statement: Statement, index: TextIndex, catalog: Catalog, generation: int, path: str | None = None) -> list[Issue]:
        """Issues of one statement of the document behind ``index``."""
        if generation != self.generation:
            self._entries.clear()
            self.generation = generation
        key = (statement.text, statement.code_start - statement.start, statement.unterminated, generation)
        local = self._entries.get(key)
        if local is None:
            self.misses += 1
            local = tuple(_check_local(statement, catalog))
            self._entries[key] = local
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        else:
            self.hits += 1
            self._entries.move_to_end(key)
        base = index.position(statement.start)
        return [_move(issue, base, path) for issue in local]


def _check_local(statement: Statement, catalog: Catalog) -> list[Issue]:
    text = statement.text
    local = Statement(0, 0, statement.code_start - statement.start, len(text), text, statement.terminated, statement.unterminated)
    local_index = TextIndex(text)
    return check_statement(parse_statement(local, catalog.dialect, local_index), catalog, local_index)
