"""Scratch databases: synthesis's (plausible rows for a catalog) and evaluation's (a record's
SQLite file, setup SQL, or generated rows from its schema)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from querywright.trainer import metrics
from querywright.trainer.scratch import (
    ScratchDB,
    build_database,
    database_key,
    family,
    from_setup_sql,
)

SCHEMA = """
CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE,
                    country CHAR(2), is_active BOOLEAN NOT NULL DEFAULT TRUE);
CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id),
                     total_cents INTEGER NOT NULL, placed_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE sales.refunds (id INT PRIMARY KEY, order_id INT REFERENCES orders (id));
CREATE VIEW big_orders AS SELECT id, user_id FROM orders WHERE total_cents > 100;
"""


def record(**fields: object) -> dict:
    return {"id": "r1", "dialect": "postgres", "schema": SCHEMA, "question": "q", "sql": "SELECT 1",
            **fields}


def test_generated_rows_make_joins_and_filters_return_something() -> None:
    conn = build_database(record())
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (8,)
    assert conn.execute("SELECT count(DISTINCT email) FROM users").fetchone() == (8,)
    joined = conn.execute("SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id")
    assert joined.fetchone()[0] == 8  # every foreign key points at an existing user
    assert conn.execute("SELECT count(*) FROM users WHERE is_active").fetchone()[0] == 4
    assert conn.execute("SELECT count(*) FROM sales.refunds").fetchone() == (8,)
    assert conn.execute("SELECT count(*) FROM big_orders").fetchone()[0] >= 0


def test_generated_rows_are_deterministic() -> None:
    first = metrics.database_state(build_database(record()))
    assert first == metrics.database_state(build_database(record()))


def test_setup_sql_wins_over_generated_rows() -> None:
    setup = "CREATE TABLE users (id INT, email TEXT);\nINSERT INTO users VALUES (1, 'a@b.c');"
    conn = build_database(record(setup_sql=setup))
    assert conn.execute("SELECT email FROM users").fetchall() == [("a@b.c",)]


def test_sqlite_file_is_copied_not_written(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as source:
        source.execute("CREATE TABLE t (a INT)")
        source.execute("INSERT INTO t VALUES (1)")
    conn = build_database(record(db_path=str(path), dialect="sqlite"))
    conn.execute("DELETE FROM t")
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone() == (1,)
    assert database_key(record(db_path=str(path))) != database_key(record())


def test_a_view_without_its_source_tables_gets_generated_rows() -> None:
    schema = ("CREATE VIEW product_ratings AS SELECT p.id AS product_id, avg(r.rating) AS "
              "avg_rating FROM products p JOIN reviews r ON r.product_id = p.id GROUP BY p.id;")
    conn = build_database(record(schema=schema))
    rows = conn.execute("SELECT product_id, avg_rating FROM product_ratings").fetchall()
    assert len(rows) == 8


def test_sqlite_internal_tables_in_a_schema_are_left_to_sqlite() -> None:
    schema = ("CREATE TABLE city (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);"
              " CREATE TABLE sqlite_sequence (name TEXT, seq INTEGER);")
    conn = build_database(record(schema=schema, dialect="sqlite"))
    assert len(conn.execute("SELECT name FROM city").fetchall()) == 8


# --- synthesis --------------------------------------------------------------------------------

def test_synthesis_rows_fold_schemas_and_follow_foreign_keys() -> None:
    catalog = metrics.schema_catalog(SCHEMA + 'CREATE TABLE "we""ird" ("a b" TEXT);', "postgres")
    db = ScratchDB(catalog, rows=5, seed=1)
    try:
        assert db.run("SELECT count(*) FROM sales.refunds", "postgres") == (1, None)
        assert db.conn.execute("SELECT count(*) FROM refunds").fetchone() == (5,)  # folded
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
    catalog = metrics.schema_catalog(SCHEMA, "postgres")
    db, again, other = (ScratchDB(catalog, rows=6, seed=s) for s in (3, 3, 4))
    assert db.setup_sql() == again.setup_sql() != other.setup_sql()
    copy = from_setup_sql(db.setup_sql(), "sqlite")  # evaluation's builder runs it unchanged
    assert metrics.database_state(copy) == metrics.database_state(db.conn)
    assert metrics.database_state(copy) != metrics.database_state(build_database(record()))


def test_type_families() -> None:
    assert [family(t) for t in ("BIGSERIAL", "NUMERIC(10,2)", "BOOLEAN", "TIMESTAMPTZ", "DATE",
                                "VARCHAR(5)", "")] == [
        "int", "number", "bool", "timestamp", "date", "text", "text"]
