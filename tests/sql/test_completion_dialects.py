"""Completion across dialects: quoting, case rules, schema prefixes, dialect keywords.

The catalogs are built from small DDL texts in each dialect; a last test runs the common
contexts in every dialect sqlglot knows.
"""

from __future__ import annotations

import pytest
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.completion import CompletionList, complete
from querywright.server.sql.replay import apply_ops
from querywright.server.sql.workspace import parse_schema_text
from sqlglot.dialects.dialect import Dialects


def catalog_from(ddl: str, dialect: str) -> Catalog:
    parsed = parse_schema_text(ddl, "schema.sql", dialect)
    assert not parsed.issues, parsed.issues
    catalog = Catalog(dialect=dialect)
    apply_ops(catalog, parsed.ops)
    return catalog


def at_cursor(sql: str, catalog: Catalog) -> CompletionList:
    offset = sql.index("|")
    return complete(sql[:offset] + sql[offset + 1 :], offset, catalog)


def inserts(result: CompletionList) -> list[str]:
    return [item.insert_text or item.label for item in result.items]


MYSQL = """
CREATE TABLE orders (id INT PRIMARY KEY, total INT);
CREATE TABLE `Order Items` (id INT PRIMARY KEY, `select` INT, order_id INT, FOREIGN KEY (order_id) REFERENCES orders (id));
"""


def test_mysql_backticks_for_spaces_and_reserved_words() -> None:
    catalog = catalog_from(MYSQL, "mysql")
    assert "`Order Items`" in inserts(at_cursor("SELECT * FROM |", catalog))
    assert "`select`" in inserts(at_cursor("SELECT x.| FROM `Order Items` x", catalog))
    joins = [i.label for i in at_cursor("SELECT * FROM orders o JOIN |", catalog).items if i.kind == "join"]
    assert joins == ["`Order Items` oi ON oi.order_id = o.id"]


def test_tsql_brackets_and_top() -> None:
    catalog = catalog_from("CREATE TABLE [Sales Orders] (id INT PRIMARY KEY, [Net Total] INT);", "tsql")
    assert "[Sales Orders]" in inserts(at_cursor("SELECT * FROM |", catalog))
    result = at_cursor("SELECT | FROM [Sales Orders] s", catalog)
    assert "[Net Total]" in inserts(result)
    labels = [i.label for i in result.items]
    assert "TOP" in labels
    assert "LIMIT" not in [i.label for i in at_cursor("SELECT * FROM [Sales Orders] s |", catalog).items]


def test_postgres_mixed_case_needs_quotes() -> None:
    catalog = catalog_from('CREATE TABLE "Users" ("Id" INT PRIMARY KEY, name TEXT);', "postgres")
    assert '"Users"' in inserts(at_cursor("SELECT * FROM |", catalog))
    assert {'"Id"', "name"} <= set(inserts(at_cursor('SELECT u.| FROM "Users" u', catalog)))


def test_snowflake_upper_case_rules() -> None:
    catalog = catalog_from('CREATE TABLE orders (id INT, "mixedCase" INT);', "snowflake")
    result = at_cursor("SELECT o.| FROM ORDERS O", catalog)  # o and O are one alias here
    assert {"id", '"mixedCase"'} <= set(inserts(result))


def test_case_sensitive_alias_does_not_match_other_case() -> None:
    catalog = catalog_from('CREATE TABLE orders (id INT, total INT);', "postgres")
    assert "total" in inserts(at_cursor('SELECT "O".| FROM orders AS "O"', catalog))
    assert "total" not in inserts(at_cursor('SELECT o.| FROM orders AS "O"', catalog))


def test_bigquery_dataset_prefix() -> None:
    catalog = catalog_from("CREATE TABLE shop.orders (id INT64, total INT64);", "bigquery")
    assert "shop.orders" in inserts(at_cursor("SELECT * FROM |", catalog))
    assert "orders" in inserts(at_cursor("SELECT * FROM shop.|", catalog))
    assert "total" in inserts(at_cursor("SELECT o.| FROM shop.orders o", catalog))


# Query-only languages: they have no CREATE TABLE, so no catalog can be read in them
# (checked by test_query_only_dialects_have_no_ddl, so the exclusion cannot go stale).
QUERY_ONLY = {"dax", "prql"}
DIALECTS = sorted(d.value for d in Dialects if d.value and d.value not in QUERY_ONLY)
COMMON = "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100));\nCREATE TABLE orders (id INT PRIMARY KEY, user_id INT REFERENCES users (id), total INT);"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_common_contexts_in_every_dialect(dialect: str) -> None:
    parsed = parse_schema_text(COMMON, "schema.sql", dialect)
    catalog = Catalog(dialect=dialect)
    apply_ops(catalog, parsed.ops)
    assert catalog.find("orders") is not None and catalog.find("users") is not None
    assert "email" in inserts(at_cursor("SELECT u.| FROM users u", catalog))
    assert "total" in inserts(at_cursor("SELECT | FROM orders o WHERE o.id = 1", catalog))
    assert "orders" in inserts(at_cursor("SELECT 1;\nSELECT * FROM |", catalog))
    assert "user_id" in inserts(at_cursor("UPDATE orders SET |", catalog))
    if catalog.find("orders").foreign_keys:  # type: ignore[union-attr]
        assert "users u ON u.id = o.user_id" in [i.label for i in at_cursor("SELECT * FROM orders o JOIN |", catalog).items]


@pytest.mark.parametrize("dialect", sorted(QUERY_ONLY))
def test_query_only_dialects_have_no_ddl(dialect: str) -> None:
    parsed = parse_schema_text(COMMON, "schema.sql", dialect)
    catalog = Catalog(dialect=dialect)
    apply_ops(catalog, parsed.ops)
    assert catalog.find("orders") is None
