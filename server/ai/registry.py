"""The registry of fine-tuned models on this machine (``registry.json`` in the cache folder).

The trainer's export calls :func:`register_model` when no Ollama server is reachable;
the embedded backend then serves the model by name (a model reference that is just the
registered name, e.g. ``model = "shop-sql"``). Writes are atomic (temporary file + rename).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ModelError
from .models import cache_dir, check_gguf

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
    entries = {model.name: model for model in list_registered(directory)}
    entries[name] = entry
    _write(registry_path(directory), entries)
    return entry


def list_registered(directory: Path | None = None) -> list[RegisteredModel]:
    """Registered models, sorted by name (an absent registry is an empty one)."""
    path = registry_path(directory)
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        models = [RegisteredModel(**item) for item in data.get("models", [])]
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ModelError(f"model registry {path} is unreadable: {exc}") from None
    return sorted(models, key=lambda model: model.name)


def find_registered(name: str, directory: Path | None = None) -> RegisteredModel | None:
    for model in list_registered(directory):
        if model.name == name:
            return model
    return None


def unregister_model(name: str, directory: Path | None = None) -> bool:
    """Remove ``name`` from the registry (its files stay); whether it was there."""
    entries = {model.name: model for model in list_registered(directory)}
    if entries.pop(name, None) is None:
        return False
    _write(registry_path(directory), entries)
    return True


def _write(path: Path, entries: dict[str, RegisteredModel]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": 1, "models": [asdict(entries[key]) for key in sorted(entries)]}
    handle, name = tempfile.mkstemp(prefix=".registry.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(payload, out, indent=2)
        out.write("\n")
    os.chmod(name, 0o644)
    os.replace(name, path)
