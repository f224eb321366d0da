"""Dialect-aware statement splitting: the scanner behind ``text.split_statements``.

A single forward pass over the text cuts it into ``Statement`` values with exact
offsets. Besides top-level semicolons (outside strings, quoted identifiers, comments
and dollar-quoted bodies) it understands how real DDL files separate statements:

* T-SQL ``GO`` batch lines end the current statement;
* Oracle/DB2 ``/`` lines end the current statement, and PL/SQL blocks (``CREATE
  TRIGGER/PROCEDURE/FUNCTION/PACKAGE/TYPE``, ``DECLARE``, ``BEGIN``) are kept whole up
  to the ``/`` line or a column-0 ``END ...;`` line (T-SQL blocks run to ``GO``);
* MySQL ``DELIMITER xx`` lines switch the terminator until the next ``DELIMITER``;
* lines starting with a backslash (psql meta-commands: ``\\connect``, ``\\set``,
  ``\\pset``, ``\\i``, ``\\copy`` ...) become statements of kind ``"meta"``;
* ``COPY ... FROM stdin;`` followed by data lines up to ``\\.`` is ONE statement of kind
  ``"copy"`` whose text includes the data (see ``Statement.copy_header`` /
  ``Statement.copy_data``).

Every cut is a ``str.find``/regex jump, never a per-character loop, so megabyte dumps
split in milliseconds.
"""

from __future__ import annotations

import functools
import re
from .text import Statement, skip_comments_and_blanks

# Dialects whose string literals use backslash escapes.
BACKSLASH_DIALECTS = frozenset({"mysql", "bigquery", "spark", "spark2", "databricks", "hive", "doris", "starrocks", "clickhouse", "singlestore"})
_SLASH_DIALECTS = frozenset({"oracle", "db2"})
_GO_DIALECTS = frozenset({"tsql", "fabric"})
_DELIMITER_DIALECTS = frozenset({"mysql", "singlestore", "doris", "starrocks"})

