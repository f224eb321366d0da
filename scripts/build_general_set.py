"""Build the general SQL set that ships with the trainer (``trainer/general/``).

    python scripts/build_general_set.py --schemas PATH/spider/tables.json [--per-schema 16] [--seed 7]

Runs ``querywright dataset build --schemas PATH --synthetic N --seed S`` (question-shaped
synthesis over every schema in the file, no evaluation question), keeps the train split and
writes it gzipped to ``trainer/general/sql-pairs.jsonl.gz`` with ``manifest.json`` beside it:
the source, the counts the build reported, the command and the licence. Nothing is typed by
hand: the counts come from the build's ``summary.json``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "trainer" / "general"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schemas", required=True, type=Path, help="Spider's tables.json")
    parser.add_argument("--per-schema", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "querywright.cli.main", "dataset", "build", "--schemas",
                   str(args.schemas), "--synthetic", str(args.per_schema), "--seed", str(args.seed),
                   "--jobs", str(os.cpu_count() or 1), "--progress", "none", "-o", tmp]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        summary = json.loads((Path(tmp) / "summary.json").read_text())
        lines = (Path(tmp) / "train.jsonl").read_text().splitlines()
    TARGET.mkdir(exist_ok=True)
    data = "\n".join(lines).encode() + b"\n"
    with gzip.GzipFile(TARGET / "sql-pairs.jsonl.gz", "wb", mtime=0) as handle:
        handle.write(data)
    manifest = {
        "file": "sql-pairs.jsonl.gz",
        "records": len(lines),
        "sha256": hashlib.sha256((TARGET / "sql-pairs.jsonl.gz").read_bytes()).hexdigest(),
        "schemas": summary.get("synthesis", {}).get("schemas"),
        "built_by": (f"querywright dataset build --schemas spider/tables.json --synthetic "
                     f"{args.per_schema} --seed {args.seed} -o ds (train split: ds/train.jsonl)"),
        "dropped": summary.get("dropped", {}),
        "source": "question-shaped synthesis over the schemas of Spider's tables.json; no "
                  "evaluation question is used",
        "license": "CC BY-SA 4.0 (Spider's schemas, Yu et al. 2018); the pairs are synthesized",
    }
    (TARGET / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{len(lines)} records -> {TARGET / 'sql-pairs.jsonl.gz'}")
    shutil.rmtree(Path(tmp), ignore_errors=True)


if __name__ == "__main__":
    main()
