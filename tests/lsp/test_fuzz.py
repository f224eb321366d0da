"""Property-based fuzzing of the real ``querywright lsp`` over stdio (hypothesis).

The strategies, the independent document model and the driver live in
``tests/support/fuzzing.py`` (their docstring lists the properties: no crash, valid
responses, same text as the edits applied independently). Inline completion goes to
``CannedOllama`` of ``tests/support/fake_ollama.py`` (an Ollama-protocol server answering canned text at
once), so the model costs nothing. After each example the server must still answer a
hover on another document.

CI runs a bounded, derandomized campaign (``QUERYWRIGHT_FUZZ_EXAMPLES``, default 30);
``bench/fuzz_bench.py`` runs longer ones with the same strategies and driver.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..support.fake_ollama import CannedOllama
from ..support.fuzzing import Fuzzer, apply_change, operations, texts
from ..support.fuzzing import init_options as fuzz_options

FUZZ_EXAMPLES = int(os.environ.get("QUERYWRIGHT_FUZZ_EXAMPLES", "30"))


def test_apply_change_follows_the_specification() -> None:
    def edit(text: str, a: tuple[int, int], b: tuple[int, int], new: str) -> str:
        rng = types.Range(types.Position(*a), types.Position(*b))
        return apply_change(text, types.TextDocumentContentChangePartial(range=rng, text=new))

    assert edit("abc", (0, 99), (0, 99), "x") == "abcx"  # past the end of the last line
    assert edit("ab\r\ncd", (0, 9), (1, 0), "") == "abcd"  # \r\n is one line end
    assert edit("ab\rcd", (1, 1), (1, 1), "x") == "ab\rcxd"  # so is a lone \r
    assert edit("a\x0cb\u2028c\nd", (1, 0), (1, 0), "x") == "a\x0cb\u2028c\nxd"  # these are not
    assert edit("\U0001f600z", (0, 2), (0, 3), "") == "\U0001f600"  # UTF-16 units
    assert edit("a\nb", (7, 0), (9, 0), "!") == "a\nb!"  # past the last line


@pytest.fixture(scope="module")
def canned() -> Iterator[CannedOllama]:
    with CannedOllama() as server:
        yield server


@pytest.fixture
def init_options(canned: CannedOllama) -> dict[str, Any]:
    return fuzz_options(canned.url)


@pytest.fixture
def fuzzer(lsp_client: LanguageClient, workspace: Path) -> Fuzzer:
    return Fuzzer(lsp_client, workspace / "queries")


FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize="QUERYWRIGHT_FUZZ_EXAMPLES" not in os.environ,  # CI: the same examples every run
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)


@FUZZ_SETTINGS
@given(initial=texts, ops=operations)
async def test_fuzzed_sessions(fuzzer: Fuzzer, workspace: Path, initial: str, ops: list[Any]) -> None:
    run = await fuzzer.run_example(initial, ops)
    assert run.operations == len(ops)
    assert await fuzzer.still_alive(workspace / "queries" / "reports.sql", types.Position(1, 15))
