"""Workspace trust over stdio: an untrusted workspace's ``ollama_host`` is never contacted.

The workspace file points ``ollama_host`` at ``tests/support/recording_http.py`` (a
stand-in for a remote Ollama that remembers every request). Without the client's
``trusted`` flag the server warns why the setting is ignored and never calls it, even when
asked for a suggestion (it falls back to the local default); with the flag the same setting
is used, and the flag holds when ``workspace/didChangeConfiguration`` pulls settings that
do not carry it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..support.recording_http import Recorder
from .conftest import EXAMPLE, TIMEOUT_S, open_document

pytestmark = pytest.mark.model  # the untrusted fallback is the builtin model
NOT_TRUSTED = "ollama_host: ignored: this workspace is not trusted"
MODEL_TIMEOUT_S = 240
INLINE = {"debounce_ms": 0, "max_candidates": 1, "timeout_ms": 20_000}


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with Recorder() as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path, recorder: Recorder) -> Path:
    import shutil

    root = tmp_path / "shop"
    shutil.copytree(EXAMPLE, root)
    config = root / "querywright.toml"
    config.write_text(config.read_text("utf-8") + f'model = "ollama:smollm2"\nollama_host = "{recorder.url}"\n', "utf-8")
    return root


async def _inline(client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "trust.sql"
    text = "SELECT email FROM users WHERE "
    path.write_text(text)
    uri = open_document(client, path)
    await asyncio.wait_for(
        client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, len(text)),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked))),
        MODEL_TIMEOUT_S)


async def _pull_settings(client: LanguageClient) -> str:
    """didChangeConfiguration; the pulled settings lack ``trusted`` and hold one bad key,
    so the server answers with a warning listing every config problem."""
    client.set_configuration({"dialect": "postgres", "inline": INLINE, "max_file_size_mb": "big"}, section="querywright")
    arrival = client.protocol.wait_for_notification_async(types.WINDOW_SHOW_MESSAGE)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    await asyncio.wait_for(arrival, TIMEOUT_S)
    return client.messages[-1].message


class TestUntrusted:
    @pytest.fixture
    def init_options(self) -> dict[str, Any]:
        return {"dialect": "postgres", "inline": INLINE}

    async def test_ollama_host_is_not_used_and_the_warning_says_why(self, lsp_client: LanguageClient, workspace: Path,
                                                                   recorder: Recorder) -> None:
        warnings = [m.message for m in lsp_client.messages if m.type == types.MessageType.Warning]
        assert any(NOT_TRUSTED in m for m in warnings), warnings
        assert any("--trust-workspace" in m for m in warnings)
        await _inline(lsp_client, workspace)
        assert recorder.paths == []
        assert NOT_TRUSTED in await _pull_settings(lsp_client)  # still untrusted after a reconfiguration
        await _inline(lsp_client, workspace)
        assert recorder.paths == []


class TestTrusted:
    @pytest.fixture
    def init_options(self) -> dict[str, Any]:
        return {"dialect": "postgres", "inline": INLINE, "trusted": True}

    async def test_ollama_host_is_used_and_trust_survives_reconfiguration(self, lsp_client: LanguageClient, workspace: Path,
                                                                          recorder: Recorder) -> None:
        assert not any("not trusted" in m.message for m in lsp_client.messages)
        await _inline(lsp_client, workspace)
        assert recorder.paths  # the workspace's host was asked
        message = await _pull_settings(lsp_client)
        assert "max_file_size_mb" in message and "not trusted" not in message
