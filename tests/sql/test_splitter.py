"""Statement splitting per dialect on the public corpus (T-SQL GO, Oracle /, DB2 blocks,
psql meta-commands, COPY data) and on hand-made edge cases."""

from __future__ import annotations

from pathlib import Path

from querywright.server.sql.text import TextIndex, split_statements

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def _corpus(name: str) -> str:
    return (CORPUS / name).read_text("utf-8")


def test_tsql_go_lines_end_batches_and_offsets_are_exact() -> None:
    text = _corpus("sakila-sql-server.sql")
    statements = split_statements(text, "tsql")
    index = TextIndex(text)
    creates = [s for s in statements if s.code.upper().startswith("CREATE TABLE")]
    assert len(creates) == 15  # film_text and inventory share one batch (no GO between them)
    actor = next(s for s in creates if s.code.startswith("CREATE TABLE actor"))
    assert index.position(actor.code_start).line + 1 == 21
    assert text[actor.start : actor.end] == actor.text
    assert not any(s.code.strip().upper() == "GO" or s.code.upper().startswith("GO\n") for s in statements)


def test_oracle_slash_lines_and_trigger_blocks_stay_whole() -> None:
    text = _corpus("sakila-oracle.sql")
    statements = split_statements(text, "oracle")
    triggers = [s for s in statements if s.code.upper().startswith("CREATE OR REPLACE TRIGGER")]
    assert triggers and all(s.code.rstrip().upper().endswith("END") for s in triggers)
    assert any("END IF;" in s.code for s in triggers)
    assert not any(s.code.lstrip().startswith("/") and not s.code.lstrip().startswith("/*") for s in statements)
    assert sum(1 for s in statements if s.code.upper().startswith("CREATE TABLE")) == 16


def test_db2_trigger_ends_at_column_zero_end() -> None:
    text = _corpus("sakila-db2.sql")
    statements = split_statements(text, "db2")
    trigger = next(s for s in statements if "actor_before_update" in s.code)
    assert trigger.code.upper().startswith("CREATE OR REPLACE TRIGGER") and trigger.code.rstrip().endswith("END")
    assert sum(1 for s in statements if s.code.upper().startswith("CREATE TABLE")) == 16


def test_psql_meta_commands_are_their_own_blank_statements() -> None:
    text = _corpus("adventureworks-postgres.sql")
    statements = split_statements(text, "postgres")
    metas = [s for s in statements if s.kind == "meta"]
    assert any(s.text.startswith("\\pset") for s in metas) and any(s.text.startswith("\\copy") for s in metas)
    assert all(s.is_blank and "\n" not in s.text for s in metas)
    assert not any(s.kind == "sql" and s.code.startswith("\\") for s in statements)


def test_copy_from_stdin_keeps_its_data_in_one_statement() -> None:
    text = _corpus("sakila-postgres-data.sql")
    statements = split_statements(text, "postgres")
    copies = [s for s in statements if s.kind == "copy"]
    assert copies and all(s.terminated and s.text.endswith("\\.") for s in copies)
    first = copies[0]
    assert first.copy_header.upper().startswith("COPY") and "FROM stdin" in first.copy_header
    rows = first.copy_data.splitlines()
    assert rows and "\t" in rows[0] and not any(r == "\\." for r in rows)
    index = TextIndex(text)
    assert index.position(first.end).line + 1 == 121  # the \. line of the first block


def test_copy_block_that_never_ends_is_unterminated() -> None:
    [copy] = split_statements("COPY t (a) FROM stdin;\n1\n2\n", "postgres")
    assert copy.kind == "copy" and copy.unterminated and not copy.terminated


def test_mysql_delimiter_sections() -> None:
    text = "DELIMITER ;;\nCREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN SET x = 1; SET y = 2; END;;\nDELIMITER ;\nCREATE TABLE a (b INT);"
    statements = split_statements(text, "mysql")
    assert [s.kind for s in statements] == ["meta", "sql", "meta", "sql"]
    assert statements[1].text.endswith("END") and "SET y = 2;" in statements[1].text
    assert statements[3].text == "CREATE TABLE a (b INT)"


def test_tsql_procedure_runs_to_go_and_brackets_hide_semicolons() -> None:
    text = "CREATE TABLE [dbo].[a;b] (x INT)\nGO\nCREATE PROCEDURE p AS BEGIN SELECT 1; SELECT 2; END\nGO\nSELECT 1"
    assert [s.text for s in split_statements(text, "tsql")] == ["CREATE TABLE [dbo].[a;b] (x INT)", "CREATE PROCEDURE p AS BEGIN SELECT 1; SELECT 2; END", "SELECT 1"]
