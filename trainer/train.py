"""Fine-tune a causal LM with LoRA/QLoRA on text-to-SQL pairs: one run, read top to bottom.

``run_training(config)`` resolves the base model and backend, formats every record through the
shared prompt module (so the model is trained on exactly the prompt it will be served), masks the
prompt so only SQL tokens carry loss, trains with TRL's SFTTrainer (checkpoints resumable), and
writes the adapter (bf16), tokenizer, resolved config and a result summary into a temporary
folder that is renamed to ``config.out`` only when everything succeeded.

Faults: a run killed at any point (SIGKILL included) leaves ``config.out`` as it was and its
checkpoints under ``.OUT.partial/checkpoints``; ``resume="latest"`` continues from the newest
*complete* one (the trainer writes a checkpoint's ``trainer_state.json`` last, so a kill
mid-save leaves one without it, which is skipped with a warning and removed). A write that
fails (disk full, file size limit) is a TrainingError naming the folder, never a traceback,
and leaves no incomplete checkpoint behind.

Multi-GPU (hf backends): ``accelerate launch --num_processes N -m querywright.cli.main train
--config FILE`` runs one process per GPU (DDP); each loads its own copy of the model.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..server.errors import TrainingError
from . import backends, lora_start, oom_retry
from .checkpoints import (
    checkpoint_folders,
    find_checkpoint,
    newest_complete,
    remove_incomplete,
    while_saving,
    write_failure,
)
from .jsonl import read_jsonl
from .progress import Progress
from .train_config import TrainConfig

IGNORE_INDEX = -100
RESULT_FILE = "train_result.json"


@dataclass
class TrainResult:
    """What one run produced; also written as ``train_result.json`` beside the adapter."""

    adapter_dir: str
    backend: dict[str, Any]
    steps: int
    final_loss: float | None
    examples: int
    skipped_examples: int
    train_seconds: float
    tokens_seen: int
    peak_memory_bytes: int | None
    step_seconds: list[float] = field(default_factory=list)
    step_tokens: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    eval_losses: list[float] = field(default_factory=list)
    start_adapter: str | None = None  # the LoRA training continued from (None: a fresh one)
    best_step: int | None = None  # with early stopping: the step whose adapter was kept (0: the start's)
    start_eval_loss: float | None = None  # validation loss of the starting adapter, before step 1
    batch_size: int | None = None  # the batch it ended at (smaller than asked after out-of-memory)
    retries: list[dict[str, Any]] = field(default_factory=list)  # out-of-memory retries (oom_retry.Retry)

    def steady_tokens_per_second(self, skip: int = 5) -> float | None:
        """Tokens per second over steps after the first ``skip`` (compilation, warm-up)."""
        secs, toks = self.step_seconds[skip:], self.step_tokens[skip:]
        return sum(toks) / sum(secs) if secs and sum(secs) > 0 else None


# --- data -----------------------------------------------------------------------------------


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    """(prompt, completion) pairs from JSON lines of training records or formatted pairs."""
    source = Path(path)
    pairs: list[tuple[str, str]] = []
    formatter = None
    for number, row in read_jsonl(source, "training data"):
        if "prompt" in row and "completion" in row:
            pairs.append((row["prompt"], row["completion"]))
            continue
        if not {"question", "sql"} <= row.keys():
            raise TrainingError(f"{source}:{number}: neither a training record nor a pair")
        if formatter is None:
            from ..server.ai.prompt import format_training_example as formatter
        pairs.append(formatter(row))
    if not pairs:
        raise TrainingError(f"training data {source} is empty")
    return pairs


def tokenize_pair(tokenizer: Any, prompt: str, completion: str, max_length: int) -> dict | None:
    """input_ids and labels with the prompt masked (-100): loss falls on the SQL + EOS only.

    Prompt and completion are tokenized separately, as at serving time the model receives the
    prompt's tokens and generates the completion's. A completion that does not already end in a
    special token (the prompt format's end of turn) gets the tokenizer's EOS, so the model learns
    to stop. Pairs longer than ``max_length`` are dropped rather than cut (a cut SQL statement
    teaches the wrong thing); None then.
    """
    prompt_ids = tokenizer(prompt, add_special_tokens=True)["input_ids"]
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    if not completion_ids or not _is_special(tokenizer, completion_ids[-1]):
        completion_ids = completion_ids + [tokenizer.eos_token_id]
    if len(prompt_ids) + len(completion_ids) > max_length:
        return None
    return {
        "input_ids": prompt_ids + completion_ids,
        "labels": [IGNORE_INDEX] * len(prompt_ids) + completion_ids,
    }


def _is_special(tokenizer: Any, token_id: int) -> bool:
    """Whether ``token_id`` is a special token (EOS, or an added one like ``<|im_end|>``)."""
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    return token_id in tokenizer.all_special_ids or (
        token_id in added and bool(getattr(added[token_id], "special", False)))


def build_dataset(pairs: list[tuple[str, str]], tokenizer: Any, max_length: int) -> tuple[Any, int]:
    """A datasets.Dataset of tokenized pairs, and how many pairs were too long."""
    from datasets import Dataset

    rows = [tokenize_pair(tokenizer, p, c, max_length) for p, c in pairs]
    kept = [r for r in rows if r is not None]
    if not kept:
        raise TrainingError(f"every example is longer than max_seq_length={max_length}")
    return Dataset.from_list(kept), len(rows) - len(kept)


# --- checkpoints and output -----------------------------------------------------------------


def work_dir(out: Path) -> Path:
    """Where checkpoints and the unfinished output live until the final rename."""
    return out.parent / f".{out.name}.partial"


def save_adapter(model: Any, tokenizer: Any, folder: Path) -> None:
    """The LoRA weights in bf16 (a few MiB) with their adapter_config.json, and the tokenizer."""
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    state = get_peft_model_state_dict(model)
    save_file({k: v.detach().to(torch.bfloat16).cpu().contiguous() for k, v in state.items()},
              str(folder / "adapter_model.safetensors"), metadata={"format": "pt"})
    model.peft_config["default"].save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))


def publish(staging: Path, out: Path, overwrite: bool) -> None:
    """Rename ``staging`` to ``out``; an existing ``out`` is replaced only with overwrite."""
    if out.exists():
        if not overwrite:
            raise TrainingError(f"{out} exists; pass overwrite=true or another --out")
        old = out.parent / f".{out.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        shutil.rmtree(old, ignore_errors=True)
    os.replace(staging, out)


# --- the run --------------------------------------------------------------------------------


def sft_arguments(config: TrainConfig, choice: backends.BackendChoice, output_dir: Path,
                  dtype: Any, evaluate: bool = False) -> Any:
    import torch
    from trl import SFTConfig

    # "library" leaves padding_free unset (None) so that Unsloth applies its own default
    padding_free = {"padded": False, "grouped": False, "padding_free": True,
                    "packed": True}.get(choice.batching)
    best = evaluate and config.early_stopping_patience > 0
    return SFTConfig(
        output_dir=str(output_dir),
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_steps,
        weight_decay=config.weight_decay,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        seed=config.seed,
        data_seed=config.seed,
        logging_steps=config.logging_steps,
        save_strategy="steps",
        eval_strategy="steps" if evaluate else "no",
        eval_steps=config.save_steps if evaluate else None,
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit or None,
        load_best_model_at_end=best,
        metric_for_best_model="eval_loss" if best else None,
        greater_is_better=False if best else None,
        report_to="none",
        disable_tqdm=True,
        use_cpu=choice.device == "cpu",
        bf16=choice.device == "cuda" and dtype == torch.bfloat16,
        fp16=choice.device == "cuda" and dtype == torch.float16,
        max_length=config.max_seq_length,
        packing=choice.batching == "packed",
        # "grouped": each batch drawn from examples of similar length, so that padded batches
        # carry little padding (random batches of varied prompts are about 40% padding)
        train_sampling_strategy="group_by_length" if choice.batching == "grouped" else "random",
        padding_free=padding_free,
        gradient_checkpointing=False,  # configured on the model by the backend
        include_num_input_tokens_seen="non_padding",
        ddp_find_unused_parameters=False,
        dataloader_num_workers=0,
        optim="adamw_torch_fused" if choice.device == "cuda" else "adamw_torch",
    )


def make_trainer(config: TrainConfig, choice: backends.BackendChoice, model: Any, tokenizer: Any,
                 train_set: Any, eval_set: Any, checkpoints: Path,
                 progress: Progress, recorder: Any = None) -> tuple[Any, Any]:
    """The SFTTrainer of a run and its step recorder (printing callbacks removed; ``recorder``:
    keep recording into that one, as a retry at a smaller batch does)."""
    from transformers import EarlyStoppingCallback, PrinterCallback
    from trl import SFTTrainer

    dtype = backends.compute_dtype(choice, config)
    args = sft_arguments(config, choice, checkpoints, dtype, evaluate=eval_set is not None)
    recorder = recorder or make_step_recorder(progress)
    callbacks: list[Any] = [recorder]
    if args.load_best_model_at_end:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
                         processing_class=tokenizer, callbacks=callbacks)
    trainer.remove_callback(PrinterCallback)
    return trainer, recorder


def run_training(config: TrainConfig, progress: Progress | None = None) -> TrainResult:
    """Train one adapter as ``config`` says; TrainingError on any failure, nothing half-written."""
    config.validate()
    out = Path(config.out).resolve()
    if out.exists() and not config.overwrite:
        raise TrainingError(f"{out} exists; pass overwrite=true or another --out")
    progress = progress or Progress("train", None, mode=config.progress)  # type: ignore[arg-type]

    # 1. the base model and the backend, before any heavy import (Unsloth must come first)
    base = backends.resolve_base(config.base)
    params = backends.count_parameters(base)
    free_cuda = backends.cuda_free_bytes()  # before the model loads: measured peaks include it
    choice = backends.choose_backend(config, params, free_cuda)
    backends.check_one_gpu_per_process(choice)
    progress.event("backend", **dataclasses.asdict(choice), params=params)
    if choice.backend == "unsloth":
        backends.import_unsloth_first()
    from transformers import set_seed

    set_seed(config.seed)
    model_dir = backends.materialize_gguf(base) if base.suffix == ".gguf" else base
    start_path = lora_start.starting_path(config)
    start = lora_start.read_start(start_path, model_dir) if start_path is not None else None
    if start is not None:
        config = lora_start.shaped_config(config, start)
        progress.event("start-adapter", adapter=str(start.source), r=start.shape.r,
                       modules=len(start.shape.target_modules))

    # 2. where things go: checkpoints survive a crash, the output appears only when complete
    work = work_dir(out)
    checkpoints = work / "checkpoints"
    resume_from = find_checkpoint(config, checkpoints)
    if resume_from is None and int(os.environ.get("RANK", "0")) == 0:
        shutil.rmtree(work, ignore_errors=True)  # a fresh run: stale checkpoints go
    checkpoints.mkdir(parents=True, exist_ok=True)

    # 3. model, data, trainer
    pairs = read_pairs(config.data)
    import torch

    try:
        model, tokenizer = backends.load_model(choice, model_dir, config)
        if start is not None and resume_from is None:
            lora_start.load_start(model, start)
    except torch.OutOfMemoryError as exc:
        raise TrainingError(f"out of GPU memory loading {config.base}: use a smaller base "
                            "model, or load_in_4bit=true") from exc
    train_set, skipped = build_dataset(pairs, tokenizer, config.max_seq_length)
    if config.batch_size == 0:  # "auto"
        batch, why = backends.auto_batch_size(choice, config, params, free_cuda, len(train_set))
        config = dataclasses.replace(config, batch_size=batch)
        progress.event("batch", batch_size=batch, reason=why)
    eval_set = None
    if config.eval_data:
        eval_set, _ = build_dataset(read_pairs(config.eval_data), tokenizer, config.max_seq_length)
    trainer, recorder = make_trainer(config, choice, model, tokenizer, train_set, eval_set,
                                     checkpoints, progress)
    starting = {name: p.detach().to("cpu", copy=True) for name, p in model.named_parameters()
                if p.requires_grad}  # what a retry before the first checkpoint starts from

    def attempt(batch: int, accumulation: int, resume: str | None) -> None:
        nonlocal trainer, config
        if (batch, accumulation) != (config.batch_size, config.gradient_accumulation_steps):
            config = dataclasses.replace(config, batch_size=batch, gradient_accumulation_steps=accumulation)
            trainer, _ = make_trainer(config, choice, model, tokenizer, train_set, eval_set,
                                      checkpoints, progress, recorder)
        trainer.train(resume_from_checkpoint=resume)

    def restore_start() -> None:
        """The trainable weights back to what training started from."""
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name in starting:
                    p.copy_(starting[name])

    def restart(retry: oom_retry.Retry) -> None:
        """Free what the failed attempt held; without a checkpoint, back to the starting weights."""
        trainer.optimizer = trainer.lr_scheduler = None
        model.zero_grad(set_to_none=True)
        if retry.resume_from is None:
            restore_start()
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        progress.event("out-of-memory", batch_size=retry.batch_size,
                       gradient_accumulation_steps=retry.gradient_accumulation_steps,
                       resume_from=retry.resume_from, error=retry.error)

    # 4. train (the one boundary where library failures become TrainingError)
    if choice.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    started = time.monotonic()
    retries: list[oom_retry.Retry] = []
    start_loss: float | None = None
    try:
        if start is not None and resume_from is None and trainer.args.load_best_model_at_end:
            start_loss = float(trainer.evaluate()["eval_loss"])  # the loss to beat (logged at step 0)
        _, retries = oom_retry.train_with_retries(
            attempt, config.batch_size, config.gradient_accumulation_steps, resume_from,
            lambda: newest_complete(checkpoints), restart)
    except (OSError, RuntimeError) as exc:
        if oom_retry.is_out_of_memory(exc):
            raise TrainingError(
                f"out of GPU memory with batch_size={config.batch_size}, max_seq_length="
                f"{config.max_seq_length}: lower max_seq_length, or set gradient_checkpointing=on "
                f"(checkpoints so far are kept under {checkpoints})"
            ) from exc
        if not while_saving(exc):
            raise
        removed = remove_incomplete(checkpoints)
        kept = [p.name for p in checkpoint_folders(checkpoints)]
        raise TrainingError(
            f"cannot write a checkpoint under {checkpoints}: {write_failure(exc, checkpoints)}"
            + (f"; removed the incomplete {', '.join(removed)}" if removed else "")
            + (f"; {', '.join(kept)} kept: free space and run again with --resume" if kept
               else "; no checkpoint was kept")
        ) from exc
    best_step = _step_of(trainer.state.best_model_checkpoint)
    if start_loss is not None and trainer.state.best_metric is not None and start_loss <= trainer.state.best_metric:
        restore_start()  # no step beat the starting adapter: keep it, not a worse one
        best_step = 0
        progress.event("kept-start", eval_loss=start_loss, best_eval_loss=trainer.state.best_metric)
    seconds = time.monotonic() - started

    # 5. write everything into a staging folder, then rename it into place
    result = TrainResult(
        adapter_dir=str(out), backend=dataclasses.asdict(choice),
        steps=trainer.state.global_step, final_loss=recorder.losses[-1] if recorder.losses else None,
        examples=len(train_set), skipped_examples=skipped, train_seconds=round(seconds, 3),
        tokens_seen=int(trainer.state.num_input_tokens_seen or 0),
        peak_memory_bytes=torch.cuda.max_memory_allocated() if choice.device == "cuda" else None,
        step_seconds=recorder.step_seconds, step_tokens=recorder.step_tokens,
        losses=recorder.losses, eval_losses=recorder.eval_losses,
        start_adapter=str(start.source) if start is not None else None,
        best_step=best_step, start_eval_loss=start_loss,
        batch_size=config.batch_size, retries=[dataclasses.asdict(r) for r in retries],
    )
    if trainer.is_world_process_zero():
        staging = work / "final"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir()
            save_adapter(trainer.accelerator.unwrap_model(trainer.model), tokenizer, staging)
            config.save(staging)
            (staging / RESULT_FILE).write_text(json.dumps(dataclasses.asdict(result), indent=2) + "\n")
        except (OSError, RuntimeError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise TrainingError(f"cannot write the adapter to {staging}: {write_failure(exc, work)} "
                                f"({out} is unchanged; checkpoints are kept under "
                                f"{checkpoints}: run again with --resume)") from exc
        publish(staging, out, config.overwrite)
        if not config.keep_checkpoints:
            shutil.rmtree(work, ignore_errors=True)
        progress.event("done", adapter=str(out), steps=result.steps, loss=result.final_loss)
    progress.close()
    return result


def _step_of(checkpoint: str | None) -> int | None:
    """The step of a ``checkpoint-N`` folder (None: no best checkpoint was tracked)."""
    if not checkpoint:
        return None
    tail = Path(checkpoint).name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def make_step_recorder(progress: Progress) -> Any:
    """A TrainerCallback that times each optimizer step, counts its tokens, forwards the loss.

    Built inside a function so that importing this module imports no transformers (Unsloth,
    when used, must be imported before it).
    """
    import torch
    from transformers import TrainerCallback

    def sync() -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    class StepRecorder(TrainerCallback):
        def __init__(self) -> None:
            self.step_seconds: list[float] = []
            self.step_tokens: list[int] = []
            self.losses: list[float] = []
            self.eval_losses: list[float] = []
            self._t0 = 0.0
            self._tokens0 = 0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            progress.set_total(state.max_steps)
            progress.step = state.global_step

        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            sync()
            self._t0 = time.perf_counter()
            self._tokens0 = int(state.num_input_tokens_seen or 0)

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            sync()
            self.step_seconds.append(time.perf_counter() - self._t0)
            self.step_tokens.append(int(state.num_input_tokens_seen or 0) - self._tokens0)

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kwargs: Any) -> None:
            if logs and "loss" in logs:
                self.losses.append(float(logs["loss"]))
                progress.update(state.global_step, loss=float(logs["loss"]))
            if logs and "eval_loss" in logs:
                self.eval_losses.append(float(logs["eval_loss"]))
                progress.event("eval", step=state.global_step, eval_loss=float(logs["eval_loss"]))

    return StepRecorder()
