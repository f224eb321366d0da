"""Turn throughput records into a markdown table and into the rule ``--backend auto`` reads.

MFU (model FLOPs utilization) counts LoRA training on a frozen base honestly: per trained
token, 2 x N FLOPs forward and 2 x N backward (gradients of the activations only: the frozen
weights get none), N the parameters that multiply every token (an untied input embedding is a
lookup and does not count), plus 6 x the LoRA parameters; attention scores and recomputation
under checkpointing are not counted. Against the dense bf16 peak of an H100/H200, 989 TFLOP/s.
"""

from __future__ import annotations

import math
from typing import Any

PEAK_FLOPS = 989e12  # dense bf16, H100 / H200 SXM


def mfu(record: dict[str, Any]) -> float | None:
    """Model FLOPs utilization of one run (None when the record lacks the counts)."""
    tps, base, lora = (record.get("steady_tokens_per_s"), record.get("compute_params"),
                       record.get("lora_params"))
    if not tps or not base or lora is None:
        return None
    return tps * (4 * base + 6 * lora) / PEAK_FLOPS


def batching(spec: dict[str, Any]) -> str:
    """The batching of a run; the first runs wrote "auto" for what is now "library"."""
    return "library" if spec["batching"] == "auto" else spec["batching"]


def _env_line(records: list[dict[str, Any]]) -> str:
    env = next((r["env"] for r in records if r.get("status") == "ok"), None)
    if env is None:
        return "Machine: no run finished."
    return ("Machine: {gpu}, CUDA {cuda}, torch {torch}, Python {python}; transformers "
            "{transformers}, trl {trl}, peft {peft}, bitsandbytes {bitsandbytes}, unsloth "
            "{unsloth} (unsloth_zoo {unsloth_zoo}).").format(**env)


def _chosen(record: dict[str, Any]) -> str:
    """What Unsloth actually did, from its own messages."""
    notes = " ".join(record.get("notes", []))
    said = []
    if "Padding-free batching auto-enabled" in notes:
        said.append("chose padding-free")
    if "Padded batches" in notes:
        said.append("chose padded + block compile")
    if "offload" in notes.lower():
        said.append("offloads activations")
    return "; ".join(said)


def markdown(records: list[dict[str, Any]], command: str = "") -> str:
    lines = ["## GPU training throughput: Unsloth vs transformers+peft (bench/gpu_throughput.py)",
             "", _env_line(records), ""]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [("QLoRA/LoRA r=16 on all linear layers; batch = rows x max length; synthetic text-to-SQL "
               "pairs, bf16; steady state excludes the first `skip` steps (compilation, warm-up); "
               "tokens are non-padding tokens; peak = torch.cuda.max_memory_allocated."), "",
              ("| model | backend | grad. checkpointing | batching | batch | steps (skip) "
               "| steady tokens/s | MFU | s/step | peak GiB | final loss | x fastest "
               "| compiled graphs | notes |"),
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    best: dict[str, float] = {}
    for r in records:
        if r.get("status") == "ok" and r.get("steady_tokens_per_s"):
            key = r["spec"]["model"]
            best[key] = max(best.get(key, 0.0), r["steady_tokens_per_s"])
    for r in records:
        s = r["spec"]
        ok = r.get("status") == "ok" and r.get("steady_tokens_per_s")
        tps = r.get("steady_tokens_per_s") or 0.0
        cells = [s["label"], s["backend"], s["gradient_checkpointing"], batching(s),
                 f"{s['batch_size']} x {s['max_seq_length']}", f"{s['steps']} ({s['skip']})",
                 f"{tps:,.0f}" if ok else "-",
                 f"{100 * m:.1f}%" if ok and (m := mfu(r)) is not None else "-",
                 f"{r['steady_step_s']:.3f}" if ok else "-",
                 f"{r['peak_gib']:.2f}" if ok else "-",
                 f"{r['final_loss']:.3f}" if ok and r.get("final_loss") is not None else "-",
                 f"{tps / best[s['model']]:.2f}" if ok else "-",
                 str(r.get("dynamo", {}).get("aot_autograd", 0)) if ok else "-",
                 _chosen(r) if ok else r.get("status", "?")]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *findings(records), "", WHY]
    return "\n".join(lines) + "\n"


WHY = (
    "Why Unsloth's defaults were slow here: Unsloth turns on padding-free batching by default "
    "when its padding rule holds no measurement for the GPU (sm90, the H100, is not in its "
    "table), and padding-free batches skip its per-block torch.compile (the compiled-graphs "
    "column is 0 for every padding-free run, non-zero for padded ones). Each step then launches "
    "eager kernels one by one from Python, so the step time follows the number of layers rather "
    "than the arithmetic: the host, not the GPU, is the bottleneck. Its default "
    "`use_gradient_checkpointing=\"unsloth\"` (activations offloaded to host memory) costs "
    "more on top, as plain checkpointing does. `querywright train` therefore gives Unsloth "
    "padded batches (`padding_free=False`) and picks checkpointing and backend with the rule "
    "written from this table (trainer/auto_backend.json): the least estimated time "
    "(compilation overhead + steps x measured step time) among the settings that fit in memory."
)


