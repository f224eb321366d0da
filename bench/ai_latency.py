"""Latency of inline suggestions with the built-in model through the embedded engine.

Request -> response of ``SuggestionService.suggest`` with the product's inline settings
(``InlineConfig()`` defaults, except no debounce and no result cache hits: each request
is a new prefix) while "typing" gold statements of bench/data/questions.jsonl one word at
a time:

- cold: the first keystroke of each statement, each statement typed into a freshly loaded
  engine (the schema part of the prompt is evaluated on that request: as on the first
  request after a restart had the editor not warmed the model up);
- warm prefix: every later keystroke (the schema part of the prompt is in the engine's
  prefix cache), i.e. a follow-up keystroke;
- all: every request of the session, cold ones included;
- validation overhead: the time ``validate_candidate`` took per candidate.

Prints markdown (machine, command) for bench/RESULTS.md:
``python bench/ai_latency.py [--statements N] [--grammar on|off] >> bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from lsp_session import command, machine_line
from querywright.server.ai.completer import BackendState, Completion, CompletionRequest
from querywright.server.ai.embedded import release_engines
from querywright.server.ai.refs import BackendConfig, open_completer
from querywright.server.ai.suggest import SuggestionService
from querywright.server.config import InlineConfig, load_config
from querywright.server.sql.workspace import load_catalog

REPO = Path(__file__).resolve().parent.parent


class Counting:
    """Delegates to a completer and counts candidates and generated tokens (the embedded
    engine streams one piece per token)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.capabilities = inner.name, inner.capabilities
        self.candidates = 0
        self.tokens = 0

    async def complete(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> list[Completion]:
        out = await self.inner.complete(request, cancel)
        self.candidates += len(out)
        self.tokens += sum(c.tokens for c in out)
        return out

    async def stream(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> AsyncIterator[str]:
        self.candidates += 1
        async with contextlib.aclosing(self.inner.stream(request, cancel)) as pieces:
            async for piece in pieces:
                self.tokens += 1
                yield piece

    async def state(self) -> BackendState:
        return await self.inner.state()

    async def warm_up(self) -> None:
        await self.inner.warm_up()

    async def aclose(self) -> None:
        await self.inner.aclose()


def _q(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def measure(records: list[dict], grammar: bool, threads: int, model: str, inline: InlineConfig) -> dict[str, object]:
    root = REPO / records[0]["workspace"]
    catalog = load_catalog(root, load_config(root)[0]).catalog
    cold: list[float] = []
    warm: list[float] = []
    validation: list[float] = []
    validation_cpu: list[float] = []
    tokens: list[int] = []
    candidates: list[int] = []
    lengths: list[int] = []
    shown = 0
    for record in records:
        words = record["sql"].split(" ")
        release_engines()  # a fresh engine: nothing of the prompt is cached
        completer = open_completer(model, BackendConfig(timeout_s=300, n_threads=threads))
        await completer.warm_up()  # load only; the schema prefix is not evaluated yet
        counted = Counting(completer)
        service = SuggestionService(counted, replace(inline, grammar=grammar), continuation_grammar=grammar)
        for i in range(1, len(words)):
            prefix = " ".join(words[:i]) + " "
            service.clear_cache()
            counted.candidates = counted.tokens = 0
            started = time.perf_counter()
            result = await service.suggest("bench", prefix, len(prefix), catalog, debounce=False)
            elapsed = (time.perf_counter() - started) * 1000
            (warm if i > 1 else cold).append(elapsed)
            validation += [v.elapsed_ms for v in result.verdicts if v.elapsed_ms]
            validation_cpu += [v.cpu_ms for v in result.verdicts if v.elapsed_ms]
            shown += len(result.items)
            lengths += [len(item.text) for item in result.items[:1]]
            tokens.append(counted.tokens)
            candidates.append(counted.candidates)
        await completer.aclose()
    release_engines()
    return {"grammar": grammar, "cold": cold, "warm": warm, "validation": validation, "validation_cpu": validation_cpu,
            "shown": shown, "tokens": tokens, "candidates": candidates, "lengths": lengths}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "data" / "questions.jsonl")
    parser.add_argument("--model", default="builtin:smollm2-135m")
    parser.add_argument("--statements", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, help="default: the product's (InlineConfig)")
    parser.add_argument("--max-candidates", type=int, help="default: the product's (InlineConfig)")
    parser.add_argument("--grammar", choices=("on", "off", "both"), default="both")
    args = parser.parse_args()
    records = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()][: args.statements]
    modes = {"on": [True], "off": [False], "both": [True, False]}[args.grammar]
    started = time.perf_counter()
    inline = InlineConfig(debounce_ms=0)
    if args.max_tokens:
        inline = replace(inline, max_tokens=args.max_tokens)
    if args.max_candidates:
        inline = replace(inline, max_candidates=args.max_candidates)
    results = [asyncio.run(measure(records, g, args.threads, args.model, inline)) for g in modes]
    print(f"\n## AI latency: inline suggestions, {args.model}, embedded engine ({time.strftime('%Y-%m-%d %H:%M')})\n")
    print(f"{machine_line(shared=True, load_at_end=True, system=False)}, {args.threads} engine thread(s); "
          f"inline settings: max_candidates {inline.max_candidates}, max_tokens {inline.max_tokens}, no debounce.")
    print(f"Command: `{command('ai_latency.py')}` ({time.perf_counter() - started:.0f} s)\n")
    print("| grammar | cold p50 / p95 (ms) | warm prefix p50 (ms) | warm prefix p95 (ms) | all requests p50 (ms) | requests (cold) | suggestions shown | "
          "tokens generated per request, mean (median) | candidates per request | mean characters shown | "
          "validation wall p50 / p95 (ms) | validation CPU p50 / p95 (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        warm, validation, cpu, tokens = r["warm"], r["validation"], r["validation_cpu"], r["tokens"]
        cold = r["cold"]
        print(f"| {'on' if r['grammar'] else 'off'} | {_q(cold, 50):.0f} / {_q(cold, 95):.0f} | {_q(warm, 50):.0f} | {_q(warm, 95):.0f} | "
              f"{_q(cold + warm, 50):.0f} | {len(warm) + len(cold)} ({len(cold)}) | {r['shown']} | "
              f"{statistics.mean(tokens):.1f} ({statistics.median(tokens):.0f}) | "
              f"{statistics.mean(r['candidates']):.2f} | {statistics.mean(r['lengths'] or [0]):.0f} | "
              f"{_q(validation, 50):.2f} / {_q(validation, 95):.2f} | {_q(cpu, 50):.2f} / {_q(cpu, 95):.2f} |")
    print("\nTargets: p50 <= 350 ms; follow-up keystroke with warm prefix p50 <= 150 ms; validation p95 <= 10 ms.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
