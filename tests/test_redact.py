"""Credentials never appear in output: the masking rules, then real CLI runs and a real
language-server start-up with a known password, every output grepped for it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient
from querywright.server.redact import mask_text, mask_url
from sqlalchemy.engine import make_url

from .support.lsp_client import initialize

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "Xq7-very-secret-pw"
KEY = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX0123"


def test_url_password_is_masked() -> None:
    assert mask_url(f"postgresql://ro:{PASSWORD}@db/app") == "postgresql://ro:***@db/app"
    assert mask_url(f"postgresql+psycopg://ro:{PASSWORD}@db:5432/app?sslmode=require") == "postgresql+psycopg://ro:***@db:5432/app?sslmode=require"
    assert mask_url("postgresql://ro@db/app") == "postgresql://ro@db/app"
    assert mask_url("sqlite:///data/app.db") == "sqlite:///data/app.db"
    assert mask_url(None) == ""


def test_query_string_secrets_and_keys_are_masked() -> None:
    url = f"postgresql://db/app?user=ro&password={PASSWORD}&token=t0k&api_key=k3y&sslmode=disable"
    assert mask_url(url) == "postgresql://db/app?user=ro&password=***&token=***&api_key=***&sslmode=disable"
    assert mask_text(f"using {KEY} now") == "using *** now"
    assert mask_text(f"Authorization: Bearer {PASSWORD}") == "Authorization: Bearer ***"
    assert mask_text(f"error at http://u:{PASSWORD}@10.0.0.1:11434/api: refused") == "error at http://u:***@10.0.0.1:11434/api: refused"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "querywright.cli.main", *args], capture_output=True, text=True, timeout=120)


def _workspace(tmp_path: Path, name: str, url: str) -> Path:
    root = tmp_path / name
    shutil.copytree(REPO / "examples" / "shop", root)
    (root / "querywright.toml").write_text(f'database_url = "{url}"\n', "utf-8")
    return root


def _with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def test_cli_outputs_never_show_the_password(tmp_path: Path, postgres_url: str) -> None:
    workspaces = {
        "live": _with_password(postgres_url),  # the test cluster trusts local connections: the password is ignored
        "refused": f"postgresql+psycopg://ro:{PASSWORD}@127.0.0.1:1/app",
        "nodriver": f"postgresql+nosuchdriver://ro:{PASSWORD}@db/app",
    }
    outputs: list[str] = []
    for name, url in workspaces.items():
        root = _workspace(tmp_path, name, url)
        for args in (("schema",), ("schema", "--json"), ("check", "--json")):
            result = _cli(*args, "--trust-workspace", "--workspace", str(root))
            outputs += [result.stdout, result.stderr]
            assert "Traceback" not in result.stderr, result.stderr
            if name == "live" and args == ("schema", "--json"):
                assert result.returncode == 0, result.stderr
                assert isinstance(json.loads(result.stdout)["tables"], list)
            if name != "live" and args[0] == "schema":
                assert result.returncode == 2
                assert "***" in result.stderr
        outputs += [p.read_text("utf-8", "replace") for p in root.rglob("*") if p.is_file() and p.suffix in (".json", ".log", ".jsonl")]
    joined = "\n".join(outputs)
    assert "ro:***@" in joined
    assert PASSWORD not in joined


SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "querywright.cli.main", "lsp"])


@pytest_lsp.fixture(config=SERVER)
async def client_with_secret(client: LanguageClient, tmp_path: Path):
    root = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "shop", root)
    options = {"database_url": f"postgresql+psycopg://ro:{PASSWORD}@127.0.0.1:1/app", "trusted": True,
               "ollama_host": f"http://u:{PASSWORD}@127.0.0.1:1"}
    await initialize(client, root, options)
    client.root = root  # type: ignore[attr-defined]
    yield
    await client.shutdown_session()


async def test_language_server_start_up_never_shows_the_password(client_with_secret: LanguageClient) -> None:
    client = client_with_secret
    while not client.statuses:  # type: ignore[attr-defined]
        await client.protocol.wait_for_notification_async("querywright/status")
    texts = [json.dumps(s) for s in client.statuses]  # type: ignore[attr-defined]
    texts += [m.message for m in client.log_messages] + [m.message for m in client.messages]
    joined = "\n".join(texts)
    assert "cannot load the schema" in joined and "ro:***@" in joined
    assert PASSWORD not in joined
    files = [p.read_text("utf-8", "replace") for p in client.root.rglob("*") if p.is_file() and p.suffix in (".json", ".log", ".jsonl")]  # type: ignore[attr-defined]
    assert not any(PASSWORD in f for f in files)
