"""Execution accuracy of ``querywright ask`` on Spider dev, over generated rows.

Spider's databases are not shipped, so each schema of ``tables.json`` becomes the product's
scratch database (``server/sql/scratch.py``) with seeded generated rows; gold and predicted
SQL both run there and are compared as the trainer's evaluation does (multisets, in order
when the gold query has a top-level ORDER BY). Only questions whose gold query returns rows
there count (a filter on a literal the generated rows lack returns nothing and says nothing
about the answer). ``ask`` sees the same rows as the workspace's value sample
(``--values rows``; ``none``: no values), as a workspace with seed data would.

Spider dev has 1034 questions, too many for 2 shared cores: a fixed, deterministic slice of
``--limit`` questions (default 200) is taken round-robin over the databases, each
database's questions in an order shuffled by ``--seed``. The output says which slice.

``python bench/spider_ex.py [--limit N] [--seed S] [--grammar on|off] [--threads N] [--json] [--append]``
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

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
    summarize,
)
from querywright.server.ai.ask import ask
from querywright.server.ai.refs import BackendConfig, open_completer
from querywright.server.sql.scratch import ScratchDB, run, value_sample
from querywright.server.sql.values import ValueSample
from querywright.trainer import metrics
from querywright.trainer.spider import SpiderDatabase, load_spider

DEFAULT_SPIDER = REPO.parent / "shared" / "data" / "spider"
DIALECT = "sqlite"


def choose(records: list[dict], eligible: set[int], limit: int, seed: int) -> list[int]:
    """Indexes of ``limit`` eligible records, round-robin over databases, each database's
    questions in a seeded shuffled order."""
    by_db: dict[str, list[int]] = defaultdict(list)
    for i in sorted(eligible):
        by_db[records[i]["schema_id"]].append(i)
    rng = random.Random(seed)
    queues = []
    for db_id in sorted(by_db):
        queue = by_db[db_id][:]
        rng.shuffle(queue)
        queues.append(queue)
    chosen: list[int] = []
    while queues and (not limit or len(chosen) < limit):
        for queue in queues:
            if queue and (not limit or len(chosen) < limit):
                chosen.append(queue.pop(0))
        queues = [q for q in queues if q]
    return chosen


async def evaluate(args: argparse.Namespace) -> dict[str, object]:
    load = load_spider(args.spider, args.questions, args.tables)
    databases: dict[str, SpiderDatabase] = {f"spider:{k}": v for k, v in load.databases.items()}
    scratch: dict[str, ScratchDB] = {}
    eligible: set[int] = set()
    gold_errors = 0
    for i, record in enumerate(load.records):
        sid = record["schema_id"]
        if sid not in scratch:
            scratch[sid] = ScratchDB(databases[sid].catalog, rows=args.rows, seed=args.seed)
        outcome = run(scratch[sid].conn, record["sql"], DIALECT, timeout_s=args.timeout)
        if outcome.rows is None:
            gold_errors += 1
        elif outcome.rows:
            eligible.add(i)
    chosen = choose(load.records, eligible, args.limit, args.seed)
    samples: dict[str, ValueSample] = {}
    completer = open_completer(args.model, BackendConfig(timeout_s=300, n_threads=args.threads))
    await completer.warm_up()
    rows: list[dict[str, object]] = []
    try:
        for i in chosen:
            record = load.records[i]
            sid = record["schema_id"]
            catalog, db = databases[sid].catalog, scratch[sid]
            if args.values == "rows" and sid not in samples:
                samples[sid] = value_sample(db.conn, catalog)
            result = await ask(record["question"], catalog, completer, values=samples.get(sid), samples=args.samples, grammar=args.grammar == "on")
            outcome = metrics.execution_match(db.conn, result.sql or "", record["sql"], DIALECT, args.timeout)
            error = outcome.predicted_error if result.sql is not None else None
            right = outcome.match is True
            label = "right" if right else classify(record["sql"], result.sql, error, DIALECT)
            rows.append({
                "id": record.get("id"), "db": sid, "question": record["question"], "gold": record["sql"],
                "pred": result.sql, "right": right, "label": label, "error": error,
                "latency_ms": round(result.latency_ms, 1), "candidates": result.candidates,
                "valid_candidates": result.valid_candidates, "gold_rows": outcome.gold_rows,
                "issues": list(result.issues),
            })  # fmt: skip
            if args.verbose:
                print(f"{label:16} {result.latency_ms / 1000:5.1f}s {record['question']!r} -> {result.sql!r}", file=sys.stderr)
    finally:
        await completer.aclose()
        for db in scratch.values():
            db.close()
    summary = summarize(rows)
    summary["slice"] = {
        "questions": len(load.records) + sum(load.dropped.values()),
        "dropped": load.dropped.as_dict(),
        "gold_valid": len(load.records),
        "gold_errors": gold_errors,
        "gold_with_rows": len(eligible),
        "chosen": len(chosen),
        "databases": len({load.records[i]["schema_id"] for i in chosen}),
    }
    return summary


def markdown(summary: dict, args: argparse.Namespace, elapsed: float) -> str:
    s = summary["slice"]
    dropped = ", ".join(f"{k} {v}" for k, v in s["dropped"].items())
    lines = [
        heading(f"Execution accuracy of `ask` on Spider dev (generated rows): {args.model}, grammar {args.grammar}"),
        machine_line(args.threads, args.code),
        (
            f"Spider dev: {s['questions']} questions, {s['gold_valid']} with gold SQL that validates ({dropped or 'none'} dropped), {s['gold_with_rows']} whose gold query returns rows "
            f"on the scratch database ({args.rows} generated rows per table, seed {args.seed}; {s['gold_errors']} gold queries fail there). "
            f"Slice: {s['chosen']} of those, round-robin over {s['databases']} databases, order seeded by {args.seed}"
            f"{' (all of them)' if s['chosen'] == s['gold_with_rows'] else ''}. "
            f"`ask` sees {'the generated rows as the value sample' if args.values == 'rows' else 'no values'}."
        ),
        command_line("spider_ex.py", elapsed),
        *figures_table(summary),
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spider", type=Path, default=DEFAULT_SPIDER, help="folder holding dev.json and tables.json")
    parser.add_argument("--questions", default="dev.json")
    parser.add_argument("--tables", default="tables.json")
    parser.add_argument("--rows", type=int, default=12, help="generated rows per table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--values", choices=("rows", "none"), default="rows")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per statement on the scratch database")
    add_common_arguments(parser)
    parser.set_defaults(limit=200)
    args = parser.parse_args()
    args.code = code_line()
    started = time.perf_counter()
    summary = asyncio.run(evaluate(args))
    block = markdown(summary, args, time.perf_counter() - started)
    emit(block, summary, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
