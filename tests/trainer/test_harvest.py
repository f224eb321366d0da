"""Harvest on a small repository written here around the shop example (Postgres, Flyway).

The repository has query files, Python (plain, triple-quoted, SQLAlchemy ``text()``,
f-strings), TypeScript tagged templates, Java, Go, Ruby, two dbt models, a .gitignore'd
file, a ``.env`` and files that are binary, not UTF-8 or too large.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from querywright.cli.main import main
from querywright.trainer.extract import humanise
from querywright.trainer.harvest import harvest, strip_jinja
from querywright.trainer.placeholders import find_placeholders
from querywright.trainer.records import read_jsonl, record_errors

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"

FILES = {
    "app/users.py": '''
        from sqlalchemy import text

        ACTIVE_USERS_SQL = "SELECT id, email FROM users WHERE is_active"

        def get_recent_orders(conn, since):
            """Orders placed since a given date."""
            return conn.execute(text("""
                SELECT id, status
                FROM orders
                WHERE ordered_at > :since
            """), {"since": since})

        def count_users(cur):
            # How many customers signed up
            cur.execute("SELECT count(*) FROM users")

        def orders_of(cur, user):
            # Orders of one customer
            cur.execute(f"SELECT id, total_cents FROM orders WHERE user_id = {user.id}")

        def broken(cur):
            # Refers to a column that does not exist
            cur.execute("SELECT nickname FROM users")

        def menu():
            return ["Select a file", "With love, the team", "Delete this item?", "SELECT 1"]
        ''',
    "web/src/products.ts": '''
        import { sql } from "slonik";

        // Products running low on stock
        export async function lowStock(limit: number) {
          return pool.query(sql`SELECT sku, title, stock FROM products WHERE stock < ${limit}`);
        }

        export const findProductBySku = async (sku: string) => {
          const q = "SELECT id, title " +
            "FROM products WHERE sku = $1";
          return pool.query(q, [sku]);
        };
        ''',
    "src/main/java/shop/OrderRepository.java": '''
        package shop;

        public class OrderRepository {
            /** Find the orders of one user, newest first. */
            public List<Order> findOrdersByUser(long userId) {
                return jdbc.query("SELECT id, status, ordered_at FROM orders " +
                                  "WHERE user_id = ? ORDER BY ordered_at DESC", userId);
            }
        }
        ''',
    "internal/reviews/store.go": '''
        package reviews

        // ListReviews returns the reviews of one product
        func ListReviews(db *sql.DB, productID int64) error {
        \trows, err := db.Query(`SELECT rating, body FROM reviews WHERE product_id = $1`, productID)
        \treturn err
        }
        ''',
    "app/models/report.rb": '''
        class Report
          # Best rated products
          def top_rated
            sql = <<~SQL
              SELECT product_id, avg_rating FROM product_ratings ORDER BY avg_rating DESC LIMIT 10
            SQL
            connection.exec_query(sql)
          end
        end
        ''',
    "analytics/models/active_users.sql": '''
        {{ config(materialized='view') }}
        -- Customers who are still active
        select id, email, country
        from {{ source('app', 'users') }}
        where is_active
        ''',
    "analytics/models/active_user_orders.sql": '''
        {# Orders placed by active customers #}
        select o.id, o.total_cents, a.email
        from {{ ref('active_users') }} a
        join {{ ref('orders') }} o on o.user_id = a.id
        {% if is_incremental() %} where o.id > 0 {% endif %}
        ''',
    "queries/extra.sql": '''
        -- Revenue per customer, biggest first
        SELECT u.id, u.email, sum(o.total_cents) AS revenue_cents
        FROM users u
        JOIN orders o ON o.user_id = u.id
        GROUP BY u.id, u.email
        ORDER BY revenue_cents DESC
        LIMIT 20;
        ''',
    "scratch/ignored.py": '''
        # Ignored by git
        Q = "SELECT id FROM users"
        ''',
    ".env": 'DATABASE_QUERY="SELECT email FROM users"\n',
    ".gitignore": "scratch/\n",
}


def _write_repo(root: Path) -> Path:
    shutil.copytree(SHOP, root)
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    (root / "app" / "blob.py").write_bytes(b"\x00\x01\x02SELECT id FROM users\x00")
    (root / "queries" / "latin1.sql").write_bytes("-- Caf\xe9 customers\nSELECT id FROM users;\n".encode("latin-1"))
    return root


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return _write_repo(tmp_path / "repo")


def by_question(records: list[dict]) -> dict[str, dict]:
    return {r["question"]: r for r in records}


def test_harvests_every_language(repo: Path) -> None:
    result = harvest(repo)
    found = by_question(result.records)
    expected = {
        "active users": "app/users.py",
        "Orders placed since a given date.": "app/users.py",
        "How many customers signed up": "app/users.py",
        "Orders of one customer": "app/users.py",
        "Products running low on stock": "web/src/products.ts",
        "find product by sku": "web/src/products.ts",
        "Find the orders of one user, newest first.": "src/main/java/shop/OrderRepository.java",
        "ListReviews returns the reviews of one product": "internal/reviews/store.go",
        "Best rated products": "app/models/report.rb",
        "Customers who are still active": "analytics/models/active_users.sql",
        "Orders placed by active customers": "analytics/models/active_user_orders.sql",
        "Active customers by country": "queries/reports.sql",
    }
    for question, path in expected.items():
        assert question in found, f"missing {question!r}; found {sorted(found)}"
        assert found[question]["provenance"]["path"] == path
    for record in result.records:
        assert record_errors(record) == []
        assert record["source"] == "harvest" and record["dialect"] == "postgres"
        assert record["provenance"]["line"] >= 1


def test_provenance_lines_and_placeholders(repo: Path) -> None:
    found = by_question(harvest(repo).records)
    recent = found["Orders placed since a given date."]
    assert recent["provenance"]["line"] == 7
    assert ":since" in recent["sql"]  # placeholders stay readable
    assert "= :user_id" in found["Orders of one customer"]["sql"]  # f-string field → named parameter
    assert "< :limit" in found["Products running low on stock"]["sql"]  # tagged template → named parameter
    assert "user_id = ?" in found["Find the orders of one user, newest first."]["sql"]  # joined "a " + "b"
    dbt = found["Orders placed by active customers"]["sql"]
    assert "{" not in dbt and "active_users a" in dbt


def test_skips_ignored_secret_bad_and_invalid(repo: Path) -> None:
    result = harvest(repo)
    paths = {r["provenance"]["path"] for r in result.records}
    assert not any(p.startswith("scratch/") or p == ".env" for p in paths)
    assert "app/blob.py" not in paths and "queries/latin1.sql" not in paths
    dropped = result.dropped.as_dict()
    assert dropped["file:binary-file"] == 1 and dropped["file:not-utf8"] == 1
    assert dropped["unknown-column"] >= 1  # "nickname", and the shop's own mistakes.sql
    assert dropped["duplicate"] == 1  # queries/extra.sql repeats reports.sql
    assert all("nickname" not in r["sql"] for r in result.records)
    assert dropped["not-sql"] == 2  # prose that starts like SQL
    assert dropped["no-table"] == 2  # "Select a file" parses as SELECT a AS file; and SELECT 1


def test_oversized_files_are_skipped(repo: Path) -> None:
    (repo / "querywright.toml").write_text('dialect = "postgres"\nschema_paths = ["db/migration/**/*.sql"]\nmax_file_size_mb = 0.001\n')
    (repo / "queries" / "huge.sql").write_text("-- Huge\nSELECT id FROM users;\n" + "-- padding\n" * 500)
    result = harvest(repo)
    assert result.dropped["file:file-too-large"] >= 1
    assert all(r["provenance"]["path"] != "queries/huge.sql" for r in result.records)


def test_cli_writes_valid_jsonl(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    assert main(["harvest", "--workspace", str(repo), "-o", str(out), "--json"]) == 0
    records = list(read_jsonl(out))
    assert len(records) >= 12 and all(record_errors(r) == [] for r in records)


@pytest.mark.parametrize(("name", "words"), [
    ("get_active_users", "get active users"), ("getActiveUsers", "get active users"),
    ("ACTIVE_USERS_SQL", "active users"), ("monthly_revenue.sql", "monthly revenue"),
])
def test_humanise(name: str, words: str) -> None:
    assert humanise(name) == words


def test_placeholder_forms() -> None:
    sql = "SELECT * FROM t WHERE a = ? AND b = %s AND c = %(name)s AND d = :x AND e = $1 AND f = @p AND g = ':no' AND h::text = 'x'"
    assert find_placeholders(sql) == ["?", "%s", "%(name)s", ":x", "$1", "@p"]


def test_strip_jinja() -> None:
    text, doc = strip_jinja("{# Doc #}{{ config(x=1) }}select * from {{ ref('a') }} join {{ source('s', 't') }} using (id)")
    assert doc.strip() == "Doc"
    assert text.strip() == "select * from a join t using (id)"
