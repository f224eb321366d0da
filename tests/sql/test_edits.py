"""Incremental changes applied by the LSP's rules (found by tests/lsp/test_fuzz.py: pygls'
model deleted nothing for a range past the end of the last line and split lines at form
feeds and U+2028)."""

from __future__ import annotations

import pytest
from querywright.server.sql.edits import apply_change


@pytest.mark.parametrize(
    ("text", "start", "end", "new", "expected"),
    [
        (")", (0, 0), (0, 2), "", ""),  # a character past the end of the last line
        ("abc", (0, 99), (0, 99), "x", "abcx"),
        ("ab\ncd", (0, 9), (1, 0), "", "abcd"),  # past the end of a line: its end
        ("ab\r\ncd", (0, 9), (1, 0), "", "abcd"),  # \r\n is one line end
        ("ab\rcd", (1, 1), (1, 1), "x", "ab\rcxd"),  # so is a lone \r
        ("a\x0cb\u2028c\nd", (1, 0), (1, 0), "x", "a\x0cb\u2028c\nxd"),  # these are not
        ("\U0001f600z", (0, 2), (0, 3), "", "\U0001f600"),  # UTF-16 units
        ("\U0001f600z", (0, 1), (0, 1), "x", "\U0001f600xz"),  # inside a pair: past it
        ("a\nb", (7, 0), (9, 0), "!", "a\nb!"),  # past the last line
        ("abc", (0, 2), (0, 1), "X", "abXc"),  # a reversed range inserts at its start
    ],
)
def test_apply_change(text: str, start: tuple[int, int], end: tuple[int, int], new: str, expected: str) -> None:
    assert apply_change(text, start, end, new) == expected


def test_utf32_clients_count_code_points() -> None:
    assert apply_change("\U0001f600z", (0, 1), (0, 2), "", utf16=False) == "\U0001f600"
