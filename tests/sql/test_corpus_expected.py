"""The catalog of each corpus file that no database here can load (T-SQL, Oracle, DB2,
MySQL, YugabyteDB) agrees exactly with ``fixtures/corpus/expected.json``, which lists the
tables and views of each file as written in its DDL: kind, line of the ``CREATE`` and, for
tables, the column names in order. Names are compared folded to lower case and without
their schema or database (each file defines one: ``dbo``, ``sakila`` or none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_corpus_oracle import CORPUS, build_catalog

EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
FILES = [name for name in EXPECTED if name.endswith(".sql")]


def _ours(name: str, dialect: str, tmp_path: Path) -> dict[str, tuple[str, int | None, list[str]]]:
    catalog = build_catalog(tmp_path, name, dialect)
    out: dict[str, tuple[str, int | None, list[str]]] = {}
    for key, table in catalog.tables.items():
        short = key.rpartition(".")[2].lower()
        line = table.location.line if table.location else None
        out[short] = (
            table.kind,
            line,
            [k.lower() for k in table.columns] if table.kind == "table" else [],
        )
    return out


@pytest.mark.parametrize("name", FILES)
def test_catalog_matches_the_ddl(name: str, tmp_path: Path) -> None:
    spec = EXPECTED[name]
    expected = {r["name"]: (r["kind"], r["line"], r.get("columns", [])) for r in spec["relations"]}
    ours = _ours(name, spec["dialect"], tmp_path)
    problems: list[str] = []
    missing = sorted(set(expected) - set(ours))
    extra = sorted(set(ours) - set(expected))
    if missing:
        problems.append(f"missing from our catalog ({len(missing)}): {', '.join(missing)}")
    if extra:
        problems.append(f"not in the DDL ({len(extra)}): {', '.join(extra)}")
    for rel in sorted(set(expected) & set(ours)):
        if ours[rel] != expected[rel]:
            problems.append(f"{rel}:\n    ours:     {ours[rel]}\n    expected: {expected[rel]}")
    assert not problems, (
        f"{name} ({spec['dialect']}): our catalog differs from the DDL:\n" + "\n".join(problems)
    )
