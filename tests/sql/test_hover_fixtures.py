"""Data-driven hover tests: fixtures/hover/*.sql (see ``cursor_fixtures``).

Headers: ``-- expect-first: LINE`` the markdown's first line; ``-- expect: TEXT`` a line
the markdown contains; ``-- expect-none`` no hover. A fixture without expectations fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.sql.hover import hover_at

from .cursor_fixtures import fixtures, read_case, shop_catalog

FIXTURES = fixtures("hover")


def test_fixtures_exist() -> None:
    assert len(FIXTURES) >= 12


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_hover(path: Path) -> None:
    case = read_case(path)
    found = hover_at(case.index, case.statements, shop_catalog(), case.offset)
    if "expect-none" in case.headers:
        assert found is None
        return
    assert {"expect-first", "expect"} & set(case.headers), f"{path.name} has no expectation"
    assert found is not None, f"{path.name}: no hover"
    lines = found.markdown.splitlines()
    if case.header("expect-first") is not None:
        assert lines[0] == case.header("expect-first")
    for expected in case.headers.get("expect", []):
        assert expected in lines, f"{expected!r} not in:\n{found.markdown}"
