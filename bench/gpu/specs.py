"""The configurations a throughput run measures, per model (order = run order)."""

from __future__ import annotations

from typing import Any

# (backend, gradient_checkpointing, batching); "library" batching lets Unsloth decide
# (padding-free on an H100; recorded as "auto" in the first runs), "unsloth" checkpointing
# offloads activations to host memory.
SMALL_MATRIX = [
    ("unsloth", "unsloth", "library"),        # Unsloth's defaults, as first measured
    ("unsloth", "off", "padding_free"),
    ("unsloth", "off", "padded"),
    ("unsloth", "on", "padding_free"),
    ("hf-qlora", "on", "padded"),
    ("hf-qlora", "off", "padded"),
    ("hf-lora", "off", "padded"),          # bf16 weights, no quantization
    ("unsloth", "on", "padded"),
    ("unsloth", "off", "packed"),          # several examples per row of max_seq_length
    ("unsloth", "off", "grouped"),         # padded, each batch of similar lengths
    ("hf-qlora", "off", "grouped"),
]
LARGE_MATRIX = [
    ("unsloth", "unsloth", "library"),
    ("unsloth", "on", "padding_free"),
    ("hf-qlora", "on", "padded"),
    ("hf-qlora", "off", "padded"),
    ("unsloth", "off", "padded"),
    ("unsloth", "on", "padded"),
    ("unsloth", "on", "packed"),
    ("unsloth", "off", "grouped"),
    ("hf-qlora", "off", "grouped"),
]
MODELS: dict[str, dict[str, Any]] = {
    "smollm2": {"label": "SmolLM2-135M (real weights)", "batch_size": 16, "steps": 40, "skip": 10,
                "matrix": SMALL_MATRIX, "timeout": 240},
    "llama-1b": {"label": "Llama-shaped 1B (random init)", "batch_size": 16, "steps": 30,
                 "skip": 10, "matrix": SMALL_MATRIX, "timeout": 300},
    "llama-8b": {"label": "Llama-shaped 8B (random init)", "batch_size": 8, "steps": 20,
                 "skip": 8, "matrix": LARGE_MATRIX, "timeout": 420},
}


def specs_for(model: str, model_dir: str, data: str, max_seq_length: int,
              only: set[str] | None = None, batch_size: int | None = None,
              steps: int | None = None) -> list[dict[str, Any]]:
    """The model's matrix; ``only`` keeps the entries named ``backend:checkpointing:batching``."""
    info = MODELS[model]
    return [
        {"model": model, "label": info["label"], "model_dir": model_dir, "data": data,
         "backend": backend, "gradient_checkpointing": gc, "batching": batching,
         "batch_size": batch_size or info["batch_size"], "steps": steps or info["steps"],
         "skip": min(info["skip"], (steps or info["steps"]) // 2),
         "max_seq_length": max_seq_length, "timeout": info["timeout"]}
        for backend, gc, batching in info["matrix"]
        if only is None or f"{backend}:{gc}:{batching}" in only
    ]
