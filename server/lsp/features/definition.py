"""``textDocument/definition``: the CREATE/ALTER of a table or column, or the alias/CTE
definition in the document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.navigation import Place, definition, target_at
from ..boundary import guarded
from ..convert import Positions, path_uri, span_location
from ..session import Snapshot

if TYPE_CHECKING:
    from ..server import QuerywrightServer


def to_location(place: Place, snapshot: Snapshot, positions: Positions) -> types.Location:
    if place.path is None or place.path == snapshot.rel:
        return types.Location(uri=snapshot.uri, range=positions.range(place.span))
    return span_location(path_uri(snapshot.root, place.path), place.span)


def register(server: QuerywrightServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded(server, "definition", empty=[])
    def goto_definition(params: types.DefinitionParams) -> list[types.Location]:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return []
        positions = Positions(snapshot.index, server.utf16)
        if not positions.contains(params.position):
            return []
        target = target_at(snapshot.index, snapshot.statement_list, snapshot.catalog, positions.offset(params.position))
        if target is None:
            return []
        return [to_location(place, snapshot, positions) for place in definition(target)]
