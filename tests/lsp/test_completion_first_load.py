"""Completion before the first load: a request sent right after ``initialize``, while the
initial catalog of a large workspace is still being read, waits for that catalog and
answers the final, correct list instead of an empty one.

The workspace is 1,000 generated Flyway migrations (the table completed on is created
by the last one), so the first load takes a real, measurable time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..support.lsp_client import initialize
from .conftest import open_document

MIGRATIONS = 1000
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "querywright.cli.main", "lsp"])


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "big"
    migrations = root / "db" / "migration"
    migrations.mkdir(parents=True)
    (root / "querywright.toml").write_text('dialect = "postgres"\nschema_paths = ["db/migration/**/*.sql"]\nquery_paths = ["queries/**/*.sql"]\n', encoding="utf-8")
    for n in range(1, MIGRATIONS + 1):
        ddl = f"CREATE TABLE table_{n:04d} (id bigint PRIMARY KEY, name_{n:04d} text NOT NULL, created_at timestamp DEFAULT now());\n"
        if n > 1:
            ddl += f"ALTER TABLE table_{n:04d} ADD COLUMN parent_id bigint REFERENCES table_{n - 1:04d} (id);\n"
        (migrations / f"V{n}__table_{n:04d}.sql").write_text(ddl, encoding="utf-8")
    (root / "queries").mkdir()
    return root


@pytest_lsp.fixture(config=SERVER)
async def fresh_client(client: LanguageClient, workspace: Path):
    """A client initialised on ``workspace`` that does not wait for the first status."""
    await initialize(client, workspace, {"dialect": "postgres"}, folder="big")
    yield
    await client.shutdown_session()


@pytest.mark.asyncio
async def test_completion_right_after_initialize_waits_for_the_catalog(fresh_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "q.sql"
    text = "SELECT  FROM table_1000 t"
    path.write_text(text, encoding="utf-8")
    uri = open_document(fresh_client, path, text)
    result = await fresh_client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 7))
    )
    assert isinstance(result, types.CompletionList)
    labels = {item.label for item in result.items}
    assert {"name_1000", "parent_id", "created_at"} <= labels
    assert "t" in labels
