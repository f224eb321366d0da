"""``workspace/didChangeWatchedFiles``: schema files changed on disk update the catalog,
config files reload the configuration; files open in the editor keep their unsaved text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ..boundary import guarded
from ..session import CONFIG_FILES

if TYPE_CHECKING:
    from ..server import QuerywrightServer


def register(server: QuerywrightServer) -> None:
    session = server.session

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded(server, "didChangeWatchedFiles")
    async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        if not session.loaded:
            return
        open_rels = {d.rel for d in session.documents.values()}
        catalog_changed = False
        for change in params.changes:
            rel = session.rel_path(change.uri)
            if rel is None:
                continue
            if rel in CONFIG_FILES:
                await server.reconfigure()
                return
            if not rel.lower().endswith(".sql") or rel in open_rels:
                continue
            deleted = change.type == types.FileChangeType.Deleted
            kind = session.kind_of(rel)
            if kind == "schema":
                catalog_changed |= session.update_schema_file(rel, None)
            elif deleted:
                session.forget_query_file(rel)
            else:
                session.add_query_file(rel)
        if catalog_changed:
            server.events.catalog_changed.emit()
            server.send_status()
