"""Synthetic text-to-SQL pairs of realistic length for throughput runs (not for quality).

Each pair is a schema slice (1-4 CREATE TABLE statements), a question and a SQL answer,
already formatted as ``{"prompt", "completion"}``, so a run needs no dataset download.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = ["order", "customer", "product", "invoice", "payment", "shipment", "account", "region", "store", "employee", "supplier", "category", "price", "total", "amount", "quantity", "status", "created", "updated", "name", "email", "city", "country", "code", "rating", "discount", "tax", "balance"]
TYPES = ("INTEGER", "TEXT", "REAL", "DATE", "VARCHAR(64)", "BOOLEAN", "DECIMAL(10,2)")


def _table(rng: random.Random, index: int) -> tuple[str, list[str], str]:
    name = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}s_{index}"
    cols = ["id"] + [f"{rng.choice(WORDS)}_{rng.choice(WORDS)}" for _ in range(rng.randint(3, 12))]
    lines = [f"  {c} {rng.choice(TYPES)}{' PRIMARY KEY' if c == 'id' else ''}" for c in cols]
    return name, cols, f"CREATE TABLE {name} (\n" + ",\n".join(lines) + "\n);"


def make_pair(rng: random.Random) -> dict[str, str]:
    tables = [_table(rng, i) for i in range(rng.randint(1, 4))]
    name, cols, _ = tables[0]
    picked = rng.sample(cols, k=min(len(cols), rng.randint(1, 4)))
    cond = rng.choice(cols)
    question = (f"Which {' and '.join(picked)} of {name} have {cond} above "
                f"{rng.randint(1, 999)}, sorted by {picked[0]}?")
    sql = (f"SELECT {', '.join(picked)} FROM {name} WHERE {cond} > {rng.randint(1, 999)} "
           f"ORDER BY {picked[0]}")
    if len(tables) > 1 and rng.random() < 0.6:
        other = tables[1][0]
        sql = (f"SELECT t.{picked[0]}, COUNT(o.id) AS n FROM {name} AS t JOIN {other} AS o "
               f"ON o.id = t.id WHERE t.{cond} IS NOT NULL GROUP BY t.{picked[0]} "
               f"HAVING COUNT(o.id) > {rng.randint(1, 9)} ORDER BY n DESC")
    schema = "\n".join(t[2] for t in tables)
    prompt = f"-- dialect: sqlite\n{schema}\n-- question: {question}\n-- SQL:\n"
    return {"prompt": prompt, "completion": sql + ";"}


def write_pairs(path: Path, count: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    path.write_text("".join(json.dumps(make_pair(rng)) + "\n" for _ in range(count)))
    return path
