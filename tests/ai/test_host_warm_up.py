"""The model host's warm-up in two steps, and what a suggestion waits for.

``load`` loads the model; ``prime`` evaluates the keystroke prompt's schema prefix in a
few growing requests (``prime_cuts``), giving way between them while a question is being
answered (``ModelHost.busy``). ``readiness`` says which of the two a suggestion needs: a
question comment only the model loaded, a keystroke continuation the schema prefix too.

The backend is ``CannedOllama`` (``tests/support/fake_ollama.py``) over real HTTP: it
counts the generation requests it gets (the load request is one, each prime step one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import pytest
from querywright.server.ai.completer import BackendState
from querywright.server.ai.host import (
    PRIME_QUIET_S,
    PRIME_STEPS,
    ModelHost,
    Readiness,
    prime_cuts,
    readiness,
)
from querywright.server.ai.prompt import prompt_prefix
from querywright.server.ai.schema_slice import slice_schema
from querywright.server.config import Config
from querywright.server.sql.catalog import Catalog

from ..support.fake_ollama import CannedOllama


@pytest.fixture
def canned() -> Iterator[CannedOllama]:
    with CannedOllama() as server:
        yield server


def test_a_question_comment_needs_the_model_loaded_a_keystroke_the_prefix() -> None:
    question = "SELECT 1;\n\n-- the emails of all customers\n"
    assert readiness(question, len(question), "postgres") is Readiness.LOADED
    keystroke = "SELECT 1;\n\nSELECT email FROM "
    assert readiness(keystroke, len(keystroke), "postgres") is Readiness.PRIMED
    inside = "-- the emails of all customers"
    assert readiness(inside, len(inside), "postgres") is Readiness.PRIMED  # not a question yet


def test_prime_cuts_grow_at_line_ends_to_the_whole_prefix(catalog: Catalog) -> None:
    prefix = prompt_prefix(slice_schema(catalog).ddl, catalog.dialect)
    cuts = prime_cuts(prefix, PRIME_STEPS)
    assert cuts[-1] == len(prefix) and cuts == sorted(set(cuts)) and 1 < len(cuts) <= PRIME_STEPS
    assert all(prefix[cut - 1] == "\n" for cut in cuts[:-1]), cuts
    assert prime_cuts("one line", PRIME_STEPS) == [len("one line")]


async def test_prime_waits_while_a_question_is_answered(canned: CannedOllama, catalog: Catalog) -> None:
    states: list[BackendState] = []
    host = ModelHost(lambda state, _message: states.append(state))
    host.configure(replace(Config(), model="ollama:canned", ollama_host=canned.url), None)
    steps = len(prime_cuts(prompt_prefix(slice_schema(catalog).ddl, catalog.dialect), PRIME_STEPS))
    try:
        with host.busy(Readiness.LOADED):  # a question is waiting for the model
            warming = asyncio.create_task(host.warm_up(catalog))
            while canned.generations < 1:  # the load request
                await asyncio.sleep(0.01)
            await asyncio.sleep(PRIME_QUIET_S + 0.3)
            assert canned.generations == 1 and not warming.done()  # the prefix waits
            assert states[-1] is BackendState.LOADING
        with host.busy(Readiness.PRIMED):  # a keystroke does not hold it up
            await asyncio.wait_for(warming, 10)
        assert canned.generations == 1 + steps
        assert states[-1] is BackendState.READY
    finally:
        await host.aclose()
