"""The typed, defaulted configuration of one training run.

A run's configuration comes from three layers, later ones winning: the defaults below, a TOML
or JSON file (`querywright train --config FILE`; a `[train]` table or a top-level table), and
``key=value`` overrides from the command line. The result is validated once and saved, resolved,
beside the output as ``train_config.json`` so a run can be repeated exactly.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..server.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BACKENDS = ("auto", "unsloth", "hf-qlora", "hf-lora")
GRADIENT_CHECKPOINTING = ("auto", "unsloth", "on", "off")
BATCHING = ("auto", "padded", "grouped", "padding_free", "packed", "library")
DTYPES = ("auto", "bf16", "fp16", "fp32")
PROGRESS_MODES = ("auto", "bar", "json", "none")
SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup")
CONFIG_FILE_NAME = "train_config.json"
AUTO_BATCH = 0  # batch_size = "auto"


@dataclass
class TrainConfig:
    """Everything one run needs; every field has a default except the base model and data."""

    # what to train
    base: str = ""
    """Base model: a Hugging Face folder, a `.gguf` file, or a reference like `builtin:smollm2-135m`."""
    data: str = ""
    """Training split: JSON lines of training records (schemas/training-record.schema.json) or of
    already formatted `{"prompt", "completion"}` pairs."""
    eval_data: str | None = None
    init_adapter: str = "auto"
    """The LoRA to continue from: `auto` (the adapter the base reference is served with:
    `builtin:smollm2-135m` continues its shipped SQL adapter; other bases start fresh), `none`
    (a fresh LoRA), or a peft adapter folder or GGUF LoRA. Its rank, alpha and modules are kept."""
    out: str = "artifacts/adapter"
    """Folder that receives the adapter; written whole at the end (temp folder, then rename)."""
    overwrite: bool = False

    # how
    backend: str = "auto"
    gradient_checkpointing: str = "auto"
    batching: str = "auto"
    """padded (dynamic padding per batch), padding_free (sequences concatenated, no pad tokens,
    boundaries kept), packed (several examples per row of max_seq_length), library (Unsloth's
    own default), auto (from the measured table; padded when nothing was measured)."""
    dtype: str = "auto"
    load_in_4bit: bool | None = None
    """None: 4-bit for the QLoRA backends, full weights for hf-lora."""

    # LoRA
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    target_modules: list[str] = field(
        default_factory=lambda: [
            "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
        ]
    )

    # optimisation
    max_seq_length: int = 1024
    batch_size: int = 8
    """Examples per optimizer step; `auto` (stored as 0): sized to the GPU's free memory from the
    measured table, and to the data (at least 32 steps per epoch)."""
    gradient_accumulation_steps: int = 1
    learning_rate: float = 2e-4
    lr_scheduler: str = "cosine"
    warmup_steps: int = 5
    weight_decay: float = 0.0
    epochs: float = 1.0
    max_steps: int | None = None
    """Stop after this many optimizer steps (overrides epochs)."""
    seed: int = 42

    # checkpoints and reporting
    save_steps: int = 100
    """Checkpoint (and, with eval_data, evaluate) every this many steps."""
    early_stopping_patience: int = 3
    """With eval_data: stop after this many evaluations in a row without a lower validation loss,
    and keep the adapter of the best one; 0: train every step and keep the last."""
    save_total_limit: int = 2
    resume: str | None = None
    """None: start fresh; "latest": the newest checkpoint of this output; or a checkpoint folder."""
    keep_checkpoints: bool = False
    progress: str = "auto"
    logging_steps: int = 1

    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the first field that is out of range; return self."""
        problems: list[str] = []
        if not self.base:
            problems.append("base: give a base model (folder, .gguf file or builtin:NAME)")
        if not self.data:
            problems.append("data: give a training file (JSON lines)")
        for name, allowed in (
            ("backend", BACKENDS),
            ("gradient_checkpointing", GRADIENT_CHECKPOINTING),
            ("batching", BATCHING),
            ("dtype", DTYPES),
            ("progress", PROGRESS_MODES),
            ("lr_scheduler", SCHEDULERS),
        ):
            value = getattr(self, name)
            if value not in allowed:
                problems.append(f"{name}: {value!r} is not one of {', '.join(allowed)}")
        if self.batch_size < 0:
            problems.append(f"batch_size: must be at least 1 (or auto), got {self.batch_size}")
        for name in ("lora_r", "lora_alpha", "max_seq_length",
                     "gradient_accumulation_steps", "save_steps", "logging_steps"):
            if getattr(self, name) < 1:
                problems.append(f"{name}: must be at least 1, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            problems.append(f"max_steps: must be at least 1, got {self.max_steps}")
        if not 0.0 <= self.lora_dropout < 1.0:
            problems.append(f"lora_dropout: must be in [0, 1), got {self.lora_dropout}")
        if self.learning_rate <= 0:
            problems.append(f"learning_rate: must be positive, got {self.learning_rate}")
        if self.epochs <= 0:
            problems.append(f"epochs: must be positive, got {self.epochs}")
        if self.early_stopping_patience < 0:
            problems.append(f"early_stopping_patience: must not be negative, got {self.early_stopping_patience}")
        if self.warmup_steps < 0 or self.save_total_limit < 0:
            problems.append("warmup_steps and save_total_limit: must not be negative")
        if not self.target_modules:
            problems.append("target_modules: name at least one module")
        if self.backend == "hf-lora" and self.load_in_4bit:
            problems.append("load_in_4bit: hf-lora trains full-precision weights; use hf-qlora")
        if self.gradient_checkpointing == "unsloth" and self.backend not in ("auto", "unsloth"):
            problems.append("gradient_checkpointing: 'unsloth' needs backend unsloth")
        if problems:
            raise ConfigError("invalid training config: " + "; ".join(problems))
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, folder: Path) -> Path:
        """Write the resolved config as ``train_config.json`` in ``folder``."""
        path = Path(folder) / CONFIG_FILE_NAME
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        return path


