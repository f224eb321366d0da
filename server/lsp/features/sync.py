"""Document sync (incremental): keep the session's documents current and tell listeners.

The session applies the incremental changes itself (``sql.edits``: the LSP's line and
UTF-16 rules, which pygls' document model does not follow everywhere).
An open schema file (migration) updates the catalog from its unsaved text, debounced;
closing it falls back to the file on disk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.edits import apply_change
from ..boundary import guarded

if TYPE_CHECKING:
    from ..server import QuerywrightServer

SCHEMA_DEBOUNCE_S = 0.1


def _schedule_schema(server: QuerywrightServer, rel: str, delay: float) -> None:
    @guarded(server, "schema update")
    async def job() -> None:
        doc = next((d for d in server.session.documents.values() if d.rel == rel), None)
        if server.session.update_schema_file(rel, doc.text if doc else None):
            server.events.catalog_changed.emit()
            server.send_status()

    server.debouncer.call(("schema", rel), delay, job)


def register(server: QuerywrightServer) -> None:
    session = server.session

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded(server, "didOpen")
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        doc = session.open(item.uri, item.text, item.version)
        if session.loaded and doc.rel is not None and session.kind_of(doc.rel) == "schema":
            _schedule_schema(server, doc.rel, 0)
        server.events.document_opened.emit(item.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(server, "didChange")
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        old = session.documents.get(uri)
        text = old.text if old is not None else server.workspace.get_text_document(uri).source
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                text = apply_change(text, (start.line, start.character), (end.line, end.character), change.text, server.utf16)
            else:
                text = change.text
        doc = session.change(uri, text, params.text_document.version)
        if session.loaded and doc.rel is not None and session.is_schema_document(uri):
            _schedule_schema(server, doc.rel, SCHEMA_DEBOUNCE_S)
        server.events.document_changed.emit(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded(server, "didSave")
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        server.events.document_saved.emit(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(server, "didClose")
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        was_schema = session.is_schema_document(uri)
        doc = session.close(uri)
        if doc is not None and was_schema and doc.rel is not None:
            _schedule_schema(server, doc.rel, 0)
        server.events.document_closed.emit(uri)
