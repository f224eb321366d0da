"""A throw-away workspace made of one schema file, and its catalog, for tests that bring
their own DDL (real-world shapes, another dialect)."""

from __future__ import annotations

from pathlib import Path

from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.workspace import load_catalog


def schema_catalog(root: Path, schema_text: str, dialect: str = "postgres") -> Catalog:
    """Write ``schema_text`` as ``root/schema.sql`` with a ``querywright.toml`` naming it
    (in ``dialect``), and load the catalog; the configuration must have no problems."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "schema.sql").write_text(schema_text, encoding="utf-8")
    (root / "querywright.toml").write_text(
        f'dialect = "{dialect}"\nschema_paths = ["schema.sql"]\n', encoding="utf-8"
    )
    config, problems = load_config(root)
    assert not problems
    return load_catalog(root, config).catalog