_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}


def _coerce(name: str, value: Any) -> Any:
    """Convert a file or command-line value to the type of field ``name``."""
    if name not in _FIELDS:
        close = [f for f in _FIELDS if f.startswith(name[:3])]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(f"unknown training setting {name!r}{hint}")
    kind = str(_FIELDS[name].type)
    optional = "None" in kind
    if value is None or (optional and isinstance(value, str) and value.lower() in ("none", "null")):
        if optional:
            return None
        raise ConfigError(f"{name}: may not be empty")
    try:
        if kind.startswith("bool"):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind.startswith("int"):
            if name == "batch_size" and str(value).strip().lower() == "auto":
                return AUTO_BATCH
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if kind.startswith("float"):
            return float(value)
        if kind.startswith("list"):
            if isinstance(value, str):
                return [part.strip() for part in value.split(",") if part.strip()]
            return [str(part) for part in value]
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: cannot read {value!r} as {kind}") from exc


def _read_file(path: Path) -> Mapping[str, Any]:
    if not path.is_file():
        raise ConfigError(f"training config {path} does not exist")
    text = path.read_text()
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"training config {path} is not valid: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"training config {path}: expected a table of settings")
    table = data.get("train", data)
    if not isinstance(table, dict):
        raise ConfigError(f"training config {path}: [train] must be a table")
    return table


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """Turn ``["lora_r=8", "base=x"]`` into a dict; values stay strings until coerced."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {pair!r}: expected key=value")
        result[key.strip().replace("-", "_")] = value.strip()
    return result


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | Iterable[str] = (),
) -> TrainConfig:
    """Defaults, then the file at ``path`` (TOML or JSON), then ``overrides``; validated."""
    values: dict[str, Any] = {}
    if path is not None:
        values.update({k: _coerce(k, v) for k, v in _read_file(Path(path)).items()})
    if not isinstance(overrides, Mapping):
        overrides = parse_overrides(overrides)
    values.update({k: _coerce(k, v) for k, v in overrides.items()})
    return TrainConfig(**values).validate()
