"""The CLI contracts of DESIGN.md: ``schema --json`` and ``check --json`` shapes, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "querywright.cli.main", *args], capture_output=True, text=True, timeout=120)


def test_schema_json_lists_every_table_with_sources() -> None:
    result = run("schema", "--json", "--workspace", str(REPO / "examples" / "shop"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dialect"] == "postgres"
    tables = {t["name"]: t for t in data["tables"]}
    assert set(tables) == {"users", "products", "orders", "order_items", "reviews", "product_ratings"}
    for table in tables.values():
        assert set(table) >= {"name", "columns", "source"}
        assert set(table["source"]) == {"path", "line"}
        for column in table["columns"]:
            assert set(column) >= {"name", "type"}
    users = [(c["name"], c["source"]["path"], c["source"]["line"]) for c in tables["users"]["columns"]]
    assert users[-2:] == [("country", "db/migration/V9__user_country.sql", 1), ("is_active", "db/migration/V9__user_country.sql", 2)]


def test_check_json_contract_and_exit_code() -> None:
    shop = REPO / "examples" / "shop"
    result = run("check", "--json", "--workspace", str(shop))
    assert result.returncode == 1
    issues = json.loads(result.stdout)
    assert len(issues) == 5
    for issue in issues:
        assert set(issue) == {"path", "line", "column", "end_line", "end_column", "severity", "code", "message"}
    clean = run("check", "--json", "--workspace", str(shop), str(shop / "queries" / "reports.sql"))
    assert clean.returncode == 0 and json.loads(clean.stdout) == []


def test_check_human_output() -> None:
    result = run("check", "--workspace", str(REPO / "examples" / "analytics"))
    assert result.returncode == 1
    assert "queries/funnel.sql:11:8: error unknown column device in raw.sessions (renamed to device_type" in result.stdout
    assert "2 files checked: 2 errors, 0 warnings" in result.stdout


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = run("schema", "--workspace", str(tmp_path / "nope"))
    assert result.returncode == 2 and "is not a directory" in result.stderr and "Traceback" not in result.stderr
