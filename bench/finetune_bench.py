"""Time ``querywright finetune`` end to end on a real workspace, and keep what it made.

    python bench/finetune_bench.py run --out DIR [--ddl FILE --data FILE] [-- FINETUNE ARGS...]
    python bench/finetune_bench.py report DIR [--append]

``run`` builds a workspace from the Sakila DDL and its seed rows (``tests/sql/fixtures/corpus``,
no queries: the dataset is the synthesis over the catalog and its values, plus the general
set), runs the product's own command ``querywright finetune --workspace W --out RUN
--progress json --ollama off --trust-workspace [ARGS]`` and reads its JSON lines: the time of
each stage (from its ``begin`` event to the next), the result (``done``), the dataset summary,
the training result, the held-out report. It exports the trained LoRA alone (``querywright export
--mode adapter``, not timed) as ``DIR/adapter.gguf``, copies those files into ``DIR`` and writes ``DIR/finetune.json``; on the GPU machine, ``DIR`` is under
``$OUT`` so they come back. ``report`` turns ``DIR/finetune.json`` into a markdown block (and
appends it to bench/RESULTS.md); the tuned model's accuracy on the human questions is then
``python bench/sakila_ex.py --model BASE.gguf+DIR/adapter.gguf``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ex_common import REPO, append, gpu_machine, make_workspace

CORPUS = REPO / "tests" / "sql" / "fixtures" / "corpus"


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    workspace = make_workspace(args.ddl, args.data)
    run_dir = args.run_dir or out / "run"
    command = [sys.executable, "-m", "querywright.cli.main", "finetune", "--workspace", str(workspace),
               "--out", str(run_dir), "--progress", "json", "--ollama", "off", "--trust-workspace", *extra]
    started = time.monotonic()
    stages: dict[str, float] = {}
    current: tuple[str, float] | None = None
    done: dict = {}
    timeline: list[dict] = []  # every event but per-step progress, with its time: where a stage's time goes
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            now = time.monotonic() - started
            if event.get("event") != "progress" or event.get("step") == 1:
                timeline.append({"t": round(now, 2), **{k: v for k, v in event.items()
                                                       if isinstance(v, (int, float, str, bool)) or v is None}})
            if event.get("event") == "begin":
                if current is not None:
                    stages[current[0]] = round(now - current[1], 2)
                current = (str(event.get("stage")), now)
                print(f"{now:7.1f}s {event.get('stage')}", flush=True)
            if event.get("event") == "done" and event.get("stage") == "finetune":
                done = event
    total = time.monotonic() - started
    if current is not None:
        stages[current[0]] = round(total - current[1], 2)
    record: dict = {"command": " ".join(["querywright finetune --workspace sakila", *extra]),
                    "returncode": proc.returncode, "total_s": round(total, 1), "stages_s": stages,
                    "result": done, "machine": gpu_machine(), "timeline": timeline}
    for name, source in (("dataset-summary.json", run_dir / "data" / "summary.json"),
                         ("train_result.json", run_dir / "adapter" / "train_result.json")):
        if source.is_file():
            shutil.copy(source, out / name)
            record[name.split(".")[0].replace("-", "_")] = json.loads(source.read_text())
    if (run_dir / "adapter" / "adapter_config.json").is_file():  # the LoRA alone, for sakila_ex
        subprocess.run([sys.executable, "-m", "querywright.cli.main", "export", "--adapter",
                        str(run_dir / "adapter"), "--mode", "adapter", "--ollama", "off", "--out",
                        str(out / "export"), "--overwrite"], check=False, stdout=subprocess.DEVNULL)
        if (out / "export" / "adapter.gguf").is_file():
            shutil.move(out / "export" / "adapter.gguf", out / "adapter.gguf")
        shutil.rmtree(out / "export", ignore_errors=True)
    for report in run_dir.glob("eval/*.md"):
        shutil.copy(report, out / report.name)
    trained = record.get("train_result", {})
    steps = trained.get("step_seconds") or []
    if steps:
        record["steps_s"] = {"first": round(steps[0], 2), "median": round(statistics.median(steps), 3),
                             "sum": round(sum(steps), 1), "count": len(steps)}
    for item in ("step_seconds", "step_tokens", "losses"):
        trained.pop(item, None)
    (out / "finetune.json").write_text(json.dumps(record, indent=1) + "\n")
    shutil.rmtree(workspace, ignore_errors=True)
    print(json.dumps({k: record[k] for k in ("returncode", "total_s", "stages_s")}))
    return proc.returncode


def markdown(record: dict) -> str:
    result, train = record.get("result", {}), record.get("train_result", {})
    splits = record.get("dataset_summary", {}).get("splits", {})
    lines = [f"\n## `querywright finetune` end to end on a Sakila workspace ({time.strftime('%Y-%m-%d %H:%M')})\n",
             (f"Machine: {record['machine']}. Command: `python bench/finetune_bench.py run --out DIR -- "
              f"{' '.join(record['command'].split()[4:])}` (the workspace: Sakila's DDL and seed rows, no queries); "
              "here: `python bench/finetune_bench.py report DIR --append`.\n"),
             "| stage | seconds |", "|---|---|"]
    lines += [f"| {stage} | {secs:.1f} |" for stage, secs in record["stages_s"].items()]
    lines += [f"| **total** | **{record['total_s']:.1f}** |", ""]
    if splits:
        lines.append("Dataset: " + "; ".join(f"{name} {sum(counts.values())} ({', '.join(f'{k} {v}' for k, v in counts.items())})"
                                             for name, counts in splits.items()) + ".")
    if train:
        backend = train.get("backend", {})
        lines.append(f"Training: {train.get('steps')} steps over {train.get('examples')} examples in "
                     f"{train.get('train_seconds')} s, backend {backend.get('backend')} ({backend.get('batching')}), "
                     f"final loss {train.get('final_loss')}, continued from {train.get('start_adapter') or 'a fresh LoRA'}.")
    if record.get("steps_s"):
        steps = record["steps_s"]
        lines.append(f"Steps: {steps['count']} optimizer steps took {steps['sum']} s of the training time "
                     f"(first {steps['first']} s, median {steps['median']} s); validation losses "
                     f"{', '.join(f'{x:.4f}' for x in train.get('eval_losses') or []) or 'none'}"
                     + (f", the first (step 0) the starting adapter's; kept the adapter of step {train.get('best_step')}"
                        if train.get("start_eval_loss") is not None else "") + ".")
    timeline = [e for e in record.get("timeline", []) if e.get("stage") == "train"]
    if timeline:
        lines.append("Train stage: " + ", ".join(f"{e['event']} at {e['t']:.1f} s" for e in timeline
                                                 if e.get("event") in {"begin", "backend", "start-adapter", "batch", "eval", "kept-start", "done"}
                                                 or (e.get("event") == "progress" and e.get("step") == 1)) + ".")
    if result:
        lines.append(f"Result: {result.get('message')}.")
    return "\n".join(lines) + "\n"


def main() -> int:
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--run-dir", type=Path, help="the finetune run folder (default: OUT/run)")
    run.add_argument("--ddl", type=Path, default=CORPUS / "sakila-postgres.sql")
    run.add_argument("--data", type=Path, default=CORPUS / "sakila-postgres-data.sql")
    rep = sub.add_parser("report")
    rep.add_argument("folder", type=Path)
    rep.add_argument("--append", action="store_true")
    args = parser.parse_args(argv)
    if args.cmd == "run":
        return cmd_run(args, extra)
    text = markdown(json.loads((args.folder / "finetune.json").read_text()))
    if args.append:
        append(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
