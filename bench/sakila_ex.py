"""Execution accuracy of ``querywright ask`` on human-written questions over real rows.

Each question of ``--questions`` (default: the Sakila set, PostgreSQL gold SQL) is asked
through the product's ``ask`` (one process, one model load) over a temporary workspace
holding the Sakila DDL and its seed rows. Gold and predicted SQL both run on a real
PostgreSQL loaded with the same DDL and rows (``--pg-url``, else a throw-away cluster from
the local PostgreSQL binaries); results are compared as multisets, in order only when the
gold query has ``ORDER BY``. The failure breakdown (``ex_common.classify``) compares the
predicted and gold SQL's syntax trees.

Prints a markdown block; ``--append`` adds it to bench/RESULTS.md:
``python bench/sakila_ex.py [--limit N] [--grammar on|off] [--threads N] [--json] [--append]``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import decimal
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from ex_common import (
    REPO,
    add_common_arguments,
    classify,
    code_line,
    command_line,
    emit,
    figures_table,
    heading,
    machine_line,
    make_workspace,
    parse,
    summarize,
)
from querywright.server.ai.ask import ask
from querywright.server.ai.refs import BackendConfig, open_completer
from querywright.server.config import load_config
from querywright.server.sql.workspace import load_catalog
from sqlglot import exp

SHARED = REPO.parent / "shared" / "data"
DEFAULT_QUESTIONS = SHARED / "questions" / "sakila.jsonl"
DEFAULT_DDL = SHARED / "schemas" / "sakila-postgres.sql"
DEFAULT_DATA = SHARED / "schemas" / "sakila-postgres-data.sql"
STATEMENT_TIMEOUT_MS = 10_000


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A temporary PostgreSQL cluster on 127.0.0.1 (libpq URL), removed afterwards."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        raise SystemExit("PostgreSQL binaries not found: pass --pg-url")
    bindir = os.path.dirname(bins[-1])
    tmp = tempfile.mkdtemp(prefix="qw-pg-bench-")
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    data = os.path.join(tmp, "data")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]), check=True, capture_output=True)
    subprocess.run(
        _as_postgres([f"{bindir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(tmp, "log"), "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1", "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]), capture_output=True, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def load_database(url: str, files: list[Path], dbname: str) -> str:
    """Create ``dbname`` fresh and load ``files`` into it with psql; its libpq URL."""
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    target = plain.rsplit("/", 1)[0] + f"/{dbname}"
    psql = shutil.which("psql") or max(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    for path in files:
        subprocess.run([psql, target, "-q", "-v", "ON_ERROR_STOP=0", "-f", str(path)], check=True, capture_output=True)
    return target


def _norm(value: object) -> object:
    if isinstance(value, (decimal.Decimal, float)):
        return round(float(value), 4)
    return value


def execute(conn: psycopg.Connection, sql: str) -> tuple[list[tuple[object, ...]] | None, str | None]:
    try:
        with conn.transaction():
            cur = conn.execute(sql)  # type: ignore[arg-type]
            rows = cur.fetchall() if cur.description else []
            raise _Rollback(rows)
    except _Rollback as done:
        return [tuple(_norm(v) for v in r) for r in done.rows], None
    except psycopg.Error as exc:
        return None, str(exc).splitlines()[0]


class _Rollback(Exception):
    def __init__(self, rows: list[tuple[object, ...]]) -> None:
        super().__init__("rollback")
        self.rows = rows


def same_result(gold: list[tuple[object, ...]], got: list[tuple[object, ...]], ordered: bool) -> bool:
    if ordered:
        return gold == got
    return collections.Counter(map(repr, gold)) == collections.Counter(map(repr, got))


async def evaluate(records: list[dict], args: argparse.Namespace, pg_target: str) -> dict[str, object]:
    root = make_workspace(args.ddl, args.data)
    try:
        loaded = load_catalog(root, load_config(root)[0])
        catalog = loaded.catalog
        completer = open_completer(args.model, BackendConfig(timeout_s=300, n_threads=args.threads, workspace=root))
        await completer.warm_up()
        rows: list[dict[str, object]] = []
        with psycopg.connect(pg_target, autocommit=False) as conn:
            conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
            conn.commit()
            for record in records:
                result = await ask(record["question"], catalog, completer, values=loaded.values, samples=args.samples, grammar=args.grammar == "on")
                gold_rows, gold_err = execute(conn, record["gold"])
                got_rows, got_err = (None, None) if result.sql is None else execute(conn, result.sql)
                gold_tree = parse(record["gold"], "postgres")
                ordered = gold_tree is not None and gold_tree.find(exp.Order) is not None
                right = gold_rows is not None and got_rows is not None and same_result(gold_rows, got_rows, ordered)
                label = "right" if right else classify(record["gold"], result.sql, got_err, "postgres")
                rows.append({
                    "id": record.get("id"), "question": record["question"], "gold": record["gold"],
                    "pred": result.sql, "right": right, "label": label, "error": got_err or gold_err,
                    "issues": list(result.issues), "latency_ms": round(result.latency_ms, 1),
                    "candidates": result.candidates, "valid_candidates": result.valid_candidates,
                })  # fmt: skip
                if args.verbose:
                    print(f"{label:16} {result.latency_ms / 1000:5.1f}s {record['question']!r} -> {result.sql!r}", file=sys.stderr)
        await completer.aclose()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return summarize(rows)


def markdown(summary: dict, args: argparse.Namespace, elapsed: float) -> str:
    lines = [
        heading(f"Execution accuracy of `ask`: {args.model} on {args.questions.name}, grammar {args.grammar}"),
        machine_line(args.threads, args.code) + " Scored on a real PostgreSQL loaded with the DDL and seed rows.",
        command_line("sakila_ex.py", elapsed),
        *figures_table(summary),
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--ddl", type=Path, default=DEFAULT_DDL)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--pg-url", help="PostgreSQL server to load into (default: a throw-away local cluster)")
    add_common_arguments(parser)
    args = parser.parse_args()
    args.code = code_line()
    records = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    if args.limit:
        records = records[: args.limit]
    started = time.perf_counter()

    def go(url: str) -> dict:
        target = load_database(url, [args.ddl, args.data], "qw_bench_sakila")
        return asyncio.run(evaluate(records, args, target))

    if args.pg_url:
        summary = go(args.pg_url)
    else:
        with throwaway_postgres() as url:
            summary = go(url)
    block = markdown(summary, args, time.perf_counter() - started)
    emit(block, summary, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
