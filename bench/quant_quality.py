"""What a re-encoded GGUF costs in quality and buys in speed, against the file it came from.

For the built-in model's shipped file (Q4_1) and its re-encodings (``server.ai.requantize``):

- quality: perplexity of the gold SQL of ``bench/data/questions.jsonl`` (and, with
  ``--spider``, of Spider dev questions) under the ``qw-1`` prompt the product sends
  (schema slice + question), computed with transformers from the GGUF's dequantized
  weights, completion tokens only; and how often greedy decoding through llama.cpp gives
  the same statement as the shipped file;
- speed: llama.cpp (xllamacpp, the embedded engine) prompt evaluation of the first prompt
  and generation of 24 tokens with a warm prompt prefix, ms per token.

Prints markdown (machine, command) for bench/RESULTS.md:
``python bench/quant_quality.py [--types Q4_0 Q8_0] [--spider DIR --spider-limit N] >> bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from lsp_session import command, machine_line
from querywright.server.ai.embedded import Engine, EngineKey
from querywright.server.ai.models import SMOLLM2_135M, cached_path, pull_model
from querywright.server.ai.prompt import build_prompt, clean_sql, format_training_example
from querywright.server.ai.requantize import requantize
from querywright.server.ai.schema_slice import slice_schema
from querywright.server.config import load_config
from querywright.server.sql.workspace import load_catalog

REPO = Path(__file__).resolve().parent.parent


def examples(data: Path, spider: Path | None, spider_limit: int) -> list[tuple[str, str]]:
    """(prompt, gold completion) pairs, prompted as the product prompts ``ask``."""
    out: list[tuple[str, str]] = []
    catalogs: dict[str, Any] = {}
    for line in data.read_text().splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        root = REPO / record["workspace"]
        if record["workspace"] not in catalogs:
            catalogs[record["workspace"]] = load_catalog(root, load_config(root)[0]).catalog
        catalog = catalogs[record["workspace"]]
        sliced = slice_schema(catalog, "", record["question"])
        out.append((build_prompt(sliced.ddl, catalog.dialect, record["question"]), clean_sql(record["sql"]) + ";"))
    if spider is not None:
        from querywright.trainer.spider import load_spider  # the trainer's loader

        for record in load_spider(spider).records[:spider_limit]:
            prompt, _completion = format_training_example(record)
            out.append((prompt, clean_sql(str(record["sql"])) + ";"))
    return out


def perplexity(gguf: Path, pairs: list[tuple[str, str]]) -> float:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for prompt, gold in pairs:
            head = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            tail = tokenizer(gold, add_special_tokens=False)["input_ids"]
            ids = torch.tensor([head + tail])
            logits = model(ids).logits[0, len(head) - 1 : -1]
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            total -= float(logprobs.gather(1, torch.tensor(tail)[:, None]).sum())
            count += len(tail)
    return math.exp(total / count)


def engine_run(gguf: Path, pairs: list[tuple[str, str]], threads: int) -> dict[str, Any]:
    """Greedy outputs and speed through the product's embedded engine."""
    engine = Engine(EngineKey(model=gguf, adapter=None, n_ctx=4096, n_threads=threads))
    outputs: list[str] = []
    prompt_rates: list[float] = []
    token_ms: list[float] = []
    for index, (prompt, _gold) in enumerate(pairs):
        body = {"prompt": prompt + "SELECT", "max_tokens": 24, "temperature": 0.0, "seed": 1, "cache_prompt": True}
        pieces: list[str] = []
        last = engine.generate(body, pieces.append, threading.Event())
        outputs.append("".join(pieces))
        timings = last.get("timings") or {}
        if index == 0:
            prompt_rates.append(float(timings.get("prompt_per_second", 0.0)))
        if timings.get("predicted_n", 0) > 1:
            token_ms.append(float(timings["predicted_per_token_ms"]))
    engine.close()
    return {"outputs": outputs, "prompt_per_second": prompt_rates[0], "token_ms": statistics.median(token_ms)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "data" / "questions.jsonl")
    parser.add_argument("--types", nargs="+", default=["Q4_0", "Q8_0"])
    parser.add_argument("--spider", type=Path)
    parser.add_argument("--spider-limit", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    pairs = examples(args.data, args.spider, args.spider_limit)
    pull_model(SMOLLM2_135M)
    shipped = cached_path(SMOLLM2_135M)
    rows = []
    with tempfile.TemporaryDirectory(prefix="qw-quant-") as tmp:
        files = [(f"{SMOLLM2_135M.quantization} (shipped)", shipped)]
        for target in args.types:
            files.append((target, requantize(shipped, Path(tmp) / f"smollm2-{target}.gguf", target=target)))
        reference: list[str] | None = None
        for label, path in files:
            run = engine_run(path, pairs, args.threads)
            reference = reference or run["outputs"]
            same = sum(a == b for a, b in zip(run["outputs"], reference))
            rows.append((label, path.stat().st_size, perplexity(path, pairs), run, same))
    print(f"\n## Built-in model re-encodings: quality and speed ({time.strftime('%Y-%m-%d %H:%M')})\n")
    print(f"{machine_line(load_at_end=True, system=False)}, {args.threads} engine thread(s); {len(pairs)} gold statements.")
    print(f"Command: `{command('quant_quality.py')}` ({time.perf_counter() - started:.0f} s)\n")
    print("| file | size (MB) | perplexity of gold SQL | greedy output same as shipped | prompt eval (tokens/s) | generation (ms/token) |")
    print("|---|---|---|---|---|---|")
    for label, size, ppl, run, same in rows:
        print(f"| {label} | {size / 1e6:.1f} | {ppl:.3f} | {same}/{len(pairs)} | {run['prompt_per_second']:.0f} | {run['token_ms']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
