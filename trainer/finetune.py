"""``finetune``: harvest → dataset → train → eval → export → register, for one workspace.

The run folder (``--out``, default ``~/.cache/querywright/runs/<workspace>``) holds ``data/``
(the dataset splits), ``adapter/`` (its checkpoints live in ``.adapter.partial`` until the
adapter is complete, so ``--resume`` continues an interrupted run), ``eval/`` (report) and
``models/<name>/`` (the exported model; its manifest is written last). The model to beat
(``current``, by default the base) is evaluated on the test split before the export, the new
model after it, each question answered as ``querywright ask`` answers it over the workspace
(``eval_pipeline = "ask"``: what the product would show, not the bare greedy output); ``better`` says whether the new one wins on execution accuracy, paired
example by example (``verdict``: more held-out examples right only with it than only with the
current model, by a one-sided sign test at p <= 0.1; one lucky example does not switch). Training continues the base's own adapter (``init_adapter=auto``: for the
default ``builtin:smollm2-135m``, the shipped general SQL adapter) and replays general SQL
pairs beside the workspace's (``general``, one per workspace pair by default), so the tune
gains on the repo without forgetting what the general tune knew. Without a GPU the defaults are a handful of LoRA steps on the CPU, and
the result's notes say that such a run rarely beats the shipped SQL adapter and name the
faster routes (a CUDA GPU, a larger Ollama model).

Progress (JSON lines): a ``begin`` event opens each stage with the share of the whole run it
covers (``start`` and ``weight``, in percent), then the stage's own ``progress`` events
(``step`` of ``total``) follow; the run ends with a ``done`` event of stage ``finetune``
(``model``, ``better``, ``message``, ``manifest``, ``report``).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..server.config import Config
from ..server.errors import TrainingError
from .progress import Progress
from .train_config import AUTO_BATCH

if TYPE_CHECKING:
    from .eval import ModelResult
    from .train import TrainResult

DEFAULT_BASE = "builtin:smollm2-135m"
STAGES: tuple[tuple[str, int], ...] = (("dataset", 5), ("train", 55), ("eval-current", 10),
                                       ("export", 15), ("eval", 10), ("register", 5))
# 8 small steps continuing the shipped adapter: at 5e-4 they undid it (Sakila 52.4% -> 21.4%,
# bench/finetune_bench.py + bench/sakila_ex.py), at 1e-4 it kept its 52.4%. The validation loss
# at the start, step 4 and step 8 decides which adapter is kept (the start's when no step beats it)
CPU_DEFAULTS: dict[str, Any] = {"backend": "hf-lora", "max_steps": 8, "batch_size": 4,
                                "max_seq_length": 768, "save_steps": 4, "warmup_steps": 1,
                                "learning_rate": 1e-4}
# batch sized to the card and the data; validation loss every 20 steps, early stopping on it
GPU_DEFAULTS: dict[str, Any] = {"batch_size": AUTO_BATCH, "epochs": 2.0, "save_steps": 20}
GPU_SYNTHETIC = 1000
CPU_EVAL_LIMIT = 12
GENERAL_RATIO = 1.0  # as many general pairs as the workspace's: the tune gains without forgetting
CPU_SYNTHETIC = 120


@dataclass
class FinetuneOptions:
    workspace: Path
    config: Path | None = None
    base: str | None = None
    max_steps: int | None = None
    out: Path | None = None
    name: str | None = None
    current: str | None = None  # the model to beat; None: the base
    resume: bool = False
    eval_limit: int | None = None  # None: all test examples (CPU: CPU_EVAL_LIMIT)
    synthetic: int | None = None  # synthetic pairs to generate (None: by device)
    public: str | None = None  # an extra public-set file
    general: float | None = None  # general SQL pairs per workspace training pair (None: GENERAL_RATIO)
    ollama: str = "auto"
    ollama_host: str = "http://127.0.0.1:11434"
    progress: str = "auto"
    stream: TextIO | None = None  # where JSON progress goes (default: stdout)
    models_dir: Path | None = None  # model registry folder (default: the per-user cache)
    settings: Config | None = None  # the workspace's config, trust already applied (None: read it untrusted)
    overlap: bool | None = None  # score the current model while training (None: with a GPU)
    export_mode: str | None = None  # "adapter" | "merged" (None: adapter when the base is a GGUF)
    eval_pipeline: str = "ask"  # how held-out answers are made: "ask" (as served) | "raw" (eval.PIPELINES)


@dataclass
class FinetuneResult:
    model: str
    model_dir: Path
    manifest: Path | None  # None: nothing was exported (the starting adapter was kept)
    better: bool
    metrics: dict[str, Any]
    message: str
    notes: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-._").lower()[:60] or "workspace"


def default_run_dir(workspace: Path) -> Path:
    from ..server.ai.models import cache_dir

    return cache_dir().parent / "runs" / slug(workspace.resolve().name)


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def train_settings(options: FinetuneOptions, data: Path, validation: Path | None,
                   adapter: Path, cuda: bool) -> Any:
    """The training config: device defaults < ``--config`` file < the pipeline's own settings."""
    from .train_config import TrainConfig, load_config

    fixed: dict[str, Any] = {"base": options.base or DEFAULT_BASE, "data": str(data),
                             "out": str(adapter), "overwrite": True, "progress": options.progress,
                             "resume": "latest" if options.resume else None}
    if validation is not None:
        fixed["eval_data"] = str(validation)
    from_file = load_config(options.config, fixed)
    defaults, values = TrainConfig(), dict(fixed)
    for key, value in (GPU_DEFAULTS if cuda else CPU_DEFAULTS).items():
        if getattr(from_file, key) == getattr(defaults, key):  # the file did not set it
            values[key] = value
    if options.max_steps is not None:
        values["max_steps"] = options.max_steps
    return load_config(options.config, values)


