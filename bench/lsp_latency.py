"""Latency of the real language server over stdio on a generated 1,000-table workspace.

``python bench/lsp_latency.py [--tables 1000] [--requests 500] [--edits 500] [--append bench/RESULTS.md]``

Generates the workspace with ``bench/gen_workspace.py`` (1,000 migration files, ~15
columns each, foreign keys, a 2,000-line ``queries/big.sql``), starts
``python -m querywright.cli.main lsp`` and drives it as an editor would: initialize, open
the query document, then ``--requests`` hovers on column names, ``--requests`` completions
after ``alias.`` (only when the server offers completion), and ``--edits`` one-statement
edits, each timed until the ``publishDiagnostics`` of the new version arrives (the server's
debounce included). Requests are sequential, so each figure is one round trip. Reports
p50/p95/p99 and the server's RSS, with the machine and the command, as a markdown
section; ``--append`` adds it to a results file. The client (this process) freezes its own
heap before measuring, so that its garbage collector's pauses are not counted as the
server's (an editor's client is not a Python process).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from gen_workspace import generate
from lsp_session import (
    LspSession,
    command,
    load_now,
    load_span,
    machine_line,
    nearest_rank,
    publish,
    rss_mb,
)
from lsprotocol import types
from querywright.server.lsp.features.diagnostics import DEBOUNCE_S

TIMEOUT_S = 60


def sites(text: str, marker: str, delta: int) -> list[types.Position]:
    """Positions ``delta`` characters after each occurrence of ``marker``."""
    out = []
    for line_no, line in enumerate(text.split("\n")):
        at = line.find(marker)
        if at >= 0:
            out.append(types.Position(line_no, at + delta))
    return out


async def timed(values: list[float], coro: Any) -> Any:
    start = time.perf_counter()
    result = await coro
    values.append((time.perf_counter() - start) * 1000)
    return result


async def run(root: Path, requests: int, edits: int) -> dict[str, Any]:
    session = LspSession()
    client = session.client
    await session.start()
    pid = session.pid
    loaded = session.until_status()
    t0 = time.perf_counter()
    result = await session.initialize(root)
    status = await asyncio.wait_for(loaded, TIMEOUT_S)
    ready_s = time.perf_counter() - t0
    has_completion = result.capabilities.completion_provider is not None

    path = root / "queries" / "big.sql"
    text = path.read_text()
    uri = path.as_uri()
    first = session.expect_diagnostics(uri, 1)
    t0 = time.perf_counter()
    session.open(uri, text)
    first_issues = await asyncio.wait_for(first, TIMEOUT_S)
    open_ms = (time.perf_counter() - t0) * 1000

    gc.collect()
    gc.freeze()  # the client's own collector pauses are not the server's latency
    doc = types.TextDocumentIdentifier(uri=uri)
    hover_sites = sites(text, "a.c2_name", 4)
    hover_ms: list[float] = []
    empty_hovers = 0
    for i in range(requests):
        found = await timed(hover_ms, client.text_document_hover_async(types.HoverParams(doc, hover_sites[i % len(hover_sites)])))
        empty_hovers += found is None

    completion_ms: list[float] = []
    if has_completion:
        completion_sites = sites(text, "a.c2_name", 2)
        for i in range(requests):
            params = types.CompletionParams(doc, completion_sites[i % len(completion_sites)])
            await timed(completion_ms, client.text_document_completion_async(params))

    edit_sites = sites(text, "a.c2_name", len("a.c2_name"))
    diagnostics_ms: list[float] = []
    typo: set[int] = set()
    for version in range(2, edits + 2):
        site = edit_sites[(version - 2) % len(edit_sites)]
        line = site.line
        if line in typo:  # remove the "x" typed before
            change = types.TextDocumentContentChangePartial(range=types.Range(site, types.Position(line, site.character + 1)), text="")
            typo.discard(line)
        else:
            change = types.TextDocumentContentChangePartial(range=types.Range(site, site), text="x")
            typo.add(line)
        published = session.expect_diagnostics(uri, version)
        start = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=version), [change]))
        await asyncio.wait_for(published, TIMEOUT_S)
        diagnostics_ms.append((time.perf_counter() - start) * 1000)

    rss, peak = rss_mb(pid)
    await session.close()
    return {
        "status": status,
        "ready_s": ready_s,
        "open_ms": open_ms,
        "first_issues": first_issues,
        "query_lines": text.count("\n"),
        "hover_ms": hover_ms,
        "empty_hovers": empty_hovers,
        "completion_ms": completion_ms,
        "diagnostics_ms": diagnostics_ms,
        "rss_mb": rss,
        "peak_mb": peak,
    }


def in_process_edit_ms(root: Path, edits: int) -> list[float]:
    """What the server computes per edit, without the transport and the debounce: split the
    edited document, then checks per statement through the cache (one statement misses)."""
    from querywright.server.config import load_config
    from querywright.server.sql.statement_cache import CheckCache
    from querywright.server.sql.text import TextIndex, split_statements
    from querywright.server.sql.workspace import load_catalog

    config, _ = load_config(root)
    catalog = load_catalog(root, config).catalog
    text = (root / "queries" / "big.sql").read_text()
    cache = CheckCache()
    offsets = [i + len("a.c2_name") for i in range(len(text)) if text.startswith("a.c2_name", i)]
    out = []
    for n in range(edits + 1):
        at = offsets[n % len(offsets)]
        edited = text[:at] + "x" + text[at:] if n % 2 else text
        start = time.perf_counter()
        index = TextIndex(edited)
        for statement in split_statements(edited, catalog.dialect):
            cache.statement_issues(statement, index, catalog, 1, "queries/big.sql")
        if n:  # the first run fills the cache
            out.append((time.perf_counter() - start) * 1000)
    return out


def row(name: str, target: str, values: list[float]) -> str:
    if not values:
        return f"| {name} | {target} | not offered by the server yet | | | |"
    return f"| {name} | {target} | {len(values)} | {nearest_rank(values, 50):.1f} ms | {nearest_rank(values, 95):.1f} ms | {nearest_rank(values, 99):.1f} ms |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--edits", type=int, default=500)
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        generate(root, args.tables)
        load_before = load_now()
        found = asyncio.run(run(root.resolve(), args.requests, args.edits))
        load_after = load_now()
        found["compute_ms"] = in_process_edit_ms(root.resolve(), args.edits)
    status = found["status"]
    tables = status["tables"] if isinstance(status, dict) else getattr(status, "tables", "?")
    lines = [
        f"## Language server latency over stdio ({tables} tables, {found['query_lines']}-line query document)",
        "",
        (
            f"{machine_line()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {load_span(load_before, load_after)} "
            "(other work on the machine inflates the figures). "
            f"Command: `{command('lsp_latency.py')}`. "
            "Sequential round trips from a pygls client to `querywright lsp`; diagnostics are timed from "
            f"`didChange` to the `publishDiagnostics` of that version ({DEBOUNCE_S * 1000:.0f} ms debounce included)."
        ),
        "",
        "| measure | target | n | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|",
        row("completion (after `alias.`)", "p95 ≤ 20 ms", found["completion_ms"]),
        row("hover (column)", "p95 ≤ 10 ms", found["hover_ms"]),
        row("diagnostics after a one-statement edit", "≤ 150 ms", found["diagnostics_ms"]),
        row("…of which analysis (in process: split + cached checks)", "—", found["compute_ms"]),
        "",
        f"- server RSS after the run: {found['rss_mb']:.0f} MB (peak {found['peak_mb']:.0f} MB; target ≤ 300 MB)",
        f"- initialize → first `querywright/status` (schema loaded): {found['ready_s']:.2f} s",
        f"- open → first diagnostics of the whole document: {found['open_ms']:.0f} ms ({found['first_issues']} issues)",
        f"- hovers that found nothing: {found['empty_hovers']}; mean hover {statistics.fmean(found['hover_ms']):.1f} ms",
        "",
    ]
    publish("\n".join(lines), args.append)


if __name__ == "__main__":
    main()
