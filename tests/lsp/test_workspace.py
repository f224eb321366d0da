"""Settings, status, file watching registration and the schema commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import wait_for_status


async def test_status_after_initialisation(lsp_client: LanguageClient) -> None:
    status = lsp_client.first_status  # type: ignore[attr-defined]
    assert set(status) == {"model", "backend", "tables", "message"}
    assert (status["model"], status["tables"]) == ("builtin:smollm2-135m", 6)
    assert status["backend"] in ("ready", "loading", "offline", "disabled")


async def test_watchers_are_registered_for_sql_and_config_files(lsp_client: LanguageClient) -> None:
    [registration] = lsp_client.registrations  # type: ignore[attr-defined]
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    globs = [w["globPattern"] for w in registration.register_options["watchers"]]
    assert globs == ["**/*.sql", "**/querywright.toml", "**/pyproject.toml"]


async def test_commands_reload_schema_and_schema(lsp_client: LanguageClient, workspace: Path) -> None:
    (workspace / "db" / "migration" / "V12__tags.sql").write_text("CREATE TABLE tags (id INT PRIMARY KEY, label TEXT);\n")
    result = await lsp_client.workspace_execute_command_async(types.ExecuteCommandParams(command="querywright.reloadSchema"))
    assert result == {"tables": 7}
    schema: Any = await lsp_client.workspace_execute_command_async(types.ExecuteCommandParams(command="querywright.schema"))
    assert schema["dialect"] == "postgres"
    tags = next(t for t in schema["tables"] if t["name"] == "tags")
    assert [c["name"] for c in tags["columns"]] == ["id", "label"]
    assert tags["source"] == {"path": "db/migration/V12__tags.sql", "line": 1}


async def test_unknown_command_is_an_error_and_the_server_stays_up(lsp_client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException, match="unknown command"):
        await lsp_client.workspace_execute_command_async(types.ExecuteCommandParams(command="querywright.nope"))
    assert await lsp_client.workspace_execute_command_async(types.ExecuteCommandParams(command="querywright.reloadSchema")) == {"tables": 6}


class TestBadInitializationOptions:
    @pytest.fixture
    def init_options(self) -> dict[str, Any]:
        return {"dialect": "postgres", "inline": {"debounce_ms": "fast"}, "colour": "blue"}

    async def test_bad_settings_are_shown_and_defaults_used(self, lsp_client: LanguageClient) -> None:
        [message] = lsp_client.messages
        assert message.type == types.MessageType.Warning
        assert "inline.debounce_ms" in message.message and "colour: unknown setting" in message.message
        assert lsp_client.first_status["tables"] == 6  # type: ignore[attr-defined]


async def test_did_change_configuration_pulls_and_validates(lsp_client: LanguageClient, workspace: Path) -> None:
    lsp_client.set_configuration({"dialect": "postgres", "model": "ollama:sqlcoder", "max_file_size_mb": "big"}, section="querywright")
    since = len(lsp_client.statuses)  # type: ignore[attr-defined]
    lsp_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    await wait_for_status(lsp_client, since, lambda s: s["model"] == "ollama:sqlcoder")
    [message] = lsp_client.messages
    assert message.type == types.MessageType.Warning and "max_file_size_mb" in message.message


async def test_config_file_change_reloads_config(lsp_client: LanguageClient, workspace: Path) -> None:
    config = workspace / "querywright.toml"
    config.write_text(config.read_text() + 'model = "ollama:duckdb-nsql"\n')
    since = len(lsp_client.statuses)  # type: ignore[attr-defined]
    lsp_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)])
    )
    await wait_for_status(lsp_client, since, lambda s: s["model"] == "ollama:duckdb-nsql")


async def test_workspace_folder_change_moves_the_schema_root(lsp_client: LanguageClient, workspace: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    (other / "migrations").mkdir(parents=True)
    (other / "migrations" / "V1__t.sql").write_text("CREATE TABLE only_here (id INT);\n")
    since = len(lsp_client.statuses)  # type: ignore[attr-defined]
    lsp_client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=other.as_uri(), name="other")],
                removed=[types.WorkspaceFolder(uri=workspace.as_uri(), name="shop")],
            )
        )
    )
    await wait_for_status(lsp_client, since, lambda s: s["tables"] == 1)
    schema: Any = await lsp_client.workspace_execute_command_async(types.ExecuteCommandParams(command="querywright.schema"))
    assert [t["name"] for t in schema["tables"]] == ["only_here"]


class TestUnusableDatabaseUrl:
    @pytest.fixture
    def init_options(self) -> dict[str, Any]:
        return {"dialect": "postgres", "database_url": "nosuchdriver://x/y"}

    async def test_empty_catalog_and_the_reason_is_shown(self, lsp_client: LanguageClient, workspace: Path) -> None:
        status = await wait_for_status(lsp_client, 0, lambda s: "cannot load the schema" in s["message"])
        assert status["tables"] == 0
        assert any("database_url" in m.message for m in lsp_client.messages)
