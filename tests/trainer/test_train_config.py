"""The training config: defaults < file (TOML or JSON) < overrides, validation, saved resolved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from querywright.server.errors import ConfigError
from querywright.trainer.train_config import TrainConfig, load_config, parse_overrides


def test_file_then_overrides_win_over_defaults(tmp_path: Path) -> None:
    toml = tmp_path / "train.toml"
    toml.write_text('[train]\nbase = "m.gguf"\ndata = "d.jsonl"\nlora_r = 8\n'
                    'target_modules = ["q_proj", "v_proj"]\nmax_steps = 10\n')
    config = load_config(toml, ["lora_r=4", "learning-rate=1e-3", "max_steps=none",
                                "load_in_4bit=false", "target_modules=q_proj,o_proj"])
    assert (config.base, config.data, config.lora_r, config.learning_rate) == \
        ("m.gguf", "d.jsonl", 4, 1e-3)
    assert config.max_steps is None and config.load_in_4bit is False
    assert config.target_modules == ["q_proj", "o_proj"]
    assert config.batch_size == TrainConfig().batch_size  # untouched default
    as_json = tmp_path / "train.json"
    as_json.write_text(json.dumps({"base": "b", "data": "d", "epochs": 2}))
    assert load_config(as_json).epochs == 2.0


def test_resolved_config_round_trips(tmp_path: Path) -> None:
    config = load_config(None, {"base": "b", "data": "d", "seed": 7, "resume": "latest"})
    path = config.save(tmp_path)
    assert path.name == "train_config.json"
    assert load_config(path) == config


@pytest.mark.parametrize(("overrides", "message"), [
    ({"data": "d"}, "base: give a base model"),
    ({"base": "b", "data": "d", "backend": "tpu"}, "backend: 'tpu' is not one of"),
    ({"base": "b", "data": "d", "lora_r": 0}, "lora_r: must be at least 1"),
    ({"base": "b", "data": "d", "lora_dropout": 1.5}, "lora_dropout"),
    ({"base": "b", "data": "d", "max_steps": 0}, "max_steps: must be at least 1"),
    ({"base": "b", "data": "d", "backend": "hf-lora", "load_in_4bit": True}, "use hf-qlora"),
    ({"base": "b", "data": "d", "backend": "hf-qlora", "gradient_checkpointing": "unsloth"},
     "needs backend unsloth"),
    ({"base": "b", "data": "d", "lora_rank": 8}, "unknown training setting 'lora_rank'"),
    ({"base": "b", "data": "d", "batch_size": "many"}, "batch_size: cannot read 'many'"),
    ({"base": "b", "data": "d", "overwrite": "perhaps"}, "overwrite: cannot read"),
])
def test_invalid_settings_name_the_field(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(None, overrides)


def test_bad_files_and_pairs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[train\n")
    with pytest.raises(ConfigError, match="is not valid"):
        load_config(broken)
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_overrides(["lora_r"])
