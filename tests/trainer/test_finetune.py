"""The finetune pipeline's decisions and its bad-input paths (no training here)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from querywright.cli.main import main
from querywright.server.errors import TrainingError
from querywright.trainer import finetune
from querywright.trainer.eval import ExampleResult, ModelResult
from querywright.trainer.finetune import FinetuneOptions

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "shop"))


def scored(name: str, right: str, error: str | None = None) -> ModelResult:
    """A model's result over examples e0, e1, ...: ``right`` says which were right ("1"/"0")."""
    return ModelResult(name, [ExampleResult(f"e{i}", "q", "SELECT 1", "SELECT 1", True, False,
                                            flag == "1", [], 1.0) for i, flag in enumerate(right)],
                       error=error)


@pytest.mark.parametrize(
    ("tuned", "current", "better", "wins", "losses"),
    [
        ("1111000000", "0000000000", True, 4, 0),  # 4 of 4 discordant: p = 0.06
        ("1110000000", "0000000000", False, 3, 0),  # 3 of 3: p = 0.125, could be luck
        ("0100000000", "0000000000", False, 1, 0),  # one lucky example never switches
        ("1111110000", "1100001100", False, 4, 2),  # more right overall, not clearly
        ("1111111100", "0000000011", True, 8, 2),  # p = 0.055
        ("0000000000", "1111000000", False, 0, 4),
    ],
)
def test_verdict_is_a_paired_sign_test(tuned: str, current: str, better: bool, wins: int,
                                       losses: int) -> None:
    judged = finetune.verdict(scored("new", tuned), scored("current", current))
    assert (judged.better, judged.wins, judged.losses) == (better, wins, losses)
    assert f"{wins} held-out examples right only with the new model" in judged.why


def test_verdict_when_a_model_cannot_be_scored() -> None:
    down = scored("current", "", error="no Ollama server")
    assert finetune.verdict(scored("new", "0"), down).better  # the current one is down
    assert not finetune.verdict(scored("new", "", error="cannot load"), scored("current", "0")).better


def test_cpu_defaults_yield_to_the_config_file_and_flags(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    config_file = tmp_path / "train.toml"
    config_file.write_text("[train]\nbatch_size = 2\nlora_r = 8\n")
    options = FinetuneOptions(workspace=tmp_path, config=config_file)
    config = finetune.train_settings(options, data, None, tmp_path / "adapter", cuda=False)
    assert config.backend == "hf-lora" and config.max_steps == finetune.CPU_DEFAULTS["max_steps"]
    assert config.batch_size == 2 and config.lora_r == 8  # the file wins over CPU defaults
    assert config.base == finetune.DEFAULT_BASE and config.data == str(data)
    options.max_steps, options.resume = 3, True
    config = finetune.train_settings(options, data, None, tmp_path / "adapter", cuda=False)
    assert config.max_steps == 3 and config.resume == "latest"
    gpu = finetune.train_settings(FinetuneOptions(workspace=tmp_path), data, None,
                                  tmp_path / "adapter", cuda=True)
    assert gpu.backend == "auto" and gpu.max_steps is None  # a GPU trains whole epochs
    assert gpu.batch_size == 0 and gpu.epochs == finetune.GPU_DEFAULTS["epochs"]  # batch: auto


def test_missing_workspace_and_base_fail_before_any_work(shop: Path, tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="is not a folder"):
        finetune.run_finetune(FinetuneOptions(workspace=tmp_path / "nope", out=tmp_path / "run"))
    with pytest.raises(TrainingError, match="base model /no/such/model does not exist"):
        finetune.run_finetune(FinetuneOptions(workspace=shop, base="/no/such/model",
                                              out=tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_resume_without_an_interrupted_run(shop: Path, tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="--resume: no interrupted run"):
        finetune.run_finetune(FinetuneOptions(workspace=shop, out=tmp_path / "run", resume=True))


def test_interrupted_message_points_at_the_checkpoints(shop: Path, tmp_path: Path) -> None:
    options = FinetuneOptions(workspace=shop, out=tmp_path / "run")
    assert "nothing was kept" in finetune.interrupted_message(options)
    (tmp_path / "run" / ".adapter.partial" / "checkpoints" / "checkpoint-4").mkdir(parents=True)
    assert "--resume" in finetune.interrupted_message(options)


def test_cli_json_mode_ends_with_an_error_event(shop: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["finetune", "--workspace", str(shop), "--base", "/no/such/model",
                 "--out", str(tmp_path / "run"), "--progress", "json"])
    assert code == 2
    captured = capsys.readouterr()
    last = json.loads(captured.out.splitlines()[-1])
    assert last == {"event": "error", "stage": "finetune",
                    "message": "base model /no/such/model does not exist"}
    assert "base model /no/such/model does not exist" in captured.err


@pytest.mark.model
def test_corrupt_checkpoint_is_named_and_nothing_is_exported(shop: Path, tmp_path: Path) -> None:
    from querywright.server.ai.models import SMOLLM2_135M, pull_model

    pull_model(SMOLLM2_135M)
    checkpoint = tmp_path / "run" / ".adapter.partial" / "checkpoints" / "checkpoint-2"
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer_state.json").write_text("{truncated")
    (checkpoint / "adapter_model.safetensors").write_bytes(b"\0" * 10)
    with pytest.raises(TrainingError, match="checkpoint-2 is corrupt"):
        finetune.run_finetune(FinetuneOptions(workspace=shop, out=tmp_path / "run", resume=True,
                                              max_steps=1, synthetic=20, ollama="off",
                                              models_dir=tmp_path / "registry"))
    assert not (tmp_path / "run" / "models").exists()
    assert not (tmp_path / "registry").exists()


@pytest.mark.model
@pytest.mark.slow
def test_sigterm_interrupts_cleanly(shop: Path, tmp_path: Path) -> None:
    """What the editor's cancel does: SIGTERM while training, a JSON error event, exit 130."""
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "querywright.cli.main", "finetune", "--workspace", str(shop),
         "--out", str(tmp_path / "run"), "--max-steps", "50", "--synthetic", "20",
         "--ollama", "off", "--progress", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if json.loads(line).get("stage") == "train":  # training has begun
            process.send_signal(signal.SIGTERM)
            break
    rest = process.stdout.read().splitlines()
    assert process.wait(timeout=120) == 130
    last = json.loads(rest[-1])
    assert last["event"] == "error" and last["interrupted"] is True
    assert "interrupted" in last["message"]
    assert not (tmp_path / "run" / "models").exists()
