"""The scratch database: built from a catalog (generated rows, or the workspace's values),
from setup SQL, or from a SQLite file; statements run on it with a timeout and a row limit
and leave no trace."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog, Column, Table
from querywright.server.sql.replay import apply_ops
from querywright.server.sql.scratch import (
    ScratchDB,
    build_database,
    database_for,
    database_key,
    family,
    run,
    value_sample,
)
from querywright.server.sql.values import SeedFile
from querywright.server.sql.workspace import load_catalog, parse_schema_text
from querywright.trainer import metrics

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
SCHEMA = """
CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE,
                    country CHAR(2), is_active BOOLEAN NOT NULL DEFAULT TRUE);
CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id),
                     total_cents INTEGER NOT NULL, placed_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE sales.refunds (id INT PRIMARY KEY, order_id INT REFERENCES orders (id));
CREATE VIEW big_orders AS SELECT id, user_id FROM orders WHERE total_cents > 100;
"""


def schema_catalog(sql: str, dialect: str = "postgres") -> Catalog:
    catalog = Catalog(dialect=dialect)
    apply_ops(catalog, parse_schema_text(sql, "schema.sql", dialect).ops)
    return catalog


def record(**fields: object) -> dict:
    return {"id": "r1", "dialect": "postgres", "schema": SCHEMA, "question": "q", "sql": "SELECT 1",
            **fields}


@pytest.fixture(scope="module")
def shop() -> Catalog:
    config, _ = load_config(SHOP)
    return load_catalog(SHOP, config).catalog


# --- the editor's database ------------------------------------------------------------------

def test_editor_database_has_every_table_and_view_and_rolls_back(shop: Catalog) -> None:
    conn = build_database(shop)
    outcome = run(conn, "SELECT count(*) FROM users u JOIN orders o ON o.user_id = u.id", "postgres")
    assert outcome.rows == ((6,),)  # every order's user exists
    assert run(conn, "SELECT product_id, avg_rating FROM product_ratings", "postgres").rows
    assert run(conn, "DELETE FROM users", "postgres").error is None
    assert run(conn, "SELECT count(*) FROM users", "postgres").rows == ((6,),)  # rolled back


def test_editor_database_holds_the_mentioned_values_first() -> None:
    catalog = schema_catalog("CREATE TABLE category (category_id INT PRIMARY KEY, name TEXT);")
    seed = SeedFile("seed.sql")
    seed.add_rows((None, False, "category", False), None, [["1", "Action"], ["2", "Drama"]])
    sample = seed.resolve(catalog)

    class Match:
        table_key, column_key, value = "category", "name", "Comedy"

    conn = build_database(catalog, sample, [Match()])
    names = run(conn, "SELECT DISTINCT name FROM category", "postgres").rows
    assert names == (("Action",), ("Comedy",), ("Drama",))
    assert run(conn, "SELECT count(*) FROM category WHERE name = 'Comedy'", "postgres").rows == ((2,),)


def test_run_reports_errors_timeouts_and_limits_rows() -> None:
    conn = build_database(schema_catalog("CREATE TABLE t (id INT PRIMARY KEY, v TEXT);"))
    assert "no such table" in (run(conn, "SELECT * FROM nowhere", "postgres").error or "")
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    assert run(conn, endless, "sqlite", timeout_s=0.05).error == "timed out after 0.05 s"
    many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) SELECT i FROM n"
    assert run(conn, many, "sqlite", max_rows=10).rows is not None
    assert len(run(conn, many, "sqlite", max_rows=10).rows or ()) == 10
    assert run(conn, "SELECT count(*) FROM t", "postgres").rows == ((6,),)


def test_a_schema_qualifier_the_database_lacks_is_dropped() -> None:
    conn = build_database(schema_catalog("CREATE TABLE film (film_id INT PRIMARY KEY, title TEXT);"))
    assert run(conn, "SELECT count(*) FROM public.film", "postgres").rows == ((6,),)
    assert run(conn, "SELECT count(*) FROM public.film", "sqlite").error is not None  # SQLite text is run as written


def test_a_view_without_a_definition_gets_generated_rows() -> None:
    catalog = schema_catalog("CREATE TABLE t (id INT PRIMARY KEY);")
    catalog.tables["v"] = Table(name="v", kind="view", key="v", columns={"a": Column(name="a", type="INT")})
    db = ScratchDB(catalog, rows=4)
    assert db.has("v") and db.run("SELECT a FROM v", "postgres") == (4, None)


# --- a dataset record's database ------------------------------------------------------------

def test_generated_rows_make_joins_and_filters_return_something() -> None:
    conn = database_for(record())
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (8,)
    assert conn.execute("SELECT count(DISTINCT email) FROM users").fetchone() == (8,)
    joined = conn.execute("SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id")
    assert joined.fetchone()[0] == 8  # every foreign key points at an existing user
    assert 0 < conn.execute("SELECT count(*) FROM users WHERE is_active").fetchone()[0] < 8
    assert conn.execute("SELECT count(*) FROM sales.refunds").fetchone() == (8,)
    assert conn.execute("SELECT count(*) FROM refunds").fetchone() == (8,)  # unqualified too
    assert conn.execute("SELECT count(*) FROM big_orders").fetchone()[0] >= 0


def test_generated_rows_are_deterministic() -> None:
    first = metrics.database_state(database_for(record()))
    assert first == metrics.database_state(database_for(record()))


def test_setup_sql_wins_over_generated_rows() -> None:
    setup = "CREATE TABLE users (id INT, email TEXT);\nINSERT INTO users VALUES (1, 'a@b.c');"
    conn = database_for(record(setup_sql=setup))
    assert conn.execute("SELECT email FROM users").fetchall() == [("a@b.c",)]


def test_sqlite_file_is_copied_not_written(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as source:
        source.execute("CREATE TABLE t (a INT)")
        source.execute("INSERT INTO t VALUES (1)")
    conn = database_for(record(db_path=str(path), dialect="sqlite"))
    conn.execute("DELETE FROM t")
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone() == (1,)
    assert database_key(record(db_path=str(path))) != database_key(record())


def test_a_view_without_its_source_tables_gets_generated_rows() -> None:
    schema = ("CREATE VIEW product_ratings AS SELECT p.id AS product_id, avg(r.rating) AS "
              "avg_rating FROM products p JOIN reviews r ON r.product_id = p.id GROUP BY p.id;")
    conn = database_for(record(schema=schema))
    rows = conn.execute("SELECT product_id, avg_rating FROM product_ratings").fetchall()
    assert len(rows) == 8


def test_sqlite_internal_tables_in_a_schema_are_left_to_sqlite() -> None:
    schema = ("CREATE TABLE city (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);"
              " CREATE TABLE sqlite_sequence (name TEXT, seq INTEGER);")
    conn = database_for(record(schema=schema, dialect="sqlite"))
    assert len(conn.execute("SELECT name FROM city").fetchall()) == 8


# --- synthesis's database -------------------------------------------------------------------

def test_synthesis_rows_resolve_schemas_and_follow_foreign_keys() -> None:
    catalog = schema_catalog(SCHEMA + 'CREATE TABLE "we""ird" ("a b" TEXT);')
    db = ScratchDB(catalog, rows=5, seed=1)
    try:
        assert db.run("SELECT count(*) FROM sales.refunds", "postgres") == (1, None)
        assert db.conn.execute("SELECT count(*) FROM refunds").fetchone() == (5,)
        orphans = "SELECT count(*) FROM refunds r LEFT JOIN orders o ON o.id = r.order_id " \
                  "WHERE o.id IS NULL"
        assert db.conn.execute(orphans).fetchone() == (0,)
        assert db.conn.execute('SELECT count("a b") FROM "we""ird"').fetchone() == (5,)
        emails = db.values("users", catalog.tables["users"].columns["email"])
        assert len(emails) == 5 and all("@example.com" in e for e in emails)
        rows, error = db.run("SELECT id FROM nowhere", "postgres")
        assert rows is None and error is not None and "nowhere" in error
        assert db.has("big_orders") and db.run("SELECT * FROM big_orders", "postgres")[1] is None
    finally:
        db.close()


def test_synthesis_setup_sql_recreates_the_database_and_is_seeded() -> None:
    catalog = schema_catalog(SCHEMA)
    db, again, other = (ScratchDB(catalog, rows=6, seed=s) for s in (3, 3, 4))
    assert db.setup_sql() == again.setup_sql() != other.setup_sql()
    copy = ScratchDB.from_setup_sql(db.setup_sql(), "sqlite")  # a record's setup SQL, replayed
    assert metrics.database_state(copy.conn) == metrics.database_state(db.conn)
    assert metrics.database_state(copy.conn) != metrics.database_state(database_for(record()))


def test_type_families() -> None:
    assert [family(t) for t in ("BIGSERIAL", "NUMERIC(10,2)", "BOOLEAN", "TIMESTAMPTZ", "DATE",
                                "VARCHAR(5)", "")] == [
        "int", "number", "bool", "timestamp", "date", "text", "text"]


def test_a_databases_rows_read_back_as_a_value_sample() -> None:
    catalog = schema_catalog(SCHEMA)
    conn = ScratchDB.from_setup_sql(
        "CREATE TABLE users (id INT PRIMARY KEY, email TEXT, country TEXT, is_active BOOLEAN);"
        "INSERT INTO users VALUES (1, 'ann@example.org', 'PE', TRUE), (2, NULL, 'CA', FALSE);"
        "CREATE TABLE orders (id INT PRIMARY KEY, user_id INT, total_cents INT, placed_at TEXT);"
        "INSERT INTO orders VALUES (10, 1, 250, '2005-05-24');", "postgres").conn
    sample = value_sample(conn, catalog)
    assert sorted(sample.values("users", "country")) == ["CA", "PE"]
    assert sample.values("users", "email") == ["ann@example.org"]  # NULL is not a value
    assert sample.values("orders", "placed_at") == ["2005-05-24"]
    # tables the database lacks (sales.refunds, the view) are left out, not an error
    assert not sample.table("sales.refunds") and not sample.table("big_orders")
