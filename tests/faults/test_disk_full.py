"""Disk full while writing a checkpoint or a GGUF, made real with a file size limit: the
command runs in a subprocess whose ``RLIMIT_FSIZE`` is a few tens of KiB (SIGXFSZ ignored),
so the first write past it fails with EFBIG as on a full disk, at the point where the
product writes its biggest file.

- ``querywright train``: the adapter weights (69 KB) fit, the optimizer state (155 KB)
  does not, so the first checkpoint fails half-way. One clear error line, exit 2, the
  incomplete checkpoint removed, no adapter folder; with earlier complete checkpoints,
  those stay and ``--resume`` continues from them once there is room again.
- ``querywright export --mode adapter``: the adapter GGUF (a few KB) fits, the base model's
  q8_0 GGUF (40 KB) does not. llama.cpp's converter then exits 0 with a truncated file
  (numpy's ``tofile`` ignores the short write): the export must notice. One clear error
  line naming the cause, exit 2, no GGUF anywhere the product looks (no model
  folder, no registry entry, nothing in the model cache, no temporary file).
"""

from __future__ import annotations

import json
from pathlib import Path

from querywright.server.ai.models import gguf_files
from querywright.server.ai.registry import list_registered
from querywright.trainer.checkpoints import checkpoint_folders
from querywright.trainer.train import work_dir

from .conftest import assert_one_clear_error, file_size_limit, run_cli
from .test_trainer_kill import in_process, train_args

CHECKPOINT_LIMIT = 100_000  # bytes: between the adapter weights and the optimizer state
GGUF_LIMIT = 20_000  # bytes: between the adapter GGUF and the base model's GGUF


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_disk_full_at_the_first_checkpoint(tiny_llama: Path, pairs_file: Path, tmp_path: Path,
                                           qw_home: Path) -> None:
    out = tmp_path / "adapter"
    done = run_cli(train_args(tiny_llama, pairs_file, out, steps=3), qw_home, timeout=120,
                   preexec=file_size_limit(CHECKPOINT_LIMIT))
    line = assert_one_clear_error(done, "cannot write a checkpoint", "file size limit",
                                  "removed the incomplete checkpoint-1", "no checkpoint was kept")
    assert done.returncode == 2, line
    assert not out.exists()
    assert checkpoint_folders(work_dir(out) / "checkpoints") == []  # nothing a resume would read


def test_disk_full_on_resume_keeps_the_good_checkpoints(tiny_llama: Path, pairs_file: Path,
                                                        tmp_path: Path, qw_home: Path) -> None:
    out = tmp_path / "adapter"
    in_process(tiny_llama, pairs_file, out, 2, keep_checkpoints=True)
    checkpoints = work_dir(out) / "checkpoints"
    before = {p.name: files_under(p) for p in checkpoint_folders(checkpoints)}
    assert list(before) == ["checkpoint-1", "checkpoint-2"]
    adapter_before = (out / "adapter_model.safetensors").read_bytes()

    full = run_cli([*train_args(tiny_llama, pairs_file, out, steps=4), "--resume", "--set",
                    "overwrite=true"], qw_home, timeout=120, preexec=file_size_limit(CHECKPOINT_LIMIT))
    assert_one_clear_error(full, "cannot write a checkpoint", "removed the incomplete checkpoint-3",
                           "checkpoint-1, checkpoint-2 kept", "--resume")
    assert {p.name: files_under(p) for p in checkpoint_folders(checkpoints)} == before
    assert (out / "adapter_model.safetensors").read_bytes() == adapter_before  # untouched

    again = in_process(tiny_llama, pairs_file, out, 4, resume="latest", overwrite=True)
    assert again.steps == 4 and len(again.step_seconds) == 2  # steps 3 and 4
    assert json.loads((out / "train_result.json").read_text())["steps"] == 4


def test_disk_full_while_writing_the_gguf(adapter: Path, converter: Path, tmp_path: Path,
                                          qw_home: Path) -> None:
    done = run_cli(["export", "--adapter", str(adapter), "--name", "tiny-sql", "--mode", "adapter",
                    "--ollama", "off", "--progress", "none"], qw_home, timeout=180,
                   preexec=file_size_limit(GGUF_LIMIT))
    line = assert_one_clear_error(done, "to GGUF", "incomplete base.q8_0.gguf", "file size limit")
    assert done.returncode == 2, line
    assert not any(p.suffix == ".gguf" or ".partial" in p.name for p in qw_home.rglob("*")
                   if "llama.cpp-convert" not in p.parts), files_under(qw_home)
    assert not (qw_home / "finetuned" / "tiny-sql").exists()
    assert list_registered(qw_home / "models") == [] and gguf_files(qw_home / "models") == []
