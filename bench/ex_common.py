"""What the execution-accuracy benches of ``ask`` share: the failure breakdown, the summary
of per-question rows, the markdown block and its machine line, and ``--append``.

The breakdown compares the predicted and the gold SQL's syntax trees (sqlglot) and names the
first way they differ, in this order: no answer, runtime error (the prediction fails to
run), missing join (it reads a strict subset of the gold's tables), wrong table (another set
of tables), extra / missing GROUP BY, wrong aggregate (another set of aggregate functions),
wrong column (another set of referenced columns), wrong literal (another set of literals);
"other" is a difference in none of these (order, LIMIT, DISTINCT, conditions on the same
columns and literals...). It is a coarse label from the SQL alone, not a diagnosis.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import sqlglot
from lsp_session import append_to, command, nearest_index
from lsp_session import machine_line as machine
from sqlglot import exp
from sqlglot.errors import SqlglotError

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "RESULTS.md"
LABELS = (
    "right", "no answer", "runtime error", "missing join", "wrong table", "extra GROUP BY",
    "missing GROUP BY", "wrong aggregate", "wrong column", "wrong literal", "other",
)  # fmt: skip


def parse(sql: str | None, dialect: str) -> exp.Expression | None:
    if not sql:
        return None
    try:
        return sqlglot.parse_one(sql, read=dialect)
    except (SqlglotError, ValueError, RecursionError):
        return None


def _tables(tree: exp.Expression) -> set[str]:
    return {t.name.lower() for t in tree.find_all(exp.Table)}


def _columns(tree: exp.Expression) -> set[str]:
    return {c.name.lower() for c in tree.find_all(exp.Column) if c.name}


def _literals(tree: exp.Expression) -> set[str]:
    return {str(lit.this).lower() for lit in tree.find_all(exp.Literal)}


def _aggregates(tree: exp.Expression) -> set[str]:
    return {type(a).__name__ for a in tree.find_all(exp.AggFunc)}


def classify(gold: str, pred: str | None, error: str | None, dialect: str) -> str:
    """The first way ``pred`` differs from ``gold`` (see the module); ``error`` is why the
    prediction failed to run, if it did."""
    if pred is None:
        return "no answer"
    if error is not None:
        return "runtime error"
    g, p = parse(gold, dialect), parse(pred, dialect)
    if g is None or p is None:
        return "other"
    gt, pt = _tables(g), _tables(p)
    if gt != pt:
        return "missing join" if pt < gt else "wrong table"
    g_group, p_group = g.find(exp.Group) is not None, p.find(exp.Group) is not None
    if g_group != p_group:
        return "extra GROUP BY" if p_group else "missing GROUP BY"
    if _aggregates(g) != _aggregates(p):
        return "wrong aggregate"
    if _columns(g) != _columns(p):
        return "wrong column"
    if _literals(g) != _literals(p):
        return "wrong literal"
    return "other"


def summarize(rows: Sequence[dict[str, object]]) -> dict[str, object]:
    """Figures over per-question rows (keys ``right``, ``pred``, ``label``, ``latency_ms``,
    ``candidates``, ``valid_candidates``)."""
    n = len(rows)
    lat = sorted(float(r["latency_ms"]) for r in rows)  # type: ignore[arg-type]
    counts = collections.Counter(str(r["label"]) for r in rows)
    return {
        "n": n,
        "right": sum(1 for r in rows if r["right"]),
        "answered": sum(1 for r in rows if r["pred"] is not None),
        "candidates": sum(int(r["candidates"]) for r in rows),  # type: ignore[call-overload]
        "valid_candidates": sum(int(r["valid_candidates"]) for r in rows),  # type: ignore[call-overload]
        "p50_ms": statistics.median(lat) if lat else 0.0,
        "p95_ms": nearest_index(lat, 0.95) if lat else 0.0,
        "breakdown": {label: counts[label] for label in LABELS if counts[label]},
        "rows": list(rows),
    }


def gpu_machine() -> str:
    """``x86_64, 16 cores, NVIDIA H200, Python 3.12.3``: the machine a training bench ran on,
    with its GPU when torch sees one."""
    gpu = ""
    try:
        import torch

        if torch.cuda.is_available():
            gpu = f", {torch.cuda.get_device_name(0)}"
    except ImportError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores{gpu}, Python {platform.python_version()}"


def make_workspace(ddl: Path, data: Path) -> Path:
    """A temporary workspace holding ``ddl`` and its seed rows ``data`` (PostgreSQL dialect)."""
    root = Path(tempfile.mkdtemp(prefix="qw-sakila-ws-"))
    (root / "db").mkdir()
    shutil.copy(ddl, root / "db" / "01-schema.sql")
    shutil.copy(data, root / "db" / "02-data.sql")
    (root / "querywright.toml").write_text('dialect = "postgres"\nschema_paths = ["db/*.sql"]\n')
    return root


def pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}% ({part}/{whole})" if whole else "n/a"


def machine_line(threads: int, code: str) -> str:
    """The machine, its load, the engine threads, and ``code`` (``code_line()`` taken when the
    run started)."""
    return f"{machine(shared=True, load_at_end=True, system=False)}, {threads} engine thread(s). {code}"


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def code_line() -> str:
    """Which code was measured: the commit, and whether the product's folders held
    uncommitted changes; or the exported tree the product was imported from."""
    from querywright import server

    where = Path(server.__file__).resolve(strict=True).parent.parent
    if where != REPO:
        stamp = where / ".revision"
        rev = stamp.read_text().strip() if stamp.is_file() else "unknown"
        return f"Code: querywright imported from an export of commit {rev} ({where})."
    dirty = _git("status", "--porcelain", "--", "server", "trainer", "cli")
    return f"Code: commit {_git('rev-parse', '--short', 'HEAD')}{' with uncommitted changes in server/, trainer/ or cli/' if dirty else ''}."


def command_line(script: str, elapsed: float) -> str:
    return f"Command: `{command(script, without_append=True)}` ({elapsed:.0f} s)\n"


def figures_table(summary: dict) -> list[str]:
    """The figures and the failure breakdown as markdown table lines."""
    lines = [
        "| metric | value |",
        "|---|---|",
        f"| execution accuracy | {pct(summary['right'], summary['n'])} |",
        f"| answered (a valid statement) | {pct(summary['answered'], summary['n'])} |",
        f"| candidates valid (raw) | {pct(summary['valid_candidates'], summary['candidates'])} |",
        f"| ask latency p50 / p95 | {summary['p50_ms'] / 1000:.1f} s / {summary['p95_ms'] / 1000:.1f} s |",
        "",
        "| outcome | questions |",
        "|---|---|",
    ]
    return lines + [f"| {k} | {v} |" for k, v in summary["breakdown"].items()]


def heading(what: str) -> str:
    return f"\n## {what} ({time.strftime('%Y-%m-%d %H:%M')})\n"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="builtin:smollm2-135m")
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--grammar", choices=("on", "off"), default="on", help="constrain decoding with the catalog grammar (where the backend can)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the per-question rows and summary as JSON")
    parser.add_argument("--append", action="store_true", help="append the markdown block to bench/RESULTS.md")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per question on stderr")


def append(block: str) -> None:
    append_to(RESULTS, block)


def emit(block: str, summary: dict, args: argparse.Namespace) -> None:
    """The run's output: the per-question rows and summary as JSON (``--json``) or the
    markdown ``block``; with ``--append`` the block is added to bench/RESULTS.md too."""
    if args.json:
        json.dump(summary, sys.stdout, indent=1, default=str)
        sys.stdout.write("\n")
    else:
        print(block)
    if args.append:
        append(block)
