"""Bad input never crashes: each case yields a clear issue and the rest still loads."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from querywright.server.config import Config, load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.checks import check_text
from querywright.server.sql.workspace import load_catalog


def _workspace(tmp_path: Path) -> Path:
    mig = tmp_path / "migrations"
    mig.mkdir()
    (mig / "001_users.sql").write_text("CREATE TABLE users (id INT PRIMARY KEY, email TEXT);\n")
    return tmp_path


def test_binary_and_non_utf8_files(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "migrations" / "002_binary.sql").write_bytes(b"\x00\x01\x02CREATE TABLE x (id INT);\x00")
    (root / "migrations" / "003_latin1.sql").write_bytes("-- café\nCREATE TABLE caf\xe9s (id INT);\n".encode("latin-1"))
    index = load_catalog(root, Config())
    codes = {i.path: i.code for i in index.catalog.issues}
    assert codes == {"migrations/002_binary.sql": "binary-file", "migrations/003_latin1.sql": "not-utf8"}
    assert index.catalog.find("users") is not None
    assert index.catalog.find("x") is None
    assert len(index.catalog) == 2  # users + the latin-1 table (name with a replacement character)


def test_five_megabyte_dump_loads_quickly(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    rows = "".join(f"INSERT INTO users VALUES ({i}, 'user{i}@example.com; -- not a comment');\n" for i in range(80_000))
    dump = "CREATE TABLE audit (id INT, at TIMESTAMP);\n" + rows + "CREATE TABLE late (id INT);\n"
    assert len(dump) > 5_000_000
    (root / "migrations" / "002_dump.sql").write_text(dump)
    start = time.perf_counter()
    index = load_catalog(root, Config())
    elapsed = time.perf_counter() - start
    assert {t.name for t in index.catalog} == {"users", "audit", "late"}
    assert index.catalog.issues == []
    assert elapsed < 20  # a generous bound against accidental quadratic work; speed is benchmarked in bench/


def test_oversized_file_is_reported_and_skipped(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "migrations" / "002_big.sql").write_text("-- x\n" * 300_000)
    index = load_catalog(root, Config(max_file_size_mb=1))
    [issue] = index.catalog.issues
    assert issue.code == "file-too-large" and "max_file_size_mb" in issue.message


def test_unterminated_string_and_comment(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "migrations" / "002_bad.sql").write_text("CREATE TABLE ok (id INT);\nCREATE TABLE broken (name TEXT DEFAULT 'oops);\n")
    (root / "migrations" / "003_comment.sql").write_text("CREATE TABLE ok2 (id INT);\n/* never closed\nCREATE TABLE hidden (id INT);\n")
    index = load_catalog(root, Config())
    assert {t.name for t in index.catalog} == {"users", "ok", "ok2"}
    messages = sorted((i.path, i.span.start.line, i.message) for i in index.catalog.issues)
    assert messages[0][0] == "migrations/002_bad.sql" and messages[0][1] == 1 and "unterminated string" in messages[0][2]
    assert messages[1][0] == "migrations/003_comment.sql" and "unterminated comment" in messages[1][2]
    catalog = index.catalog
    [issue] = check_text("SELECT 'abc FROM users", catalog)
    assert issue.code == "parse-error" and "unterminated string" in issue.message


def test_deep_parentheses(tmp_path: Path) -> None:
    catalog = Catalog()
    sql = "SELECT " + "(" * 500 + "1" + ")" * 500
    issues = check_text(sql, catalog)
    assert all(i.code in ("too-deep", "parse-error") for i in issues)
    deeper = "SELECT " + "(" * 5000 + "1" + ")" * 5000
    [issue] = check_text(deeper, catalog)
    assert issue.code == "too-deep"


def test_migration_dropping_a_table_twice(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "migrations" / "002_drop.sql").write_text("DROP TABLE users;\n")
    (root / "migrations" / "003_drop_again.sql").write_text("DROP TABLE users;\nCREATE TABLE fresh (id INT);\n")
    index = load_catalog(root, Config())
    [issue] = index.catalog.issues
    assert (issue.code, issue.path, issue.span.start.line) == ("drop-missing-table", "migrations/003_drop_again.sql", 0)
    assert [t.name for t in index.catalog] == ["fresh"]


def test_config_with_wrong_types_is_reported_per_key(tmp_path: Path) -> None:
    (tmp_path / "querywright.toml").write_text('dialect = 42\nschema_paths = "not a list"\nmax_file_size_mb = -1\ncolour = "blue"\n[inline]\ndebounce_ms = "soon"\n')
    config, problems = load_config(tmp_path)
    assert config == Config()
    keys = sorted(p.key for p in problems)
    assert keys == ["colour", "dialect", "inline.debounce_ms", "max_file_size_mb", "schema_paths"]
    assert all(p.source == "querywright.toml" for p in problems)


def test_broken_toml_and_unknown_dialect(tmp_path: Path) -> None:
    (tmp_path / "querywright.toml").write_text("dialect = [unclosed\n")
    config, [problem] = load_config(tmp_path)
    assert config == Config() and "cannot be read" in problem.message
    (tmp_path / "querywright.toml").write_text('dialect = "klingon"\n')
    config, [problem] = load_config(tmp_path)
    assert config.dialect == "postgres" and "unknown dialect" in problem.message


def test_cli_reports_bad_config_without_traceback(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "querywright.toml").write_text('dialect = 42\n')
    result = subprocess.run([sys.executable, "-m", "querywright.cli.main", "schema", "--json", "-w", str(root)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "dialect" in result.stderr
    assert [t["name"] for t in json.loads(result.stdout)["tables"]] == ["users"]
