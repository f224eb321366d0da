"""No rule flags a real, working query: the gold SQL of two human-written sets.

- Sakila (``fixtures/corpus/sakila.jsonl``: 42 PostgreSQL queries, each run on the real
  Sakila rows) passes every rule, the AI-only ones too, as the read-only candidates ``ask``
  executes.
- Spider dev (``fixtures/spider``: 1,034 SQLite queries over 20 databases): the rules that
  are not about names (types, grouping, read-only, views) flag none of them in SQLite,
  which accepts them all.
- The same Spider queries read as PostgreSQL: SQLite lets through what PostgreSQL refuses
  (``SELECT name, max(age) FROM singer``, ``AVG`` of a text column), so some are flagged
  there; each flagged one is planned by the real PostgreSQL over the same schema, and every
  one must fail there for the reason the rule gives: no false positive.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path

import pytest
import sqlglot
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.checks import check_sql
from querywright.trainer.records import catalog_from_sql
from querywright.trainer.spider import load_databases
from sqlalchemy import create_engine, text
from sqlglot.errors import SqlglotError

from .test_corpus_oracle import CORPUS, build_catalog

SPIDER = Path(__file__).resolve().parent / "fixtures" / "spider"
NAME_CODES = {"unknown-table", "unknown-column", "unknown-alias", "ambiguous-column", "parse-error"}
# What PostgreSQL says for each rule's findings
POSTGRES_SAYS = {
    "ungrouped-column": "must appear in the GROUP BY clause or be used in an aggregate function",
    "type-mismatch": "does not exist|invalid input syntax",
}

SAKILA = [json.loads(line) for line in (CORPUS / "sakila.jsonl").read_text("utf-8").splitlines() if line.strip()]
SPIDER_GOLD = [json.loads(line) for line in (SPIDER / "dev_gold.jsonl").read_text("utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=1)
def spider_ddl() -> dict[str, str]:
    return {db_id: db.ddl for db_id, db in load_databases(SPIDER / "dev_tables.json").items()}


@cache
def spider_catalog(db_id: str, dialect: str) -> Catalog:
    return catalog_from_sql(spider_ddl()[db_id], dialect, f"{db_id}.sql")


def test_fixtures_are_whole() -> None:
    assert len(SAKILA) == 42
    assert len(SPIDER_GOLD) == 1034
    assert {g["db_id"] for g in SPIDER_GOLD} == set(spider_ddl())


def test_sakila_gold_passes_every_rule(tmp_path: Path) -> None:
    catalog = build_catalog(tmp_path, "sakila-postgres.sql", "postgres")
    flagged = {item["gold"]: [f"{i.code}: {i.message}" for i in check_sql(item["gold"], catalog, ai=True, read_only=True)] for item in SAKILA}
    assert {sql: issues for sql, issues in flagged.items() if issues} == {}


def test_spider_gold_in_sqlite_is_flagged_by_no_rule_beyond_names() -> None:
    checked = 0
    flagged: dict[str, list[str]] = {}
    for item in SPIDER_GOLD:
        issues = check_sql(item["query"], spider_catalog(item["db_id"], "sqlite"), ai=True, read_only=True)
        checked += 1
        beyond = [f"{i.code}: {i.message}" for i in issues if i.code not in NAME_CODES]
        if beyond:
            flagged[item["query"]] = beyond
    assert checked == len(SPIDER_GOLD)
    assert flagged == {}


def _as_postgres(sql: str) -> str | None:
    try:
        return sqlglot.transpile(sql, read="sqlite", write="postgres")[0]
    except SqlglotError:
        return None


def _loadable(ddl: str, every_type: str | None = None) -> list[str]:
    """The tables of a Spider schema without their foreign keys (tables.json orders
    tables by name, not by dependency); ``every_type``: all columns of that one type."""
    out = []
    for statement in ddl.split(";\n"):
        lines = statement.strip().rstrip(";").splitlines()
        if not lines:
            continue
        body = [line.rstrip(",") for line in lines[1:-1] if not line.lstrip().startswith("FOREIGN KEY")]
        if every_type is not None:
            body = [re.sub(r" (TEXT|NUMERIC|BOOLEAN)$", f" {every_type}", line) for line in body]
        out.append(lines[0] + "\n" + ",\n".join(body) + "\n" + lines[-1])
    return out


# Schema variants each flagged query is planned in: Spider's own types first. Whether a
# column is grouped does not depend on types, so a grouping finding hidden behind a type
# error of Spider's schema (``text = numeric`` joins) is looked for with uniform types.
VARIANTS = {"": None, "_numeric": "NUMERIC", "_text": "TEXT"}


def _refusal(conn: object, schema: str, sql: str) -> str | None:
    """PostgreSQL's error planning ``sql`` in ``schema`` (None: it plans)."""
    try:
        with conn.begin():  # type: ignore[attr-defined]
            conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))  # type: ignore[attr-defined]
            conn.exec_driver_sql("EXPLAIN " + sql.replace("%", "%%"))  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - the database's refusal is the outcome looked for
        return str(exc).splitlines()[0]
    return None


def test_spider_gold_flagged_in_postgres_is_refused_by_postgres(postgres_url: str) -> None:
    flagged: list[tuple[str, str, str]] = []  # (db_id, postgres sql, code)
    for item in SPIDER_GOLD:
        sql = _as_postgres(item["query"])
        if sql is None:
            continue
        for issue in check_sql(sql, spider_catalog(item["db_id"], "postgres"), ai=True, read_only=True):
            if issue.code not in NAME_CODES:
                flagged.append((item["db_id"], sql, issue.code))
    counts = Counter(code for _, _, code in flagged)
    assert set(counts) <= set(POSTGRES_SAYS), counts
    assert counts["ungrouped-column"] >= 20 and counts["type-mismatch"] >= 5, counts  # the rules do find things
    engine = create_engine(postgres_url)
    wrong: list[str] = []
    with engine.connect() as conn:
        for db_id in sorted({db for db, _, _ in flagged}):
            for suffix, every_type in VARIANTS.items():
                with conn.begin():
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "spider_{db_id}{suffix}" CASCADE; CREATE SCHEMA "spider_{db_id}{suffix}"'))
                    conn.execute(text(f'SET LOCAL search_path TO "spider_{db_id}{suffix}"'))
                    for statement in _loadable(spider_ddl()[db_id], every_type):
                        conn.execute(text(statement))
        for db_id, sql, code in flagged:
            variants = [""] if code == "type-mismatch" else list(VARIANTS)
            refusals = [_refusal(conn, f"spider_{db_id}{suffix}", sql) for suffix in variants]
            if refusals[0] is None:
                wrong.append(f"{code}: {sql}: PostgreSQL accepts it")
            elif not any(r is not None and re.search(POSTGRES_SAYS[code], r) for r in refusals):
                wrong.append(f"{code}: {sql}: {refusals}")
    engine.dispose()
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_checking_real_queries_is_fast(dialect: str) -> None:
    """Every rule over the 1,034 Spider queries: well under a few ms each on average."""
    import time

    items = SPIDER_GOLD[:300]
    for item in items:
        spider_catalog(item["db_id"], dialect)
    started = time.thread_time()
    for item in items:
        check_sql(item["query"], spider_catalog(item["db_id"], dialect), ai=True, read_only=True)
    per_query = (time.thread_time() - started) * 1000.0 / len(items)
    assert per_query < 5.0, per_query
