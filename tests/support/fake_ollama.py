"""A stand-in Ollama server for tests, answering from the real SmolLM2 model.

No Ollama server binary can be installed on the machines these tests run on (it is in no
reachable package registry). So this module serves Ollama's documented HTTP API on
127.0.0.1 (a random port, in a thread) and answers generation requests from a real GGUF
model through querywright's embedded llama.cpp engine. The client side under test is the
real one: the ``ollama`` Python client speaking real HTTP. Only the server is a stand-in.

Endpoints: ``/api/generate`` and ``/api/chat`` (streamed NDJSON or a single JSON object),
``/api/tags``, ``/api/show``, ``/api/create``, ``HEAD``/``POST /api/blobs/sha256:...``,
``/api/version``, and ``/api/pull``, which answers that the registry is not reachable.

Faults on demand (:meth:`FakeOllama.inject`): ``"http500"`` (an error status),
``"cut"`` (a stream that stops mid-way, connection dropped), ``"slow"`` (waits before
answering).
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
from typing import Any, Literal

from querywright.server.ai.embedded import Engine, EngineKey, default_threads, shared_engine

from .fake_ollama_api import CHATML_TEMPLATE, FIM_TEMPLATE, route

__all__ = ["CHATML_TEMPLATE", "FIM_TEMPLATE", "FakeModel", "FakeOllama"]

Fault = Literal["http500", "cut", "slow"]


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


class FakeOllama:
    """Start with ``with FakeOllama() as server:``; ``server.url`` is its address."""

    def __init__(self, port: int = 0, n_ctx: int = 2048, n_threads: int | None = 1) -> None:
        self._port = port
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.models: dict[str, FakeModel] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, body)
        self._faults: deque[_Injected] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._blobs = Path(tempfile.mkdtemp(prefix="fake-ollama-blobs-"))
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> FakeOllama:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        self._closing.clear()
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
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
        shutil.rmtree(self._blobs, ignore_errors=True)

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

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

    def wait(self, seconds: float) -> None:
        """Sleep that ends early when the server stops."""
        self._closing.wait(seconds)

    def engine(self, model: FakeModel) -> Engine:
        key = EngineKey(model.gguf.resolve(), model.adapter, self.n_ctx,
                        self.n_threads or default_threads())  # fmt: skip
        return shared_engine(key)

    def find(self, name: str) -> FakeModel | None:
        return self.models.get(_tagged(name))

    def blob_path(self, digest: str) -> Path:
        return self._blobs / digest.replace(":", "-")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOllama
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``fake.requests`` instead."""

    # -- plumbing ----------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, payload: dict[str, Any]) -> None:
        data = (json.dumps(payload) + "\n").encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        """Drop the connection without finishing the chunked body."""
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

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
