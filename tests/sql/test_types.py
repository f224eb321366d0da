"""``type-mismatch`` over the real Sakila schema, with the real PostgreSQL as oracle."""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.sql.checks import check_text
from sqlalchemy import create_engine, text

from .test_corpus_oracle import build_catalog, load_into_postgres

REJECTED = [
    "SELECT AVG(payment_date) FROM payment",
    "SELECT title FROM film WHERE film_id LIKE '1%'",
    "SELECT SUM(title) FROM film",
    "SELECT * FROM film WHERE film_id = 'abc'",
    "SELECT * FROM payment WHERE payment_date > 2005",
]
ACCEPTED = [
    "SELECT avg(rental_rate) FROM film",
    "SELECT sum(amount) FROM payment",
    "SELECT count(payment_date), max(payment_date) FROM payment",
    "SELECT * FROM payment WHERE payment_date > '2005-06-01'",
    "SELECT * FROM film WHERE film_id = '5'",
    "SELECT * FROM film WHERE title LIKE 'A%'",
    "SELECT * FROM film WHERE length > 120",
    "SELECT * FROM payment WHERE extract(year from payment_date) = 2005",
    "SELECT * FROM film WHERE CAST(film_id AS text) LIKE '1%'",
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> object:
    return build_catalog(Path(tmp_path_factory.mktemp("types")), "sakila-postgres.sql", "postgres")


def _codes(sql: str, catalog: object) -> list[str]:
    return [i.code for i in check_text(sql, catalog)]  # type: ignore[arg-type]


@pytest.mark.parametrize("sql", REJECTED)
def test_rejected_by_type(sql: str, catalog: object) -> None:
    assert _codes(sql, catalog) == ["type-mismatch"]


def test_message_names_column_and_type(catalog: object) -> None:
    (issue,) = check_text("SELECT AVG(payment_date) FROM payment", catalog)  # type: ignore[arg-type]
    assert issue.message == "avg() of payment_date (TIMESTAMP) fails in postgres: it needs a number"


@pytest.mark.parametrize("sql", ACCEPTED)
def test_accepted(sql: str, catalog: object) -> None:
    assert _codes(sql, catalog) == []


def test_postgres_agrees(postgres_url: str) -> None:
    engine = create_engine(load_into_postgres(postgres_url, "sakila-postgres.sql"))
    with engine.connect() as conn:
        for sql in ACCEPTED:
            conn.execute(text("EXPLAIN " + sql))
        for sql in REJECTED:
            with pytest.raises(Exception):
                with conn.begin_nested():
                    conn.execute(text("EXPLAIN " + sql))
    engine.dispose()