def findings(records: list[dict[str, Any]]) -> list[str]:
    """Ratios between settings, per model, computed from the (repeat-averaged) records."""
    merged = _merge_repeats([r for r in records
                             if r.get("status") == "ok" and r.get("steady_tokens_per_s")])
    out = ["Computed from the rows above (repeats averaged):", ""]
    for model in dict.fromkeys(r["spec"]["model"] for r in merged):
        rows = {(r["spec"]["backend"], r["spec"]["gradient_checkpointing"],
                 batching(r["spec"])): r for r in merged if r["spec"]["model"] == model}

        def tps(key: tuple[str, str, str], rows: dict = rows) -> float | None:
            return rows[key]["steady_tokens_per_s"] if key in rows else None

        default = tps(("unsloth", "unsloth", "library"))
        parts = []
        for label, key in (("Unsloth padded, no checkpointing", ("unsloth", "off", "padded")),
                           ("Unsloth padded, checkpointing on", ("unsloth", "on", "padded"))):
            if default and tps(key):
                parts.append(f"{label} runs {tps(key) / default:.1f}x Unsloth's defaults")
        pf, pad = tps(("unsloth", "off", "padding_free")), tps(("unsloth", "off", "padded"))
        if pf and pad:
            parts.append(f"padded vs padding-free (no checkpointing) {pad / pf:.1f}x")
        hf = max((r["steady_tokens_per_s"] for k, r in rows.items() if k[0] == "hf-qlora"),
                 default=None)
        best = max(rows.values(), key=lambda r: r["steady_tokens_per_s"])
        if hf:
            parts.append(f"fastest ({best['spec']['backend']} "
                         f"{best['spec']['gradient_checkpointing']}/{batching(best['spec'])}) "
                         f"vs fastest hf-qlora {best['steady_tokens_per_s'] / hf:.1f}x")
        out.append(f"- {rows[next(iter(rows))]['spec']['label']}: " + "; ".join(parts) + ".")
    return out


def finetune_lines(result: dict[str, Any], command: str,
                   title: str = "A real fine-tune on this machine") -> list[str]:
    """A short account of one training run from its train_result.json."""
    b = result["backend"]
    secs, toks = result["step_seconds"][10:], result["step_tokens"][10:]
    steady = sum(toks) / sum(secs) if secs else 0.0
    return ["", f"### {title}", "",
            f"Command: `{command}`", "",
            (f"- backend: {b['backend']}, checkpointing "
             f"{b['gradient_checkpointing']}, batching {b['batching']}, 4-bit "
             f"{b['load_in_4bit']} ({b['reason']})"),
            (f"- {result['examples']} examples, {result['steps']} steps in "
             f"{result['train_seconds']:.1f} s ({steady:,.0f} tokens/s after step 10), peak "
             f"{(result['peak_memory_bytes'] or 0) / 1024**3:.2f} GiB"),
            f"- loss {result['losses'][0]:.3f} at step 1, {result['final_loss']:.3f} at the end",
            ""]


def _merge_repeats(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (model, backend, checkpointing, batching): repeats averaged."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in records:
        s = r["spec"]
        key = (s["model"], s["backend"], s["gradient_checkpointing"], batching(s),
               str(s["batch_size"]), str(s["max_seq_length"]))
        groups.setdefault(key, []).append(r)
    merged = []
    for runs in groups.values():
        first = dict(runs[0])
        for name in ("steady_tokens_per_s", "steady_step_s", "first_steps_s"):
            first[name] = sum(r[name] for r in runs) / len(runs)
        first["peak_gib"] = max(r["peak_gib"] for r in runs)
        first["repeats"] = len(runs)
        merged.append(first)
    return merged


def auto_rule(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per size class, the measured settings ranked fastest first (what ``auto`` walks)."""
    ok = _merge_repeats([r for r in records
                         if r.get("status") == "ok" and r.get("steady_tokens_per_s")])
    by_model: dict[str, list[dict[str, Any]]] = {}
    for r in ok:
        by_model.setdefault(r["spec"]["model"], []).append(r)
    sizes = sorted((rs[0]["params"], model) for model, rs in by_model.items())
    classes = []
    for i, (params, model) in enumerate(sizes):
        upper = (int(math.sqrt(params * sizes[i + 1][0])) if i + 1 < len(sizes) else None)
        ranked = sorted(by_model[model], key=lambda r: -r["steady_tokens_per_s"])
        classes.append({
            "max_params": upper,
            "measured_model": by_model[model][0]["spec"]["label"],
            "ranked": [{
                "backend": r["spec"]["backend"],
                "gradient_checkpointing": r["spec"]["gradient_checkpointing"],
                "batching": batching(r["spec"]),
                "tokens_per_s": round(r["steady_tokens_per_s"], 1),
                "step_s": round(r["steady_step_s"], 4),
                "overhead_s": round(max(0.0, r["first_steps_s"]
                                        - r["spec"]["skip"] * r["steady_step_s"]), 2),
                "peak_gib": round(r["peak_gib"], 3),
                "params": r["params"],
                "repeats": r["repeats"],
                "batch_size": r["spec"]["batch_size"],
                "max_seq_length": r["spec"]["max_seq_length"],
            } for r in ranked],
        })
    env = next((r["env"] for r in ok), {})
    return {"written_by": "bench/gpu_throughput.py report", "measured_on": env,
            "rule": "per size class (max_params), among entries whose peak_gib, scaled by "
                    "parameters and tokens per step, fits 85% of free GPU memory, the one with "
                    "the least estimated time: overhead_s (compilation, warm-up) + steps x "
                    "step_s scaled by tokens per step",
            "classes": classes}
