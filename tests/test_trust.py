"""A workspace file's settings that send data elsewhere count only in a trusted workspace.

The CLI subcommands that read the workspace's config (schema, check, ask, harvest, dataset
build) run as real subprocesses. Where the test must know whether a model endpoint was
contacted, the endpoint is ``tests/support/recording_http.py`` (a stand-in for a remote
Ollama on 127.0.0.1: it answers every request with an error and remembers it). The
workspace's database is a PostgreSQL URL on a free loopback port where nothing listens: a
run that honours it fails naming that address. The remote-looking model addresses
(documentation range 203.0.113.0/24) are only ever parsed and warned about, never contacted.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from querywright.server.config import allowlisted, load_config

from .support.recording_http import Recorder

REPO = Path(__file__).resolve().parent.parent
REMOTE = "http://203.0.113.5:11434"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DB_ADDRESS = f"127.0.0.1:{_free_port()}"  # nothing listens there
DB = f"postgresql+psycopg://app@{DB_ADDRESS}/app"
NOT_TRUSTED = "ignored: this workspace is not trusted"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with Recorder() as server:
        yield server


def _workspace(tmp_path: Path, toml: str | None = None) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "shop", root)
    if toml is None:
        toml = f'ollama_host = "{REMOTE}"\ndatabase_url = "{DB}"\nmodel = "openai:{REMOTE}/v1#m"\n'
    (root / "querywright.toml").write_text(toml, "utf-8")
    return root


def _cli(*args: str, xdg: Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(xdg)}
    return subprocess.run([sys.executable, "-m", "querywright.cli.main", *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


def _schema(root: Path, *flags: str, xdg: Path) -> subprocess.CompletedProcess[str]:
    return _cli("schema", "--json", *flags, "--workspace", str(root), xdg=xdg)


def test_cli_ignores_outbound_settings_of_an_untrusted_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    result = _schema(root, xdg=tmp_path / "xdg")
    assert result.returncode == 0, result.stderr
    for key in ("ollama_host", "database_url", "model"):
        assert f"{key}: {NOT_TRUSTED}" in result.stderr
    assert "203.0.113.5" not in result.stdout and DB_ADDRESS not in result.stderr + result.stdout
    assert json.loads(result.stdout)["tables"]  # the schema files still load; no database was tried


def test_cli_honours_them_with_trust_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    result = _schema(root, "--trust-workspace", xdg=tmp_path / "xdg")
    assert "not trusted" not in result.stderr
    assert result.returncode == 2 and DB_ADDRESS in result.stderr  # the database is now tried (and is unreachable)
    assert "plain HTTP to another machine" in result.stderr
    warning = next(line for line in result.stderr.splitlines() if "plain HTTP" in line)
    assert "using the default" not in warning  # a warning, not a replaced setting


def test_allowlist_file_trusts_a_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    xdg = tmp_path / "xdg"
    (xdg / "querywright").mkdir(parents=True)
    (xdg / "querywright" / "trusted-workspaces").write_text(f"# mine\nrelative/ignored\n{root.resolve()}\n", "utf-8")
    assert allowlisted(root, {"XDG_CONFIG_HOME": str(xdg)})
    assert not allowlisted(tmp_path, {"XDG_CONFIG_HOME": str(xdg)})
    result = _schema(root, xdg=xdg)
    assert "not trusted" not in result.stderr
    assert DB_ADDRESS in result.stderr


def test_check_honours_the_gate(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    result = _cli("check", "--json", "--workspace", str(root), xdg=tmp_path / "xdg")
    assert f"database_url: {NOT_TRUSTED}" in result.stderr
    assert "Traceback" not in result.stderr
    assert isinstance(json.loads(result.stdout), list)
    trusted = _cli("check", "--json", "--trust-workspace", "--workspace", str(root), xdg=tmp_path / "xdg")
    assert "not trusted" not in trusted.stderr and DB_ADDRESS in trusted.stderr


def test_ask_never_calls_an_untrusted_workspaces_model_host(tmp_path: Path, recorder: Recorder) -> None:
    root = _workspace(tmp_path, f'ollama_host = "{recorder.url}"\nmodel = "ollama:smollm2"\n')
    xdg = tmp_path / "xdg"
    result = _cli("ask", "--timeout", "5", "--samples", "1", "--workspace", str(root), "how many users are there?", xdg=xdg)
    assert f"ollama_host: {NOT_TRUSTED}" in result.stderr
    assert recorder.paths == []
    assert "Traceback" not in result.stderr  # it fell back to the local default and answered, or said why not
    _cli("ask", "--timeout", "5", "--samples", "1", "--trust-workspace", "--workspace", str(root), "how many users are there?", xdg=xdg)
    assert recorder.paths  # trusted, the same setting is used: the stand-in was asked


def test_harvest_and_dataset_honour_the_gate(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    xdg = tmp_path / "xdg"
    out = tmp_path / "pairs.jsonl"
    result = _cli("harvest", "--workspace", str(root), "-o", str(out), "--json", xdg=xdg)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert any(NOT_TRUSTED in p and "database_url" in p for p in summary["config_problems"])
    assert summary["records"] > 0  # harvested from the DDL files, no database tried
    trusted = _cli("harvest", "--workspace", str(root), "-o", str(out), "--json", "--trust-workspace", xdg=xdg)
    assert trusted.returncode == 2 and DB_ADDRESS in trusted.stderr  # the database is tried now

    data = _cli("dataset", "build", "--workspace", str(root), "--synthetic", "0", "--progress", "none", "--json",
                "-o", str(tmp_path / "data"), xdg=xdg)
    assert data.returncode == 0, data.stderr
    assert f"database_url: {NOT_TRUSTED}" in data.stderr
    assert json.loads(data.stdout)["total"] > 0
    trusted = _cli("dataset", "build", "--workspace", str(root), "--synthetic", "0", "--progress", "none", "--json",
                   "--trust-workspace", "-o", str(tmp_path / "data2"), xdg=xdg)
    assert trusted.returncode == 2 and DB_ADDRESS in trusted.stderr


def test_config_level_trust_for_the_language_server(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    config, problems = load_config(root, {"dialect": "sqlite"})
    assert config.ollama_host == "http://127.0.0.1:11434" and config.database_url is None
    assert config.model == "builtin:smollm2-135m" and config.dialect == "sqlite"
    assert {p.key for p in problems if "not trusted" in p.message} == {"ollama_host", "database_url", "model"}
    config, problems = load_config(root, {"trusted": True})
    assert config.ollama_host == REMOTE and config.database_url == DB
    assert not any("not trusted" in p.message or p.key == "trusted" for p in problems)
    assert any("plain HTTP" in p.message and not p.fallback for p in problems)
    config, _ = load_config(None, {"ollama_host": REMOTE})  # editor-level settings always apply
    assert config.ollama_host == REMOTE
    # untrusted: the editor's own value is the fallback, not the workspace file's
    config, _ = load_config(root, {"ollama_host": "http://127.0.0.1:9999", "model": "ollama:x"})
    assert config.ollama_host == "http://127.0.0.1:9999" and config.model == "ollama:x"


def test_local_models_and_a_sqlite_file_inside_the_workspace_need_no_trust(tmp_path: Path) -> None:
    root = _workspace(tmp_path, 'database_url = "sqlite:///{db}"\nmodel = "ollama:mine"\n'.replace("{db}", str(tmp_path / "shop" / "app.db")))
    config, problems = load_config(root)
    assert config.database_url and config.database_url.endswith("app.db") and config.model == "ollama:mine"
    assert not problems
    (root / "querywright.toml").write_text(f'database_url = "sqlite:///{tmp_path / "elsewhere.db"}"\n', "utf-8")
    config, problems = load_config(root)
    assert config.database_url is None and [p.key for p in problems] == ["database_url"]
    (root / "querywright.toml").write_text('database_url = "sqlite:///../../x.db"\n', "utf-8")
    assert load_config(root)[0].database_url is None


def test_https_and_loopback_endpoints_get_no_plain_http_warning() -> None:
    for host in ("https://models.example.com", "http://127.0.0.1:11434", "http://localhost:11434", "http://[::1]:11434"):
        _, problems = load_config(None, {"ollama_host": host})
        assert not problems, (host, problems)
    _, problems = load_config(None, {"model": "openai:http://gpu.example.com:8000/v1#m"})
    assert [p.key for p in problems] == ["model"] and "plain HTTP" in problems[0].message


def test_globs_cannot_reach_outside_the_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path, 'schema_paths = ["../other/*.sql", "/etc/*.sql", "~/x.sql", "db/**/*.sql"]\n'
                                'exclude = ["..\\\\up/*"]\nquery_paths = ["queries/../../x/*.sql"]\n')
    config, problems = load_config(root)
    assert config.schema_paths == ("db/**/*.sql",) and config.exclude == () and config.query_paths == ()
    rejected = [p for p in problems if "reaches outside the workspace" in p.message]
    assert len(rejected) == 5
    result = _schema(root, xdg=tmp_path / "xdg")
    assert result.returncode == 0
    assert result.stderr.count("reaches outside the workspace") == 5
