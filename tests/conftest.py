"""Shared fixtures: example workspaces copied to a temporary folder, loaded catalogs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .support.postgres_server import postgres_url  # noqa: F401  (a session fixture for every test folder)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


@pytest.fixture
def shop_workspace(tmp_path: Path) -> Path:
    """A private copy of examples/shop (tests may edit it)."""
    target = tmp_path / "shop"
    shutil.copytree(EXAMPLES / "shop", target)
    return target


@pytest.fixture
def analytics_workspace(tmp_path: Path) -> Path:
    target = tmp_path / "analytics"
    shutil.copytree(EXAMPLES / "analytics", target)
    return target
