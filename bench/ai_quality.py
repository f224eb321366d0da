"""Quality of the AI features with the built-in model on a held-out question set.

For each question of ``bench/data/questions.jsonl`` (gold SQL over an example workspace),
with and without the catalog grammar:

- ``ask``: execution accuracy (the answer returns the gold rows on a scratch SQLite
  database built from the workspace's schema), share of answered questions;
- raw candidates (everything the model produced) that parse and qualify against the
  catalog, versus suggestions shown (must be 100%);
- inline continuation: each gold statement cut after its FROM keyword, completed by the
  suggestion service; same raw/shown shares.

Prints markdown (machine, command) for bench/RESULTS.md:
``python bench/ai_quality.py [--samples N] [--limit N] >> bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from lsp_session import command, machine_line
from querywright.server.ai.ask import ask
from querywright.server.ai.refs import BackendConfig, open_completer
from querywright.server.ai.suggest import SuggestionService
from querywright.server.ai.validate import validate_statement
from querywright.server.config import InlineConfig, load_config
from querywright.server.sql.scratch import build_database, run
from querywright.server.sql.workspace import load_catalog

REPO = Path(__file__).resolve().parent.parent


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.0f}% ({part}/{whole})" if whole else "n/a"


async def evaluate(records: list[dict], grammar: bool, samples: int, model: str, threads: int) -> dict[str, object]:
    completer = open_completer(model, BackendConfig(timeout_s=300, n_threads=threads))
    await completer.warm_up()
    catalogs: dict[str, object] = {}
    correct = answered = raw = raw_ok = shown = shown_ok = 0
    inline_raw = inline_raw_ok = inline_shown = inline_shown_ok = 0
    for record in records:
        root = REPO / record["workspace"]
        if record["workspace"] not in catalogs:
            catalogs[record["workspace"]] = load_catalog(root, load_config(root)[0]).catalog
        catalog = catalogs[record["workspace"]]
        result = await ask(record["question"], catalog, completer, samples=samples, grammar=grammar)
        raw += len(result.verdicts)
        raw_ok += sum(1 for v in result.verdicts if validate_statement(v.raw if v.raw.upper().startswith(("SELECT", "WITH", "DELETE", "UPDATE", "INSERT")) else "SELECT" + v.raw, catalog).ok and not v.repairs)
        if result.sql is not None:
            answered += 1
            shown += 1
            shown_ok += validate_statement(result.sql, catalog).ok
            conn = build_database(catalog)
            gold, got = run(conn, record["sql"], catalog.dialect), run(conn, result.sql, catalog.dialect)
            correct += gold.signature is not None and gold.signature == got.signature
        sql = record["sql"]
        cut = sql.upper().index(" FROM ") + len(" FROM ")
        service = SuggestionService(completer, InlineConfig(debounce_ms=0, max_candidates=1, grammar=grammar), continuation_grammar=grammar)
        prefix = f"-- {record['question']}\n{sql[:cut]}"
        suggestion = await service.suggest("bench", prefix, len(prefix), catalog, debounce=False)
        inline_raw += suggestion.raw
        inline_raw_ok += sum(1 for v in suggestion.verdicts if v.ok and not v.repairs and not v.notes)
        inline_shown += len(suggestion.items)
        inline_shown_ok += sum(1 for s in suggestion.items if validate_statement(s.statement, catalog).ok)
    await completer.aclose()
    n = len(records)
    return {
        "grammar": "on" if grammar else "off",
        "ask execution accuracy": _pct(correct, n),
        "ask answered (a valid statement)": _pct(answered, n),
        "ask raw candidates valid as generated": _pct(raw_ok, raw),
        "ask answers shown that validate": _pct(shown_ok, shown),
        "inline raw candidates valid": _pct(inline_raw_ok, inline_raw),
        "inline suggestions shown that validate": _pct(inline_shown_ok, inline_shown),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "data" / "questions.jsonl")
    parser.add_argument("--model", default="builtin:smollm2-135m")
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    records = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    if args.limit:
        records = records[: args.limit]
    started = time.perf_counter()
    rows = [asyncio.run(evaluate(records, grammar, args.samples, args.model, args.threads)) for grammar in (True, False)]
    keys = list(rows[0])
    print(f"\n## AI quality: {args.model} on {len(records)} held-out questions ({time.strftime('%Y-%m-%d %H:%M')})\n")
    print(f"{machine_line(shared=True, load_at_end=True, system=False)}, {args.threads} engine thread(s).")
    print(f"Command: `{command('ai_quality.py')}` ({time.perf_counter() - started:.0f} s)\n")
    print("| metric | " + " | ".join(f"grammar {r['grammar']}" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for key in keys[1:]:
        print(f"| {key} | " + " | ".join(str(r[key]) for r in rows) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
