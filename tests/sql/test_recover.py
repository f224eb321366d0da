"""Every table and column of the public corpus reaches the catalog; what cannot be read
is reported once with file, line and reason."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from querywright.server.sql.catalog import Catalog
from querywright.server.sql.replay import apply_ops
from querywright.server.sql.workspace import parse_schema_text

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
SAKILA_TABLES = {"actor", "address", "category", "city", "country", "customer", "film", "film_actor", "film_category", "film_text", "inventory", "language", "payment", "rental", "staff", "store"}


def _catalog(name: str, dialect: str) -> tuple[Catalog, object]:
    parsed = parse_schema_text((CORPUS / name).read_text("utf-8"), name, dialect)
    catalog = Catalog(dialect=dialect)
    apply_ops(catalog, parsed.ops)
    catalog.skipped.extend(parsed.skipped)
    return catalog, parsed


@pytest.mark.parametrize(
    ("name", "dialect"),
    [("sakila-sql-server.sql", "tsql"), ("sakila-oracle.sql", "oracle"), ("sakila-sqlite.sql", "sqlite"), ("sakila-db2.sql", "postgres"), ("sakila-mysql.sql", "mysql")],
)
def test_every_sakila_table_and_column_reaches_the_catalog(name: str, dialect: str) -> None:
    catalog, _ = _catalog(name, dialect)
    tables = {t.name.lower(): t for t in catalog if t.kind == "table"}
    assert set(tables) == SAKILA_TABLES
    assert sum(len(t.columns) for t in tables.values()) == 89
    assert [c.lower() for c in tables["film"].columns][:3] == ["film_id", "title", "description"]


def test_tsql_tables_read_whole_clause_by_clause_raise_no_warning() -> None:
    """Valid T-SQL that sqlglot does not know (``PRIMARY KEY NONCLUSTERED``) is read whole
    by recovery: the user's correct schema file gets no warnings and nothing is skipped."""
    _, parsed = _catalog("sakila-sql-server.sql", "tsql")
    assert [i.message for i in parsed.issues] == [] and parsed.skipped == ()


def test_sqlite_blob_sub_type_text_keeps_the_column_and_reports_once() -> None:
    catalog, parsed = _catalog("sakila-sqlite.sql", "sqlite")
    film = catalog.find("film")
    assert film is not None and "description" in film.columns and film.columns["description"].location.line == 220
    assert [(s.line, s.statement.split()[0]) for s in catalog.skipped] == [(220, "description"), (331, "description")]


def test_adventureworks_create_schema_elements_are_qualified() -> None:
    catalog, _ = _catalog("adventureworks-postgres.sql", "postgres")
    tables = [t for t in catalog if t.kind == "table"]
    assert len(tables) == 68 and sum(len(t.columns) for t in tables) == 456
    person = catalog.find("person", "person")
    assert person is not None and person.schema and person.schema.lower() == "person"
    assert "businessentityid" in person.columns and person.location.line == 81


def test_tsql_default_for_sets_the_column_default() -> None:
    catalog, _ = _catalog("sakila-sql-server.sql", "tsql")
    assert catalog.find("actor").columns["last_update"].default == "(getdate())"


def test_virtual_generated_column_keeps_its_table() -> None:
    parsed = parse_schema_text("CREATE TABLE rating (id INT PRIMARY KEY,\n  score numeric(4,2) GENERATED ALWAYS AS (round(id * 1.5, 2)) VIRTUAL,\n  note text);", "m.sql", "postgres")
    catalog = Catalog(dialect="postgres")
    apply_ops(catalog, parsed.ops)
    table = catalog.find("rating")
    assert table is not None and list(table.columns) == ["id", "score", "note"]
    assert table.columns["score"].type.startswith("DECIMAL(4") and table.primary_key == ("id",)
    assert [(s.path, s.line) for s in parsed.skipped] == [("m.sql", 2)]


