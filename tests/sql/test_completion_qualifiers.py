"""Select-list completion offers the tables and aliases in scope as qualifiers (after the
columns); table positions offer schema names, and ``schema.`` the tables of that schema.

Runs over the Sakila PostgreSQL schema of the public corpus (tests/sql/fixtures/corpus)
and an AdventureWorks-like schema with the ``sales``, ``person`` and ``hr`` schemas.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.completion import complete

from ..support.schema_workspace import schema_catalog

CORPUS = Path(__file__).parent / "fixtures" / "corpus"

ADVENTUREWORKS = """
CREATE TABLE person.person (businessentityid int PRIMARY KEY, firstname text, lastname text);
CREATE TABLE person.address (addressid int PRIMARY KEY, city text);
CREATE TABLE hr.employee (businessentityid int PRIMARY KEY, jobtitle text);
CREATE TABLE sales.salesperson (businessentityid int PRIMARY KEY, territoryid int);
CREATE TABLE sales.salesterritory (territoryid int PRIMARY KEY, name text);
"""


@pytest.fixture(scope="module")
def sakila(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return schema_catalog(tmp_path_factory.mktemp("sakila"), (CORPUS / "sakila-postgres.sql").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def adventureworks(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return schema_catalog(tmp_path_factory.mktemp("aw"), ADVENTUREWORKS)


def labels(sql: str, catalog: Catalog) -> list[tuple[str, str]]:
    offset = sql.index("|")
    items = complete(sql.replace("|", ""), offset, catalog).items
    return [(i.label, i.kind) for i in sorted(items, key=lambda i: i.sort_text)]


def test_alias_offered_after_columns(sakila: Catalog) -> None:
    got = labels("SELECT | FROM city c", sakila)
    assert ("c", "alias") in got
    first_alias = got.index(("c", "alias"))
    assert ("city", "column") in got[:first_alias] and ("country_id", "column") in got[:first_alias]


def test_unaliased_tables_offered_as_qualifiers(sakila: Catalog) -> None:
    got = labels("SELECT | FROM actor JOIN film_actor USING (actor_id)", sakila)
    assert ("actor", "alias") in got and ("film_actor", "alias") in got
    assert got.index(("actor", "alias")) > got.index(("first_name", "column"))


def test_schema_names_offered(adventureworks: Catalog) -> None:
    got = labels("SELECT * FROM |", adventureworks)
    assert {("sales", "schema"), ("person", "schema"), ("hr", "schema")} <= set(got)


def test_no_schema_items_for_default_schema_only(sakila: Catalog) -> None:
    got = labels("SELECT * FROM |", sakila)
    assert not [g for g in got if g[1] == "schema"]


@pytest.mark.parametrize(("schema", "tables"), [("sales", {"salesperson", "salesterritory"}), ("person", {"person", "address"}), ("hr", {"employee"})])
def test_tables_of_schema(adventureworks: Catalog, schema: str, tables: set[str]) -> None:
    got = labels(f"SELECT * FROM {schema}.|", adventureworks)
    assert {label for label, kind in got if kind in ("table", "view")} == tables


@pytest.mark.parametrize(
    ("sql", "columns"),
    [
        ("SELECT | FROM generate_series(1, 10) AS g(n)", ["n"]),
        ("SELECT | FROM generate_series(1, 10) g", ["g"]),
        ("SELECT | FROM (VALUES (1, 'a')) AS v(id, name)", ["id", "name"]),
        ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT | FROM t", ["n"]),
        ("SELECT | FROM actor a CROSS JOIN LATERAL (SELECT count(*) AS films FROM film_actor fa WHERE fa.actor_id = a.actor_id) x", ["films"]),
    ],
)
def test_columns_of_function_values_lateral_and_recursive_sources(sakila: Catalog, sql: str, columns: list[str]) -> None:
    got = labels(sql, sakila)
    assert set(columns) <= {label for label, kind in got if kind == "column"}
