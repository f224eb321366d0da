"""Load on the real language server over stdio: many open documents, steady typing, streaming inline suggestions.

``python bench/load_bench.py [--documents 50] [--rate 10] [--seconds 60] [--append bench/RESULTS.md]``

Builds a workspace from the Sakila DDL (``tests/sql/fixtures/corpus/sakila-postgres.sql``)
and ``--documents`` query files of real queries over it (the gold queries of
``sakila.jsonl``, eight per file, each under its question as a comment), starts
``python -m querywright.cli.main lsp`` and

1. **opens** every document and waits for its first diagnostics;
2. **types** for ``--seconds`` at ``--rate`` incremental ``didChange``/s: in one document
   at a time, a new statement at its end (a ``-- edit N`` comment, then a gold query
   character by character), the typed block deleted when done, then the next document
   (every statement text the server sees is new: caches keyed by text grow as they would
   in a day of editing). After each keystroke a ``completion`` and an
   ``inlineCompletion`` request go out at the cursor without waiting for earlier answers
   (the product's debounce and stale-version dropping apply). The model is
   ``CannedOllama`` of ``tests/support/fake_ollama.py`` (an Ollama-protocol server streaming canned text,
   ``ok`` mode), so the figures are the server's, not a model's.

The server's ``VmRSS`` (``/proc/<pid>/status``) is sampled every second from start to end.
Reports completion and inline latency p50/p95/p99 (request to response) and RSS at the end
of the opening phase, at the end, its peak during the load and the growth from the end of
the opening phase (target ≤ 10 %), with the machine and the command; ``--append`` adds
the section to a results file. The client freezes its own heap before the load so its
collector's pauses are not counted as the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsp_session import LspSession, command, load_now, machine_line, nearest_rank, publish, rss_mb
from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.fake_ollama import CannedOllama

CORPUS = REPO / "tests" / "sql" / "fixtures" / "corpus"
TIMEOUT_S = 60
PER_DOCUMENT = 8
CONFIG = 'dialect = "postgres"\nschema_paths = ["schema/*.sql"]\nquery_paths = ["queries/*.sql"]\n'


def gold_queries() -> list[tuple[str, str]]:
    """(question, gold SQL) of the Sakila corpus."""
    records = [json.loads(line) for line in (CORPUS / "sakila.jsonl").read_text().splitlines() if line.strip()]
    return [(r["question"], r["gold"]) for r in records]


def build_workspace(root: Path, documents: int) -> list[Path]:
    """The Sakila schema and ``documents`` query files; their paths."""
    (root / "schema").mkdir(parents=True)
    (root / "queries").mkdir()
    shutil.copy(CORPUS / "sakila-postgres.sql", root / "schema" / "sakila-postgres.sql")
    (root / "querywright.toml").write_text(CONFIG)
    queries = gold_queries()
    paths = []
    for n in range(documents):
        chosen = [queries[(n * 3 + k) % len(queries)] for k in range(PER_DOCUMENT)]
        text = "".join(f"-- {question}\n{sql};\n\n" for question, sql in chosen)
        path = root / "queries" / f"report_{n:02d}.sql"
        path.write_text(text)
        paths.append(path)
    return paths


@dataclass
class Document:
    uri: str
    text: str
    version: int = 1

    def end(self) -> types.Position:
        lines = self.text.split("\n")
        return types.Position(len(lines) - 1, len(lines[-1]))  # ASCII: characters = UTF-16 units

    def position_of(self, offset: int) -> types.Position:
        line = self.text.count("\n", 0, offset)
        return types.Position(line, offset - (self.text.rfind("\n", 0, offset) + 1))


@dataclass
class Measures:
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)
    completion_ms: list[float] = field(default_factory=list)
    inline_ms: list[float] = field(default_factory=list)
    inline_shown: int = 0
    completion_items: int = 0
    errors: list[str] = field(default_factory=list)
    edits: int = 0
    open_s: float = 0.0
    ready_s: float = 0.0
    load_started: float = 0.0
    load_ended: float = 0.0
    load_from_s: float = 0.0  # the load phase, in seconds since the server started
    load_to_s: float = 0.0
    rss_open: float = 0.0
    rss_end: float = 0.0
    diagnostics: int = 0


async def sample_rss(pid: int, started: float, into: list[tuple[float, float]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        into.append((time.perf_counter() - started, rss_mb(pid)[0]))
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def timed_request(coro: Any, into: list[float], m: Measures) -> Any:
    start = time.perf_counter()
    try:
        result = await asyncio.wait_for(coro, TIMEOUT_S)
    except Exception as error:  # noqa: BLE001 - a failed request is a finding of the bench, not its end
        m.errors.append(f"{type(error).__name__}: {str(error)[:200]}")
        return None
    into.append((time.perf_counter() - start) * 1000)
    return result


async def completion(client: LanguageClient, doc: Document, at: types.Position, m: Measures) -> None:
    params = types.CompletionParams(types.TextDocumentIdentifier(doc.uri), at)
    result = await timed_request(client.text_document_completion_async(params), m.completion_ms, m)
    items = result.items if isinstance(result, types.CompletionList) else result or []
    m.completion_items += len(items)


async def inline(client: LanguageClient, doc: Document, at: types.Position, m: Measures) -> None:
    context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)
    params = types.InlineCompletionParams(context=context, text_document=types.TextDocumentIdentifier(doc.uri), position=at)
    result = await timed_request(client.text_document_inline_completion_async(params), m.inline_ms, m)
    items = result.items if isinstance(result, types.InlineCompletionList) else result or []
    m.inline_shown += bool(items)


def change(client: LanguageClient, doc: Document, start: int, end: int, text: str) -> None:
    rng = types.Range(doc.position_of(start), doc.position_of(end))
    doc.version += 1
    doc.text = doc.text[:start] + text + doc.text[end:]
    params = types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
        [types.TextDocumentContentChangePartial(range=rng, text=text)],
    )
    client.text_document_did_change(params)


def keystrokes(queries: list[tuple[str, str]], rng: random.Random) -> Any:
    """Endless typing plan: ("start", comment) opens a block, ("type", ch) one character,
    ("end", None) deletes the block; each block is one gold query."""
    n = 0
    while True:
        n += 1
        _question, sql = rng.choice(queries)
        yield "start", f"\n-- edit {n}\n"
        for ch in sql + ";":
            yield "type", ch
        yield "end", None


async def run(root: Path, paths: list[Path], rate: float, seconds: float, options: dict[str, Any], seed: int) -> Measures:
    m = Measures()
    session = LspSession(options, name="querywright-load")
    client = session.client
    started = time.perf_counter()
    await session.start()
    pid = session.pid
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, started, m.rss, stop))
    loaded = session.until_status()
    await session.initialize(root, options, configuration=True, folder="load")
    await asyncio.wait_for(loaded, TIMEOUT_S)
    m.ready_s = time.perf_counter() - started

    docs = [Document(p.as_uri(), p.read_text()) for p in paths]
    t0 = time.perf_counter()
    first_diagnostics = []
    for doc in docs:
        first_diagnostics.append(session.expect_diagnostics(doc.uri, 1))
        session.open(doc.uri, doc.text)
    await asyncio.wait_for(asyncio.gather(*first_diagnostics), TIMEOUT_S)
    m.open_s = time.perf_counter() - t0

    gc.collect()
    gc.freeze()
    rng = random.Random(seed)
    order = list(range(len(docs)))
    rng.shuffle(order)
    plan = keystrokes(gold_queries(), rng)
    pending: set[asyncio.Task[None]] = set()
    current, block_start, rounds = docs[order[0]], 0, 0
    m.load_started = time.perf_counter()
    m.load_from_s, m.rss_open = m.load_started - started, rss_mb(pid)[0]  # the end of the opening phase
    m.rss.append((m.load_from_s, m.rss_open))
    total = int(rate * seconds)
    for i in range(total):
        delay = m.load_started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        step, text = next(plan)
        if step == "start":
            block_start = len(current.text)
            change(client, current, block_start, block_start, text)
        elif step == "type":
            change(client, current, len(current.text), len(current.text), text)
        else:
            change(client, current, block_start, len(current.text), "")
            rounds += 1
            current = docs[order[rounds % len(order)]]
            continue
        m.edits += 1
        at = current.end()
        for coro in (completion(client, current, at, m), inline(client, current, at, m)):
            task = asyncio.create_task(coro)
            pending.add(task)
            task.add_done_callback(pending.discard)
    if pending:
        await asyncio.gather(*pending)
    m.load_ended = time.perf_counter()
    m.load_to_s, m.rss_end = m.load_ended - started, rss_mb(pid)[0]
    m.rss.append((m.load_to_s, m.rss_end))
    m.diagnostics = session.published
    stop.set()
    await sampler
    await session.close()
    return m


def report(m: Measures, args: argparse.Namespace, load: tuple[float, float]) -> str:
    at_open, end = m.rss_open, m.rss_end
    peak = max([mb for t, mb in m.rss if m.load_from_s <= t <= m.load_to_s] + [at_open, end])
    growth = (end - at_open) / at_open * 100 if at_open else float("nan")
    ordered = sorted(m.rss)
    series = ", ".join(f"{t:.0f} s: {mb:.0f}" for t, mb in ordered[:: max(1, len(ordered) // 12)])
    lasted = m.load_ended - m.load_started
    lines = [
        f"## Load: {args.documents} open documents, {args.rate:g} edits/s for {args.seconds:g} s, completion and inline requests streaming",
        "",
        (
            f"{machine_line(shared=True, load=load)}; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Command: `{command('load_bench.py')}`. "
            "Schema: Sakila (`tests/sql/fixtures/corpus/sakila-postgres.sql`); documents: the Sakila gold queries, "
            f"{PER_DOCUMENT} per file. Model: `CannedOllama` of `tests/support/fake_ollama.py` in `ok` mode (an Ollama-protocol server "
            "streaming canned text at once), product inline settings. Each keystroke is an incremental `didChange` followed "
            "by a `completion` and an `inlineCompletion` request at the cursor, not waiting for earlier answers."
        ),
        "",
        "| measure | target | n | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|",
        f"| completion, request → response | p95 ≤ 20 ms | {len(m.completion_ms)} | {nearest_rank(m.completion_ms, 50):.1f} ms | {nearest_rank(m.completion_ms, 95):.1f} ms | {nearest_rank(m.completion_ms, 99):.1f} ms |",
        f"| inline completion, request → response (debounce included) | — | {len(m.inline_ms)} | {nearest_rank(m.inline_ms, 50):.1f} ms | {nearest_rank(m.inline_ms, 95):.1f} ms | {nearest_rank(m.inline_ms, 99):.1f} ms |",
        "",
        "| server RSS | value |",
        "|---|---|",
        f"| end of the opening phase (all documents open, diagnosed) | {at_open:.0f} MB |",
        f"| end of the load | {end:.0f} MB |",
        f"| peak during the load | {peak:.0f} MB |",
        f"| growth from the end of the opening phase (target ≤ 10 %) | {growth:+.1f} % |",
        "",
        f"- edits sent: {m.edits} keystrokes (+ block deletions) in {lasted:.1f} s; publishDiagnostics received: {m.diagnostics}",
        f"- completion items returned: {m.completion_items}; inline requests that showed a suggestion: {m.inline_shown} of {len(m.inline_ms)}",
        f"- failed requests: {len(m.errors)}" + (f" (first: {m.errors[0]})" if m.errors else ""),
        f"- initialize → schema loaded: {m.ready_s:.2f} s; open → first diagnostics of all documents: {m.open_s:.2f} s",
        f"- RSS over time (s since start: MB): {series}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0, help="edits per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()
    load_before = load_now()
    with tempfile.TemporaryDirectory() as tmp, CannedOllama() as canned:
        root = (Path(tmp) / "ws").resolve()
        paths = build_workspace(root, args.documents)
        options = {"dialect": "postgres", "model": "ollama:canned", "ollama_host": canned.url}
        m = asyncio.run(run(root, paths, args.rate, args.seconds, options, args.seed))
    publish(report(m, args, (load_before, load_now())), args.append)


if __name__ == "__main__":
    main()
