"""The README's first command answers its question right: the builtin model, through the
CLI, counts each user's orders (one group per user, the count selected, no filter; joining
the users table on the foreign key gives the same counts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

REPO = Path(__file__).resolve().parent.parent.parent
QUESTION = "How many orders has each user placed?"


@pytest.mark.model
def test_readme_first_command_answer(smollm2_gguf: Path) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert f'querywright ask --workspace examples/shop "{QUESTION}"' in readme.split("```")[1]
    done = subprocess.run(
        [sys.executable, "-m", "querywright.cli.main", "ask", "--workspace", str(REPO / "examples" / "shop"), QUESTION],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tree = sqlglot.parse_one(done.stdout.strip().rstrip(";"), read="postgres")
    assert any(item.find(exp.Count) is not None for item in tree.expressions), done.stdout  # the count is shown
    group = tree.find(exp.Group)
    assert group is not None, done.stdout
    tables = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
    keys = {(tables.get(c.table, "orders" if not c.table else c.table), c.name) for c in group.find_all(exp.Column)}
    assert keys in ({("orders", "user_id")}, {("users", "id")}), done.stdout  # one group per user
    assert set(tables.values()) <= {"orders", "users"} and "orders" in tables.values(), done.stdout
    assert tree.find(exp.Where) is None and tree.find(exp.Having) is None, done.stdout  # every user, no filter