_BLOCK_START = re.compile(
    r"(?:CREATE\s+(?:OR\s+(?:REPLACE|ALTER)\s+)?(?:(?:NON)?EDITIONABLE\s+)?(?:TRIGGER|PROCEDURE|PROC|FUNCTION|PACKAGE|TYPE\s+BODY)\b|DECLARE\b|BEGIN\b)",
    re.IGNORECASE,
)
_BLOCK_END_LINE = re.compile(r"END\b[^;\n]*", re.IGNORECASE)
_COPY_STDIN = re.compile(r"COPY\b[^;]*?\bFROM\s+STDIN\b", re.IGNORECASE)
_COPY_END = re.compile(r"^\\\.[ \t\r]*$", re.MULTILINE)
_DELIMITER_LINE = re.compile(r"DELIMITER[ \t]+(\S+)[ \t\r]*$", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _scanner(dialect: str, delimiter: str, meta: bool = True) -> re.Pattern[str]:
    """The jump pattern: the terminator, line-level markers, comment and quote openers."""
    parts = [re.escape(delimiter)]  # terminator and openers stay ungrouped: the common scan is fastest
    if dialect in _GO_DIALECTS:
        parts.append(r"(?P<go>^[ \t]*GO(?:[ \t]+\d+)?[ \t\r]*$)")
    if dialect in _SLASH_DIALECTS:
        parts.append(r"(?P<slash>^[ \t]*/[ \t\r]*$)")
    if dialect in _DELIMITER_DIALECTS or dialect == "":
        parts.append(r"(?P<delim>^[ \t]*DELIMITER[ \t]+\S+[ \t\r]*$)")
    if meta:  # only when some line starts with a backslash (keeps the common scan lean)
        parts.append(r"(?P<meta>^\\[^\n]*)")
    openers = ["--", r"/\*", "'", '"']
    if dialect not in _GO_DIALECTS:
        openers.append("`")
    else:
        openers.append(r"\[")
    if delimiter == ";":
        openers.append(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")
    parts.extend(openers)
    return re.compile("|".join(parts), re.MULTILINE | re.IGNORECASE)


def split(text: str, dialect: str = "") -> list[Statement]:
    """Cut ``text`` into statements; blank chunks are dropped, offsets are exact."""
    dialect = dialect.lower()
    backslash = dialect in BACKSLASH_DIALECTS
    block_dialect = dialect in _SLASH_DIALECTS or dialect in _GO_DIALECTS
    out: list[Statement] = []
    n = len(text)
    chunk = 0
    unterminated: str | None = None
    delimiter = ";"
    meta = text.startswith("\\") or "\n\\" in text
    pattern = _scanner(dialect, delimiter, meta)
    pos = 0

    def emit(end: int, terminated: bool) -> Statement | None:
        start = chunk
        while start < end and text[start].isspace():
            start += 1
        stop = _trim_end(text, end)
        if start >= stop:
            return None
        code_start = skip_comments_and_blanks(text, start, stop)
        statement = Statement(len(out), start, code_start, stop, text[start:stop], terminated, unterminated)
        out.append(statement)
        return statement

    while pos < n:
        match = pattern.search(text, pos)
        if match is None:
            break
        group = match.lastgroup
        begin = match.start()
        token = match.group(0)
        if group is None and token == delimiter:
            if block_dialect and delimiter == ";" and _BLOCK_START.match(text, skip_comments_and_blanks(text, chunk, n)):
                # procedural code: Oracle/DB2 blocks end at a column-0 ``END ...;`` line (or
                # a ``/`` line); T-SQL blocks run to ``GO``.
                if dialect in _GO_DIALECTS or not _BLOCK_END_LINE.fullmatch(text, _line_start(text, begin), begin):
                    pos = begin + 1
                    continue
            statement = emit(begin, True)
            pos = chunk = begin + len(token)
            if statement is not None and text[statement.code_start : statement.code_start + 4].upper() == "COPY" and _COPY_STDIN.match(text, statement.code_start, begin):
                pos = chunk = _take_copy_data(text, out, pos)
            continue
        if group in ("go", "slash"):
            emit(begin, True)
            pos = chunk = match.end()
            continue
        if group in ("delim", "meta"):
            emit(begin, False)
            if group == "delim":
                found = _DELIMITER_LINE.search(token)
                delimiter = found.group(1) if found else ";"
                pattern = _scanner(dialect, delimiter, meta)
            out.append(_meta(text, begin + len(token) - len(token.lstrip()), match.end(), len(out)))
            pos = chunk = match.end()
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
        elif token in ("'", '"', "`", "["):
            close_quote = "]" if token == "[" else token
            pos = _end_of_quoted(text, begin, close_quote, backslash and token in ("'", '"'))
            if pos < 0:
                unterminated = "string" if token == "'" else "quoted identifier"
                pos = n
        else:  # dollar quote
            close = text.find(token, match.end())
            if close == -1:
                unterminated, pos = "dollar-quoted string", n
            else:
                pos = close + len(token)
    emit(n, False)
    return out


def _trim_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _meta(text: str, begin: int, end: int, index: int) -> Statement:
    stop = _trim_end(text, end)
    return Statement(index, begin, begin, stop, text[begin:stop], False, None, "meta")


def _take_copy_data(text: str, out: list[Statement], pos: int) -> int:
    """Extend the COPY statement just emitted with its data lines up to ``\\.``."""
    header = out[-1]
    nl = text.find("\n", pos)
    if nl == -1:
        return pos
    found = _COPY_END.search(text, nl + 1)
    if found is None:
        stop = _trim_end(text, len(text))
        out[-1] = Statement(header.index, header.start, header.code_start, stop, text[header.start:stop], False, "COPY data block (no closing \\.)", "copy")
        return len(text)
    stop = _trim_end(text, found.end())
    out[-1] = Statement(header.index, header.start, header.code_start, stop, text[header.start:stop], True, None, "copy")
    return found.end()


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