def test_unreadable_column_kept_with_unknown_type_and_bad_constraint_dropped() -> None:
    parsed = parse_schema_text("CREATE TABLE t (a INT, ??? weird, CONSTRAINT c CHECK (a >>> ), b TEXT);", "t.sql", "postgres")
    catalog = Catalog(dialect="postgres")
    apply_ops(catalog, parsed.ops)
    assert catalog.find("t") is not None and "b" in catalog.find("t").columns
    assert parsed.skipped


def test_sqlglot_warnings_stay_in_the_debug_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    _catalog("sakila-postgres.sql", "postgres")
    assert not [r for r in caplog.records if r.name.startswith("sqlglot")]


def test_schema_cli_json_lists_skipped_and_prints_nothing_on_stderr(tmp_path: Path) -> None:
    shutil.copy(CORPUS / "sakila-sqlite.sql", tmp_path / "sakila-sqlite.sql")
    (tmp_path / "querywright.toml").write_text('dialect = "sqlite"\n')
    done = subprocess.run([sys.executable, "-m", "querywright.cli.main", "schema", "--workspace", str(tmp_path), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [(s["path"], s["line"]) for s in data["skipped"]] == [("sakila-sqlite.sql", 220), ("sakila-sqlite.sql", 331)]
    assert all(s["reason"] and s["statement"] for s in data["skipped"])
    assert "WARNING" not in done.stderr


def test_mysql_use_database_makes_qualified_names_resolve(tmp_path: Path) -> None:
    from querywright.server.sql.workspace import SchemaIndex
    from querywright.server.config import load_config

    shutil.copy(CORPUS / "sakila-mysql.sql", tmp_path / "sakila-mysql.sql")
    (tmp_path / "querywright.toml").write_text('dialect = "mysql"\n')
    config, _problems = load_config(tmp_path)
    index = SchemaIndex(root=tmp_path, config=config)
    catalog = index.load()
    assert catalog.default_schema == "sakila"
    assert catalog.find("actor", "sakila") is catalog.find("actor") is not None
    assert catalog.find("actor", "other") is None


def test_utf16_and_latin1_files_are_read_and_a_binary_file_is_skipped(tmp_path: Path) -> None:
    from querywright.server.config import load_config
    from querywright.server.sql.workspace import SchemaIndex

    ddl = (CORPUS / "sakila-sqlite.sql").read_text("utf-8")
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "001_sakila_utf16.sql").write_bytes(ddl.encode("utf-16"))
    (tmp_path / "schema" / "002_cafe.sql").write_bytes("CREATE TABLE café (prénom TEXT);\n".encode("latin-1"))
    (tmp_path / "schema" / "003_blob.sql").write_bytes(b"\x00\x01CREATE TABLE hidden (id INT);\x00")
    (tmp_path / "querywright.toml").write_text('dialect = "sqlite"\n')
    config, _problems = load_config(tmp_path)
    catalog = SchemaIndex(root=tmp_path, config=config).load()
    assert catalog.find("film") is not None and len([t for t in catalog if t.kind == "table"]) == 17
    assert catalog.find("café") is not None and "prénom" in catalog.find("café").columns
    assert catalog.find("hidden") is None
    assert {i.path: i.code for i in catalog.issues if i.code in ("not-utf8", "binary-file")} == {"schema/002_cafe.sql": "not-utf8", "schema/003_blob.sql": "binary-file"}


def test_search_path_places_unqualified_tables_and_pg_dump_empty_path_keeps_names() -> None:
    text = "SET search_path = sales, public;\nCREATE TABLE orders (id INT);\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.items (id INT, order_id INT);\nALTER TABLE ONLY public.items ADD CONSTRAINT fk FOREIGN KEY (order_id) REFERENCES sales.orders(id);\n"
    parsed = parse_schema_text(text, "s.sql", "postgres")
    catalog = Catalog(dialect="postgres")
    apply_ops(catalog, parsed.ops)
    assert sorted(catalog.tables) == ["public.items", "sales.orders"]
    assert catalog.find("orders", "sales") is catalog.find("orders") is not None
    assert catalog.find("items") is catalog.find("items", "public") is not None
    assert [fk.ref_table for fk in catalog.find("items").foreign_keys] == ["sales.orders"]
