"""Harvest keeps personal data and secrets out of the pairs it writes.

A copy of the shop example gets queries whose literals and comments hold an email, a card
number, a phone number and an API key; files named like secrets (``.env.sql``,
``credentials.sql``, ``id_rsa.sql``, ``.pgpass``), a ``.gitignore``'d folder, a symlink out of
the workspace and a config glob reaching outside it, each holding a query with a marker
that must never show up in a harvested record.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from querywright.server.config import load_config
from querywright.trainer.harvest import harvest

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
EMAIL, CARD, PHONE, KEY = "jane.doe@example.com", "4111 1111 1111 1111", "+1 415-555-0134", "sk-abcdefghijklmnop1234567890"
QUERIES = f"""-- Orders of the customer {EMAIL}
SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = '{EMAIL}';

-- Users paying with one card
SELECT id FROM users WHERE name = '{CARD}';

-- Users reachable by phone
SELECT id FROM users WHERE name = '{PHONE}' OR name = '{KEY}';

-- Orders still pending
SELECT id FROM orders WHERE status = 'pending';
"""
HIDDEN = ["gitignored_marker", "dotenv_marker", "credentials_marker", "id_rsa_marker", "symlink_marker", "pgpass_marker"]


def _hidden_query(marker: str) -> str:
    return f"-- Users named {marker}\nSELECT id FROM users WHERE name = '{marker}';\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    (root / "queries" / "people.sql").write_text(QUERIES, "utf-8")
    (root / "app").mkdir()
    (root / "app" / "pay.py").write_text(f'def by_card(cur):\n    # Users paying with a card\n    cur.execute("SELECT id FROM users WHERE name = \'{CARD}\'")\n', "utf-8")
    (root / ".gitignore").write_text("private/\n", "utf-8")
    (root / "private").mkdir()
    (root / "private" / "q.sql").write_text(_hidden_query("gitignored_marker"), "utf-8")
    (root / "queries" / ".env.sql").write_text(_hidden_query("dotenv_marker"), "utf-8")
    (root / "queries" / "credentials.sql").write_text(_hidden_query("credentials_marker"), "utf-8")
    (root / "queries" / "id_rsa.sql").write_text(_hidden_query("id_rsa_marker"), "utf-8")
    (root / ".pgpass").write_text("db:5432:app:app:pgpass_marker\n", "utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "elsewhere.sql").write_text(_hidden_query("symlink_marker"), "utf-8")
    (outside / "V99__evil.sql").write_text("CREATE TABLE outside_marker (id INT);\n", "utf-8")
    (root / "queries" / "linked.sql").symlink_to(outside / "elsewhere.sql")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    config = root / "querywright.toml"
    config.write_text(config.read_text("utf-8").replace('schema_paths = ["db/migration/**/*.sql"]',
                                                        'schema_paths = ["db/migration/**/*.sql", "../outside/*.sql"]'), "utf-8")
    return root


def _texts(records: list[dict]) -> str:
    return json.dumps(records)


def test_sensitive_literals_are_masked_by_default(workspace: Path) -> None:
    config, problems = load_config(workspace)
    assert any("reaches outside the workspace" in p.message for p in problems)
    result = harvest(workspace, config)
    text = _texts(result.records)
    for value in (EMAIL, CARD, PHONE, KEY):
        assert value not in text
    by_question = {r["question"]: r["sql"] for r in result.records}
    assert by_question["Orders of the customer <email>"].endswith("u.email = '<email>'")
    assert "'<card-number>'" in by_question["Users paying with one card"]
    assert by_question["Users reachable by phone"].endswith("name = '<phone>' OR name = '<secret>'")
    assert by_question["Orders still pending"].endswith("status = 'pending'")  # ordinary literals stay
    assert any(r["provenance"]["path"] == "app/pay.py" and "<card-number>" in r["sql"] for r in result.records)
    assert result.masked >= 6


def test_keep_literals_keeps_them(workspace: Path) -> None:
    config, _ = load_config(workspace)
    kept = _texts(harvest(workspace, config, keep_literals=True).records)
    for value in (EMAIL, CARD, PHONE, KEY):
        assert value in kept
    (workspace / "querywright.toml").write_text((workspace / "querywright.toml").read_text("utf-8") + "keep_literals = true\n", "utf-8")
    config, _ = load_config(workspace)
    assert config.keep_literals and EMAIL in _texts(harvest(workspace, config).records)


def test_secrets_files_ignored_files_and_paths_outside_are_never_read(workspace: Path) -> None:
    config, _ = load_config(workspace)
    result = harvest(workspace, config)
    text = _texts(result.records)
    for marker in HIDDEN:
        assert marker not in text, marker
    assert "outside_marker" not in result.catalog.tables
    assert result.dropped["file:outside-workspace"] == 1
    paths = {r["provenance"]["path"] for r in result.records}
    assert not any(p.startswith(("private/", "linked_dir/")) for p in paths)


def test_cli_harvest_writes_no_sensitive_literal(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    run = subprocess.run([sys.executable, "-m", "querywright.cli.main", "harvest", "--workspace", str(workspace), "-o", str(out), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    written = out.read_text("utf-8")
    summary = json.loads(run.stdout)
    assert summary["records"] >= 5 and summary["masked_literals"] >= 6
    for value in (EMAIL, CARD, PHONE, KEY, *HIDDEN):
        assert value not in written and value not in run.stdout + run.stderr
    keep = subprocess.run([sys.executable, "-m", "querywright.cli.main", "harvest", "--workspace", str(workspace), "-o", str(out),
                           "--json", "--keep-literals"], capture_output=True, text=True, timeout=120)
    assert keep.returncode == 0, keep.stderr
    assert EMAIL in out.read_text("utf-8")
