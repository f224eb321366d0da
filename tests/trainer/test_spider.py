"""The Spider-format loader on a tiny benchmark written here (two databases, five questions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from querywright.trainer.records import record_errors
from querywright.trainer.spider import load_databases, load_spider

TABLES = [
    {
        "db_id": "concerts",
        "table_names_original": ["singer", "concert", "singer_in_concert"],
        "table_names": ["singer", "concert", "singer in concert"],
        "column_names_original": [[-1, "*"], [0, "Singer_ID"], [0, "Name"], [0, "Age"], [1, "concert_ID"], [1, "Year"],
                                  [2, "concert_ID"], [2, "Singer_ID"]],
        "column_names": [[-1, "*"], [0, "singer id"], [0, "name"], [0, "age"], [1, "concert id"], [1, "year"],
                         [2, "concert id"], [2, "singer id"]],
        "column_types": ["text", "number", "text", "number", "number", "text", "number", "number"],
        "primary_keys": [1, 4, [6, 7]],
        "foreign_keys": [[6, 4], [7, 1]],
    },
    {
        "db_id": "pets",
        "table_names_original": ["Pets"],
        "table_names": ["pets"],
        "column_names_original": [[-1, "*"], [0, "PetID"], [0, "PetType"], [0, "weight"]],
        "column_names": [[-1, "*"], [0, "pet id"], [0, "pet type"], [0, "weight"]],
        "column_types": ["text", "number", "text", "number"],
        "primary_keys": [1],
        "foreign_keys": [],
    },
]
QUESTIONS = [
    {"db_id": "concerts", "question": "How many singers are there?", "query": "SELECT count(*) FROM singer"},
    {"db_id": "concerts", "question": "Names of singers in concerts of 2014.",
     "query": 'SELECT T1.Name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.Singer_ID = T2.Singer_ID '
              'JOIN concert AS T3 ON T2.concert_ID = T3.concert_ID WHERE T3.Year = "2014"'},
    {"db_id": "pets", "question": "Average weight of dogs.", "query": "SELECT avg(weight) FROM pets WHERE PetType = 'dog'"},
    {"db_id": "pets", "question": "Broken gold.", "query": "SELECT colour FROM Pets"},
    {"db_id": "missing_db", "question": "No such database.", "query": "SELECT 1"},
    {"db_id": "pets", "question": None, "query": "SELECT 1"},
]


@pytest.fixture()
def spider_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "spider"
    folder.mkdir()
    (folder / "tables.json").write_text(json.dumps(TABLES))
    (folder / "dev.json").write_text(json.dumps(QUESTIONS))
    return folder


def test_ddl_has_keys(spider_dir: Path) -> None:
    dbs = load_databases(spider_dir / "tables.json")
    concerts = dbs["concerts"]
    assert "PRIMARY KEY (concert_ID, Singer_ID)" in concerts.ddl
    assert "FOREIGN KEY (Singer_ID) REFERENCES singer (Singer_ID)" in concerts.ddl
    table = concerts.catalog.find("singer_in_concert")
    assert table is not None and len(table.foreign_keys) == 2
    assert set(concerts.catalog.tables) == {"singer", "concert", "singer_in_concert"}


def test_records_validate_and_bad_gold_is_counted(spider_dir: Path) -> None:
    result = load_spider(spider_dir)
    assert [r["question"] for r in result.records] == [q["question"] for q in QUESTIONS[:3]]
    assert result.dropped.as_dict() == {"unknown-column": 1, "unknown-database": 1, "missing-field": 1}
    for record in result.records:
        assert record_errors(record) == []
        assert record["source"] == "spider" and record["dialect"] == "sqlite"
        assert record["schema_id"].startswith("spider:")
    # a double-quoted string (MySQL style) is rewritten so SQLite reads it as a string
    assert "'2014'" in result.records[1]["sql"]


def test_database_folder_is_recorded(spider_dir: Path) -> None:
    db = spider_dir / "database" / "pets"
    db.mkdir(parents=True)
    (db / "pets.sqlite").write_bytes(b"")
    result = load_spider(spider_dir)
    pets = [r for r in result.records if r["schema_id"] == "spider:pets"]
    assert pets and pets[0]["provenance"]["database"].endswith("pets.sqlite")
