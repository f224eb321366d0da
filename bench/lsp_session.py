"""What the benches share: a language-server session over stdio, quantiles, and the report tail.

- :class:`LspSession` starts ``python -m querywright.cli.main lsp`` (``querywright lsp`` of
  this interpreter) as an editor would and answers what the server asks of a client
  (``workspace/configuration`` with the bench's settings, ``client/registerCapability``,
  ``window/workDoneProgress/create``); it records the ``querywright/status`` notifications
  and lets a bench await a status or the diagnostics of one document version;
  :func:`rss_mb` reads the server's memory.
- :func:`quantile` (interpolated), :func:`nearest_rank` and :func:`nearest_index`: the three
  quantile methods the benches report with (each bench keeps the one its figures were
  taken with, so that old and new figures compare).
- :func:`machine_line`, :func:`load_span`, :func:`command`, :func:`publish` and
  :func:`append_to`: the machine a result was measured on, the command that measured it,
  and printing the markdown report / appending it to a results file (``--append``).

Benches import it as ``from lsp_session import ...`` (``bench/`` is on ``sys.path`` when a
bench runs as ``python bench/<name>.py``).
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

TIMEOUT_S = 60.0

StatusTest = Callable[[list[Any]], bool]


def status_field(params: Any, key: str) -> Any:
    """One field of a ``querywright/status`` notification (a dict or an attribute object)."""
    return params.get(key) if isinstance(params, dict) else getattr(params, key, None)


class LspSession:
    """A pygls client driving ``querywright lsp`` over stdio.

    ``settings`` is what the client answers to each ``workspace/configuration`` item (the
    VS Code settings of the ``querywright`` section; ``None``: nothing set). Use as
    ``session = LspSession(); await session.start(); await session.initialize(root)``, then
    ``session.client`` for requests, and ``await session.close()`` at the end.
    """

    def __init__(self, settings: Any = None, name: str = "querywright-bench") -> None:
        self.client = LanguageClient(name, "1")
        self.statuses: list[Any] = []  # every querywright/status notification, in order
        self._status_waiters: list[tuple[StatusTest, asyncio.Future[Any]]] = []
        self._diagnostics: dict[tuple[str, int | None], asyncio.Future[int]] = {}
        self.published = 0  # publishDiagnostics notifications received
        client = self.client

        @client.feature("querywright/status")
        def status(params: Any) -> None:
            self.statuses.append(params)
            for waiter in list(self._status_waiters):
                test, future = waiter
                if not future.done() and test(self.statuses):
                    future.set_result(params)
                    self._status_waiters.remove(waiter)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published += 1
            future = self._diagnostics.pop((params.uri, params.version), None)
            if future is not None and not future.done():
                future.set_result(len(params.diagnostics))

        @client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list[Any]:
            return [settings for _ in params.items]

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register_capability(params: types.RegistrationParams) -> None:
            return None

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress_create(params: types.WorkDoneProgressCreateParams) -> None:
            return None

    async def start(self, env: Mapping[str, str] | None = None) -> None:
        """Start the server process (``env``: its whole environment; default: this one's)."""
        extra: dict[str, Any] = {} if env is None else {"env": dict(env)}
        await self.client.start_io(sys.executable, "-m", "querywright.cli.main", "lsp", **extra)

    @property
    def pid(self) -> int:
        """The server process's id."""
        server = self.client._server  # pygls keeps the process there
        assert server is not None, "start() first"
        return server.pid

    async def initialize(self, root: Path, options: Any = None, *, configuration: bool = False,
                         folder: str = "bench") -> types.InitializeResult:  # fmt: skip
        """``initialize`` (with ``options`` as initializationOptions; ``configuration``: the
        client announces ``workspace/configuration``) on the workspace ``root``, then
        ``initialized``."""
        capabilities = (
            types.ClientCapabilities(
                workspace=types.WorkspaceClientCapabilities(configuration=True)
            )
            if configuration
            else types.ClientCapabilities()
        )
        result = await self.client.initialize_async(types.InitializeParams(
            capabilities=capabilities, root_uri=root.as_uri(), initialization_options=options,
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=folder)]))  # fmt: skip
        self.client.initialized(types.InitializedParams())
        return result

    def open(self, uri: str, text: str, version: int = 1) -> None:
        """``textDocument/didOpen`` of a SQL document."""
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="sql", version=version, text=text)))  # fmt: skip

    def replace(self, uri: str, version: int, text: str) -> None:
        """``textDocument/didChange`` replacing the whole document."""
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text=text)]))  # fmt: skip

    def until_status(self, test: StatusTest = bool) -> asyncio.Future[Any]:
        """A future of the ``querywright/status`` notification after which ``test`` (over all
        the notifications so far, in order) holds; the default test holds once there is any.
        Already holding on what was received: resolved at once with the last one."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.statuses and test(self.statuses):
            future.set_result(self.statuses[-1])
        else:
            self._status_waiters.append((test, future))
        return future

    def expect_diagnostics(self, uri: str, version: int | None) -> asyncio.Future[int]:
        """A future of how many diagnostics the server publishes for ``version`` of ``uri``
        (call it before the change that makes that version)."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._diagnostics[(uri, version)] = future
        return future

    async def close(self) -> None:
        """``shutdown``, ``exit``, and wait for the process to end."""
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def rss_mb(pid: int) -> tuple[float, float]:
    """Current and peak resident set size of a process, in MB (Linux ``/proc``)."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = float(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def inline_items(result: Any) -> list[types.InlineCompletionItem]:
    """The items of an ``inlineCompletion`` answer (a list, a ``InlineCompletionList`` or null)."""
    return (
        list(result.items) if isinstance(result, types.InlineCompletionList) else list(result or [])
    )


def quantile(values: list[float], q: int) -> float:
    """The ``q``-th percentile (1..99), interpolated (``statistics.quantiles``, inclusive)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def nearest_rank(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by nearest rank: a measured value, never interpolated
    (NaN for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def nearest_index(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) as the value at the nearest index of the sorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine_line(
    *,
    shared: bool = False,
    load_at_end: bool = False,
    load: tuple[float, float] | None = None,
    system: bool = True,
) -> str:
    """``Machine: x86_64, 2 cores, Python 3.11.7, Linux`` (no closing punctuation).

    ``shared``: the cores are said to be shared with other jobs; after the cores, in
    parentheses, ``load_at_end``: the load average now, or ``load``: the load average before
    and after the run; ``system``: the operating system's name at the end."""
    cores = f"{os.cpu_count()} cores" + (" shared with other jobs" if shared else "")
    if load_at_end:
        cores += f" (load average {load_now():.1f} at the end)"
    elif load is not None:
        cores += f" ({load_span(*load)})"
    line = f"Machine: {platform.machine()}, {cores}, Python {platform.python_version()}"
    return line + (f", {platform.system()}" if system else "")


def load_now() -> float:
    """The one-minute load average."""
    return os.getloadavg()[0]


def load_span(before: float, after: float) -> str:
    """``load average 1.2 before, 1.4 after``."""
    return f"load average {before:.1f} before, {after:.1f} after"


def command(script: str, *, without_append: bool = False) -> str:
    """``python bench/<script> <the arguments of this run>``; ``without_append`` leaves out
    ``--append`` and the file after it (``--append=FILE`` too)."""
    args = sys.argv[1:]
    if without_append:
        kept: list[str] = []
        skip = False
        for a in args:
            if skip and not a.startswith("-"):
                skip = False
                continue
            skip = a == "--append"
            if not a.startswith("--append"):
                kept.append(a)
        args = kept
    return " ".join([f"python bench/{script}", *args])


def append_to(path: Path, text: str) -> None:
    """Add ``text`` at the end of the results file ``path``."""
    with path.open("a", encoding="utf-8") as out:
        out.write(text)


def publish(report: str, append: Path | None, *, separator: str = "\n") -> None:
    """Print ``report``; with ``append`` (a bench's ``--append FILE``) add ``separator`` and
    the report to that file too."""
    print(report)
    if append is not None:
        append_to(append, separator + report)
