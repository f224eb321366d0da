"""The product's database engine cannot write and cannot run long, on the real PostgreSQL
the tests start; SQLite files are opened read-only."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from querywright.server.sql.catalog import Column, Table
from querywright.server.errors import CatalogError
from querywright.server.sql.introspect import introspect, readonly_engine
from querywright.trainer.synth import LiveValues


@pytest.fixture()
def city_table(postgres_url: str) -> str:
    writer = create_engine(postgres_url)
    with writer.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS ro_city"))
        conn.execute(text("CREATE TABLE ro_city (id integer PRIMARY KEY, name text NOT NULL)"))
        conn.execute(text("INSERT INTO ro_city VALUES (1, 'Lisbon'), (2, 'Oslo'), (3, 'Quito')"))
    writer.dispose()
    return postgres_url


def _count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM ro_city")).scalar_one()
    engine.dispose()
    return int(count)


def test_postgres_writes_fail_and_change_nothing(city_table: str) -> None:
    engine = readonly_engine(city_table)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW default_transaction_read_only")).scalar_one() == "on"
            assert conn.execute(text("SHOW transaction_read_only")).scalar_one() == "on"
            assert conn.execute(text("SELECT name FROM ro_city ORDER BY id")).scalars().all() == ["Lisbon", "Oslo", "Quito"]
        for statement in ("INSERT INTO ro_city VALUES (4, 'Lima')", "CREATE TABLE ro_other (id integer)",
                          "UPDATE ro_city SET name = 'x'", "DELETE FROM ro_city"):
            with pytest.raises(DBAPIError, match="read-only transaction"):
                with engine.begin() as conn:
                    conn.execute(text(statement))
    finally:
        engine.dispose()
    assert _count(city_table) == 3
    check = create_engine(city_table)
    with check.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('ro_other')")).scalar_one() is None
    check.dispose()


def test_postgres_long_statement_is_cancelled(city_table: str) -> None:
    engine = readonly_engine(city_table, statement_timeout_ms=500)
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="statement timeout"):
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_sleep(10)"))
    finally:
        engine.dispose()
    assert time.monotonic() - started < 5


def test_default_timeout_is_five_seconds(city_table: str) -> None:
    engine = readonly_engine(city_table)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "5s"
    finally:
        engine.dispose()


def test_live_values_use_the_read_only_engine(city_table: str) -> None:
    live = LiveValues(city_table)
    table = Table(name="ro_city")
    assert sorted(live.values(table, Column(name="name", type="text"))) == ["Lisbon", "Oslo", "Quito"]
    with pytest.raises(DBAPIError, match="read-only transaction"):
        with live.engine.begin() as conn:
            conn.execute(text("INSERT INTO ro_city VALUES (9, 'Rome')"))
    live.engine.dispose()
    assert _count(city_table) == 3


def test_sqlite_file_is_opened_read_only(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE city (id integer PRIMARY KEY, name text)")
        conn.execute("INSERT INTO city VALUES (1, 'Lisbon')")
    engine = readonly_engine(f"sqlite:///{db}")
    try:
        with pytest.raises(OperationalError, match="readonly"):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO city VALUES (2, 'Oslo')"))
    finally:
        engine.dispose()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM city").fetchone() == (1,)


def test_other_databases_are_refused_not_opened_read_write() -> None:
    # No driver for these is needed to refuse them: nothing is connected to.
    for url in ("mysql+pymysql://ro:s3cret@db.example/app", "mssql+pyodbc://ro:s3cret@db.example/app", "duckdb:///app.duckdb"):
        with pytest.raises(ValueError, match="only PostgreSQL and SQLite"):
            readonly_engine(url)
        with pytest.raises(CatalogError, match="only PostgreSQL and SQLite") as caught:
            introspect(url, "mysql")
        assert "s3cret" not in str(caught.value)
