"""The out-of-memory policy: half the batch, twice the accumulation, from the newest checkpoint."""

from __future__ import annotations

import pytest
import torch
from querywright.trainer.oom_retry import Retry, is_out_of_memory, smaller, train_with_retries


def test_halves_until_it_fits_keeping_the_examples_per_step() -> None:
    calls: list[tuple[int, int, str | None]] = []
    restarts: list[Retry] = []
    checkpoints = iter([None, "checkpoint-40"])

    def attempt(batch: int, accumulation: int, resume: str | None) -> str:
        calls.append((batch, accumulation, resume))
        if batch > 32:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return "trained"

    result, retries = train_with_retries(attempt, 128, 1, None, lambda: next(checkpoints),
                                         restarts.append)
    assert result == "trained"
    assert calls == [(128, 1, None), (64, 2, None), (32, 4, "checkpoint-40")]
    assert all(b * a == 128 for b, a, _ in calls)  # the same examples per optimizer step
    assert restarts == retries and [r.batch_size for r in retries] == [64, 32]
    assert retries[0].error.startswith("CUDA out of memory")


def test_other_failures_and_batch_one_are_not_retried() -> None:
    def fails(exc: BaseException):
        def attempt(batch: int, accumulation: int, resume: str | None) -> None:
            raise exc
        return attempt

    with pytest.raises(ValueError):
        train_with_retries(fails(ValueError("bad data")), 8, 1, None, lambda: None, lambda r: None)
    seen: list[Retry] = []
    with pytest.raises(torch.OutOfMemoryError):
        train_with_retries(fails(torch.OutOfMemoryError("out of memory")), 2, 1, None,
                           lambda: None, seen.append)
    assert [r.batch_size for r in seen] == [1]  # 2 -> 1, then nothing smaller
    assert smaller(1, 4) is None and smaller(7, 1) == (3, 2)


def test_out_of_memory_is_recognised_when_wrapped() -> None:
    assert is_out_of_memory(torch.OutOfMemoryError("x"))
    assert is_out_of_memory(RuntimeError("CUDA error: out of memory (while compiling)"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(KeyboardInterrupt())
