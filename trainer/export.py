"""Turn a trained LoRA adapter into a model the editor can serve, and describe it.

``export_model`` (the steps, in order):

1. resolve the base model (``train_config.json`` beside the adapter names it, or ``base``);
2. ``merged`` mode: merge the adapter into the base weights (a Hugging Face folder) and
   convert that to one GGUF (``q8_0`` by default; K-quants through llama.cpp's quantize);
   ``adapter`` mode: convert only the adapter to a GGUF applied on top of the base GGUF;
3. write a Modelfile (FROM, ADAPTER, TEMPLATE and PARAMETERs from the shared prompt module);
4. move the finished folder into place (built in ``.NAME.partial`` beside it);
5. ``ollama create`` through the ollama client when a server is reachable (blobs uploaded,
   then ``/api/create``), otherwise register the model for the embedded engine;
6. write ``manifest.json`` (schemas/model-manifest.schema.json) LAST, atomically: a folder
   without a valid manifest is an unfinished export and is never picked up.

An export killed at any step (SIGKILL included) leaves at most the staging folder and a
published folder without a manifest, neither of which is listed or served; the same export
run again replaces them. A write that fails (disk full) is a TrainingError, never a
traceback, and leaves no temporary file.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..server.ai.models import sha256_file
from ..server.errors import ModelError, QuerywrightError, TrainingError
from ..server.redact import mask_url
from . import gguf
from .progress import Progress

MANIFEST = "manifest.json"
MODELFILE = "Modelfile"
MODES = ("merged", "adapter")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json",
                   "special_tokens_map.json", "vocab.json", "merges.txt", "added_tokens.json",
                   "chat_template.jinja")
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"


@dataclass
class ExportOptions:
    adapter: Path
    out: Path
    name: str
    base: str | None = None
    mode: str = "merged"
    quant: str = "q8_0"
    ollama: str = "auto"  # auto: use a reachable server | off | on: fail without one
    ollama_host: str = DEFAULT_OLLAMA_HOST
    register: bool = True
    models_dir: Path | None = None  # registry folder; None: the per-user model cache
    overwrite: bool = False
    temperature: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    extra_files: list[tuple[Path, str]] = field(default_factory=list)  # (file, manifest role)


@dataclass
class ExportResult:
    out: Path
    manifest: Path
    gguf: Path
    adapter_gguf: Path | None
    ref: str  # the model reference that serves the model (settings' ``model``)
    ollama_model: str | None
    notes: list[str]


# --- pieces ---------------------------------------------------------------------------------


def read_train_config(adapter: Path) -> dict[str, Any]:
    """The resolved training config saved beside the adapter (empty if there is none)."""
    path = adapter / "train_config.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TrainingError(f"{path} is not valid JSON: {exc}") from exc


def check_adapter(adapter: Path) -> None:
    if not (adapter / "adapter_config.json").is_file():
        raise TrainingError(f"{adapter} is not a trained adapter (no adapter_config.json)")
    weights = adapter / "adapter_model.safetensors"
    try:
        from safetensors import SafetensorError, safe_open

        with safe_open(str(weights), framework="pt") as handle:
            list(handle.keys())
    except (OSError, SafetensorError) as exc:
        raise TrainingError(f"adapter weights {weights} are missing or corrupt: {exc}") from exc


def base_folder(base: Path) -> Path:
    """A Hugging Face folder for ``base`` (a GGUF is dequantized once, cached)."""
    from . import backends

    return backends.materialize_gguf(base) if base.suffix == ".gguf" else base


def tokenizer_donor(base: Path) -> Path | None:
    """The GGUF whose tokenizer a conversion of ``base`` must carry: ``base`` when it is a GGUF,
    else the GGUF its folder's tokenizer was rebuilt from (``backends.tokenizer_source``)."""
    from . import backends

    return base if base.suffix == ".gguf" else backends.tokenizer_source(base)


