"""Shared fixtures of the language-server end-to-end tests.

``lsp_client`` is the fixture to use: a pytest-lsp ``LanguageClient`` with VS Code's
capabilities, connected to ``querywright lsp`` started as a subprocess
(``python -m querywright.cli.main lsp``) and initialised on ``workspace``, a copy of
``examples/shop`` (Flyway migrations, postgres) under ``tmp_path``. The fixture returns
once the server sent its first ``querywright/status`` (schema loaded).

Helpers: ``open_document(client, path)`` opens a workspace file (returns its URI),
``wait_for_diagnostics(client, uri, predicate)`` waits, event-driven, for a
``publishDiagnostics`` of ``uri`` that satisfies ``predicate``, and
``apply_edits(text, edits)`` applies LSP text edits to a string. The client records the
server's dynamic registrations in ``client.registrations``, every ``querywright/status``
in ``client.statuses`` (``wait_for_status`` waits for one) and the first in
``client.first_status``. Tests that need other
initialization options override the ``init_options`` fixture.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..support.lsp_client import STATUS, initialize

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"
TIMEOUT_S = 30  # a safety net for a hung server, not a wait

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "querywright.cli.main", "lsp"])


@pytest.fixture
def workspace(shop_workspace: Path) -> Path:
    """The workspace the client opens: a private copy of ``examples/shop``."""
    return shop_workspace


@pytest.fixture
def init_options() -> dict[str, Any]:
    return {"dialect": "postgres"}


@pytest_lsp.fixture(config=SERVER)
async def lsp_client(client: LanguageClient, workspace: Path, init_options: dict[str, Any]):
    await initialize(client, workspace, init_options)
    client.first_status = await wait_for_status(client, 0)  # type: ignore[attr-defined]
    yield
    await client.shutdown_session()


def open_document(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="sql", version=version, text=path.read_text() if text is None else text)
        )
    )
    return uri


def change_document(client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
    """One incremental change, as VS Code sends it."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(*start), types.Position(*end)),
                    text=text,
                )
            ],
        )
    )


async def wait_for_diagnostics(
    client: LanguageClient,
    uri: str,
    predicate: Callable[[Sequence[types.Diagnostic]], bool] = lambda d: True,
) -> Sequence[types.Diagnostic]:
    """The first diagnostics of ``uri`` (already received or arriving) matching ``predicate``.

    Clear ``client.diagnostics[uri]`` before the action whose diagnostics you await."""
    while True:
        arrival = client.protocol.wait_for_notification_async(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        current = client.diagnostics.get(uri)
        if current is not None and predicate(current):
            return current
        await asyncio.wait_for(arrival, TIMEOUT_S)


async def wait_for_status(client: LanguageClient, since: int, predicate: Callable[[dict[str, Any]], bool] = lambda s: True) -> dict[str, Any]:
    """The first ``querywright/status`` received after the first ``since`` ones that
    satisfies ``predicate`` (take ``since = len(client.statuses)`` before acting)."""
    statuses: list[dict[str, Any]] = client.statuses  # type: ignore[attr-defined]
    while True:
        arrival = client.protocol.wait_for_notification_async(STATUS)
        found = next((s for s in statuses[since:] if predicate(s)), None)
        if found is not None:
            return found
        await asyncio.wait_for(arrival, TIMEOUT_S)


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[tuple[int, str]]:
    return sorted((d.range.start.line, str(d.code)) for d in diagnostics)


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply LSP edits (ASCII text: characters = UTF-16 units)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: types.Position) -> int:
        return starts[p.line] + p.character if p.line < len(starts) else len(text)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def position_of(text: str, needle: str, delta: int = 0) -> types.Position:
    """The position of ``needle`` (+ ``delta`` characters) in ``text``."""
    offset = text.index(needle) + delta
    line = text.count("\n", 0, offset)
    return types.Position(line, offset - (text.rfind("\n", 0, offset) + 1))
