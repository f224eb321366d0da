"""Running out of GPU memory mid-run: the same run, continued with a smaller batch.

A batch that fit when the run was sized can stop fitting later (a longer batch, another process
on the card). Then the batch is halved and gradient accumulation doubled, so that every
optimizer step still sees as many examples and the learning-rate schedule is unchanged, and
training continues from the newest complete checkpoint (or from the starting weights when
none was written yet). Batch 1 that does not fit is the user's to solve: the error says how.

The policy is here, as a pure function over callables; ``train.run_training`` supplies the
attempt (build a trainer at a batch and train), the newest checkpoint and the restore of the
starting weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
MAX_RETRIES = 6  # 128 -> 2 at most


@dataclass(frozen=True)
class Retry:
    """One retry: the batch it runs at and where it continues from."""

    batch_size: int
    gradient_accumulation_steps: int
    resume_from: str | None  # a checkpoint folder, or None: from the starting weights
    error: str  # the out-of-memory message that caused it


def is_out_of_memory(exc: BaseException) -> bool:
    """A CUDA allocation failure, as torch raises it or as a compiler wraps it."""
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover - training always has torch
        pass
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def smaller(batch_size: int, accumulation: int) -> tuple[int, int] | None:
    """Half the batch, twice the accumulation; None at batch 1."""
    if batch_size <= 1:
        return None
    return batch_size // 2, accumulation * 2


def train_with_retries(attempt: Callable[[int, int, str | None], T], batch_size: int,
                       accumulation: int, resume_from: str | None,
                       newest_checkpoint: Callable[[], str | None],
                       restart: Callable[[Retry], None],
                       is_oom: Callable[[BaseException], bool] = is_out_of_memory,
                       max_retries: int = MAX_RETRIES) -> tuple[T, list[Retry]]:
    """``attempt(batch, accumulation, resume_from)`` until one finishes; each out-of-memory
    failure halves the batch. ``restart(retry)`` runs before each retry (free the memory, and
    restore the starting weights when ``retry.resume_from`` is None). Returns the attempt's
    result and the retries made; the last out-of-memory error propagates when the batch cannot
    shrink or ``max_retries`` are spent."""
    retries: list[Retry] = []
    while True:
        try:
            return attempt(batch_size, accumulation, resume_from), retries
        except BaseException as exc:  # only out-of-memory is retried; the rest re-raised
            if not is_oom(exc) or len(retries) >= max_retries:
                raise
            shrunk = smaller(batch_size, accumulation)
            if shrunk is None:
                raise
            batch_size, accumulation = shrunk
            resume_from = newest_checkpoint()
            retry = Retry(batch_size, accumulation, resume_from, str(exc).splitlines()[0][:200])
            retries.append(retry)
            restart(retry)
