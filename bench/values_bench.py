"""Seed-data read time and memory, and value grounding latency.

``python bench/values_bench.py [--repeat 5] [--rows 20000] [--append bench/RESULTS.md]``

- The Sakila data file (tests/sql/fixtures/corpus/sakila-postgres-data.sql, 2.6 MB of
  COPY blocks, 16k rentals) read into a value sample against the Sakila catalog: median
  and worst time, memory allocated at peak and kept (tracemalloc, separate run), values kept.
- An INSERT-heavy file generated here (``--rows`` rows as 100-row and 1-row
  ``INSERT ... VALUES`` statements): read time with the product's token reader, and
  for comparison a full sqlglot parse of the same statements.
- Grounding: ``ValueIndex.build`` time and per-question ``ground`` latency over the 42
  Sakila questions.
Prints a markdown section with the machine and the command; ``--append`` adds it to a file.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lsp_session import command, machine_line, publish
from querywright.server.ai.grounding import ValueIndex, ground
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.replay import apply_ops
from querywright.server.sql.text import split_statements
from querywright.server.sql.values import collect_values
from querywright.server.sql.workspace import parse_schema_text

CORPUS = HERE.parent / "tests" / "sql" / "fixtures" / "corpus"


def _catalog() -> Catalog:
    parsed = parse_schema_text((CORPUS / "sakila-postgres.sql").read_text(encoding="utf-8"), "sakila-postgres.sql", "postgres")
    catalog = Catalog(dialect="postgres")
    apply_ops(catalog, parsed.ops)
    return catalog


def _insert_file(rows: int) -> str:
    rng = random.Random(7)
    words = ["Comedy", "Drama", "O'Brien", "London", "PG-13", "ACADEMY DINOSAUR", "Saint Vincent", "x; y"]

    def row(i: int) -> str:
        word = rng.choice(words).replace("'", "''")
        return f"({i}, '{word} {i % 97}', {rng.randint(0, 999)}.{rng.randint(0, 99):02d}, '2006-02-15 04:{i % 60:02d}:00', NULL)"

    out, i = [], 0
    half = rows // 2
    while i < half:
        out.append("INSERT INTO bench_rows (id, label, amount, created_at, note) VALUES " + ", ".join(row(i + k) for k in range(100)) + ";")
        i += 100
    while i < rows:
        out.append(f"INSERT INTO bench_rows (id, label, amount, created_at, note) VALUES {row(i)};")
        i += 1
    return "\n".join(out) + "\n"


def _time(fn, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()

    catalog = _catalog()
    data = (CORPUS / "sakila-postgres-data.sql").read_text(encoding="utf-8")
    copy_runs = _time(lambda: collect_values(data, "sakila-postgres-data.sql", "postgres", catalog), args.repeat)
    tracemalloc.start()
    sample = collect_values(data, "sakila-postgres-data.sql", "postgres", catalog)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    inserts = _insert_file(args.rows)
    insert_runs = _time(lambda: collect_values(inserts, "bench.sql", "postgres", catalog), args.repeat)
    import sqlglot

    statements = [s.code for s in split_statements(inserts, "postgres")]
    start = time.perf_counter()
    for code in statements:
        sqlglot.parse_one(code, read="postgres")
    parse_s = time.perf_counter() - start

    start = time.perf_counter()
    index = ValueIndex.build(sample)
    build_s = time.perf_counter() - start
    questions = [json.loads(line)["question"] for line in (CORPUS / "sakila.jsonl").read_text(encoding="utf-8").splitlines()]
    latencies, matched = [], 0
    for question in questions:
        start = time.perf_counter()
        found = ground(question, index)
        latencies.append(time.perf_counter() - start)
        matched += bool(found)

    lines = [
        "## Seed data: value sample and grounding",
        "",
        (f"{machine_line()}. "
         f"Command: `{command('values_bench.py')}`; {args.repeat} runs in one process, median (worst)."),
        "",
        "| measure | target | median | worst |",
        "|---|---|---|---|",
        f"| read Sakila data file ({len(data) / 1e6:.1f} MB, COPY blocks) into the sample | ≤ 1 s | {statistics.median(copy_runs):.3f} s | {max(copy_runs):.3f} s |",
        f"| memory of that read: peak allocated / kept in the sample | — | {peak / 1e6:.1f} MB / {kept / 1e6:.1f} MB | |",
        f"| values kept ({len(sample)} columns) | — | {sample.value_count()} | |",
        f"| read {args.rows} INSERT rows ({len(statements)} statements, {len(inserts) / 1e6:.1f} MB) | — | {statistics.median(insert_runs):.3f} s | {max(insert_runs):.3f} s |",
        f"| same statements, full sqlglot parse (for comparison, not used) | — | {parse_s:.3f} s | |",
        f"| build the grounding index | — | {build_s * 1000:.1f} ms | |",
        f"| ground one Sakila question ({len(questions)} questions, {matched} with a match) | — | {statistics.median(latencies) * 1000:.2f} ms | {max(latencies) * 1000:.2f} ms |",
        "",
    ]
    publish("\n".join(lines), args.append)


if __name__ == "__main__":
    main()
