"""``compares-with-null`` (model output only): a comparison with NULL keeps no row."""

from __future__ import annotations

import pytest
from querywright.server.sql.checks import check_sql, check_text
from querywright.trainer.records import catalog_from_sql

DDL = "CREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT, length INTEGER, return_date DATE);"


@pytest.mark.parametrize("sql", [
    "SELECT title FROM film WHERE length BETWEEN 180 AND NULL",
    "SELECT title FROM film WHERE length = NULL",
    "SELECT title FROM film WHERE NULL <> return_date",
    "SELECT title FROM film WHERE length IN (NULL)",
])  # fmt: skip
def test_flagged_for_model_output_only(sql: str) -> None:
    catalog = catalog_from_sql(DDL, "postgres")
    assert [i.code for i in check_sql(sql, catalog, ai=True)] == ["compares-with-null"]
    assert check_text(sql, catalog) == []  # the editor leaves it to the user


@pytest.mark.parametrize("sql", [
    "SELECT title FROM film WHERE return_date IS NULL",
    "SELECT title FROM film WHERE return_date IS NOT NULL AND length > 180",
    "SELECT COALESCE(length, 0) = 0 FROM film",
    "SELECT title FROM film WHERE length IN (1, NULL)",
])  # fmt: skip
def test_not_flagged(sql: str) -> None:
    assert check_sql(sql, catalog_from_sql(DDL, "postgres"), ai=True) == []
