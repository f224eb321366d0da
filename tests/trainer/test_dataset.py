"""Dataset builds: the CI build from an example workspace, dedupe, leak-free splits, weights,
the general set replayed into train, atomic writes and the ``dataset build`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from querywright.cli.main import main
from querywright.server.errors import TrainingError
from querywright.server.sql.scratch import database_for, run
from querywright.trainer.dataset import build_dataset
from querywright.trainer.eval import load_records
from querywright.trainer.general import general_records, read_general
from querywright.trainer.mixing import SPLITS, dedupe, leaks, parse_weights, split
from querywright.trainer.public import write_rows
from querywright.trainer.records import make_record, read_jsonl, record_errors, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop"
ROWS = json.loads((Path(__file__).parent / "fixtures" / "data" / "public_rows.json").read_text("utf-8"))


@pytest.fixture()
def public_file(tmp_path: Path) -> Path:
    return write_rows(ROWS, tmp_path / "public.parquet")


def _read_splits(out: Path) -> dict[str, list[dict]]:
    return {name: list(read_jsonl(out / f"{name}.jsonl")) for name in SPLITS}


def test_ci_build_from_example_workspace(tmp_path: Path, public_file: Path) -> None:
    """Harvest + synthesis over examples/shop + a public-format fixture: every record validates."""
    out = tmp_path / "dataset"
    summary = build_dataset(SHOP, out, public=public_file, synthetic=80, progress="none")
    splits = _read_splits(out)
    records = [r for rs in splits.values() for r in rs]
    assert len(records) == summary.total > 80
    assert {r["source"] for r in records} == {"harvest", "synthetic", "public"}
    for name, rs in splits.items():
        for record in rs:
            assert record_errors(record) == [], record
            assert record["split"] == name
    assert len({r["id"] for r in records}) == len(records)
    assert leaks(splits) == []
    written = json.loads((out / "summary.json").read_text())
    assert written["total"] == len(records)
    assert written["dropped"]["public"]["unknown-column"] == 1
    assert written["dropped"]["public"]["near-duplicate"] == 1  # row 7 rewords row 5
    assert written["dropped"]["harvest"]["parse-error"] == 1  # the shop's mistakes.sql
    assert written["synthesis"]["execute_share"] == 1.0
    assert sorted(p.name for p in out.iterdir()) == ["summary.json", "test.jsonl", "train.jsonl",
                                                     "validation.jsonl", "workspace.sqlite"]
    # the synthetic pairs name the rows they were made on, and their gold SQL returns rows there
    test_records = [r for r in load_records(out / "test.jsonl") if r["source"] == "synthetic"]
    assert test_records and all(Path(r["db_path"]) == out / "workspace.sqlite" for r in test_records)
    for record in test_records:
        conn = database_for(record)
        try:
            assert run(conn, record["sql"], record["dialect"]).rows, record["sql"]
        finally:
            conn.close()


def test_split_by_schema_keeps_each_schema_in_one_split(tmp_path: Path, public_file: Path) -> None:
    out = tmp_path / "by-schema"
    build_dataset(SHOP, out, public=public_file, synthetic=30, split_by_schema=True, progress="none")
    splits = _read_splits(out)
    assert leaks(splits, by_schema=True) == []
    homes: dict[str, set[str]] = {}
    for name, records in splits.items():
        for record in records:
            homes.setdefault(record["schema_id"], set()).add(name)
    assert all(len(v) == 1 for v in homes.values())


def test_weights_repeat_and_drop_sources(tmp_path: Path, public_file: Path) -> None:
    out = tmp_path / "weighted"
    summary = build_dataset(SHOP, out, public=public_file, synthetic=20,
                            weights={"harvest": 3, "public": 0}, progress="none")
    splits = _read_splits(out)
    assert not any(r["source"] == "public" for rs in splits.values() for r in rs)
    harvest_train = [r for r in splits["train"] if r["source"] == "harvest"]
    assert harvest_train and len(harvest_train) % 3 == 0
    assert summary.read.get("public") is None


def _record(question: str, sql: str, schema_id: str = "s") -> dict:
    return make_record(source="synthetic", dialect="postgres", schema="CREATE TABLE t (a INT);",
                       schema_id=schema_id, question=question, sql=sql)


def test_dedupe_exact_and_near() -> None:
    records = [
        _record("How many rows are in t?", "SELECT COUNT(*) FROM t"),
        _record("How many rows are in t?", "select count(*)  from t"),  # same after normalising
        _record("How many rows are there in t?", "SELECT count(*) FROM t"),  # near duplicate
        _record("Count t", "SELECT COUNT(*) FROM t"),  # same SQL, different question: kept
        _record("How many rows are in t?", "SELECT COUNT(*) FROM t", schema_id="other"),  # other schema
    ]
    kept, dropped = dedupe(records)
    assert [r["question"] for r in kept] == ["How many rows are in t?", "Count t", "How many rows are in t?"]
    assert dict(dropped["synthetic"]) == {"duplicate": 1, "near-duplicate": 1}


def test_split_never_separates_one_query() -> None:
    records = [_record(f"q{i} about a", f"SELECT a FROM t WHERE a = {i % 7}") for i in range(200)]
    splits = split(records, seed=5)
    assert leaks(splits) == []
    assert all(splits[name] for name in SPLITS)
    assert sum(len(v) for v in splits.values()) == 200


def test_parse_weights() -> None:
    assert parse_weights("harvest=3, synthetic=1,public=0.5") == {"harvest": 3.0, "synthetic": 1.0, "public": 0.5}
    for bad in ("harvest", "nope=1", "public=-1", "public=x"):
        with pytest.raises(ValueError):
            parse_weights(bad)


def test_failed_write_leaves_no_half_file(tmp_path: Path) -> None:
    target = tmp_path / "train.jsonl"
    write_jsonl(target, [{"a": 1}])

    def broken():
        yield {"a": 2}
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_jsonl(target, broken())
    assert target.read_text() == '{"a": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]


def test_cli_dataset_build(tmp_path: Path, public_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    code = main(["dataset", "build", "--workspace", str(SHOP), "--public", str(public_file), "--synthetic", "20",
                 "--weights", "harvest=2", "--json", "-o", str(out)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total"] == sum(1 for name in SPLITS for _ in read_jsonl(out / f"{name}.jsonl"))


def test_cli_rejects_bad_weights(tmp_path: Path) -> None:
    assert main(["dataset", "build", "--workspace", str(SHOP), "--weights", "bogus=1", "-o", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


def test_spider_records_go_to_test_only(tmp_path: Path) -> None:
    spider = tmp_path / "spider"
    spider.mkdir()
    (spider / "tables.json").write_text(json.dumps([{
        "db_id": "pets", "table_names_original": ["pets"], "table_names": ["pets"],
        "column_names_original": [[-1, "*"], [0, "id"], [0, "kind"]], "column_names": [[-1, "*"], [0, "id"], [0, "kind"]],
        "column_types": ["text", "number", "text"], "primary_keys": [1], "foreign_keys": [],
    }]))
    (spider / "dev.json").write_text(json.dumps([
        {"db_id": "pets", "question": "How many pets?", "query": "SELECT count(*) FROM pets"},
        {"db_id": "pets", "question": "Kinds of pets.", "query": "SELECT DISTINCT kind FROM pets"},
    ]))
    out = tmp_path / "eval"
    build_dataset(SHOP, out, spider=spider, synthetic=10, progress="none")
    splits = _read_splits(out)
    assert [r["question"] for r in splits["test"] if r["source"] == "spider"] == ["How many pets?", "Kinds of pets."]
    assert not any(r["source"] == "spider" for name in ("train", "validation") for r in splits[name])


def test_general_pairs_are_replayed_into_train_only(tmp_path: Path) -> None:
    out = tmp_path / "with-general"
    summary = build_dataset(SHOP, out, synthetic=40, general=0.5, progress="none")
    splits = _read_splits(out)
    workspace_train = [r for r in splits["train"] if r["source"] != "general"]
    general = [r for r in splits["train"] if r["source"] == "general"]
    assert general and len(general) == round(0.5 * len(workspace_train))
    assert {r["schema_id"] for r in general} <= {r["schema_id"] for r in read_general().records}
    assert not any(r["source"] == "general" for name in ("validation", "test") for r in splits[name])
    assert summary.splits["train"]["general"] == len(general)
    assert not any(record_errors(r) for r in general)


def test_a_damaged_general_set_is_counted_or_named(tmp_path: Path) -> None:
    import gzip

    good = next(iter(read_general().records))
    path = tmp_path / "g.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps(good) + "\n{not json\n" + json.dumps({**good, "sql": 3}) + "\n")
    load = general_records(5, path=path)
    assert len(load.records) == 1 and load.read == 3
    assert load.dropped.as_dict() == {"bad-json": 1, "invalid-record": 1}
    path.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(TrainingError, match="cannot read the general SQL set"):
        general_records(5, path=path)
    with pytest.raises(TrainingError, match="is missing"):
        general_records(5, path=tmp_path / "none.gz")
