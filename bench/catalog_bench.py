"""Catalog and check speed on a generated 1,000-migration workspace.

``python bench/catalog_bench.py [--tables 1000] [--repeat 5] [--append bench/RESULTS.md]``

Measures, each in a fresh Python process so nothing is warm: cold catalog build (discover,
read, parse, replay), re-reading one changed migration (``SchemaIndex.update``), ``check``
of a 2,000-line query file, and the process's peak RSS. Prints a markdown section with the
machine and the command; ``--append`` adds it to a results file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from gen_workspace import generate
from lsp_session import command, machine_line, publish

PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    t0 = time.perf_counter()
    from querywright.server.config import load_config
    from querywright.server.sql.workspace import SchemaIndex
    from querywright.server.sql.checks import check_text
    t_import = time.perf_counter() - t0
    root = Path(sys.argv[1])
    config, _ = load_config(root)
    index = SchemaIndex(root, config)
    t0 = time.perf_counter(); catalog = index.load(); t_cold = time.perf_counter() - t0
    rel = index.files.schema[len(index.files.schema) // 2]
    text = (root / rel).read_text()
    updates = []
    for i in range(20):
        t0 = time.perf_counter(); index.update(rel, text + f"\\nALTER TABLE {rel.split('__create_')[1][:-4]} ADD COLUMN bench_{i} INT;\\n"); updates.append(time.perf_counter() - t0)
    query = (root / "queries" / "big.sql").read_text()
    t0 = time.perf_counter(); issues = check_text(query, index.catalog, "queries/big.sql"); t_check = time.perf_counter() - t0
    print(json.dumps({"import_s": t_import, "cold_s": t_cold, "update_s": sorted(updates)[len(updates) // 2],
                      "check_s": t_check, "issues": len(issues), "tables": len(catalog), "columns": catalog.column_count(),
                      "fks": sum(len(t.foreign_keys) for t in catalog), "query_lines": query.count("\\n"),
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        generate(root, args.tables)
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", PROBE, str(root)], check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    first = runs[0]
    med = {k: statistics.median(r[k] for r in runs) for k in ("import_s", "cold_s", "update_s", "check_s", "rss_mb")}
    worst = {k: max(r[k] for r in runs) for k in ("cold_s", "update_s", "check_s", "rss_mb")}
    lines = [
        f"## Catalog build and check ({first['tables']} tables, {first['columns']} columns, {first['fks']} FKs)",
        "",
        (f"{machine_line()}. "
        f"Command: `{command('catalog_bench.py')}`; {args.repeat} fresh processes, median (worst)."),
        "",
        "| measure | target | median | worst |",
        "|---|---|---|---|",
        f"| cold catalog build (1,000 migration files) | ≤ 2 s | {med['cold_s']:.2f} s | {worst['cold_s']:.2f} s |",
        f"| re-read one changed migration | ≤ 30 ms | {med['update_s'] * 1000:.1f} ms | {worst['update_s'] * 1000:.1f} ms |",
        f"| `check` of a {first['query_lines']}-line query file | ≤ 300 ms | {med['check_s'] * 1000:.0f} ms | {worst['check_s'] * 1000:.0f} ms |",
        f"| peak RSS of the process | — | {med['rss_mb']:.0f} MB | {worst['rss_mb']:.0f} MB |",
        f"| import of the core (not in the build time) | — | {med['import_s'] * 1000:.0f} ms | |",
        "",
        f"The check found {first['issues']} issues in the generated queries (expected 0).",
        "",
    ]
    publish("\n".join(lines), args.append)


if __name__ == "__main__":
    main()
