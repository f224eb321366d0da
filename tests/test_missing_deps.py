"""A missing optional dependency gives one clear line naming the extra, exit code 2 and no
traceback from the CLI; the language server stays up and says it in its status."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from querywright.cli.main import missing_extra_message
from querywright.server.errors import CatalogError
from querywright.server.sql.introspect import introspect

from .support.lsp_client import initialize

REPO = Path(__file__).resolve().parent.parent
URL = "postgresql+pg8000://ro:pw@127.0.0.1:1/app"  # pg8000 is a driver SQLAlchemy knows and the product does not install


def test_extras_named_for_each_optional_module() -> None:
    assert missing_extra_message("psycopg") == "the Python module 'psycopg' is not installed: pip install 'querywright[postgres]'"
    assert missing_extra_message("xllamacpp").endswith("pip install 'querywright[local]'")
    assert missing_extra_message("torch.nn").endswith("pip install 'querywright[train]'")
    assert missing_extra_message("some_module_of_a_bug") is None


def test_missing_driver_is_a_catalog_error_with_the_install_line() -> None:
    try:
        introspect(URL, "postgres")
    except CatalogError as exc:
        text = str(exc)
    assert "needs the Python module 'pg8000'" in text and "querywright[postgres]" in text and ":pw@" not in text


def test_cli_says_which_driver_to_install(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "shop", root)
    (root / "querywright.toml").write_text(f'database_url = "{URL}"\n', "utf-8")
    result = subprocess.run([sys.executable, "-m", "querywright.cli.main", "schema", "--trust-workspace", "--workspace", str(root)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "pg8000" in lines[0] and "querywright[postgres]" in lines[0]


SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "querywright.cli.main", "lsp"])


@pytest_lsp.fixture(config=SERVER)
async def client(client: LanguageClient, tmp_path: Path):
    root = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "shop", root)
    await initialize(client, root, {"database_url": URL})
    yield
    await client.shutdown_session()


async def test_language_server_stays_up_and_says_it(client: LanguageClient) -> None:
    while not any("pg8000" in s["message"] for s in client.statuses):  # type: ignore[attr-defined]
        await asyncio.wait_for(client.protocol.wait_for_notification_async("querywright/status"), 30)
    status = next(s for s in client.statuses if "pg8000" in s["message"])  # type: ignore[attr-defined]
    assert "querywright[postgres]" in status["message"] and status["tables"] == 0
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    assert symbols is not None  # still answering requests
