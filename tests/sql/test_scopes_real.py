"""Scopes on real schemas: USING / NATURAL joins, lateral joins, table functions, VALUES
lists and recursive CTEs give no false positives, and the true errors are still reported.

Runs over the Sakila PostgreSQL schema of the public corpus (tests/sql/fixtures/corpus,
with its license) and an AdventureWorks-like schema with several schemas.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.checks import check_text

from ..support.schema_workspace import schema_catalog

CORPUS = Path(__file__).parent / "fixtures" / "corpus"

ADVENTUREWORKS = """
CREATE TABLE person.person (businessentityid int PRIMARY KEY, firstname text, lastname text, modifieddate timestamp);
CREATE TABLE hr.employee (businessentityid int PRIMARY KEY, jobtitle text, modifieddate timestamp);
CREATE TABLE sales.salesperson (businessentityid int PRIMARY KEY, territoryid int, modifieddate timestamp);
CREATE TABLE sales.salesterritory (territoryid int PRIMARY KEY, name text, modifieddate timestamp);
"""



@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Catalog]:
    base = tmp_path_factory.mktemp("scopes")
    out = {
        "sakila": schema_catalog(base / "sakila", (CORPUS / "sakila-postgres.sql").read_text(encoding="utf-8")),
        "adventureworks": schema_catalog(base / "aw", ADVENTUREWORKS),
    }
    assert out["sakila"].find("actor") is not None and out["sakila"].find("customer") is not None
    assert out["adventureworks"].find("person", "person") is not None
    return out


CLEAN = [
    ("sakila", "SELECT first_name, last_name FROM actor JOIN customer USING (first_name, last_name)"),
    ("sakila", "SELECT actor_id, film_id FROM actor JOIN film_actor USING (actor_id)"),
    ("sakila", "SELECT first_name, last_update FROM actor NATURAL JOIN customer"),
    ("sakila", "SELECT film_id, actor_id FROM film JOIN film_actor USING (film_id) JOIN actor USING (actor_id)"),
    ("sakila", "SELECT a.first_name, x.n FROM actor a CROSS JOIN LATERAL (SELECT count(*) AS n FROM film_actor fa WHERE fa.actor_id = a.actor_id) x"),
    ("sakila", "SELECT title, u.x FROM film CROSS JOIN unnest(special_features) AS u(x)"),
    ("sakila", "SELECT n FROM generate_series(1, 10) AS g(n)"),
    ("sakila", "SELECT g FROM generate_series(1, 10) g"),
    ("sakila", "SELECT id, name FROM (VALUES (1, 'a')) AS v(id, name)"),
    ("sakila", "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT n FROM t"),
    ("adventureworks", "SELECT businessentityid, firstname, jobtitle FROM person.person JOIN hr.employee USING (businessentityid)"),
    ("adventureworks", "SELECT businessentityid, territoryid, name FROM sales.salesperson JOIN sales.salesterritory USING (territoryid)"),
]


@pytest.mark.parametrize(("schema", "sql"), CLEAN)
def test_no_false_positive(catalogs: dict[str, Catalog], schema: str, sql: str) -> None:
    assert [(i.code, i.message) for i in check_text(sql, catalogs[schema])] == []


ERRORS = [
    ("sakila", "SELECT last_update FROM actor JOIN film_actor USING (actor_id)", "ambiguous-column", "last_update"),
    ("sakila", "SELECT first_name FROM actor JOIN customer USING (last_name)", "ambiguous-column", "first_name"),
    ("sakila", "SELECT nosuch FROM actor JOIN customer USING (first_name, last_name)", "unknown-column", "nosuch"),
    ("sakila", "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT m FROM t", "unknown-column", "m"),
    ("sakila", "SELECT v.nope FROM (VALUES (1, 'a')) AS v(id, name)", "unknown-column", "nope"),
    ("adventureworks", "SELECT modifieddate FROM person.person JOIN hr.employee USING (businessentityid)", "ambiguous-column", "modifieddate"),
]


@pytest.mark.parametrize(("schema", "sql", "code", "name"), ERRORS)
def test_true_errors_still_reported(catalogs: dict[str, Catalog], schema: str, sql: str, code: str, name: str) -> None:
    issues = check_text(sql, catalogs[schema])
    assert [i.code for i in issues] == [code], [(i.code, i.message) for i in issues]
    assert name in issues[0].message
