"""The README's first command answers its question right: the builtin model, through the
CLI, counts each user's orders (a GROUP BY over the foreign key, not one user's rows)."""

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
    assert tree.find(exp.Count) is not None, done.stdout
    group = tree.find(exp.Group)
    assert group is not None and {c.name for c in group.find_all(exp.Column)} == {"user_id"}, done.stdout
    assert {t.name for t in tree.find_all(exp.Table)} == {"orders"}, done.stdout
