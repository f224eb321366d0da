"""Data-driven outline tests: fixtures/symbols/*.sql (see ``cursor_fixtures``).

Each ``-- expect: KIND | NAME | DETAIL`` header is one symbol in document order; two
leading spaces mark a child (CTE) of the symbol before. The expectation lists every
symbol. Header lines are blanked before the outline is built, so they do not name the
first statement.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.sql.symbols import Symbol, document_symbols
from querywright.server.sql.text import TextIndex, split_statements

from .cursor_fixtures import HEADER, fixtures, read_case

FIXTURES = fixtures("symbols")


def flatten(symbols: list[Symbol] | tuple[Symbol, ...], depth: int = 0) -> list[str]:
    out = []
    for s in symbols:
        out.append(f"{'  ' * depth}{s.kind} | {s.name} | {s.detail}")
        out += flatten(s.children, depth + 1)
    return out


def test_fixtures_exist() -> None:
    assert len(FIXTURES) >= 2


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_symbols(path: Path) -> None:
    case = read_case(path)
    assert case.headers.get("expect"), f"{path.name} has no expectation"
    lines = case.text.split("\n")
    body = "\n".join("" if i < header_lines(lines) else line for i, line in enumerate(lines))
    found = flatten(document_symbols(TextIndex(body), split_statements(body, "postgres"), "postgres"))
    assert found == [line[len("-- expect: ") :] for line in lines if line.startswith("-- expect: ")]


def header_lines(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines) if not HEADER.match(line))
