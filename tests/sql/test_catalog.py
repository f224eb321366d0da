"""Catalog built by replaying DDL and migrations: order, locations, every DDL form."""

from __future__ import annotations

from pathlib import Path

from querywright.server.config import Config, load_config
from querywright.server.sql.sources import natural_key
from querywright.server.sql.workspace import SchemaIndex, load_catalog, parse_schema_text
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.replay import apply_ops


def catalog_from(sql: str, dialect: str = "postgres", path: str = "schema.sql") -> Catalog:
    parsed = parse_schema_text(sql, path, dialect)
    catalog = Catalog(dialect=dialect)
    catalog.issues.extend(parsed.issues)
    apply_ops(catalog, parsed.ops)
    return catalog


def test_migration_order_is_numeric_aware() -> None:
    names = ["V10__b.sql", "V2__a.sql", "V1__x.sql", "R__views.sql", "V1_1__y.sql"]
    assert sorted(names, key=natural_key) == ["V1__x.sql", "V1_1__y.sql", "V2__a.sql", "V10__b.sql", "R__views.sql"]
    assert sorted(["0010_c.sql", "0002_b.sql", "0001_a.sql"], key=natural_key) == ["0001_a.sql", "0002_b.sql", "0010_c.sql"]
    stamps = ["20240110120000_z.sql", "20231231235959_a.sql"]
    assert sorted(stamps, key=natural_key) == ["20231231235959_a.sql", "20240110120000_z.sql"]


def test_shop_catalog_has_every_table_with_source_lines() -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / "shop"
    config, _ = load_config(root)
    catalog = load_catalog(root, config).catalog
    assert sorted(t.display_name for t in catalog) == ["order_items", "orders", "product_ratings", "products", "reviews", "users"]
    users = catalog.find("users")
    assert users is not None and users.location is not None
    assert (users.location.path, users.location.line) == ("db/migration/V1__create_users.sql", 2)
    assert list(users.columns) == ["id", "email", "name", "created_at", "country", "is_active"]
    assert users.columns["country"].location.path == "db/migration/V9__user_country.sql"
    assert users.columns["is_active"].location.line == 2
    assert users.comment == "Customers of the shop"
    orders = catalog.find("orders")
    assert "ordered_at" in orders.columns and "placed_at" not in orders.columns
    assert orders.columns["total_cents"].location.path == "db/migration/V10__drop_coupons_add_total.sql"
    assert [(fk.columns, fk.ref_table, fk.ref_columns) for fk in orders.foreign_keys] == [(("user_id",), "users", ("id",))]
    items = catalog.find("order_items")
    assert items.primary_key == ("order_id", "product_id")
    assert {fk.ref_table for fk in items.foreign_keys} == {"orders", "products"}
    assert catalog.find("coupons") is None
    view = catalog.find("product_ratings")
    assert view.kind == "view" and list(view.columns) == ["product_id", "title", "avg_rating", "review_count"]
    assert view.columns["title"].type == "TEXT"
    assert catalog.issues == []


def test_every_ddl_form() -> None:
    catalog = catalog_from(
        """
        CREATE TABLE a (id INT PRIMARY KEY, x TEXT);
        ALTER TABLE a ADD COLUMN y INT NOT NULL DEFAULT 1, DROP COLUMN x;
        ALTER TABLE a RENAME COLUMN y TO z;
        ALTER TABLE a ALTER COLUMN z TYPE BIGINT;
        ALTER TABLE a RENAME TO b;
        CREATE TABLE c (id INT, b_id INT, CONSTRAINT fk FOREIGN KEY (b_id) REFERENCES b (id));
        ALTER TABLE c ADD PRIMARY KEY (id);
        CREATE TABLE d AS SELECT id, z AS zz FROM b;
        CREATE OR REPLACE VIEW v AS SELECT c.*, b.z FROM c JOIN b ON b.id = c.b_id;
        DROP VIEW IF EXISTS nothing_here;
        COMMENT ON COLUMN b.z IS 'zed';
        """
    )
    assert catalog.find("a") is None
    b = catalog.find("b")
    assert list(b.columns) == ["id", "z"] and b.columns["z"].type == "BIGINT" and not b.columns["z"].nullable
    assert b.columns["z"].comment == "zed"
    c = catalog.find("c")
    assert c.primary_key == ("id",) and c.columns["id"].primary_key
    assert [fk.ref_table for fk in c.foreign_keys] == ["b"]
    assert [(k, col.type) for k, col in catalog.find("d").columns.items()] == [("id", "INT"), ("zz", "BIGINT")]
    assert list(catalog.find("v").columns) == ["id", "b_id", "z"]
    assert catalog.issues == []


