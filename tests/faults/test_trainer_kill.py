"""``querywright train`` killed with SIGKILL mid-run resumes from its checkpoints; a kill
while a checkpoint is being saved costs only that checkpoint.

The run is the real command in a subprocess (CPU, the tiny random-weight llama of
``tests/trainer``, a checkpoint after every step, JSON progress on stdout). The kill comes
while training is under way, after at least two checkpoints: the output folder must not
exist, and ``--resume`` must continue after the newest complete checkpoint (its first
progress step is that checkpoint's step + 1, and it runs exactly the missing steps).

``querywright export`` killed (its whole process group, llama.cpp's converter included)
while converting and just before the manifest: the registry lists only finished exports
(valid manifest, every file there with its checksum), a model not listed is not served,
and the same export run again succeeds over the leftovers (a finished but unregistered
export, killed between its manifest and its registry entry, is not listed). Runs that only
set the scene or check the outcome run in this process, to spare interpreter start-ups.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
from pathlib import Path

import pytest
from querywright.trainer.checkpoints import checkpoint_folders
from querywright.trainer.train import work_dir

from .conftest import CLI, cli_env, run_cli

STEPS = 10


def train_args(tiny_llama: Path, pairs_file: Path, out: Path, steps: int = STEPS) -> list[str]:
    return ["train", "--base", str(tiny_llama), "--data", str(pairs_file), "--out", str(out),
            "--max-steps", str(steps), "--backend", "hf-lora", "--progress", "json",
            "--set", "batch_size=2", "--set", "max_seq_length=128", "--set", "save_steps=1",
            "--set", "save_total_limit=3", "--set", "warmup_steps=0"]


def in_process(tiny_llama: Path, pairs_file: Path, out: Path, steps: int, **extra: object):  # type: ignore[no-untyped-def]
    """The same run as ``train_args`` says, in this process (no interpreter start-up)."""
    from querywright.trainer.train import run_training
    from querywright.trainer.train_config import load_config

    values = {"base": str(tiny_llama), "data": str(pairs_file), "out": str(out),
              "max_steps": steps, "backend": "hf-lora", "progress": "none", "batch_size": 2,
              "max_seq_length": 128, "save_steps": 1, "save_total_limit": 3,
              "warmup_steps": 0, **extra}
    return run_training(load_config(None, values))


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def steps_of(stdout: str) -> list[int]:
    return [e["step"] for e in events(stdout) if e["event"] == "progress"]


def train_until_killed(args: list[str], qw_home: Path, kill_at_step: int) -> int:
    """Start the run, SIGKILL it once progress reports ``kill_at_step``; the step seen."""
    process = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env=cli_env(qw_home), start_new_session=True)
    seen = 0
    try:
        assert process.stdout is not None
        for line in process.stdout:
            event = json.loads(line)
            if event["event"] == "progress":
                seen = event["step"]
                if seen >= kill_at_step:
                    os.killpg(process.pid, signal.SIGKILL)
                    break
            assert event["event"] != "done", "the run ended before it could be killed"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    return seen


def test_killed_training_resumes_from_its_checkpoint(tiny_llama: Path, pairs_file: Path,
                                                     tmp_path: Path, qw_home: Path) -> None:
    out = tmp_path / "adapter"
    args = train_args(tiny_llama, pairs_file, out)
    seen = train_until_killed(args, qw_home, kill_at_step=3)
    assert not out.exists()  # nothing half-written where the adapter goes
    kept = checkpoint_folders(work_dir(out) / "checkpoints")
    assert kept, "the checkpoints written before the kill are kept"
    newest = max(int(p.name.split("-")[1]) for p in kept)
    assert 2 <= newest <= STEPS - 1 and newest >= seen - 1

    done = run_cli([*args, "--resume"], qw_home, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    steps = steps_of(done.stdout)
    complete = newest if (work_dir(out) / "checkpoints").exists() else None
    assert steps[0] > 1, "the resumed run started again from step 1"
    assert steps == list(range(steps[0], STEPS + 1))
    assert steps[0] - 1 in range(2, newest + 1), (steps[0], newest, complete)
    result = json.loads((out / "train_result.json").read_text())
    assert result["steps"] == STEPS and len(result["step_seconds"]) == STEPS - steps[0] + 1
    assert not work_dir(out).exists()  # checkpoints removed after success


def test_a_checkpoint_cut_by_a_kill_is_skipped(tiny_llama: Path, pairs_file: Path, tmp_path: Path,
                                               qw_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A kill while the trainer saves leaves a checkpoint folder without its
    ``trainer_state.json`` (written last). Made here by the kill, then by removing that file
    from the newest checkpoint as such a kill leaves it: resume skips it, with a warning."""
    out = tmp_path / "adapter"
    args = train_args(tiny_llama, pairs_file, out)
    train_until_killed(args, qw_home, kill_at_step=3)
    checkpoints = work_dir(out) / "checkpoints"
    *older, newest = checkpoint_folders(checkpoints)
    assert older, "two checkpoints are needed"
    (newest / "trainer_state.json").unlink(missing_ok=True)  # the kill may have done it

    with caplog.at_level(logging.WARNING, logger="querywright.trainer.checkpoints"):
        result = in_process(tiny_llama, pairs_file, out, STEPS, resume="latest")
    resumed_from = int(older[-1].name.split("-")[1])
    assert result.steps == STEPS and len(result.step_seconds) == STEPS - resumed_from
    assert f"skipping the incomplete checkpoint {newest.name}" in caplog.text


