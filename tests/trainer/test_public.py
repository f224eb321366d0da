"""The public set loader on files in its 11-column format, good rows and bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from querywright.server.errors import TrainingError
from querywright.trainer.public import COLUMNS, load_public, write_rows
from querywright.trainer.records import record_errors

ROWS = json.loads((Path(__file__).parent / "fixtures" / "data" / "public_rows.json").read_text("utf-8"))
GOOD_IDS = {1, 2, 3, 4, 5, 6, 7}
EXPECTED_DROPS = {"unknown-column": 1, "unknown-table": 1, "parse-error": 2, "missing-field": 2}


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_loads_valid_rows_and_counts_the_rest(tmp_path: Path, suffix: str) -> None:
    path = write_rows(ROWS, tmp_path / f"public{suffix}")
    result = load_public(path)
    assert result.rows == len(ROWS)
    assert {r["provenance"]["row"] for r in result.records} == GOOD_IDS
    assert result.dropped.as_dict() == EXPECTED_DROPS
    for record in result.records:
        assert record_errors(record) == []
        assert record["source"] == "public"
        assert record["schema"].startswith("CREATE TABLE")
        assert "INSERT" in record["setup_sql"]
    by_id = {r["provenance"]["row"]: r for r in result.records}
    assert by_id[4]["complexity"] == "window functions"
    assert by_id[1]["explanation"] == "Averages the salary of IT employees."


def test_parquet_has_the_eleven_columns(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = write_rows(ROWS[:2], tmp_path / "p.parquet")
    assert tuple(pq.ParquetFile(path).schema_arrow.names) == COLUMNS


def test_corrupt_parquet_is_counted_not_raised(tmp_path: Path) -> None:
    path = write_rows(ROWS, tmp_path / "public.parquet")
    data = path.read_bytes()
    (tmp_path / "truncated.parquet").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.parquet").write_bytes(b"\x00\x01not parquet at all" * 50)
    for name in ("truncated.parquet", "garbage.parquet"):
        result = load_public(tmp_path / name)
        assert result.records == []
        assert result.dropped.as_dict() == {"corrupt-file": 1}


def test_bad_jsonl_lines_are_counted(tmp_path: Path) -> None:
    path = write_rows(ROWS[:2], tmp_path / "public.jsonl")
    with path.open("ab") as handle:
        handle.write(b"{not json\n")
        handle.write(b'"a string, not an object"\n')
        handle.write(b'{"sql_prompt": "caf\xe9", "sql": "SELECT 1"}\n')  # Latin-1 byte: not UTF-8
        handle.write(b"\n")
        handle.write(json.dumps({"sql_prompt": "only a prompt"}).encode() + b"\n")
    result = load_public(path)
    assert len(result.records) == 2
    assert result.dropped.as_dict() == {"bad-json": 1, "bad-row": 1, "not-utf8": 1, "missing-field": 1}


def test_folder_of_files_and_limit(tmp_path: Path) -> None:
    write_rows(ROWS[:3], tmp_path / "data" / "a.parquet")
    write_rows(ROWS[3:6], tmp_path / "data" / "b.jsonl")
    assert len(load_public(tmp_path / "data").records) == 6
    limited = load_public(tmp_path / "data", limit=2)
    assert limited.rows == 2 and len(limited.records) == 2


def test_other_dialect_sql_is_dropped(tmp_path: Path) -> None:
    row = dict(ROWS[0], id=99, sql="SELECT TOP 2 name FROM employees")
    result = load_public(write_rows([row], tmp_path / "t.jsonl"))
    assert result.records == [] and result.dropped.as_dict() == {"parse-error": 1}


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingError):
        load_public(tmp_path / "nope.parquet")
