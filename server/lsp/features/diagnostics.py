"""Diagnostics: publish check issues for query documents and catalog issues for schema files.

Publishing is debounced per document (``DEBOUNCE_S`` after the last change, at once on
open and save) and re-run for every open document when the catalog changes. Checks are
cached per statement (``CheckCache``), so an edit re-checks one statement; the loop
yields to the event loop between chunks so requests are served meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.issues import Issue
from ..boundary import guarded
from ..convert import Positions
from ..session import Snapshot

if TYPE_CHECKING:
    from ..server import QuerywrightServer

DEBOUNCE_S = 0.05  # analysis of an edit is a few ms (statement cache): a short pause suffices
CHUNK = 64  # statements checked between yields to the event loop


class DiagnosticsPublisher:
    def __init__(self, server: QuerywrightServer) -> None:
        self.server = server

    def schedule(self, uri: str, delay: float = DEBOUNCE_S) -> None:
        server = self.server

        @guarded(server, "diagnostics")
        async def job() -> None:
            await self.publish(uri)

        server.debouncer.call(("diagnostics", uri), delay, job)

    def schedule_all(self) -> None:
        for uri in list(self.server.session.documents):
            self.schedule(uri, 0)

    def clear(self, uri: str) -> None:
        self.server.debouncer.cancel(("diagnostics", uri))
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    async def issues(self, snapshot: Snapshot) -> list[Issue]:
        if snapshot.is_schema:
            return [i for i in snapshot.catalog.issues if i.path == snapshot.rel]
        cache = self.server.session.checks
        out: list[Issue] = []
        for i, statement in enumerate(snapshot.statements):
            if statement.is_blank:
                continue
            out.extend(cache.statement_issues(statement, snapshot.index, snapshot.catalog, snapshot.generation, snapshot.rel))
            if i % CHUNK == CHUNK - 1:
                await asyncio.sleep(0)
        return out

    async def publish(self, uri: str) -> None:
        session = self.server.session
        if not session.loaded:
            return  # published once the schema is loaded (catalog_changed)
        snapshot = session.snapshot(uri)
        if snapshot is None:
            return
        issues = await self.issues(snapshot)
        current = session.documents.get(uri)
        if current is None or current.version != snapshot.version or session.generation != snapshot.generation:
            return  # stale: a newer run is scheduled
        positions = Positions(snapshot.index, self.server.utf16)
        diagnostics = [positions.diagnostic(issue, snapshot.root) for issue in issues]
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=snapshot.version))


def register(server: QuerywrightServer) -> None:
    publisher = DiagnosticsPublisher(server)
    events = server.events
    events.document_opened.connect(lambda uri: publisher.schedule(uri, 0))
    events.document_changed.connect(lambda uri: publisher.schedule(uri))
    events.document_saved.connect(lambda uri: publisher.schedule(uri, 0))
    events.document_closed.connect(publisher.clear)
    events.catalog_changed.connect(publisher.schedule_all)
    events.config_changed.connect(publisher.schedule_all)