# --- killed mid-export ------------------------------------------------------------------------

EXPORT_STAGES = {2: "converting to GGUF", 5: "writing the manifest"}


def export_until_killed(adapter: Path, qw_home: Path, kill_at_step: int) -> bool:
    """Start ``querywright export``, SIGKILL its process group (the converter too) once
    progress reports ``kill_at_step``; whether it was killed before it finished."""
    args = ["export", "--adapter", str(adapter), "--name", "tiny-sql", "--ollama", "off",
            "--progress", "json"]
    process = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env=cli_env(qw_home), start_new_session=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            event = json.loads(line)
            if event["event"] == "progress" and event["step"] >= kill_at_step:
                assert EXPORT_STAGES[kill_at_step] in event["message"]
                os.killpg(process.pid, signal.SIGKILL)
                break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
    return process.returncode == -signal.SIGKILL


def assert_only_complete_models(qw_home: Path) -> list[str]:
    """Every model the registry lists (what ``querywright models list`` and the editor's
    model picker show, and the only ones served by name) is a finished export: a manifest
    whose files are all there with their checksums; no stray GGUF in the model cache. The
    names."""
    from querywright.server.ai.models import gguf_files, sha256_file
    from querywright.server.ai.registry import list_registered

    assert gguf_files(qw_home / "models") == []
    shown = run_cli(["models", "list", "--json"], qw_home)  # what the user is shown
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    listing = json.loads(shown.stdout)
    assert listing["cached"] == []
    assert [m["name"] for m in listing["registered"]] == [m.name for m in list_registered(qw_home / "models")]
    for entry in list_registered(qw_home / "models"):
        manifest = json.loads(Path(entry.manifest).read_text())
        folder = Path(entry.manifest).parent
        for item in manifest["files"]:
            assert sha256_file(folder / item["path"]) == item["sha256"], item
        assert Path(entry.gguf).read_bytes()[:4] == b"GGUF"
    return [entry.name for entry in list_registered(qw_home / "models")]


@pytest.mark.parametrize("kill_at_step", sorted(EXPORT_STAGES))
def test_killed_export_is_never_listed_half_written(kill_at_step: int, adapter: Path,
                                                    converter: Path, qw_home: Path) -> None:
    from querywright.server.ai.refs import BackendConfig, open_completer
    from querywright.server.errors import ModelError
    from querywright.trainer.export import ExportOptions, export_model

    killed = export_until_killed(adapter, qw_home, kill_at_step)
    names = assert_only_complete_models(qw_home)
    out = qw_home / "finetuned" / "tiny-sql"
    if kill_at_step == 2:  # the converter was running: certainly killed before the end
        assert killed and names == []
        assert not out.exists()  # only the staging folder (.tiny-sql.partial) was written
    if names == []:
        with pytest.raises(ModelError, match="no registered model named 'tiny-sql'"):
            open_completer("tiny-sql", BackendConfig(models_dir=qw_home / "models"))
    if kill_at_step == 2:  # the same export again: the leftovers are no obstacle
        export_model(ExportOptions(adapter=adapter, out=out, name="tiny-sql", ollama="off",
                                   models_dir=qw_home / "models"))
        assert assert_only_complete_models(qw_home) == ["tiny-sql"]
        assert not list(out.parent.glob(".tiny-sql*"))  # staging folders gone
