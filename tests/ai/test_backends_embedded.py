"""The embedded backend generates real text from SmolLM2 through llama.cpp (xllamacpp):
grammar-constrained output, early cancellation, n candidates, shared model loads."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from querywright.server.ai.completer import BackendState, Completer, CompletionRequest
from querywright.server.ai.embedded import EmbeddedCompleter
from querywright.server.errors import ModelError

pytestmark = pytest.mark.model

GRAMMAR = r"""
root ::= " " cols " FROM album;"
cols ::= col (", " col)? (", " col)?
col ::= "album_id" | "artist_id" | "title"
"""
GRAMMAR_RE = re.compile(
    r"^ (album_id|artist_id|title)(, (album_id|artist_id|title)){0,2} FROM album;$"
)


@pytest.fixture
def completer(smollm2_gguf: Path) -> EmbeddedCompleter:
    return EmbeddedCompleter(smollm2_gguf, name="builtin:smollm2-135m", n_ctx=2048, n_threads=1)


async def test_generates_real_text(completer: EmbeddedCompleter) -> None:
    assert isinstance(completer, Completer)
    await completer.warm_up()
    assert await completer.state() is BackendState.READY
    [result] = await completer.complete(
        CompletionRequest(prompt="-- all users\nSELECT id, name FROM", max_tokens=8)
    )
    assert result.text.strip() and result.tokens > 0
    assert result.finish_reason in ("stop", "length")


async def test_grammar_is_honoured(completer: EmbeddedCompleter) -> None:
    request = CompletionRequest(
        prompt="-- album titles\nSELECT", max_tokens=48, grammar=GRAMMAR, temperature=0.9, n=2
    )
    results = await completer.complete(request)
    assert len(results) == 2
    for result in results:
        assert GRAMMAR_RE.match(result.text), result.text
        assert result.finish_reason == "stop"


async def test_bad_grammar_is_a_model_error(completer: EmbeddedCompleter) -> None:
    with pytest.raises(ModelError, match="grammar"):
        await completer.complete(CompletionRequest(prompt="SELECT", grammar="root ::= ("))


async def test_cancel_stops_generation_early(completer: EmbeddedCompleter) -> None:
    cancel = asyncio.Event()
    pieces: list[str] = []
    async for piece in completer.stream(
        CompletionRequest(prompt="1, 2, 3, 4, 5, 6,", max_tokens=256), cancel
    ):
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()
    assert 3 <= len(pieces) <= 5  # at most the pieces already in flight


async def test_cancel_event_ends_complete_with_cancelled(completer: EmbeddedCompleter) -> None:
    cancel = asyncio.Event()
    request = CompletionRequest(prompt="1, 2, 3, 4, 5, 6,", max_tokens=256)
    # 256 tokens take seconds on any CPU; the cancel lands long before the end
    asyncio.get_running_loop().call_later(0.3, cancel.set)
    [result] = await completer.complete(request, cancel)
    assert result.finish_reason == "cancelled"
    assert result.tokens < 256


async def test_n_candidates_with_different_seeds(completer: EmbeddedCompleter) -> None:
    request = CompletionRequest(
        prompt="-- users by country\nSELECT", max_tokens=10, n=3, temperature=1.0, seed=11
    )
    results = await completer.complete(request)
    assert [r.metadata["seed"] for r in results] == [11, 12, 13]
    assert len({r.text for r in results}) > 1
    # the shared prompt is served from the prefix cache after the first candidate
    assert all(r.metadata["cached_tokens"] > 0 for r in results[1:])


async def test_one_load_is_shared_by_path(smollm2_gguf: Path) -> None:
    first = EmbeddedCompleter(smollm2_gguf, n_ctx=2048, n_threads=1)
    second = EmbeddedCompleter(smollm2_gguf, n_ctx=2048, n_threads=1)
    assert first.engine is second.engine


async def test_corrupt_gguf_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a model at all")
    completer = EmbeddedCompleter(bad)
    with pytest.raises(ModelError, match="not a GGUF"):
        await completer.warm_up()


async def test_engine_http_listener_is_locked(completer: EmbeddedCompleter) -> None:
    """xllamacpp listens on a loopback port; without the secret key it answers 401."""
    await completer.warm_up()
    address = completer.engine.listening_address
    assert address and address.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.post(f"{address}/v1/completions", json={"prompt": "SELECT"})
    assert response.status_code == 401


async def test_truncated_gguf_fails_to_load_cleanly(smollm2_gguf: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.gguf"
    with smollm2_gguf.open("rb") as source:
        truncated.write_bytes(source.read(5_000_000))  # valid header, missing tensors
    with pytest.raises(ModelError, match="corrupt or unsupported GGUF"):
        await EmbeddedCompleter(truncated, n_threads=1).warm_up()


async def test_a_request_can_run_without_the_adapter(completer: EmbeddedCompleter, smollm2_gguf: Path) -> None:
    """The builtin SQL adapter is applied per request: ``adapter=False`` gives exactly what
    the bare weights give, ``adapter=True`` what the adapter makes of the same prompt."""
    from querywright.server.ai.models import SMOLLM2_135M_SQL, adapter_path
    from querywright.server.ai.prompt import build_prompt

    adapted = EmbeddedCompleter(smollm2_gguf, adapter_path(SMOLLM2_135M_SQL), n_ctx=2048, n_threads=1)
    ddl = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nCREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT);"
    outputs = {}
    for question in ("How many users are there?", "List the titles of all products."):
        prompt = build_prompt(ddl, "postgres", question, "SELECT")
        request = CompletionRequest(prompt=prompt, max_tokens=16, stop=(";",), seed=1)
        bare = (await completer.complete(request))[0].text
        off = (await adapted.complete(CompletionRequest(prompt=prompt, max_tokens=16, stop=(";",), seed=1, adapter=False)))[0].text
        on = (await adapted.complete(request))[0].text
        assert off == bare
        outputs[question] = (bare, on)
    assert any(bare != on for bare, on in outputs.values()), outputs
