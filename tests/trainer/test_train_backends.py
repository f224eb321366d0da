"""Backend choice: explicit backends checked against the machine, ``auto`` from the
measured table (trainer/auto_backend.json) by estimated time among settings that fit."""

from __future__ import annotations

import pytest
from querywright.server.errors import TrainingError
from querywright.trainer.backends import GIB, choose_backend, load_auto_table
from querywright.trainer.train_config import load_config


def config(**extra: object):
    return load_config(None, {"base": "b", "data": "d", **extra})


def entry(backend: str, gc: str, batching: str, step_s: float, overhead_s: float,
          peak_gib: float, params: int = 10**9) -> dict:
    return {"backend": backend, "gradient_checkpointing": gc, "batching": batching,
            "tokens_per_s": 1000 / step_s, "step_s": step_s, "overhead_s": overhead_s,
            "peak_gib": peak_gib, "params": params, "batch_size": 8, "max_seq_length": 1024}


TABLE = {"measured_on": {"gpu": "test GPU"}, "classes": [
    {"max_params": 2 * 10**9, "ranked": [
        entry("unsloth", "off", "padded", 0.1, 30.0, 20.0),
        entry("unsloth", "on", "padded", 0.2, 30.0, 4.0),
        entry("hf-qlora", "on", "padded", 0.4, 2.0, 5.0),
    ]},
    {"max_params": None, "ranked": [entry("hf-qlora", "on", "padded", 1.0, 2.0, 30.0, 8 * 10**9)]},
]}


def test_cpu_gets_plain_lora_and_rejects_gpu_backends() -> None:
    choice = choose_backend(config(), 10**8, None, TABLE, have_unsloth=False)
    assert (choice.backend, choice.device, choice.load_in_4bit) == ("hf-lora", "cpu", False)
    for backend in ("unsloth", "hf-qlora"):
        with pytest.raises(TrainingError, match="needs a CUDA GPU"):
            choose_backend(config(backend=backend), 10**8, None, TABLE, have_unsloth=True)
    with pytest.raises(TrainingError, match="unsloth package is not installed"):
        choose_backend(config(backend="unsloth"), 10**8, 80 * GIB, TABLE, have_unsloth=False)
    with pytest.raises(TrainingError, match="padded batches only"):
        choose_backend(config(backend="hf-qlora", batching="packed"), 10**8, 80 * GIB, TABLE)


def test_auto_takes_the_least_estimated_time_that_fits() -> None:
    long_run = choose_backend(config(batch_size=8, max_seq_length=1024), 10**9, 80 * GIB, TABLE,
                              have_unsloth=True)
    assert (long_run.backend, long_run.gradient_checkpointing, long_run.batching,
            long_run.load_in_4bit) == ("unsloth", "off", "padded", True)
    small_gpu = choose_backend(config(batch_size=8, max_seq_length=1024), 10**9, 16 * GIB, TABLE,
                               have_unsloth=True)
    assert (small_gpu.backend, small_gpu.gradient_checkpointing) == ("unsloth", "on")
    short = choose_backend(config(max_steps=20), 10**9, 80 * GIB, TABLE, have_unsloth=True)
    assert short.backend == "hf-qlora"  # 30 s of compilation does not pay off in 20 steps
    no_unsloth = choose_backend(config(), 10**9, 80 * GIB, TABLE, have_unsloth=False)
    assert no_unsloth.backend == "hf-qlora"
    ddp = choose_backend(config(), 10**9, 80 * GIB, TABLE, have_unsloth=True, world_size=2)
    assert ddp.backend == "hf-qlora"
    with pytest.raises(TrainingError, match="trains on one GPU"):
        choose_backend(config(backend="unsloth"), 10**9, 80 * GIB, TABLE, have_unsloth=True,
                       world_size=2)
    big = choose_backend(config(), 8 * 10**9, 80 * GIB, TABLE, have_unsloth=True)
    assert big.backend == "hf-qlora" and "test GPU" in big.reason
    nothing_fits = choose_backend(config(), 8 * 10**9, 8 * GIB, TABLE, have_unsloth=True)
    assert (nothing_fits.backend, nothing_fits.gradient_checkpointing) == ("hf-qlora", "on")
    explicit = choose_backend(config(gradient_checkpointing="off"), 10**9, 16 * GIB, TABLE,
                              have_unsloth=True)
    assert explicit.gradient_checkpointing == "off"


