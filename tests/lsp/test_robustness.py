"""Bad input never takes the server down: unknown documents, positions past the end, NUL
bytes, a 100,000-line document, a flood of changes, cancelled requests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import TIMEOUT_S, change_document, codes, open_document, wait_for_diagnostics

FAR = types.Position(1_000_000, 1_000_000)


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def still_alive(client: LanguageClient, uri: str, position: types.Position) -> None:
    result = await client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=position))
    assert result is not None and "users" in result.contents.value  # type: ignore[union-attr]


async def test_requests_for_unknown_documents_are_empty(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = (workspace / "never-opened.sql").as_uri()
    assert await lsp_client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=types.Position(0, 0))) is None
    assert list(await lsp_client.text_document_definition_async(types.DefinitionParams(text_document=doc(uri), position=types.Position(0, 0))) or []) == []
    references = await lsp_client.text_document_references_async(types.ReferenceParams(text_document=doc(uri), position=types.Position(0, 0), context=types.ReferenceContext(include_declaration=True)))
    assert list(references or []) == []
    assert list(await lsp_client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(uri))) or []) == []
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    assert list(await lsp_client.text_document_formatting_async(types.DocumentFormattingParams(text_document=doc(uri), options=options)) or []) == []
    actions = await lsp_client.text_document_code_action_async(types.CodeActionParams(text_document=doc(uri), range=types.Range(FAR, FAR), context=types.CodeActionContext(diagnostics=[])))
    assert list(actions or []) == []


async def test_positions_past_the_end(lsp_client: LanguageClient, workspace: Path) -> None:
    text = "SELECT email FROM users"
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", text)
    assert await lsp_client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=FAR)) is None
    assert list(await lsp_client.text_document_definition_async(types.DefinitionParams(text_document=doc(uri), position=FAR)) or []) == []
    actions = await lsp_client.text_document_code_action_async(types.CodeActionParams(text_document=doc(uri), range=types.Range(FAR, FAR), context=types.CodeActionContext(diagnostics=[])))
    assert isinstance(actions, (list, tuple))
    await still_alive(lsp_client, uri, types.Position(0, 19))


async def test_nul_bytes(lsp_client: LanguageClient, workspace: Path) -> None:
    text = "SELECT \x00 FROM users;\nSELECT email FROM users;\n"
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", text)
    diagnostics = await wait_for_diagnostics(lsp_client, uri)
    assert all(d.range.start.line == 0 for d in diagnostics)
    await still_alive(lsp_client, uri, types.Position(1, 20))


async def test_hundred_thousand_lines(lsp_client: LanguageClient, workspace: Path) -> None:
    block = "SELECT u.id,\n       u.email\nFROM users u\nWHERE u.id = {n}\n;\n"
    text = "".join(block.format(n=n % 50) for n in range(20_000)) + "SELECT nme FROM users;\n"
    assert text.count("\n") == 100_001
    uri = open_document(lsp_client, workspace / "queries" / "big.sql", text)
    await still_alive(lsp_client, uri, types.Position(100_000, 17))
    diagnostics = await wait_for_diagnostics(lsp_client, uri)
    assert codes(diagnostics) == [(100_000, "unknown-column")]


async def test_flood_of_changes_ends_in_the_right_state(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", "SELECT email FROM users;\n")
    await wait_for_diagnostics(lsp_client, uri)
    for version in range(2, 502):  # type 500 characters one at a time, then delete them
        character = 12 + version - 2
        change_document(lsp_client, uri, version, (0, character), (0, character), "x")
    change_document(lsp_client, uri, 502, (0, 12), (0, 512), "")
    lsp_client.diagnostics.pop(uri, None)
    change_document(lsp_client, uri, 503, (0, 7), (0, 12), "nme")
    expected = [("unknown-column", 7, 10)]  # intermediate versions may publish first: wait for the last state
    diagnostics = await wait_for_diagnostics(lsp_client, uri, lambda d: [(x.code, x.range.start.character, x.range.end.character) for x in d] == expected)
    assert "did you mean name?" in diagnostics[0].message
    await still_alive(lsp_client, uri, types.Position(0, 18))


async def test_cancelled_request_leaves_the_server_working(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "reports.sql")
    params = types.ReferenceParams(text_document=doc(uri), position=types.Position(1, 15), context=types.ReferenceContext(include_declaration=True))
    pending = lsp_client.protocol.send_request(types.TEXT_DOCUMENT_REFERENCES, params, msg_id="cancel-me")
    lsp_client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="cancel-me"))
    try:
        await asyncio.wait_for(asyncio.wrap_future(pending), TIMEOUT_S)
    except (JsonRpcException, asyncio.CancelledError):
        pass  # cancelled before it ran; answering first is fine too
    await still_alive(lsp_client, uri, types.Position(2, 6))


async def test_positions_are_utf16_code_units(lsp_client: LanguageClient, workspace: Path) -> None:
    text = "SELECT '\U0001f600', nme, email FROM users;\n"  # the emoji is two UTF-16 units
    uri = open_document(lsp_client, workspace / "queries" / "q.sql", text)
    [diagnostic] = await wait_for_diagnostics(lsp_client, uri, lambda d: len(d) > 0)
    assert diagnostic.range == types.Range(types.Position(0, 13), types.Position(0, 16))
    result = await lsp_client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=types.Position(0, 20)))
    assert result is not None and result.range == types.Range(types.Position(0, 18), types.Position(0, 23))
    assert "users.email" in result.contents.value  # type: ignore[union-attr]
