"""Data-driven definition/references tests: fixtures/navigation/*.sql (see ``cursor_fixtures``).

Headers: ``-- expect-kind: K`` the target's kind; ``-- expect-definition: PLACE`` and
``-- expect-references: PLACE, ...`` (declaration included, sorted) where PLACE is
``path:line`` for a catalog location, ``here:line:column`` in the fixture and
``path:line:column`` in a shop query file (all 1-based); ``-- expect-none`` nothing there.
References search the fixture itself and examples/shop's query files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.sql.navigation import Place, definition, references, target_at

from .cursor_fixtures import SHOP, fixtures, read_case, shop_catalog

FIXTURES = fixtures("navigation")
QUERY_FILES = sorted(p.relative_to(SHOP).as_posix() for p in (SHOP / "queries").glob("*.sql"))


def place_text(place: Place, with_column: bool) -> str:
    where = place.path or "here"
    start = place.span.start
    return f"{where}:{start.line + 1}:{start.character + 1}" if with_column else f"{where}:{start.line + 1}"


def test_fixtures_exist() -> None:
    assert len(FIXTURES) >= 10


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_navigation(path: Path) -> None:
    case = read_case(path)
    catalog = shop_catalog()
    target = target_at(case.index, case.statements, catalog, case.offset)
    if "expect-none" in case.headers:
        assert target is None
        return
    assert {"expect-kind", "expect-definition", "expect-references"} & set(case.headers), f"{path.name} has no expectation"
    assert target is not None, f"{path.name}: nothing under the cursor"
    if case.header("expect-kind"):
        assert target.kind == case.header("expect-kind")
    expected = case.header("expect-definition")
    if expected is not None:
        [place] = definition(target)
        assert place_text(place, with_column=place.path is None) == expected
    expected = case.header("expect-references")
    if expected is not None:
        files = [(None, case.text)] + [(rel, (SHOP / rel).read_text()) for rel in QUERY_FILES]
        found = sorted(place_text(p, with_column=True) for p in references(target, files, catalog, case.index))
        assert found == sorted(x.strip() for x in expected.split(","))
