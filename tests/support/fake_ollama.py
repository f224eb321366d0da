"""Stand-in Ollama servers for tests: one answering from the real SmolLM2 model, one from
canned text.

No Ollama server binary can be installed on the machines these tests run on (it is in no
reachable package registry). So this module serves Ollama's documented HTTP API on
127.0.0.1 (a random port, in a thread). The client side under test is the real one: the
``ollama`` Python client speaking real HTTP. Only the server is a stand-in.

:class:`FakeOllama` answers generation requests from a real GGUF model through
querywright's embedded llama.cpp engine. Endpoints: ``/api/generate`` and ``/api/chat``
(streamed NDJSON or a single JSON object), ``/api/tags``, ``/api/show``, ``/api/create``,
``HEAD``/``POST /api/blobs/sha256:...``, ``/api/version``, and ``/api/pull``, which answers
that the registry is not reachable. Faults on demand (:meth:`FakeOllama.inject`):
``"http500"`` (an error status), ``"cut"`` (a stream that stops mid-way, connection
dropped), ``"slow"`` (waits before answering).

:class:`CannedOllama` costs nothing (the fuzz, fault and load runs measure the language
server, not the model): it speaks the subset ``/api/version``, ``/api/tags``, ``/api/show``,
``/api/generate``, ``/api/chat`` and streams ``reply`` split into small pieces. Its ``mode``
(settable while running) makes it sick:

- ``"ok"``: streamed NDJSON, ``piece_delay_s`` between pieces;
- ``"slow"``: waits ``slow_s`` before answering generation requests (a stop ends the wait);
- ``"cut"``: starts the stream, sends one piece, drops the connection;
- ``"garbage"``: a 200 whose body is not JSON;
- ``"non_utf8"``: a 200 whose NDJSON lines are not UTF-8;
- ``"http500"``: an Ollama-style error object with status 500.

A backend that is *down* is ``stop()``-ped (the port closes; ``start()`` reopens it).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from querywright.server.ai.embedded import Engine, EngineKey, default_threads, shared_engine

from .fake_ollama_api import CHATML_TEMPLATE, FIM_TEMPLATE, route

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["CHATML_TEMPLATE", "FIM_TEMPLATE", "CannedOllama", "FakeModel", "FakeOllama", "Mode"]

Fault = Literal["http500", "cut", "slow"]
Mode = Literal["ok", "slow", "cut", "garbage", "non_utf8", "http500"]
CANNED_MODEL = "canned:latest"
CANNED_REPLY = " id, email FROM users"


@dataclass
class FakeModel:
    name: str  # with tag, e.g. "smollm2:latest"
    gguf: Path
    template: str = CHATML_TEMPLATE
    adapter: Path | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.name}:{self.gguf}".encode()).hexdigest()


@dataclass
class _Injected:
    fault: Fault
    path: str
    delay_s: float


def _tagged(name: str) -> str:
    return name if ":" in name else f"{name}:latest"


class _StandIn:
    """What both servers share: the HTTP server on 127.0.0.1 in a thread, its lifecycle
    (``with`` or ``start()``/``stop()``) and an interruptible wait."""

    handler: ClassVar[type[_Plumbing]]

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> Self:
        handler = type("Handler", (self.handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        self._closing.clear()
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering (the port closes); ``start()`` again reopens the same port."""
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def wait(self, seconds: float) -> None:
        """Sleep that ends early when the server stops."""
        self._closing.wait(seconds)


