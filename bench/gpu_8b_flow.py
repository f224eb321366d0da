"""The full flow for a large model, timed stage by stage: a Llama-shaped 8B in 4-bit with
Unsloth, our dataset, a LoRA, GGUF, a Modelfile, a served completion (and ``ollama create``
where an Ollama binary is installed).

    python bench/gpu_8b_flow.py run --out DIR [--steps 30] [--quant bf16] [--tokenizer DIR]
    python bench/gpu_8b_flow.py report DIR/flow.json [--append]

``run`` (on the GPU machine) builds the model from Llama-3.1-8B's shape with random weights
(``bench/gpu/models.py``: speed, memory and mechanics are those of real weights; its answers
are noise) and the built-in model's tokenizer, its embedding sized to that tokenizer (49,152
rows, not Llama 3's 128,256: llama.cpp refuses a GGUF whose vocabulary is far smaller than its
embedding; 7.5B parameters), then runs the product's own commands on a Sakila workspace:
``querywright dataset build``, ``querywright train --base MODEL`` (``backend = auto``,
``batch_size = auto``), ``querywright export --mode adapter --quant Q`` (the base to GGUF once,
the LoRA as a GGUF adapter, the Modelfile), then loads base + adapter in the embedded llama.cpp
engine and completes one prompt. ``DIR/flow.json`` has each stage's seconds, exit status, sizes
and the Modelfile; ``report`` turns it into a markdown block for bench/RESULTS.md.

Users with real weights do the same with their own folder: see docs/cli.md, "A large model".
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ex_common import REPO, append, gpu_machine, make_workspace

CORPUS = REPO / "tests" / "sql" / "fixtures" / "corpus"
CLI = [sys.executable, "-m", "querywright.cli.main"]


def stage(record: dict, name: str, command: list[str], log: Path) -> bool:
    """Run one command, its output to ``log``; record seconds and exit status under ``name``."""
    started = time.monotonic()
    with log.open("w") as handle:
        done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False)
    record["stages"][name] = {"seconds": round(time.monotonic() - started, 1),
                              "returncode": done.returncode,
                              "command": " ".join(Path(c).name if c == sys.executable else c for c in command)}
    print(f"{name}: exit {done.returncode} in {record['stages'][name]['seconds']} s", flush=True)
    if done.returncode:
        record["stages"][name]["log_tail"] = log.read_text(errors="replace")[-3000:]
    return done.returncode == 0


def tokenizer_folder(work: Path, given: Path | None) -> Path:
    """A Hugging Face folder with a tokenizer: ``given``, or the built-in model's, dequantized."""
    if given is not None:
        return given
    from querywright.trainer.backends import materialize_gguf, resolve_base

    return materialize_gguf(resolve_base("builtin:smollm2-135m"), cache=work / "gguf-cache")


def serve_once(model: Path, adapter: Path) -> dict:
    """Load base + adapter in the embedded engine and complete one prompt."""
    import asyncio

    from querywright.server.ai.completer import CompletionRequest
    from querywright.server.ai.embedded import release_engines
    from querywright.server.ai.prompt import STOP_SEQUENCES, build_prompt
    from querywright.server.ai.refs import BackendConfig, open_completer

    prompt = build_prompt("CREATE TABLE film (film_id INT PRIMARY KEY, title TEXT);", "postgres",
                          "titles of all films", prefix="SELECT")

    async def complete() -> tuple[str, float]:
        completer = open_completer(f"{model}+{adapter}", BackendConfig(n_ctx=512))
        started = time.monotonic()
        [completion] = await completer.complete(CompletionRequest(prompt, max_tokens=8, stop=STOP_SEQUENCES))
        seconds = time.monotonic() - started
        await completer.aclose()
        return completion.text, seconds

    started = time.monotonic()
    try:
        text, seconds = asyncio.run(complete())
    finally:
        release_engines()
    return {"text": text, "completion_s": round(seconds, 1),
            "load_and_complete_s": round(time.monotonic() - started, 1)}


