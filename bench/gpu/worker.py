"""Run one throughput configuration in its own process and write its figures as JSON.

    python bench/gpu/worker.py --spec '{"model": ..., "backend": ..., ...}' --result FILE

Unsloth patches transformers/peft/trl when imported, so it is imported first, and each
configuration gets a fresh process. Training goes through the product's own
``run_training``, so the figures are those of the settings ``querywright train`` uses.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def environment() -> dict[str, str]:
    import importlib.metadata as md

    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    env = {"gpu": gpu, "cuda": str(torch.version.cuda),
           "torch": torch.__version__, "python": sys.version.split()[0]}
    for name in ("transformers", "trl", "peft", "bitsandbytes", "unsloth", "unsloth_zoo"):
        try:
            env[name] = md.version(name)
        except md.PackageNotFoundError:
            env[name] = "-"
    return env


def compute_parameters(model_dir: Path) -> int:
    """Parameters that multiply every token: all but an untied input embedding (a lookup)."""
    from querywright.trainer.backends import count_parameters

    cfg = json.loads((model_dir / "config.json").read_text())
    cfg = cfg.get("text_config", cfg)
    lookup = 0 if cfg.get("tie_word_embeddings", False) else cfg["vocab_size"] * cfg["hidden_size"]
    return count_parameters(model_dir) - lookup


def lora_parameters(adapter: Path) -> int:
    """Trainable LoRA parameters of the saved adapter."""
    from safetensors import safe_open

    total = 0
    for file in adapter.glob("*.safetensors"):
        with safe_open(str(file), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118
                shape = handle.get_slice(key).get_shape()
                count = 1
                for dim in shape:
                    count *= dim
                total += count
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args()
    spec = json.loads(args.spec)
    started = time.monotonic()
    if spec["backend"] == "unsloth":
        import unsloth  # noqa: F401  (must precede transformers)
    import torch
    from querywright.trainer.backends import count_parameters
    from querywright.trainer.train import run_training
    from querywright.trainer.train_config import TrainConfig

    out = Path(tempfile.mkdtemp(prefix="qw-bench-")) / "adapter"
    config = TrainConfig(
        base=spec["model_dir"], data=spec["data"], out=str(out), backend=spec["backend"],
        gradient_checkpointing=spec["gradient_checkpointing"], batching=spec["batching"],
        batch_size=spec["batch_size"], max_seq_length=spec["max_seq_length"],
        max_steps=spec["steps"], save_steps=10**6, progress="none", seed=0, warmup_steps=2,
        lr_scheduler="constant_with_warmup",
    )
    result = run_training(config)
    skip = spec["skip"]
    record = {
        "spec": spec, "env": environment(), "backend_choice": result.backend,
        "steps": result.steps, "final_loss": result.final_loss,
        "steady_tokens_per_s": result.steady_tokens_per_second(skip),
        "steady_step_s": (sum(result.step_seconds[skip:]) / max(1, len(result.step_seconds[skip:]))),
        "first_steps_s": sum(result.step_seconds[:skip]),
        "peak_gib": (result.peak_memory_bytes or 0) / 1024**3,
        "step_seconds": result.step_seconds, "step_tokens": result.step_tokens,
        "adapter_bytes": sum(f.stat().st_size for f in out.glob("*.safetensors")),
        "params": count_parameters(Path(spec["model_dir"])),
        "compute_params": compute_parameters(Path(spec["model_dir"])),
        "lora_params": lora_parameters(out),
        "dynamo": {k: sum(v.values()) for k, v in torch._dynamo.utils.counters.items()},
        "process_s": time.monotonic() - started,
    }
    args.result.write_text(json.dumps(record, indent=1, default=str))
    os._exit(0)  # skip slow interpreter teardown of CUDA/compiled state


if __name__ == "__main__":
    main()