def test_schema_qualified_and_quoted_names_follow_dialect_case_rules() -> None:
    catalog = catalog_from('CREATE TABLE Sales."Orders" (ID INT, "Total" INT); CREATE TABLE sales.orders (id INT);')
    assert set(catalog.tables) == {"sales.Orders", "sales.orders"}
    quoted = catalog.tables["sales.Orders"]
    assert list(quoted.columns) == ["id", "Total"]
    assert catalog.find("orders", "SALES") is catalog.tables["sales.orders"]
    snow = catalog_from("create table orders (id int, \"lower\" int)", dialect="snowflake")
    assert list(snow.tables) == ["ORDERS"] and list(snow.tables["ORDERS"].columns) == ["ID", "lower"]


def test_conflicts_become_warnings_and_replay_continues() -> None:
    catalog = catalog_from("CREATE TABLE t (id INT);\nDROP TABLE t;\nDROP TABLE t;\nALTER TABLE ghost ADD COLUMN x INT;\nCREATE TABLE u (id INT);")
    assert [i.code for i in catalog.issues] == ["drop-missing-table", "alter-missing-table"]
    assert [i.span.start.line for i in catalog.issues] == [2, 3]
    assert catalog.find("u") is not None


def test_unparseable_statement_is_an_issue_recovered_column_by_column_and_the_rest_counts() -> None:
    catalog = catalog_from("CREATE TABLE ok1 (id INT);\nCREATE TABLE broken (id INT PRIMARY);\nCREATE TABLE ok2 (id INT);")
    assert sorted(t.name for t in catalog) == ["broken", "ok1", "ok2"]
    assert list(catalog.tables["broken"].columns) == ["id"]
    [issue] = catalog.issues
    assert issue.code == "parse-error" and issue.span.start.line == 1


def test_incremental_update_reparses_only_the_changed_file(shop_workspace: Path) -> None:
    config, _ = load_config(shop_workspace)
    index = SchemaIndex(shop_workspace, config)
    index.load()
    before = dict(index.parsed)
    rel = "db/migration/V9__user_country.sql"
    catalog = index.update(rel, "ALTER TABLE users ADD COLUMN country CHAR(2);\nALTER TABLE users ADD COLUMN nickname TEXT;\n")
    assert "nickname" in catalog.find("users").columns
    assert "is_active" not in catalog.find("users").columns
    changed = [k for k in index.parsed if index.parsed[k] is not before[k]]
    assert changed == [rel]
    new = "db/migration/V12__tags.sql"
    catalog = index.update(new, "CREATE TABLE tags (id INT, product_id BIGINT REFERENCES products(id));")
    assert catalog.find("tags") is not None and index.files.schema[-1] == new
    assert index.remove(new).find("tags") is None


def test_discovery_without_config(tmp_path: Path) -> None:
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "migrations" / "002_b.sql").write_text("ALTER TABLE a ADD COLUMN b INT;")
    (tmp_path / "db" / "migrations" / "001_a.sql").write_text("CREATE TABLE a (id INT);")
    (tmp_path / "reports.sql").write_text("SELECT id, b FROM a;")
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "x.sql").write_text("CREATE TABLE hidden (id INT);")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    index = load_catalog(tmp_path, Config())
    assert index.files.schema == ("db/migrations/001_a.sql", "db/migrations/002_b.sql")
    assert index.files.queries == ("reports.sql",)
    assert list(index.catalog.find("a").columns) == ["id", "b"]


def test_key_of_keeps_quoting() -> None:
    catalog = catalog_from('CREATE TABLE "Order" (id INT); CREATE TABLE "order" (id INT, x INT);')
    quoted = catalog.tables["Order"]
    assert catalog.key_of(quoted) == "Order" and catalog.key_of(catalog.tables["order"]) == "order"
