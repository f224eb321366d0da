"""Property-based fuzzing of the real ``querywright lsp`` over stdio (hypothesis).

Each example opens a fresh document and sends a random sequence of ``didChange``
(incremental, with random and out-of-range positions, and full) and requests
(completion, hover, codeAction, inlineCompletion, formatting) with random SQL fragments,
random unicode, bytes decoded as Latin-1, huge and deeply nested texts. Inline completion
goes to ``tests/support/canned_ollama.py`` (an Ollama-protocol server answering canned
text at once), so the model costs nothing. Properties, per example:

1. **No crash**: every request is answered, no handler failure is logged
   (``window/logMessage`` of type Error: the handler boundary would otherwise hide a crash
   behind an empty answer), and the server answers a final request on another document.
2. **Valid responses**: every result re-structures (lsprotocol's cattrs converter) as the
   response type of its method, and every range in it lies inside the document.
3. **Same text**: the edits are applied independently here (``apply_change``: the LSP
   specification's rules — ``\\n``, ``\\r\\n`` and ``\\r`` end lines, characters count UTF-16
   units, a character past the line's end means the end of the line, a line past the end
   means the end of the document). The server has no request that returns its text, so the
   check is differential: a second document is opened with the expected text, and the
   server's text-derived answers for both — semantic tokens (every token's position and
   length), document symbols (statement spans) and full-document formatting (the
   formatted statements' text) — must be equal. A divergence that changes no token
   boundary, no statement span and no formatted text escapes this check; edits are built
   mostly from SQL tokens so that divergences do show.

CI runs a bounded, derandomized campaign (``FUZZ_EXAMPLES``, default 30);
``bench/fuzz_bench.py`` runs longer ones with random seeds through the same test
(``QUERYWRIGHT_FUZZ_EXAMPLES``, ``QUERYWRIGHT_FUZZ_LOG``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from lsprotocol.converters import get_converter
from pytest_lsp import LanguageClient

from ..support.canned_ollama import CannedOllama
from .conftest import TIMEOUT_S, open_document

FUZZ_EXAMPLES = int(os.environ.get("QUERYWRIGHT_FUZZ_EXAMPLES", "30"))
FUZZ_LOG = os.environ.get("QUERYWRIGHT_FUZZ_LOG")  # one line per example run (the bench counts them)
CONVERTER = get_converter()
MAX_U = 2**31 - 1  # LSP uinteger
_EOL = re.compile(r"\r\n|\r|\n")


# -- the independent model of the document ----------------------------------------------
def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end of content) of each line under the LSP's line rules."""
    out, start = [], 0
    for match in _EOL.finditer(text):
        out.append((start, match.start()))
        start = match.end()
    out.append((start, len(text)))
    return out


def offset_of(text: str, position: types.Position) -> int:
    lines = _lines(text)
    if position.line >= len(lines):
        return len(text)
    start, end = lines[position.line]
    units = 0
    for i, ch in enumerate(text[start:end]):
        if units >= position.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return end


def apply_change(text: str, change: types.TextDocumentContentChangeEvent) -> str:
    if isinstance(change, types.TextDocumentContentChangeWholeDocument):
        return change.text
    start, end = offset_of(text, change.range.start), offset_of(text, change.range.end)
    return text[:start] + change.text + text[max(start, end):]


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


# -- what the fuzzer sends ----------------------------------------------------------------
FRAGMENTS = [
    "SELECT ", "u.", "o.", "users", "orders", "order_items", "email", "id", "name", " FROM ",
    " JOIN ", " ON ", " WHERE ", " GROUP BY ", " ORDER BY ", " AS ", "WITH c AS (", ")", "(",
    ",", ";", "'", '"', "--", "/*", "*/", "$$", "=", "1", "*", " ", "  ", "\t", "\n", "\r\n",
    "\r", "\x00", "\x0c", "\u2028", "\x85", "é", "\U0001f600", "ß", "\ufeff", "CREATE TABLE t (id int);",
    "INSERT INTO users (", "COPY users FROM stdin;\n1\tx\n\\.\n", "\\set x 1\n", "GO\n",
    "SELECT * FROM users u JOIN orders o ON o.user_id = u.id;\n", "-- all users\n",
]  # fmt: skip
HUGE = [
    "SELECT " + "(" * 2000 + "1" + ")" * 2000 + ";\n",
    "SELECT 1 FROM users;\n" * 5000,
    "SELECT " + ", ".join(f"c{i}" for i in range(15_000)) + " FROM users",
    "/* " + "x" * 100_000,
]

sql_text = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)
unicode_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
byte_text = st.binary(max_size=60).map(lambda b: b.decode("latin-1"))
texts = st.one_of(sql_text, sql_text, sql_text, unicode_text, byte_text, st.sampled_from(HUGE))
edit_texts = st.one_of(sql_text, unicode_text, byte_text)
coordinate = st.one_of(st.integers(0, 8), st.integers(0, 120), st.integers(0, MAX_U))
positions = st.builds(types.Position, line=coordinate, character=coordinate)


@st.composite
def ranges(draw: st.DrawFn) -> types.Range:
    a, b = draw(positions), draw(positions)
    return types.Range(*sorted((a, b), key=lambda p: (p.line, p.character)))


