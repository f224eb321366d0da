"""A longer property-based fuzz campaign against the real language server over stdio.

``python bench/fuzz_bench.py [--examples 500] [--seed N] [--append bench/RESULTS.md]``

Same strategies, driver and properties as the CI test (``tests/support/fuzzing.py``: no
crash, every response valid for its request type and inside the document, the server's
text equal to the edits applied independently), on a copy of ``examples/shop``, inline
completion served by ``CannedOllama`` of ``tests/support/fake_ollama.py``. Unlike the CI test, a failing
example does not end the run: it is recorded (with its input, reproducible from the seed),
the server is restarted if it died, and the campaign goes on, so the report counts every
failure found. After each example the server must answer a hover on another document.
Exit status 1 when any example failed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from lsp_session import load_now, machine_line, publish, rss_mb
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.fake_ollama import CannedOllama
from tests.support.fuzzing import Fuzzer, init_options, operations, texts
from tests.support.lsp_client import STATUS, initialize

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "querywright.cli.main", "lsp"])
EXAMPLE_TIMEOUT_S = 180  # one example, huge texts included, on a loaded 2-core machine
ALIVE_AT = types.Position(1, 15)  # a column name in queries/reports.sql


@dataclass
class Campaign:
    """Counts of one run."""

    examples: int = 0
    operations: int = 0
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    restarts: int = 0


class Harness:
    """One server (restarted when it dies) and the fuzzer driving it."""

    def __init__(self, workspace: Path, ollama_url: str) -> None:
        self.workspace = workspace
        self.ollama_url = ollama_url
        self.client: LanguageClient | None = None
        self.fuzzer: Fuzzer | None = None
        self.rss_start = 0.0

    async def start(self) -> None:
        client = await SERVER.start()
        loaded = client.protocol.wait_for_notification_async(STATUS)
        await initialize(client, self.workspace, init_options(self.ollama_url))
        await asyncio.wait_for(loaded, 60)
        self.client, self.fuzzer = client, Fuzzer(client, self.workspace / "queries")
        self.rss_start = self.rss_start or rss_mb(self.pid)[0]

    @property
    def pid(self) -> int:
        assert self.client is not None and self.client._server is not None
        return self.client._server.pid

    def dead(self) -> bool:
        return self.client is None or self.client._server is None or self.client._server.returncode is not None

    async def example(self, initial: str, ops: list[Any]) -> None:
        assert self.fuzzer is not None
        await self.fuzzer.run_example(initial, ops)
        assert await self.fuzzer.still_alive(self.workspace / "queries" / "reports.sql", ALIVE_AT), "no hover on another document"

    async def stop(self) -> None:
        if self.client is None:
            return
        if not self.dead():
            await self.client.shutdown_session()
        await self.client.stop()


def run_campaign(examples: int, seed_value: int, workspace: Path, ollama_url: str) -> tuple[Campaign, float, float]:
    loop = asyncio.new_event_loop()
    harness = Harness(workspace, ollama_url)
    loop.run_until_complete(harness.start())
    found = Campaign()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # failures are recorded, not raised: nothing to shrink
        suppress_health_check=list(HealthCheck),
    )
    @seed(seed_value)
    @given(initial=texts, ops=operations)
    def one(initial: str, ops: list[Any]) -> None:
        started = time.perf_counter()
        found.examples += 1
        found.operations += len(ops)
        try:
            loop.run_until_complete(asyncio.wait_for(harness.example(initial, ops), EXAMPLE_TIMEOUT_S))
        except Exception as error:  # noqa: BLE001 - the campaign records any failure and goes on
            found.failures.append(f"{type(error).__name__}: {str(error)[:300]} — initial={initial[:80]!r}, ops={len(ops)}")
            print(f"FAILURE {len(found.failures)}: {found.failures[-1]}", file=sys.stderr)
            assert harness.client is not None
            harness.client.log_messages.clear()
            if harness.dead():
                found.restarts += 1
                loop.run_until_complete(harness.stop())
                loop.run_until_complete(harness.start())
        found.seconds.append(time.perf_counter() - started)
        if found.examples % 50 == 0:
            print(f"{found.examples} examples, {len(found.failures)} failures", file=sys.stderr)

    one()
    rss_end = rss_mb(harness.pid)[0]
    loop.run_until_complete(harness.stop())
    loop.close()
    return found, harness.rss_start, rss_end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random, printed)")
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()
    seed_value = args.seed if args.seed is not None else random.randrange(2**32)
    started = time.perf_counter()
    load_before = load_now()
    with tempfile.TemporaryDirectory() as tmp, CannedOllama() as canned:
        workspace = Path(tmp) / "shop"
        shutil.copytree(REPO / "examples" / "shop", workspace)
        found, rss_start, rss_end = run_campaign(args.examples, seed_value, workspace.resolve(), canned.url)
    wall = time.perf_counter() - started
    load_after = load_now()
    cmd = f"python bench/fuzz_bench.py --examples {args.examples} --seed {seed_value}" + (f" --append {args.append}" if args.append else "")
    seconds = found.seconds or [0.0]
    lines = [
        f"## Fuzzing the language server over stdio ({found.examples} examples)",
        "",
        (
            f"{machine_line(shared=True, load=(load_before, load_after))}; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Command: `{cmd}`. "
            "Strategies, driver and properties of `tests/support/fuzzing.py` (the CI test's), on a copy of `examples/shop`, "
            "inline completion from the canned Ollama-protocol server; one server for the campaign."
        ),
        "",
        "| measure | value |",
        "|---|---|",
        f"| examples run | {found.examples} |",
        f"| operations sent (changes and requests) | {found.operations} |",
        f"| failures found | {len(found.failures)} |",
        f"| server restarts (it died) | {found.restarts} |",
        f"| wall time | {wall:.0f} s |",
        f"| seconds per example, median / max | {statistics.median(seconds):.2f} / {max(seconds):.2f} |",
        f"| server RSS at start / end | {rss_start:.0f} MB / {rss_end:.0f} MB |",
        "",
    ]
    lines += [f"- failure: {failure}" for failure in found.failures[:10]]
    publish("\n".join(lines).rstrip() + "\n", args.append)
    sys.exit(1 if found.failures else 0)


if __name__ == "__main__":
    main()
