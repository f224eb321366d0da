"""Training throughput of the GPU backends, measured, and the ``auto`` rule derived from it.

On the GPU machine (after gpu/README.md's setup; one process per configuration):

    python bench/gpu_throughput.py run --out DIR [--models smollm2,llama-1b,llama-8b]
        [--gguf SmolLM2.gguf] [--tokenizer DIR] [--budget-s 540] [--only unsloth:on:padded,...]
        [--batch-size N] [--steps N] [--timeout S] [--max-seq-length N]

writes DIR/results.json (every run's figures, step times, environment) and DIR/results.md,
updating both after each configuration so a cut-off run keeps what it measured. Then here:

    python bench/gpu_throughput.py report DIR/results.json [more.json ...]
        --append bench/RESULTS.md --rule trainer/auto_backend.json --command "..."

appends the markdown table and writes the rule that ``--backend auto`` follows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from gpu import data, report, specs

HERE = Path(__file__).resolve().parent


def prepare_model(model: str, work: Path, args: argparse.Namespace) -> str:
    dest = work / "models" / model
    cmd = [sys.executable, str(HERE / "gpu" / "models.py"), model, "--dest", str(dest)]
    cmd += ["--gguf", str(args.gguf)] if model == "smollm2" else ["--tokenizer", str(args.tokenizer)]
    subprocess.run(cmd, check=True)  # a model that cannot be prepared stops the run
    return str(dest)


def run_one(spec: dict, work: Path, log_dir: Path) -> dict:
    name = (f"{spec['model']}-{spec['backend']}-gc_{spec['gradient_checkpointing']}-{spec['batching']}"
            f"-bs{spec['batch_size']}-len{spec['max_seq_length']}")
    result_path = work / f"{name}.json"
    log_path = log_dir / f"{name}.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    started = time.monotonic()
    with log_path.open("w") as log:
        try:
            proc = subprocess.run([sys.executable, str(HERE / "gpu" / "worker.py"), "--spec",
                                   json.dumps(spec), "--result", str(result_path)],
                                  stdout=log, stderr=subprocess.STDOUT, env=env,
                                  timeout=spec["timeout"], check=False)
            status = "ok" if proc.returncode == 0 and result_path.is_file() else \
                f"failed (exit {proc.returncode})"
        except subprocess.TimeoutExpired:
            status = f"timed out after {spec['timeout']} s"
    record = json.loads(result_path.read_text()) if status == "ok" else {"spec": spec}
    record["status"] = status
    record["wall_s"] = time.monotonic() - started
    text = log_path.read_text(errors="replace")
    record["notes"] = [line.strip()[:200] for line in text.splitlines()
                       if line.lstrip().startswith("Unsloth") or "Error" in line][-12:]
    if status != "ok":
        record["log_tail"] = text[-3000:]
    print(f"{name}: {status} in {record['wall_s']:.0f}s "
          f"tokens/s={record.get('steady_tokens_per_s')} peak={record.get('peak_gib')}",
          flush=True)
    return record


def cmd_run(args: argparse.Namespace) -> None:
    deadline = time.monotonic() + args.budget_s
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.work)
    (work / "results").mkdir(parents=True, exist_ok=True)
    log_dir = work / "logs"  # few files may come back from the machine: logs travel as one tar
    log_dir.mkdir(parents=True, exist_ok=True)
    pairs = data.write_pairs(work / "pairs.jsonl", 2000)
    results_path = out / "results.json"
    records = json.loads(results_path.read_text()) if results_path.is_file() else []
    for model in args.models.split(","):
        if time.monotonic() > deadline - 60:
            print(f"budget spent: skipping {model}", flush=True)
            continue
        model_dir = prepare_model(model, work, args)
        only = set(args.only.split(",")) if args.only else None
        for spec in specs.specs_for(model, model_dir, str(pairs), args.max_seq_length, only,
                                    batch_size=args.batch_size, steps=args.steps):
            left = deadline - time.monotonic()
            if left < 45:
                print(f"budget spent: skipping {spec['backend']} on {model}", flush=True)
                continue
            spec["timeout"] = int(min(args.timeout or spec["timeout"], left))
            records.append(run_one(spec, work / "results", log_dir))
            results_path.write_text(json.dumps(records, indent=1))
            (out / "results.md").write_text(report.markdown(records))
            with tarfile.open(out / "logs.tgz", "w:gz") as tar:
                tar.add(log_dir, arcname="logs")
    print(report.markdown(records))


def cmd_report(args: argparse.Namespace) -> None:
    records = [r for path in args.results for r in json.loads(Path(path).read_text())]
    text = report.markdown(records, command=args.command)
    if args.finetune:
        result = json.loads(args.finetune.read_text())
        text += "\n".join(report.finetune_lines(result, args.finetune_command)) + "\n"
    if args.append:
        with args.append.open("a") as handle:
            handle.write("\n" + text)
    else:
        print(text)
    if args.rule:
        args.rule.write_text(json.dumps(report.auto_rule(records), indent=2) + "\n")


def cmd_summary(args: argparse.Namespace) -> None:
    result = json.loads(args.result.read_text())
    text = "\n".join(report.finetune_lines(result, args.command, args.title)) + "\n"
    if args.append:
        with args.append.open("a") as handle:
            handle.write(text)
    else:
        print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--work", default="/tmp/qw-bench")
    run.add_argument("--models", default="smollm2,llama-1b,llama-8b")
    run.add_argument("--gguf", type=Path, default=Path("/tmp/qw/SmolLM2-135M-Instruct.Q4_1.gguf"))
    run.add_argument("--tokenizer", type=Path, default=Path(".gpu/tok"))
    run.add_argument("--max-seq-length", type=int, default=512)
    run.add_argument("--budget-s", type=float, default=540)
    run.add_argument("--only", help="comma list of backend:checkpointing:batching to run")
    run.add_argument("--batch-size", type=int, help="every configuration at this batch (default: per model)")
    run.add_argument("--steps", type=int, help="steps per configuration (default: per model)")
    run.add_argument("--timeout", type=int, help="seconds per configuration (default: per model)")
    run.set_defaults(func=cmd_run)
    rep = sub.add_parser("report")
    rep.add_argument("results", nargs="+")
    rep.add_argument("--append", type=Path)
    rep.add_argument("--rule", type=Path)
    rep.add_argument("--command", default="")
    rep.add_argument("--finetune", type=Path, help="train_result.json of a real fine-tune")
    rep.add_argument("--finetune-command", default="")
    rep.set_defaults(func=cmd_report)
    summ = sub.add_parser("summary", help="lines about one train_result.json")
    summ.add_argument("result", type=Path)
    summ.add_argument("--title", required=True)
    summ.add_argument("--command", default="")
    summ.add_argument("--append", type=Path)
    summ.set_defaults(func=cmd_summary)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