changes = st.one_of(
    st.builds(types.TextDocumentContentChangePartial, range=ranges(), text=edit_texts),
    st.builds(types.TextDocumentContentChangePartial, range=ranges(), text=edit_texts),
    st.builds(types.TextDocumentContentChangeWholeDocument, text=texts),
)
requests = st.one_of(
    st.tuples(st.sampled_from(["completion", "hover", "inline"]), positions),
    st.tuples(st.just("codeAction"), ranges()),
    st.tuples(st.just("formatting"), st.none()),
)
operations = st.lists(st.one_of(changes, changes, requests), min_size=1, max_size=10)


# -- the server ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def canned() -> Iterator[CannedOllama]:
    with CannedOllama() as server:
        yield server


@pytest.fixture
def init_options(canned: CannedOllama) -> dict[str, Any]:
    return {
        "dialect": "postgres",
        "model": "ollama:canned",
        "ollama_host": canned.url,
        "inline": {"debounce_ms": 0, "timeout_ms": 1000},
    }


_DOC_NUMBERS = itertools.count()


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def _request(client: LanguageClient, method: str, params: Any) -> Any:
    result = await asyncio.wait_for(client.protocol.send_request_async(method, params), TIMEOUT_S)
    response_type = types.METHOD_TO_TYPES[method][1]
    raw = CONVERTER.unstructure(result)
    CONVERTER.structure({"jsonrpc": "2.0", "id": 1, "result": raw}, response_type)  # valid for its type
    return raw


def _ranges_in(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if set(value) == {"start", "end"} and all(isinstance(value[k], dict) for k in value):
            yield value
        for item in value.values():
            yield from _ranges_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ranges_in(item)


def assert_ranges_inside(raw: Any, text: str) -> None:
    """Every range of a result lies in the document (lines split at ``\\n``: the loosest
    rule, so a lone ``\\r`` counted either way passes)."""
    lines = text.split("\n")
    for rng in _ranges_in(raw):
        for end in (rng["start"], rng["end"]):
            assert end["line"] < len(lines), (rng, len(lines))
            assert end["character"] <= len(lines[end["line"]].encode("utf-16-le")) // 2, rng


async def send(client: LanguageClient, uri: str, request: tuple[str, Any], text: str) -> None:
    kind, where = request
    doc = _doc(uri)
    if kind == "completion":
        raw = await _request(client, types.TEXT_DOCUMENT_COMPLETION, types.CompletionParams(text_document=doc, position=where))
    elif kind == "hover":
        raw = await _request(client, types.TEXT_DOCUMENT_HOVER, types.HoverParams(text_document=doc, position=where))
    elif kind == "inline":
        context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)
        raw = await _request(client, types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionParams(context=context, text_document=doc, position=where))
        return  # items carry the cursor's range, which the request may place anywhere
    elif kind == "codeAction":
        context = types.CodeActionContext(diagnostics=[])
        raw = await _request(client, types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionParams(text_document=doc, range=where, context=context))
        raw = [a for a in raw or [] if isinstance(a, dict)]
    else:
        options = types.FormattingOptions(tab_size=2, insert_spaces=True)
        raw = await _request(client, types.TEXT_DOCUMENT_FORMATTING, types.DocumentFormattingParams(text_document=doc, options=options))
    if kind != "hover":  # a hover's range may be the request's own (out-of-range) position
        assert_ranges_inside(raw, text)


async def text_derived(client: LanguageClient, uri: str) -> list[Any]:
    doc = _doc(uri)
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    return [
        await _request(client, types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, types.SemanticTokensParams(text_document=doc)),
        await _request(client, types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, types.DocumentSymbolParams(text_document=doc)),
        await _request(client, types.TEXT_DOCUMENT_FORMATTING, types.DocumentFormattingParams(text_document=doc, options=options)),
    ]


def _errors(client: LanguageClient) -> list[str]:
    return [m.message for m in client.log_messages if m.type == types.MessageType.Error]


async def run_example(client: LanguageClient, queries: Path, initial: str, ops: list[Any]) -> None:
    n, started = next(_DOC_NUMBERS), time.perf_counter()
    uri = open_document(client, queries / f"fuzz{n}.sql", initial)
    expected, version = initial, 1
    for op in ops:
        if isinstance(op, tuple):
            await send(client, uri, op, expected)
            continue
        version += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=version), [op]))
        expected = apply_change(expected, op)
    twin = open_document(client, queries / f"twin{n}.sql", expected)
    assert await text_derived(client, uri) == await text_derived(client, twin), "the server's text differs from the edits applied"
    for closing in (uri, twin):
        client.text_document_did_close(types.DidCloseTextDocumentParams(_doc(closing)))
    assert _errors(client) == []
    if FUZZ_LOG:
        with open(FUZZ_LOG, "a", encoding="utf-8") as log:
            log.write(f"{len(ops)} {len(expected)} {time.perf_counter() - started:.3f} {initial[:30]!r}\n")


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
async def test_fuzzed_sessions(lsp_client: LanguageClient, workspace: Path, initial: str, ops: list[Any]) -> None:
    await run_example(lsp_client, workspace / "queries", initial, ops)
    reports = (workspace / "queries" / "reports.sql").as_uri()  # still alive: answers another document
    open_document(lsp_client, workspace / "queries" / "reports.sql")
    hover = await lsp_client.text_document_hover_async(types.HoverParams(text_document=_doc(reports), position=types.Position(1, 15)))
    lsp_client.text_document_did_close(types.DidCloseTextDocumentParams(_doc(reports)))
    assert hover is not None
