"""``textDocument/semanticTokens/full`` and ``/range``: catalog tables, views, columns,
aliases and CTEs (names the catalog does not know keep the editor's colouring)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.actions import statements_in
from ...sql.issues import Position
from ...sql.semantic import TOKEN_TYPES, Token, TokenCache
from ..boundary import guarded
from ..convert import Positions

if TYPE_CHECKING:
    from ..server import QuerywrightServer

LEGEND = types.SemanticTokensLegend(token_types=list(TOKEN_TYPES), token_modifiers=[])
MAX_FULL_STATEMENTS = 5000  # larger documents get tokens through range requests only
_TYPE_INDEX = {name: i for i, name in enumerate(TOKEN_TYPES)}


def encode(tokens: list[Token], positions: Positions) -> list[int]:
    """LSP's relative encoding (UTF-16 columns)."""
    data: list[int] = []
    last_line = last_start = 0
    for token in tokens:
        start = positions.to_lsp(Position(token.line, token.character))
        end = positions.to_lsp(Position(token.line, token.character + token.length))
        delta_line = start.line - last_line
        delta_start = start.character - last_start if delta_line == 0 else start.character
        data += [delta_line, delta_start, end.character - start.character, _TYPE_INDEX[token.type], 0]
        last_line, last_start = start.line, start.character
    return data


def register(server: QuerywrightServer) -> None:
    cache = TokenCache()

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, types.SemanticTokensRegistrationOptions(legend=LEGEND, full=True, range=True))
    @guarded(server, "semanticTokens/full")
    def full(params: types.SemanticTokensParams) -> types.SemanticTokens:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None or len(snapshot.statements) > MAX_FULL_STATEMENTS:
            return types.SemanticTokens(data=[])
        tokens = cache.tokens(snapshot.statement_list, snapshot.index, snapshot.catalog, snapshot.generation)
        return types.SemanticTokens(data=encode(tokens, Positions(snapshot.index, server.utf16)))

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE)
    @guarded(server, "semanticTokens/range")
    def in_range(params: types.SemanticTokensRangeParams) -> types.SemanticTokens:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return types.SemanticTokens(data=[])
        positions = Positions(snapshot.index, server.utf16)
        statements = statements_in(snapshot.statement_list, positions.offset(params.range.start), positions.offset(params.range.end))
        tokens = cache.tokens(statements, snapshot.index, snapshot.catalog, snapshot.generation)
        return types.SemanticTokens(data=encode(tokens, positions))