SWITCH_P = 0.1  # the new model must win the paired sign test at this level


@dataclass(frozen=True)
class Verdict:
    """Tuned vs current on the same held-out examples, paired."""

    better: bool
    wins: int  # examples right with the tuned model only
    losses: int  # examples right with the current model only
    p_value: float  # one-sided sign test: wins this many of wins + losses by chance
    why: str


def verdict(tuned: ModelResult, current: ModelResult) -> Verdict:
    """Whether the tuned model beats the current one: more held-out examples that only it gets
    right than the other way round, and not by chance (one-sided sign test on the discordant
    pairs, p <= SWITCH_P). Overall rates can differ by one lucky example; the pairs say whether
    the difference is the tune's. A current model that could not be scored loses to any tuned
    model that could."""
    if current.error:
        ok = not tuned.error
        return Verdict(ok, 0, 0, 0.0 if ok else 1.0, f"the current model could not be scored: {current.error}")
    if tuned.error:
        return Verdict(False, 0, 0, 1.0, f"the new model could not be scored: {tuned.error}")
    right = {e.id: bool(e.execution) for e in current.examples}
    wins = sum(1 for e in tuned.examples if e.execution and not right.get(e.id, False))
    losses = sum(1 for e in tuned.examples if not e.execution and right.get(e.id, False))
    n = wins + losses
    p_value = sum(math.comb(n, k) for k in range(wins, n + 1)) / 2**n if n else 1.0
    better = wins > losses and p_value <= SWITCH_P
    why = (f"{wins} held-out examples right only with the new model, {losses} only with the "
           f"current one (sign test p = {p_value:.2f}; switching needs p <= {SWITCH_P:g})")
    return Verdict(better, wins, losses, round(p_value, 4), why)


class Stages:
    """Announces each stage with its share of the run and hands out its Progress: JSON lines
    for the editor, one bar per stage on a terminal."""

    def __init__(self, options: FinetuneOptions) -> None:
        self.options = options
        json_mode = options.progress == "json"
        self.overall = Progress("finetune", 100, mode="json" if json_mode else "none",
                                stream=options.stream)
        self.start = 0

    def begin(self, name: str, total: int | None = None, **fields: Any) -> Progress:
        """The Progress of stage ``name``, after its ``begin`` event (``start``, ``weight``)."""
        weight = dict(STAGES)[name]
        progress = Progress(name, total, mode=self.options.progress,  # type: ignore[arg-type]
                            stream=self.options.stream)
        progress.event("begin", start=self.start, weight=weight, **fields)
        self.start += weight
        return progress


