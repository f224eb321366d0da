"""Fixtures of the fault tests: a language-server client like ``tests/lsp``'s (the real
``querywright lsp`` over stdio) whose server has an empty model cache, the tiny
random-weight llama of ``tests/trainer``, and a runner for the ``querywright`` command in
a subprocess with its own model cache.

The server's model cache (``QUERYWRIGHT_HOME``) is empty so that a sick Ollama backend is
not replaced by the built-in fallback model: the tests see the sick backend itself, at no
model cost.

``run_cli`` starts ``python -m querywright.cli.main`` with ``QUERYWRIGHT_HOME`` (the model
cache, registry and converters) and ``HOME`` in a private folder, so a test sees only the
models it put there; ``preexec`` runs in the child before it starts (resource limits).
"""

from __future__ import annotations

import atexit
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from ..ai.conftest import smollm2_gguf  # noqa: F401  (fixture: the real SmolLM2 GGUF)
from ..lsp.conftest import wait_for_status, workspace  # noqa: F401  (fixture)
from ..support.lsp_client import initialize
from ..trainer.conftest import pairs_file, tiny_llama  # noqa: F401  (fixtures)
from ..trainer.test_export import adapter, converter, spm_llama  # noqa: F401  (fixtures)

CLI = [sys.executable, "-m", "querywright.cli.main"]
NO_MODELS_HOME = tempfile.mkdtemp(prefix="qw-faults-home-")  # stays empty
atexit.register(shutil.rmtree, NO_MODELS_HOME, True)
SERVER = ClientServerConfig(
    server_command=[*CLI, "lsp"],
    server_env={**{k: v for k, v in os.environ.items() if not k.startswith("QUERYWRIGHT_")},
                "QUERYWRIGHT_HOME": NO_MODELS_HOME},
)


@pytest.fixture
def init_options() -> dict[str, Any]:
    return {"dialect": "postgres"}


@pytest_lsp.fixture(config=SERVER)
async def lsp_client(client: LanguageClient, workspace: Path, init_options: dict[str, Any]):  # noqa: F811
    """As ``tests/lsp``'s fixture: initialised on ``workspace``, returns after the first
    ``querywright/status``; ``client.statuses`` records every status."""
    await initialize(client, workspace, init_options)
    client.first_status = await wait_for_status(client, 0)  # type: ignore[attr-defined]
    yield
    await client.shutdown_session()


@pytest.fixture
def qw_home(tmp_path: Path) -> Path:
    """An empty per-user folder (``QUERYWRIGHT_HOME``): no built-in model, no registry."""
    home = tmp_path / "qw-home"
    home.mkdir()
    return home


def cli_env(qw_home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUERYWRIGHT_")}
    env.update(QUERYWRIGHT_HOME=str(qw_home), HOME=str(qw_home), PYTHONUNBUFFERED="1", **extra)
    # the GGUF converters are fetched once per user: share the real user's copy when present
    from querywright.trainer.gguf import converter_cache

    converters = converter_cache().parent
    if converters.is_dir() and not (qw_home / "llama.cpp-convert").exists():
        (qw_home / "llama.cpp-convert").symlink_to(converters, target_is_directory=True)
    return env


def run_cli(args: Sequence[str], qw_home: Path, *, timeout: float = 60,
            preexec: Callable[[], None] | None = None, cwd: Path | None = None,
            **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env=cli_env(qw_home, **env), preexec_fn=preexec, cwd=cwd, check=False)


def file_size_limit(limit: int) -> Callable[[], None]:
    """A ``preexec`` that caps every file the child writes at ``limit`` bytes: a write past
    it fails with EFBIG, as on a full disk (SIGXFSZ, which would kill the child, ignored)."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def assert_one_clear_error(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    """A non-zero exit with one ``querywright: error`` line on stderr, no traceback; the
    line is returned and must contain each of ``needles``."""
    assert done.returncode != 0, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("querywright:")]
    assert len(errors) == 1, done.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]
