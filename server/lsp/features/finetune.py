"""Command ``querywright.fineTune``: run ``querywright finetune`` and follow it with $/progress.

The trainer never runs inside the language server: the command starts
``python -m querywright.cli.main finetune --workspace ROOT --progress json --current MODEL``
(plus ``--trust-workspace`` when the editor trusts the workspace) as a subprocess and reads its JSON lines (docs in ``trainer/finetune.py``): each stage's
``begin`` event gives its share of the run, its ``progress`` events move the percentage, and
the final ``done`` event says whether the new model beats the current one. When it does, the
workspace switches to it (``setModel``); otherwise the current model stays and the message
says why. ``window/workDoneProgress/cancel`` terminates the subprocess (SIGTERM: it keeps
its checkpoints and cleans up the rest). One fine-tuning per server at a time.

``QUERYWRIGHT_FINETUNE_COMMAND`` (a JSON list) replaces the command's first words
(``python -m querywright.cli.main finetune``), for custom pipelines and tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ...config import TRUSTED_KEY
from ...errors import ModelError
from ..commands import CommandRequest, command

if TYPE_CHECKING:
    from ..server import QuerywrightServer

log = logging.getLogger(__name__)

COMMAND_ENV = "QUERYWRIGHT_FINETUNE_COMMAND"
TITLE = "Fine-tuning on this workspace"
_CLI = __package__.split(".")[0] + ".cli.main"  # the package's CLI module, run as a subprocess
_RUNNING: dict[int, asyncio.subprocess.Process] = {}


def base_command() -> list[str]:
    override = os.environ.get(COMMAND_ENV)
    if override:
        words = json.loads(override)
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ModelError(f"{COMMAND_ENV} must be a JSON list of strings")
        return words
    return [sys.executable, "-m", _CLI, "finetune"]


@dataclass
class Follower:
    """Turns the finetune's JSON lines into $/progress reports and remembers the outcome."""

    start: float = 0.0
    weight: float = 0.0
    percentage: int = 0
    done: dict[str, Any] | None = None
    error: str | None = None
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=20))

    def feed(self, line: str) -> tuple[int, str] | None:
        """(percentage, message) to report for one stdout line, or None."""
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            return None
        if not isinstance(event, dict):
            return None
        kind, stage = event.get("event"), str(event.get("stage", ""))
        if kind == "begin":
            self.start, self.weight = float(event.get("start", 0)), float(event.get("weight", 0))
            return self._at(self.start), f"{stage}…"
        if kind == "progress":
            step, total = event.get("step") or 0, event.get("total") or 0
            share = min(1.0, step / total) if total else 0.0
            detail = f"{stage}: {step}/{total}" if total else f"{stage}: {step}"
            if isinstance(event.get("loss"), (int, float)):
                detail += f", loss {event['loss']:.3f}"
            elif event.get("message"):
                detail += f", {event['message']}"
            return self._at(self.start + self.weight * share), detail
        if kind == "done" and stage == "finetune":
            self.done = event
            return self._at(100), str(event.get("message", "done"))
        if kind == "error":
            self.error = str(event.get("message", "failed"))
        return None

    def _at(self, value: float) -> int:
        self.percentage = max(self.percentage, min(100, int(value)))  # never goes backwards
        return self.percentage


class WorkDone:
    """$/progress for one token (client-given or server-created); ``cancelled`` is set when
    the client cancels."""

    def __init__(self, server: QuerywrightServer, token: types.ProgressToken | None) -> None:
        self.server = server
        self.token = token
        self.cancelled = asyncio.Event()

    async def begin(self) -> None:
        caps = self.server.client_capabilities.window
        if self.token is None and caps is not None and caps.work_done_progress:
            self.token = str(uuid.uuid4())
            await self.server.work_done_progress.create_async(self.token)
        if self.token is None:
            return
        self.server.work_done_progress.begin(self.token, types.WorkDoneProgressBegin(
            title=TITLE, cancellable=True, percentage=0, message="starting"))
        future = self.server.work_done_progress.tokens[self.token]
        loop = asyncio.get_running_loop()
        future.add_done_callback(lambda f: loop.call_soon_threadsafe(self.cancelled.set)
                                 if f.cancelled() else None)

    def report(self, percentage: int, message: str) -> None:
        if self.token is not None:
            self.server.work_done_progress.report(self.token, types.WorkDoneProgressReport(
                percentage=percentage, message=message[:200], cancellable=True))

    def end(self, message: str) -> None:
        if self.token is not None:
            self.server.work_done_progress.end(self.token,
                                               types.WorkDoneProgressEnd(message=message[:200]))
            self.server.work_done_progress.tokens.pop(self.token, None)


