"""``querywright eval``: compare models on text-to-SQL examples and write a report.

    querywright eval --model builtin:smollm2-135m --model shop-sql --data test.jsonl -o REPORT
    querywright eval --model M.gguf --spider SPIDER_DIR --limit 200 -o REPORT
    querywright eval --model ollama:NAME --public test.parquet -o REPORT

Writes REPORT/report.md (table and breakdowns), report.png (bar chart) and results.json
(every prediction); prints the summary as JSON lines on stdout. Execution accuracy is also
given over the questions whose gold query returns rows ("exec acc, gold returns rows", n).
``--pipeline ask`` scores what the product serves rather than the bare model: each question
goes through `querywright ask` (value hints from the example's database, schema linking, the
catalog grammar, candidates ranked by execution, repairs).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("eval", help="evaluate models: execution accuracy, valid SQL, "
                                   "exact match", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=[], metavar="REF",
                        help="model reference (repeatable; the first is the baseline)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", metavar="FILE.jsonl", help="training records (test split if any)")
    source.add_argument("--spider", metavar="DIR", help="a Spider folder (dev.json, database/)")
    source.add_argument("--public", metavar="FILE", help="public-set rows (jsonl or parquet)")
    parser.add_argument("--limit", type=int, help="evaluate the first N examples only")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds each query may run (default 5)")
    parser.add_argument("--workspace", type=Path, help="base folder of relative model paths")
    parser.add_argument("--pipeline", choices=("raw", "ask"), default="raw",
                        help="raw: the model's greedy answer to each example's prompt (default); "
                             "ask: the answer `querywright ask` serves (value hints, linking, "
                             "candidates ranked by execution, repairs) over the example's schema")
    parser.add_argument("--progress", choices=("auto", "bar", "json", "none"), default="auto")
    parser.add_argument("-o", "--out", required=True, type=Path, help="report folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..trainer.eval import evaluate, load_examples

    records = load_examples(args.data, args.spider, args.public, args.limit)
    models = args.model or ["builtin:smollm2-135m"]
    results = evaluate(models, records, args.out, progress_mode=args.progress,
                       timeout_s=args.timeout, workspace=args.workspace, pipeline=args.pipeline)
    for result in results:
        print(json.dumps({"event": "summary", **result.summary()}))
    print(json.dumps({"event": "report", "path": str(args.out / "report.md")}))
    return 1 if all(r.error for r in results) else 0
