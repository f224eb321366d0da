"""Reading the cursor fixtures of the hover, navigation, action and symbol tests.

A fixture is a SQL document over the ``examples/shop`` catalog (Postgres) with header
comments (``-- key: value``, one per line, before the SQL) and a cursor marker ``|`` in
the SQL (exactly one, unless the header says ``-- cursor: none``). The headers stay in the
document, as leading comments, so positions in expectations count them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.text import Statement, TextIndex, split_statements
from querywright.server.sql.workspace import load_catalog

HERE = Path(__file__).parent
SHOP = HERE.parent.parent / "examples" / "shop"
HEADER = re.compile(r"^-- ([a-z-]+)(?::\s*(.*))?$")


@cache
def shop_catalog() -> Catalog:
    config, problems = load_config(SHOP)
    assert not problems
    return load_catalog(SHOP, config).catalog


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    offset: int
    headers: dict[str, list[str]]

    @property
    def index(self) -> TextIndex:
        return TextIndex(self.text)

    @property
    def statements(self) -> list[Statement]:
        return split_statements(self.text, "postgres")

    def header(self, key: str) -> str | None:
        values = self.headers.get(key)
        return values[0] if values else None


def fixtures(kind: str) -> list[Path]:
    return sorted(p for p in (HERE / "fixtures" / kind).glob("*.sql") if not p.name.endswith(".out.sql"))


def read_case(path: Path) -> Case:
    raw = path.read_text("utf-8")
    headers: dict[str, list[str]] = {}
    body = 0  # offset of the first line after the headers
    for line in raw.splitlines(keepends=True):
        match = HEADER.match(line.rstrip("\n"))
        if match is None:
            break
        key, value = match.groups()
        headers.setdefault(key, []).append((value or "").strip())
        body += len(line)
    if headers.get("cursor") == ["none"]:
        return Case(path.stem, raw, 0, headers)
    assert raw.count("|", body) == 1, f"{path.name}: exactly one cursor marker '|' expected"
    offset = raw.index("|", body)
    return Case(path.stem, raw[:offset] + raw[offset + 1 :], offset, headers)
