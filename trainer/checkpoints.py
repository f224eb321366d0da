"""Training checkpoints: which one a resumed run continues from, and what a failed save
leaves behind.

The trainer (transformers' ``Trainer``) writes ``checkpoint-N`` folders in place, the
``trainer_state.json`` last: a folder whose state and adapter weights read back is
complete. A run killed while saving leaves an incomplete newest folder; ``latest`` then
means the newest complete one, and the incomplete ones after it are removed with a
warning. A save that fails (disk full, file size limit) is told apart from other errors by
where it was raised, and described in words by :func:`write_failure`.
"""

from __future__ import annotations

import json
import logging
import shutil
import traceback
from pathlib import Path

from ..server.errors import TrainingError
from .diskspace import space_problem
from .train_config import TrainConfig

log = logging.getLogger(__name__)


def checkpoint_folders(checkpoints: Path) -> list[Path]:
    """``checkpoint-N`` folders under ``checkpoints``, oldest (lowest N) first."""
    found = [p for p in checkpoints.glob("checkpoint-*")
             if p.is_dir() and p.name.rsplit("-", 1)[-1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.rsplit("-", 1)[-1]))


def find_checkpoint(config: TrainConfig, checkpoints: Path) -> str | None:
    """The checkpoint to resume from (checked to be readable), or None for a fresh run.

    ``latest``: the newest complete checkpoint; newer incomplete ones (a run killed while
    saving) are removed with a warning. If none is complete, the newest one's problem is
    the error."""
    if config.resume is None:
        return None
    if config.resume != "latest":
        check_checkpoint(Path(config.resume))
        return str(Path(config.resume))
    found = checkpoint_folders(checkpoints)
    if not found:
        raise TrainingError(f"--resume: no checkpoint under {checkpoints}")
    complete = newest_complete(checkpoints)
    if complete is None:
        check_checkpoint(found[-1])  # raises: the newest one's problem is the error
        raise AssertionError("unreachable: the newest checkpoint checked complete")
    path = Path(complete)
    for newer in found[found.index(path) + 1:]:
        log.warning("skipping the incomplete checkpoint %s (the run stopped while "
                    "saving it); resuming from %s", newer.name, path.name)
        shutil.rmtree(newer, ignore_errors=True)
    return complete


def newest_complete(checkpoints: Path) -> str | None:
    """The newest checkpoint that reads back whole, or None (no checkpoint, or none complete)."""
    for path in reversed(checkpoint_folders(checkpoints)):
        try:
            check_checkpoint(path)
        except TrainingError:
            continue
        return str(path)
    return None


def remove_incomplete(checkpoints: Path) -> list[str]:
    """Remove checkpoints that a failed save left unreadable; their names."""
    removed = []
    for path in checkpoint_folders(checkpoints):
        try:
            check_checkpoint(path)
        except TrainingError:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def check_checkpoint(path: Path) -> None:
    """TrainingError naming what is wrong unless ``path`` holds a loadable checkpoint."""
    from safetensors import SafetensorError, safe_open

    hint = "delete it, or start again without --resume"
    state = path / "trainer_state.json"
    weights = path / "adapter_model.safetensors"
    if not path.is_dir():
        raise TrainingError(f"checkpoint {path} does not exist")
    try:
        json.loads(state.read_text())
        with safe_open(str(weights), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 (safe_open is not iterable)
                handle.get_slice(key)
    except (OSError, json.JSONDecodeError, SafetensorError) as exc:
        raise TrainingError(f"checkpoint {path} is corrupt ({exc}); {hint}") from exc


def while_saving(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while the trainer saved a checkpoint (torch reports a
    failed write as a RuntimeError, safetensors and json as OSError)."""
    return any(frame.name == "_save_checkpoint" for frame in traceback.extract_tb(exc.__traceback__))


def write_failure(exc: BaseException, folder: Path) -> str:
    """Why a write under ``folder`` failed, in words: the OS error, else what the limits say
    (a file size limit, a full disk), else the library's message."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"[Errno {exc.errno}] {exc.strerror}"
    return space_problem(folder) or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