async def _read(stream: asyncio.StreamReader, on_line: Any) -> None:
    while line := await stream.readline():
        on_line(line.decode("utf-8", "replace").rstrip("\n"))


async def run_finetune(server: QuerywrightServer, argv: list[str], work: WorkDone,
                       follower: Follower) -> int | None:
    """Run ``argv`` to the end (exit code) or until cancelled (None, process terminated)."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL)
    _RUNNING[id(server)] = process

    def on_stdout(line: str) -> None:
        update = follower.feed(line)
        if update is not None:
            work.report(*update)

    assert process.stdout is not None and process.stderr is not None
    readers = asyncio.gather(_read(process.stdout, on_stdout),
                             _read(process.stderr, follower.stderr.append))
    cancel = asyncio.ensure_future(work.cancelled.wait())
    try:
        await asyncio.wait({readers, cancel}, return_when=asyncio.FIRST_COMPLETED)
        if cancel.done():
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except asyncio.TimeoutError:
                process.kill()
            await readers
            return None
        return await process.wait()
    finally:
        cancel.cancel()
        _RUNNING.pop(id(server), None)
        if process.returncode is None:
            process.kill()
            await process.wait()


@command("querywright.fineTune")
async def fine_tune(server: QuerywrightServer, request: CommandRequest) -> dict[str, Any]:
    """Arguments ``{"max_steps"?: int, "resume"?: bool}``; returns ``{"ok", "message",
    "model", "switched"}`` (see the module docstring)."""
    from .inline_completion import host_of

    if id(server) in _RUNNING:
        raise ModelError("a fine-tuning run is already in progress")
    root = server.session.root
    if root is None:
        raise ModelError("open a folder first: fine-tuning learns from the workspace's queries")
    host = host_of(server)
    current = host.model
    options = request.options()
    argv = [*base_command(), "--workspace", str(root), "--progress", "json", "--current", current]
    if isinstance(options.get("max_steps"), int):
        argv += ["--max-steps", str(options["max_steps"])]
    if options.get("resume") is True:
        argv.append("--resume")
    if server.session.editor_settings.get(TRUSTED_KEY) is True:  # the workspace file's database_url then counts
        argv.append("--trust-workspace")
    work, follower = WorkDone(server, request.work_done_token), Follower()
    await work.begin()
    code = await run_finetune(server, argv, work, follower)
    if code is None:
        message = ("fine-tuning cancelled; its checkpoints are kept: run it with "
                   '{"resume": true} to continue')
        work.end(message)
        return {"ok": False, "message": message, "model": None, "switched": False}
    if code != 0 or follower.done is None:
        tail = " ".join(follower.stderr)[-400:]
        message = f"fine-tuning failed: {follower.error or tail or f'exit code {code}'}"
        work.end(message)
        return {"ok": False, "message": message, "model": None, "switched": False}
    model, better = str(follower.done.get("model")), bool(follower.done.get("better"))
    if better:
        host.set_model(model)
        message = f"Now using {model}. {follower.done.get('message', '')}".strip()
    else:
        message = f"Kept {current}. {follower.done.get('message', '')}".strip()
    work.end(message)  # the client shows the result's message (docs/protocol.md)
    return {"ok": True, "message": message, "model": model, "switched": better}


def register(server: QuerywrightServer) -> None:
    """Nothing to do: the decorator above registered the command at import."""
