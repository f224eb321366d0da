"""Data-driven code-action tests: fixtures/actions/NAME.sql is applied and compared with
NAME.out.sql (see ``cursor_fixtures``).

Headers: ``-- action: format | format-document | transpile:DIALECT | expand-star |
qualify`` (format and transpile act on the statement at the cursor); ``-- expect-none``
the action does not apply. A fixture without ``.out.sql`` or ``expect-none`` fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.sql.actions import (
    expand_star,
    format_statements,
    qualify_columns,
    statements_in,
    transpile_statements,
)
from querywright.server.sql.issues import TextEdit
from querywright.server.sql.text import TextIndex

from .cursor_fixtures import Case, fixtures, read_case, shop_catalog

FIXTURES = fixtures("actions")


def apply(text: str, edits: list[TextEdit]) -> str:
    index = TextIndex(text)
    for edit in sorted(edits, key=lambda e: (e.span.start, e.span.end), reverse=True):
        text = text[: index.offset(edit.span.start)] + edit.new_text + text[index.offset(edit.span.end) :]
    return text


def run(case: Case) -> list[TextEdit] | None:
    action = case.header("action") or ""
    catalog = shop_catalog()
    at_cursor = statements_in(case.statements, case.offset, case.offset)
    if action == "format":
        return format_statements(case.index, at_cursor, "postgres") or None
    if action == "format-document":
        return format_statements(case.index, case.statements, "postgres") or None
    if action.startswith("transpile:"):
        return transpile_statements(case.index, at_cursor, "postgres", action.split(":", 1)[1]) or None
    if action == "expand-star":
        fix = expand_star(case.index, case.statements, catalog, case.offset)
        return list(fix.edits) if fix else None
    if action == "qualify":
        fix = qualify_columns(case.index, at_cursor, catalog)
        return list(fix.edits) if fix else None
    raise AssertionError(f"{case.name}: unknown action {action!r}")


def test_fixtures_exist() -> None:
    assert len(FIXTURES) >= 10


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_action(path: Path) -> None:
    case = read_case(path)
    edits = run(case)
    if "expect-none" in case.headers:
        assert edits is None
        return
    expected = path.with_name(path.stem + ".out.sql")
    assert expected.is_file(), f"{path.name}: {expected.name} is missing"
    assert edits is not None, f"{path.name}: the action does not apply"
    assert apply(case.text, edits) == expected.read_text("utf-8")
