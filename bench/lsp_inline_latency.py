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
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from querywright.server.config import InlineConfig

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 300


def quantile(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def measure(records: list[dict[str, str]], options: dict[str, Any]) -> dict[str, Any]:
    client = LanguageClient("querywright-bench", "1")
    ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    seen: list[str] = []

    @client.feature("querywright/status")
    def status(params: Any) -> None:
        backend = params.get("backend") if isinstance(params, dict) else getattr(params, "backend", None)
        seen.append(str(backend))
        # "ready" comes once before the warm-up ("loads on first use"), then "loading",
        # then "ready" when the model is loaded and the schema prefix evaluated.
        if backend == "ready" and "loading" in seen and not ready.done():
            ready.set_result(None)

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def configuration(params: types.ConfigurationParams) -> list[Any]:
        return [options for _ in params.items]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        return None

    root = REPO / records[0]["workspace"]
    await client.start_io(sys.executable, "-m", "querywright.cli.main", "lsp")
    started = time.perf_counter()
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(configuration=True)),
        root_uri=root.as_uri(), initialization_options=options,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="bench")]))  # fmt: skip
    client.initialized(types.InitializedParams())
    uri = (root / "queries" / "bench_inline.sql").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="sql", version=1, text="")))
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
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri), [types.TextDocumentContentChangeWholeDocument(text=text)]))  # fmt: skip
            params = types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, len(text)),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic))  # fmt: skip
            t0 = time.perf_counter()
            result = await asyncio.wait_for(client.text_document_inline_completion_async(params), TIMEOUT_S)
            (later if i > 1 else first).append((time.perf_counter() - t0) * 1000)
            items = result.items if isinstance(result, types.InlineCompletionList) else result or []
            shown += bool(items)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
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
        (f"Machine: {platform.machine()}, {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} at the end), "
         f"Python {platform.python_version()}; builtin:smollm2-135m, embedded engine, product settings with a "
         f"{debounce} ms debounce. Model ready (loaded, schema prefix evaluated) {r['ready_s']:.1f} s after initialize."),
        (f"Command: `python bench/lsp_inline_latency.py {' '.join(a for a in sys.argv[1:] if not a.startswith('--append') and a != str(args.append))}`"
         f" ({time.perf_counter() - started:.0f} s)\n"),
        "| requests | n | p50 (ms) | p95 (ms) |",
        "|---|---|---|---|",
        f"| first word of each statement | {len(r['first'])} | {quantile(r['first'], 50):.0f} | {quantile(r['first'], 95):.0f} |",
        f"| follow-up words | {len(r['later'])} | {quantile(r['later'], 50):.0f} | {quantile(r['later'], 95):.0f} |",
        f"| all | {len(every)} | {quantile(every, 50):.0f} | {quantile(every, 95):.0f} |",
        f"\nRequest -> response, the {debounce} ms debounce included; {r['shown']} of {len(every)} requests got a suggestion.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        with args.append.open("a") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
