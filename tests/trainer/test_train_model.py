"""A few LoRA steps on the real SmolLM2-135M weights (the built-in GGUF, dequantized through
transformers), on the CPU: the loss is finite and the adapter loads back onto the base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from querywright.server.ai.models import SMOLLM2_135M, cached_path, pull_model
from querywright.server.errors import ModelError
from querywright.trainer.train import run_training
from querywright.trainer.train_config import load_config


@pytest.fixture(scope="module")
def smollm2_gguf() -> Path:
    """The real SmolLM2-135M GGUF (as `querywright models pull builtin` fetches it)."""
    try:
        return pull_model(SMOLLM2_135M)
    except ModelError as exc:
        pytest.fail(f"the SmolLM2 weights could not be pulled into "
                    f"{cached_path(SMOLLM2_135M).parent}: {exc}", pytrace=False)


@pytest.mark.model
def test_two_steps_on_smollm2(smollm2_gguf: Path, pairs_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    config = load_config(None, {"base": str(smollm2_gguf), "data": str(pairs_file),
                                "out": str(out), "backend": "auto", "max_steps": 2,
                                "batch_size": 2, "max_seq_length": 256, "progress": "none",
                                "target_modules": "q_proj,v_proj", "lora_r": 8})
    result = run_training(config)
    assert result.backend["backend"] == "hf-lora" and result.steps == 2
    assert all(0 < loss < 20 for loss in result.losses)
    adapter = json.loads((out / "adapter_config.json").read_text())
    assert adapter["r"] == 8 and set(adapter["target_modules"]) == {"q_proj", "v_proj"}
    assert (out / "adapter_model.safetensors").stat().st_size < 16 * 1024**2
