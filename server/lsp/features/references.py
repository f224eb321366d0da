"""``textDocument/references``: uses of a column or table across the workspace's query
files (open documents with their unsaved text), or of an alias/CTE in its statement.

The workspace scan yields to the event loop between files, so ``$/cancelRequest`` stops it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.navigation import (
    Place,
    declared_at,
    is_workspace_wide,
    references,
    target_at,
    uses_in_file,
)
from ..boundary import guarded
from ..convert import Positions
from .definition import to_location

if TYPE_CHECKING:
    from ..server import QuerywrightServer


def register(server: QuerywrightServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded(server, "references", empty=[])
    async def find_references(params: types.ReferenceParams) -> list[types.Location]:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return []
        positions = Positions(snapshot.index, server.utf16)
        if not positions.contains(params.position):
            return []
        catalog = snapshot.catalog
        target = target_at(snapshot.index, snapshot.statement_list, catalog, positions.offset(params.position))
        if target is None:
            return []
        if not is_workspace_wide(target):
            places = references(target, [], catalog, snapshot.index, params.context.include_declaration)
        else:
            declaration = declared_at(target) if params.context.include_declaration else None
            places = [declaration] if declaration else []
            for path, text in server.session.query_texts(snapshot):
                places += uses_in_file(target, path, text, catalog)
                await asyncio.sleep(0)  # a cancellation point between files
        return [to_location(place, snapshot, positions) for place in places if isinstance(place, Place)]
