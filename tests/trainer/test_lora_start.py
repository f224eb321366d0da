"""A run that continues a LoRA: which adapter ``init_adapter`` names, its shape winning over the
config's defaults, and the trained adapter starting from its tensors (tiny llama, CPU)."""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.ai.models import ADAPTERS_DIR
from querywright.server.errors import TrainingError
from querywright.trainer import lora_start
from querywright.trainer.train import run_training
from querywright.trainer.train_config import load_config

from ..support.tiny_llama import nonzero_lora
from .test_train import settings


def start_adapter(tiny_llama: Path, folder: Path) -> dict:
    """A peft adapter on the tiny llama (r=4, q/v only) with non-zero B, and its tensors."""
    from peft import get_peft_model_state_dict

    model = nonzero_lora(tiny_llama, seed=3)
    model.save_pretrained(folder)
    return {key: value.clone() for key, value in get_peft_model_state_dict(model).items()}


def test_auto_continues_the_builtin_sql_adapter_and_starts_other_bases_fresh() -> None:
    shipped = lora_start.starting_path(load_config(None, {"base": "builtin:smollm2-135m", "data": "d"}))
    assert shipped == ADAPTERS_DIR / "smollm2-135m-sql.gguf"
    for base in ("builtin:smollm2-135m-base", "/models/some-folder"):
        assert lora_start.starting_path(load_config(None, {"base": base, "data": "d"})) is None
    none = load_config(None, {"base": "builtin:smollm2-135m", "data": "d", "init_adapter": "none"})
    assert lora_start.starting_path(none) is None
    with pytest.raises(TrainingError, match="does not exist"):
        lora_start.starting_path(load_config(None, {"base": "b", "data": "d", "init_adapter": "/no/such"}))


def test_training_continues_from_the_starting_adapter(tiny_llama: Path, pairs_file: Path,
                                                      tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    before = start_adapter(tiny_llama, tmp_path / "start")
    out = tmp_path / "adapter"
    result = run_training(settings(tiny_llama, pairs_file, out, init_adapter=str(tmp_path / "start"),
                                   learning_rate=1e-6, max_steps=1))

    assert result.start_adapter == str(tmp_path / "start")
    after = load_file(str(out / "adapter_model.safetensors"))
    assert sorted(after) == sorted(before)  # the start's shape: r=4 on q and v only
    for key, tensor in before.items():  # one tiny step away from the start, not a fresh LoRA
        assert torch.allclose(after[key].float(), tensor, atol=1e-2), key
    b = next(key for key in before if "lora_B" in key)
    assert after[b].abs().sum() > 0  # a fresh LoRA's B would be zero


def test_a_config_asking_for_another_shape_is_refused(tiny_llama: Path, pairs_file: Path,
                                                      tmp_path: Path) -> None:
    start_adapter(tiny_llama, tmp_path / "start")
    with pytest.raises(TrainingError, match="lora_r=8 differs from the starting adapter"):
        run_training(settings(tiny_llama, pairs_file, tmp_path / "out",
                              init_adapter=str(tmp_path / "start"), lora_r=8))
    (tmp_path / "odd.bin").write_bytes(b"\0" * 8)
    with pytest.raises(TrainingError, match="neither a peft adapter folder nor a .gguf"):
        run_training(settings(tiny_llama, pairs_file, tmp_path / "out",
                              init_adapter=str(tmp_path / "odd.bin")))


def test_a_tune_that_never_beats_the_start_on_validation_keeps_the_start(tiny_llama: Path, tmp_path: Path) -> None:
    import json

    import torch
    from safetensors.torch import load_file

    train, validation = tmp_path / "train.jsonl", tmp_path / "validation.jsonl"
    train.write_text("".join(json.dumps({"prompt": f"-- question {i}", "completion": "SELECT 1;"}) + "\n"
                             for i in range(8)))
    validation.write_text("".join(json.dumps({"prompt": f"-- other {i}", "completion": "zebra quartz"}) + "\n"
                                  for i in range(4)))
    # the start knows the validation answers; drilling another answer can only forget them
    start = tmp_path / "start"
    run_training(settings(tiny_llama, validation, start, learning_rate=0.01, warmup_steps=0, max_steps=30))
    before = load_file(str(start / "adapter_model.safetensors"))
    out = tmp_path / "adapter"
    result = run_training(settings(tiny_llama, train, out, init_adapter=str(start),
                                   learning_rate=0.05, warmup_steps=0, max_steps=3, save_steps=1,
                                   eval_data=str(validation), early_stopping_patience=2))

    assert result.start_eval_loss is not None and result.eval_losses[0] == pytest.approx(result.start_eval_loss)
    assert min(result.eval_losses[1:]) > result.start_eval_loss
    assert result.best_step == 0
    after = load_file(str(out / "adapter_model.safetensors"))
    for key, tensor in before.items():  # exactly the starting adapter, not the best of worse steps
        assert torch.equal(after[key].float(), tensor.float()), key
