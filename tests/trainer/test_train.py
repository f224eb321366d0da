"""Training mechanics on a tiny random-weight llama (CPU, hf-lora): completion-only masking,
a few steps through the CLI with JSON progress, resume from a checkpoint, and the failures a
user can cause (corrupt checkpoint, missing base model, existing output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from querywright.cli.main import main
from querywright.server.errors import TrainingError
from querywright.trainer import backends
from querywright.trainer.progress import Progress
from querywright.trainer.train import (
    IGNORE_INDEX,
    build_dataset,
    make_trainer,
    read_pairs,
    run_training,
    tokenize_pair,
    work_dir,
)
from querywright.trainer.train_config import TrainConfig, load_config

from .conftest import PAIRS, SCHEMA


def settings(tiny_llama: Path, data: Path, out: Path, **extra: object) -> TrainConfig:
    values = {"base": str(tiny_llama), "data": str(data), "out": str(out), "backend": "hf-lora",
              "batch_size": 2, "max_steps": 2, "save_steps": 2, "max_seq_length": 128,
              "progress": "none", "warmup_steps": 0, **extra}
    return load_config(None, values)


def load(config: TrainConfig, folder: Path) -> tuple[backends.BackendChoice, object, object]:
    choice = backends.choose_backend(config, 0, None)
    model, tokenizer = backends.load_model(choice, folder, config)
    return choice, model, tokenizer


def test_tokenize_pair_masks_exactly_the_prompt(tiny_llama: Path) -> None:
    config = settings(tiny_llama, Path("unused"), Path("unused"))
    _, _, tokenizer = load(config, tiny_llama)
    for prompt, completion in PAIRS:
        row = tokenize_pair(tokenizer, SCHEMA + prompt, completion, 128)
        assert row is not None
        prompt_len = len(tokenizer(SCHEMA + prompt)["input_ids"])
        assert row["labels"][:prompt_len] == [IGNORE_INDEX] * prompt_len
        trained = row["labels"][prompt_len:]
        assert IGNORE_INDEX not in trained
        assert trained[-1] == tokenizer.eos_token_id
        assert tokenizer.decode(trained[:-1]) == completion
    assert tokenize_pair(tokenizer, SCHEMA * 20, "SELECT 1;", 64) is None  # too long: dropped


def test_batches_train_only_on_sql_tokens(tiny_llama: Path, pairs_file: Path,
                                          tmp_path: Path) -> None:
    config = settings(tiny_llama, pairs_file, tmp_path / "out", batch_size=4)
    choice, model, tokenizer = load(config, tiny_llama)
    train_set, skipped = build_dataset(read_pairs(pairs_file), tokenizer, config.max_seq_length)
    assert skipped == 0
    expected = {tuple(row["input_ids"]): row["labels"] for row in train_set}
    trainer, _ = make_trainer(config, choice, model, tokenizer, train_set, None,
                              tmp_path / "checkpoints", Progress("train", None, mode="none"))
    seen = 0
    for batch in trainer.get_train_dataloader():  # one epoch: every example once
        for ids, labels, mask in zip(batch["input_ids"], batch["labels"],
                                     batch["attention_mask"], strict=True):
            real = mask.bool()
            assert tuple(ids[real].tolist()) in expected
            assert labels[real].tolist() == expected[tuple(ids[real].tolist())]
            assert (labels[~real] == IGNORE_INDEX).all()
            seen += 1
    assert seen == len(PAIRS)


def test_records_are_formatted_by_the_shared_prompt(tmp_path: Path) -> None:
    from querywright.server.ai.prompt import format_training_example

    record = {"id": "r1", "source": "harvest", "dialect": "sqlite", "schema": SCHEMA,
              "question": "How many customers?", "sql": "SELECT COUNT(*) FROM customers"}
    pair = {"prompt": "-- p\n", "completion": "SELECT 1;"}
    data = tmp_path / "mixed.jsonl"
    data.write_text(json.dumps(record) + "\n\n" + json.dumps(pair) + "\n")
    assert read_pairs(data) == [format_training_example(record), ("-- p\n", "SELECT 1;")]
    data.write_text('{"question": "q"}\n')
    with pytest.raises(TrainingError, match="neither a training record nor a pair"):
        read_pairs(data)


def test_cli_trains_and_reports_json_lines(tiny_llama: Path, pairs_file: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "adapter"
    code = main(["train", "--base", str(tiny_llama), "--data", str(pairs_file), "--out", str(out),
                 "--max-steps", "3", "--backend", "hf-lora", "--progress", "json",
                 "--set", "batch_size=2", "--set", "max_seq_length=128", "--set", "save_steps=2"])
    assert code == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    steps = [e for e in events if e["event"] == "progress"]
    assert [e["step"] for e in steps] == [1, 2, 3]
    assert all(e["stage"] == "train" and e["total"] == 3 and e["loss"] > 0 for e in steps)
    assert events[-1]["event"] == "done" and events[-1]["steps"] == 3
    assert {"adapter_model.safetensors", "adapter_config.json", "train_config.json",
            "train_result.json", "tokenizer.json"} <= {p.name for p in out.iterdir()}
    saved = json.loads((out / "train_config.json").read_text())
    assert saved["max_steps"] == 3 and saved["backend"] == "hf-lora" and saved["lora_r"] == 16
    from safetensors import safe_open

    with safe_open(str(out / "adapter_model.safetensors"), framework="pt") as handle:
        assert {str(handle.get_slice(k).get_dtype()) for k in handle.keys()} == {"BF16"}  # noqa: SIM118
    assert not work_dir(out).exists()  # checkpoints removed after success


def test_resume_continues_from_the_latest_checkpoint(tiny_llama: Path, pairs_file: Path,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    first = run_training(settings(tiny_llama, pairs_file, out, keep_checkpoints=True))
    assert first.steps == 2 and (work_dir(out) / "checkpoints" / "checkpoint-2").is_dir()
    second = run_training(settings(tiny_llama, pairs_file, out, max_steps=4, resume="latest",
                                   overwrite=True))
    assert second.steps == 4
    assert len(second.step_seconds) == 2  # only steps 3 and 4 ran
    assert json.loads((out / "train_result.json").read_text())["steps"] == 4


def test_corrupt_checkpoint_is_named_and_output_untouched(tiny_llama: Path, pairs_file: Path,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    run_training(settings(tiny_llama, pairs_file, out, keep_checkpoints=True))
    before = (out / "adapter_model.safetensors").read_bytes()
    weights = work_dir(out) / "checkpoints" / "checkpoint-2" / "adapter_model.safetensors"
    weights.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(TrainingError, match="checkpoint-2 is corrupt"):
        run_training(settings(tiny_llama, pairs_file, out, max_steps=4, resume="latest",
                              overwrite=True))
    assert (out / "adapter_model.safetensors").read_bytes() == before


def test_resume_without_checkpoint_and_missing_inputs(tiny_llama: Path, pairs_file: Path,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    with pytest.raises(TrainingError, match="no checkpoint"):
        run_training(settings(tiny_llama, pairs_file, out, resume="latest"))
    with pytest.raises(TrainingError, match="does not exist"):
        run_training(settings(tmp_path / "no-such-model", pairs_file, out))
    with pytest.raises(TrainingError, match="training data .* does not exist"):
        run_training(settings(tiny_llama, tmp_path / "none.jsonl", out))
    out.mkdir()
    with pytest.raises(TrainingError, match="exists; pass overwrite=true"):
        run_training(settings(tiny_llama, pairs_file, out))
    assert not any(out.iterdir())


def test_early_stopping_keeps_the_best_evaluation(tiny_llama: Path, pairs_file: Path,
                                                  tmp_path: Path) -> None:
    # a learning rate too small to move the loss: no evaluation after the first is better,
    # so training stops after `patience` more of them and keeps the first one's adapter
    result = run_training(settings(tiny_llama, pairs_file, tmp_path / "adapter", max_steps=10,
                                   save_steps=1, eval_data=str(pairs_file), learning_rate=1e-12,
                                   early_stopping_patience=2))
    assert result.steps == 3 and result.best_step == 1
    assert len(result.eval_losses) == 3
    unbounded = run_training(settings(tiny_llama, pairs_file, tmp_path / "all", max_steps=4,
                                      save_steps=1, eval_data=str(pairs_file), learning_rate=1e-12,
                                      early_stopping_patience=0))
    assert unbounded.steps == 4 and unbounded.best_step is None


def test_grouped_batches_carry_less_padding_and_see_every_example(tiny_llama: Path,
                                                                  tmp_path: Path) -> None:
    # lengths vary as prompts do; enough examples for several of the sampler's mega-batches
    pairs = [(f"-- question {i}: " + "word " * (i * 7 % 19), f"SELECT {i};") for i in range(256)]
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps({"prompt": p, "completion": c}) + "\n" for p, c in pairs))

    def epoch(batching: str) -> tuple[int, list[tuple[int, ...]]]:
        config = settings(tiny_llama, data, tmp_path / batching, batch_size=4, batching=batching)
        choice, model, tokenizer = load(config, tiny_llama)
        train_set, _ = build_dataset(read_pairs(data), tokenizer, config.max_seq_length)
        trainer, _ = make_trainer(config, choice, model, tokenizer, train_set, None,
                                  tmp_path / f"{batching}-checkpoints", Progress("train", None, mode="none"))
        padding, seen = 0, []
        for batch in trainer.get_train_dataloader():
            padding += int((batch["attention_mask"] == 0).sum())
            seen += [tuple(ids[mask.bool()].tolist()) for ids, mask in
                     zip(batch["input_ids"], batch["attention_mask"], strict=True)]
        assert len(seen) == len(train_set) > 16
        return padding, seen

    random_padding, random_seen = epoch("padded")
    grouped_padding, grouped_seen = epoch("grouped")
    assert sorted(grouped_seen) == sorted(random_seen)  # every example once, either way
    assert grouped_padding < random_padding / 2, (grouped_padding, random_padding)
