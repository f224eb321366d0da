"""The Ollama backend over real HTTP (the ``ollama`` client) against the stand-in server
of ``tests/support/fake_ollama.py``, which answers from the real SmolLM2 model."""

from __future__ import annotations

import asyncio

import pytest
from querywright.server.ai.completer import BackendState, CompletionRequest
from querywright.server.ai.ollama_backend import OllamaCompleter
from querywright.server.ai.resilience import BackendTimeout, BackendUnavailable, ModelNotFound

from ..support.fake_ollama import FIM_TEMPLATE, FakeOllama

pytestmark = pytest.mark.model

PROMPT = "-- all users\nSELECT id, name FROM"


async def test_generate_returns_real_text(fake_ollama: FakeOllama) -> None:
    completer = OllamaCompleter("smollm2", fake_ollama.url)
    try:
        [result] = await completer.complete(CompletionRequest(prompt=PROMPT, max_tokens=8))
    finally:
        await completer.aclose()
    assert result.text.strip()
    assert result.finish_reason in ("stop", "length")
    assert result.tokens > 0
    method, path, body = fake_ollama.requests[-1]
    assert (method, path) == ("POST", "/api/generate")
    assert body["raw"] is True and body["stream"] is True
    assert body["options"]["num_predict"] == 8 and body["keep_alive"] == "30m"


async def test_stream_matches_complete_at_temperature_zero(fake_ollama: FakeOllama) -> None:
    completer = OllamaCompleter("smollm2", fake_ollama.url)
    request = CompletionRequest(prompt=PROMPT, max_tokens=8, stop=(";",))
    try:
        pieces = [piece async for piece in completer.stream(request)]
        [whole] = await completer.complete(request)
    finally:
        await completer.aclose()
    assert len(pieces) > 1
    assert "".join(pieces) == whole.text


async def test_n_candidates_use_distinct_seeds(fake_ollama: FakeOllama) -> None:
    completer = OllamaCompleter("smollm2", fake_ollama.url)
    request = CompletionRequest(prompt=PROMPT, max_tokens=6, n=2, temperature=0.9, seed=7)
    try:
        results = await completer.complete(request)
    finally:
        await completer.aclose()
    assert len(results) == 2
    seeds = [body["options"]["seed"] for _m, path, body in fake_ollama.requests
             if path == "/api/generate"]  # fmt: skip
    assert seeds == [7, 8]
    assert [r.metadata["seed"] for r in results] == [7, 8]


async def test_cancel_stops_the_stream(fake_ollama: FakeOllama) -> None:
    completer = OllamaCompleter("smollm2", fake_ollama.url)
    cancel = asyncio.Event()
    pieces: list[str] = []
    try:
        async for piece in completer.stream(
            CompletionRequest(prompt="1, 2, 3, 4, 5, 6,", max_tokens=200), cancel
        ):
            pieces.append(piece)
            if len(pieces) == 3:
                cancel.set()
        # an already-cancelled request returns no candidates, without generating
        count = len(fake_ollama.requests)
        assert await completer.complete(CompletionRequest(prompt=PROMPT), cancel) == []
    finally:
        await completer.aclose()
    assert len(pieces) == 3
    assert len(fake_ollama.requests) == count


async def test_missing_model_offers_pull_command(fake_ollama: FakeOllama) -> None:
    completer = OllamaCompleter("qwen2.5-coder:1.5b", fake_ollama.url)
    try:
        with pytest.raises(ModelNotFound, match=r"ollama pull qwen2\.5-coder:1\.5b"):
            await completer.complete(CompletionRequest(prompt=PROMPT))
        assert await completer.state() is BackendState.DISABLED
    finally:
        await completer.aclose()


async def test_http_500_is_a_clean_error(fake_ollama: FakeOllama) -> None:
    fake_ollama.inject("http500")
    completer = OllamaCompleter("smollm2", fake_ollama.url)
    try:
        with pytest.raises(BackendUnavailable, match="HTTP 500"):
            await completer.complete(CompletionRequest(prompt=PROMPT, max_tokens=8))
    finally:
        await completer.aclose()


async def test_cut_stream_is_an_error_not_partial_text(fake_ollama: FakeOllama) -> None:
    fake_ollama.inject("cut")
    completer = OllamaCompleter("smollm2", fake_ollama.url)
    try:
        with pytest.raises(BackendUnavailable, match="cut off"):
            await completer.complete(CompletionRequest(prompt="1, 2, 3,", max_tokens=40))
        # the next request is served normally
        [result] = await completer.complete(CompletionRequest(prompt=PROMPT, max_tokens=4))
    finally:
        await completer.aclose()
    assert result.text


async def test_slow_server_times_out(fake_ollama: FakeOllama) -> None:
    fake_ollama.inject("slow", delay_s=10.0)
    completer = OllamaCompleter("smollm2", fake_ollama.url, timeout_s=0.5)
    try:
        with pytest.raises(BackendTimeout):
            await completer.complete(CompletionRequest(prompt=PROMPT, max_tokens=4))
    finally:
        await completer.aclose()


async def test_fim_suffix_only_when_the_template_supports_it(
    fake_ollama: FakeOllama, smollm2_gguf: object
) -> None:
    fake_ollama.add_model("smollm2-fim", fake_ollama.find("smollm2").gguf, FIM_TEMPLATE)
    request = CompletionRequest(prompt="SELECT ", suffix=" FROM users;", max_tokens=4)
    fim = OllamaCompleter("smollm2-fim", fake_ollama.url)
    plain = OllamaCompleter("smollm2", fake_ollama.url)
    try:
        await fim.complete(request)
        fim_body = fake_ollama.requests[-1][2]
        await plain.complete(request)
        plain_body = fake_ollama.requests[-1][2]
    finally:
        await fim.aclose()
        await plain.aclose()
    assert fim.capabilities.fim and not plain.capabilities.fim
    assert fim_body["suffix"] == " FROM users;" and fim_body["raw"] is False
    assert "suffix" not in plain_body and plain_body["raw"] is True


async def test_warm_up_loads_and_state_is_ready(fake_ollama: FakeOllama) -> None:
    completer = OllamaCompleter("smollm2", fake_ollama.url)
    try:
        await completer.warm_up()
        assert await completer.state() is BackendState.READY
    finally:
        await completer.aclose()
    paths = [path for _m, path, _b in fake_ollama.requests]
    assert paths[:2] == ["/api/show", "/api/generate"]
    assert fake_ollama.requests[1][2]["prompt"] == ""
