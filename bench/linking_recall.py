"""Schema linking: recall of the gold query's tables and columns, and prompt size.

For each question of the Sakila set (a workspace with the Sakila DDL and seed rows, value
grounding on) and of Spider dev (``tables.json`` schemas, no rows), the tables and columns
the gold SQL uses are compared with the schema the prompt would show: ``link_schema``
(what ``ask`` uses) and ``slice_schema`` (ranked whole schema under the old 1,200-token
budget). No model runs; this measures what the model gets to see.

``python bench/linking_recall.py [--spider-limit N] [--append]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlglot
from lsp_session import command, machine_line, publish
from querywright.server.ai.grounding import ValueIndex, ground, render_matches
from querywright.server.ai.linking import link_schema
from querywright.server.ai.schema_slice import estimate_tokens, slice_schema
from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.values import ValueSample
from querywright.server.sql.workspace import load_catalog
from sqlglot import exp

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def gold_names(sql: str, dialect: str) -> tuple[set[str], set[str]]:
    """Lower-case table names and column names the gold statement uses (CTEs excluded)."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except Exception:  # noqa: BLE001 - an unparsable gold query counts as no names
        return set(), set()
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    tables = {t.name.lower() for t in tree.find_all(exp.Table)} - ctes
    columns = {c.name.lower() for c in tree.find_all(exp.Column) if c.name and c.name != "*"}
    return tables, columns


def score(catalog: Catalog, keys: tuple[str, ...], tables: set[str], columns: set[str]) -> tuple[float, bool, float]:
    shown = {catalog.tables[k].name.lower() for k in keys if k in catalog.tables}
    shown_cols = {c.name.lower() for k in keys if k in catalog.tables for c in catalog.tables[k].columns.values()}
    all_cols = {c.name.lower() for t in catalog.tables.values() for c in t.columns.values()}
    real_cols = columns & all_cols  # output aliases are not schema columns
    t_rec = len(tables & shown) / len(tables) if tables else 1.0
    c_rec = len(real_cols & shown_cols) / len(real_cols) if real_cols else 1.0
    return t_rec, tables <= shown, c_rec


def measure(items: list[tuple[Catalog, ValueIndex | None, str, str]], dialect_of: dict[int, str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in ("link_schema", "slice_schema"):
        t_recalls, full, c_recalls, tokens, ntables = [], 0, [], [], []
        for i, (catalog, index, question, gold) in enumerate(items):
            tables, columns = gold_names(gold, dialect_of[i])
            matches = ground(question, index) if index else []
            if name == "link_schema":
                sliced = link_schema(catalog, question, matches)
                hint_tokens = estimate_tokens("\n".join(render_matches(matches))) if matches else 0
            else:
                sliced = slice_schema(catalog, "", question, 1200)
                hint_tokens = 0
            t_rec, whole, c_rec = score(catalog, sliced.keys, tables, columns)
            t_recalls.append(t_rec)
            c_recalls.append(c_rec)
            full += whole
            tokens.append(sliced.tokens + hint_tokens)
            ntables.append(len(sliced.keys))
        n = len(items)
        out[name] = {
            "n": n, "table_recall": statistics.fmean(t_recalls), "all_tables": full / n,
            "column_recall": statistics.fmean(c_recalls), "tokens_mean": statistics.fmean(tokens),
            "tokens_p95": sorted(tokens)[min(n - 1, round(0.95 * (n - 1)))], "tables_mean": statistics.fmean(ntables),
        }  # fmt: skip
    return out


def sakila_items() -> tuple[list[tuple[Catalog, ValueIndex | None, str, str]], Path]:
    root = Path(tempfile.mkdtemp(prefix="qw-link-"))
    (root / "db").mkdir()
    shutil.copy(SHARED / "schemas" / "sakila-postgres.sql", root / "db" / "01-schema.sql")
    shutil.copy(SHARED / "schemas" / "sakila-postgres-data.sql", root / "db" / "02-data.sql")
    (root / "querywright.toml").write_text('dialect = "postgres"\nschema_paths = ["db/*.sql"]\n')
    loaded = load_catalog(root, load_config(root)[0])
    index = ValueIndex.build(loaded.values)
    records = [json.loads(line) for line in (SHARED / "questions" / "sakila.jsonl").read_text().splitlines() if line.strip()]
    return [(loaded.catalog, index, r["question"], r["gold"]) for r in records], root


def spider_items(limit: int) -> list[tuple[Catalog, ValueIndex | None, str, str]]:
    from querywright.trainer.spider import load_databases

    databases = load_databases(SHARED / "spider" / "tables.json")
    records = json.loads((SHARED / "spider" / "dev.json").read_text())
    items = []
    for record in records:
        db = databases.get(record["db_id"])
        if db is not None:
            items.append((db.catalog, ValueIndex.build(ValueSample()), record["question"], record["query"]))
        if limit and len(items) >= limit:
            break
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spider-limit", type=int, default=0, help="first N Spider dev questions (default all)")
    parser.add_argument("--append", action="store_true", help="append the markdown block to bench/RESULTS.md")
    args = parser.parse_args()
    started = time.perf_counter()
    sakila, root = sakila_items()
    try:
        results = {"Sakila (42, values on)": measure(sakila, {i: "postgres" for i in range(len(sakila))})}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    spider = spider_items(args.spider_limit)
    results[f"Spider dev ({len(spider)}, no rows)"] = measure(spider, {i: "sqlite" for i in range(len(spider))})
    lines = [
        f"\n## Schema linking: gold tables/columns in the prompt ({time.strftime('%Y-%m-%d %H:%M')})\n",
        (f"{machine_line(system=False)}. "
        f"Command: `{command('linking_recall.py', without_append=True)}` "
        f"({time.perf_counter() - started:.0f} s). Recall: share of the gold query's tables (columns) the prompt shows; "
        "all tables: questions whose every gold table is shown; tokens: schema + value hints.\n"),
        "| set | schema | table recall | all tables | column recall | tables shown | prompt tokens mean / p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, by in results.items():
        for how, r in by.items():
            lines.append(
                f"| {name} | {how} | {100 * r['table_recall']:.1f}% | {100 * r['all_tables']:.1f}% | "
                f"{100 * r['column_recall']:.1f}% | {r['tables_mean']:.1f} | {r['tokens_mean']:.0f} / {r['tokens_p95']:.0f} |"
            )
    publish("\n".join(lines) + "\n", REPO / "bench" / "RESULTS.md" if args.append else None, separator="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
