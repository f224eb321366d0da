"""Go to definition (DDL, aliases, CTEs) and find references across query files."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import open_document, position_of


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def definition(client: LanguageClient, uri: str, position: types.Position) -> list[types.Location]:
    result = await client.text_document_definition_async(types.DefinitionParams(text_document=doc(uri), position=position))
    assert isinstance(result, list) or result is None
    return list(result or [])  # type: ignore[arg-type]


def migration_uri(workspace: Path, name: str) -> str:
    return (workspace / "db" / "migration" / name).resolve().as_uri()


async def test_column_definition_is_its_create_table_line(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    [found] = await definition(lsp_client, uri, position_of(path.read_text(), "u.email", 3))
    assert found.uri == migration_uri(workspace, "V1__create_users.sql")
    assert found.range.start == types.Position(3, 0)


async def test_renamed_column_jumps_to_the_rename(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    [found] = await definition(lsp_client, uri, position_of(path.read_text(), "o.ordered_at", 3))
    assert found.uri == migration_uri(workspace, "V10__drop_coupons_add_total.sql")
    assert found.range.start.line == 4


async def test_added_column_jumps_to_the_alter(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    [found] = await definition(lsp_client, uri, position_of(path.read_text(), "country, count", 1))
    assert found.uri == migration_uri(workspace, "V9__user_country.sql")
    assert found.range.start.line == 0


async def test_table_definition(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    [found] = await definition(lsp_client, uri, position_of(path.read_text(), "order_items i", 2))
    assert found.uri == migration_uri(workspace, "V3__create_orders.sql")
    assert found.range.start.line == 7


async def test_alias_and_cte_jump_inside_the_document(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    text = path.read_text()
    uri = open_document(lsp_client, path)
    [alias] = await definition(lsp_client, uri, position_of(text, "o.user_id", 0))
    assert alias.uri == uri
    start = position_of(text, "orders o", 7)
    assert alias.range == types.Range(start, types.Position(start.line, start.character + 1))
    [cte] = await definition(lsp_client, uri, position_of(text, "FROM rated", 6))
    start = position_of(text, "rated AS")
    assert cte.uri == uri and cte.range == types.Range(start, types.Position(start.line, start.character + 5))


async def test_references_of_a_column_across_query_files(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    uri = open_document(lsp_client, path)
    result = await lsp_client.text_document_references_async(
        types.ReferenceParams(text_document=doc(uri), position=position_of(path.read_text(), "o.user_id", 3), context=types.ReferenceContext(include_declaration=True))
    )
    found = sorted((loc.uri.rsplit("/", 1)[1], loc.range.start.line, loc.range.start.character) for loc in result or [])
    assert found == [
        ("V3__create_orders.sql", 2, 0),
        ("maintenance.sql", 2, 24),
        ("reports.sql", 3, 19),
    ]


async def test_references_of_an_alias_stay_in_the_statement(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "reports.sql"
    text = path.read_text()
    uri = open_document(lsp_client, path)
    result = await lsp_client.text_document_references_async(
        types.ReferenceParams(text_document=doc(uri), position=position_of(text, "u.id,", 0), context=types.ReferenceContext(include_declaration=False))
    )
    assert sorted((r.range.start.line, r.range.start.character) for r in result or []) == [(1, 7), (1, 13), (3, 29), (4, 9), (4, 15)]
    assert all(r.uri == uri for r in result or [])


async def test_document_symbols_are_statements_and_ctes(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "reports.sql")
    result = await lsp_client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(uri)))
    symbols = [s for s in result or [] if isinstance(s, types.DocumentSymbol)]
    assert [s.name for s in symbols] == [
        "Revenue per customer, biggest first",
        "Active customers by country",
        "Best rated products with at least 5 reviews",
        "Orders of the last week with their items",
    ]
    assert [c.name for c in symbols[2].children or []] == ["rated"]


async def test_workspace_symbols_are_catalog_objects(lsp_client: LanguageClient, workspace: Path) -> None:
    result = await lsp_client.workspace_symbol_async(types.WorkspaceSymbolParams(query="ordit"))
    found = [(s.name, s.kind, s.container_name, s.location.uri.rsplit("/", 1)[1], s.location.range.start.line) for s in result or [] if isinstance(s, types.SymbolInformation)]
    assert found == [("order_items", types.SymbolKind.Class, None, "V3__create_orders.sql", 7)]
    columns = await lsp_client.workspace_symbol_async(types.WorkspaceSymbolParams(query="ordered_at"))
    assert [(s.name, s.container_name) for s in columns or []] == [("ordered_at", "orders")]
