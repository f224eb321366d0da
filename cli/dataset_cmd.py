"""``querywright dataset build``: a train/validation/test dataset of text-to-SQL records.

    querywright dataset build [--workspace DIR] [--public FILE|NAME] [--spider DIR]
        [--weights harvest=3,synthetic=1,public=1] [--split-by-schema] [--synthetic N]
        [--public-limit N] [--synthesis questions|templates] [--schemas PATH ...] [--jobs N] [--seed N] [--progress auto|bar|json|none] [--json] -o DIR

Sources: pairs harvested from the workspace and synthesized over its catalog, the public set
(a local parquet/jsonl, or its hub name when online) and Spider-format questions (test split
only). Writes ``train.jsonl``, ``validation.jsonl``, ``test.jsonl`` and ``summary.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import add_trust_argument


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("dataset", help="build a training dataset",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="dataset_command", metavar="ACTION")
    build = actions.add_parser("build", help="gather, dedupe, split and write a dataset",
                               description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    build.add_argument("--workspace", help="workspace to harvest and synthesize from")
    build.add_argument("--public", help="public set: parquet/jsonl file or folder, or a hub name")
    build.add_argument("--public-limit", type=int, help="read at most N public rows")
    build.add_argument("--spider", help="Spider-format folder (dev.json + tables.json)")
    build.add_argument("--weights", help="per-source weights, e.g. harvest=3,synthetic=1,public=0.5")
    build.add_argument("--split-by-schema", action="store_true", help="keep each schema in one split")
    build.add_argument("--synthetic", type=int, default=300, help="synthesized pairs to aim for (default 300)")
    build.add_argument("--synthesis", choices=("questions", "templates"), default="questions",
                       help="question-shaped families with the data's values (default), or the older SQL templates")
    build.add_argument("--schemas", action="append", default=[], metavar="PATH",
                       help="also synthesize over these schemas: a Spider tables.json, a .sql file or a folder (repeatable); "
                            "--synthetic is then per schema")
    build.add_argument("--jobs", type=int, default=1, help="processes for --schemas synthesis")
    build.add_argument("--general", type=float, default=0.0, metavar="RATIO",
                       help="replay pairs of the shipped general SQL set into train: RATIO per "
                            "training pair (default 0)")
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--progress", choices=("auto", "bar", "json", "none"), default="auto")
    build.add_argument("--json", action="store_true", help="print the summary as JSON")
    build.add_argument("-o", "--output", required=True, help="output folder")
    add_trust_argument(build)
    build.set_defaults(func=run_build)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_build(args: argparse.Namespace) -> int:
    from ..server.errors import TrainingError
    from ..trainer.dataset import build_dataset, print_summary
    from ..trainer.mixing import parse_weights

    try:
        weights = parse_weights(args.weights)
    except ValueError as exc:
        raise TrainingError(str(exc)) from exc
    if not (args.workspace or args.public or args.spider or args.schemas):
        raise TrainingError("nothing to build from: give --workspace, --schemas, --public or --spider")
    workspace = Path(args.workspace) if args.workspace else None
    if workspace is not None and not workspace.is_dir():
        raise TrainingError(f"workspace {workspace} is not a folder")
    progress = "none" if args.json and args.progress == "auto" else args.progress
    config = None
    if workspace is not None:
        from ..server.config import allowlisted, load_config
        from ..server.redact import mask_text

        config, problems = load_config(workspace, trusted=args.trust_workspace or allowlisted(workspace))
        for problem in problems:
            print(mask_text(f"querywright: config: {problem}"), file=sys.stderr)
    summary = build_dataset(workspace, Path(args.output), public=args.public, spider=Path(args.spider) if args.spider else None,
                            weights=weights, split_by_schema=args.split_by_schema, synthetic=args.synthetic,
                            public_limit=args.public_limit, seed=args.seed, progress=progress, config=config,
                            synthesis=args.synthesis, schemas=[Path(p) for p in args.schemas], jobs=args.jobs,
                            general=args.general)
    if args.json:
        print(json.dumps(summary.to_json()))
    else:
        print_summary(summary)
    return 0