class _Plumbing(BaseHTTPRequestHandler):
    """The HTTP plumbing of both servers' handlers: JSON answers and chunked NDJSON."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read what the servers record instead."""

    def _send(self, status: int, data: bytes, content_type: str = "application/json; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode())

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _raw_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _chunk(self, payload: dict[str, Any]) -> None:
        self._raw_chunk((json.dumps(payload) + "\n").encode())

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        """Drop the connection without finishing the chunked body."""
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True


class _Handler(_Plumbing):
    fake: FakeOllama

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        raw = self._body() if method == "POST" else b""
        body: dict[str, Any] = {}
        if raw and not path.startswith("/api/blobs/"):
            try:
                body = json.loads(raw)
            except ValueError:
                return self._error(400, "invalid JSON body")
        self.fake.requests.append((method, path, body))
        fault = self.fake.take_fault(path)
        if fault is not None and fault.fault == "http500":
            return self._error(500, "llama runner process has terminated: signal: killed")
        if fault is not None and fault.fault == "slow":
            self.fake.wait(fault.delay_s)
        cut = fault is not None and fault.fault == "cut"
        route(self, method, path, body, raw, cut)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


class FakeOllama(_StandIn):
    """Start with ``with FakeOllama() as server:``; ``server.url`` is its address."""

    handler = _Handler

    def __init__(self, port: int = 0, n_ctx: int = 2048, n_threads: int | None = 1) -> None:
        super().__init__(port)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.models: dict[str, FakeModel] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, body)
        self._faults: deque[_Injected] = deque()
        self._blobs = Path(tempfile.mkdtemp(prefix="fake-ollama-blobs-"))

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._blobs, ignore_errors=True)

    # -- configuration -----------------------------------------------------------------
    def add_model(self, name: str, gguf: Path, template: str = CHATML_TEMPLATE) -> FakeModel:
        model = FakeModel(_tagged(name), Path(gguf), template)
        self.models[model.name] = model
        return model

    def inject(self, fault: Fault, path: str = "/api/generate", *, times: int = 1,
               delay_s: float = 5.0) -> None:  # fmt: skip
        """Make the next ``times`` requests to ``path`` fail with ``fault``."""
        with self._lock:
            self._faults.extend(_Injected(fault, path, delay_s) for _ in range(times))

    def take_fault(self, path: str) -> _Injected | None:
        with self._lock:
            for item in self._faults:
                if item.path == path:
                    self._faults.remove(item)
                    return item
        return None

    def engine(self, model: FakeModel) -> Engine:
        key = EngineKey(model.gguf.resolve(), model.adapter, self.n_ctx,
                        self.n_threads or default_threads())  # fmt: skip
        return shared_engine(key)

    def find(self, name: str) -> FakeModel | None:
        return self.models.get(_tagged(name))

    def blob_path(self, digest: str) -> Path:
        return self._blobs / digest.replace(":", "-")


class _CannedHandler(_Plumbing):
    fake: CannedOllama

    def do_GET(self) -> None:
        if self.path.startswith("/api/version"):
            return self._json(200, {"version": "0.12.6"})
        if self.path.startswith(("/api/tags", "/api/ps")):
            model = {"name": CANNED_MODEL, "model": CANNED_MODEL, "size": 1, "digest": "0" * 64, "details": {}}
            return self._json(200, {"models": [model]})
        return self._error(404, "not found")

    def do_HEAD(self) -> None:
        self._send(200, b"")

    def do_POST(self) -> None:
        try:
            body = json.loads(self._body() or b"{}")
        except ValueError:
            return self._error(400, "invalid JSON body")
        if self.path.startswith("/api/show"):
            return self._json(200, {"template": "{{ .Prompt }}", "capabilities": ["completion"], "details": {}, "model_info": {}})
        if self.path.startswith(("/api/generate", "/api/chat")):
            return self._generate(body, chat=self.path.startswith("/api/chat"))
        return self._error(404, f"POST {self.path} not found")

    def _shape(self, piece: str, done: bool, chat: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"model": CANNED_MODEL, "created_at": "2026-01-01T00:00:00Z", "done": done}
        if chat:
            out["message"] = {"role": "assistant", "content": piece}
        else:
            out["response"] = piece
        if done:
            out.update(done_reason="stop", total_duration=1, eval_count=len(self.fake.pieces()))
        return out

    def _generate(self, body: dict[str, Any], chat: bool) -> None:
        canned = self.fake
        canned.count_generation()
        if not body.get("prompt") and not body.get("suffix") and not chat:  # a warm-up: load and answer
            return self._json(200, {**self._shape("", True, chat), "done_reason": "load"})
        mode = canned.mode
        if mode == "http500":
            return self._error(500, "llama runner process has terminated: signal: killed")
        if mode == "garbage":
            return self._send(200, b"<html>502 Bad Gateway</html>\n{not json", "application/x-ndjson")
        if mode == "slow":
            canned.wait(canned.slow_s)
        if not bool(body.get("stream", True)):
            return self._json(200, self._shape(canned.reply, True, chat))
        self._start_stream()
        try:
            for n, piece in enumerate(canned.pieces()):
                if mode == "non_utf8":
                    self._raw_chunk(b'{"response": "\xff\xfe\xc3(", "done": false}\n')
                    continue
                self._chunk(self._shape(piece, False, chat))
                if mode == "cut" and n == 0:
                    return self._cut()
                if canned.piece_delay_s:
                    canned.wait(canned.piece_delay_s)
            self._chunk(self._shape("", True, chat))
            self._end_stream()
        except OSError:  # the client went away
            self.close_connection = True


class CannedOllama(_StandIn):
    """``with CannedOllama() as server:``; ``server.url`` is its address."""

    handler = _CannedHandler

    def __init__(self, reply: str = CANNED_REPLY, piece_delay_s: float = 0.0, slow_s: float = 10.0) -> None:
        super().__init__()
        self.reply = reply
        self.piece_delay_s = piece_delay_s
        self.slow_s = slow_s
        self.mode: Mode = "ok"
        self.generations = 0  # generation requests received

    def count_generation(self) -> None:
        with self._lock:
            self.generations += 1

    def pieces(self) -> list[str]:
        words = self.reply.split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)]
