"""Schema slices: whole catalog when it fits (byte-stable), ranked cut under a budget."""

from __future__ import annotations

from querywright.server.ai.schema_slice import (
    estimate_tokens,
    rank_tables,
    render_table,
    slice_schema,
)
from querywright.server.sql.catalog import Catalog


def test_render_table_compact_with_keys(catalog: Catalog) -> None:
    orders = render_table(catalog.tables["orders"], catalog)
    assert orders == (
        "CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, user_id BIGINT REFERENCES users(id), "
        "status VARCHAR(16), ordered_at TIMESTAMPTZ, total_cents INT);"
    )
    items = render_table(catalog.tables["order_items"], catalog)
    assert items.endswith("PRIMARY KEY (order_id, product_id));")
    assert render_table(catalog.tables["users"], catalog).endswith("-- Customers of the shop")


def test_view_rendered_as_columns_without_body(catalog: Catalog) -> None:
    view = render_table(catalog.tables["product_ratings"], catalog)
    assert view.startswith("CREATE VIEW product_ratings (product_id BIGSERIAL, title TEXT, avg_rating")
    assert "JOIN" not in view


def test_whole_catalog_when_it_fits_and_stable(catalog: Catalog) -> None:
    first = slice_schema(catalog, "SELECT * FROM us", "emails of users")
    second = slice_schema(catalog, "SELECT * FROM orders o JOIN", "")
    assert first.complete and first.ddl == second.ddl
    assert list(first.keys) == list(catalog.tables)  # catalog order


def test_budget_keeps_named_tables_and_neighbours(catalog: Catalog) -> None:
    budget = estimate_tokens(render_table(catalog.tables["orders"], catalog)) * 2 + 10
    sliced = slice_schema(catalog, "SELECT * FROM orders", "", budget_tokens=budget)
    assert not sliced.complete
    assert "orders" in sliced.keys
    assert sliced.tokens <= budget
    assert "users" in sliced.keys or "order_items" in sliced.keys  # an FK neighbour


def test_question_matches_plural_singular_and_phrases(catalog: Catalog) -> None:
    scores = rank_tables(catalog, question="Which product has the best review?")
    assert scores["products"] > 0 and scores["reviews"] > 0
    scores = rank_tables(catalog, question="order items of order 5")
    assert scores["order_items"] >= scores["products"]
    scores = rank_tables(catalog, question="emails of every customer")
    assert scores["users"] > scores["products"]  # column 'email' is in users


def test_slice_order_is_catalog_order_not_rank(catalog: Catalog) -> None:
    sliced = slice_schema(catalog, "SELECT * FROM reviews r JOIN users u", budget_tokens=150)
    order = list(catalog.tables)
    assert list(sliced.keys) == sorted(sliced.keys, key=order.index)
    assert {"reviews", "users"} <= set(sliced.keys)


def test_typo_in_question(catalog: Catalog) -> None:
    scores = rank_tables(catalog, question="all prodcuts")
    assert scores["products"] > 0


def test_large_catalog_slice_is_fast_and_relevant() -> None:
    """500 tables: the per-keystroke cost stays small (CPU time; the machine is shared)."""
    import time

    from querywright.server.sql.catalog import Column, ForeignKey, Table

    big = Catalog(dialect="postgres")
    for i in range(500):
        table = Table(name=f"table_{i}", columns={f"col_{j}": Column(f"col_{j}", "INT") for j in range(10)})
        if i:
            table.foreign_keys.append(ForeignKey(("col_1",), f"table_{i - 1}", ("col_0",)))
        big.tables[table.name] = table
    slice_schema(big)  # renders once per catalog
    started = time.thread_time()
    sliced = slice_schema(big, "SELECT * FROM table_7 JOIN ", "rows of table_9")
    elapsed_ms = (time.thread_time() - started) * 1000
    assert {"table_7", "table_9", "table_6", "table_8"} <= set(sliced.keys)
    assert sliced.tokens <= 1200 and not sliced.complete
    assert elapsed_ms < 50, elapsed_ms
