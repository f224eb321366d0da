"""Which LoRA a training run continues from, and putting its tensors into the fresh peft model.

``init_adapter`` (training config):

- ``auto`` (the default): the adapter the base reference is served with. ``builtin:smollm2-135m``
  is the bare weights plus the shipped SQL adapter, so tuning it continues that adapter (a repo
  tune starts from the general tune); ``builtin:smollm2-135m-base``, a folder or a ``.gguf``
  model start a fresh LoRA.
- ``none``: a fresh LoRA whatever the base.
- a path: a peft adapter folder (``adapter_config.json`` + ``adapter_model.safetensors``) or a
  GGUF LoRA (read back by :mod:`.lora_gguf`).

A starting adapter fixes the LoRA's shape (rank, alpha, target modules): :func:`shaped_config`
takes them from it, and refuses a config that asks for another shape explicitly.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..server.errors import ModelError, TrainingError
from .lora_gguf import LoraShape, read_gguf_lora
from .train_config import TrainConfig


@dataclass(frozen=True)
class StartAdapter:
    """A LoRA to continue from: where it came from, its shape and its peft tensors."""

    source: Path
    shape: LoraShape
    state: dict[str, Any]


def starting_path(config: TrainConfig) -> Path | None:
    """The adapter ``config.init_adapter`` names (None: a fresh LoRA)."""
    choice = config.init_adapter.strip()
    if choice == "none":
        return None
    if choice == "auto":
        if not config.base.startswith("builtin:"):
            return None
        from ..server.ai.models import adapter_path, builtin_model

        try:
            return adapter_path(builtin_model(config.base.split(":", 1)[1]))
        except ModelError as exc:
            raise TrainingError(f"init_adapter=auto: {exc}") from exc
    path = Path(choice).expanduser()
    if not path.exists():
        raise TrainingError(f"init_adapter: {path} does not exist")
    return path


def read_start(path: Path, model_dir: Path) -> StartAdapter:
    """The adapter at ``path`` (peft folder or GGUF LoRA) for the base in ``model_dir``."""
    if path.is_dir():
        return _read_peft(path)
    if path.suffix != ".gguf":
        raise TrainingError(f"init_adapter: {path} is neither a peft adapter folder nor a .gguf LoRA")
    try:
        hparams = json.loads((model_dir / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot read the base's config.json in {model_dir}: {exc}") from exc
    hparams = hparams.get("text_config", hparams)
    heads = int(hparams["num_attention_heads"])
    state, shape = read_gguf_lora(path, heads, int(hparams.get("num_key_value_heads", heads)))
    return StartAdapter(path, shape, state)


def _read_peft(folder: Path) -> StartAdapter:
    from safetensors.torch import load_file

    config_file, weights = folder / "adapter_config.json", folder / "adapter_model.safetensors"
    if not config_file.is_file() or not weights.is_file():
        raise TrainingError(f"init_adapter: {folder} holds no adapter_config.json and "
                            "adapter_model.safetensors")
    try:
        settings = json.loads(config_file.read_text())
        state = {key: value.float() for key, value in load_file(str(weights)).items()}
    except (OSError, ValueError) as exc:
        raise TrainingError(f"init_adapter: cannot read {folder}: {exc}") from exc
    targets = settings.get("target_modules") or []
    shape = LoraShape(r=int(settings["r"]), alpha=float(settings["lora_alpha"]),
                      target_modules=tuple(sorted(targets) if isinstance(targets, list) else [targets]))
    return StartAdapter(folder, shape, state)


def shaped_config(config: TrainConfig, start: StartAdapter) -> TrainConfig:
    """``config`` with the starting adapter's LoRA shape; TrainingError when the config asked
    for a different one on purpose (a value that is not the default)."""
    defaults = TrainConfig()
    wanted: dict[str, Any] = {"lora_r": start.shape.r, "lora_alpha": start.shape.alpha,
              "target_modules": list(start.shape.target_modules)}
    for name, value in wanted.items():
        mine = getattr(config, name)
        same = sorted(mine) == sorted(value) if name == "target_modules" else mine == value
        if not same and mine != getattr(defaults, name):
            raise TrainingError(f"{name}={mine} differs from the starting adapter's ({value}, "
                                f"{start.source}); leave {name} unset, or set init_adapter=none "
                                "to train a fresh LoRA")
    if not float(start.shape.alpha).is_integer():
        raise TrainingError(f"the starting adapter {start.source} has lora_alpha={start.shape.alpha}; "
                            "only whole-number alphas can be continued (set init_adapter=none)")
    return dataclasses.replace(config, lora_r=start.shape.r, lora_alpha=int(start.shape.alpha),
                               target_modules=list(start.shape.target_modules))


def load_start(model: Any, start: StartAdapter) -> None:
    """Copy the starting adapter's tensors into ``model``'s (fresh) LoRA matrices."""
    from peft import set_peft_model_state_dict

    result = set_peft_model_state_dict(model, start.state)
    unexpected = [key for key in result.unexpected_keys if "lora_" in key]
    missing = [key for key in result.missing_keys if "lora_" in key]
    if unexpected or missing:
        example = (unexpected or missing)[0]
        raise TrainingError(f"the starting adapter {start.source} does not fit this base "
                            f"({len(unexpected)} unexpected and {len(missing)} missing LoRA "
                            f"tensors, e.g. {example})")
