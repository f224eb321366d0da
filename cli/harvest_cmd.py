"""``querywright harvest``: (question, SQL) pairs from a repository's queries, as JSON lines.

    querywright harvest [--workspace DIR] -o FILE.jsonl [--json] [--progress auto|bar|json|none]
                        [--keep-literals] [--trust-workspace]

Every pair is validated against the workspace's catalog and carries its provenance (path,
line). String literals that look like secrets or personal data (keys, tokens, passwords in
URLs, emails, phone and card numbers) are masked unless ``--keep-literals`` (or the
``keep_literals`` setting) says otherwise. A table of what was kept and dropped (by reason) goes to stderr; ``--json`` prints
the summary as JSON on stdout instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import add_trust_argument


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("harvest", help="harvest (question, SQL) pairs from the workspace",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", default=".", help="workspace folder (default: current folder)")
    parser.add_argument("-o", "--output", required=True, help="JSON lines file to write")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--progress", choices=("auto", "bar", "json", "none"), default="auto")
    parser.add_argument("--keep-literals", action="store_true",
                        help="keep string literals that look like secrets or personal data (default: masked)")
    add_trust_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..server.config import allowlisted, load_config
    from ..server.errors import TrainingError
    from ..trainer.harvest import harvest
    from ..trainer.progress import Progress
    from ..trainer.records import record_errors, write_jsonl
    from ..server.redact import mask_text

    root = Path(args.workspace)
    if not root.is_dir():
        raise TrainingError(f"workspace {root} is not a folder")
    config, problems = load_config(root, trusted=args.trust_workspace or allowlisted(root))
    if not args.json:
        for problem in problems:
            print(mask_text(f"querywright: config: {problem}"), file=sys.stderr)
    with Progress("harvest", None, "none" if args.json and args.progress == "auto" else args.progress) as bar:
        result = harvest(root, config, keep_literals=args.keep_literals or None, on_file=lambda done, total: (bar.set_total(total) if bar.total != total else None, bar.update(done)))
    records = [r for r in result.records if not record_errors(r)]
    count = write_jsonl(Path(args.output), records)
    summary = {"output": args.output, "records": count, "files": result.files, "candidates": result.candidates,
               "dropped": result.dropped.as_dict(), "masked_literals": result.masked,
               "config_problems": [mask_text(str(p)) for p in problems]}
    if args.json:
        print(json.dumps(summary))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"harvest → {args.output}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (("files read", result.files), ("SQL found", result.candidates), ("pairs kept", count)):
        table.add_row(label, str(value))
    if result.masked:
        table.add_row("literals masked", str(result.masked))
    for reason, n in result.dropped.most_common():
        table.add_row(f"dropped: {reason}", str(n))
    Console(stderr=True).print(table)
    return 0
