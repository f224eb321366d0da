"""Training pairs that real DDL yields: ``dataset build`` over each file of the schema corpus.

``python bench/corpus_synthesis.py [--pairs 300] [--append bench/RESULTS.md]``

Each DDL file of ``tests/sql/fixtures/corpus/`` (eight dialects, written by others) becomes the
only schema file of a workspace (``sakila-postgres.sql`` with its seed rows
``sakila-postgres-data.sql``, as a pg_dump repository holds them); the product's own
``build_dataset`` synthesizes ``--pairs`` question/SQL pairs over its catalog. Reported per
file: the pairs drawn, the pairs kept (valid against the catalog, run on the scratch
database), and the main reasons for the rest. A pair dropped as ``check:unknown-table`` is
SQL the synthesizer wrote for a table the catalog holds under another name: a product bug,
not a property of the schema.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from corpus_bench import CORPUS, FILES
from ex_common import code_line
from lsp_session import command, machine_line, publish

SEED_FOR = {"sakila-postgres.sql": "sakila-postgres-data.sql"}


def one(name: str, dialect: str, pairs: int) -> dict:
    """Synthesize over one corpus file; the dataset summary's counts."""
    from querywright.server.config import load_config
    from querywright.trainer.dataset import build_dataset

    with tempfile.TemporaryDirectory(prefix="qw-corpus-syn-") as tmp:
        root = Path(tmp) / "ws"
        (root / "schema").mkdir(parents=True)
        shutil.copy(CORPUS / name, root / "schema" / "01.sql")
        if name in SEED_FOR:
            shutil.copy(CORPUS / SEED_FOR[name], root / "schema" / "02-data.sql")
        (root / "querywright.toml").write_text(f'dialect = "{dialect}"\nschema_paths = ["schema/*.sql"]\n')
        started = time.perf_counter()
        summary = build_dataset(root, Path(tmp) / "ds", synthetic=pairs, progress="none",
                                config=load_config(root)[0], weights={"harvest": 0.0})
        seconds = time.perf_counter() - started
    dropped = summary.dropped.get("synthetic", {})
    kept = sum(summary.splits.get(split, {}).get("synthetic", 0) for split in ("train", "validation", "test"))
    return {"drawn": summary.read.get("synthetic", 0), "kept": kept, "dropped": dropped, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--append", type=Path)
    args = parser.parse_args()
    code = code_line()
    rows = []
    for name, dialect in FILES.items():
        if name.endswith("-data.sql"):
            continue
        rows.append((name, dialect, one(name, dialect, args.pairs)))
    lines = [f"\n## Training pairs synthesized over the real-schema corpus ({time.strftime('%Y-%m-%d %H:%M')})\n",
             f"{machine_line()}. {code} Command: `{command('corpus_synthesis.py', without_append=True)}`; "
             f"{args.pairs} pairs asked per file.\n",
             "| file | dialect | drawn | kept | unknown table | unknown column | other drops | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for name, dialect, r in rows:
        drops = dict(r["dropped"])
        table, column = drops.pop("check:unknown-table", 0), drops.pop("check:unknown-column", 0)
        other = ", ".join(f"{k} {v}" for k, v in sorted(drops.items(), key=lambda kv: -kv[1])[:3]) or "-"
        lines.append(f"| {name} | {dialect} | {r['drawn']} | {r['kept']} | {table} | {column} | {other} | {r['seconds']:.1f} |")
    publish("\n".join(lines) + "\n", args.append)


if __name__ == "__main__":
    main()
