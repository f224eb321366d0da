"""A stand-in Ollama server that answers from canned text, healthy or sick on demand.

``fake_ollama.FakeOllama`` generates with the real SmolLM2 model, which costs CPU; the
fuzz, fault and load runs need an Ollama-protocol peer whose cost is nothing, so that
they measure the language server and not the model. This one speaks the same HTTP API
subset (``/api/version``, ``/api/tags``, ``/api/show``, ``/api/generate``, ``/api/chat``)
on 127.0.0.1 (a random port, in a thread) and streams ``reply`` split into small pieces.

``mode`` (settable while running) makes it sick:

- ``"ok"``: streamed NDJSON, ``piece_delay_s`` between pieces;
- ``"slow"``: waits ``slow_s`` before answering generation requests (a stop ends the wait);
- ``"cut"``: starts the stream, sends one piece, drops the connection;
- ``"garbage"``: a 200 whose body is not JSON;
- ``"non_utf8"``: a 200 whose NDJSON lines are not UTF-8;
- ``"http500"``: an Ollama-style error object with status 500.

A backend that is *down* is :meth:`CannedOllama.stop` (the port closes).
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Mode = Literal["ok", "slow", "cut", "garbage", "non_utf8", "http500"]
MODEL = "canned:latest"
REPLY = " id, email FROM users"


class CannedOllama:
    """``with CannedOllama() as server:``; ``server.url`` is its address."""

    def __init__(self, reply: str = REPLY, piece_delay_s: float = 0.0, slow_s: float = 10.0) -> None:
        self.reply = reply
        self.piece_delay_s = piece_delay_s
        self.slow_s = slow_s
        self.mode: Mode = "ok"
        self.generations = 0  # generation requests received
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._port = 0

    def start(self) -> CannedOllama:
        handler = type("Handler", (_Handler,), {"canned": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        self._closing.clear()
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port (the backend is down); ``start()`` reopens the same port."""
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> CannedOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def count_generation(self) -> None:
        with self._lock:
            self.generations += 1

    def wait(self, seconds: float) -> None:
        self._closing.wait(seconds)

    def pieces(self) -> list[str]:
        words = self.reply.split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)]


class _Handler(BaseHTTPRequestHandler):
    canned: CannedOllama
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, data: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def do_GET(self) -> None:
        if self.path.startswith("/api/version"):
            return self._json(200, {"version": "0.12.6"})
        if self.path.startswith(("/api/tags", "/api/ps")):
            return self._json(200, {"models": [{"name": MODEL, "model": MODEL, "size": 1, "digest": "0" * 64, "details": {}}]})
        return self._json(404, {"error": "not found"})

    def do_HEAD(self) -> None:
        self._send(200, b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._json(400, {"error": "invalid JSON body"})
        if self.path.startswith("/api/show"):
            return self._json(200, {"template": "{{ .Prompt }}", "capabilities": ["completion"], "details": {}, "model_info": {}})
        if self.path.startswith(("/api/generate", "/api/chat")):
            return self._generate(body, chat=self.path.startswith("/api/chat"))
        return self._json(404, {"error": f"POST {self.path} not found"})

    def _shape(self, piece: str, done: bool, chat: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"model": MODEL, "created_at": "2026-01-01T00:00:00Z", "done": done}
        if chat:
            out["message"] = {"role": "assistant", "content": piece}
        else:
            out["response"] = piece
        if done:
            out.update(done_reason="stop", total_duration=1, eval_count=len(self.canned.pieces()))
        return out

    def _generate(self, body: dict[str, Any], chat: bool) -> None:
        canned = self.canned
        canned.count_generation()
        if not body.get("prompt") and not body.get("suffix") and not chat:  # a warm-up: load and answer
            return self._json(200, {**self._shape("", True, chat), "done_reason": "load"})
        mode = canned.mode
        if mode == "http500":
            return self._json(500, {"error": "llama runner process has terminated: signal: killed"})
        if mode == "garbage":
            return self._send(200, b"<html>502 Bad Gateway</html>\n{not json", "application/x-ndjson")
        if mode == "slow":
            canned.wait(canned.slow_s)
        stream = bool(body.get("stream", True))
        if not stream:
            return self._json(200, self._shape(canned.reply, True, chat))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for n, piece in enumerate(canned.pieces()):
                if mode == "non_utf8":
                    self._chunk(b'{"response": "\xff\xfe\xc3(", "done": false}\n')
                    continue
                self._chunk((json.dumps(self._shape(piece, False, chat)) + "\n").encode())
                if mode == "cut" and n == 0:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if canned.piece_delay_s:
                    canned.wait(canned.piece_delay_s)
            self._chunk((json.dumps(self._shape("", True, chat)) + "\n").encode())
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client went away
            self.close_connection = True
