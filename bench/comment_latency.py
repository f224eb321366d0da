"""Question-comment ghost text latency as an editor sees it: through the real language server over stdio.

``python bench/comment_latency.py [--questions N] [--model REF] [--append bench/RESULTS.md]``

Builds a workspace from the Sakila DDL and its seed rows (``tests/sql/fixtures/corpus``),
starts ``querywright lsp`` there with the product settings, opens a query document and, for
each of the first N human-written Sakila questions, replaces the document with
``-- <question>`` and a new line and asks for ``textDocument/inlineCompletion`` on that line,
timed from request to response (debounce, grounding, linking, generation, validation,
execution-guided choice, the stdio round trip). The first request is *cold*: it is sent
right after the document opens, so it waits for the model to load; the others are *warm*.
The same questions asked again show the cache.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsp_session import LspSession, command, inline_items, load_now, publish, quantile, status_field
from lsprotocol import types

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "sql" / "fixtures" / "corpus"
TIMEOUT_S = 300


def workspace(folder: Path) -> Path:
    (folder / "db").mkdir(parents=True)
    for name in ("sakila-postgres.sql", "sakila-postgres-data.sql"):
        shutil.copy(CORPUS / name, folder / "db" / name)
    (folder / "queries").mkdir()
    (folder / "querywright.toml").write_text('dialect = "postgres"\nschema_paths = ["db/*.sql"]\n')
    return folder


async def measure(root: Path, questions: list[str], options: dict[str, Any]) -> dict[str, Any]:
    session = LspSession(options)
    await session.start()
    await session.initialize(root, options, configuration=True)
    client = session.client
    uri = (root / "queries" / "questions.sql").as_uri()
    version = 1
    session.open(uri, "", version)
    # the schema is loaded (what the status bar shows) before typing
    loaded = session.until_status(lambda statuses: any(status_field(x, "tables") for x in statuses))
    try:
        await asyncio.wait_for(loaded, TIMEOUT_S)
    except asyncio.TimeoutError:
        raise SystemExit("the language server never reported a loaded schema") from None
    rows: list[tuple[str, float, str]] = []
    for rounds, label in ((questions, "first"), (questions, "again")):
        for question in rounds:
            version += 1
            session.replace(uri, version, f"-- {question}\n")
            params = types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(1, 0),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic))  # fmt: skip
            t0 = time.perf_counter()
            items = inline_items(await asyncio.wait_for(client.text_document_inline_completion_async(params), TIMEOUT_S))
            shown = str(items[0].insert_text) if items else ""
            rows.append((label, (time.perf_counter() - t0) * 1000, shown))
    await session.close()
    return {"rows": rows, "statuses": session.statuses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--model", default=None, help="model reference (default: the product's)")
    parser.add_argument("--append", type=Path)
    parser.add_argument("--rows", action="store_true", help="also print each request's latency and suggestion")
    args = parser.parse_args()
    records = [json.loads(line) for line in (CORPUS / "sakila.jsonl").read_text().splitlines() if line.strip()]
    questions = [r["question"] for r in records[: args.questions]]
    options: dict[str, Any] = {"model": args.model} if args.model else {}
    code = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=REPO, capture_output=True, text=True).stdout.strip()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        r = asyncio.run(measure(workspace(Path(tmp)), questions, options))
    rows = r["rows"]
    if args.rows:
        for label, ms, text in rows:
            print(f"{label:5} {ms:8.0f} ms  {text or '(none)'}")
    cold = [ms for label, ms, _ in rows[:1]]
    warm = [ms for label, ms, _ in rows[1 : len(questions)]]
    again = [ms for label, ms, _ in rows[len(questions) :]]
    shown = sum(1 for _, _, text in rows[: len(questions)] if text)
    lines = [
        f"\n## Question-comment ghost text through the language server over stdio ({time.strftime('%Y-%m-%d %H:%M')})\n",
        (f"Machine: {platform.machine()}, {os.cpu_count()} cores (load average {load_now():.1f} at the end), "
         f"Python {platform.python_version()}; model {args.model or 'the default (builtin:smollm2-135m)'}, embedded engine, "
         f"product settings; Sakila DDL and seed rows; code at {code}."),
        f"Command: `{command('comment_latency.py', without_append=True)}` ({time.perf_counter() - started:.0f} s)\n",
        "| requests | n | p50 (ms) | p95 (ms) |",
        "|---|---|---|---|",
        f"| cold (first request, the model loads) | 1 | {cold[0]:.0f} | {cold[0]:.0f} |",
        f"| warm (each a new question) | {len(warm)} | {quantile(warm, 50):.0f} | {quantile(warm, 95):.0f} |",
        f"| the same questions again (cache) | {len(again)} | {quantile(again, 50):.0f} | {quantile(again, 95):.0f} |",
        f"\nRequest -> response, the debounce included; {shown} of {len(questions)} questions got a suggestion.",
    ]
    publish("\n".join(lines) + "\n", args.append, separator="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
