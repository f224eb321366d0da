"""Load a Spider-format benchmark (questions JSON + ``tables.json``) into records for evaluation.

``tables.json`` describes each database (tables, columns, types, primary and foreign keys);
it is rendered to SQLite ``CREATE TABLE`` text with its keys, and that text is replayed into
a catalog, so the schema a record carries is exactly the one its SQL was checked against.
Gold SQL that does not parse or names unknown columns is counted and dropped. An optional
``database/<db_id>/<db_id>.sqlite`` folder is recorded in each record's provenance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from ..server.errors import TrainingError
from ..server.sql.catalog import Catalog
from .records import (
    Drops,
    Record,
    catalog_from_sql,
    make_record,
    parse_tree,
    render_schema,
    validate_sql,
)

DIALECT = "sqlite"
TYPES = {"text": "TEXT", "number": "NUMERIC", "time": "TEXT", "boolean": "BOOLEAN", "others": "TEXT"}


@dataclass
class SpiderDatabase:
    db_id: str
    ddl: str
    catalog: Catalog
    sqlite_path: Path | None = None


@dataclass
class SpiderLoad:
    records: list[Record] = field(default_factory=list)
    dropped: Drops = field(default_factory=Drops)
    databases: dict[str, SpiderDatabase] = field(default_factory=dict)


def _q(name: str) -> str:
    return exp.to_identifier(name).sql(dialect=DIALECT)


def render_database(entry: dict[str, Any]) -> str:
    """SQLite DDL (with primary and foreign keys) for one ``tables.json`` entry."""
    tables: list[str] = entry["table_names_original"]
    columns: list[list[Any]] = entry["column_names_original"]
    types: list[str] = entry["column_types"]
    by_table: dict[int, list[int]] = {i: [] for i in range(len(tables))}
    for idx, (table_idx, _name) in enumerate(columns):
        if table_idx >= 0:
            by_table.setdefault(table_idx, []).append(idx)
    pks: dict[int, list[int]] = {}
    for pk in entry.get("primary_keys") or []:
        for idx in pk if isinstance(pk, list) else [pk]:
            pks.setdefault(columns[idx][0], []).append(idx)
    fks: dict[int, list[tuple[int, int]]] = {}
    for src, dst in entry.get("foreign_keys") or []:
        fks.setdefault(columns[src][0], []).append((src, dst))
    out = []
    for t, table in enumerate(tables):
        lines = [f"{_q(columns[c][1])} {TYPES.get(types[c], 'TEXT')}" for c in by_table.get(t, [])]
        if not lines:
            continue
        if pks.get(t):
            lines.append("PRIMARY KEY (" + ", ".join(_q(columns[c][1]) for c in pks[t]) + ")")
        for src, dst in fks.get(t, []):
            lines.append(f"FOREIGN KEY ({_q(columns[src][1])}) REFERENCES {_q(tables[columns[dst][0]])} ({_q(columns[dst][1])})")
        out.append(f"CREATE TABLE {_q(table)} (\n  " + ",\n  ".join(lines) + "\n);")
    return "\n\n".join(out)


def load_databases(tables_json: Path, database_dir: Path | None = None) -> dict[str, SpiderDatabase]:
    """Every database of a ``tables.json``, as DDL and catalog."""
    try:
        entries = json.loads(tables_json.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrainingError(f"cannot read {tables_json}: {exc}") from exc
    out: dict[str, SpiderDatabase] = {}
    for entry in entries if isinstance(entries, list) else []:
        try:
            ddl = render_database(entry)
        except (KeyError, IndexError, TypeError):
            continue
        db_id = str(entry.get("db_id"))
        sqlite = database_dir / db_id / f"{db_id}.sqlite" if database_dir else None
        out[db_id] = SpiderDatabase(db_id, ddl, catalog_from_sql(ddl, DIALECT, f"{db_id}.sql"),
                                    sqlite if sqlite and sqlite.is_file() else None)
    return out


def _gold_sql(sql: str, catalog: Catalog) -> tuple[str | None, str | None]:
    """The gold SQL as it validates in SQLite; Spider's double-quoted strings are retried
    through MySQL's reading (where ``"x"`` is a string) and rewritten with single quotes."""
    _tree, reason = validate_sql(sql, catalog)
    if reason is None:
        return sql.strip(), None
    tree = parse_tree(sql, "mysql")
    if tree is None:
        return None, reason
    rewritten = tree.sql(dialect=DIALECT)
    _tree, second = validate_sql(rewritten, catalog)
    return (rewritten, None) if second is None else (None, reason)


def load_spider(folder: Path, questions: str = "dev.json", tables: str = "tables.json") -> SpiderLoad:
    """Records for every question of ``folder/questions`` whose gold SQL validates."""
    folder = Path(folder)
    database_dir = folder / "database"
    result = SpiderLoad(databases=load_databases(folder / tables, database_dir if database_dir.is_dir() else None))
    try:
        items = json.loads((folder / questions).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrainingError(f"cannot read {folder / questions}: {exc}") from exc
    for n, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("db_id", "question", "query")):
            result.dropped.add("missing-field")
            continue
        db = result.databases.get(item["db_id"])
        if db is None:
            result.dropped.add("unknown-database")
            continue
        sql, reason = _gold_sql(item["query"], db.catalog)
        if sql is None:
            result.dropped.add(reason or "invalid")
            continue
        result.records.append(make_record(
            source="spider", dialect=DIALECT, schema=render_schema(db.catalog), schema_id=f"spider:{db.db_id}",
            question=item["question"], sql=sql, setup_sql=None,
            provenance={"dataset": f"spider/{questions}", "row": n, "database": str(db.sqlite_path) if db.sqlite_path else None},
        ))
    return result