def test_named_backend_takes_its_fastest_measured_settings() -> None:
    unsloth = choose_backend(config(backend="unsloth"), 10**9, 80 * GIB, TABLE, have_unsloth=True)
    assert (unsloth.gradient_checkpointing, unsloth.batching) == ("off", "padded")
    fixed = choose_backend(config(backend="unsloth", gradient_checkpointing="on"), 10**9,
                           80 * GIB, TABLE, have_unsloth=True)
    assert (fixed.gradient_checkpointing, fixed.batching) == ("on", "padded")
    library = choose_backend(config(backend="unsloth", batching="library"), 10**9, 80 * GIB,
                             TABLE, have_unsloth=True)
    assert library.batching == "library"  # Unsloth's own default, left to it
    unmeasured = choose_backend(config(backend="hf-lora"), 10**9, 80 * GIB, TABLE)
    assert (unmeasured.gradient_checkpointing, unmeasured.batching) == ("on", "padded")


def test_committed_table_was_measured_and_covers_every_size() -> None:
    table = load_auto_table()
    assert table["measured_on"]["gpu"] and table["written_by"].startswith("bench/")
    assert table["classes"][-1]["max_params"] is None
    for cls in table["classes"]:
        assert cls["ranked"] and all(e["step_s"] > 0 and e["peak_gib"] > 0 for e in cls["ranked"])
    smol = choose_backend(config(batch_size=16, max_seq_length=512), 134_515_008, 78 * GIB,
                          table, have_unsloth=True)
    assert smol.batching != "padding_free" and smol.gradient_checkpointing != "unsloth"
    named = choose_backend(config(backend="unsloth", batch_size=16, max_seq_length=512),
                           134_515_008, 78 * GIB, table, have_unsloth=True)
    # padded batches of similar lengths: not Unsloth's slower padding-free default
    assert named.batching == "grouped"


# --- batch_size = auto -------------------------------------------------------------------


def test_auto_batch_fits_the_free_memory_and_leaves_steps_per_epoch() -> None:
    from querywright.trainer.backends import BackendChoice, auto_batch_size

    two_points = {"classes": [{"max_params": None, "ranked": [
        {**entry("unsloth", "off", "padded", 0.1, 1.0, 4.0), "batch_size": 16, "max_seq_length": 512},
        {**entry("unsloth", "off", "padded", 0.3, 1.0, 28.0), "batch_size": 128, "max_seq_length": 512},
    ]}]}  # 4 GiB + about 0.42 MiB per token of a step
    gpu = BackendChoice("unsloth", "cuda", "off", "padded", True, "")
    settings = config(batch_size="auto", max_seq_length=1024)
    assert settings.batch_size == 0  # "auto"
    big, why = auto_batch_size(gpu, settings, 10**9, 140 * GIB, examples=100_000, table=two_points)
    assert big == 256 and "predicted peak" in why  # about 111 GiB of the 119 allowed
    small, _ = auto_batch_size(gpu, settings, 10**9, 40 * GIB, examples=100_000, table=two_points)
    assert small == 64  # 128 x 1024 tokens would need about 56 GiB
    few, why = auto_batch_size(gpu, settings, 10**9, 140 * GIB, examples=1_500, table=two_points)
    assert few == 32 and "steps per epoch" in why  # 1,500 examples: at least 32 steps an epoch
    other = BackendChoice("hf-qlora", "cuda", "on", "padded", True, "")
    assert auto_batch_size(other, settings, 10**9, 140 * GIB, 100_000, two_points)[0] == 8
    cpu = BackendChoice("hf-lora", "cpu", "off", "padded", False, "")
    assert auto_batch_size(cpu, settings, 10**9, None, 100_000, two_points)[0] == 4


def test_auto_batch_still_chooses_a_backend() -> None:
    choice = choose_backend(config(batch_size="auto"), 10**9, 80 * GIB, TABLE, have_unsloth=True)
    assert choice.backend == "unsloth"
    with pytest.raises(Exception, match="batch_size"):
        config(batch_size=-2)
