"""``check`` accepts real queries against each corpus schema: no false positive.

The 42 gold queries of ``fixtures/corpus/sakila.jsonl`` (human-written, each run on
PostgreSQL with the Sakila rows) against ``sakila-postgres.sql``, and a few queries per
dialect that use ``USING`` and ``NATURAL`` joins, schema-qualified names and CTEs. They
are valid SQL of their dialect (the PostgreSQL and SQLite ones are planned by the real
database below), so any issue reported is a false positive."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from querywright.server.sql.checks import check_text
from sqlalchemy import create_engine, text

from .test_corpus_oracle import CORPUS, build_catalog, load_into_postgres

GOLD = [
    json.loads(line)
    for line in (CORPUS / "sakila.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]

SAKILA_COMMON = [
    "SELECT first_name, last_name, count(*) FROM actor JOIN film_actor USING (actor_id) GROUP BY first_name, last_name",
    "SELECT a.first_name, c.first_name FROM actor a JOIN customer c USING (first_name, last_name)",
    "SELECT first_name, last_name FROM actor a JOIN customer c USING (first_name, last_name) WHERE last_name LIKE 'S%'",
    "SELECT film_id, title, category_id FROM film NATURAL JOIN film_category",
    (
        "WITH rented AS (SELECT inventory_id, count(*) AS n FROM rental GROUP BY inventory_id) "
        "SELECT i.film_id, sum(r.n) FROM inventory i JOIN rented r ON r.inventory_id = i.inventory_id GROUP BY i.film_id"
    ),
    "WITH c AS (SELECT city_id, city FROM city) SELECT address, city FROM address JOIN c USING (city_id)",
]

QUERIES: dict[tuple[str, str], list[str]] = {
    ("sakila-postgres.sql", "postgres"): [
        *SAKILA_COMMON,
        "SELECT p.amount, c.email FROM public.payment p JOIN public.customer c USING (customer_id)",
    ],
    ("sakila-sqlite.sql", "sqlite"): SAKILA_COMMON,
    ("sakila-mysql.sql", "mysql"): [
        *SAKILA_COMMON,
        "SELECT title FROM sakila.film JOIN sakila.language USING (language_id)",
    ],
    ("sakila-sql-server.sql", "tsql"): [
        "SELECT [first_name], [last_name] FROM [dbo].[actor] JOIN [film_actor] ON [film_actor].[actor_id] = [actor].[actor_id]",
        "SELECT TOP 5 f.title, l.name FROM dbo.film f JOIN dbo.language l ON l.language_id = f.language_id",
        "WITH c AS (SELECT city_id, city FROM city) SELECT a.address, c.city FROM address a JOIN c ON c.city_id = a.city_id",
    ],
    ("sakila-oracle.sql", "oracle"): [
        "SELECT first_name, last_name FROM actor JOIN film_actor USING (actor_id) WHERE ROWNUM <= 5",
        "SELECT title, name FROM film JOIN language USING (language_id)",
        "WITH c AS (SELECT city_id, city FROM city) SELECT address, city FROM address JOIN c USING (city_id)",
    ],
    ("sakila-db2.sql", "postgres"): SAKILA_COMMON,
    ("sakila-cockroachdb.sql", "postgres"): SAKILA_COMMON,
    ("sakila-yugabytedb.sql", "postgres"): SAKILA_COMMON,
    ("adventureworks-postgres.sql", "postgres"): [
        "SELECT p.firstname, p.lastname, e.jobtitle FROM humanresources.employee e JOIN person.person p USING (businessentityid)",
        "SELECT pr.name, ps.name FROM production.product pr JOIN production.productsubcategory ps USING (productsubcategoryid)",
        "SELECT firstname, emailaddress FROM person.person JOIN person.emailaddress USING (businessentityid)",
        (
            "WITH orders AS (SELECT customerid, count(*) AS n FROM sales.salesorderheader GROUP BY customerid) "
            "SELECT c.customerid, o.n FROM sales.customer c JOIN orders o ON o.customerid = c.customerid"
        ),
        "SELECT name, groupname FROM humanresources.department ORDER BY name",
    ],
}


def _issues(sql: str, catalog: object) -> list[str]:
    return [f"{issue.code}: {issue.message}" for issue in check_text(sql, catalog)]  # type: ignore[arg-type]


def test_gold_queries_have_no_issue(tmp_path: Path) -> None:
    catalog = build_catalog(tmp_path, "sakila-postgres.sql", "postgres")
    found = {q["id"]: _issues(q["gold"], catalog) for q in GOLD}
    assert len(GOLD) == 42
    assert not {k: v for k, v in found.items() if v}


@pytest.mark.parametrize(("name", "dialect"), list(QUERIES))
def test_queries_have_no_false_positive(name: str, dialect: str, tmp_path: Path) -> None:
    catalog = build_catalog(tmp_path, name, dialect)
    found = {sql: _issues(sql, catalog) for sql in QUERIES[(name, dialect)]}
    false = {sql: issues for sql, issues in found.items() if issues}
    assert not false, f"{name} ({dialect}): false positives:\n" + "\n".join(
        f"  {sql}\n    -> {issues}" for sql, issues in false.items()
    )


@pytest.mark.parametrize("name", ["sakila-postgres.sql", "adventureworks-postgres.sql"])
def test_postgres_queries_are_valid_on_postgres(name: str, postgres_url: str) -> None:
    engine = create_engine(load_into_postgres(postgres_url, name))
    queries = QUERIES[(name, "postgres")] + (
        [q["gold"] for q in GOLD] if name == "sakila-postgres.sql" else []
    )
    with engine.connect() as conn:
        for sql in queries:
            conn.execute(text("EXPLAIN " + sql.replace(":", "\\:")))
    engine.dispose()


def test_sqlite_queries_are_valid_on_sqlite() -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript((CORPUS / "sakila-sqlite.sql").read_text(encoding="utf-8"))
    for sql in QUERIES[("sakila-sqlite.sql", "sqlite")]:
        conn.execute("EXPLAIN " + sql)
    conn.close()
