"""Text positions and statement splitting.

``TextIndex`` maps between character offsets and 0-based (line, character) positions.
``split_statements`` cuts a document into statements at top-level semicolons, skipping
semicolons inside strings, quoted identifiers, comments and dollar-quoted bodies. It is a
fast pre-pass (it uses ``str.find`` jumps, not a full tokenizer) so that a 5 MB dump or a
2,000-line document is cut in milliseconds; each statement is then tokenized and parsed
by sqlglot on its own, so one broken statement never hides the others.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .issues import Position, Span

# Dialects whose string literals use backslash escapes.
_BACKSLASH_DIALECTS = frozenset({"mysql", "bigquery", "spark", "spark2", "databricks", "hive", "doris", "starrocks", "clickhouse", "singlestore"})

_SPECIAL = re.compile(r"--|/\*|'|\"|`|\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$|;")


class TextIndex:
    """Offset <-> position conversions for one immutable text."""

    __slots__ = ("text", "_line_starts")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._line_starts = starts

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return Position(line, offset - self._line_starts[line])

    def offset(self, position: Position) -> int:
        """Clamp out-of-range positions to the document (never raises)."""
        if position.line < 0:
            return 0
        if position.line >= len(self._line_starts):
            return len(self.text)
        start = self._line_starts[position.line]
        end = self._line_starts[position.line + 1] - 1 if position.line + 1 < len(self._line_starts) else len(self.text)
        return min(start + max(position.character, 0), end)

    def span(self, start: int, end: int) -> Span:
        return Span(self.position(start), self.position(end))

    def line_text(self, line: int) -> str:
        if not 0 <= line < len(self._line_starts):
            return ""
        start = self._line_starts[line]
        end = self._line_starts[line + 1] - 1 if line + 1 < len(self._line_starts) else len(self.text)
        return self.text[start:end]


@dataclass(frozen=True)
class Statement:
    """One statement of a document: ``text[start:end]`` (without the semicolon).

    ``start`` is the first non-blank character (leading comments included), ``code_start``
    the first character that is not blank or comment. ``terminated`` tells whether a ``;``
    follows; ``unterminated`` names a string/comment left open at end of file.
    """

    index: int
    start: int
    code_start: int
    end: int
    text: str
    terminated: bool
    unterminated: str | None = None

    @property
    def is_blank(self) -> bool:
        return self.code_start >= self.end and self.unterminated is None

    @property
    def code(self) -> str:
        return self.text[self.code_start - self.start :]

    def first_keyword(self) -> str:
        match = re.match(r"\s*\(*\s*([A-Za-z_]+)", self.code)
        return match.group(1).upper() if match else ""


def _skip_comments_and_blanks(text: str, pos: int, end: int) -> int:
    while pos < end:
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif text.startswith("--", pos):
            nl = text.find("\n", pos)
            pos = end if nl == -1 or nl > end else nl + 1
        elif text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            pos = end if close == -1 or close + 2 > end else close + 2
        else:
            break
    return min(pos, end)


def split_statements(text: str, dialect: str = "") -> list[Statement]:
    """Cut ``text`` into statements; blank chunks between semicolons are dropped."""
    backslash = dialect.lower() in _BACKSLASH_DIALECTS
    out: list[Statement] = []
    chunk_start = 0
    pos = 0
    n = len(text)
    unterminated: str | None = None

    def emit(end: int, terminated: bool) -> None:
        start = chunk_start
        while start < end and text[start].isspace():
            start += 1
        stop = end
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        if start >= stop:
            return
        code_start = _skip_comments_and_blanks(text, start, stop)
        out.append(Statement(len(out), start, code_start, stop, text[start:stop], terminated, unterminated))

    while pos < n:
        match = _SPECIAL.search(text, pos)
        if match is None:
            break
        token = match.group(0)
        begin = match.start()
        if token == ";":
            emit(begin, True)
            chunk_start = pos = begin + 1
            continue
        if token == "--":
            nl = text.find("\n", begin)
            pos = n if nl == -1 else nl + 1
        elif token == "/*":
            close = text.find("*/", begin + 2)
            if close == -1:
                unterminated, pos = "comment", n
            else:
                pos = close + 2
        elif token in ("'", '"', "`"):
            pos = _end_of_quoted(text, begin, token, backslash and token != "`")
            if pos < 0:
                unterminated = {"'": "string", '"': "quoted identifier", "`": "quoted identifier"}[token]
                pos = n
        else:  # dollar quote
            close = text.find(token, match.end())
            if close == -1:
                unterminated, pos = "dollar-quoted string", n
            else:
                pos = close + len(token)
    emit(n, False)
    return out


def _end_of_quoted(text: str, begin: int, quote: str, backslash: bool) -> int:
    """Offset just past the closing quote, or -1 when the quote never closes."""
    pos = begin + 1
    n = len(text)
    while True:
        close = text.find(quote, pos)
        if close == -1:
            return -1
        if backslash:
            slashes = 0
            k = close - 1
            while k >= pos and text[k] == "\\":
                slashes += 1
                k -= 1
            if slashes % 2:
                pos = close + 1
                continue
        if close + 1 < n and text[close + 1] == quote:  # doubled quote escape
            pos = close + 2
            continue
        return close + 1


def statement_at(statements: list[Statement], offset: int) -> Statement | None:
    """The statement containing ``offset`` (a cursor just after a statement's end or on
    its terminating semicolon still belongs to it)."""
    starts = [s.start for s in statements]
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and offset <= statements[i].end + 1:
        return statements[i]
    return None