def merge_adapter(base_dir: Path, adapter: Path, out_dir: Path) -> Path:
    """The base weights with the LoRA update folded in (bf16), with the base's tokenizer."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32,
                                                     local_files_only=True)
        merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        merged.to(torch.bfloat16).save_pretrained(out_dir)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise TrainingError(f"cannot merge {adapter} into {base_dir}: {exc}") from exc
    for name in TOKENIZER_FILES:
        if (base_dir / name).is_file():
            shutil.copy2(base_dir / name, out_dir / name)
    return out_dir


def modelfile_text(from_: str, adapter: str | None, temperature: float = 0.0) -> str:
    """A Modelfile whose TEMPLATE and stop words match the shared prompt."""
    from ..server.ai.prompt import modelfile_parameters, ollama_template

    lines = [f"FROM {from_}"]
    if adapter:
        lines.append(f"ADAPTER {adapter}")
    lines.append(f'TEMPLATE """{ollama_template()}"""')
    lines += [f"PARAMETER {key} {json.dumps(value) if key == 'stop' else value}"
              for key, value in modelfile_parameters(temperature)]
    return "\n".join(lines) + "\n"


def ollama_unreachable(host: str) -> str | None:
    """Why no Ollama server answers at ``host`` (None: one does)."""
    import httpx
    import ollama

    try:
        ollama.Client(host=host, timeout=3).list()
    except (httpx.HTTPError, ollama.ResponseError, ConnectionError) as exc:
        return f"no Ollama server at {host} ({exc})"
    return None


def ollama_create(host: str, name: str, model: Path, adapter: Path | None,
                  temperature: float) -> str:
    """Create ``name`` on the Ollama server at ``host`` from local files (blobs uploaded,
    then ``/api/create``); its model name. ModelError when the server is down or refuses."""
    import httpx
    import ollama

    from ..server.ai.prompt import modelfile_parameters, ollama_template

    problem = ollama_unreachable(host)
    if problem:
        raise ModelError(problem)
    client = ollama.Client(host=host, timeout=600)
    parameters: dict[str, Any] = {"stop": [], "temperature": temperature}
    for key, value in modelfile_parameters(temperature):
        if key == "stop":
            parameters["stop"].append(value)
    try:
        files = {model.name: client.create_blob(model)}
        adapters = {adapter.name: client.create_blob(adapter)} if adapter else None
        client.create(model=name, files=files, adapters=adapters, template=ollama_template(),
                      parameters=parameters, stream=False)
    except (httpx.HTTPError, ollama.ResponseError, ConnectionError) as exc:
        raise ModelError(f"ollama create {name} failed: {exc}") from exc
    return name


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    """Validate ``manifest`` against the schema, then write it atomically."""
    from importlib.resources import files

    import jsonschema

    from .. import schemas

    schema = json.loads((files(schemas) / "model-manifest.schema.json").read_text())
    try:
        jsonschema.validate(manifest, schema, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as exc:
        raise TrainingError(f"model manifest is invalid: {exc.message}") from exc
    path = out / MANIFEST
    tmp = out / f".{MANIFEST}.partial"
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(manifest, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise TrainingError(f"cannot write the model manifest {path}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def file_entry(out: Path, path: Path, role: str) -> dict[str, Any]:
    try:
        shown = str(path.relative_to(out))
    except ValueError:
        shown = str(path)
    return {"path": shown, "sha256": sha256_file(path), "bytes": path.stat().st_size, "role": role}


def prepare_target(out: Path, overwrite: bool) -> Path:
    """The staging folder for ``out``; an existing finished export is replaced only with
    ``overwrite`` (a folder without a manifest is a leftover and always replaced; one whose
    damaged manifest was kept aside, ``manifest.json.corrupt-*``, counts as finished)."""
    finished = (out / MANIFEST).is_file() or any(out.glob(f"{MANIFEST}.corrupt-*"))
    if out.exists() and finished and not overwrite:
        raise TrainingError(f"{out} already holds an exported model; pass --overwrite")
    staging = out.parent / f".{out.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def publish(staging: Path, out: Path) -> None:
    if out.exists():
        old = out.parent / f".{out.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        shutil.rmtree(old, ignore_errors=True)
    os.replace(staging, out)


# --- the export -----------------------------------------------------------------------------


def build_files(options: ExportOptions, base: Path, staging: Path,
                progress: Progress) -> tuple[Path, Path | None]:
    """Write the GGUF(s) into ``staging``: (model GGUF, adapter GGUF or None)."""
    base_dir = base_folder(base)
    if options.mode == "adapter":
        progress.update(1, message="converting the adapter to GGUF")
        adapter_gguf = gguf.convert_adapter(options.adapter, base_dir, staging / "adapter.gguf")
        if base.suffix == ".gguf":
            return base, adapter_gguf
        progress.update(2, message="converting the base model to GGUF")
        converted = gguf.convert_model(base_dir, staging / f"base.{options.quant}.gguf", options.quant)
        if (donor := tokenizer_donor(base)) is not None:
            gguf.adopt_tokenizer(converted, donor)
        return converted, adapter_gguf
    progress.update(1, message="merging the adapter into the base model")
    merged = merge_adapter(base_dir, options.adapter, staging / "hf")
    progress.update(2, message=f"converting to GGUF ({options.quant})")
    target = staging / f"{options.name}.{options.quant}.gguf"
    direct = options.quant in gguf.CONVERTER_TYPES
    converted = gguf.convert_model(merged, target if direct else
                                   staging / f"{options.name}.f16.gguf", options.quant if direct else "f16")
    if (donor := tokenizer_donor(base)) is not None:
        gguf.adopt_tokenizer(converted, donor)
    if not direct:
        gguf.quantize(converted, target, options.quant)
        converted.unlink()
    shutil.rmtree(merged)
    return target, None


@dataclass
class StagedExport:
    """An export whose files are in place but that is not yet registered nor described."""

    out: Path
    model: Path
    adapter: Path | None
    base_ref: str
    base: Path
    train_config: dict[str, Any]


def build_export(options: ExportOptions, progress: Progress) -> StagedExport:
    """Steps 1-4: the GGUF(s) and the Modelfile, moved into ``options.out`` when complete."""
    from . import backends

    if options.mode not in MODES:
        raise TrainingError(f"export mode {options.mode!r}: use one of {', '.join(MODES)}")
    if options.mode == "adapter" and options.quant not in gguf.CONVERTER_TYPES:
        raise TrainingError("adapter exports keep the base GGUF as is; --quant applies to merged")
    check_adapter(options.adapter)
    if options.ollama == "on" and (problem := ollama_unreachable(options.ollama_host)):
        raise TrainingError(f"{problem}; start it, or export with --ollama off")
    train_config = read_train_config(options.adapter)
    base_ref = options.base or train_config.get("base")
    if not base_ref:
        raise TrainingError(f"which base model was {options.adapter} trained on? pass --base")
    base = backends.resolve_base(str(base_ref)).resolve()
    out = options.out.resolve()
    staging = prepare_target(out, options.overwrite)
    try:
        model, adapter = build_files(options, base, staging, progress)
        progress.update(3, message="writing the Modelfile")
        (staging / MODELFILE).write_text(modelfile_text(
            f"./{model.name}" if model.parent == staging else str(model),
            f"./{adapter.name}" if adapter else None, options.temperature))
        if train_config:
            (staging / "train_config.json").write_text(json.dumps(train_config, indent=2) + "\n")
        publish(staging, out)
    except OSError as exc:  # disk full, file size limit: nothing is published
        raise TrainingError(f"cannot write the export {out}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return StagedExport(out, out / model.name if model.parent == staging else model,
                        out / adapter.name if adapter else None, str(base_ref), base,
                        train_config)


def export_model(options: ExportOptions, progress: Progress | None = None) -> ExportResult:
    """Export as the module docstring says; TrainingError on failure, nothing half-written."""
    progress = progress or Progress("export", 5, mode="none")
    progress.set_total(5)
    return finish(options, build_export(options, progress), progress)


def finish(options: ExportOptions, staged: StagedExport, progress: Progress) -> ExportResult:
    """Steps 5-6: Ollama or the registry, the manifest (last), then the registry entry."""
    from ..server.ai.prompt import PROMPT_FORMAT

    out, model, adapter, base = staged.out, staged.model, staged.adapter, staged.base
    notes: list[str] = []
    ollama_model = None
    if options.ollama != "off":
        progress.update(4, message=f"ollama create {options.name}")
        try:
            ollama_model = ollama_create(options.ollama_host, options.name, model, adapter,
                                         options.temperature)
        except ModelError as exc:
            if options.ollama == "on":
                raise TrainingError(f"{exc}; the exported files are in {out}") from exc
            notes.append(f"{exc}: registered for the embedded engine instead")
    try:
        for extra, _role in options.extra_files:
            shutil.copy2(extra, out / extra.name)
    except OSError as exc:
        raise TrainingError(f"cannot copy the reports into {out}: {exc}") from exc
    files = [file_entry(out, model, "gguf")]
    if adapter is not None:
        files.append(file_entry(out, adapter, "adapter-gguf"))
    files.append(file_entry(out, out / MODELFILE, "modelfile"))
    if (out / "train_config.json").is_file():
        files.append(file_entry(out, out / "train_config.json", "config"))
    files += [file_entry(out, out / extra.name, role) for extra, role in options.extra_files]
    base_entry: dict[str, Any] = {"ref": staged.base_ref, "path": str(base)}
    if base.is_file():
        base_entry["sha256"] = sha256_file(base)
    manifest = {
        "name": options.name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "base": base_entry, "prompt_format": PROMPT_FORMAT, "data": options.data,
        "config": {**staged.train_config,
                   "export": {"mode": options.mode, "quant": options.quant}},
        "metrics": options.metrics, "files": files,
        "ollama": {"model": ollama_model, "host": mask_url(options.ollama_host)} if ollama_model else None,
    }
    progress.update(5, message="writing the manifest")
    path = write_manifest(out, manifest)
    ref = f"ollama:{ollama_model}" if ollama_model else options.name
    if ollama_model is None and options.register:
        from ..server.ai.registry import register_model

        try:
            register_model(options.name, model, adapter, path, directory=options.models_dir)
        except QuerywrightError as exc:
            raise TrainingError(f"cannot register {options.name}: {exc}") from exc
    elif ollama_model is None:
        ref = f"{model}+{adapter}" if adapter else str(model)
    progress.event("exported", model=ref, manifest=str(path))
    return ExportResult(out, path, model, adapter, ref, ollama_model, notes)
