"""Typed configuration, loaded once, validated against ``schemas/config.schema.json``.

Sources, lowest to highest precedence: built-in defaults (from the schema), editor
settings (LSP initializationOptions / workspace/configuration), the workspace file
(``querywright.toml``, else ``[tool.querywright]`` in ``pyproject.toml``). A bad key never
stops anything: it is reported as a ``ConfigProblem`` and its default is used.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILE = "querywright.toml"


@dataclass(frozen=True)
class InlineConfig:
    enabled: bool = True
    debounce_ms: int = 40
    max_candidates: int = 2
    max_tokens: int = 24
    timeout_ms: int = 4000
    grammar: bool = True


@dataclass(frozen=True)
class Config:
    dialect: str = "postgres"
    schema_paths: tuple[str, ...] = ()
    query_paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    database_url: str | None = None
    max_file_size_mb: float = 16
    model: str = "builtin:smollm2-135m"
    ollama_host: str = "http://127.0.0.1:11434"
    inline: InlineConfig = field(default_factory=InlineConfig)


@dataclass(frozen=True)
class ConfigProblem:
    """One bad setting: where it came from, which key, and why."""

    source: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.message}"


@functools.lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    text = resources.files("querywright.schemas").joinpath("config.schema.json").read_text("utf-8")
    return json.loads(text)


def _validate(raw: Any, source: str) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """Keep the valid keys of ``raw``; report each invalid one."""
    if not isinstance(raw, dict):
        return {}, [ConfigProblem(source, "(root)", f"expected a table of settings, got {type(raw).__name__}")]
    schema = config_schema()
    validator = jsonschema.Draft202012Validator(schema)
    problems: list[ConfigProblem] = []
    bad: set[tuple[str, ...]] = set()
    for error in validator.iter_errors(raw):
        path = tuple(str(p) for p in error.absolute_path)
        if error.validator == "additionalProperties":
            known = set(schema["properties"]) if not path else set(schema["properties"].get(path[0], {}).get("properties", {}))
            container = raw if not path else raw.get(path[0], {})
            for extra in sorted(set(container) - known):
                problems.append(ConfigProblem(source, ".".join((*path, extra)), "unknown setting"))
                bad.add((*path, extra))
            continue
        key = ".".join(path[:2]) if path else "(root)"
        problems.append(ConfigProblem(source, key, error.message))
        bad.add(path[:2] if len(path) >= 2 and path[0] == "inline" else path[:1])
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if (key,) in bad:
            continue
        if key == "inline" and isinstance(value, dict):
            clean[key] = {k: v for k, v in value.items() if ("inline", k) not in bad}
        else:
            clean[key] = value
    return clean, problems


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key == "inline" and isinstance(value, dict):
            out["inline"] = {**out.get("inline", {}), **value}
        else:
            out[key] = value
    return out


def _build(values: dict[str, Any]) -> Config:
    inline = InlineConfig(**values.pop("inline", {}))
    tuples = {k: tuple(v) for k, v in values.items() if isinstance(v, list)}
    return Config(**{**values, **tuples, "inline": inline})


def read_workspace_settings(root: Path) -> tuple[dict[str, Any], str | None, list[ConfigProblem]]:
    """Raw settings from the workspace file, its name, and problems reading it."""
    candidates = [(root / CONFIG_FILE, False), (root / "pyproject.toml", True)]
    for path, nested in candidates:
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            return {}, path.name, [ConfigProblem(path.name, "(file)", f"cannot be read: {exc}")]
        if nested:
            tool = data.get("tool", {})
            if not isinstance(tool, dict) or "querywright" not in tool:
                continue
            data = tool["querywright"]
        return data, path.name, []
    return {}, None, []


def load_config(root: Path | None, editor_settings: dict[str, Any] | None = None) -> tuple[Config, list[ConfigProblem]]:
    """Resolve the configuration for a workspace; never raises on bad settings."""
    problems: list[ConfigProblem] = []
    values: dict[str, Any] = {}
    if editor_settings:
        clean, found = _validate(editor_settings, "editor settings")
        values = _merge(values, clean)
        problems += found
    if root is not None:
        raw, name, found = read_workspace_settings(root)
        problems += found
        if name:
            clean, found = _validate(raw, name)
            values = _merge(values, clean)
            problems += found
    dialect = values.get("dialect")
    if dialect is not None and not _known_dialect(dialect):
        problems.append(ConfigProblem("settings", "dialect", f"unknown dialect {dialect!r}; using postgres"))
        values.pop("dialect")
    return _build(values), problems


def _known_dialect(name: str) -> bool:
    from sqlglot.dialects.dialect import Dialect

    try:
        Dialect.get_or_raise(name)
    except ValueError:
        return False
    return True


def config_to_json(config: Config) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(config)))
