"""Inline suggestion latency as an editor sees it: through the real language server over stdio.

``python bench/lsp_inline_latency.py [--statements 8] [--debounce-ms N] [--append bench/RESULTS.md]``

Starts ``querywright lsp`` on ``examples/shop`` with the built-in model (product settings,
except ``--debounce-ms`` when given), opens a query document, waits until the server
reports the model ready (the warm-up an open query document starts: the model loaded and
the schema part of the prompt evaluated), then "types" the gold statements of ``bench/data/questions.jsonl`` one word at a time into
an open document: each word is a ``didChange`` followed by a
``textDocument/inlineCompletion`` request at the end of the text, timed from request to
response (the server's debounce, generation, validation and the stdio round trip). The
requests are sequential, as if the user paused after each word, so none is cancelled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from lsp_session import (
    LspSession,
    command,
    inline_items,
    machine_line,
    publish,
    quantile,
    status_field,
)
from lsprotocol import types
from querywright.server.config import InlineConfig

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 300


def model_ready(statuses: list[Any]) -> bool:
    """The model is warm: the backend is "ready" once before the warm-up ("loads on first
    use"), then "loading", then "ready" when the model is loaded and the schema prefix
    evaluated."""
    seen = [str(status_field(s, "backend")) for s in statuses]
    return seen[-1] == "ready" and "loading" in seen


async def measure(records: list[dict[str, str]], options: dict[str, Any]) -> dict[str, Any]:
    session = LspSession(options)
    client = session.client
    ready = session.until_status(model_ready)
    root = REPO / records[0]["workspace"]
    await session.start()
    started = time.perf_counter()
    await session.initialize(root, options, configuration=True)
    uri = (root / "queries" / "bench_inline.sql").as_uri()
    session.open(uri, "")
    await asyncio.wait_for(ready, TIMEOUT_S)  # the server warms the model up for the open document
    ready_s = time.perf_counter() - started
    version = 1
    first: list[float] = []
    later: list[float] = []
    shown = 0
    for record in records:
        words = record["sql"].split(" ")
        for i in range(1, len(words)):
            text = " ".join(words[:i]) + " "
            version += 1
            session.replace(uri, version, text)
            params = types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, len(text)),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic))  # fmt: skip
            t0 = time.perf_counter()
            result = await asyncio.wait_for(client.text_document_inline_completion_async(params), TIMEOUT_S)
            (later if i > 1 else first).append((time.perf_counter() - t0) * 1000)
            shown += bool(inline_items(result))
    await session.close()
    return {"first": first, "later": later, "shown": shown, "ready_s": ready_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "data" / "questions.jsonl")
    parser.add_argument("--statements", type=int, default=8)
    parser.add_argument("--debounce-ms", type=int, help="default: the product's")
    parser.add_argument("--append", type=Path)
    args = parser.parse_args()
    records = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()][: args.statements]
    inline: dict[str, Any] = {} if args.debounce_ms is None else {"debounce_ms": args.debounce_ms}
    debounce = InlineConfig().debounce_ms if args.debounce_ms is None else args.debounce_ms
    started = time.perf_counter()
    r = asyncio.run(measure(records, {"inline": inline} if inline else {}))
    every = r["first"] + r["later"]
    lines = [
        f"\n## Inline suggestions through the language server over stdio ({time.strftime('%Y-%m-%d %H:%M')})\n",
        (f"{machine_line(load_at_end=True, system=False)}; builtin:smollm2-135m, embedded engine, product settings with a "
         f"{debounce} ms debounce. Model ready (loaded, schema prefix evaluated) {r['ready_s']:.1f} s after initialize."),
        f"Command: `{command('lsp_inline_latency.py', without_append=True)}` ({time.perf_counter() - started:.0f} s)\n",
        "| requests | n | p50 (ms) | p95 (ms) |",
        "|---|---|---|---|",
        f"| first word of each statement | {len(r['first'])} | {quantile(r['first'], 50):.0f} | {quantile(r['first'], 95):.0f} |",
        f"| follow-up words | {len(r['later'])} | {quantile(r['later'], 50):.0f} | {quantile(r['later'], 95):.0f} |",
        f"| all | {len(every)} | {quantile(every, 50):.0f} | {quantile(every, 95):.0f} |",
        f"\nRequest -> response, the {debounce} ms debounce included; {r['shown']} of {len(every)} requests got a suggestion.",
    ]
    publish("\n".join(lines) + "\n", args.append, separator="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
