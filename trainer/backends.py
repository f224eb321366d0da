"""Pick a training backend and load a base model with LoRA adapters on it.

Backends: ``unsloth`` (CUDA; Unsloth's patched model and kernels), ``hf-qlora`` (CUDA;
transformers + peft + bitsandbytes nf4) and ``hf-lora`` (CPU or CUDA; plain LoRA on full weights).
``auto`` reads ``auto_backend.json`` beside this module, which ``bench/gpu_throughput.py``
writes from measurements: for the model's size class it takes the fastest measured
backend and settings whose measured memory, scaled to this run, fits the free GPU memory.

Base models are Hugging Face folders, ``.gguf`` files (dequantized once through
transformers into a cached folder) or ``builtin:NAME`` references resolved by the model cache.
Heavy libraries are imported inside the functions that need them; Unsloth must be imported
before transformers, so ``run_training`` calls ``import_unsloth_first`` before anything else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import json
import os
import shutil
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..server.errors import ModelError, TrainingError
from .train_config import TrainConfig

AUTO_TABLE = Path(__file__).with_name("auto_backend.json")
GIB = 1024**3
PADDED = ("padded", "grouped")  # batchings every backend can train (no variable-length kernel needed)


@dataclass(frozen=True)
class BackendChoice:
    """The resolved way one run trains; ``reason`` says where it came from."""

    backend: str  # unsloth | hf-qlora | hf-lora
    device: str  # cuda | cpu
    gradient_checkpointing: str  # unsloth | on | off
    batching: str  # padded | grouped (padded, similar lengths) | padding_free | packed | library
    load_in_4bit: bool
    reason: str


# --- base model -----------------------------------------------------------------------------


def resolve_base(ref: str) -> Path:
    """A model folder or ``.gguf`` file for ``ref``; TrainingError if there is none."""
    if ref.startswith("builtin:"):
        from ..server.ai.models import resolve_builtin

        try:
            return resolve_builtin(ref.split(":", 1)[1], shipped=True)
        except ModelError as exc:
            raise TrainingError(f"base model {ref}: {exc}") from exc
    path = Path(ref).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return path
    if path.is_dir() and (path / "config.json").is_file():
        return path
    if path.exists():
        raise TrainingError(
            f"base model {ref}: expected a .gguf file or a folder with config.json"
        )
    raise TrainingError(f"base model {ref} does not exist")


def count_parameters(base: Path) -> int:
    """Parameter count from a folder's config.json or a GGUF header, without loading weights."""
    if base.suffix == ".gguf":
        from gguf import GGUFReader

        return int(sum(int(t.n_elements) for t in GGUFReader(str(base)).tensors))
    cfg = json.loads((base / "config.json").read_text())
    cfg = cfg.get("text_config", cfg)
    hidden = int(cfg.get("hidden_size", 0))
    layers = int(cfg.get("num_hidden_layers", 0))
    inter = int(cfg.get("intermediate_size", 4 * hidden))
    vocab = int(cfg.get("vocab_size", 0))
    heads = int(cfg.get("num_attention_heads", 1)) or 1
    kv = int(cfg.get("num_key_value_heads", heads))
    head_dim = int(cfg.get("head_dim") or hidden // heads)
    attn = hidden * head_dim * (2 * heads + 2 * kv)
    embed = vocab * hidden * (1 if cfg.get("tie_word_embeddings", False) else 2)
    return layers * (attn + 3 * hidden * inter) + embed


def gguf_cache_dir() -> Path:
    from ..server.ai.models import cache_dir

    return cache_dir() / "hf"


TOKENIZER_SOURCE = "querywright-tokenizer-source.json"  # in a folder whose tokenizer came from a GGUF


def tokenizer_source(folder: Path) -> Path | None:
    """The GGUF that ``folder``'s tokenizer files were rebuilt from (``TOKENIZER_SOURCE``, which
    :func:`materialize_gguf` writes and which a folder derived from it keeps), if it still exists.
    A GGUF converted from such a folder must carry that GGUF's tokenizer, not the rebuilt one
    (``gguf.adopt_tokenizer``): llama.cpp rejects requests to the rebuilt one."""
    try:
        path = Path(json.loads((folder / TOKENIZER_SOURCE).read_text())["gguf"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return path if path.is_file() else None


def materialize_gguf(gguf_path: Path, cache: Path | None = None) -> Path:
    """A Hugging Face folder holding ``gguf_path`` dequantized to bf16; built once, atomically.
    The folder names its source GGUF (``TOKENIZER_SOURCE``)."""
    stat = gguf_path.stat()
    target = (cache or gguf_cache_dir()) / f"{gguf_path.stem}-{stat.st_size}"
    marker = {"gguf": str(gguf_path.resolve())}
    if (target / "config.json").is_file():
        if tokenizer_source(target) is None:  # a folder cached before the marker existed
            with contextlib.suppress(OSError):
                (target / TOKENIZER_SOURCE).write_text(json.dumps(marker) + "\n")
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        kwargs = {"gguf_file": gguf_path.name}
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, dtype=torch.bfloat16, **kwargs)
        if getattr(model, "hf_quantizer", None) is not None:
            model.hf_quantizer.remove_quantization_config(model)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / TOKENIZER_SOURCE).write_text(json.dumps(marker) + "\n")
        try:
            os.replace(tmp, target)
        except OSError:
            # another process (a second training run) built the same folder first: keep its
            # complete copy, drop ours
            if not (target / "config.json").is_file():
                raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise TrainingError(f"cannot read base model {gguf_path}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# --- choosing -------------------------------------------------------------------------------


def cuda_free_bytes() -> int | None:
    """Free memory of the current CUDA device, or None without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return None
    # under `accelerate launch` each process looks at its own GPU
    index = int(os.environ.get("LOCAL_RANK", torch.cuda.current_device()))
    free, _total = torch.cuda.mem_get_info(index)
    return int(free)


def unsloth_installed() -> bool:
    return importlib.util.find_spec("unsloth") is not None


def load_auto_table(path: Path = AUTO_TABLE) -> dict[str, Any]:
    if not path.is_file():
        return {"classes": []}
    return json.loads(path.read_text())


LONG_RUN_STEPS = 1000  # steps assumed when a run is bounded by epochs, not max_steps


def _token_ratio(entry: dict[str, Any], config: TrainConfig) -> float:
    return (config.batch_size * config.max_seq_length) / float(
        entry["batch_size"] * entry["max_seq_length"])


def _fits(entry: dict[str, Any], config: TrainConfig, params: int, free: int) -> bool:
    """Scale the measured peak by model size and tokens per step; keep 15% headroom."""
    size = max(1.0, params / float(entry["params"]))
    return entry["peak_gib"] * GIB * size * max(1.0, _token_ratio(entry, config)) <= 0.85 * free


def estimated_seconds(entry: dict[str, Any], config: TrainConfig) -> float:
    """Compilation/warm-up plus the steps at the measured pace, scaled by tokens per step."""
    steps = config.max_steps or LONG_RUN_STEPS
    return entry.get("overhead_s", 0.0) + steps * entry["step_s"] * _token_ratio(entry, config)


def _pick_measured(config: TrainConfig, params: int, free: int, table: dict[str, Any],
                   allowed: tuple[str, ...]) -> tuple[dict[str, Any], str] | None:
    """The measured entry of the model's size class with the least estimated time that fits,
    among ``allowed`` backends and the settings the config fixes; and why it was taken."""
    for cls in table.get("classes", []):
        if cls["max_params"] is not None and params > cls["max_params"]:
            continue
        usable = [e for e in cls["ranked"]
                  if e["backend"] in allowed and _fits(e, config, params, free)
                  and config.gradient_checkpointing in ("auto", e["gradient_checkpointing"])
                  and config.batching in ("auto", e["batching"])]
        if not usable:
            return None
        best = min(usable, key=lambda e: estimated_seconds(e, config))
        why = (f"least estimated time among settings measured for <= "
               f"{cls['max_params'] or 'any'} params ({best['tokens_per_s']:.0f} tokens/s, "
               f"{best['overhead_s']:.0f} s to compile and warm up, {best['peak_gib']:.2f} GiB "
               f"on {table.get('measured_on', {}).get('gpu', '?')})")
        return best, why
    return None


AUTO_BATCHES = (4, 8, 16, 32, 64, 128, 256)
MIN_STEPS_PER_EPOCH = 32
PROVISIONAL_BATCH = 32  # what the backend is chosen for while the batch is still "auto"


def _memory_line(entries: list[dict[str, Any]], scale: float) -> tuple[float, float]:
    """(GiB at zero tokens, GiB per token of a step): a least-squares line through the measured
    peaks (scaled to the model's size) over tokens per step; through the origin with one point
    (or when the line does not rise)."""
    xs = [float(e["batch_size"] * e["max_seq_length"]) for e in entries]
    ys = [e["peak_gib"] * scale for e in entries]
    if len(set(xs)) >= 2:
        slope, intercept = statistics.linear_regression(xs, ys)
        if slope > 0:
            return max(0.0, intercept), slope
    x, y = max(zip(xs, ys))
    return 0.0, y / x


def auto_batch_size(choice: BackendChoice, config: TrainConfig, params: int, free_cuda: int | None,
                    examples: int, table: dict[str, Any] | None = None) -> tuple[int, str]:
    """The batch for ``batch_size = auto`` and why: on a GPU the largest of ``AUTO_BATCHES``
    whose peak memory, predicted from the measurements of the chosen settings, fits 85% of the
    free memory, and that still leaves ``MIN_STEPS_PER_EPOCH`` steps per epoch."""
    by_data = max(AUTO_BATCHES[0], examples // MIN_STEPS_PER_EPOCH)
    if choice.device != "cuda" or free_cuda is None:
        return AUTO_BATCHES[0], "no GPU: the smallest batch"
    table = load_auto_table() if table is None else table
    entries: list[dict[str, Any]] = []
    for cls in table.get("classes", []):
        if cls["max_params"] is not None and params > cls["max_params"]:
            continue
        entries = [e for e in cls["ranked"] if (e["backend"], e["gradient_checkpointing"], e["batching"])
                   == (choice.backend, choice.gradient_checkpointing, choice.batching)]
        break
    if not entries:
        batch = max(b for b in AUTO_BATCHES if b <= min(8, by_data))
        return batch, f"batch {batch}: these settings were never measured on a GPU"
    scale = max(1.0, params / float(entries[0]["params"]))
    base, per_token = _memory_line(entries, scale)
    fits = [b for b in AUTO_BATCHES if b <= by_data
            and (base + per_token * b * config.max_seq_length) * GIB <= 0.85 * free_cuda]
    batch = max(fits, default=AUTO_BATCHES[0])
    predicted = base + per_token * batch * config.max_seq_length
    return batch, (f"batch {batch}: predicted peak {predicted:.1f} GiB of {free_cuda / GIB:.0f} GiB "
                   f"free (from {len(entries)} measurement(s) of these settings), at most "
                   f"{examples} examples / {MIN_STEPS_PER_EPOCH} steps per epoch")


def choose_backend(
    config: TrainConfig,
    params: int,
    free_cuda: int | None,
    table: dict[str, Any] | None = None,
    have_unsloth: bool | None = None,
    world_size: int | None = None,
) -> BackendChoice:
    """Resolve the ``auto`` fields of ``config`` for a model of ``params`` parameters.

    On a GPU, backend, checkpointing and batching left at ``auto`` come from the measured
    table (for the named backend only, when one is named). With several processes
    (``accelerate launch``, DDP) only the hf backends are used.
    """
    if config.batch_size == 0:  # "auto": sized once the backend is known; choose for a typical batch
        config = dataclasses.replace(config, batch_size=PROVISIONAL_BATCH)
    world = int(os.environ.get("WORLD_SIZE", "1")) if world_size is None else world_size
    have_unsloth = unsloth_installed() if have_unsloth is None else have_unsloth
    backend = config.backend
    if backend == "unsloth" and world > 1:
        raise TrainingError("backend unsloth trains on one GPU; with accelerate launch use "
                            "backend hf-qlora or hf-lora")
    if backend in ("unsloth", "hf-qlora") and free_cuda is None:
        raise TrainingError(f"backend {backend} needs a CUDA GPU; use backend=hf-lora on CPU")
    if backend == "unsloth" and not have_unsloth:
        raise TrainingError("backend unsloth: the unsloth package is not installed (extra 'gpu')")
    device = "cpu" if free_cuda is None else "cuda"
    picked: dict[str, Any] = {}
    reason = f"backend {backend} from the config"
    if device == "cpu":
        backend = "hf-lora" if backend == "auto" else backend
        reason = "no CUDA GPU: plain LoRA on the CPU"
    else:
        allowed = (backend,) if backend != "auto" else \
            ("unsloth", "hf-qlora", "hf-lora") if have_unsloth and world == 1 else \
            ("hf-qlora", "hf-lora")
        table = load_auto_table() if table is None else table
        found = _pick_measured(config, params, free_cuda, table, allowed)
        if found:
            picked, reason = found
            backend = picked["backend"]
        elif backend == "auto":
            backend, reason = "hf-qlora", "no measurement fits: QLoRA with checkpointing"
    gc = config.gradient_checkpointing
    if gc == "auto":
        gc = picked.get("gradient_checkpointing", "off" if device == "cpu" else "on")
    if gc == "unsloth" and backend != "unsloth":
        gc = "on"
    batching = config.batching
    if batching == "auto":
        batching = picked.get("batching", "padded")
    if backend != "unsloth" and batching not in PADDED:
        raise TrainingError(
            f"batching {batching}: the {backend} backend trains padded batches only (padded, grouped) "
            "(its attention has no variable-length kernel here)"
        )
    four_bit = config.load_in_4bit
    if four_bit is None:
        four_bit = backend in ("unsloth", "hf-qlora")
    if four_bit and device == "cpu":
        raise TrainingError("4-bit loading needs a CUDA GPU; use backend=hf-lora on CPU")
    return BackendChoice(backend, device, gc, batching, bool(four_bit), reason)


# --- loading --------------------------------------------------------------------------------


def check_one_gpu_per_process(choice: BackendChoice) -> None:
    """TrainingError when one process sees several GPUs (the Trainer would fall back to
    nn.DataParallel, which SFTTrainer refuses): name the two ways to run."""
    if choice.device != "cuda" or "WORLD_SIZE" in os.environ:
        return
    import torch

    count = torch.cuda.device_count()
    if count > 1:
        raise TrainingError(
            f"{count} GPUs are visible to one process: train on all of them with `accelerate "
            f"launch --num_processes {count} -m querywright.cli.main train ...`, or on one with "
            "CUDA_VISIBLE_DEVICES=0"
        )


def import_unsloth_first() -> None:
    """Import Unsloth before transformers/peft/trl so that its patches apply."""
    importlib.import_module("unsloth")


def compute_dtype(choice: BackendChoice, config: TrainConfig) -> Any:
    import torch

    if config.dtype != "auto":
        return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[config.dtype]
    if choice.device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _lora_kwargs(config: TrainConfig) -> dict[str, Any]:
    return {"r": config.lora_r, "lora_alpha": config.lora_alpha,
            "lora_dropout": config.lora_dropout, "target_modules": list(config.target_modules)}


def load_model(choice: BackendChoice, model_dir: Path, config: TrainConfig) -> tuple[Any, Any]:
    """(peft model ready to train, tokenizer) for ``choice``."""
    try:
        if choice.backend == "unsloth":
            model, tokenizer = _load_unsloth(choice, model_dir, config)
        else:
            model, tokenizer = _load_hf(choice, model_dir, config)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot load base model from {model_dir}: {exc}") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def _load_unsloth(choice: BackendChoice, model_dir: Path, config: TrainConfig) -> tuple[Any, Any]:
    from unsloth import FastLanguageModel

    gc: bool | str = {"unsloth": "unsloth", "on": True, "off": False}[choice.gradient_checkpointing]
    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=str(model_dir),
        max_seq_length=config.max_seq_length,
        dtype=compute_dtype(choice, config),
        load_in_4bit=choice.load_in_4bit,
        load_in_16bit=not choice.load_in_4bit,
        use_gradient_checkpointing=gc,
        random_state=config.seed,
    )
    model = FastLanguageModel.get_peft_model(
        model, use_gradient_checkpointing=gc, random_state=config.seed, bias="none",
        **_lora_kwargs(config),
    )
    return model, tokenizer


def _load_hf(choice: BackendChoice, model_dir: Path, config: TrainConfig) -> tuple[Any, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = compute_dtype(choice, config)
    kwargs: dict[str, Any] = {"dtype": dtype, "local_files_only": True}
    if choice.load_in_4bit:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=dtype,
            bnb_4bit_use_double_quant=True,
            bnb_4bit_quant_storage=dtype,
        )
    if choice.device == "cuda":
        # one process per GPU under `accelerate launch`: each loads onto its own device
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", torch.cuda.current_device()))}
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, **kwargs)
    model.config.use_cache = False
    if choice.gradient_checkpointing != "off":
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", bias="none",
                                             **_lora_kwargs(config)))
    return model, tokenizer
