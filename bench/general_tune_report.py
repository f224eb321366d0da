"""The general SQL tunes of the builtin model, from the raw JSON their GPU runs wrote.

``python bench/general_tune_report.py [--append bench/RESULTS.md]``

Reads ``bench/gpu/results/general-tune-v*-train.json`` (what ``querywright train`` wrote on
the GPU machine) and ``general-tune-v*-dataset.json`` (``dataset build --json``) and prints
one row per tune: pairs, steps, training seconds, tokens/s over the whole run (compilation
included), peak GPU memory, final loss, and MFU against the dense bf16 peak of an H100/H200
(989 TFLOP/s). FLOPs are counted honestly for LoRA on a frozen base: per trained token the
forward pass (2 x base parameters), the backward pass through the frozen base for the
activations only (2 x base parameters, no weight gradients) and the LoRA weights' full
forward/backward (6 x LoRA parameters); attention's sequence-length term is left out (it is
under 2% at these ~200-token prompts), so the figure is an upper bound.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from lsp_session import publish

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "gpu" / "results"
PEAK_FLOPS = 989e12
BASE_PARAMS = 134_515_008  # SmolLM2-135M (tied embeddings counted once)
LORA_PARAMS = 4_884_480  # r=16 on q,k,v,o,gate,up,down of its 30 layers (Unsloth's count)


def rows() -> list[dict[str, object]]:
    out = []
    for train_file in sorted(RESULTS.glob("general-tune-v*-train.json")):
        version = re.search(r"general-tune-(v\d+)-train", train_file.name)
        if version is None:
            continue
        train = json.loads(train_file.read_text())
        data_file = RESULTS / f"general-tune-{version.group(1)}-dataset.json"
        data = json.loads(data_file.read_text()) if data_file.is_file() else {}
        seconds = float(train.get("train_seconds") or 0)
        tokens = float(train.get("tokens_seen") or 0)
        per_s = tokens / seconds if seconds else 0.0
        flops = per_s * (4 * BASE_PARAMS + 6 * LORA_PARAMS)
        settings = data.get("settings", {})
        out.append({
            "tune": version.group(1),
            "pairs": train.get("examples"),
            "per_schema": settings.get("synthetic"),
            "synthesis": settings.get("synthesis", "templates"),
            "steps": train.get("steps"),
            "seconds": seconds,
            "tokens_per_s": per_s,
            "peak_gib": float(train.get("peak_memory_bytes") or 0) / 2**30,
            "loss": train.get("final_loss"),
            "mfu": flops / PEAK_FLOPS,
            "backend": (train.get("backend") or {}).get("backend"),
            "batching": (train.get("backend") or {}).get("batching"),
        })
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--append", type=Path)
    args = parser.parse_args()
    lines = [
        "\n## General SQL tunes of the builtin model (raw JSON in bench/gpu/results/)\n",
        (
            "Trained on one NVIDIA H200 with `querywright train --backend auto` (Unsloth, 4-bit base, LoRA r=16); "
            "data from `querywright dataset build --schemas spider/tables.json` (166 Spider schemas, no evaluation "
            "question). Command: `python bench/general_tune_report.py`. MFU: see the script's docstring.\n"
        ),
        "| tune | synthesis | pairs (train) | per schema | steps | train s | tokens/s | peak GiB | final loss | MFU | batching |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows():
        lines.append(
            f"| {r['tune']} | {r['synthesis']} | {r['pairs']} | {r['per_schema']} | {r['steps']} | {r['seconds']:.0f} | "
            f"{r['tokens_per_s']:,.0f} | {r['peak_gib']:.1f} | {float(r['loss'] or 0):.4f} | {100 * float(r['mfu']):.1f}% | {r['batching']} |"
        )
    publish("\n".join(lines) + "\n", args.append, separator="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
