"""Compare the two llama.cpp bindings for the embedded backend on the same GGUF:
llama-cpp-python (compiled from source) and xllamacpp (prebuilt wheels).

Each binding runs in its own subprocess (a fresh load, nothing shared) and reports:
import time, model load, first-token latency of a cold ~80-token prompt, generation speed,
first-token latency when the prompt prefix is already cached, grammar support and
whether a stream can be stopped early. Medians over ``--runs`` repetitions.

    python bench/bindings.py --model ~/.cache/querywright/models/SmolLM2-135M-Instruct.Q4_1.gguf \
        --python llama-cpp-python=/tmp/llcpp-venv/bin/python \
        --install "xllamacpp=5 s (prebuilt wheel)" --install "llama-cpp-python=20 min (compile)" \
        --append bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PREFIX = (
    "-- Schema\n"
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, country TEXT);\n"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id),\n"
    "  total NUMERIC(10, 2), status TEXT, created_at TIMESTAMP);\n"
    "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price NUMERIC(10, 2));\n"
)
COLD_TAIL = "-- Question: total spent per country\nSELECT"
WARM_TAIL = "-- Question: orders per user\nSELECT"
LONG_PROMPT = "1, 2, 3, 4, 5, 6, 7, 8,"
GRAMMAR = 'root ::= " " ("id" | "name" | "email") " FROM users;"'
GEN_TOKENS = 64
BINDINGS = ("llama-cpp-python", "xllamacpp")


# -- workers: run inside the subprocess of one binding ------------------------------------
def _worker_xllamacpp(model: str, threads: int) -> dict[str, Any]:
    started = time.perf_counter()
    import xllamacpp

    result: dict[str, Any] = {"import_s": time.perf_counter() - started,
                              "version": getattr(xllamacpp, "__version__", "?")}  # fmt: skip
    params = xllamacpp.CommonParams()
    params.model.path = model
    params.n_ctx = 2048
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.warmup = False
    params.verbosity = -1
    started = time.perf_counter()
    server = xllamacpp.Server(params)
    result["load_s"] = time.perf_counter() - started

    def first_token(prompt: str) -> tuple[float, int]:
        marks: list[float] = []
        begun = time.perf_counter()

        def callback(chunk: dict[str, Any]) -> bool:
            text = (chunk.get("choices") or [{}])[0].get("text")
            if text and not marks:
                marks.append(time.perf_counter() - begun)
            return bool(marks)  # stop after the first token

        server.handle_completions({"prompt": prompt, "max_tokens": 8, "temperature": 0,
                                   "stream": True, "cache_prompt": True}, callback)  # fmt: skip
        return marks[0], 0

    result["first_token_cold_s"], _ = first_token(PREFIX + COLD_TAIL)
    result["first_token_warm_s"], _ = first_token(PREFIX + WARM_TAIL)
    begun = time.perf_counter()
    out = server.handle_completions({"prompt": LONG_PROMPT, "max_tokens": GEN_TOKENS,
                                     "temperature": 0, "cache_prompt": True})  # fmt: skip
    timings = out.get("timings", {})
    result["gen_tokens"] = out["usage"]["completion_tokens"]
    result["tokens_per_s"] = timings.get("predicted_per_second") or (
        result["gen_tokens"] / (time.perf_counter() - begun)
    )
    out = server.handle_completions({"prompt": "SELECT", "max_tokens": 16, "temperature": 0,
                                     "grammar": GRAMMAR})  # fmt: skip
    result["grammar_output"] = out["choices"][0]["text"]
    pieces: list[str] = []
    server.handle_completions(
        {"prompt": LONG_PROMPT, "max_tokens": 200, "temperature": 0, "stream": True},
        lambda chunk: pieces.append("x") or len(pieces) >= 3,
    )
    result["stopped_after"] = len(pieces)
    return result


def _worker_llama_cpp(model: str, threads: int) -> dict[str, Any]:
    started = time.perf_counter()
    import llama_cpp

    result: dict[str, Any] = {"import_s": time.perf_counter() - started,
                              "version": llama_cpp.__version__}  # fmt: skip
    started = time.perf_counter()
    llm = llama_cpp.Llama(model_path=model, n_ctx=2048, n_threads=threads,
                          n_threads_batch=threads, verbose=False)  # fmt: skip
    result["load_s"] = time.perf_counter() - started

    def first_token(prompt: str) -> float:
        begun = time.perf_counter()
        for chunk in llm.create_completion(prompt, max_tokens=8, temperature=0, stream=True):
            if chunk["choices"][0]["text"]:
                return time.perf_counter() - begun
        return time.perf_counter() - begun

    result["first_token_cold_s"] = first_token(PREFIX + COLD_TAIL)
    result["first_token_warm_s"] = first_token(PREFIX + WARM_TAIL)
    begun = time.perf_counter()
    pieces = 0
    for chunk in llm.create_completion(LONG_PROMPT, max_tokens=GEN_TOKENS, temperature=0,
                                       stream=True):  # fmt: skip
        if chunk["choices"][0]["text"]:
            if pieces == 0:
                begun = time.perf_counter()  # exclude the prompt from the speed
            pieces += 1
    result["gen_tokens"] = pieces
    result["tokens_per_s"] = (pieces - 1) / (time.perf_counter() - begun)
    grammar = llama_cpp.LlamaGrammar.from_string(GRAMMAR, verbose=False)
    out = llm.create_completion("SELECT", max_tokens=16, temperature=0, grammar=grammar)
    result["grammar_output"] = out["choices"][0]["text"]
    stream = llm.create_completion(LONG_PROMPT, max_tokens=200, temperature=0, stream=True)
    count = 0
    for _chunk in stream:
        count += 1
        if count >= 3:
            break
    stream.close()
    result["stopped_after"] = count
    return result


# -- driver -------------------------------------------------------------------------------
def run_worker(python: str, binding: str, model: str, threads: int) -> dict[str, Any]:
    command = [python, __file__, "--worker", binding, "--model", model, "--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": " | ".join(tail) or f"exit {done.returncode}"}
    return json.loads(lines[-1])


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(run[key]) for run in runs)


def spread(runs: list[dict[str, Any]], key: str, scale: float, unit: str, best: Any) -> str:
    """``median (best)`` of one measurement over the runs."""
    values = [float(run[key]) * scale for run in runs]
    return f"{statistics.median(values):.0f}{unit} (best {best(values):.0f})"


def table(results: dict[str, list[dict[str, Any]]], installs: dict[str, str]) -> str:
    rows = [
        (
            "| binding | version | install | import | load | first token, cold ~80-token prompt "
            "| first token, cached prefix | generation | grammar output | stop a stream |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for binding, runs in results.items():
        good = [run for run in runs if "error" not in run]
        if not good:
            error = runs[0].get("error", "not run") if runs else "not run"
            rows.append(
                f"| {binding} | – | {installs.get(binding, '?')} | not measured: {error} |||||||"
            )
            continue
        rows.append(
            f"| {binding} | {good[0]['version']} | {installs.get(binding, '?')} "
            f"| {median(good, 'import_s'):.2f} s | {median(good, 'load_s'):.2f} s "
            f"| {spread(good, 'first_token_cold_s', 1000, ' ms', min)} "
            f"| {spread(good, 'first_token_warm_s', 1000, ' ms', min)} "
            f"| {spread(good, 'tokens_per_s', 1, ' tokens/s', max)} "
            f"| `{good[0]['grammar_output'].strip()}` "
            f"| after {good[0]['stopped_after']} pieces |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="GGUF file to load")
    parser.add_argument("--threads", type=int, default=max(1, min(4, (os.cpu_count() or 2) // 2)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", action="append", default=[], metavar="BINDING=PYTHON",
                        help="interpreter that has the binding installed (default: this one)")  # fmt: skip
    parser.add_argument("--install", action="append", default=[], metavar="BINDING=TEXT",
                        help="install time, measured separately, to show in the table")  # fmt: skip
    parser.add_argument("--append", type=Path, help="append the section to this markdown file")
    parser.add_argument("--worker", choices=BINDINGS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        work = _worker_xllamacpp if args.worker == "xllamacpp" else _worker_llama_cpp
        print(json.dumps(work(args.model, args.threads)))
        return 0
    pythons = dict(item.split("=", 1) for item in args.python)
    installs = dict(item.split("=", 1) for item in args.install)
    results: dict[str, list[dict[str, Any]]] = {binding: [] for binding in BINDINGS}
    for _ in range(args.runs):  # interleaved, so both bindings see the same background load
        for binding in BINDINGS:
            python = pythons.get(binding, sys.executable)
            results[binding].append(run_worker(python, binding, args.model, args.threads))
    load = os.getloadavg()
    heading = (
        f"## llama.cpp bindings for the embedded backend — {platform.machine()}, "
        f"{os.cpu_count()} cores, {args.threads} threads\n\n"
        f"Command: `python bench/bindings.py {shlex.join(argv if argv is not None else sys.argv[1:])}`  \n"
        f"Model: `{Path(args.model).name}`; median (and best) of {args.runs} fresh processes per "
        "binding, run alternately; "
        f"load average at the end {load[0]:.1f} (the cores are shared, so absolute figures are noisy).\n"
    )
    section = f"{heading}\n{table(results, installs)}\n"
    print(section)
    if args.append:
        with args.append.open("a", encoding="utf-8") as out:
            out.write("\n" + section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