def run_finetune(options: FinetuneOptions) -> FinetuneResult:
    """The whole pipeline; TrainingError with a clear message on any failure."""
    from . import backends
    from .dataset import build_dataset
    from .eval import AskOver, evaluate_model, load_records
    from .export import ExportOptions, build_export, finish
    from .report import write_report
    from .train import run_training, work_dir

    workspace = options.workspace.resolve()
    if not workspace.is_dir():
        raise TrainingError(f"workspace {workspace} is not a folder")
    base_ref = options.base or DEFAULT_BASE
    base_path = backends.resolve_base(base_ref)  # fail now, not after the dataset, if it does not exist
    run_dir = (options.out or default_run_dir(workspace)).resolve()
    adapter = run_dir / "adapter"
    if options.resume and not (work_dir(adapter) / "checkpoints").is_dir():
        raise TrainingError(f"--resume: no interrupted run under {run_dir}")
    stages = Stages(options)
    cuda = has_cuda()

    stages.begin("dataset").close()
    summary = build_dataset(workspace, run_dir / "data", public=options.public,
                            synthetic=options.synthetic or (GPU_SYNTHETIC if cuda else CPU_SYNTHETIC),
                            progress="none", config=options.settings, general=GENERAL_RATIO if options.general is None else options.general)
    train_file, test_file = Path(summary.files["train"]), Path(summary.files["test"])
    if not summary.splits.get("train"):
        raise TrainingError(f"no training pairs in {workspace}: it needs a schema (DDL or "
                            "migrations) and queries; see `querywright harvest`")
    validation = Path(summary.files["validation"]) if summary.splits.get("validation") else None

    records = load_records(test_file) if summary.splits.get("test") else load_records(train_file)
    limit = options.eval_limit or (None if cuda else CPU_EVAL_LIMIT)
    records = records[:limit] if limit else records
    current_ref = options.current or base_ref
    # with a GPU the current model is scored on the CPU while the GPU trains
    answering = {"workspace": workspace, "pipeline": options.eval_pipeline,
                 "ask_over": AskOver(workspace, options.settings) if options.eval_pipeline == "ask" else None}
    early = Background(evaluate_model, current_ref, records, Progress("eval-current", None, mode="none"),
                       **answering) if overlap_eval(cuda, options) else None

    config = train_settings(options, train_file, validation, adapter, cuda)
    progress = stages.begin("train", config.max_steps, backend=config.backend)
    try:
        trained = run_training(config, progress)
    except MemoryError as exc:  # boundary: a CPU allocation failure deep in torch
        raise TrainingError(f"out of memory with batch_size={config.batch_size}, max_seq_length="
                            f"{config.max_seq_length}: lower them in --config") from exc

    if trained.best_step == 0 and options.current is None:
        return _kept_start(stages, base_ref, trained, early, cuda, len(records))

    with stages.begin("eval-current", len(records)) as progress:
        if early is not None:
            current = early.result()
            progress.update(len(records), message="scored while training")
        else:
            current = evaluate_model(current_ref, records, progress, **answering)

    name = slug(options.name) if options.name else \
        f"{slug(workspace.name)}-sql-{datetime.now(timezone.utc):%Y%m%d%H%M%S}"
    export_options = ExportOptions(adapter=adapter, out=run_dir / "models" / name, name=name,
                                   base=base_ref, mode=export_mode(base_path, options), ollama=options.ollama,
                                   ollama_host=options.ollama_host, overwrite=True,
                                   models_dir=options.models_dir)
    with stages.begin("export", 5) as progress:
        staged = build_export(export_options, progress)

    with stages.begin("eval", len(records)) as progress:
        served = f"{staged.model}+{staged.adapter}" if staged.adapter else str(staged.model)
        tuned = evaluate_model(served, records, progress, **answering)
    tuned.model = name
    paths = write_report([current, tuned], run_dir / "eval", title=f"{current_ref} vs {name}")
    judged = verdict(tuned, current)
    better = judged.better
    metrics = {"examples": len(records), "pipeline": options.eval_pipeline,
               "current": current.summary(), "tuned": tuned.summary(),
               "better": better, "wins": judged.wins, "losses": judged.losses,
               "p_value": judged.p_value,
               "train": {"steps": trained.steps, "loss": trained.final_loss,
                         "seconds": trained.train_seconds}}
    export_options.metrics = metrics
    export_options.data = {"summary": summary.to_json(), "train": str(train_file),
                           "test": str(test_file)}
    export_options.extra_files = [(paths["markdown"], "report"), (paths["plot"], "report")]
    with stages.begin("register", 5) as progress:
        result = finish(export_options, staged, progress)
    verdict_text = "better than" if better else "not better than"
    message = (f"{result.ref}: execution accuracy {_pct(tuned.summary())} vs "
               f"{_pct(current.summary())} for {current_ref} ({verdict_text} it: {judged.why})")
    notes = [*result.notes, *([] if cuda else [cpu_note(trained.steps, len(records), trained.start_adapter is not None)])]
    if trained.best_step == 0:  # with --current another model: the starting adapter is still scored
        notes.append(f"no training step beat the starting adapter on the validation split (loss "
                     f"{trained.start_eval_loss:.4f} at the start; question families that training never "
                     "sees), so the new model keeps the starting adapter")
    stages.overall.event("done", model=result.ref, better=better, message=message,
                         manifest=str(result.manifest), report=str(paths["markdown"]),
                         notes=notes)
    return FinetuneResult(result.ref, result.out, result.manifest, better, metrics, message, notes)


