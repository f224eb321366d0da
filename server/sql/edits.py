"""Apply an editor's incremental change to a document text, by the LSP's rules.

Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (nothing else: not form feed, not U+2028);
``character`` counts UTF-16 code units (code points when the client negotiated UTF-32);
a character past the end of its line means the end of that line, a line past the last
means the end of the document (a position inside a surrogate pair moves past the pair).
pygls' own document model differs on the first two and on a character past the end of
the last line, so the session keeps its text with this instead.
"""

from __future__ import annotations

import re

_EOL = re.compile(r"\r\n|\r|\n")


def _line_bounds(text: str, line: int) -> tuple[int, int]:
    """(start, end of content) of ``line``; (-1, -1) past the last line."""
    start = 0
    if "\r" not in text:  # the common case, on str.find's fast path
        for _ in range(line):
            found = text.find("\n", start)
            if found < 0:
                return -1, -1
            start = found + 1
        found = text.find("\n", start)
        return start, found if found >= 0 else len(text)
    for _ in range(line):
        match = _EOL.search(text, start)
        if match is None:
            return -1, -1
        start = match.end()
    match = _EOL.search(text, start)
    return start, match.start() if match is not None else len(text)


def line_offset(text: str, line: int, character: int, utf16: bool = True) -> int:
    """The offset in ``text`` of the LSP position (``line``, ``character``), clamped."""
    start, end = _line_bounds(text, max(line, 0))
    if start < 0:
        return len(text)
    if not utf16 or text.isascii():
        return min(start + max(character, 0), end)
    units = 0
    for i in range(start, end):
        if units >= character:
            return i
        units += 2 if ord(text[i]) > 0xFFFF else 1
    return end


def apply_change(text: str, start: tuple[int, int], end: tuple[int, int], new_text: str, utf16: bool = True) -> str:
    """``text`` with the range ``start``..``end`` (line, character) replaced by ``new_text``."""
    a = line_offset(text, *start, utf16=utf16)
    b = line_offset(text, *end, utf16=utf16)
    return text[:a] + new_text + text[max(a, b):]
