"""``querywright finetune`` honours a workspace file's ``database_url`` only when trusted.

Like schema, check, ask, harvest and dataset build: ``--trust-workspace`` or the user's
trusted-workspaces allowlist. The workspace holds only a ``querywright.toml`` whose
``database_url`` names a PostgreSQL on a free loopback port where nothing listens, so each
run stops early and says why: untrusted, the setting is ignored (with the warning) and the
pipeline finds no training pairs; trusted, the dataset stage tries that database and fails
naming it. The runs are real subprocesses of the CLI.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

NOT_TRUSTED = "database_url: ignored: this workspace is not trusted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _workspace(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "repo"
    root.mkdir()
    address = f"127.0.0.1:{_free_port()}"
    (root / "querywright.toml").write_text(f'database_url = "postgresql+psycopg://app@{address}/app"\n', "utf-8")
    return root, address


def _finetune(root: Path, tmp_path: Path, *flags: str, xdg: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(xdg)}
    argv = [sys.executable, "-m", "querywright.cli.main", "finetune", "--workspace", str(root),
            "--out", str(tmp_path / "run"), "--progress", "json", *flags]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)


def _events(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_finetune_ignores_an_untrusted_workspaces_database(tmp_path: Path) -> None:
    root, address = _workspace(tmp_path)
    result = _finetune(root, tmp_path, xdg=tmp_path / "xdg")
    assert result.returncode == 2, result.stderr
    assert NOT_TRUSTED in result.stderr
    assert "no training pairs" in result.stderr
    assert address not in result.stderr + result.stdout  # the database was never tried
    assert "Traceback" not in result.stderr
    events = _events(result.stdout)  # stdout stays JSON lines for the editor
    assert events[-1]["event"] == "error" and "no training pairs" in str(events[-1]["message"])


def test_finetune_uses_it_with_trust_workspace(tmp_path: Path) -> None:
    root, address = _workspace(tmp_path)
    result = _finetune(root, tmp_path, "--trust-workspace", xdg=tmp_path / "xdg")
    assert result.returncode == 2, result.stderr
    assert "not trusted" not in result.stderr
    assert address in result.stderr  # the dataset stage read the schema from that database
    assert "no training pairs" not in result.stderr
    assert "Traceback" not in result.stderr


def test_finetune_uses_it_for_an_allowlisted_root(tmp_path: Path) -> None:
    root, address = _workspace(tmp_path)
    xdg = tmp_path / "xdg"
    (xdg / "querywright").mkdir(parents=True)
    (xdg / "querywright" / "trusted-workspaces").write_text(f"{root.resolve()}\n", "utf-8")
    result = _finetune(root, tmp_path, xdg=xdg)
    assert result.returncode == 2, result.stderr
    assert "not trusted" not in result.stderr and address in result.stderr


def test_finetune_help_lists_the_flag() -> None:
    result = subprocess.run([sys.executable, "-m", "querywright.cli.main", "finetune", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--trust-workspace" in result.stdout
