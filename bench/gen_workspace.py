"""Generate a large synthetic workspace for benchmarks.

``python bench/gen_workspace.py OUT_DIR --tables 1000 [--columns 15] [--query-lines 2000]``
writes ``OUT_DIR/migrations/V{n}__create_t{n}.sql`` (one table per file, ~15 columns, a
foreign key to an earlier table, an ALTER every tenth file), a ``querywright.toml`` and
``queries/big.sql`` with about ``--query-lines`` lines of joins over those tables.
Deterministic (seeded), so figures are comparable between runs.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

TYPES = ("INTEGER", "BIGINT", "TEXT", "VARCHAR(64)", "NUMERIC(12, 2)", "BOOLEAN", "TIMESTAMPTZ", "DATE")


def generate(out: Path, tables: int = 1000, columns: int = 15, query_lines: int = 2000, seed: int = 7) -> Path:
    rng = random.Random(seed)
    (out / "migrations").mkdir(parents=True, exist_ok=True)
    (out / "queries").mkdir(parents=True, exist_ok=True)
    (out / "querywright.toml").write_text('dialect = "postgres"\nschema_paths = ["migrations/*.sql"]\nquery_paths = ["queries/*.sql"]\n')
    for n in range(1, tables + 1):
        cols = ["    id BIGSERIAL PRIMARY KEY"]
        if n > 1:
            cols.append(f"    t{rng.randint(1, n - 1)}_id BIGINT REFERENCES t{rng.randint(1, n - 1)} (id)")
        for c in range(len(cols), columns):
            if c == 2:
                cols.append("    c2_name TEXT")
                continue
            cols.append(f"    c{c}_{rng.choice(('name', 'amount', 'code', 'flag', 'at', 'count'))} {rng.choice(TYPES)}{' NOT NULL' if rng.random() < 0.3 else ''}")
        body = f"-- table {n}\nCREATE TABLE t{n} (\n" + ",\n".join(cols) + "\n);\n"
        if n % 10 == 0:
            body += f"\nALTER TABLE t{n} ADD COLUMN extra_{n} TEXT;\n"
        (out / "migrations" / f"V{n}__create_t{n}.sql").write_text(body)
    lines: list[str] = []
    k = 0
    while len(lines) < query_lines:
        a = rng.randint(2, tables)
        lines += [
            f"-- query {k}",
            "SELECT a.id, a.c2_name, b.id AS b_id",
            f"FROM t{a} a",
            f"JOIN t{a - 1} b ON b.id = a.id",
            f"WHERE a.id > {rng.randint(1, 1000)}",
            f"ORDER BY a.id;",
            "",
        ]
        k += 1
    (out / "queries" / "big.sql").write_text("\n".join(lines[:query_lines]) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=15)
    parser.add_argument("--query-lines", type=int, default=2000)
    args = parser.parse_args()
    generate(args.out, args.tables, args.columns, args.query_lines)
    print(args.out)


if __name__ == "__main__":
    main()
