"""Quality guard: the shipped builtin model (with its SQL adapter), greedy (``samples=1``: the greedy candidate
and its repairs), answers the 42 human Sakila questions through ``ask`` with the
workspace's values (grounding, linking, execution-guided choice); answers and gold queries run on the real PostgreSQL
fixture loaded with the Sakila DDL and its seed rows, and results are compared as
multisets (in order when the gold query has ``ORDER BY``). The build fails when execution
accuracy falls below the threshold, set a little under the figure measured with
``python bench/sakila_ex.py --samples 1 --threads 1`` (29/42 with the shipped SQL adapter on
a 2-core x86_64 machine; the bare weights: ``--model builtin:smollm2-135m-base``).

Data: ``tests/sql/fixtures/corpus`` (copied from the public corpus with LICENSE.sakila).
"""

from __future__ import annotations

import asyncio
import collections
import decimal
import json
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
import sqlglot
from querywright.server.ai.ask import ask
from querywright.server.ai.refs import BackendConfig, open_completer
from querywright.server.config import load_config
from querywright.server.sql.workspace import load_catalog

CORPUS = Path(__file__).resolve().parent.parent / "sql" / "fixtures" / "corpus"
SLICE = 42  # the first questions of sakila.jsonl (all of them)
MIN_RIGHT = 26  # measured 29: see the module docstring; raise it when ask improves


def _norm(row: tuple[object, ...]) -> str:
    return repr(tuple(round(float(v), 4) if isinstance(v, (decimal.Decimal, float)) else v for v in row))


def _rows(conn: psycopg.Connection, sql: str) -> list[str] | None:
    try:
        with conn.transaction():
            rows = [_norm(r) for r in conn.execute(sql).fetchall()]  # type: ignore[arg-type]
            raise _Done(rows)
    except _Done as done:
        return done.rows
    except psycopg.Error:
        return None


class _Done(Exception):
    def __init__(self, rows: list[str]) -> None:
        super().__init__("rollback")
        self.rows = rows


@pytest.fixture(scope="module")
def sakila_db(postgres_url: str) -> str:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS qw_ask_quality")
        conn.execute("CREATE DATABASE qw_ask_quality")
    target = plain.rsplit("/", 1)[0] + "/qw_ask_quality"
    psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    for name in ("sakila-postgres.sql", "sakila-postgres-data.sql"):
        subprocess.run([psql, target, "-q", "-f", str(CORPUS / name)], check=True, capture_output=True)
    return target


@pytest.mark.model
@pytest.mark.postgres
@pytest.mark.slow
def test_builtin_model_answers_sakila_slice_right(sakila_db: str, smollm2_gguf: Path, tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    for name in ("sakila-postgres.sql", "sakila-postgres-data.sql"):
        shutil.copy(CORPUS / name, tmp_path / "db" / name)
    (tmp_path / "querywright.toml").write_text('dialect = "postgres"\nschema_paths = ["db/*.sql"]\n')
    loaded = load_catalog(tmp_path, load_config(tmp_path)[0])
    catalog = loaded.catalog
    assert "film" in catalog.tables
    records = [json.loads(line) for line in (CORPUS / "sakila.jsonl").read_text().splitlines() if line.strip()][:SLICE]

    async def answers() -> list[str | None]:
        completer = open_completer("builtin:smollm2-135m", BackendConfig(timeout_s=120, workspace=tmp_path))
        try:
            return [(await ask(r["question"], catalog, completer, values=loaded.values, samples=1)).sql for r in records]
        finally:
            await completer.aclose()

    predicted = asyncio.run(answers())
    right = 0
    with psycopg.connect(sakila_db) as conn:
        conn.execute("SET statement_timeout = 10000")
        conn.commit()
        for record, sql in zip(records, predicted, strict=True):
            gold = _rows(conn, record["gold"])
            assert gold, f"gold query returns rows: {record['gold']}"
            if sql is None:
                continue
            got = _rows(conn, sql)
            ordered = sqlglot.parse_one(record["gold"], read="postgres").find(sqlglot.exp.Order) is not None
            if got is not None and (got == gold if ordered else collections.Counter(got) == collections.Counter(gold)):
                right += 1
    assert right >= MIN_RIGHT, f"execution accuracy {right}/{len(records)} under {MIN_RIGHT}: {predicted}"
