"""``textDocument/completion``: converts the core's completion items to lsprotocol ones.

Trigger characters are ``.`` (columns of an alias, tables of a schema) and space; a
space only opens the list where something is expected next (a table after FROM/JOIN,
a join condition, a column or expression after a clause keyword), not after every word.
A request that arrives while the initial catalog is still being read waits for it (at
most ``FIRST_LOAD_WAIT_S``); past that it answers ``isIncomplete`` so the editor asks again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ...sql.completion import CompletionItem, CompletionList, complete
from ...sql.context import AFTER_EXPRESSION, COLUMN, EXPRESSION, TABLE
from ..boundary import guarded
from ..convert import Positions

if TYPE_CHECKING:
    from ..server import QuerywrightServer

TRIGGER_CHARACTERS = [".", " "]

KINDS = {
    "keyword": types.CompletionItemKind.Keyword,
    "table": types.CompletionItemKind.Class,
    "view": types.CompletionItemKind.Interface,
    "column": types.CompletionItemKind.Field,
    "alias": types.CompletionItemKind.Variable,
    "cte": types.CompletionItemKind.Struct,
    "function": types.CompletionItemKind.Function,
    "snippet": types.CompletionItemKind.Snippet,
    "join": types.CompletionItemKind.Reference,
    "schema": types.CompletionItemKind.Module,
}


def wanted_after_space(result: CompletionList) -> bool:
    """Whether a list opened by typing a space is useful here."""
    ctx = result.context
    if ctx.prefix or ctx.expect in (TABLE, COLUMN, EXPRESSION):
        return True
    return ctx.expect != AFTER_EXPRESSION and any(i.kind == "join" for i in result.items)


def to_lsp(result: CompletionList, positions: Positions) -> types.CompletionList:
    """The core list as an LSP ``CompletionList`` (one text edit range shared by the items)."""
    index = positions.index
    default_range = positions.range(index.span(*result.replace))
    items = []
    for item in result.items:
        rng = default_range if item.edit is None else positions.range(index.span(*item.edit))
        items.append(_item(item, rng))
    return types.CompletionList(is_incomplete=result.is_incomplete, items=items)


def _item(item: CompletionItem, rng: types.Range) -> types.CompletionItem:
    text = item.insert_text if item.insert_text is not None else item.label
    return types.CompletionItem(
        label=item.label,
        kind=KINDS.get(item.kind, types.CompletionItemKind.Text),
        detail=item.detail or None,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=item.documentation) if item.documentation else None,
        sort_text=item.sort_text or None,
        filter_text=item.filter_text,
        insert_text_format=types.InsertTextFormat.Snippet if item.snippet else None,
        text_edit=types.TextEdit(range=rng, new_text=text),
    )


def register(server: QuerywrightServer) -> None:
    options = types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=False)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, options)
    @guarded(server, "completion")
    async def completion(params: types.CompletionParams) -> types.CompletionList | None:
        ready = await server.session.wait_first_load()
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        positions = Positions(snapshot.index, server.utf16)
        result = complete(snapshot.text, positions.offset(params.position), snapshot.catalog, snapshot.statement_list)
        context = params.context
        if context is not None and context.trigger_kind == types.CompletionTriggerKind.TriggerCharacter and context.trigger_character == " " and not wanted_after_space(result):
            return types.CompletionList(is_incomplete=not ready, items=[])
        listed = to_lsp(result, positions)
        if not ready:  # the initial catalog is still being read: the editor asks again
            listed.is_incomplete = True
        return listed