def cmd_run(args: argparse.Namespace) -> int:
    out: Path = args.out
    work: Path = args.work
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    record: dict = {"machine": gpu_machine(), "steps": args.steps, "quant": args.quant, "stages": {}}
    model_dir, data_dir, adapter, export = (work / "llama-8b", work / "data", work / "adapter",
                                            work / "export")
    tokenizer = tokenizer_folder(work, args.tokenizer)

    def finish(code: int) -> int:
        (out / "flow.json").write_text(json.dumps(record, indent=1) + "\n")
        return code

    if not stage(record, "model", [sys.executable, str(REPO / "bench" / "gpu" / "models.py"),
                                   "llama-8b", "--tokenizer", str(tokenizer), "--tokenizer-vocab",
                                   "--dest", str(model_dir)],
                 out / "model.log"):
        return finish(1)
    workspace = make_workspace(CORPUS / "sakila-postgres.sql", CORPUS / "sakila-postgres-data.sql")
    if not stage(record, "dataset", [*CLI, "dataset", "build", "--workspace", str(workspace),
                                     "--trust-workspace", "--synthetic", "600", "-o",
                                     str(data_dir), "--json"], out / "dataset.log"):
        return finish(1)
    if not stage(record, "train", [*CLI, "train", "--base", str(model_dir), "--data",
                                   str(data_dir / "train.jsonl"), "--out", str(adapter),
                                   "--set", f"max_steps={args.steps}", "--set", "batch_size=auto",
                                   "--set", "save_steps=1000", "--progress", "json"],
                 out / "train.log"):
        return finish(1)
    result = json.loads((adapter / "train_result.json").read_text())
    for item in ("step_seconds", "step_tokens", "losses"):
        result.pop(item, None)
    record["train_result"] = result
    if not stage(record, "export", [*CLI, "export", "--adapter", str(adapter), "--mode", "adapter",
                                    "--quant", args.quant, "--ollama", "off", "--out", str(export),
                                    "--name", "llama8b-sakila", "--overwrite"], out / "export.log"):
        return finish(1)
    files = {p.name: p.stat().st_size for p in export.iterdir() if p.is_file()}
    record["export_files"] = files
    record["modelfile"] = (export / "Modelfile").read_text()
    shutil.copy(export / "manifest.json", out / "manifest.json")
    base_gguf = next(export.glob("base.*.gguf"))
    started = time.monotonic()
    try:
        record["served"] = serve_once(base_gguf, export / "adapter.gguf")
    except Exception as exc:  # noqa: BLE001 - a bench records the failure and goes on
        record["served"] = {"error": f"{type(exc).__name__}: {exc}"}
    record["stages"]["serve"] = {"seconds": round(time.monotonic() - started, 1),
                                 "returncode": 0 if "error" not in record["served"] else 1}
    ollama = shutil.which("ollama")
    record["ollama"] = ollama or "not installed on this machine"
    if ollama:
        stage(record, "ollama-create", [ollama, "create", "llama8b-sakila", "-f",
                                        str(export / "Modelfile")], out / "ollama.log")
    shutil.rmtree(workspace, ignore_errors=True)
    return finish(0)


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(path)


def markdown(record: dict, source: Path) -> str:
    lines = [f"\n## A Llama-shaped 8B (random weights) through train → GGUF → Modelfile → served ({time.strftime('%Y-%m-%d %H:%M')})\n",
             (f"Machine: {record['machine']}. Command: `python bench/gpu_8b_flow.py run --out DIR --steps "
             f"{record['steps']} --quant {record['quant']}`; here `python bench/gpu_8b_flow.py report DIR/flow.json --append` "
             f"(raw JSON: `{_shown(source)}`).\n"),
             "| stage | command | seconds | exit |", "|---|---|---|---|"]
    for name, info in record["stages"].items():
        lines.append(f"| {name} | `{info.get('command', 'embedded llama.cpp: load base + adapter, 8 tokens')}` | "
                     f"{info['seconds']} | {info['returncode']} |")
    train = record.get("train_result", {})
    if train:
        backend = train.get("backend", {})
        lines.append(f"\nTraining: {train.get('steps')} steps, backend {backend.get('backend')} "
                     f"(4-bit {backend.get('load_in_4bit')}, {backend.get('batching')}), batch "
                     f"{train.get('batch_size', 'auto')}, {train.get('train_seconds')} s, peak "
                     f"{(train.get('peak_memory_bytes') or 0) / 1024**3:.1f} GiB, final loss {train.get('final_loss')}.")
    if record.get("export_files"):
        lines.append("Export: " + ", ".join(f"`{n}` {b / 1024**2:,.1f} MiB" for n, b in sorted(record["export_files"].items())) + ".")
    if record.get("served"):
        lines.append(f"Served: {json.dumps(record['served'])}.")
    lines.append(f"Ollama: {record.get('ollama')}.")
    if record.get("modelfile"):
        lines += ["", "```", record["modelfile"].strip(), "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--out", type=Path, required=True, help="small results (flow.json, logs)")
    run.add_argument("--work", type=Path, default=Path("/tmp/qw-8b-flow"), help="the large files")
    run.add_argument("--steps", type=int, default=20)
    run.add_argument("--quant", default="bf16", help="the base GGUF's type (bf16: a copy, no re-quantization)")
    run.add_argument("--tokenizer", type=Path)
    rep = sub.add_parser("report")
    rep.add_argument("flow", type=Path)
    rep.add_argument("--append", action="store_true")
    args = parser.parse_args()
    if args.cmd == "run":
        return cmd_run(args)
    text = markdown(json.loads(args.flow.read_text()), args.flow)
    print(text)
    if args.append:
        append(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
