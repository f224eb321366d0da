"""``ungrouped-column`` over the real Sakila schema, with the real PostgreSQL as oracle.

REJECTED statements are refused by PostgreSQL ("must appear in the GROUP BY clause") and
flagged at the column PostgreSQL names; ACCEPTED ones plan and are not flagged, including
grouping by a table's primary key (functional dependency), by ordinals and output
aliases, window functions and subqueries. SQLite and MySQL never get the rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.checks import check_text
from sqlalchemy import create_engine, text

from .test_corpus_oracle import build_catalog, load_into_postgres

# (statement, the column PostgreSQL names)
REJECTED = [
    ("SELECT title, count(*) FROM film", "title"),
    ("SELECT rating, title, count(*) FROM film GROUP BY rating", "title"),
    ("SELECT c.first_name, count(*) FROM customer c JOIN rental r ON r.customer_id = c.customer_id GROUP BY r.staff_id", "c.first_name"),
    ("SELECT f.title, c.name FROM film f JOIN film_category fc ON fc.film_id = f.film_id JOIN category c ON c.category_id = fc.category_id GROUP BY f.film_id", "c.name"),
    ("SELECT first_name || ' ' || last_name, count(*) FROM actor GROUP BY first_name", "last_name"),
    ("SELECT staff_id, amount, count(*) FROM payment GROUP BY 1", "amount"),
    ("WITH t AS (SELECT customer_id, amount FROM payment) SELECT customer_id, amount, count(*) FROM t GROUP BY customer_id", "amount"),
    ("SELECT title, avg(length) FROM film GROUP BY rating HAVING avg(length) > 100", "title"),
    ("SELECT x.title FROM (SELECT title, rating FROM film) x GROUP BY x.rating", "x.title"),
]
ACCEPTED = [
    "SELECT rating, count(*) FROM film GROUP BY rating",
    "SELECT rating, count(*) FROM film GROUP BY 1",
    "SELECT rating AS r, count(*) FROM film GROUP BY r",
    "SELECT upper(title) AS t, count(*) FROM film GROUP BY t",
    "SELECT f.title, f.rating, count(*) FROM film f JOIN inventory i ON i.film_id = f.film_id GROUP BY f.film_id",  # primary key
    "SELECT c.first_name, c.last_name, sum(p.amount) FROM customer c JOIN payment p USING (customer_id) GROUP BY c.customer_id ORDER BY 3 DESC LIMIT 5",
    "SELECT date_trunc('month', payment_date), sum(amount) FROM payment GROUP BY date_trunc('month', payment_date)",
    "SELECT date_trunc('month', p.payment_date), sum(amount) FROM payment p GROUP BY date_trunc('month', payment_date)",
    "SELECT extract(year FROM rental_date) AS y, count(*) FROM rental GROUP BY extract(year FROM rental_date)",
    "SELECT title, rank() OVER (ORDER BY length) FROM film",
    "SELECT rating, count(*), sum(count(*)) OVER () FROM film GROUP BY rating",
    "SELECT count(*), 1, 'x', now() FROM film",
    "SELECT count(*) FILTER (WHERE rating = 'PG'), max(title) FROM film",
    "SELECT (SELECT count(*) FROM inventory i WHERE i.film_id = f.film_id) FROM film f",
    "SELECT title FROM film GROUP BY title",
    "SELECT title FROM film f WHERE EXISTS (SELECT 1 FROM inventory i WHERE i.film_id = f.film_id GROUP BY i.store_id)",
    "SELECT rating, length > 100 AS long, count(*) FROM film GROUP BY rating, length > 100",
    "SELECT c.name, count(*) FROM category c JOIN film_category USING (category_id) GROUP BY c.name",
    "SELECT customer_id, sum(amount) FROM payment GROUP BY customer_id HAVING sum(amount) > 100",
    "SELECT a.actor_id, a.first_name, string_agg(f.title, ', ') FROM actor a JOIN film_actor fa USING (actor_id) JOIN film f USING (film_id) GROUP BY a.actor_id",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY length) FROM film",
    "SELECT rating, count(*) FROM film GROUP BY ROLLUP (rating)",
    "SELECT DISTINCT rating FROM film",
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return build_catalog(Path(tmp_path_factory.mktemp("group")), "sakila-postgres.sql", "postgres")


@pytest.mark.parametrize(("sql", "column"), REJECTED)
def test_ungrouped_column_is_flagged(sql: str, column: str, catalog: Catalog) -> None:
    issues = check_text(sql, catalog)
    assert [i.code for i in issues] == ["ungrouped-column"], issues
    assert issues[0].message == f'column "{column}" must appear in the GROUP BY clause or be used in an aggregate function'


def test_quick_fix_adds_the_column_to_group_by(catalog: Catalog) -> None:
    sql = "SELECT rating, f.title, count(*) FROM film f GROUP BY rating"
    (issue,) = check_text(sql, catalog)
    (fix,) = issue.fixes
    assert fix.title == "Add f.title to GROUP BY"
    (edit,) = fix.edits
    fixed = sql[: edit.span.start.character] + edit.new_text + sql[edit.span.end.character :]
    assert fixed == "SELECT rating, f.title, count(*) FROM film f GROUP BY rating, f.title"
    assert check_text(fixed, catalog) == []
    (implicit,) = check_text("SELECT title, count(*) FROM film", catalog)
    assert implicit.fixes == ()  # no GROUP BY to extend


@pytest.mark.parametrize("sql", ACCEPTED)
def test_grouped_or_aggregated_is_accepted(sql: str, catalog: Catalog) -> None:
    assert [i.code for i in check_text(sql, catalog)] == []


@pytest.mark.parametrize(("name", "dialect"), [("sakila-sqlite.sql", "sqlite"), ("sakila-mysql.sql", "mysql")])
def test_lenient_dialects_are_not_checked(tmp_path: Path, name: str, dialect: str) -> None:
    other = build_catalog(tmp_path, name, dialect)
    for sql, _ in REJECTED:
        assert "ungrouped-column" not in [i.code for i in check_text(sql, other)], sql


def test_postgres_agrees(postgres_url: str) -> None:
    engine = create_engine(load_into_postgres(postgres_url, "sakila-postgres.sql"))
    with engine.connect() as conn:
        for sql in ACCEPTED:
            conn.execute(text("EXPLAIN " + sql))
        for sql, column in REJECTED:
            bare = column.rpartition(".")[2]
            with pytest.raises(Exception, match=f'column "(\\w+\\.)?{bare}" must appear in the GROUP BY clause'), conn.begin_nested():
                conn.execute(text("EXPLAIN " + sql))
    engine.dispose()
