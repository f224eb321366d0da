"""Latency of inline suggestions with the built-in model through the embedded engine.

Request -> response of ``SuggestionService.suggest`` (no debounce, no result cache hits:
each request is a new prefix) while "typing" gold statements of bench/data/questions.jsonl
one word at a time:

- cold: the first request after the model is loaded (schema prefix not yet evaluated);
- warm prefix: every later keystroke (the schema part of the prompt is in the engine's
  prefix cache);
- validation overhead: the time ``validate_candidate`` took per candidate.

Prints markdown (machine, command) for bench/RESULTS.md:
``python bench/ai_latency.py [--statements N] [--grammar on|off] >> bench/RESULTS.md``.
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
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from querywright.server.ai.completer import BackendState, Completion, CompletionRequest
from querywright.server.ai.embedded import release_engines
from querywright.server.ai.refs import BackendConfig, open_completer
from querywright.server.ai.suggest import SuggestionService
from querywright.server.config import InlineConfig, load_config
from querywright.server.sql.workspace import load_catalog

REPO = Path(__file__).resolve().parent.parent


class Counting:
    """Delegates to a completer and records generated / uncached prompt tokens."""

    def __init__(self, inner: Any, tokens: list[int], uncached: list[int]) -> None:
        self.inner, self.tokens, self.uncached = inner, tokens, uncached
        self.name, self.capabilities = inner.name, inner.capabilities

    async def complete(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> list[Completion]:
        out = await self.inner.complete(request, cancel)
        for c in out:
            self.tokens.append(c.tokens)
            self.uncached.append(int(c.metadata.get("prompt_tokens", 0) or 0) - int(c.metadata.get("cached_tokens", 0) or 0))
        return out

    def stream(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> AsyncIterator[str]:
        return self.inner.stream(request, cancel)

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


async def measure(records: list[dict], grammar: bool, threads: int, model: str, max_tokens: int) -> dict[str, object]:
    completer = open_completer(model, BackendConfig(timeout_s=300, n_threads=threads))
    await completer.warm_up()  # load only; the schema prefix is not evaluated yet
    root = REPO / records[0]["workspace"]
    catalog = load_catalog(root, load_config(root)[0]).catalog
    cold: list[float] = []
    warm: list[float] = []
    validation: list[float] = []
    validation_cpu: list[float] = []
    tokens: list[int] = []
    uncached: list[int] = []
    shown = 0
    counted = Counting(completer, tokens, uncached)
    service = SuggestionService(counted, InlineConfig(debounce_ms=0, max_candidates=1, max_tokens=max_tokens, grammar=grammar), continuation_grammar=grammar)

    for record in records:
        words = record["sql"].split(" ")
        for i in range(1, len(words)):
            prefix = " ".join(words[:i]) + " "
            service.clear_cache()
            started = time.perf_counter()
            result = await service.suggest("bench", prefix, len(prefix), catalog, debounce=False)
            elapsed = (time.perf_counter() - started) * 1000
            (warm if cold else cold).append(elapsed)
            validation += [v.elapsed_ms for v in result.verdicts if v.elapsed_ms]
            validation_cpu += [v.cpu_ms for v in result.verdicts if v.elapsed_ms]
            shown += len(result.items)
    await completer.aclose()
    release_engines()  # the next mode starts cold too
    return {"grammar": grammar, "cold": cold, "warm": warm, "validation": validation, "validation_cpu": validation_cpu,
            "shown": shown, "tokens": tokens, "uncached": uncached}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "data" / "questions.jsonl")
    parser.add_argument("--model", default="builtin:smollm2-135m")
    parser.add_argument("--statements", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--grammar", choices=("on", "off", "both"), default="both")
    args = parser.parse_args()
    records = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()][: args.statements]
    modes = {"on": [True], "off": [False], "both": [True, False]}[args.grammar]
    started = time.perf_counter()
    results = [asyncio.run(measure(records, g, args.threads, args.model, args.max_tokens)) for g in modes]
    print(f"\n## AI latency: inline suggestions, {args.model}, embedded engine ({time.strftime('%Y-%m-%d %H:%M')})\n")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs (load average "
          f"{os.getloadavg()[0]:.1f} at the end), Python {platform.python_version()}, {args.threads} engine thread(s), "
          f"max {args.max_tokens} tokens per suggestion.")
    print(f"Command: `python bench/ai_latency.py {' '.join(sys.argv[1:])}` ({time.perf_counter() - started:.0f} s)\n")
    print("| grammar | cold request (ms) | warm prefix p50 (ms) | warm prefix p95 (ms) | requests | suggestions shown | "
          "mean tokens generated | mean prompt tokens not cached (after the first) | validation wall p50 / p95 (ms) | validation CPU p50 / p95 (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        warm, validation, cpu = r["warm"], r["validation"], r["validation_cpu"]
        print(f"| {'on' if r['grammar'] else 'off'} | {r['cold'][0]:.0f} | {_q(warm, 50):.0f} | {_q(warm, 95):.0f} | "
              f"{len(warm) + 1} | {r['shown']} | {statistics.mean(r['tokens']):.1f} | {statistics.mean(r['uncached'][1:]):.0f} | "
              f"{_q(validation, 50):.2f} / {_q(validation, 95):.2f} | {_q(cpu, 50):.2f} / {_q(cpu, 95):.2f} |")
    print("\nTargets: p50 <= 350 ms; follow-up keystroke with warm prefix p50 <= 150 ms; validation p95 <= 10 ms.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
