"""Reading JSON-lines files of records, with one clear error per bad line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..server.errors import TrainingError


def read_jsonl(path: str | Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; ``what`` names the file in errors
    ("training data", "evaluation data")."""
    source = Path(path)
    if not source.is_file():
        raise TrainingError(f"{what} {source} does not exist")
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrainingError(f"{source}:{number}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise TrainingError(f"{source}:{number}: not a JSON object")
        yield number, row
