"""A corrupt model registry (``registry.json``) or model manifest (``manifest.json``, written
by ``querywright export``) never stops the product: ``querywright models list`` warns in
one line, keeps the damaged file aside (``NAME.corrupt-STAMP``, byte for byte), and goes on
with what can still be read; registering a model afterwards works. A model whose manifest
is damaged is an unfinished or broken export: it is left out, never served.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from querywright.server.ai.registry import find_registered, list_registered, register_model

from .conftest import run_cli

GGUF_BYTES = b"GGUF\x03\x00\x00\x00" + bytes(56)  # the magic: enough to be registered


def export_dir(root: Path, name: str) -> tuple[Path, Path]:
    """A folder as an export leaves it: a GGUF and a manifest (a JSON object)."""
    folder = root / "finetuned" / name
    folder.mkdir(parents=True)
    (folder / f"{name}.q8_0.gguf").write_bytes(GGUF_BYTES)
    (folder / "manifest.json").write_text(json.dumps({"name": name, "files": []}))
    return folder / f"{name}.q8_0.gguf", folder / "manifest.json"


def listed(qw_home: Path) -> tuple[list[str], str]:
    done = run_cli(["models", "list", "--json"], qw_home)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    assert "builtin:smollm2-135m" in [b["ref"] for b in data["builtin"]]  # the rest works
    return [m["name"] for m in data["registered"]], done.stderr


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("WARNING")]


def aside(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f"{name}.corrupt-*"))


@pytest.mark.parametrize("damage", [b'{"version": 1, "models": [{"name": "sh', b"\x00" * 300,
                                    b"\xff\xfe not text", b"[1, 2, 3]", b""])
def test_corrupt_registry_is_kept_aside_and_replaced(damage: bytes, qw_home: Path) -> None:
    models = qw_home / "models"
    gguf, manifest = export_dir(qw_home, "shop-sql")
    register_model("shop-sql", gguf, None, manifest, directory=models)
    registry = models / "registry.json"
    registry.write_bytes(damage)

    names, stderr = listed(qw_home)
    assert names == []
    [line] = warnings(stderr)
    assert "registry.json was corrupt" in line and "kept as registry.json.corrupt-" in line
    [kept] = aside(models, "registry.json")
    assert kept.read_bytes() == damage  # kept as it was, not destroyed
    assert not registry.exists()

    register_model("shop-sql", gguf, None, manifest, directory=models)  # works again
    names, stderr = listed(qw_home)
    assert names == ["shop-sql"] and warnings(stderr) == []
    assert aside(models, "registry.json") == [kept]


def test_unreadable_entries_are_dropped_and_the_rest_kept(qw_home: Path) -> None:
    models = qw_home / "models"
    for name in ("alpha", "beta"):
        gguf, manifest = export_dir(qw_home, name)
        register_model(name, gguf, None, manifest, directory=models)
    registry = models / "registry.json"
    data = json.loads(registry.read_text())
    data["models"].append({"name": "half-written"})  # fields missing
    data["models"][0]["written_by"] = "a newer version"  # an unknown field is no damage
    registry.write_text(json.dumps(data))
    before = registry.read_bytes()

    names, stderr = listed(qw_home)
    assert names == ["alpha", "beta"]
    [line] = warnings(stderr)
    assert "1 unreadable entry" in line and "2 model(s) recovered" in line
    [kept] = aside(models, "registry.json")
    assert kept.read_bytes() == before
    assert [m.name for m in list_registered(models)] == ["alpha", "beta"]  # written back


@pytest.mark.parametrize("damage", [b'{"name": "shop-sql", "files": [', b"\x89PNG\r\n\x1a\n",
                                    b'"just a string"'])
def test_corrupt_manifest_leaves_the_model_out(damage: bytes, qw_home: Path) -> None:
    models = qw_home / "models"
    good_gguf, good_manifest = export_dir(qw_home, "good")
    register_model("good", good_gguf, None, good_manifest, directory=models)
    gguf, manifest = export_dir(qw_home, "shop-sql")
    register_model("shop-sql", gguf, None, manifest, directory=models)
    manifest.write_bytes(damage)

    names, stderr = listed(qw_home)
    assert names == ["good"]
    [line] = warnings(stderr)
    assert "'shop-sql' is left out" in line and "manifest.json is corrupt" in line
    [kept] = aside(manifest.parent, "manifest.json")
    assert kept.read_bytes() == damage and not manifest.exists()
    assert gguf.read_bytes() == GGUF_BYTES  # the model's files are untouched

    names, stderr = listed(qw_home)  # the next look says why, once
    assert names == ["good"]
    [line] = warnings(stderr)
    assert "'shop-sql' is left out" in line and "is missing" in line
    assert find_registered("shop-sql", models) is None  # so it is never served

    served = run_cli(["ask", "--workspace", str(Path(__file__).resolve().parents[2] / "examples" / "shop"),
                      "--model", "shop-sql", "how many users"], qw_home)
    assert served.returncode == 2 and "Traceback" not in served.stderr
    assert "no registered model named 'shop-sql'" in served.stderr
