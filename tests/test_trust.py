"""A workspace file's settings that send data elsewhere count only in a trusted workspace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from querywright.server.config import load_config

REPO = Path(__file__).resolve().parent.parent
REMOTE = "http://203.0.113.5:11434"
DB = "postgresql+psycopg://app@203.0.113.5:5432/app"


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "shop", root)
    (root / "querywright.toml").write_text(f'ollama_host = "{REMOTE}"\ndatabase_url = "{DB}"\nmodel = "openai:{REMOTE}/v1#m"\n', "utf-8")
    return root


def _schema(root: Path, *flags: str, xdg: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(xdg)}
    return subprocess.run([sys.executable, "-m", "querywright.cli.main", "schema", "--json", *flags, "--workspace", str(root)],
                          capture_output=True, text=True, timeout=120, env=env)


def test_cli_ignores_outbound_settings_of_an_untrusted_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    result = _schema(root, xdg=tmp_path / "xdg")
    assert result.returncode == 0, result.stderr
    for key in ("ollama_host", "database_url", "model"):
        assert f"{key}: ignored: this workspace is not trusted" in result.stderr
    assert "203.0.113.5" not in result.stdout
    assert json.loads(result.stdout)["tables"]  # the schema files still load; no database was tried


def test_cli_honours_them_with_trust_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    result = _schema(root, "--trust-workspace", xdg=tmp_path / "xdg")
    assert "not trusted" not in result.stderr
    assert "203.0.113.5" in result.stderr  # the database is now tried (and is unreachable)
    assert "plain HTTP to another machine" in result.stderr


def test_allowlist_file_trusts_a_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    xdg = tmp_path / "xdg"
    (xdg / "querywright").mkdir(parents=True)
    (xdg / "querywright" / "trusted-workspaces").write_text(f"# mine\n{root.resolve()}\n", "utf-8")
    result = _schema(root, xdg=xdg)
    assert "not trusted" not in result.stderr
    assert "203.0.113.5" in result.stderr


def test_config_level_trust_for_the_language_server(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    config, problems = load_config(root, {"dialect": "sqlite"})
    assert config.ollama_host == "http://127.0.0.1:11434" and config.database_url is None
    assert config.model == "builtin:smollm2-135m" and config.dialect == "sqlite"
    assert {p.key for p in problems if "not trusted" in p.message} == {"ollama_host", "database_url", "model"}
    config, problems = load_config(root, {"trusted": True})
    assert config.ollama_host == REMOTE and config.database_url == DB
    assert not any("not trusted" in p.message or p.key == "trusted" for p in problems)
    assert any("plain HTTP" in p.message for p in problems)
    config, _ = load_config(None, {"ollama_host": REMOTE})  # editor-level settings always apply
    assert config.ollama_host == REMOTE
