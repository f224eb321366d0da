"""``textDocument/references``: uses of a column or table across the workspace's query
files (open documents with their unsaved text), or of an alias/CTE in its statement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.navigation import references, target_at
from ..boundary import guarded
from ..convert import Positions
from .definition import to_location

if TYPE_CHECKING:
    from ..server import QuerywrightServer


def register(server: QuerywrightServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded(server, "references", empty=[])
    def find_references(params: types.ReferenceParams) -> list[types.Location]:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return []
        positions = Positions(snapshot.index, server.utf16)
        if not positions.contains(params.position):
            return []
        target = target_at(snapshot.index, snapshot.statement_list, snapshot.catalog, positions.offset(params.position))
        if target is None:
            return []
        files = server.session.query_texts(snapshot) if target.kind in ("column", "table") else []
        places = references(target, files, snapshot.catalog, snapshot.index, params.context.include_declaration)
        return [to_location(place, snapshot, positions) for place in places]
