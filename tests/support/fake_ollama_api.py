"""The endpoints of the stand-in Ollama server (see ``fake_ollama``): request in, Ollama's
documented response shapes out, generation from the real model through the embedded
engine."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

CHATML_TEMPLATE = (
    "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
    "<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n"
)
FIM_TEMPLATE = (
    "{{ if .Suffix }}<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>{{ else }}{{ .Prompt }}{{ end }}"
)
_IF = re.compile(r"\{\{ if \.(\w+) \}\}(.*?)(?:\{\{ else \}\}(.*?))?\{\{ end \}\}", re.DOTALL)
_VAR = re.compile(r"\{\{ \.(\w+) \}\}")
_DIGEST = re.compile(r"^sha256[:-]([0-9a-f]{64})$")
VERSION = "0.12.6"


def render(template: str, values: dict[str, str]) -> str:
    """The Go-template subset the fake needs: ``{{ .X }}``, ``{{ if .X }}..{{ else }}..{{ end }}``."""
    text = _IF.sub(lambda m: m.group(2) if values.get(m.group(1)) else (m.group(3) or ""), template)
    return _VAR.sub(lambda m: values.get(m.group(1), ""), text)


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def route(h: Any, method: str, path: str, body: dict[str, Any], raw: bytes, cut: bool) -> None:
    """Answer one request on handler ``h`` (a ``fake_ollama._Handler``)."""
    if path.startswith("/api/blobs/"):
        return _blob(h, method, path.rsplit("/", 1)[1], raw)
    endpoints = {
        ("GET", "/api/version"): lambda: h._json(200, {"version": VERSION}),
        ("GET", "/api/tags"): lambda: _tags(h),
        ("GET", "/api/ps"): lambda: _tags(h),
        ("POST", "/api/show"): lambda: _show(h, body),
        ("POST", "/api/generate"): lambda: _generate(h, body, cut),
        ("POST", "/api/chat"): lambda: _chat(h, body, cut),
        ("POST", "/api/create"): lambda: _create(h, body),
        ("POST", "/api/pull"): lambda: h._error(
            500, "pull model manifest: the model registry is not reachable from this machine"
        ),
    }
    handler = endpoints.get((method, path))
    if handler is None:
        return h._error(404, f"{method} {path} not found")
    handler()


def _details() -> dict[str, Any]:
    return {"format": "gguf", "family": "llama", "families": ["llama"],
            "parameter_size": "135M", "quantization_level": "Q4_1"}  # fmt: skip


def _tags(h: Any) -> None:
    models = [
        {"name": m.name, "model": m.name, "modified_at": now(), "digest": m.digest,
         "size": m.gguf.stat().st_size if m.gguf.exists() else 0, "details": _details()}
        for m in h.fake.models.values()
    ]  # fmt: skip
    h._json(200, {"models": models})


def _missing(h: Any, name: str) -> None:
    h._error(404, f"model '{name}' not found")


def _show(h: Any, body: dict[str, Any]) -> None:
    name = str(body.get("model") or body.get("name") or "")
    model = h.fake.find(name)
    if model is None:
        return _missing(h, name)
    capabilities = ["completion"] + (["insert"] if ".Suffix" in model.template else [])
    h._json(200, {
        "modelfile": f'FROM {model.gguf}\nTEMPLATE """{model.template}"""\n',
        "parameters": "", "template": model.template, "details": _details(),
        "model_info": {"general.architecture": "llama"}, "capabilities": capabilities,
        "modified_at": now(),
    })  # fmt: skip


def _llama_body(prompt: str, options: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": prompt,
        "max_tokens": int(options.get("num_predict", 128)),
        "temperature": float(options.get("temperature", 0.8)),
        "top_p": float(options.get("top_p", 0.9)),
        "cache_prompt": True,
    }
    if options.get("seed") is not None:
        body["seed"] = int(options["seed"])
    if options.get("stop"):
        body["stop"] = list(options["stop"])
    return body


def _run(h: Any, model: Any, llama: dict[str, Any], stream: bool, cut: bool,
         shape: Any) -> None:  # fmt: skip
    """Generate and answer; ``shape(piece, done, extra)`` builds one response object."""
    engine = h.fake.engine(model)
    stop = threading.Event()
    pieces: list[str] = []
    started = time.perf_counter()
    if stream:
        h._start_stream()

    def on_piece(piece: str) -> None:
        pieces.append(piece)
        if not stream or stop.is_set():
            return
        try:
            if cut and len(pieces) >= 2:
                stop.set()
                h._cut()
                return
            h._chunk(shape(piece, False, {}))
        except OSError:  # the client went away: stop generating
            stop.set()

    last = engine.generate(llama, on_piece, stop)
    if stop.is_set():
        return
    choice = (last.get("choices") or [{}])[0]
    usage = last.get("usage") or {}
    elapsed = int((time.perf_counter() - started) * 1e9)
    final = {
        "done_reason": "length" if choice.get("finish_reason") == "length" else "stop",
        "total_duration": elapsed, "load_duration": 0, "eval_duration": elapsed,
        "prompt_eval_count": usage.get("prompt_tokens", 0),
        "eval_count": usage.get("completion_tokens", len(pieces)),
    }  # fmt: skip
    if stream:
        h._chunk(shape("", True, final))
        h._end_stream()
    else:
        h._json(200, shape("".join(pieces), True, final))


def _generate(h: Any, body: dict[str, Any], cut: bool) -> None:
    name = str(body.get("model") or "")
    model = h.fake.find(name)
    if model is None:
        return _missing(h, name)
    prompt, suffix = str(body.get("prompt") or ""), body.get("suffix")
    if not prompt and not suffix:  # Ollama loads the model and answers at once
        h.fake.engine(model).load()
        return h._json(200, {"model": model.name, "created_at": now(), "response": "",
                             "done": True, "done_reason": "load"})  # fmt: skip
    if body.get("raw") and suffix:
        return h._error(400, "raw mode does not support suffix")
    if not body.get("raw"):
        values = {
            "Prompt": prompt,
            "Suffix": str(suffix or ""),
            "System": str(body.get("system") or ""),
        }
        prompt = render(str(body.get("template") or model.template), values)

    def shape(piece: str, done: bool, extra: dict[str, Any]) -> dict[str, Any]:
        return {"model": model.name, "created_at": now(), "response": piece, "done": done, **extra}

    llama = _llama_body(prompt, dict(body.get("options") or {}))
    _run(h, model, llama, bool(body.get("stream", True)), cut, shape)


def _chat(h: Any, body: dict[str, Any], cut: bool) -> None:
    name = str(body.get("model") or "")
    model = h.fake.find(name)
    if model is None:
        return _missing(h, name)
    turns = "".join(
        f"<|im_start|>{m.get('role', 'user')}\n{m.get('content', '')}<|im_end|>\n"
        for m in body.get("messages") or []
    )
    options = dict(body.get("options") or {})
    options["stop"] = list(options.get("stop") or []) + ["<|im_end|>"]
    llama = _llama_body(turns + "<|im_start|>assistant\n", options)

    def shape(piece: str, done: bool, extra: dict[str, Any]) -> dict[str, Any]:
        return {"model": model.name, "created_at": now(),
                "message": {"role": "assistant", "content": piece}, "done": done, **extra}  # fmt: skip

    _run(h, model, llama, bool(body.get("stream", True)), cut, shape)


def _blob(h: Any, method: str, digest: str, raw: bytes) -> None:
    match = _DIGEST.match(digest)
    if match is None:
        return h._error(400, f"invalid digest {digest!r}")
    path = h.fake.blob_path(f"sha256:{match.group(1)}")
    if method == "HEAD":
        h.send_response(200 if path.exists() else 404)
        h.send_header("Content-Length", "0")
        h.end_headers()
        return None
    if method != "POST":
        return h._error(405, "method not allowed")
    if hashlib.sha256(raw).hexdigest() != match.group(1):
        return h._error(400, "digest mismatch")
    path.write_bytes(raw)
    h.send_response(201)
    h.send_header("Content-Length", "0")
    h.end_headers()
    return None


def _create(h: Any, body: dict[str, Any]) -> None:
    from .fake_ollama import FakeModel

    name = str(body.get("model") or "")
    if not name:
        return h._error(400, "a model name is required")
    base = None
    files = dict(body.get("files") or {})
    if body.get("from"):
        base = h.fake.find(str(body["from"]))
        if base is None:
            return _missing(h, str(body["from"]))
    gguf: Path | None = base.gguf if base is not None else None
    for digest in files.values():
        blob = h.fake.blob_path(str(digest))
        if not blob.exists():
            return h._error(400, f"blob {digest} not found; upload it with POST /api/blobs")
        gguf = blob
    if gguf is None:
        return h._error(400, "neither 'from' nor 'files' names a model")
    adapter = None
    for digest in dict(body.get("adapters") or {}).values():
        adapter = h.fake.blob_path(str(digest))
        if not adapter.exists():
            return h._error(400, f"blob {digest} not found; upload it with POST /api/blobs")
    template = str(body.get("template") or (base.template if base is not None else CHATML_TEMPLATE))
    model = FakeModel(name if ":" in name else f"{name}:latest", gguf, template, adapter)
    h.fake.models[model.name] = model
    statuses = ["parsing GGUF", f"using existing layer sha256:{model.digest}",
                "writing manifest", "success"]  # fmt: skip
    if body.get("stream", True):
        h._start_stream()
        for status in statuses:
            h._chunk({"status": status})
        h._end_stream()
    else:
        h._json(200, {"status": "success"})
    return None
