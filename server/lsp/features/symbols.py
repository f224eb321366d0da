"""``textDocument/documentSymbol``: statements (named by their leading comment) and CTEs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.symbols import Symbol, document_symbols
from ..boundary import guarded
from ..convert import Positions

if TYPE_CHECKING:
    from ..server import QuerywrightServer

MAX_PARSED_STATEMENTS = 5000  # beyond this, the outline lists statements without CTEs

_KINDS = {
    "statement": types.SymbolKind.Function,
    "table": types.SymbolKind.Struct,
    "view": types.SymbolKind.Interface,
    "cte": types.SymbolKind.Variable,
}


def _convert(symbol: Symbol, positions: Positions) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=symbol.name or "(statement)",
        detail=symbol.detail,
        kind=_KINDS.get(symbol.kind, types.SymbolKind.Object),
        range=positions.range(symbol.span),
        selection_range=positions.range(symbol.selection),
        children=[_convert(c, positions) for c in symbol.children] or None,
    )


def register(server: QuerywrightServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(server, "documentSymbol", empty=[])
    def symbols(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return []
        positions = Positions(snapshot.index, server.utf16)
        statements = snapshot.statement_list
        found = document_symbols(snapshot.index, statements, snapshot.catalog.dialect, parse=len(statements) <= MAX_PARSED_STATEMENTS)
        return [_convert(s, positions) for s in found]
