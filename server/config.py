"""Typed configuration, loaded once, validated against ``schemas/config.schema.json``.

Sources, lowest to highest precedence: built-in defaults (from the schema), editor
settings (LSP initializationOptions / workspace/configuration), the workspace file
(``querywright.toml``, else ``[tool.querywright]`` in ``pyproject.toml``). A bad key never
stops anything: it is reported as a ``ConfigProblem`` and its default is used.

Settings that send data somewhere (``database_url``, ``ollama_host``, ``openai:`` models) are
taken from the workspace file only when the workspace is trusted: the editor says so (the
reserved editor setting ``trusted``), the CLI's ``--trust-workspace``, or the user-level
allowlist ``$XDG_CONFIG_HOME/querywright/trusted-workspaces``. Otherwise they are dropped
with a warning and the editor's value or the default (localhost, the builtin model) is
used. A SQLite ``database_url`` whose file lies inside the workspace is local and always
honoured. A plain-HTTP model endpoint off this machine always gets a warning.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import json
import os
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from .redact import mask_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILE = "querywright.toml"
# The database password comes from the environment (the editor's SecretStorage puts it
# there), never from a settings file: it fills a database_url that names a user but no password.
PASSWORD_ENV = "QUERYWRIGHT_DATABASE_PASSWORD"
TRUSTED_KEY = "trusted"  # reserved editor setting: the editor trusts the workspace
ALLOWLIST_NAME = "trusted-workspaces"
# Workspace-file settings that can send the schema, documents or queries elsewhere.
OUTBOUND_KEYS = ("database_url", "ollama_host", "model")


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
    keep_literals: bool = False
    inline: InlineConfig = field(default_factory=InlineConfig)


@dataclass(frozen=True)
class ConfigProblem:
    """One bad setting: where it came from, which key, and why."""

    source: str
    key: str
    message: str
    fallback: bool = True  # the setting was replaced by its default (False: only a warning)

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


def database_password(env: dict[str, str] | None = None) -> str | None:
    """The database password given in the environment (``QUERYWRIGHT_DATABASE_PASSWORD``)."""
    value = (os.environ if env is None else env).get(PASSWORD_ENV)
    return value or None


def allowlist_path(env: dict[str, str] | None = None) -> Path:
    """The user-level list of trusted workspace roots (one absolute path per line)."""
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "querywright" / ALLOWLIST_NAME


def allowlisted(root: Path, env: dict[str, str] | None = None) -> bool:
    """Whether ``root`` is listed in the user's trusted-workspaces file."""
    try:
        lines = allowlist_path(env).read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    target = root.resolve()
    for line in lines:
        entry = line.strip()
        if entry and not entry.startswith("#") and Path(entry).is_absolute():
            try:
                if Path(entry).expanduser().resolve() == target:
                    return True
            except OSError:
                continue
    return False


def _local_sqlite(url: str, root: Path) -> bool:
    """Whether ``url`` is a SQLite file inside the workspace (it sends nothing anywhere)."""
    head, sep, rest = url.partition(":///")
    if not sep or head.split("+", 1)[0] != "sqlite":
        return False
    path = Path(rest.split("?", 1)[0])
    try:
        target = (path if path.is_absolute() else root / path).resolve()
        return target.is_relative_to(root.resolve())
    except (OSError, ValueError):
        return False


def _sends_data(key: str, value: Any, root: Path) -> bool:
    if key == "model":
        return isinstance(value, str) and value.startswith("openai:")
    if key == "database_url" and isinstance(value, str) and _local_sqlite(value, root):
        return False
    return key in OUTBOUND_KEYS


def _untrusted(clean: dict[str, Any], source: str, root: Path) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """Drop the settings of an untrusted workspace file that would send data elsewhere."""
    kept = {k: v for k, v in clean.items() if not _sends_data(k, v, root)}
    problems = [ConfigProblem(source, key, "ignored: this workspace is not trusted and the setting would send data "
                              "elsewhere (trust it in the editor, with --trust-workspace, or in " + str(allowlist_path()) + ")")
                for key in clean if key not in kept]
    return kept, problems


GLOB_KEYS = ("schema_paths", "query_paths", "exclude")


def _escapes(pattern: str) -> bool:
    """Whether a glob could name a path outside the workspace (absolute, ``~``, ``..``)."""
    text = pattern.strip().replace("\\", "/")
    if text.startswith(("/", "~")) or (len(text) > 1 and text[1] == ":"):
        return True
    return ".." in text.lstrip("!").split("/")


def _contained(clean: dict[str, Any], source: str) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """Drop the globs that reach outside the workspace, each with a problem."""
    problems: list[ConfigProblem] = []
    out = dict(clean)
    for key in GLOB_KEYS:
        value = clean.get(key)
        if not isinstance(value, list):
            continue
        out[key] = [p for p in value if not _escapes(p)]
        problems += [ConfigProblem(source, key, f"glob {p!r} reaches outside the workspace (absolute, ~ or ..): ignored")
                     for p in value if _escapes(p)]
    return out, problems


def _plain_http_elsewhere(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme != "http" or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def endpoint_warnings(config: Config) -> list[ConfigProblem]:
    """A warning for each model endpoint reached over plain HTTP off this machine."""
    urls = {"ollama_host": config.ollama_host}
    if config.model.startswith("openai:"):
        urls["model"] = config.model[len("openai:"):].split("#", 1)[0]
    return [ConfigProblem("settings", key, f"{mask_url(url)!r} is plain HTTP to another machine: the schema and documents "
                          "sent to the model travel unencrypted", fallback=False)
            for key, url in urls.items() if _plain_http_elsewhere(url)]


def load_config(root: Path | None, editor_settings: dict[str, Any] | None = None,
                trusted: bool | None = None) -> tuple[Config, list[ConfigProblem]]:
    """Resolve the configuration for a workspace; never raises on bad settings.

    ``trusted`` None: the editor's reserved ``trusted`` setting decides (absent = untrusted).
    """
    problems: list[ConfigProblem] = []
    values: dict[str, Any] = {}
    editor = dict(editor_settings or {})
    said = editor.pop(TRUSTED_KEY, None)
    if trusted is None:
        trusted = said is True
    if editor:
        clean, found = _validate(editor, "editor settings")
        clean, contained = _contained(clean, "editor settings")
        found += contained
        values = _merge(values, clean)
        problems += found
    if root is not None:
        raw, name, found = read_workspace_settings(root)
        problems += found
        if name:
            clean, found = _validate(raw, name)
            problems += found
            clean, found = _contained(clean, name)
            problems += found
            if not trusted:
                clean, found = _untrusted(clean, name, root)
                problems += found
            values = _merge(values, clean)
    dialect = values.get("dialect")
    if dialect is not None and not _known_dialect(dialect):
        problems.append(ConfigProblem("settings", "dialect", f"unknown dialect {dialect!r}; using postgres"))
        values.pop("dialect")
    config = _build(values)
    return config, problems + endpoint_warnings(config)


def _known_dialect(name: str) -> bool:
    from sqlglot.dialects.dialect import Dialect

    try:
        Dialect.get_or_raise(name)
    except ValueError:
        return False
    return True


def config_to_json(config: Config) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(config)))
