"""Code actions, each applied to the document and compared with the exact result."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import apply_edits, open_document, position_of, wait_for_diagnostics


async def actions_at(client: LanguageClient, uri: str, start: types.Position, end: types.Position | None = None, only: list[str] | None = None, diagnostics: list[types.Diagnostic] | None = None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start, end or start),
            context=types.CodeActionContext(diagnostics=diagnostics or [], only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def applied(client: LanguageClient, uri: str, text: str, action: types.CodeAction) -> str:
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None and action.edit.changes is not None
    return apply_edits(text, action.edit.changes[uri])


async def test_quick_fix_did_you_mean_is_preferred(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "mistakes.sql"
    text = path.read_text()
    uri = open_document(lsp_client, path)
    diagnostics = await wait_for_diagnostics(lsp_client, uri, lambda d: len(d) > 0)
    typo = [d for d in diagnostics if d.range.start.line == 1]
    actions = await actions_at(lsp_client, uri, typo[0].range.start, typo[0].range.end, only=[types.CodeActionKind.QuickFix], diagnostics=typo)
    assert [(a.title, a.is_preferred) for a in actions] == [("Change to 'name'", True)]
    result = await applied(lsp_client, uri, text, actions[0])
    assert result.splitlines()[1] == "SELECT u.id, u.name FROM users u;"


async def test_quick_fix_for_renamed_column(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "mistakes.sql"
    text = path.read_text()
    uri = open_document(lsp_client, path)
    at = position_of(text, "placed_at", 1)
    actions = await actions_at(lsp_client, uri, at, only=[types.CodeActionKind.QuickFix])
    assert [a.title for a in actions] == ["Change to 'ordered_at'"]
    assert (await applied(lsp_client, uri, text, actions[0])).splitlines()[4] == "SELECT id, ordered_at FROM orders;"


async def test_quick_fixes_qualify_ambiguous_column(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "mistakes.sql"
    text = path.read_text()
    uri = open_document(lsp_client, path)
    actions = await actions_at(lsp_client, uri, position_of(text, "SELECT product_id", 8), only=[types.CodeActionKind.QuickFix])
    assert [a.title for a in actions] == ["Qualify as reviews.product_id", "Qualify as order_items.product_id"]
    line = (await applied(lsp_client, uri, text, actions[1])).splitlines()[13]
    assert line.startswith("SELECT order_items.product_id FROM reviews")


async def test_format_statement(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "q.sql"
    text = "-- keep me\nselect id,email from users where id=1;\nselect 1;\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    [action] = await actions_at(lsp_client, uri, types.Position(1, 3), only=["refactor.rewrite.querywright.format"])
    assert action.title == "Format statement"
    assert await applied(lsp_client, uri, text, action) == "-- keep me\nSELECT\n  id,\n  email\nFROM users\nWHERE\n  id = 1;\nselect 1;\n"


async def test_transpile_statement_to_each_dialect(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "q.sql"
    text = "SELECT id FROM users ORDER BY id LIMIT 5;\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    actions = await actions_at(lsp_client, uri, types.Position(0, 2), only=["refactor.rewrite.querywright.transpile"])
    by_title = {a.title: a for a in actions}
    assert sorted(by_title) == sorted(f"Transpile statement to {d}" for d in ("mysql", "sqlite", "duckdb", "bigquery", "snowflake", "tsql"))
    assert await applied(lsp_client, uri, text, by_title["Transpile statement to tsql"]) == (
        "SELECT TOP 5 id FROM users ORDER BY CASE WHEN id IS NULL THEN 1 ELSE 0 END, id;\n"
    )
    assert await applied(lsp_client, uri, text, by_title["Transpile statement to mysql"]) == (
        "SELECT id FROM users ORDER BY CASE WHEN id IS NULL THEN 1 ELSE 0 END, id LIMIT 5;\n"
    )


async def test_transpile_document(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "q.sql"
    text = "SELECT name || '!' FROM users;\nSELECT id::TEXT FROM users;\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    actions = await actions_at(lsp_client, uri, types.Position(0, 0), only=["source.querywright.transpile.mysql"])
    assert [a.title for a in actions] == ["Transpile document to mysql"]
    assert await applied(lsp_client, uri, text, actions[0]) == "SELECT CONCAT(name, '!') FROM users;\nSELECT CAST(id AS CHAR) FROM users;\n"


async def test_expand_star(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "q.sql"
    text = "SELECT * FROM orders o JOIN order_items i ON i.order_id = o.id;\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    [action] = await actions_at(lsp_client, uri, types.Position(0, 7), only=["refactor.rewrite.querywright.expandStar"])
    assert await applied(lsp_client, uri, text, action) == (
        "SELECT o.id, o.user_id, o.status, o.ordered_at, o.total_cents, i.order_id, i.product_id, i.quantity, i.unit_price_cents"
        " FROM orders o JOIN order_items i ON i.order_id = o.id;\n"
    )


async def test_qualify_columns(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "q.sql"
    text = "SELECT email, total_cents FROM users u JOIN orders o ON user_id = u.id WHERE country = 'DE';\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    [action] = await actions_at(lsp_client, uri, types.Position(0, 2), only=["refactor.rewrite.querywright.qualifyColumns"])
    assert await applied(lsp_client, uri, text, action) == "SELECT u.email, o.total_cents FROM users u JOIN orders o ON o.user_id = u.id WHERE u.country = 'DE';\n"


async def test_document_formatting_and_range_formatting(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "q.sql"
    text = "select id from users;\n-- broken stays\nselect from where;\nselect email from users\n"
    path.write_text(text)
    uri = open_document(lsp_client, path)
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = await lsp_client.text_document_formatting_async(types.DocumentFormattingParams(text_document=types.TextDocumentIdentifier(uri=uri), options=options))
    assert apply_edits(text, edits or []) == "SELECT\n  id\nFROM users;\n-- broken stays\nselect from where;\nSELECT\n  email\nFROM users\n"
    ranged = await lsp_client.text_document_range_formatting_async(
        types.DocumentRangeFormattingParams(text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(types.Position(3, 0), types.Position(3, 5)), options=options)
    )
    assert apply_edits(text, ranged or []) == "select id from users;\n-- broken stays\nselect from where;\nSELECT\n  email\nFROM users\n"


async def test_generate_from_comment_is_offered_on_a_comment_line(lsp_client: LanguageClient, workspace: Path) -> None:
    """The action carries a command, not an edit. lsprotocol's Python converter reads such
    a CodeAction back as a ``Command`` (VS Code tells them apart by the command's type), so
    this test looks at titles and kinds over the raw union; the command's arguments are
    checked in test_inline_actions.py."""
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)

    async def titles(line: int) -> list[str]:
        result = await lsp_client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(types.Position(line, 3), types.Position(line, 3)),
                context=types.CodeActionContext(diagnostics=[], only=["refactor.querywright.generateFromComment"]),
            )
        )
        return [item.title for item in result or []]

    assert await titles(0) == ["Generate SQL from comment"]
    assert await titles(1) == []
