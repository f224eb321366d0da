"""Load the public text-to-SQL set (gretelai/synthetic_text_to_sql) into training records.

The source is a local parquet or JSON-lines file (or a folder of them) with the set's 11
columns, or the hub name, loaded through ``datasets`` when the machine is online. Each row's
``sql_context`` (CREATE + INSERT statements) becomes a catalog; a row is kept when its SQL
parses and names only that catalog's tables and columns. Everything else is counted by
reason (``missing-field``, ``bad-json``, ``corrupt-file``, ``parse-error``,
``unknown-column``...) and never stops the load.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..server.errors import TrainingError
from .records import (
    Drops,
    Record,
    catalog_from_sql,
    make_record,
    render_schema,
    stable_id,
    validate_sql,
)

log = logging.getLogger(__name__)

HUB_NAME = "gretelai/synthetic_text_to_sql"
COLUMNS = (
    "id", "domain", "domain_description", "sql_complexity", "sql_complexity_description",
    "sql_task_type", "sql_task_type_description", "sql_prompt", "sql_context", "sql",
    "sql_explanation",
)
REQUIRED = ("sql_prompt", "sql_context", "sql")
MAX_FIELD_CHARS = 200_000  # a row field larger than this is junk, not a training example


@dataclass
class PublicLoad:
    """What a load produced: the kept records and the dropped rows by reason."""

    records: list[Record] = field(default_factory=list)
    dropped: Drops = field(default_factory=Drops)
    rows: int = 0


# --------------------------------------------------------------------------- readers
# Each reader yields (row number, row dict) or (row number, reason) for an unreadable row.

RowItem = tuple[int, "dict[str, Any] | str"]


def _read_parquet(path: Path) -> Iterator[RowItem]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 0
    try:
        parquet = pq.ParquetFile(path)
        names = set(parquet.schema_arrow.names)
        wanted = [c for c in COLUMNS if c in names]
        for batch in parquet.iter_batches(batch_size=512, columns=wanted):
            for row in batch.to_pylist():
                yield n, row
                n += 1
    except (pa.ArrowException, OSError, ValueError) as exc:  # corrupt or truncated file
        log.warning("%s: unreadable parquet after %d rows: %s", path, n, exc)
        yield n, "corrupt-file"


def _read_jsonl(path: Path) -> Iterator[RowItem]:
    try:
        handle = path.open("rb")
    except OSError:
        yield 0, "unreadable-file"
        return
    with handle:
        for n, raw in enumerate(handle):
            if not raw.strip():
                continue
            if len(raw) > MAX_FIELD_CHARS * 4:
                yield n, "too-large"
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield n, "not-utf8"
                continue
            except json.JSONDecodeError:
                yield n, "bad-json"
                continue
            yield (n, row) if isinstance(row, dict) else (n, "bad-row")


def _read_hub(name: str, split: str) -> Iterator[RowItem]:
    try:
        import datasets
    except ImportError as exc:
        raise TrainingError("loading the public set from the hub needs `datasets` (pip install 'querywright[train]')") from exc
    try:
        data = datasets.load_dataset(name, split=split, streaming=True)
    except Exception as exc:  # boundary: the hub client raises many kinds when offline
        raise TrainingError(f"cannot load {name} from the hub ({exc.__class__.__name__}: {exc}); pass a local parquet/jsonl file instead") from exc
    for n, row in enumerate(data):
        yield n, dict(row)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in (".parquet", ".jsonl", ".json") and p.is_file())
    return [path]


def iter_rows(source: str | Path, split: str = "train") -> Iterator[tuple[str, int, dict[str, Any] | str]]:
    """(origin, row number, row or drop reason) from a file, a folder of files or the hub."""
    path = Path(source)
    if path.exists():
        for file in _files(path):
            reader = _read_parquet if file.suffix.lower() == ".parquet" else _read_jsonl
            for n, item in reader(file):
                yield file.name, n, item
        return
    text = str(source)
    if "/" in text and not text.startswith((".", "/")) and text.count("/") == 1:
        for n, item in _read_hub(text, split):
            yield text, n, item
        return
    raise TrainingError(f"public set {text!r}: no such file, and not a hub name like {HUB_NAME}")


# --------------------------------------------------------------------------- rows -> records


def row_record(row: dict[str, Any], dialect: str, origin: str, n: int) -> tuple[Record | None, str | None]:
    """A record from one row, or the reason it was dropped."""
    values = {}
    for key in REQUIRED:
        value = row.get(key)
        if not isinstance(value, str) or not value.strip():
            return None, "missing-field"
        if len(value) > MAX_FIELD_CHARS:
            return None, "too-large"
        values[key] = value
    catalog = catalog_from_sql(values["sql_context"], dialect, "sql_context")
    if not catalog.tables:
        return None, "no-schema"
    _tree, reason = validate_sql(values["sql"], catalog)
    if reason is not None:
        return None, reason
    schema = render_schema(catalog)
    row_id = row.get("id")
    explanation = row.get("sql_explanation")
    complexity = row.get("sql_complexity")
    return make_record(
        source="public",
        dialect=dialect,
        schema=schema,
        schema_id=f"public:{stable_id(schema)}",
        question=values["sql_prompt"],
        sql=values["sql"],
        explanation=explanation if isinstance(explanation, str) else None,
        complexity=complexity if isinstance(complexity, str) else None,
        setup_sql=values["sql_context"],
        provenance={"dataset": origin, "row": row_id if isinstance(row_id, (int, str)) else n,
                    "domain": row.get("domain") if isinstance(row.get("domain"), str) else None},
    ), None


def load_public(
    source: str | Path = HUB_NAME,
    *,
    split: str = "train",
    dialect: str = "sqlite",
    limit: int | None = None,
    on_row: Callable[[int], None] | None = None,
) -> PublicLoad:
    """Records from the public set; ``limit`` caps the rows read (not the rows kept).

    ``dialect`` is the dialect the set's SQL is parsed in (its contexts run on SQLite).
    ``on_row`` is called with the running row count (for progress bars).
    """
    result = PublicLoad()
    for origin, n, item in iter_rows(source, split):
        if limit is not None and result.rows >= limit:
            break
        result.rows += 1
        if on_row is not None:
            on_row(result.rows)
        if isinstance(item, str):
            result.dropped.add(item)
            continue
        record, reason = row_record(item, dialect, origin, n)
        if record is None:
            result.dropped.add(reason or "invalid")
        else:
            result.records.append(record)
    return result


def write_rows(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write rows in the public set's format (``.parquet`` with pyarrow, else JSON lines).

    Missing columns are written as nulls, so the file always has the set's 11 columns.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({c: [r.get(c) for r in rows] for c in COLUMNS})
        pq.write_table(table, path)
    else:
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps({c: row.get(c) for c in COLUMNS}) + "\n")
    return path
