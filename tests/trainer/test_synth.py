"""Synthesis over the shop example and over awkward schemas: every pair checks and runs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.scratch import ScratchDB
from querywright.server.sql.workspace import load_catalog
from querywright.trainer.phrasing import column_phrase, table_phrase
from querywright.trainer.records import catalog_from_sql, record_errors, validate_sql
from querywright.trainer.synth import synthesize

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
ALL_LABELS = {"basic SQL", "aggregation", "single join", "multiple_joins", "subqueries",
              "set operations", "window functions", "CTEs"}


@pytest.fixture(scope="module")
def shop() -> Catalog:
    config, _ = load_config(SHOP)
    return load_catalog(SHOP, config).catalog


def _assert_all_run(catalog: Catalog, records: list[dict]) -> None:
    """Each SQL validates against the catalog and runs on a freshly built scratch database."""
    db = ScratchDB(catalog, seed=123)
    try:
        for record in records:
            _tree, reason = validate_sql(record["sql"], catalog)
            assert reason is None, (record["sql"], reason)
            _rows, error = db.run(record["sql"], catalog.dialect)
            assert error is None, (record["sql"], error)
            assert record_errors(record) == []
    finally:
        db.close()


def test_shop_pairs_cover_every_shape_and_all_run(shop: Catalog) -> None:
    result = synthesize(shop, 150, seed=1, schema_id="workspace:shop")
    assert len(result.records) == 150
    assert result.executed == result.attempted  # nothing generated failed to run
    labels = Counter(r["complexity"] for r in result.records)
    assert set(labels) == ALL_LABELS, labels
    generators = {r["provenance"]["generator"] for r in result.records}
    assert len(generators) >= 15
    assert len({r["sql"] for r in result.records}) == 150
    _assert_all_run(shop, result.records)


def test_deterministic_by_seed(shop: Catalog) -> None:
    first = [(r["question"], r["sql"]) for r in synthesize(shop, 40, seed=7).records]
    again = [(r["question"], r["sql"]) for r in synthesize(shop, 40, seed=7).records]
    other = [(r["question"], r["sql"]) for r in synthesize(shop, 40, seed=8).records]
    assert first == again
    assert first != other


def test_phrasings_vary(shop: Catalog) -> None:
    result = synthesize(shop, 150, seed=3)
    counts = [r["question"].split()[0] for r in result.records if r["provenance"]["generator"] == "synth:count_rows"]
    assert len(set(counts)) >= 2
    assert any("creation date" in r["question"] or "order date" in r["question"] for r in result.records)


AWKWARD = """
CREATE TABLE "Order" ("Id" INTEGER PRIMARY KEY, "Placed At" TIMESTAMP, amount NUMERIC(10, 2), "group" TEXT);
CREATE TABLE sales.line (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES "Order" ("Id"), qty INTEGER, note TEXT);
CREATE TABLE tags (id SERIAL PRIMARY KEY, label VARCHAR(8), payload JSONB, list TEXT[]);
"""


def test_quoted_reserved_and_schema_qualified_names() -> None:
    catalog = catalog_from_sql(AWKWARD, "postgres")
    result = synthesize(catalog, 60, seed=0)
    assert len(result.records) >= 30
    _assert_all_run(catalog, result.records)
    assert any('"Order"' in r["sql"] for r in result.records)
    assert any("sales.line" in r["sql"] for r in result.records)


@pytest.mark.parametrize("dialect", ["sqlite", "mysql", "duckdb"])
def test_other_dialects(dialect: str) -> None:
    ddl = """
    CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(40), country VARCHAR(2), born DATE);
    CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors (id), title VARCHAR(80), pages INTEGER, price DECIMAL(6, 2));
    """
    catalog = catalog_from_sql(ddl, dialect)
    result = synthesize(catalog, 60, seed=0)
    assert len(result.records) >= 40
    _assert_all_run(catalog, result.records)
    assert all(r["dialect"] == dialect for r in result.records)


def test_empty_catalog_gives_nothing() -> None:
    result = synthesize(Catalog(dialect="postgres"), 10)
    assert result.records == [] and result.dropped.as_dict() == {"no-tables": 1}


@pytest.mark.parametrize(("name", "phrase"), [
    ("created_at", "creation date"), ("is_active", "active"), ("price_cents", "price in cents"),
    ("user_id", "user ID"), ("qty", "quantity"),
])
def test_column_phrases(name: str, phrase: str) -> None:
    assert column_phrase(name) == phrase


def test_table_phrases() -> None:
    assert table_phrase("order_items") == "order items"
    assert table_phrase("order_items", many=False) == "order item"
    assert table_phrase("categories", many=False) == "category"
    assert table_phrase("people") == "people"


def test_values_come_from_the_configured_database(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "live.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE cities (id INTEGER PRIMARY KEY, name TEXT, region TEXT, population INTEGER)")
    conn.executemany("INSERT INTO cities VALUES (?, ?, ?, ?)",
                     [(i, f"Zanzibar-{i}", ["North", "South"][i % 2], 1000 * i) for i in range(1, 9)])
    conn.commit()
    conn.close()
    catalog = catalog_from_sql("CREATE TABLE cities (id INTEGER PRIMARY KEY, name TEXT, region TEXT, population INTEGER);", "sqlite")
    result = synthesize(catalog, 40, seed=0, database_url=f"sqlite:///{path}")
    texts = " ".join(r["sql"] for r in result.records)
    assert "Zanzibar-" in texts or "'North'" in texts or "'South'" in texts
    _assert_all_run(catalog, result.records)
