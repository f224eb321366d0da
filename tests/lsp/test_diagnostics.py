"""Diagnostics: published on open, after edits, and after the schema changes (a migration
edited in the editor or on disk) without a restart. Event-driven: each test waits for
the ``publishDiagnostics`` notification it expects."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import change_document, codes, open_document, position_of, wait_for_diagnostics

MISTAKES = [
    (1, "unknown-column"),  # u.nme
    (4, "unknown-column"),  # placed_at renamed in V10
    (7, "unknown-table"),  # coupons dropped in V10
    (13, "ambiguous-column"),
    (16, "parse-error"),
]


async def test_open_query_file_publishes_check_issues(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "mistakes.sql")
    diagnostics = await wait_for_diagnostics(lsp_client, uri)
    assert codes(diagnostics) == MISTAKES
    assert all(d.source == "querywright" for d in diagnostics)
    typo = next(d for d in diagnostics if d.range.start.line == 1)
    assert typo.message == "unknown column nme in users; did you mean name?"
    assert typo.severity == types.DiagnosticSeverity.Error
    assert typo.range == types.Range(types.Position(1, 15), types.Position(1, 18))
    related = typo.related_information
    assert related is not None and len(related) == 1
    assert related[0].location.uri == (workspace / "db" / "migration" / "V1__create_users.sql").resolve().as_uri()
    assert related[0].location.range.start.line == 1


async def test_clean_file_publishes_empty_list(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "reports.sql")
    assert list(await wait_for_diagnostics(lsp_client, uri)) == []


async def test_edit_updates_only_after_the_change(lsp_client: LanguageClient, workspace: Path) -> None:
    path = workspace / "queries" / "mistakes.sql"
    uri = open_document(lsp_client, path)
    await wait_for_diagnostics(lsp_client, uri)
    start = position_of(path.read_text(), "u.nme", 2)
    lsp_client.diagnostics.pop(uri)
    change_document(lsp_client, uri, 2, (start.line, start.character), (start.line, start.character + 3), "name")
    await wait_for_diagnostics(lsp_client, uri, lambda d: codes(d) == MISTAKES[1:])


async def test_unsaved_migration_edit_updates_open_query_files(lsp_client: LanguageClient, workspace: Path) -> None:
    query = workspace / "queries" / "mistakes.sql"
    query_uri = open_document(lsp_client, query)
    await wait_for_diagnostics(lsp_client, query_uri)
    migration = workspace / "db" / "migration" / "V1__create_users.sql"
    migration_uri = open_document(lsp_client, migration)
    text = migration.read_text()
    at = position_of(text, "    name ")
    lsp_client.diagnostics.pop(query_uri)
    change_document(lsp_client, migration_uri, 2, (at.line, 0), (at.line, 0), "    nme TEXT,\n")
    diagnostics = await wait_for_diagnostics(lsp_client, query_uri, lambda d: all(x.range.start.line != 1 for x in d))
    assert codes(diagnostics) == MISTAKES[1:]


async def test_migration_changed_on_disk_updates_diagnostics(lsp_client: LanguageClient, workspace: Path) -> None:
    query_uri = open_document(lsp_client, workspace / "queries" / "mistakes.sql")
    await wait_for_diagnostics(lsp_client, query_uri)
    migration = workspace / "db" / "migration" / "V10__drop_coupons_add_total.sql"
    migration.write_text(migration.read_text().replace("DROP TABLE coupons;", ""))
    lsp_client.diagnostics.pop(query_uri)
    lsp_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=migration.as_uri(), type=types.FileChangeType.Changed)])
    )
    diagnostics = await wait_for_diagnostics(lsp_client, query_uri, lambda d: all(x.range.start.line != 7 for x in d))
    assert (7, "unknown-table") not in codes(diagnostics)


async def test_new_migration_file_on_disk_is_replayed(lsp_client: LanguageClient, workspace: Path) -> None:
    query_uri = open_document(lsp_client, workspace / "queries" / "mistakes.sql")
    await wait_for_diagnostics(lsp_client, query_uri)
    migration = workspace / "db" / "migration" / "V12__rename_back.sql"
    migration.write_text("ALTER TABLE orders RENAME COLUMN ordered_at TO placed_at;\n")
    lsp_client.diagnostics.pop(query_uri)
    lsp_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=migration.as_uri(), type=types.FileChangeType.Created)])
    )
    diagnostics = await wait_for_diagnostics(lsp_client, query_uri, lambda d: all(x.range.start.line != 4 for x in d))
    assert (4, "unknown-column") not in codes(diagnostics)


async def test_schema_document_shows_catalog_issues(lsp_client: LanguageClient, workspace: Path) -> None:
    migration = workspace / "db" / "migration" / "V9__user_country.sql"
    uri = open_document(lsp_client, migration, "ALTER TABLE users ADD COLUMN country CHAR(2);\nALTER TABLE users ADD COLUMN country TEXT;\n")
    diagnostics = await wait_for_diagnostics(lsp_client, uri, lambda d: len(d) > 0)
    assert codes(diagnostics) == [(1, "duplicate-column")]
    assert diagnostics[0].severity == types.DiagnosticSeverity.Warning


async def test_close_clears_diagnostics(lsp_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(lsp_client, workspace / "queries" / "mistakes.sql")
    await wait_for_diagnostics(lsp_client, uri, lambda d: len(d) > 0)
    lsp_client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert list(await wait_for_diagnostics(lsp_client, uri, lambda d: len(d) == 0)) == []
