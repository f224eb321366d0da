"""The general SQL set: text-to-SQL pairs over many public schemas, replayed into a repo tune.

The set ships with the package (``general/sql-pairs.jsonl.gz``, training records in the
shared format; ``general/manifest.json`` says what it was built from and the command that
rebuilds it, ``scripts/build_general_set.py``). It is synthesized by ``dataset build --schemas``
over Spider's schemas, the same kind of pairs the shipped SQL adapter was tuned on, and none
of it comes from an evaluation question. :func:`general_records` draws a seeded sample of it,
marked ``source = "general"``; a row that does not parse or validate is counted, never fatal.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..server.errors import TrainingError
from .records import Drops, Record, record_errors

GENERAL_DIR = Path(__file__).resolve().parent / "general"
GENERAL_FILE = GENERAL_DIR / "sql-pairs.jsonl.gz"


@dataclass
class GeneralLoad:
    """A sample of the general set: the records, how many rows were read, and the drops."""

    records: list[Record]
    read: int = 0
    dropped: Drops = field(default_factory=Drops)


def read_general(path: Path = GENERAL_FILE) -> GeneralLoad:
    """Every valid record of the general set at ``path``."""
    if not path.is_file():
        raise TrainingError(f"the general SQL set {path} is missing; reinstall querywright, or "
                            "build without it (general=0)")
    load = GeneralLoad([])
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise TrainingError(f"cannot read the general SQL set {path}: {exc}") from exc
    for line in lines:
        if not line.strip():
            continue
        load.read += 1
        try:
            record = json.loads(line)
        except ValueError:
            load.dropped.add("bad-json")
            continue
        if not isinstance(record, dict):
            load.dropped.add("bad-json")
            continue
        record = {**record, "source": "general", "split": "train", "id": f"general-{record.get('id')}"}
        if record_errors(record):
            load.dropped.add("invalid-record")
            continue
        load.records.append(record)
    return load


def general_records(count: int, seed: int = 0, path: Path = GENERAL_FILE) -> GeneralLoad:
    """A seeded sample of ``count`` records of the general set (all of it when it holds fewer)."""
    load = read_general(path)
    if count < len(load.records):
        load.records = random.Random(seed).sample(load.records, count)
    return load