def _kept_start(stages: Stages, base_ref: str, trained: TrainResult, early: Background | None, cuda: bool,
                examples: int) -> FinetuneResult:
    """The run's end when no training step beat the starting adapter on validation: the new
    model would be the current one (the base with that adapter), so nothing is exported,
    scored again or registered, and the workspace keeps its model."""
    if early is not None:
        early.result()  # the scoring started beside training: let its processes finish
    for name in ("eval-current", "export", "eval", "register"):
        stages.begin(name, message="skipped: the starting adapter was kept").close()
    message = (f"{base_ref} kept: no training step beat its adapter's validation loss "
               f"({trained.start_eval_loss:.4f} at the start, {min(trained.eval_losses[1:], default=float('nan')):.4f} "
               "at best; the validation split holds question families that training never sees), so nothing "
               "new was exported")
    notes = [] if cuda else [cpu_note(trained.steps, examples, trained.start_adapter is not None)]
    stages.overall.event("done", model=base_ref, better=False, message=message, manifest=None,
                         report=None, notes=notes)
    metrics = {"kept_start": True, "train": {"steps": trained.steps, "loss": trained.final_loss,
                                             "seconds": trained.train_seconds,
                                             "eval_losses": trained.eval_losses}}
    return FinetuneResult(base_ref, Path(trained.adapter_dir), None, False, metrics, message, notes)


def export_mode(base: Path, options: FinetuneOptions) -> str:
    """How the new model is written: a GGUF base is kept as it is and the LoRA goes beside it
    as a GGUF adapter (seconds; the base is neither merged nor re-quantized, and llama.cpp and
    Ollama apply the adapter at load), a Hugging Face base is merged and converted."""
    if options.export_mode is not None:
        return options.export_mode
    return "adapter" if base.suffix == ".gguf" else "merged"


def overlap_eval(cuda: bool, options: FinetuneOptions) -> bool:
    """Whether the current model is scored during training: when training has the GPU and the
    CPU is free for the embedded engine (``options.overlap``, None: exactly then)."""
    return cuda if options.overlap is None else options.overlap


class Background:
    """``function(*args, **kwargs)`` on a daemon thread (an interrupted run does not wait for
    it); :meth:`result` joins it and returns its value or raises what it raised."""

    def __init__(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = function(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001  (handed to the caller of result())
                self._error = exc

        self._thread = threading.Thread(target=run, name="finetune-eval-current", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def cpu_note(steps: int, examples: int, continued: bool) -> str:
    """What a CPU run can and cannot do, and the faster routes (shown with every CPU result)."""
    start = "continuing the shipped SQL adapter" if continued else "from the bare weights"
    return (f"trained on the CPU: {steps} LoRA steps {start}, judged on {examples} held-out "
            "pairs; that is rarely enough to change the model much (the shipped adapter took about "
            "1,000 GPU steps over 66,000 pairs), and the current model stays unless it is beaten. For a "
            "tune that helps, run `querywright finetune` on a machine with a CUDA GPU (about 5 "
            "minutes end to end on one H200, bench/finetune_bench.py), or serve a larger model through Ollama (model = \"ollama:NAME\")")


def _pct(summary: dict[str, Any]) -> str:
    value = summary.get("execution_accuracy")
    return "n/a" if value is None else f"{100 * value:.0f}%"


def interrupted_message(options: FinetuneOptions) -> str:
    from .train import work_dir

    run_dir = (options.out or default_run_dir(options.workspace)).resolve()
    checkpoints = work_dir(run_dir / "adapter") / "checkpoints"
    if any(checkpoints.glob("checkpoint-*")):
        return (f"interrupted; training checkpoints are kept in {checkpoints}: run the same "
                "command with --resume to continue")
    return "interrupted before the first checkpoint; nothing was kept"
