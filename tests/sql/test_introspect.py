"""Read-only introspection of live databases (SQLite file, real PostgreSQL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from querywright.server.config import Config
from querywright.server.errors import CatalogError
from querywright.server.sql.checks import check_text
from querywright.server.sql.introspect import introspect
from querywright.server.sql.workspace import load_catalog

DDL = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, created_at TIMESTAMP)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), total_cents INTEGER)",
    "CREATE VIEW big_orders AS SELECT id, total_cents FROM orders WHERE total_cents > 1000",
]


def test_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        for stmt in DDL:
            conn.execute(stmt)
    before = db.read_bytes()
    (tmp_path / "querywright.toml").write_text(f'dialect = "sqlite"\ndatabase_url = "sqlite:///{db}"\n')
    from querywright.server.config import load_config

    config, problems = load_config(tmp_path)
    assert not problems
    catalog = load_catalog(tmp_path, config).catalog
    assert sorted(t.name for t in catalog) == ["big_orders", "orders", "users"]
    orders = catalog.find("orders")
    assert orders.primary_key == ("id",)
    assert [(fk.columns, fk.ref_table, fk.ref_columns) for fk in orders.foreign_keys] == [(("user_id",), "users", ("id",))]
    assert not catalog.find("users").columns["email"].nullable
    assert catalog.find("big_orders").kind == "view"
    assert [i.code for i in check_text("SELECT emial FROM users", catalog)] == ["unknown-column"]
    assert db.read_bytes() == before  # opened read-only


def test_bad_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not usable"):
        introspect("nosuchdriver://x", "postgres")
    with pytest.raises(CatalogError, match="cannot read the schema"):
        introspect(f"sqlite:///{tmp_path}/missing/dir/x.db", "sqlite")


def test_postgresql(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS sales CASCADE"))
        conn.execute(text("DROP TABLE IF EXISTS orders, users CASCADE"))
        conn.execute(text("DROP VIEW IF EXISTS big_orders"))
        for stmt in DDL:
            conn.execute(text(stmt))
        conn.execute(text("CREATE SCHEMA sales"))
        conn.execute(text('CREATE TABLE sales."Invoices" (id SERIAL PRIMARY KEY, order_id INT REFERENCES public.orders (id), "Amount" NUMERIC(10, 2))'))
        conn.execute(text("COMMENT ON TABLE users IS 'people'"))
    engine.dispose()
    catalog = introspect(postgres_url, "postgres")
    assert {t.display_name for t in catalog} >= {"users", "orders", "big_orders", "sales.Invoices"}
    invoices = catalog.find("Invoices", "sales", quoted=True)
    assert invoices is not None and list(invoices.columns) == ["id", "order_id", "Amount"]
    assert [fk.ref_table for fk in invoices.foreign_keys] == ["orders"]
    assert catalog.find("users").comment == "people"
    assert catalog.find("orders").columns["total_cents"].type == "INTEGER"
    issues = check_text('SELECT i."Amount", i.amount FROM sales."Invoices" i JOIN orders o ON o.id = i.order_id', catalog)
    assert [(i.code, i.span.start.character) for i in issues] == [("unknown-column", 21)]
    config = Config(database_url=postgres_url)
    assert load_catalog(Path("."), config).catalog.find("orders") is not None
