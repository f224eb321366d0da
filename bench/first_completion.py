"""Time from LSP ``initialize`` to the first correct completion, on a 1,000-migration workspace.

``python bench/first_completion.py [--tables 1000] [--repeat 3] [--append bench/RESULTS.md]``

Generates the workspace with ``bench/gen_workspace.py``, starts ``python -m
querywright.cli.main lsp`` over stdio and, like an editor opening a file at once, sends
``initialize``, ``initialized``, opens a query document and asks for completion after
``a.`` in ``SELECT a. FROM t500 a`` straight away, again and again (as an editor does on
``isIncomplete``, or when the answer is empty) until the list holds ``c2_name``, a column
of ``t500``. Reports, per fresh server, the time from sending ``initialize`` to that
correct list (target ≤ 1.5 s), how many requests it took and whether the first answer was
already correct. Prints a markdown section with the machine and the command; ``--append``
adds it to a results file.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gen_workspace import generate
from lsp_session import LspSession, command, machine_line, publish

TIMEOUT_S = 60.0
QUERY = "SELECT a. FROM t500 a;\n"
EXPECTED = "c2_name"


def labels(result: Any) -> tuple[list[str], bool]:
    if result is None:
        return [], False
    if isinstance(result, list):
        return [item.label for item in result], False
    return [item.label for item in result.items], bool(result.is_incomplete)


async def once(root: Path) -> dict[str, Any]:
    session = LspSession()
    client = session.client
    await session.start()
    path = root / "queries" / "first.sql"
    path.write_text(QUERY)
    uri = path.as_uri()
    t0 = time.perf_counter()
    await session.initialize(root)
    session.open(uri, QUERY)
    params = types.CompletionParams(
        types.TextDocumentIdentifier(uri=uri), types.Position(0, len("SELECT a."))
    )
    requests = 0
    first_correct = None
    first_incomplete = None
    while True:
        result = await asyncio.wait_for(client.text_document_completion_async(params), TIMEOUT_S)
        requests += 1
        names, incomplete = labels(result)
        correct = EXPECTED in names
        if first_correct is None:
            first_correct, first_incomplete = correct, incomplete
        if correct:
            break
        if time.perf_counter() - t0 > TIMEOUT_S:
            raise TimeoutError("no correct completion within the time limit")
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - t0
    await session.close()
    return {
        "s": elapsed,
        "requests": requests,
        "first_correct": first_correct,
        "first_incomplete": first_incomplete,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        generate(root, args.tables)
        runs = [asyncio.run(once(root)) for _ in range(args.repeat)]
    med = statistics.median(r["s"] for r in runs)
    worst = max(r["s"] for r in runs)
    lines = [
        f"## Time to the first correct completion ({args.tables:,} migrations)",
        "",
        (
            f"{machine_line()}. "
            f"Command: `{command('first_completion.py')}`; {args.repeat} fresh servers over stdio, median (worst)."
        ),
        "",
        "| measure | target | median | worst |",
        "|---|---|---|---|",
        f"| `initialize` → first completion holding the right column | ≤ 1.5 s | {med:.2f} s | {worst:.2f} s |",
        f"| completion requests needed | 1 | {statistics.median(r['requests'] for r in runs):.0f} | {max(r['requests'] for r in runs)} |",
        f"| first answer already correct | yes | {sum(bool(r['first_correct']) for r in runs)}/{len(runs)} | |",
        f"| first wrong answer marked `isIncomplete` | yes | {sum(bool(r['first_incomplete']) for r in runs if not r['first_correct'])}/{sum(not r['first_correct'] for r in runs)} | |",
        "",
    ]
    publish("\n".join(lines), args.append)


if __name__ == "__main__":
    main()
