"""Model references: parsing, and which backend ``open_completer`` builds for each."""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.ai.completer import BackendState, Completer, CompletionRequest
from querywright.server.ai.refs import BackendConfig, FallbackCompleter, open_completer, parse_ref
from querywright.server.ai.registry import register_model
from querywright.server.ai.resilience import ResilientCompleter
from querywright.server.errors import ModelError

from ..support.fake_ollama import FakeOllama


@pytest.mark.parametrize(
    ("text", "kind", "name", "url"),
    [
        ("builtin:smollm2-135m", "builtin", "smollm2-135m", ""),
        ("builtin", "builtin", "smollm2-135m", ""),
        ("ollama:qwen2.5-coder:1.5b", "ollama", "qwen2.5-coder:1.5b", ""),
        ("openai:http://10.0.0.5:8000/v1#Qwen/Qwen2.5-Coder-7B", "openai", "Qwen/Qwen2.5-Coder-7B",
         "http://10.0.0.5:8000/v1"),
        ("openai:https://h/v1#a#b", "openai", "b", "https://h/v1#a"),
        ("shop-sql", "registered", "shop-sql", ""),
    ],
)  # fmt: skip
def test_parse_named_refs(text: str, kind: str, name: str, url: str) -> None:
    ref = parse_ref(text)
    assert (ref.kind, ref.name, ref.url) == (kind, name, url)


def test_parse_gguf_paths(tmp_path: Path) -> None:
    ref = parse_ref("models/base.gguf+adapters/lora.gguf", base_dir=tmp_path)
    assert ref.kind == "gguf"
    assert ref.path == tmp_path / "models/base.gguf"
    assert ref.adapter == tmp_path / "adapters/lora.gguf"
    odd = tmp_path / "c++.gguf"  # a '+' in an existing file name is part of the name
    odd.write_bytes(b"GGUF")
    assert parse_ref(str(odd)).path == odd and parse_ref(str(odd)).adapter is None
    assert parse_ref("~/m.gguf").path == Path.home() / "m.gguf"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("builtin:gpt-4", "unknown built-in"),
        ("ollama:", "ollama:NAME"),
        ("openai:http://h/v1", "openai:URL#MODEL"),
        ("openai:ftp://h#m", "openai:URL#MODEL"),
        ("hf:foo/bar", "unrecognised"),
        ("two words", "unrecognised"),
    ],
)
def test_malformed_refs_explain_the_forms(text: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        parse_ref(text)


def test_missing_builtin_names_the_pull_command(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="querywright models pull builtin"):
        open_completer("builtin:smollm2-135m", BackendConfig(models_dir=tmp_path))


def test_missing_gguf_and_unregistered_name(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        open_completer(str(tmp_path / "nope.gguf"))
    with pytest.raises(ModelError, match="no registered model"):
        open_completer("shop-sql", BackendConfig(models_dir=tmp_path))


@pytest.mark.model
def test_each_kind_opens_a_guarded_completer(smollm2_gguf: Path, tmp_path: Path) -> None:
    config = BackendConfig(models_dir=smollm2_gguf.parent)
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    register_model("shop-sql", smollm2_gguf, None, manifest, directory=tmp_path)
    opened = {
        "builtin": open_completer("builtin:smollm2-135m", config),
        "gguf": open_completer(str(smollm2_gguf), config),
        "registered": open_completer("shop-sql", BackendConfig(models_dir=tmp_path)),
        "openai": open_completer("openai:http://127.0.0.1:9/v1#m", config),
        "ollama": open_completer("ollama:qwen", BackendConfig(fallback_to_builtin=False)),
    }
    for kind, completer in opened.items():
        assert isinstance(completer, ResilientCompleter), kind
        assert isinstance(completer, Completer), kind
    assert opened["builtin"].name == "builtin:smollm2-135m"
    assert opened["registered"].name == "shop-sql"
    assert opened["builtin"].capabilities.grammar
    assert isinstance(open_completer("ollama:qwen", config), FallbackCompleter)


@pytest.mark.model
async def test_unreachable_ollama_falls_back_to_builtin(smollm2_gguf: Path) -> None:
    with FakeOllama() as server:  # take a free port, then close it: nothing listens there
        url = server.url
    config = BackendConfig(ollama_host=url, models_dir=smollm2_gguf.parent, n_threads=1,
                           n_ctx=2048, probe_timeout_s=0.5)  # fmt: skip
    completer = open_completer("ollama:qwen2.5-coder", config)
    assert isinstance(completer, FallbackCompleter)
    try:
        assert await completer.state() is BackendState.READY
        assert completer.notice is not None and "not reachable" in completer.notice
        assert "builtin:smollm2-135m" in completer.name and "fallback" in completer.name
        [result] = await completer.complete(
            CompletionRequest(prompt="SELECT id FROM", max_tokens=4)
        )
        assert result.text
    finally:
        await completer.aclose()


@pytest.mark.model
async def test_reachable_ollama_is_used(fake_ollama: FakeOllama, smollm2_gguf: Path) -> None:
    config = BackendConfig(ollama_host=fake_ollama.url, models_dir=smollm2_gguf.parent)
    completer = open_completer("ollama:smollm2", config)
    try:
        assert await completer.state() is BackendState.READY
        [result] = await completer.complete(
            CompletionRequest(prompt="SELECT id FROM", max_tokens=4)
        )
    finally:
        await completer.aclose()
    assert result.text and completer.name == "ollama:smollm2"
    assert isinstance(completer, FallbackCompleter) and completer.notice is None


async def test_unreachable_ollama_without_builtin_is_offline_with_reason(tmp_path: Path) -> None:
    with FakeOllama() as server:
        url = server.url
    config = BackendConfig(ollama_host=url, models_dir=tmp_path, probe_timeout_s=0.5)
    completer = open_completer("ollama:qwen2.5-coder", config)
    assert isinstance(completer, FallbackCompleter)
    try:
        assert await completer.state() is BackendState.OFFLINE
        assert completer.notice and "querywright models pull builtin" in completer.notice
        with pytest.raises(ModelError, match="built-in fallback is unavailable"):
            await completer.complete(CompletionRequest(prompt="SELECT", max_tokens=2))
    finally:
        await completer.aclose()


@pytest.mark.model
async def test_fallback_also_streams(smollm2_gguf: Path) -> None:
    with FakeOllama() as server:
        url = server.url
    config = BackendConfig(ollama_host=url, models_dir=smollm2_gguf.parent, n_threads=1,
                           n_ctx=2048, probe_timeout_s=0.5)  # fmt: skip
    completer = open_completer("ollama:qwen2.5-coder", config)
    try:
        pieces = [
            p
            async for p in completer.stream(
                CompletionRequest(prompt="SELECT id FROM", max_tokens=4)
            )
        ]
    finally:
        await completer.aclose()
    assert "".join(pieces).strip()
    assert isinstance(completer, FallbackCompleter) and completer.notice


def test_backend_config_from_settings(tmp_path: Path) -> None:
    config = BackendConfig.from_settings({"ollama_host": "http://gpu-box:11434"}, tmp_path)
    assert config.ollama_host == "http://gpu-box:11434" and config.workspace == tmp_path
    assert isinstance(open_completer("ollama:m", {"ollama_host": "http://h:1"}), FallbackCompleter)
