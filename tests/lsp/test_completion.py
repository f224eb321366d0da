"""``textDocument/completion`` end to end: ``querywright lsp`` over stdio, VS Code's
client capabilities, the shop example (Postgres)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient
from querywright.server.lsp.server import create_server

from .conftest import apply_edits, change_document, open_document, position_of


async def complete_at(
    client: LanguageClient, workspace: Path, text: str, marker: str = "|", trigger: str | None = None, name: str = "scratch.sql"
) -> tuple[list[types.CompletionItem], types.CompletionList, str]:
    """Open ``text`` (with one ``|`` cursor marker) and complete at the marker."""
    offset = text.index(marker)
    clean = text[:offset] + text[offset + 1 :]
    uri = open_document(client, workspace / "queries" / name, clean)
    position = _position(clean, offset)
    context = (
        types.CompletionContext(trigger_kind=types.CompletionTriggerKind.TriggerCharacter, trigger_character=trigger)
        if trigger
        else types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)
    )
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position, context=context)
    )
    assert isinstance(result, types.CompletionList), result
    return list(result.items), result, clean


def _position(text: str, offset: int) -> types.Position:
    line = text.count("\n", 0, offset)
    return types.Position(line, offset - (text.rfind("\n", 0, offset) + 1))


def labels(items: list[types.CompletionItem]) -> list[str]:
    return [i.label for i in sorted(items, key=lambda i: (i.sort_text or "", i.label))]


def test_server_registers_completion_with_trigger_characters() -> None:
    options = create_server().protocol.fm.feature_options[types.TEXT_DOCUMENT_COMPLETION]
    assert set(options.trigger_characters) == {".", " "}


async def test_columns_after_alias_dot(lsp_client: LanguageClient, workspace: Path) -> None:
    items, _result, _text = await complete_at(lsp_client, workspace, "SELECT u.| FROM users u", trigger=".")
    assert labels(items) == ["id", "email", "name", "created_at", "country", "is_active"]
    email = next(i for i in items if i.label == "email")
    assert email.kind == types.CompletionItemKind.Field
    assert email.detail and "VARCHAR(255)" in email.detail
    assert isinstance(email.documentation, types.MarkupContent)
    assert "db/migration/V1__create_users.sql:4" in email.documentation.value
    assert "NOT NULL UNIQUE" in email.documentation.value


async def test_text_edit_replaces_the_typed_word(lsp_client: LanguageClient, workspace: Path) -> None:
    items, _result, text = await complete_at(lsp_client, workspace, "SELECT * FROM users WHERE ema|")
    email = next(i for i in items if i.label == "email")
    assert isinstance(email.text_edit, types.TextEdit)
    assert apply_edits(text, [email.text_edit]) == "SELECT * FROM users WHERE email"


async def test_join_from_foreign_keys_both_directions(lsp_client: LanguageClient, workspace: Path) -> None:
    items, _r, text = await complete_at(lsp_client, workspace, "SELECT *\nFROM orders o\nJOIN |", trigger=" ")
    ordered = labels(items)
    assert ordered[:2] == ["users u ON u.id = o.user_id", "order_items oi ON oi.order_id = o.id"]
    join = next(i for i in items if i.label.startswith("users u"))
    assert join.text_edit is not None
    assert apply_edits(text, [join.text_edit]).endswith("JOIN users u ON u.id = o.user_id")  # type: ignore[list-item]
    items, _r, _t = await complete_at(lsp_client, workspace, "SELECT * FROM orders o JOIN users u ON |", trigger=" ", name="other.sql")
    assert labels(items)[0] == "u.id = o.user_id"


async def test_tables_after_from_and_keywords_elsewhere(lsp_client: LanguageClient, workspace: Path) -> None:
    items, _r, _t = await complete_at(lsp_client, workspace, "SELECT * FROM |", trigger=" ")
    found = {i.label: i.kind for i in items}
    assert found["users"] == types.CompletionItemKind.Class
    assert found["product_ratings"] == types.CompletionItemKind.Interface
    assert "coupons" not in found  # dropped by a later migration
    items, _r, _t = await complete_at(lsp_client, workspace, "SELECT * FROM users WHERE is_active |", name="b.sql")
    assert "AND" in labels(items)


async def test_space_after_a_finished_expression_opens_nothing(lsp_client: LanguageClient, workspace: Path) -> None:
    items, _r, _t = await complete_at(lsp_client, workspace, "SELECT id |FROM users", trigger=" ")
    assert items == []


async def test_cte_subquery_insert_and_update_contexts(lsp_client: LanguageClient, workspace: Path) -> None:
    cases = {
        "WITH r AS (SELECT id, email AS mail FROM users)\nSELECT r.| FROM r": ["id", "mail"],
        "SELECT x.| FROM (SELECT id, total_cents AS t FROM orders) x": ["id", "t"],
        "INSERT INTO users (email, |": ["id", "name", "created_at", "country", "is_active"],
        "UPDATE users SET name = 'x', |": ["id", "email", "created_at", "country", "is_active"],
        "SELECT CASE WHEN o.| THEN 1 END FROM orders o": ["id", "user_id", "status", "ordered_at", "total_cents"],
        "SELECT p.| FROM products p GROUP BY p.id": ["id", "sku", "title", "price_cents", "stock"],
        "SELECT * FROM reviews ORDER BY reviews.|": ["id", "product_id", "user_id", "rating", "body"],
    }
    for n, (text, expected) in enumerate(cases.items()):
        items, _r, _t = await complete_at(lsp_client, workspace, text, name=f"case{n}.sql")
        assert labels(items) == expected, text


async def test_multi_statement_document_and_edits(lsp_client: LanguageClient, workspace: Path) -> None:
    text = "SELECT * FROM users;\nSELECT p. FROM products p;\nSELECT * FROM orders;"
    uri = open_document(lsp_client, workspace / "queries" / "multi.sql", text)
    position = position_of(text, "p. FROM", 2)
    result = await lsp_client.text_document_completion_async(types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position))
    assert isinstance(result, types.CompletionList)
    assert "sku" in labels(list(result.items))
    # the user types in the third statement: the server completes on the new version
    change_document(lsp_client, uri, 2, (2, 14), (2, 20), "orders o WHERE o.")
    result = await lsp_client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(2, 31))
    )
    assert isinstance(result, types.CompletionList)
    assert "status" in labels(list(result.items))


async def test_unaliased_join_qualifies_shared_names(lsp_client: LanguageClient, workspace: Path) -> None:
    items, _r, _t = await complete_at(lsp_client, workspace, "SELECT | FROM orders JOIN users ON users.id = orders.user_id")
    found = labels(items)
    assert {"orders.id", "users.id", "email", "status"} <= set(found)
    assert found.index("email") < found.index("count")


async def test_functions_with_signatures(lsp_client: LanguageClient, workspace: Path) -> None:
    items, _r, _t = await complete_at(lsp_client, workspace, "SELECT co| FROM users")
    count = next(i for i in items if i.label == "count")
    assert count.kind == types.CompletionItemKind.Function
    assert count.detail and count.detail.startswith("COUNT(")
    assert count.insert_text_format == types.InsertTextFormat.Snippet
