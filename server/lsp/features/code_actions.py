"""``textDocument/codeAction`` (+ ``codeAction/resolve``): quick fixes from issues, and
format / transpile / expand ``SELECT *`` / qualify columns as refactorings.

Quick fixes, expand and qualify carry their edit. Format and transpile actions (one per
dialect, for the statement or selection and for the document) are resolved lazily when
the client supports it, so a cursor move does not transpile the document seven times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ...sql.actions import (
    TRANSPILE_DIALECTS,
    expand_star,
    format_statements,
    qualify_columns,
    statements_in,
    transpile_statements,
)
from ...sql.issues import TextEdit
from ...sql.resolve import statement_tree
from ...sql.text import Statement
from ..boundary import guarded
from ..convert import Positions
from ..session import Snapshot
from .inline_completion import KIND_GENERATE, comment_code_action

if TYPE_CHECKING:
    from ..server import QuerywrightServer

KIND_FORMAT = "refactor.rewrite.querywright.format"
KIND_TRANSPILE = "refactor.rewrite.querywright.transpile"
KIND_EXPAND = "refactor.rewrite.querywright.expandStar"
KIND_QUALIFY = "refactor.rewrite.querywright.qualifyColumns"
KIND_FORMAT_DOCUMENT = "source.querywright.format"
KIND_TRANSPILE_DOCUMENT = "source.querywright.transpile"
KINDS = [types.CodeActionKind.QuickFix, KIND_GENERATE, KIND_FORMAT, KIND_TRANSPILE, KIND_EXPAND, KIND_QUALIFY, KIND_FORMAT_DOCUMENT, KIND_TRANSPILE_DOCUMENT]


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


def lazy_edits(snapshot: Snapshot, data: dict[str, Any]) -> list[TextEdit]:
    """The edits of a format/transpile action described by ``data``."""
    statements = snapshot.statement_list
    if data.get("scope") == "range":
        statements = statements_in(statements, int(data.get("start", 0)), int(data.get("end", 0)))
    dialect = snapshot.catalog.dialect
    if data.get("action") == "format":
        return format_statements(snapshot.index, statements, dialect)
    return transpile_statements(snapshot.index, statements, dialect, str(data.get("target")))


def register(server: QuerywrightServer) -> None:
    def can_resolve() -> bool:
        code_action = server.client_capabilities.text_document.code_action if server.client_capabilities.text_document else None
        support = code_action.resolve_support if code_action else None
        return bool(support and "edit" in support.properties)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=True))
    @guarded(server, "codeAction", empty=[])
    def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
        snapshot = server.snapshot(params.text_document.uri)
        if snapshot is None:
            return []
        positions = Positions(snapshot.index, server.utf16)
        only = params.context.only
        start, end = positions.offset(params.range.start), positions.offset(params.range.end)
        selected = statements_in(snapshot.statement_list, start, end)
        actions: list[types.CodeAction] = []
        if _wanted(types.CodeActionKind.QuickFix, only) and not snapshot.is_schema:
            actions += _quick_fixes(server, snapshot, positions, selected, params.range)
        if _wanted(KIND_GENERATE, only) and not snapshot.is_schema:
            generate = comment_code_action(snapshot.uri, positions, params.range)
            if generate is not None:
                actions.append(generate)
        lazy = can_resolve()

        def deferred(title: str, kind: str, data: dict[str, Any]) -> None:
            if not _wanted(kind, only):
                return
            data = {"uri": snapshot.uri, "version": snapshot.version, **data}
            action = types.CodeAction(title=title, kind=kind, data=data)
            if not lazy:
                action.edit = positions.workspace_edit(snapshot.uri, lazy_edits(snapshot, data))
            actions.append(action)

        dialect = snapshot.catalog.dialect
        parsed = [s for s in selected if statement_tree(s, dialect) is not None]
        if parsed:
            what = "selection" if end > start else ("statement" if len(parsed) == 1 else "statements")
            deferred(f"Format {what}", KIND_FORMAT, {"action": "format", "scope": "range", "start": start, "end": end})
            for target in TRANSPILE_DIALECTS:
                if target != dialect:
                    deferred(f"Transpile {what} to {target}", f"{KIND_TRANSPILE}.{target}", {"action": "transpile", "target": target, "scope": "range", "start": start, "end": end})
            if _wanted(KIND_EXPAND, only) and not snapshot.is_schema:
                fix = expand_star(snapshot.index, snapshot.statement_list, snapshot.catalog, start)
                if fix is not None:
                    actions.append(types.CodeAction(title=fix.title, kind=KIND_EXPAND, edit=positions.workspace_edit(snapshot.uri, fix.edits)))
            if _wanted(KIND_QUALIFY, only) and not snapshot.is_schema:
                fix = qualify_columns(snapshot.index, parsed, snapshot.catalog)
                if fix is not None:
                    actions.append(types.CodeAction(title=fix.title, kind=KIND_QUALIFY, edit=positions.workspace_edit(snapshot.uri, fix.edits)))
        deferred("Format document", KIND_FORMAT_DOCUMENT, {"action": "format", "scope": "document"})
        for target in TRANSPILE_DIALECTS:
            if target != dialect:
                deferred(f"Transpile document to {target}", f"{KIND_TRANSPILE_DOCUMENT}.{target}", {"action": "transpile", "target": target, "scope": "document"})
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    @guarded(server, "codeAction/resolve")
    def resolve(action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        snapshot = server.snapshot(str(data.get("uri", "")))
        if snapshot is None or action.edit is not None or snapshot.version != data.get("version"):
            return action
        positions = Positions(snapshot.index, server.utf16)
        action.edit = positions.workspace_edit(snapshot.uri, lazy_edits(snapshot, data))
        return action


def _quick_fixes(server: QuerywrightServer, snapshot: Snapshot, positions: Positions, selected: list[Statement], requested: types.Range) -> list[types.CodeAction]:
    cache = server.session.checks
    out: list[types.CodeAction] = []
    for statement in selected:
        for issue in cache.statement_issues(statement, snapshot.index, snapshot.catalog, snapshot.generation, snapshot.rel):
            if not issue.fixes:
                continue
            diagnostic = positions.diagnostic(issue, snapshot.root)
            if diagnostic.range.end < requested.start or requested.end < diagnostic.range.start:
                continue
            out += [positions.quick_fix(snapshot.uri, fix, diagnostic) for fix in issue.fixes]
    out.sort(key=lambda a: not a.is_preferred)
    return out
