"""Latency of the deterministic features over stdio while the model backend is sick.

``python bench/sick_model_latency.py [--rounds 200] [--timeout-ms 2000] [--append bench/RESULTS.md]``

For each backend condition — healthy, then down (port closed), slow (answers after 10 s),
cut (connection dropped after the first streamed piece), garbage (a 200 whose body is not
JSON), non_utf8 (NDJSON lines that are not UTF-8), http500 — the script starts
``CannedOllama`` of ``tests/support/fake_ollama.py`` (an Ollama-protocol server answering canned text, so
the model costs nothing) in that mode and a fresh ``python -m querywright.cli.main lsp``
configured with ``model = "ollama:canned"``, the inline timeout ``--timeout-ms`` and an
empty model cache (so the built-in fallback does not stand in for the sick backend). On a
copy of ``examples/shop`` it runs ``--rounds`` rounds of what an editor sends while typing:
an inline-completion request is sent and, while it is pending, a completion after
``u.`` and a hover on ``users`` are timed; then the inline answer is awaited (and timed).
The server's circuit breaker opens after three failures, so most inline requests to a sick
backend are refused at once: that is the product's behaviour, reported as measured. The
inline maximum shows the first request, which waits for the model's warm-up (bounded by
the 120 s command timeout, not the inline one).

Prints a markdown section (p50/p95 per condition, the machine, the command); ``--append``
adds it to a results file.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from lsp_session import (
    LspSession,
    command,
    load_now,
    load_span,
    machine_line,
    nearest_rank,
    publish,
)

from tests.support.fake_ollama import CannedOllama

CONDITIONS = ("healthy", "down", "slow", "cut", "garbage", "non_utf8", "http500")
TEXT = "SELECT u.email FROM users u WHERE u.id = 1;\nSELECT \n"
COMPLETION_AT = types.Position(0, 9)  # after "u."
HOVER_AT = types.Position(0, 22)  # on "users"
INLINE_AT = types.Position(1, 7)  # after "SELECT ": only the model continues here
TIMEOUT_S = 60


async def measure(condition: str, workspace: Path, home: Path, rounds: int, timeout_ms: int) -> dict[str, Any]:
    with CannedOllama(slow_s=10.0) as canned:
        if condition == "down":
            canned.stop()
        elif condition != "healthy":
            canned.mode = condition  # type: ignore[assignment]
        session = LspSession()
        client = session.client
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUERYWRIGHT_")}
        env["QUERYWRIGHT_HOME"] = str(home)
        await session.start(env)
        loaded = session.until_status()
        options = {"dialect": "postgres", "model": "ollama:canned", "ollama_host": canned.url,
                   "inline": {"debounce_ms": 0, "timeout_ms": timeout_ms, "max_candidates": 1}}
        await session.initialize(workspace, options, folder="shop")
        await asyncio.wait_for(loaded, TIMEOUT_S)
        uri = (workspace / "queries" / "sick.sql").as_uri()
        session.open(uri, TEXT)
        doc = types.TextDocumentIdentifier(uri=uri)
        inline_params = types.InlineCompletionParams(
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
            text_document=doc, position=INLINE_AT)
        gc.collect()
        gc.freeze()
        completion_ms: list[float] = []
        hover_ms: list[float] = []
        inline_ms: list[float] = []
        shown = 0
        for _ in range(rounds):
            started = time.perf_counter()
            pending = asyncio.ensure_future(client.text_document_inline_completion_async(inline_params))
            await asyncio.sleep(0)
            t0 = time.perf_counter()
            await asyncio.wait_for(client.text_document_completion_async(types.CompletionParams(doc, COMPLETION_AT)), TIMEOUT_S)
            t1 = time.perf_counter()
            hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(doc, HOVER_AT)), TIMEOUT_S)
            t2 = time.perf_counter()
            assert hover is not None, "hover found nothing"
            result = await asyncio.wait_for(pending, TIMEOUT_S)
            inline_ms.append((time.perf_counter() - started) * 1000)
            completion_ms.append((t1 - t0) * 1000)
            hover_ms.append((t2 - t1) * 1000)
            shown += bool(result is not None and list(result.items))
        gc.unfreeze()
        await session.close()
        return {"completion": completion_ms, "hover": hover_ms, "inline": inline_ms,
                "shown": shown, "generations": canned.generations}


def cell(values: list[float]) -> str:
    return f"{nearest_rank(values, 50):.1f} / {nearest_rank(values, 95):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--timeout-ms", type=int, default=2000)
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()
    found: dict[str, dict[str, Any]] = {}
    load_before = load_now()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "shop"
        shutil.copytree(REPO / "examples" / "shop", workspace)
        home = Path(tmp) / "empty-model-cache"
        home.mkdir()
        for condition in CONDITIONS:
            found[condition] = asyncio.run(measure(condition, workspace.resolve(), home, args.rounds, args.timeout_ms))
            print(condition, {k: (cell(v) if isinstance(v, list) else v) for k, v in found[condition].items()}, file=sys.stderr)
    load_after = load_now()
    healthy = found["healthy"]
    lines = [
        f"## Deterministic features while the model is sick (language server over stdio, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        (f"{machine_line(shared=True)}; {load_span(load_before, load_after)}; {time.monotonic() - started:.0f} s. "
         f"Command: `{command('sick_model_latency.py')}`. Backend: `CannedOllama` of `tests/support/fake_ollama.py` in each mode, inline timeout "
         f"{args.timeout_ms} ms, empty model cache (no built-in fallback). Each round sends an inline request and, "
         "while it is pending, times one completion (after `u.`) and one hover (on `users`); the inline "
         "column is that request's whole round trip (the circuit breaker refuses at once after three failures)."),
        "",
        "| backend | rounds | completion p50 / p95 (ms) | hover p50 / p95 (ms) | inline p50 / p95 / max (ms) | suggestions shown | generation requests |",
        "|---|---|---|---|---|---|---|",
    ]
    for condition in CONDITIONS:
        f = found[condition]
        lines.append(f"| {condition} | {len(f['completion'])} | {cell(f['completion'])} | {cell(f['hover'])} | {cell(f['inline'])} / {max(f['inline']):.0f} | {f['shown']} | {f['generations']} |")
    worst = max(nearest_rank(found[c][k], 95) for c in CONDITIONS[1:] for k in ("completion", "hover"))
    single = max(max(found[c][k]) for c in CONDITIONS[1:] for k in ("completion", "hover"))
    lines += [
        "",
        (f"- worst p95 of completion or hover with a sick backend: {worst:.1f} ms; worst single one: "
         f"{single:.1f} ms; healthy p95: "
         f"{max(nearest_rank(healthy['completion'], 95), nearest_rank(healthy['hover'], 95)):.1f} ms"),
        "",
    ]
    publish("\n".join(lines), args.append)


if __name__ == "__main__":
    main()
