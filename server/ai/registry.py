"""The registry of fine-tuned models on this machine (``registry.json`` in the cache folder).

The trainer's export calls :func:`register_model` when no Ollama server is reachable;
the embedded backend then serves the model by name (a model reference that is just the
registered name, e.g. ``model = "shop-sql"``). Writes are atomic (temporary file, flushed
to disk, then renamed): a writer killed or out of disk space leaves the old registry.

Damage never stops the product. A registry that cannot be read as one (not JSON, wrong
shape, entries missing fields) is kept aside as ``registry.json.corrupt-STAMP`` with a
warning, and the entries that can still be read are written back. An entry whose manifest
is missing, or not a JSON object, is left out of the listing with a warning (a corrupt
manifest is kept aside as ``manifest.json.corrupt-STAMP``): a model without a readable
manifest is an unfinished or damaged export, never served.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ModelError
from .models import cache_dir, check_gguf

log = logging.getLogger(__name__)

REGISTRY_FILE = "registry.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class RegisteredModel:
    """A fine-tuned model registered for the embedded backend."""

    name: str
    gguf: str  # absolute path of the (base or merged) GGUF
    adapter: str | None  # absolute path of a LoRA adapter GGUF, applied on top of ``gguf``
    manifest: str  # absolute path of the model manifest (schemas/model-manifest.schema.json)
    registered_at: str

    @property
    def ref(self) -> str:
        """The model reference that serves this model."""
        return self.gguf if self.adapter is None else f"{self.gguf}+{self.adapter}"


_FIELDS = tuple(field.name for field in fields(RegisteredModel))


def registry_path(directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / REGISTRY_FILE


def register_model(
    name: str,
    gguf_path: str | os.PathLike[str],
    adapter_path: str | os.PathLike[str] | None,
    manifest_path: str | os.PathLike[str],
    *,
    directory: Path | None = None,
) -> RegisteredModel:
    """Record (or replace) a fine-tuned model under ``name``; files are checked to exist
    and to be GGUF, and stored as absolute paths."""
    if not _NAME.match(name):
        raise ModelError(
            f"invalid model name {name!r}: use letters, digits, '.', '_' or '-' (max 128)"
        )
    gguf = Path(gguf_path).resolve()
    check_gguf(gguf)
    adapter = None
    if adapter_path is not None:
        adapter = Path(adapter_path).resolve()
        check_gguf(adapter)
    manifest = Path(manifest_path).resolve()
    if not manifest.is_file():
        raise ModelError(f"model manifest not found: {manifest}")
    entry = RegisteredModel(
        name=name,
        gguf=str(gguf),
        adapter=None if adapter is None else str(adapter),
        manifest=str(manifest),
        registered_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    entries = {model.name: model for model in _entries(registry_path(directory))}
    entries[name] = entry
    _write(registry_path(directory), entries)
    return entry


def list_registered(directory: Path | None = None) -> list[RegisteredModel]:
    """Registered models with a readable manifest, sorted by name (an absent registry is
    an empty one; damage is kept aside and warned about, as the module docstring says)."""
    models = _entries(registry_path(directory))
    return sorted((m for m in models if _manifest_ok(m)), key=lambda model: model.name)


def _entries(path: Path) -> list[RegisteredModel]:
    """Every entry of the registry at ``path``, damage recovered (manifests not checked)."""
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = ""  # not text at all: corrupt
    except OSError as exc:
        raise ModelError(f"model registry {path} is unreadable: {exc}") from None
    models, problem = _parse(text)
    if problem is not None:
        models = _recover(path, models, problem)
    return models


def _parse(text: str) -> tuple[list[RegisteredModel], str | None]:
    """The entries of a registry file that can be read, and what was wrong (None: nothing)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [], f"not JSON ({exc})"
    if not isinstance(data, dict) or not isinstance(data.get("models", []), list):
        return [], "not a registry (expected {\"version\": 1, \"models\": [...]})"
    models, bad = [], 0
    for item in data.get("models", []):
        try:  # fields a newer version may add are ignored, missing ones make it unreadable
            known = {key: item[key] for key in _FIELDS if key in item}
            models.append(RegisteredModel(**known))
        except TypeError:
            bad += 1
    return models, (f"{bad} unreadable entr{'y' if bad == 1 else 'ies'}" if bad else None)


def _aside(path: Path) -> Path:
    """Rename a damaged file to ``NAME.corrupt-STAMP`` beside it (kept, never deleted)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, target)
    return target


def _recover(path: Path, models: list[RegisteredModel], problem: str) -> list[RegisteredModel]:
    """Keep the damaged registry aside and write back the entries that could be read."""
    try:
        kept = _aside(path)
    except FileNotFoundError:  # another process recovered it first
        return _read_entries(path)
    except OSError as exc:
        log.warning("model registry %s is corrupt (%s) and cannot be moved aside (%s); "
                    "ignoring it", path, problem, exc)
        return models
    if models:
        _write(path, {model.name: model for model in models})
    log.warning("model registry %s was corrupt (%s): kept as %s; %d model(s) recovered",
                path, problem, kept.name, len(models))
    return models


def _read_entries(path: Path) -> list[RegisteredModel]:
    """The entries of ``path`` as they are (no recovery; empty when unreadable)."""
    try:
        return _parse(path.read_text(encoding="utf-8"))[0]
    except (OSError, UnicodeDecodeError):
        return []


def _manifest_ok(model: RegisteredModel) -> bool:
    """Whether ``model``'s manifest is there and a JSON object; warns (and keeps a corrupt
    one aside) otherwise."""
    manifest = Path(model.manifest)
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.warning("registered model %r is left out: its manifest %s is missing "
                    "(export it again)", model.name, manifest)
        return False
    except OSError as exc:  # not readable (permissions...): not damage, nothing is moved
        log.warning("registered model %r is left out: its manifest %s cannot be read (%s)",
                    model.name, manifest, exc)
        return False
    except ValueError as exc:  # not JSON, or not UTF-8
        problem = str(exc).splitlines()[0][:120]
        data = None
    else:
        problem = "not a JSON object"
    if isinstance(data, dict):
        return True
    try:
        kept = f"kept as {_aside(manifest).name}"
    except OSError as exc:
        kept = f"left in place ({exc})"
    log.warning("registered model %r is left out: its manifest %s is corrupt (%s), %s; "
                "export the model again", model.name, manifest, problem, kept)
    return False


def find_registered(name: str, directory: Path | None = None) -> RegisteredModel | None:
    for model in list_registered(directory):
        if model.name == name:
            return model
    return None


def unregister_model(name: str, directory: Path | None = None) -> bool:
    """Remove ``name`` from the registry (its files stay); whether it was there."""
    entries = {model.name: model for model in _entries(registry_path(directory))}
    if entries.pop(name, None) is None:
        return False
    _write(registry_path(directory), entries)
    return True


def _write(path: Path, entries: dict[str, RegisteredModel]) -> None:
    """Replace ``path`` atomically; on failure (disk full...) the old file is untouched
    and no temporary file is left."""
    payload = {"version": 1, "models": [asdict(entries[key]) for key in sorted(entries)]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".registry.", dir=path.parent)
    except OSError as exc:
        raise ModelError(f"cannot write the model registry {path}: {exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(name, 0o644)
        os.replace(name, path)
    except OSError as exc:
        Path(name).unlink(missing_ok=True)
        raise ModelError(f"cannot write the model registry {path}: {exc}") from None
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
