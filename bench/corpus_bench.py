"""Catalog of the real-schema corpus: what reaches it, what is skipped, time and memory.

``python bench/corpus_bench.py [--tables 1000] [--append bench/RESULTS.md]``

Each corpus file of ``tests/sql/fixtures/corpus/`` is read as the only schema file of a
workspace, in a fresh Python process (nothing warm): tables and columns that reach the
catalog, statements reported as skipped, cold build time and peak RSS. The seed data file
``sakila-postgres-data.sql`` (2.6 MB of ``COPY`` rows) is read the same way and its time
reported as the seed data read time; the generated 1,000-migration workspace
(``bench/gen_workspace.py``) is measured last. Prints a markdown section with the machine
and the command; ``--append`` adds it to a results file.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from gen_workspace import generate
from lsp_session import command, machine_line, publish

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "tests" / "sql" / "fixtures" / "corpus"
FILES = {
    "sakila-postgres.sql": "postgres",
    "sakila-postgres-data.sql": "postgres",
    "adventureworks-postgres.sql": "postgres",
    "sakila-cockroachdb.sql": "postgres",
    "sakila-yugabytedb.sql": "postgres",
    "sakila-db2.sql": "postgres",
    "sakila-mysql.sql": "mysql",
    "sakila-sqlite.sql": "sqlite",
    "sakila-sql-server.sql": "tsql",
    "sakila-oracle.sql": "oracle",
}

PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from querywright.server.config import load_config
    from querywright.server.sql.workspace import load_catalog
    root = Path(sys.argv[1])
    config, _ = load_config(root)
    t0 = time.perf_counter(); catalog = load_catalog(root, config).catalog; t_cold = time.perf_counter() - t0
    doc = catalog.to_json()
    skipped = doc.get("skipped")
    print(json.dumps({"cold_s": t_cold, "tables": sum(t.kind == "table" for t in catalog), "views": sum(t.kind == "view" for t in catalog),
                      "columns": catalog.column_count(), "skipped": len(skipped) if isinstance(skipped, list) else None,
                      "issues": len(catalog.issues), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """
)


def probe(root: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(root)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def workspace(tmp: Path, name: str, dialect: str) -> Path:
    root = tmp / name.removesuffix(".sql")
    (root / "schema").mkdir(parents=True)
    shutil.copy(CORPUS / name, root / "schema" / name)
    (root / "querywright.toml").write_text(
        f'dialect = "{dialect}"\nschema_paths = ["schema/*.sql"]\n'
    )
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, dialect in FILES.items():
            rows.append(
                (
                    name,
                    dialect,
                    (CORPUS / name).stat().st_size,
                    probe(workspace(tmp, name, dialect)),
                )
            )
        gen = tmp / "generated"
        generate(gen, args.tables)
        rows.append(
            (
                f"generated workspace ({args.tables:,} migrations)",
                "postgres",
                sum(p.stat().st_size for p in (gen / "migrations").iterdir()),
                probe(gen),
            )
        )
    lines = [
        "## Corpus catalog: what reaches it, skips, build time, RSS",
        "",
        (
            f"{machine_line()}. "
            f"Command: `{command('corpus_bench.py')}`; one fresh process per file. skipped: entries of `schema --json`'s `skipped` (n/a: not reported); issues: catalog issues."
        ),
        "",
        "| file | dialect | size | tables | views | columns | skipped | issues | build | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, dialect, size, r in rows:
        skipped = "n/a" if r["skipped"] is None else str(r["skipped"])
        lines.append(
            f"| {name} | {dialect} | {size / 1024:.0f} KB | {r['tables']} | {r['views']} | {r['columns']} | {skipped} | {r['issues']} | {r['cold_s'] * 1000:.0f} ms | {r['rss_mb']:.0f} MB |"
        )
    seed = next(r for name, _, _, r in rows if name == "sakila-postgres-data.sql")
    lines += [
        "",
        f"Seed data read time (sakila-postgres-data.sql, 2.6 MB of COPY rows, target ≤ 1 s): {seed['cold_s']:.2f} s.",
        "",
    ]
    publish("\n".join(lines), args.append)


if __name__ == "__main__":
    main()
