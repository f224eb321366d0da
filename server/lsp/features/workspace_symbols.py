"""``workspace/symbol``: tables, views and columns of the catalog, at their DDL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.symbols import workspace_symbols
from ..boundary import guarded
from ..convert import location

if TYPE_CHECKING:
    from ..server import QuerywrightServer

_KINDS = {"table": types.SymbolKind.Class, "view": types.SymbolKind.Interface, "column": types.SymbolKind.Field}


def register(server: QuerywrightServer) -> None:
    @server.feature(types.WORKSPACE_SYMBOL)
    @guarded(server, "workspace/symbol", empty=[])
    def symbols(params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation]:
        session = server.session
        if not session.loaded:
            return []
        return [
            types.SymbolInformation(
                name=found.name,
                kind=_KINDS.get(found.kind, types.SymbolKind.Object),
                location=location(found.location, session.root),
                container_name=found.container,
            )
            for found in workspace_symbols(session.schema.catalog, params.query)
        ]
