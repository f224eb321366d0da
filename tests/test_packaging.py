"""The wheel holds every subpackage under ``querywright.*``, the JSON Schemas and the shipped
SQL adapter, and the core install does not need torch."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)], check=True, capture_output=True)
    [wheel] = out.glob("querywright-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_every_source_module_is_in_the_wheel(wheel_names: set[str]) -> None:
    mapping = {"server": "querywright/server", "trainer": "querywright/trainer", "cli": "querywright/cli", "schemas": "querywright/schemas"}
    expected = set()
    for folder, target in mapping.items():
        for path in (REPO / folder).rglob("*"):
            if path.suffix in (".py", ".json", ".gguf") and "__pycache__" not in path.parts:
                expected.add(f"{target}/{path.relative_to(REPO / folder).as_posix()}")
    missing = sorted(expected - wheel_names)
    assert not missing, f"not packaged (add the subpackage to [tool.setuptools] packages): {missing}"
    assert not any(name.startswith(("tests/", "bench/", "examples/")) for name in wheel_names)


def test_core_metadata_has_no_torch(wheel_names: set[str]) -> None:
    import importlib.metadata as md

    requires = md.requires("querywright") or []
    core = [r for r in requires if "extra ==" not in r]
    assert core and not any(r.lower().startswith("torch") for r in core)


def test_cli_help_is_fast_and_imports_no_heavy_modules() -> None:
    code = "import sys; from querywright.cli.main import build_parser; build_parser(); print(sorted(m for m in ('torch', 'transformers', 'pygls', 'xllamacpp') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
