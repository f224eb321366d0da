"""Property-based fuzzing of the real ``querywright lsp`` over stdio: strategies and driver.

Shared by the bounded CI campaign (``tests/lsp/test_fuzz.py``) and the longer one
(``bench/fuzz_bench.py``). One example opens a fresh document and sends a random
sequence of ``didChange`` (incremental, with random and out-of-range positions, and full)
and requests (completion, hover, codeAction, inlineCompletion, formatting) with random SQL
fragments, random unicode, bytes decoded as Latin-1, huge and deeply nested texts.
Properties checked by :func:`run_example`:

1. **No crash**: every request is answered and no handler failure is logged
   (``window/logMessage`` of type Error: the handler boundary would otherwise hide a crash
   behind an empty answer).
2. **Valid responses**: every result re-structures (lsprotocol's cattrs converter) as the
   response type of its method, and every range in it lies inside the document.
3. **Same text**: the edits are applied independently here (:func:`apply_change`: the LSP
   specification's rules — ``\\n``, ``\\r\\n`` and ``\\r`` end lines, characters count UTF-16
   units, a character past the line's end means the end of the line, a line past the end
   means the end of the document). The server has no request that returns its text, so the
   check is differential: a second document is opened with the expected text, and the
   server's text-derived answers for both — semantic tokens (every token's position and
   length), document symbols (statement spans) and full-document formatting (the
   formatted statements' text) — must be equal. Edits are built mostly from SQL tokens so
   that divergences do show.

The client is a pytest-lsp ``LanguageClient`` (it records ``window/logMessage``);
:func:`init_options` points inline completion at a ``CannedOllama`` so the model costs
nothing.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from lsprotocol import types
from lsprotocol.converters import get_converter
from pytest_lsp import LanguageClient

CONVERTER = get_converter()
MAX_U = 2**31 - 1  # LSP uinteger
TIMEOUT_S = 30  # a safety net for a hung server, not a wait
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


def init_options(ollama_url: str) -> dict[str, Any]:
    """Initialization options of a fuzzed server: inline completion from ``ollama_url``
    (a ``CannedOllama``), no debounce."""
    return {
        "dialect": "postgres",
        "model": "ollama:canned",
        "ollama_host": ollama_url,
        "inline": {"debounce_ms": 0, "timeout_ms": 1000},
    }


# -- the driver ----------------------------------------------------------------------------
def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def did_open(client: LanguageClient, uri: str, text: str) -> None:
    item = types.TextDocumentItem(uri=uri, language_id="sql", version=1, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))


def did_close(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(_doc(uri)))


async def request(client: LanguageClient, method: str, params: Any) -> Any:
    """Send one request; its result, unstructured, after checking it re-structures as
    the response type of ``method``."""
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


async def send(client: LanguageClient, uri: str, op: tuple[str, Any], text: str) -> None:
    """One fuzzed request on ``uri`` (whose text is ``text``), its response checked."""
    kind, where = op
    doc = _doc(uri)
    if kind == "completion":
        raw = await request(client, types.TEXT_DOCUMENT_COMPLETION, types.CompletionParams(text_document=doc, position=where))
    elif kind == "hover":
        raw = await request(client, types.TEXT_DOCUMENT_HOVER, types.HoverParams(text_document=doc, position=where))
    elif kind == "inline":
        context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)
        raw = await request(client, types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionParams(context=context, text_document=doc, position=where))
        return  # items carry the cursor's range, which the request may place anywhere
    elif kind == "codeAction":
        context = types.CodeActionContext(diagnostics=[])
        raw = await request(client, types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionParams(text_document=doc, range=where, context=context))
        raw = [a for a in raw or [] if isinstance(a, dict)]
    else:
        options = types.FormattingOptions(tab_size=2, insert_spaces=True)
        raw = await request(client, types.TEXT_DOCUMENT_FORMATTING, types.DocumentFormattingParams(text_document=doc, options=options))
    if kind != "hover":  # a hover's range may be the request's own (out-of-range) position
        assert_ranges_inside(raw, text)


async def text_derived(client: LanguageClient, uri: str) -> list[Any]:
    """The server's answers that depend on nothing but the document's text."""
    doc = _doc(uri)
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    return [
        await request(client, types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, types.SemanticTokensParams(text_document=doc)),
        await request(client, types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, types.DocumentSymbolParams(text_document=doc)),
        await request(client, types.TEXT_DOCUMENT_FORMATTING, types.DocumentFormattingParams(text_document=doc, options=options)),
    ]


def errors(client: LanguageClient) -> list[str]:
    """Handler failures the server logged (``window/logMessage`` of type Error)."""
    return [m.message for m in client.log_messages if m.type == types.MessageType.Error]


@dataclass(frozen=True)
class ExampleRun:
    """What one example sent: operations, final text length, seconds."""

    operations: int
    text_chars: int
    seconds: float


class Fuzzer:
    """Runs examples against one connected client; documents are named ``fuzzN.sql`` /
    ``twinN.sql`` under ``folder`` (they need not exist on disk)."""

    def __init__(self, client: LanguageClient, folder: Path) -> None:
        self.client = client
        self.folder = folder
        self.examples = 0

    async def run_example(self, initial: str, ops: list[Any]) -> ExampleRun:
        """Open ``initial``, apply ``ops``, check the three properties; raises
        ``AssertionError`` (or the transport's error) when one fails."""
        client, n, started = self.client, self.examples, time.perf_counter()
        self.examples += 1
        uri = (self.folder / f"fuzz{n}.sql").as_uri()
        did_open(client, uri, initial)
        expected, version = initial, 1
        for op in ops:
            if isinstance(op, tuple):
                await send(client, uri, op, expected)
                continue
            version += 1
            client.text_document_did_change(types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=version), [op]))
            expected = apply_change(expected, op)
        twin = (self.folder / f"twin{n}.sql").as_uri()
        did_open(client, twin, expected)
        assert await text_derived(client, uri) == await text_derived(client, twin), "the server's text differs from the edits applied"
        for closing in (uri, twin):
            did_close(client, closing)
        assert errors(client) == []
        return ExampleRun(len(ops), len(expected), time.perf_counter() - started)

    async def still_alive(self, document: Path, position: types.Position) -> bool:
        """The server answers a hover on another (real) document."""
        uri = document.as_uri()
        did_open(self.client, uri, document.read_text())
        hover = await self.client.text_document_hover_async(types.HoverParams(text_document=_doc(uri), position=position))
        did_close(self.client, uri)
        return hover is not None
