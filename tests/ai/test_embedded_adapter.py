"""The embedded backend keeps the adapter's and the bare weights' prompt states apart: an
answer never depends on which mode ran before it, and a shared prompt prefix is reused
within a mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from querywright.server.ai.completer import CompletionRequest
from querywright.server.ai.embedded import EmbeddedCompleter
from querywright.server.ai.models import SMOLLM2_135M_SQL, adapter_path
from querywright.server.ai.prompt import build_prompt

pytestmark = pytest.mark.model

DDL = "CREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT, length INTEGER, rating TEXT);"


def _request(question: str, adapter: bool = True) -> CompletionRequest:
    prompt = build_prompt(DDL, "postgres", question, "SELECT")
    return CompletionRequest(prompt=prompt, max_tokens=24, stop=(";",), seed=1, adapter=adapter)


async def test_an_answer_does_not_depend_on_the_mode_that_ran_before(smollm2_gguf: Path) -> None:
    question = "How many films are longer than 100 minutes?"
    alone = EmbeddedCompleter(smollm2_gguf, adapter_path(SMOLLM2_135M_SQL), n_ctx=2048, n_threads=1)
    fresh = (await alone.complete(_request(question)))[0].text
    # another completer over other engines (a different context size): a fresh cache
    mixed = EmbeddedCompleter(smollm2_gguf, adapter_path(SMOLLM2_135M_SQL), n_ctx=1024, n_threads=1)
    await mixed.complete(_request(question, adapter=False))  # the same prompt, bare weights
    after = (await mixed.complete(_request(question)))[0]
    assert after.text == fresh
    assert mixed.engine is not mixed.bare_engine
    # the bare request left the adapter's cache alone: nothing of this prompt was cached there
    assert after.metadata["cached_tokens"] == 0


async def test_a_prompt_prefix_is_reused_within_a_mode(smollm2_gguf: Path) -> None:
    completer = EmbeddedCompleter(smollm2_gguf, adapter_path(SMOLLM2_135M_SQL), n_ctx=2048, n_threads=1)
    first = (await completer.complete(_request("List the titles of all films.")))[0]
    await completer.complete(CompletionRequest(prompt="<|im_start|>user\nhello<|im_end|>", max_tokens=1))
    # the schema part of the first prompt comes back from the engine's saved prompt states
    second = (await completer.complete(_request("How many films are rated PG?")))[0]
    assert int(second.metadata["cached_tokens"]) >= int(first.metadata["prompt_tokens"]) // 2
