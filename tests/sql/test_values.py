"""Seed data (COPY blocks, INSERT rows, fixtures) read into a bounded value sample, on the
real Sakila corpus (tests/sql/fixtures/corpus, BSD 2-Clause, LICENSE.sakila)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from querywright.server.sql.catalog import Catalog
from querywright.server.sql.replay import apply_ops
from querywright.server.sql.text import split_statements
from querywright.server.sql.values import TRUNCATED, Limits, ValueSample, collect_fixture_values, collect_values, read_seed
from querywright.server.sql.workspace import parse_schema_text

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
DATA = CORPUS / "sakila-postgres-data.sql"


def _catalog(name: str, dialect: str = "postgres") -> Catalog:
    parsed = parse_schema_text((CORPUS / name).read_text(encoding="utf-8"), name, dialect)
    catalog = Catalog(dialect=dialect)
    apply_ops(catalog, parsed.ops)
    return catalog


@pytest.fixture(scope="module")
def sakila() -> Catalog:
    return _catalog("sakila-postgres.sql")


@pytest.fixture(scope="module")
def sample(sakila: Catalog) -> ValueSample:
    return collect_values(DATA.read_text(encoding="utf-8"), DATA.name, "postgres", sakila)


def test_copy_blocks_reach_every_table_under_catalog_keys(sample: ValueSample, sakila: Catalog) -> None:
    tables = {t for t, _ in sample.columns}
    assert tables == {"language", "country", "city", "address", "actor", "staff", "store", "category", "film", "inventory", "film_actor", "film_category", "customer", "rental", "payment"}
    assert all(t in sakila.tables for t in tables)
    assert sorted(sample.values("category", "name")) == sorted(
        ["Action", "Animation", "Children", "Classics", "Comedy", "Documentary", "Drama", "Family", "Foreign", "Games", "Horror", "Music", "New", "Sci-Fi", "Sports", "Travel"]
    )
    assert set(sample.values("film", "rating")) == {"G", "PG", "PG-13", "R", "NC-17"}
    assert sample.get("film", "rating").complete
    assert "London" in sample.values("city", "city")
    assert "GUINESS" in sample.values("actor", "last_name") and "PENELOPE" in sample.values("actor", "first_name")
    assert "ACADEMY DINOSAUR" in sample.values("film", "title")
    assert "1913 Hanoi Way" in sample.values("address", "address")
    assert sample.get("rental", "rental_id").rows == 16044
    assert sample.get("rental", "return_date").nulls == 183
    assert sample.skipped == []


def test_bounds_hold(sample: ValueSample) -> None:
    limits = Limits()
    assert all(len(bag) <= limits.per_column for _, bag in sample)
    assert all(len(v) <= limits.max_chars for _, bag in sample for v in bag)
    rental = sample.get("rental", "rental_id")
    assert len(rental) == limits.per_column and not rental.complete
    cut = [v for v in sample.values("film", "description") if v.endswith(TRUNCATED)]
    assert cut and all(len(v) == limits.max_chars for v in cut)
    assert sample.get("address", "address2").nulls == 603 and len(sample.get("address", "address2")) == 0
    tight = collect_values(DATA.read_text(encoding="utf-8"), DATA.name, "postgres", Catalog(), Limits(per_column=50, total_chars=20_000))
    assert all(len(bag) <= 50 for _, bag in tight)
    assert sum(len(v) + 8 for _, bag in tight for v in bag) <= 20_000


def test_copy_escapes_nulls_and_binary() -> None:
    text = (
        "COPY public.t (a, b, \"C\") FROM stdin;\n"
        "x\\ty\t\\N\tline\\nbreak\n"
        "back\\\\slash\t\\\\x00ff\t\\x41\n"
        "\\.\n"
    )
    sample = collect_values(text, "t.sql", "postgres", Catalog())
    assert sample.values("public.t", "a") == ["x\ty", "back\\slash"]
    assert sample.get("public.t", "b").nulls == 1
    assert sample.values("public.t", "b") == []  # "\x00ff": bytea hex is binary, not kept
    assert sample.get("public.t", "b").skipped == 1
    assert sample.values("public.t", "C") == ["line\nbreak", "A"]


def test_copy_statement_from_splitter_and_unterminated_block() -> None:
    header = "COPY category (category_id, name, last_update) FROM stdin;\n"
    block = header + "1\tAction\t2006-02-15 04:46:27\n2\tAnimation; with a semicolon\t2006-02-15\n\\.\n"
    whole = collect_values(block, "c.sql", "postgres", Catalog())
    assert whole.values("category", "name") == ["Action", "Animation; with a semicolon"]
    # a splitter that keeps the COPY data in its statement: read from the statement itself
    from server.sql.text import Statement

    statement = Statement(0, 0, 0, len(block), block, False)
    assert read_seed([statement], "c.sql", "postgres").resolve(Catalog()).values("category", "name") == whole.values("category", "name")
    cut = collect_values(header + "1\tAction\t2006\n", "c.sql", "postgres", Catalog())
    assert cut.values("category", "name") == ["Action"]
    assert cut.skipped and "never ends" in cut.skipped[0].reason


def test_inserts_named_positional_and_expressions(sakila: Catalog) -> None:
    text = (
        "INSERT INTO category (category_id, name) VALUES (17, 'Film''s Noir'), (18, E'Tab\\tbed'), (19, upper('x'));\n"
        "INSERT INTO public.language VALUES (7, 'Klingon', now());\n"
        "INSERT INTO film (title, rating) SELECT title, rating FROM film;\n"
        "INSERT INTO actor (actor_id, first_name, last_name) VALUES (-1, NULL, 'X'::text);\n"
    )
    sample = collect_values(text, "seed.sql", "postgres", sakila)
    assert sample.values("category", "name") == ["Film's Noir", "Tab\tbed"]
    assert sample.values("category", "category_id") == ["17", "18", "19"]
    # no column list: positions follow the catalog's column order
    assert sample.values("language", "name") == ["Klingon"]
    assert sample.values("language", "last_update") == []
    assert sample.get("film", "title") is None
    assert sample.values("actor", "last_name") == ["X"] and sample.values("actor", "actor_id") == ["-1"]
    assert sample.get("actor", "first_name").nulls == 1


def test_mysql_insert_with_backslash_escapes() -> None:
    text = "INSERT INTO `film_text` (`film_id`, `title`) VALUES (1,'It\\'s a \\\\ test'),(2,'B');"
    sample = collect_values(text, "m.sql", "mysql", Catalog(dialect="mysql"))
    assert sample.values("film_text", "title") == ["It's a \\ test", "B"]


def test_real_insert_of_adventureworks_keeps_multiline_values() -> None:
    catalog = _catalog("adventureworks-postgres.sql")
    text = (CORPUS / "adventureworks-postgres.sql").read_text(encoding="utf-8")
    seed = read_seed(text, "adventureworks-postgres.sql", "postgres")
    assert seed.rows == 4
    sample = seed.resolve(catalog)
    (key,) = {t for t, _ in sample.columns}
    names = sample.table(key)
    reviewer = next(bag for ckey, bag in names.items() if bag.column.lower() == "reviewername")
    assert list(reviewer) == ["John Smith", "David", "Jill", "Laura Norman"]


def test_statements_from_the_splitter_give_the_same_inserts(sakila: Catalog) -> None:
    text = "INSERT INTO category (category_id, name) VALUES (30, 'Western'), (31, 'Noir');\nSELECT 1;"
    assert collect_values(split_statements(text, "postgres"), "s.sql", "postgres", sakila).columns == collect_values(text, "s.sql", "postgres", sakila).columns


def test_merge_keeps_bounds_and_order(sample: ValueSample, sakila: Catalog) -> None:
    extra = collect_values("INSERT INTO category (name) VALUES ('Western'), ('Comedy');", "x.sql", "postgres", sakila)
    merged = sample.merge(extra)
    names = merged.values("category", "name")
    assert names[:16] == sample.values("category", "name") and names[16:] == ["Western"]
    assert merged.get("category", "name").rows == 18
    assert len(sample.values("category", "name")) == 16  # inputs untouched
    assert ValueSample.merge_all([sample, extra]).values("category", "name") == names


def test_fixtures_named_after_tables(sakila: Catalog) -> None:
    csv_sample = collect_fixture_values("seeds/category.csv", "category_id,name\n40,Western\n41,\n", sakila)
    assert csv_sample.values("category", "name") == ["Western"]
    json_sample = collect_fixture_values("seeds/data.json", '{"country": [{"country_id": 200, "country": "Atlantis"}]}', sakila)
    assert json_sample.values("country", "country") == ["Atlantis"]
    broken = collect_fixture_values("seeds/city.json", "{not json", sakila)
    assert not broken and broken.skipped


def test_files_without_seed_data_give_nothing(sakila: Catalog) -> None:
    for name in ("sakila-postgres.sql", "sakila-mysql.sql", "sakila-sqlite.sql", "sakila-oracle.sql"):
        assert not collect_values((CORPUS / name).read_text(encoding="utf-8"), name, "postgres", sakila)
    assert not collect_values("", "e.sql", "postgres", sakila)
    assert not collect_values("INSERT INTO", "e.sql", "postgres", sakila)
    assert not collect_values("INSERT INTO t VALUES ('unterminated", "e.sql", "postgres", sakila)


def test_sakila_data_file_reads_in_under_a_second(sakila: Catalog) -> None:
    text = DATA.read_text(encoding="utf-8")
    start = time.perf_counter()
    collect_values(text, DATA.name, "postgres", sakila)
    assert time.perf_counter() - start < 1.0


def test_statements_of_the_dialect_splitter_read_the_copy_blocks_alike(sample: ValueSample, sakila: Catalog) -> None:
    statements = split_statements(DATA.read_text(encoding="utf-8"), "postgres")
    assert collect_values(statements, DATA.name, "postgres", sakila).columns == sample.columns


def test_workspace_reads_seed_rows_in_the_schema_pass(tmp_path: Path) -> None:
    """A pg_dump data file (COPY blocks only) is a schema file; its rows reach ``values``."""
    from querywright.server.config import Config
    from querywright.server.sql.workspace import load_catalog

    for name in ("sakila-postgres.sql", "sakila-postgres-data.sql"):
        (tmp_path / name).write_bytes((CORPUS / name).read_bytes())
    index = load_catalog(tmp_path, Config(dialect="postgres"))
    assert "sakila-postgres-data.sql" in index.files.schema and not index.files.queries
    assert "Comedy" in index.values.columns[("category", "name")].values
    assert "London" in index.values.columns[("city", "city")].values
    assert len(index.catalog.tables) == 28  # the data file adds rows, not tables
    index.rebuild()
    assert "Comedy" in index.values.columns[("category", "name")].values
