"""Ship an exported adapter as the built-in model's SQL adapter.

    python scripts/ship_adapter.py --export DIR --train-result FILE --dataset-summary FILE \
        [--name smollm2-135m-sql] [--rebuild-commands FILE]

Copies ``DIR/adapter.gguf`` (written by ``querywright export --mode adapter``) to
``server/ai/adapters/NAME.gguf``, writes ``NAME.json`` beside it (the adapter's size and
SHA-256, the base it applies to, the training settings and result, the dataset's counts, and
the exact commands that rebuild it) and pins the size and SHA-256 in ``server/ai/models.py``.
Nothing here is typed by hand: every figure comes from the files the commands wrote.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADAPTERS = REPO / "server" / "ai" / "adapters"
MODELS = REPO / "server" / "ai" / "models.py"
LIMIT = 16 * 2**20

REBUILD = [
    "querywright dataset build --schemas spider/tables.json --synthetic {synthetic} --jobs 16 --seed {seed} -o ds",
    (
        "querywright train --base builtin:smollm2-135m-base --data ds/train.jsonl --backend auto "
        "--set batch_size={batch_size} --set batching={batching} --set epochs={epochs:g} --set max_seq_length={max_seq_length} "
        "--set learning_rate={learning_rate:g} --out gen"
    ),
    "querywright export --adapter gen --mode adapter --ollama off --name {name} --out gen-export",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--export", type=Path, required=True)
    parser.add_argument("--train-result", type=Path, required=True)
    parser.add_argument("--dataset-summary", type=Path, required=True)
    parser.add_argument("--name", default="smollm2-135m-sql")
    args = parser.parse_args()

    source = args.export / "adapter.gguf"
    data = source.read_bytes()
    if len(data) > LIMIT:
        raise SystemExit(f"{source} is {len(data)} bytes, over the {LIMIT}-byte limit for a shipped adapter")
    digest = hashlib.sha256(data).hexdigest()
    exported = json.loads((args.export / "manifest.json").read_text("utf-8"))
    result = json.loads(args.train_result.read_text("utf-8"))
    summary = json.loads(args.dataset_summary.read_text("utf-8"))
    config = exported.get("config", {})
    settings = summary.get("settings", {})

    ADAPTERS.mkdir(parents=True, exist_ok=True)
    target = ADAPTERS / f"{args.name}.gguf"
    shutil.copyfile(source, target)
    manifest = {
        "name": args.name,
        "adapter": {"file": target.name, "size": len(data), "sha256": digest},
        "base": {"model": "builtin:smollm2-135m-base", "sha256": exported.get("base", {}).get("sha256")},
        "prompt_format": exported.get("prompt_format"),
        "dataset": {
            "sources": "question-shaped synthesis over the 166 schemas of Spider's tables.json "
                       "(CC BY-SA 4.0); no evaluation question is used",
            "synthetic_per_schema": settings.get("synthetic"),
            "seed": settings.get("seed"),
            "splits": summary.get("splits"),
            "dropped": summary.get("dropped"),
        },
        "training": {
            key: config.get(key)
            for key in ("batch_size", "epochs", "learning_rate", "lr_scheduler", "lora_r", "lora_alpha",
                        "lora_dropout", "target_modules", "max_seq_length", "seed")
        } | {
            "backend": result.get("backend"),
            "steps": result.get("steps"),
            "final_loss": result.get("final_loss"),
            "train_seconds": result.get("train_seconds"),
            "tokens_seen": result.get("tokens_seen"),
            "peak_memory_bytes": result.get("peak_memory_bytes"),
        },
        "rebuild": [
            line.format(name=args.name, synthetic=settings.get("synthetic"), seed=settings.get("seed"),
                        batch_size=config.get("batch_size"), batching=(result.get("backend") or {}).get("batching", "auto"),
                        epochs=float(config.get("epochs") or 1),
                        max_seq_length=config.get("max_seq_length"), learning_rate=float(config.get("learning_rate") or 0))
            for line in REBUILD
        ],
        "license": "Apache-2.0 (the base model's); trained on data synthesized over Spider schemas (CC BY-SA 4.0)",
    }
    (ADAPTERS / f"{args.name}.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")

    text = MODELS.read_text("utf-8")
    text = re.sub(r"^ADAPTER_SIZE = .*$", f"ADAPTER_SIZE = {len(data):_}", text, count=1, flags=re.MULTILINE)
    text = re.sub(r'^ADAPTER_SHA256 = ".*"$', f'ADAPTER_SHA256 = "{digest}"', text, count=1, flags=re.MULTILINE)
    MODELS.write_text(text, "utf-8")
    print(json.dumps({"adapter": str(target), "size": len(data), "sha256": digest}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
