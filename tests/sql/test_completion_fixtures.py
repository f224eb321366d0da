"""Data-driven completion tests: fixtures/completion/*.sql carry a cursor and expectations.

A fixture is a SQL document with exactly one cursor marker ``|`` and header comments:

- ``-- catalog: shop|analytics`` (default ``shop``: examples/shop, Postgres; ``analytics``:
  examples/analytics, DuckDB);
- ``-- clause: NAME`` the cursor context's clause;
- ``-- expect: a, b`` labels that must be offered (a label with commas in backquotes);
  ``-- expect-not: c`` labels that must not;
- ``-- expect-first: a, b`` the first items (in sort order) are exactly these, in any order;
- ``-- expect-insert: label => text`` the text an item inserts;
- ``-- expect-empty`` nothing is offered.

Items are first filtered by the typed word the way an editor does (fuzzy, case-insensitive),
so expectations describe what the user sees.

A fixture without any ``expect`` line fails, so no file is silently skipped.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.completion import complete
from querywright.server.sql.context import Clause
from querywright.server.sql.workspace import load_catalog

HERE = Path(__file__).parent
FIXTURES = sorted((HERE / "fixtures" / "completion").glob("*.sql"))
EXAMPLES = HERE.parent.parent / "examples"
HEADER = re.compile(r"^-- (catalog|clause|expect-not|expect-first|expect-insert|expect-empty|expect)(?::\s*(.*))?$")


@cache
def catalog_of(name: str) -> Catalog:
    root = EXAMPLES / name
    config, problems = load_config(root)
    assert not problems
    return load_catalog(root, config).catalog


def parse_fixture(path: Path) -> tuple[str, int, dict[str, list[str]]]:
    raw = path.read_text("utf-8")
    headers: dict[str, list[str]] = {}
    for line in raw.splitlines():
        match = HEADER.match(line)
        if match is None:
            break
        key, value = match.groups()
        headers.setdefault(key, []).append((value or "").strip())
    assert raw.count("|") == 1, f"{path.name}: exactly one cursor marker '|' expected"
    offset = raw.index("|")
    return raw[:offset] + raw[offset + 1 :], offset, headers


def labels(values: list[str]) -> list[str]:
    """Comma-separated labels; a label that contains commas is written in backquotes."""
    out: list[str] = []
    for value in values:
        out += [quoted or plain.strip() for quoted, plain in re.findall(r"`([^`]*)`|([^,`]+)", value) if quoted or plain.strip()]
    return out


def client_match(prefix: str, text: str) -> bool:
    """What an editor keeps of the list as the word grows (a VS Code-like fuzzy match)."""
    text = text.lstrip("\"`[").lower()
    prefix = prefix.lower()
    if not prefix:
        return True
    if not (text.startswith(prefix[0]) or f"_{prefix[0]}" in text or f".{prefix[0]}" in text or f" {prefix[0]}" in text):
        return False
    pos = 0
    for ch in prefix:
        pos = text.find(ch, pos) + 1
        if pos == 0:
            return False
    return True


def test_fixtures_exist() -> None:
    assert len(FIXTURES) >= 40


def test_every_clause_has_a_fixture() -> None:
    covered = {parse_fixture(f)[2].get("clause", [""])[0] for f in FIXTURES}
    assert {c.value for c in Clause} <= covered, {c.value for c in Clause} - covered


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_completion_fixture(fixture: Path) -> None:
    text, offset, headers = parse_fixture(fixture)
    expectations = [k for k in headers if k.startswith("expect")]
    assert expectations, f"{fixture.name} has no '-- expect' line"
    catalog = catalog_of((headers.get("catalog") or ["shop"])[0])
    result = complete(text, offset, catalog)
    prefix = result.context.prefix.lstrip("\"`[")
    found = [item.label for item in result.items if client_match(prefix, item.filter_text or item.label)]
    shown = f"{fixture.name}: clause={result.context.clause.value} expect={result.context.expect} items={found[:40]}"
    if "clause" in headers:
        assert result.context.clause.value == headers["clause"][0], shown
    if "expect-empty" in headers:
        assert found == [], shown
    missing = [label for label in labels(headers.get("expect", [])) if label not in found]
    assert not missing, f"missing {missing}; {shown}"
    unwanted = [label for label in labels(headers.get("expect-not", [])) if label in found]
    assert not unwanted, f"unwanted {unwanted}; {shown}"
    first = labels(headers.get("expect-first", []))
    if first:
        assert set(found[: len(first)]) == set(first), shown
    for spec in headers.get("expect-insert", []):
        label, _, insert = spec.partition(" => ")
        item = next((i for i in result.items if i.label == label), None)
        assert item is not None, f"missing {label!r}; {shown}"
        assert (item.insert_text or item.label) == insert, shown
