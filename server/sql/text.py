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
    (or batch separator) follows; ``unterminated`` names a string/comment left open at end
    of file. ``kind`` is ``"sql"`` for ordinary statements, ``"meta"`` for a client
    meta-command line (psql ``\\set``, MySQL ``DELIMITER``; ``is_blank`` is true, nothing
    to parse) and ``"copy"`` for ``COPY ... FROM stdin;`` together with its data lines up
    to ``\\.`` (``copy_header`` and ``copy_data`` give the two parts).
    """

    index: int
    start: int
    code_start: int
    end: int
    text: str
    terminated: bool
    unterminated: str | None = None
    kind: str = "sql"

    @property
    def is_blank(self) -> bool:
        """No SQL to parse: only blanks/comments, or a client meta-command line."""
        return self.kind == "meta" or (self.code_start >= self.end and self.unterminated is None)

    @property
    def copy_header(self) -> str:
        """For ``kind == "copy"``: the ``COPY ... FROM stdin`` command (no semicolon)."""
        return self.code.split(";", 1)[0] if self.kind == "copy" else ""

    @property
    def copy_data(self) -> str:
        """For ``kind == "copy"``: the data lines after the command, without the ``\\.`` line."""
        if self.kind != "copy":
            return ""
        _, _, rest = self.code.partition(";")
        rest = rest.split("\n", 1)[1] if "\n" in rest else ""
        return rest[: rest.rfind("\\.")] if rest.rstrip().endswith("\\.") else rest

    @property
    def code(self) -> str:
        return self.text[self.code_start - self.start :]

    def first_keyword(self) -> str:
        match = re.match(r"\s*\(*\s*([A-Za-z_]+)", self.code)
        return match.group(1).upper() if match else ""


def skip_comments_and_blanks(text: str, pos: int, end: int) -> int:
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
    """Cut ``text`` into statements (see ``server.sql.splitter``); blank chunks are dropped."""
    from .splitter import split

    return split(text, dialect)


def statement_at(statements: list[Statement], offset: int) -> Statement | None:
    """The statement containing ``offset`` (a cursor just after a statement's end or on
    its terminating semicolon still belongs to it)."""
    starts = [s.start for s in statements]
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and offset <= statements[i].end + 1:
        return statements[i]
    return None
