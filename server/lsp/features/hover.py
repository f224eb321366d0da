"""``textDocument/hover``: markdown about the table, column, alias or CTE under the cursor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.hover import hover_at
from ..boundary import guarded
from ..convert import Positions

if TYPE_CHECKING:
    from ..server import QuerywrightServer


def register(server: QuerywrightServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(server, "hover")
    def hover(params: types.HoverParams) -> types.Hover | None:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        positions = Positions(snapshot.index, server.utf16)
        if not positions.contains(params.position):
            return None
        found = hover_at(snapshot.index, snapshot.statement_list, snapshot.catalog, positions.offset(params.position))
        if found is None:
            return None
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
            range=positions.range(found.span),
        )
