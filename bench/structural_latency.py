"""Latency of structural inline continuations (``server.ai.structural``) over Sakila.

``python bench/structural_latency.py [--rounds 200] [--append bench/RESULTS.md]``

Loads the real Sakila schema (tests/sql/fixtures/corpus/sakila-postgres.sql, BSD 2-Clause),
then times ``continuation`` at each structural prompt (JOIN ... ON, GROUP BY, ORDER BY of
a ranking query, INSERT INTO t () ``--rounds`` times and prints p50/p95/max per prompt and
the first (cold) call as a markdown section; ``--append`` adds it to a results file.
Target: every prompt answered in 50 ms or less.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT.parent))

from lsp_session import machine_line, nearest_index, publish
from querywright.server.ai.structural import continuation
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.replay import apply_ops
from querywright.server.sql.workspace import parse_schema_text

DDL = ROOT / "tests" / "sql" / "fixtures" / "corpus" / "sakila-postgres.sql"
PROMPTS = {
    "JOIN ... ON": "SELECT c.first_name, p.amount FROM customer c JOIN payment p ON ",
    "GROUP BY": "SELECT c.first_name, c.last_name, SUM(p.amount) AS total FROM customer c JOIN payment p ON p.customer_id = c.customer_id GROUP BY ",
    "ORDER BY (ranking)": "SELECT c.first_name, SUM(p.amount) AS total FROM customer c JOIN payment p ON p.customer_id = c.customer_id GROUP BY c.first_name ORDER BY ",
    "INSERT INTO t (": "INSERT INTO customer (",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()
    parsed = parse_schema_text(DDL.read_text(encoding="utf-8"), DDL.name, "postgres")
    catalog = Catalog(dialect="postgres")
    apply_ops(catalog, parsed.ops)
    rows = []
    for name, text in PROMPTS.items():
        times: list[float] = []
        answer = None
        for i in range(args.rounds + 1):
            document = f"/* round {i} */ {text}"  # a new statement text each round: no cache hit
            start = time.perf_counter()
            answer = continuation(document, len(document), catalog)
            times.append((time.perf_counter() - start) * 1000)
        cold, warm = times[0], times[1:]
        rows.append(f"| {name} | `{answer}` | {cold:.2f} | {nearest_index(warm, 0.5):.2f} | {nearest_index(warm, 0.95):.2f} | {max(warm):.2f} |")
    lines = [
        f"## Structural ghost text latency (Sakila, {len(catalog)} tables)",
        "",
        (f"Command: `python bench/structural_latency.py --rounds {args.rounds}`. "
        f"{machine_line()}. Target: <= 50 ms."),
        "",
        "| prompt | continuation | cold ms | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    publish("\n".join(lines), args.append)


if __name__ == "__main__":
    main()
