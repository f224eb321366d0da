"""``textDocument/formatting`` and ``rangeFormatting``: sqlglot pretty-printing per
statement, leading comments kept; statements that do not parse are left alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.actions import format_statements, statements_in
from ..boundary import guarded
from ..convert import Positions

if TYPE_CHECKING:
    from ..server import QuerywrightServer


def register(server: QuerywrightServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    @guarded(server, "formatting", empty=[])
    def formatting(params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return []
        positions = Positions(snapshot.index, server.utf16)
        edits = format_statements(snapshot.index, snapshot.statement_list, snapshot.catalog.dialect)
        return [positions.text_edit(e) for e in edits]

    @server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
    @guarded(server, "rangeFormatting", empty=[])
    def range_formatting(params: types.DocumentRangeFormattingParams) -> list[types.TextEdit]:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return []
        positions = Positions(snapshot.index, server.utf16)
        start, end = positions.offset(params.range.start), positions.offset(params.range.end)
        statements = statements_in(snapshot.statement_list, start, end)
        edits = format_statements(snapshot.index, statements, snapshot.catalog.dialect)
        return [positions.text_edit(e) for e in edits]
