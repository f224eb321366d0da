"""Evaluation: example loaders (records, Spider, public set), scoring, report, CLI, real model."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from querywright.cli.main import main
from querywright.server.errors import TrainingError
from querywright.trainer import eval as evaluation
from querywright.trainer.eval import ExampleResult, ModelResult
from querywright.trainer.report import write_report

SCHEMA = ("CREATE TABLE users (id INT PRIMARY KEY, name TEXT, country CHAR(2));\n"
          "CREATE TABLE orders (id INT PRIMARY KEY, user_id INT REFERENCES users (id), "
          "total INT);")


def records_file(tmp_path: Path) -> Path:
    rows = [
        {"id": "a", "source": "harvest", "dialect": "postgres", "schema": SCHEMA,
         "question": "names of all users", "sql": "SELECT name FROM users", "split": "train"},
        {"id": "b", "source": "harvest", "dialect": "postgres", "schema": SCHEMA,
         "question": "how many orders", "sql": "SELECT count(*) FROM orders", "split": "test"},
        {"id": "c", "source": "harvest", "dialect": "postgres", "schema": SCHEMA,
         "question": "users by country", "sql": "SELECT country, count(*) FROM users GROUP BY 1",
         "split": "test"},
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_records_use_the_test_split(tmp_path: Path) -> None:
    examples = evaluation.load_examples(data=str(records_file(tmp_path)))
    assert [r["id"] for r in examples] == ["b", "c"]
    assert len(evaluation.load_examples(data=str(records_file(tmp_path)), limit=1)) == 1


def test_exactly_one_source(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="exactly one"):
        evaluation.load_examples()
    with pytest.raises(TrainingError, match="does not exist"):
        evaluation.load_examples(data=str(tmp_path / "missing.jsonl"))


def test_spider_questions_run_on_their_database(tmp_path: Path) -> None:
    (tmp_path / "tables.json").write_text(json.dumps([{
        "db_id": "pets", "table_names_original": ["pet"], "table_names": ["pet"],
        "column_names_original": [[-1, "*"], [0, "id"], [0, "name"]],
        "column_names": [[-1, "*"], [0, "id"], [0, "name"]],
        "column_types": ["text", "number", "text"], "primary_keys": [1], "foreign_keys": []}]))
    (tmp_path / "dev.json").write_text(json.dumps([
        {"db_id": "pets", "question": "How many pets?", "query": "SELECT count(*) FROM pet"}]))
    db = tmp_path / "database" / "pets"
    db.mkdir(parents=True)
    with sqlite3.connect(db / "pets.sqlite") as conn:
        conn.execute("CREATE TABLE pet (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO pet VALUES (?, ?)", [(1, "Rex"), (2, "Tom"), (3, "Kit")])
    [record] = evaluation.load_examples(spider=str(tmp_path))
    assert record["db_path"] == str(db / "pets.sqlite")
    example = evaluation.score_output(record, "SELECT count(id) FROM pet")
    assert example.execution is True and example.valid and not example.exact
    wrong = evaluation.score_output(record, "SELECT count(*) FROM pet WHERE id > 1")
    assert wrong.execution is False


def test_public_rows_run_on_their_setup_sql(tmp_path: Path) -> None:
    row = {"id": 7, "domain": "retail", "domain_description": "", "sql_complexity": "aggregation",
           "sql_complexity_description": "", "sql_task_type": "analytics",
           "sql_task_type_description": "", "sql_prompt": "Total sales?",
           "sql_context": "CREATE TABLE sales (id INT, amount INT); "
                          "INSERT INTO sales VALUES (1, 10), (2, 32);",
           "sql": "SELECT SUM(amount) FROM sales;", "sql_explanation": ""}
    path = tmp_path / "public.jsonl"
    path.write_text(json.dumps(row) + "\n")
    [record] = evaluation.load_examples(public=str(path))
    assert record["complexity"] == "aggregation"
    assert evaluation.score_output(record, "SELECT 42").execution is True  # 10 + 32
    assert evaluation.score_output(record, "SELECT SUM(amount) FROM sales").exact is True


def test_summary_and_report(tmp_path: Path) -> None:
    def example(i: int, execution: bool | None, valid: bool, exact: bool) -> ExampleResult:
        return ExampleResult(id=str(i), question=f"q{i}", gold="SELECT 1", predicted="SELECT 2",
                             valid=valid, exact=exact, execution=execution, errors=[],
                             latency_ms=10.0 * (i + 1), complexity="basic SQL")

    base = ModelResult("builtin:base", [example(0, False, True, False),
                                        example(1, True, True, False),
                                        example(2, None, False, False),
                                        example(3, False, False, False)])
    tuned = ModelResult("tuned", [example(0, True, True, True), example(1, True, True, False),
                                  example(2, None, True, False), example(3, True, True, True)])
    summary = base.summary()
    assert summary["execution_accuracy"] == pytest.approx(1 / 3)  # the gold of #2 did not run
    assert summary["executed"] == 3 and summary["gold_errors"] == 1
    assert summary["valid_rate"] == 0.5 and summary["exact_match"] == 0.0
    assert summary["median_latency_ms"] == 25.0
    paths = write_report([base, tuned], tmp_path / "report", title="Base vs tuned")
    text = paths["markdown"].read_text()
    assert "| builtin:base | 33.3% | 50.0% | 0.0% | 3/4 | 25 ms |" in text
    assert "| tuned | 100.0% | 100.0% | 50.0% | 3/4 | 25 ms |" in text
    assert "| basic SQL | 33.3% (3) | 100.0% (3) |" in text
    assert "![metrics](report.png)" in text
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(paths["results"].read_text())
    assert [m["model"] for m in data["models"]] == ["builtin:base", "tuned"]
    assert sorted(p.name for p in paths["markdown"].parent.iterdir()) == [
        "report.md", "report.png", "results.json"]


def test_cli_reports_a_model_that_cannot_be_opened(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval", "--model", "no-such-model", "--data", str(records_file(tmp_path)),
                 "--progress", "none", "-o", str(tmp_path / "out")])
    assert code == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "no registered model named 'no-such-model'" in lines[0]["error"]
    assert "failed: no registered model" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.model
def test_real_model_end_to_end(tmp_path: Path) -> None:
    examples = evaluation.load_examples(data=str(records_file(tmp_path)))
    [result] = evaluation.evaluate(["builtin:smollm2-135m"], examples, tmp_path / "out",
                                   progress_mode="none")
    assert result.error is None and len(result.examples) == 2
    assert all(e.predicted.upper().startswith("SELECT") for e in result.examples)
    summary = result.summary()
    assert summary["executed"] == 2 and 0.0 <= summary["execution_accuracy"] <= 1.0
    assert (tmp_path / "out" / "report.md").is_file()
