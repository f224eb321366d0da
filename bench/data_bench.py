"""Trainer data speed and yield: harvest throughput, synthesis rate, pairs per Spider schema.

``python bench/data_bench.py [--files 10000] [--pairs 300] [--spider /work/shared/data/spider]
[--per-schema 30] [--append bench/RESULTS.md]``

- Harvest: a generated repository of ``--files`` files (the shop example's migrations plus
  query files, Python, TypeScript, Java, Go and Ruby modules, some with no SQL, a few
  broken ones) is harvested end to end; files/s and pairs kept.
- Synthesis over the shop catalog: pairs per second, and the share of generated SQL that
  ran on the scratch database.
- Spider (when the folder exists): the dev questions loaded and dropped, and synthesis of
  ``--per-schema`` pairs over every schema of ``tables.json`` (mean/min/max valid pairs).
Prints a markdown section with the machine and the command; ``--append`` adds it to a file.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHOP = HERE.parent / "examples" / "shop"

TABLE_COLUMNS = {
    "users": ["id", "email", "name", "country", "created_at"],
    "orders": ["id", "user_id", "status", "total_cents", "ordered_at"],
    "products": ["id", "sku", "title", "price_cents", "stock"],
    "reviews": ["id", "product_id", "user_id", "rating"],
}


def _query(rng: random.Random) -> tuple[str, str]:
    table = rng.choice(list(TABLE_COLUMNS))
    cols = rng.sample(TABLE_COLUMNS[table], 2)
    where, order = rng.choice(TABLE_COLUMNS[table]), rng.choice(TABLE_COLUMNS[table])
    limit = rng.randint(1, 500)
    question = f"first {limit} {' and '.join(cols)} of {table} with a given {where}, by {order}"
    return question, f"SELECT {', '.join(cols)} FROM {table} WHERE {where} = ? ORDER BY {order} LIMIT {limit}"


def make_repo(root: Path, files: int, seed: int = 0) -> None:
    """A repository of ``files`` files around the shop schema (deterministic)."""
    rng = random.Random(seed)
    shutil.copytree(SHOP, root)
    kinds = ["sql", "py", "ts", "java", "go", "rb", "py_plain", "ts_plain"]
    for i in range(files - len(list(SHOP.rglob("*.*")))):
        kind = kinds[i % len(kinds)]
        folder = root / f"pkg{i % 97}" / f"mod{i % 13}"
        folder.mkdir(parents=True, exist_ok=True)
        q1, s1 = _query(rng)
        q2, s2 = _query(rng)
        if i % 500 == 7:
            s2 = s2.replace("FROM", "FORM")  # a broken query now and then
        if kind == "sql":
            text = f"-- {q1}\n{s1.replace('?', '1')};\n\n-- {q2}\n{s2.replace('?', '2')};\n"
        elif kind == "py":
            text = f'def get_{i}(cur):\n    """{q1}."""\n    cur.execute("{s1.replace("?", "%s")}")\n\n# {q2}\nQ{i} = """\n{s2}\n"""\n'
        elif kind == "ts":
            text = f"// {q1}\nexport async function q{i}(id: number) {{\n  return db.query(sql`{s1.replace('?', '${id}')}`);\n}}\n"
        elif kind == "java":
            text = f"class R{i} {{\n  /** {q1} */\n  List<Row> find(long id) {{\n    return jdbc.query(\"{s1}\", id);\n  }}\n}}\n"
        elif kind == "go":
            text = f"package p\n// Q{i} {q1}\nfunc Q{i}(db *sql.DB) {{\n\tdb.Query(`{s1.replace('?', '$1')}`, 1)\n}}\n"
        elif kind == "rb":
            text = f"class R{i}\n  # {q1}\n  def run\n    connection.select_all(\"{s1.replace('?', '1')}\")\n  end\nend\n"
        elif kind == "py_plain":
            text = "\n".join(f"def helper_{i}_{j}(x):\n    return x * {j}\n" for j in range(20))
        else:
            text = "\n".join(f"export const v{i}_{j} = {j};" for j in range(30))
        suffix = {"py_plain": "py", "ts_plain": "ts"}.get(kind, kind)
        (folder / f"f{i}.{suffix}").write_text(text, encoding="utf-8")


def bench_harvest(files: int) -> dict[str, float]:
    from querywright.trainer.harvest import harvest

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        make_repo(root, files)
        count = sum(1 for p in root.rglob("*") if p.is_file())
        started = time.perf_counter()
        result = harvest(root)
        seconds = time.perf_counter() - started
    return {"files": count, "read": result.files, "candidates": result.candidates, "kept": len(result.records),
            "dropped": sum(result.dropped.values()), "reasons": dict(result.dropped), "seconds": seconds, "files_per_s": count / seconds}


def bench_synthesis(pairs: int) -> dict[str, float]:
    from querywright.server.config import load_config
    from querywright.server.sql.workspace import load_catalog
    from querywright.trainer.synth import synthesize

    config, _ = load_config(SHOP)
    catalog = load_catalog(SHOP, config).catalog
    result = synthesize(catalog, pairs, seed=0)
    return {"pairs": len(result.records), "attempted": result.attempted, "executed": result.executed,
            "share": result.execute_share, "seconds": result.seconds, "pairs_per_s": len(result.records) / result.seconds}


def bench_spider(folder: Path, per_schema: int) -> dict[str, object]:
    from querywright.trainer.spider import load_databases, load_spider
    from querywright.trainer.synth import synthesize

    started = time.perf_counter()
    loaded = load_spider(folder)
    load_seconds = time.perf_counter() - started
    databases = load_databases(folder / "tables.json")
    counts, attempted, executed, seconds = [], 0, 0, 0.0
    for db in sorted(databases.values(), key=lambda d: d.db_id):
        result = synthesize(db.catalog, per_schema, seed=0, schema_id=f"spider:{db.db_id}")
        counts.append(len(result.records))
        attempted += result.attempted
        executed += result.executed
        seconds += result.seconds
    return {"questions_kept": len(loaded.records), "questions_dropped": dict(loaded.dropped), "load_seconds": load_seconds,
            "schemas": len(counts), "mean": statistics.mean(counts), "min": min(counts), "max": max(counts),
            "full": sum(1 for c in counts if c == per_schema), "share": executed / attempted if attempted else 0.0,
            "seconds": seconds}


def render(args: argparse.Namespace, harvest: dict, synth: dict, spider: dict | None) -> str:
    command = "python bench/data_bench.py " + " ".join(sys.argv[1:])
    lines = [
        "## Trainer data: harvest, synthesis, Spider schemas",
        "",
        (f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.machine()}; "
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."),
        f"Command: `{command.strip()}`",
        "",
        "| measure | value |",
        "|---|---|",
        f"| harvest: repository files | {harvest['files']:,} |",
        f"| harvest: wall time | {harvest['seconds']:.1f} s ({harvest['files_per_s']:,.0f} files/s) |",
        (f"| harvest: SQL found / pairs kept / dropped | {harvest['candidates']:,} / {harvest['kept']:,} / {harvest['dropped']:,} "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(harvest['reasons'].items()))}) |"),
        f"| synthesis (shop catalog): pairs | {synth['pairs']} in {synth['seconds']:.2f} s ({synth['pairs_per_s']:.0f} pairs/s) |",
        f"| synthesis (shop catalog): generated SQL that ran | {synth['executed']}/{synth['attempted']} ({synth['share']:.1%}) |",
    ]
    if spider is not None:
        lines += [
            (f"| Spider dev: questions kept (dropped) | {spider['questions_kept']} ({sum(spider['questions_dropped'].values())}: "
            f"{', '.join(f'{k} {v}' for k, v in sorted(spider['questions_dropped'].items()))}) in {spider['load_seconds']:.1f} s |"),
            (f"| Spider schemas: valid synthesized pairs per schema (asked {args.per_schema}) | mean {spider['mean']:.1f}, "
            f"min {spider['min']}, max {spider['max']} over {spider['schemas']} schemas; {spider['full']} reached {args.per_schema} |"),
            f"| Spider schemas: generated SQL that ran | {spider['share']:.1%} ({spider['seconds']:.1f} s total) |",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--spider", type=Path, default=Path("/work/shared/data/spider"))
    parser.add_argument("--per-schema", type=int, default=30)
    parser.add_argument("--append", type=Path)
    args = parser.parse_args()
    harvest = bench_harvest(args.files)
    synth = bench_synthesis(args.pairs)
    spider = bench_spider(args.spider, args.per_schema) if (args.spider / "tables.json").is_file() else None
    text = render(args, harvest, synth, spider)
    print(text)
    if args.append:
        with args.append.open("a", encoding="utf-8") as handle:
            handle.write(("\n" if args.append.exists() and args.append.stat().st_size else "") + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
