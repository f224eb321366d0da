"""Base vs fine-tuned: execution accuracy of a trained adapter against the builtin model.

From a trained adapter folder (peft format, with ``train_config.json`` and
``train_result.json`` beside it), through the command line only:

1. ``querywright dataset build`` rebuilds the training data (same workspace, synthetic
   count and seed) and checks its train split has as many records as the adapter saw;
2. ``querywright export --mode adapter`` converts the adapter to a GGUF applied on top of
   the builtin base GGUF and registers it for the embedded engine;
3. ``querywright eval`` runs the builtin model and the tuned one on the first N questions
   of the rebuilt test split (held out by query) and on a seeded sample of Spider dev
   (schemas never seen in training; scratch databases built from each schema);
4. prints markdown (machine, commands, table) for bench/RESULTS.md, with execution accuracy
   also counted over the questions whose gold query returns rows on its scratch database
   (eval's ``execution_accuracy_gold_rows``):

    python bench/tuned_vs_base.py --adapter artifacts/smollm2-shop-adapter \\
        --spider /work/shared/data/spider --shop-limit 87 --spider-limit 60 \\
        --append bench/RESULTS.md

The adapter folder may come from another machine: its ``train_config.json`` names a base
path there, so the export is given ``--base builtin:smollm2-135m`` (the same Q4_1 GGUF; the
script checks the file size recorded in the adapter's base folder name).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

BASE = "builtin:smollm2-135m"


def sh(argv: list[str], log: list[str]) -> subprocess.CompletedProcess[str]:
    log.append(shlex.join(argv))
    return subprocess.run(argv, check=True, capture_output=True, text=True)


def start(argv: list[str], log: list[str], out: Path) -> subprocess.Popen[str]:
    log.append(shlex.join(argv))
    return subprocess.Popen(argv, stdout=out.open("w"), stderr=subprocess.STDOUT, text=True)


def spider_sample(spider: Path, folder: Path, seed: int) -> Path:
    """A Spider folder whose dev.json is the dev questions in a seeded random order."""
    folder.mkdir(parents=True, exist_ok=True)
    items = json.loads((spider / "dev.json").read_text("utf-8"))
    random.Random(seed).shuffle(items)
    (folder / "dev.json").write_text(json.dumps(items))
    tables = folder / "tables.json"
    if not tables.exists():
        tables.symlink_to((spider / "tables.json").resolve())
    return folder


def summaries(report: Path) -> dict[str, dict]:
    data = json.loads((report / "results.json").read_text())
    return {m["model"]: m for m in data["models"]}


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adapter", type=Path, required=True)
    parser.add_argument("--workspace", default="examples/shop")
    parser.add_argument("--synthetic", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=None, help="dataset seed (default: the CLI's)")
    parser.add_argument("--spider", type=Path, required=True, help="Spider folder (dev.json, tables.json)")
    parser.add_argument("--spider-seed", type=int, default=0)
    parser.add_argument("--shop-limit", type=int, default=30)
    parser.add_argument("--spider-limit", type=int, default=30)
    parser.add_argument("--name", default="smollm2-shop-gpu", help="name of the exported model")
    parser.add_argument("--work", type=Path, default=Path("/tmp/tuned_vs_base"))
    parser.add_argument("--sequential", action="store_true",
                        help="run the two evaluations one after the other (default: together)")
    parser.add_argument("--append", type=Path, help="append the markdown to this file")
    args = parser.parse_args()

    qw = str(Path(sys.executable).with_name("querywright"))
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    log: list[str] = []
    began = time.monotonic()
    trained = json.loads((args.adapter / "train_result.json").read_text())
    config = json.loads((args.adapter / "train_config.json").read_text())
    peft = json.loads((args.adapter / "adapter_config.json").read_text())

    # 1. the training data again, deterministically
    ds = work / "ds"
    build = [qw, "dataset", "build", "--workspace", args.workspace, "--synthetic",
             str(args.synthetic), "-o", str(ds), "--progress", "none", "--json"]
    if args.seed is not None:
        build += ["--seed", str(args.seed)]
    summary = json.loads(sh(build, log).stdout)
    train_n = sum(summary["splits"]["train"].values())
    test_n = sum(summary["splits"]["test"].values())
    if train_n != trained["examples"]:
        sys.exit(f"rebuilt train split has {train_n} records, the adapter saw "
                 f"{trained['examples']}: not the same data")

    # 2. adapter GGUF on top of the builtin base GGUF, registered for the embedded engine
    export = json.loads(sh([qw, "export", "--adapter", str(args.adapter), "--name", args.name,
                            "--base", BASE, "--mode", "adapter", "--ollama", "off",
                            "--out", str(work / "export"), "--overwrite", "--progress", "none"],
                           log).stdout.splitlines()[-1])
    base_gguf = Path(export["gguf"])
    same_base = str(peft.get("base_model_name_or_path", "")).endswith(f"-{base_gguf.stat().st_size}")

    # 3. both models on both sets
    sample = spider_sample(args.spider, work / "spider-sample", args.spider_seed)
    models = ["--model", BASE, "--model", export["model"]]
    evals = {
        "shop": [qw, "eval", *models, "--data", str(ds / "test.jsonl"), "--limit",
                 str(args.shop_limit), "--progress", "none", "-o", str(work / "eval-shop")],
        "spider": [qw, "eval", *models, "--spider", str(sample), "--limit",
                   str(args.spider_limit), "--progress", "none", "-o", str(work / "eval-spider")],
    }
    eval_began = time.monotonic()
    if args.sequential:
        for name, argv in evals.items():
            sh(argv, log)
    else:
        procs = {name: start(argv, log, work / f"eval-{name}.log") for name, argv in evals.items()}
        for name, proc in procs.items():
            if proc.wait():
                sys.exit(f"eval {name} failed: see {work / f'eval-{name}.log'}")
    eval_s = time.monotonic() - eval_began
    shop, spider = summaries(work / "eval-shop"), summaries(work / "eval-spider")
    from querywright.trainer.eval import load_examples

    spider_records = load_examples(spider=str(sample), limit=args.spider_limit)
    schemas = len({r["schema_id"] for r in spider_records})

    # 4. markdown
    try:
        load = " (load average {:.1f}, {:.1f}, {:.1f} at the end)".format(*os.getloadavg())
    except OSError:
        load = ""
    import torch  # only for the version line

    lines = [
        "",
        (f"## Fine-tuned on the GPU: base vs tuned (execution accuracy) "
         f"({datetime.now():%Y-%m-%d %H:%M})"),
        "",
        (f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs{load}, "
        f"no GPU, Python {platform.python_version()}, torch {torch.__version__}, "
        "xllamacpp embedded engine (evaluation on the CPU)."),
        (f"Adapter: `{args.adapter}` (LoRA r={peft.get('r')}, alpha={peft.get('lora_alpha')}, "
        f"{len(peft.get('target_modules') or [])} projection kinds; {trained['examples']} train "
        f"records, {config.get('epochs')} epochs, {trained['steps']} steps of batch "
        f"{config.get('batch_size')}, backend {trained['backend']['backend']} on "
        f"{trained['backend']['device']}, final loss {trained['final_loss']:.3f}). "
        f"Its base is the builtin Q4_1 GGUF dequantized "
        f"({'file size matches' if same_base else 'file size DOES NOT match'} "
        f"`{peft.get('base_model_name_or_path')}`)."),
        (f"Rebuilt dataset: {train_n} train / {sum(summary['splits']['validation'].values())} "
        f"validation / {test_n} test records (seed {summary['settings']['seed']}; split by "
        "query, so no test query is in the train split). Spider: dev.json shuffled with seed "
        f"{args.spider_seed}, the first {args.spider_limit} questions that load "
        f"({schemas} databases), "
        "each run on a scratch SQLite database built from its schema with generated rows "
        "(Spider's own databases are not here)."),
        "",
        (f"Commands (`python bench/tuned_vs_base.py --adapter {args.adapter} --spider "
        f"{args.spider} --shop-limit {args.shop_limit} --spider-limit {args.spider_limit}"
        f"{' --sequential' if args.sequential else ''} --append bench/RESULTS.md` ran, "
        f"{'one after the other' if args.sequential else 'the two evaluations side by side'}):"),
        "",
        "```",
        *[line.replace(str(Path(qw)), "querywright") for line in log],
        "```",
        "",
        f"{time.monotonic() - began:.0f} s in all, of which {eval_s:.0f} s evaluating.",
        "",
        ("Execution accuracy counts the questions whose gold query ran; the next column counts "
         "only those whose gold query returns at least one row on the scratch database (an "
         "empty gold result is matched by any prediction that returns nothing, valid or not)."),
        "",
        ("| model | set | execution accuracy | exec. acc., gold returns rows | valid SQL | "
         "exact match | gold ran | median latency |"),
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, results in ((f"shop test (first {args.shop_limit} of {test_n})", shop),
                           (f"Spider dev ({args.spider_limit}, seeded sample)", spider)):
        for model, s in results.items():
            n, ex = s["examples"], s["executed"]
            right = round((s["execution_accuracy"] or 0) * ex)
            valid = round((s["valid_rate"] or 0) * n)
            exact = round((s["exact_match"] or 0) * n)
            lat = s["median_latency_ms"]
            with_rows = s["gold_with_rows"]
            hits = round((s["execution_accuracy_gold_rows"] or 0) * with_rows)
            lines.append(
                f"| {model} | {label} | {pct(s['execution_accuracy'])} ({right}/{ex}) | "
                f"{pct(s['execution_accuracy_gold_rows'])} ({hits}/{with_rows}) | "
                f"{pct(s['valid_rate'])} ({valid}/{n}) | {pct(s['exact_match'])} ({exact}/{n}) | "
                f"{ex}/{n} | {'n/a' if lat is None else f'{lat:.0f} ms'} |"
                + (f" error: {s['error']}" if s.get("error") else ""))
    lines.append("")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        with args.append.open("a") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
