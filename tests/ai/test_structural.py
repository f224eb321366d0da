"""Structural continuations over the real Sakila schema (BSD 2-Clause, tests/sql/fixtures/corpus/LICENSE.sakila)."""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.ai.structural import continuation
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.replay import apply_ops
from querywright.server.sql.workspace import parse_schema_text

DDL = Path(__file__).resolve().parents[1] / "sql" / "fixtures" / "corpus" / "sakila-postgres.sql"


@pytest.fixture(scope="module")
def sakila() -> Catalog:
    parsed = parse_schema_text(DDL.read_text(encoding="utf-8"), DDL.name, "postgres")
    catalog = Catalog(dialect="postgres")
    apply_ops(catalog, parsed.ops)
    return catalog


def at_end(text: str, catalog: Catalog) -> str | None:
    return continuation(text, len(text), catalog)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT * FROM customer c JOIN payment p ON ", "p.customer_id = c.customer_id"),
        ("SELECT * FROM customer c JOIN payment p ON p.", "customer_id = c.customer_id"),
        ("SELECT * FROM customer c JOIN payment ON ", "payment.customer_id = c.customer_id"),
        ("SELECT * FROM payment p JOIN customer c ON c.customer_id = p.customer_id JOIN staff s ON ", "s.staff_id = p.staff_id"),
    ],
)
def test_join_condition_from_foreign_keys(sakila: Catalog, text: str, expected: str) -> None:
    assert at_end(text, sakila) == expected


def test_group_by_lists_the_non_aggregated_items(sakila: Catalog) -> None:
    text = "SELECT c.first_name, c.last_name AS ln, COUNT(*) FROM customer c JOIN payment p ON p.customer_id = c.customer_id GROUP BY "
    assert at_end(text, sakila) == "c.first_name, c.last_name"
    inner = "SELECT title FROM film WHERE film_id IN (SELECT film_id, COUNT(*) FROM inventory GROUP BY "
    assert at_end(inner, sakila) == "film_id"


def test_order_by_ranks_by_the_aggregate(sakila: Catalog) -> None:
    aliased = "SELECT c.first_name, SUM(p.amount) AS total FROM customer c JOIN payment p ON p.customer_id = c.customer_id GROUP BY c.first_name ORDER BY "
    assert at_end(aliased, sakila) == "total DESC"
    plain = "SELECT rating, COUNT(*) FROM film GROUP BY rating ORDER BY "
    assert at_end(plain, sakila) == "COUNT(*) DESC"


def test_insert_lists_the_columns_without_serial_defaults(sakila: Catalog) -> None:
    assert at_end("INSERT INTO category (", sakila) == "name, last_update)"
    assert at_end("INSERT INTO customer (", sakila) == "store_id, first_name, last_name, email, address_id, activebool, create_date, last_update, active)"
    text = "INSERT INTO category ()"
    assert continuation(text, len(text) - 1, sakila) == "name, last_update"  # the ")" is there already


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM customer c JOIN film f ON ",  # no foreign key between them
        "SELECT * FROM film ORDER BY ",  # no aggregate to rank by
        "SELECT title, length FROM film GROUP BY ",  # nothing aggregated
        "SELECT * FROM film GROUP BY ",
        "SELECT rating, COUNT(*), AVG(length) FROM film GROUP BY rating ORDER BY ",  # two aggregates
        "INSERT INTO category (name",  # a column being typed
        "INSERT INTO nowhere (",
        "SELECT * FROM customer c JOIN payment p ON p.staff",  # typed text the condition does not continue
        "-- JOIN payment p ON ",
        "",
    ],
)
def test_nothing_certain_gives_none(sakila: Catalog, text: str) -> None:
    assert at_end(text, sakila) is None
