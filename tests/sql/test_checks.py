"""Data-driven tests of query checks: fixtures/checks/*.sql carry their expectations.

Each fixture names its workspace (``-- workspace: shop``) and lists every issue it must
produce as ``-- expect: CODE@LINE:COLUMN`` (1-based) or says ``-- expect: nothing``.
The test fails when a fixture has no expectation line, so no file is silently skipped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.checks import check_text
from querywright.server.sql.workspace import load_catalog

HERE = Path(__file__).parent
FIXTURES = sorted((HERE / "fixtures" / "checks").glob("*.sql"))
EXAMPLES = HERE.parent.parent / "examples"
EXPECT = re.compile(r"^-- expect: (?:(nothing)|([a-z-]+)@(\d+):(\d+))\s*$", re.MULTILINE)


@lru_cache(maxsize=None)
def catalog_of(name: str) -> Catalog:
    root = EXAMPLES / name
    config, problems = load_config(root)
    assert not problems
    return load_catalog(root, config).catalog


def test_fixtures_exist() -> None:
    assert len(FIXTURES) >= 3


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_check_fixture(fixture: Path) -> None:
    text = fixture.read_text("utf-8")
    workspace = re.search(r"^-- workspace: (\w+)", text, re.MULTILINE)
    assert workspace, f"{fixture.name} names no workspace"
    expectations = EXPECT.findall(text)
    assert expectations, f"{fixture.name} has no '-- expect:' line"
    expected = {(code, int(line), int(col)) for nothing, code, line, col in expectations if not nothing}
    issues = check_text(text, catalog_of(workspace.group(1)), fixture.name)
    found = {(i.code, i.span.start.line + 1, i.span.start.character + 1) for i in issues}
    assert found == expected, "\n".join(f"{i.code}@{i.span.start.line + 1}:{i.span.start.character + 1} {i.message}" for i in issues)


def test_unknown_column_offers_fix_and_points_at_ddl() -> None:
    issues = check_text("SELECT u.nme FROM users u", catalog_of("shop"))
    [issue] = issues
    assert issue.code == "unknown-column"
    assert "did you mean name" in issue.message
    [fix] = issue.fixes
    [edit] = fix.edits
    assert edit.new_text == "name"
    assert (edit.span.start.character, edit.span.end.character) == (9, 12)
    assert issue.related[0].location.path == "db/migration/V1__create_users.sql"
    assert issue.related[0].location.line == 2


def test_renamed_column_message_names_the_migration() -> None:
    [issue] = check_text("SELECT placed_at FROM orders", catalog_of("shop"))
    assert "renamed to ordered_at in db/migration/V10__drop_coupons_add_total.sql" in issue.message
    assert issue.fixes[0].edits[0].new_text == "ordered_at"


def test_ambiguous_column_fixes_qualify_with_each_table() -> None:
    [issue] = check_text("SELECT product_id FROM reviews JOIN order_items ON order_items.product_id = reviews.product_id", catalog_of("shop"))
    assert issue.code == "ambiguous-column"
    assert [f.edits[0].new_text for f in issue.fixes] == ["reviews.product_id", "order_items.product_id"]


def test_example_workspaces_flag_exactly_the_planted_mistakes() -> None:
    found = {}
    for name in ("shop", "analytics"):
        root = EXAMPLES / name
        config, _ = load_config(root)
        index = load_catalog(root, config)
        for rel in index.files.queries:
            for issue in check_text((root / rel).read_text("utf-8"), index.catalog, rel):
                found.setdefault(name, []).append((rel, issue.span.start.line + 1, issue.code))
    assert found["shop"] == [
        ("queries/mistakes.sql", 2, "unknown-column"),
        ("queries/mistakes.sql", 5, "unknown-column"),
        ("queries/mistakes.sql", 8, "unknown-table"),
        ("queries/mistakes.sql", 14, "ambiguous-column"),
        ("queries/mistakes.sql", 17, "parse-error"),
    ]
    assert found["analytics"] == [
        ("queries/funnel.sql", 11, "unknown-column"),
        ("queries/funnel.sql", 14, "unknown-column"),
    ]


@pytest.mark.parametrize(
    ("dialect", "sql", "codes"),
    [
        ("oracle", "SELECT name FROM t WHERE ROWNUM <= 5", []),
        ("oracle", "SELECT t.ROWID, name FROM t", []),
        ("sqlite", "SELECT rowid, name FROM t", []),
        ("postgres", "SELECT ctid, name FROM t", []),
        ("postgres", "SELECT name FROM t WHERE ROWNUM <= 5", ["unknown-column"]),
        ("sqlite", "SELECT t.nope FROM t", ["unknown-column"]),
    ],
)
def test_system_columns_of_the_dialect_are_known(dialect: str, sql: str, codes: list[str]) -> None:
    from querywright.server.sql.replay import apply_ops
    from querywright.server.sql.workspace import parse_schema_text

    catalog = Catalog(dialect=dialect)
    apply_ops(catalog, parse_schema_text("CREATE TABLE t (id INT, name VARCHAR(20));", "t.sql", dialect).ops)
    assert [i.code for i in check_text(sql, catalog)] == codes
