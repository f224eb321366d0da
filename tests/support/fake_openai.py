"""A tiny OpenAI-compatible server for tests (``/v1/completions``, ``/v1/models``) on
127.0.0.1, answering from the real SmolLM2 model through the embedded engine, the way
llama-server or vLLM would. The client under test speaks real HTTP to it.

Faults on demand (:meth:`FakeOpenAI.inject`): ``"http500"``, ``"cut"`` (stream dropped
mid-way), ``"slow"``.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from querywright.server.ai.embedded import EngineKey, shared_engine

Fault = Literal["http500", "cut", "slow"]


class FakeOpenAI:
    def __init__(self, gguf: Path, model: str = "smollm2", n_threads: int = 1) -> None:
        self.model = model
        self.engine = shared_engine(EngineKey(Path(gguf).resolve(), None, 2048, n_threads))
        self.requests: list[dict[str, Any]] = []
        self.faults: deque[tuple[Fault, float]] = deque()
        self.closing = threading.Event()
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def inject(self, fault: Fault, delay_s: float = 5.0) -> None:
        self.faults.append((fault, delay_s))

    def __enter__(self) -> FakeOpenAI:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _event(self, payload: dict[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        data = f"data: {text}\n\n".encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            return self._json(
                200, {"object": "list", "data": [{"id": self.fake.model, "object": "model"}]}
            )
        self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.fake.requests.append(body)
        if self.path.rstrip("/") != "/v1/completions":
            return self._json(404, {"error": {"message": "not found"}})
        fault, delay = self.fake.faults.popleft() if self.fake.faults else (None, 0.0)
        if fault == "http500":
            return self._json(500, {"error": {"message": "CUDA out of memory", "code": 500}})
        if fault == "slow":
            self.fake.closing.wait(delay)
        if body.get("model") != self.fake.model:
            return self._json(
                404, {"error": {"message": f"The model `{body.get('model')}` does not exist."}}
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        stop = threading.Event()
        sent = 0
        for index in range(int(body.get("n", 1))):
            llama = {
                k: body[k]
                for k in ("prompt", "max_tokens", "temperature", "top_p", "stop", "grammar")
                if k in body
            }
            llama["seed"] = int(body.get("seed", 0)) + index

            def on_piece(piece: str, index: int = index) -> None:
                nonlocal sent
                if stop.is_set():
                    return
                try:
                    if fault == "cut" and sent >= 2:
                        stop.set()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self._event(
                        {"choices": [{"index": index, "text": piece, "finish_reason": None}]}
                    )
                    sent += 1
                except OSError:
                    stop.set()

            last = self.fake.engine.generate(llama, on_piece, stop)
            if stop.is_set():
                self.close_connection = True
                return
            reason = (last.get("choices") or [{}])[0].get("finish_reason") or "stop"
            self._event({"choices": [{"index": index, "text": "", "finish_reason": reason}]})
        self._event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
