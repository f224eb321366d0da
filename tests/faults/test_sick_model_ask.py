"""``querywright ask`` against a sick Ollama backend (``CannedOllama`` of ``tests/support/fake_ollama.py``):
down, slow (10 s against ``--timeout 2``), the connection dropped mid-stream, garbage JSON,
bytes that are not UTF-8, HTTP 500. Each time: one clear ``querywright: error`` line naming
the fault, a non-zero exit, no traceback, and no SQL on stdout. The model cache is empty,
so the built-in fallback is not there to hide the fault (its absence is said on the line).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.fake_ollama import CannedOllama
from .conftest import assert_one_clear_error, run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"
SICK = {"down": "is not reachable", "slow": "did not answer within 2 s", "cut": "was cut off",
        "garbage": "sent a malformed response", "non_utf8": "sent text that is not valid UTF-8",
        "http500": "failed (HTTP 500)"}


@pytest.fixture
def canned() -> Iterator[CannedOllama]:
    with CannedOllama(slow_s=10.0) as server:
        yield server


def shop_with(tmp_path: Path, host: str) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(EXAMPLE, root)
    (root / "querywright.toml").write_text(f'model = "ollama:canned"\nollama_host = "{host}"\n')
    return root


def ask(root: Path, qw_home: Path):  # type: ignore[no-untyped-def]
    return run_cli(["ask", "--workspace", str(root), "--trust-workspace", "--timeout", "2",
                    "--samples", "1", "how many users are there"], qw_home)


def test_healthy_backend_answers(canned: CannedOllama, tmp_path: Path, qw_home: Path) -> None:
    """The control: the same command with the backend well prints SQL and exits 0."""
    canned.reply = " COUNT(*) FROM users"
    done = ask(shop_with(tmp_path, canned.url), qw_home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "SELECT COUNT(*) FROM users;"


@pytest.mark.parametrize("mode", SICK)
def test_sick_backend_is_one_clear_error(mode: str, canned: CannedOllama, tmp_path: Path,
                                         qw_home: Path) -> None:
    root = shop_with(tmp_path, canned.url)
    if mode == "down":
        canned.stop()
    else:
        canned.mode = mode  # type: ignore[assignment]
    started = time.monotonic()
    done = ask(root, qw_home)
    assert time.monotonic() - started < 15  # the 10 s stall is cut by --timeout 2
    line = assert_one_clear_error(done, SICK[mode], "built-in fallback is unavailable")
    assert "ollama" in line.lower()
    assert done.stdout == ""
    assert done.returncode == 2
