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
    gold_rows = {0: 2, 1: 0, 2: None, 3: 5}  # #1's gold returns nothing, #2's did not run

    def example(i: int, execution: bool | None, valid: bool, exact: bool) -> ExampleResult:
        return ExampleResult(id=str(i), question=f"q{i}", gold="SELECT 1", predicted="SELECT 2",
                             valid=valid, exact=exact, execution=execution, errors=[],
                             latency_ms=10.0 * (i + 1), complexity="basic SQL",
                             gold_rows=gold_rows[i])

    base = ModelResult("builtin:base", [example(0, False, True, False),
                                        example(1, True, True, False),
                                        example(2, None, False, False),
                                        example(3, False, False, False)])
    tuned = ModelResult("tuned", [example(0, True, True, True), example(1, True, True, False),
                                  example(2, None, True, False), example(3, True, True, True)])
    summary = base.summary()
    assert summary["execution_accuracy"] == pytest.approx(1 / 3)  # the gold of #2 did not run
    assert summary["executed"] == 3 and summary["gold_errors"] == 1
    # only #0 and #3 return rows, and base gets both wrong: its one hit was on an empty gold
    assert summary["execution_accuracy_gold_rows"] == 0.0 and summary["gold_with_rows"] == 2
    assert tuned.summary()["execution_accuracy_gold_rows"] == 1.0
    assert summary["valid_rate"] == 0.5 and summary["exact_match"] == 0.0
    assert summary["median_latency_ms"] == 25.0
    paths = write_report([base, tuned], tmp_path / "report", title="Base vs tuned")
    text = paths["markdown"].read_text()
    assert ("| model | execution accuracy | exec acc, gold returns rows | valid SQL | exact match "
            "| executed | median latency |") in text
    assert "| builtin:base | 33.3% | 0.0% (n=2) | 50.0% | 0.0% | 3/4 | 25 ms |" in text
    assert "| tuned | 100.0% | 100.0% (n=2) | 100.0% | 50.0% | 3/4 | 25 ms |" in text
    assert "| basic SQL | 33.3% (3) | 100.0% (3) |" in text
    assert "![metrics](report.png)" in text
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(paths["results"].read_text())
    assert [m["model"] for m in data["models"]] == ["builtin:base", "tuned"]
    assert data["models"][0]["execution_accuracy_gold_rows"] == 0.0
    assert data["models"][0]["gold_with_rows"] == 2
    assert [e["gold_rows"] for e in data["models"][0]["results"]] == [2, 0, None, 5]
    assert sorted(p.name for p in paths["markdown"].parent.iterdir()) == [
        "report.md", "report.png", "results.json"]


def test_an_empty_gold_result_counts_only_in_the_first_execution_figure(tmp_path: Path) -> None:
    setup = "CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2);"
    rows = [{"id": i, "source": "public", "dialect": "sqlite", "schema": "CREATE TABLE t (a INT);",
             "setup_sql": setup, "question": q, "sql": sql, "split": "test"}
            for i, (q, sql) in enumerate([("a above 5", "SELECT a FROM t WHERE a > 5"),
                                          ("a above 1", "SELECT a FROM t WHERE a > 1")])]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    empty, one = evaluation.load_examples(data=str(path))
    nothing = "SELECT a FROM t WHERE a < 0"  # returns no rows, like the first gold query
    first = evaluation.score_output(empty, nothing)
    assert first.execution is True and first.gold_rows == 0
    second = evaluation.score_output(one, nothing)
    assert second.execution is False and second.gold_rows == 1
    summary = ModelResult("m", [first, second]).summary()
    assert summary["execution_accuracy"] == 0.5
    assert summary["execution_accuracy_gold_rows"] == 0.0 and summary["gold_with_rows"] == 1
    broken = dict(one, sql="SELECT nope FROM t")  # a gold query that does not run
    assert evaluation.score_output(broken, nothing).gold_rows is None


def test_cli_prints_both_execution_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    async def predict(ref: str, records: list[dict], progress: object,
                      workspace: Path | None, *how: object) -> list[tuple[str, float]]:
        return [("SELECT count(*) FROM orders", 5.0),
                ("SELECT country, count(*) FROM users WHERE id < 0 GROUP BY 1", 7.0)]

    monkeypatch.setattr(evaluation, "_predict_all", predict)
    code = main(["eval", "--model", "fake", "--data", str(records_file(tmp_path)),
                 "--progress", "none", "-o", str(tmp_path / "out")])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[0])
    assert summary["event"] == "summary" and summary["executed"] == 2
    assert summary["execution_accuracy"] == 0.5  # the count is right, the grouping is not
    assert summary["execution_accuracy_gold_rows"] == 0.5 and summary["gold_with_rows"] == 2
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| fake | 50.0% | 50.0% (n=2) | 100.0% | 50.0% | 2/2 |" in report
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [e["gold_rows"] for e in results["models"][0]["results"]] == [1, 3]


def test_cli_reports_a_model_that_cannot_be_opened(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval", "--model", "no-such-model", "--data", str(records_file(tmp_path)),
                 "--progress", "none", "-o", str(tmp_path / "out")])
    assert code == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "no registered model named 'no-such-model'" in lines[0]["error"]
    assert lines[0]["execution_accuracy_gold_rows"] is None and lines[0]["gold_with_rows"] == 0
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


def test_eval_workers_use_a_many_core_machine_and_spare_a_small_one() -> None:
    from querywright.trainer.eval import eval_workers

    assert eval_workers(108, cores=16) == 14  # one single-threaded engine per core, 2 spare
    assert eval_workers(108, cores=2) == 1 and eval_workers(108, cores=4) == 2
    assert eval_workers(12, cores=64) == 3  # at least 4 examples each


@pytest.mark.model
@pytest.mark.slow
def test_parallel_workers_give_the_sequential_predictions(tmp_path: Path) -> None:
    from querywright.trainer.progress import Progress

    examples = evaluation.load_examples(data=str(records_file(tmp_path))) * 3
    seen: list[int] = []

    class Counting(Progress):
        def update(self, step: int, **fields: object) -> None:
            seen.append(step)

    one = evaluation.evaluate_model("builtin:smollm2-135m", examples,
                                    Progress("eval", None, mode="none"), workers=1)
    two = evaluation.evaluate_model("builtin:smollm2-135m", examples,
                                    Counting("eval", None, mode="none"), workers=2)
    assert one.error is None and two.error is None
    assert [e.predicted for e in two.examples] == [e.predicted for e in one.examples]
    assert seen and seen[-1] == len(examples)  # progress per finished chunk, up to all


def test_an_unknown_pipeline_is_refused() -> None:
    from querywright.trainer.progress import Progress

    with pytest.raises(TrainingError, match="unknown evaluation pipeline 'greedy'"):
        evaluation.evaluate_model("builtin:smollm2-135m", [], Progress("eval", None, mode="none"),
                                  pipeline="greedy")


def _asked(question: str, catalog: object, values: object) -> str:
    """What `querywright ask` answers, called directly (the reference for the pipeline)."""
    import asyncio

    from querywright.server.ai.ask import ask
    from querywright.server.ai.refs import BackendConfig, open_completer

    async def go() -> str:
        completer = open_completer("builtin:smollm2-135m", BackendConfig(fallback_to_builtin=False))
        try:
            return (await ask(question, catalog, completer, values=values)).sql or ""  # type: ignore[arg-type]
        finally:
            await completer.aclose()

    return asyncio.run(go())


@pytest.mark.model
def test_the_ask_pipeline_scores_what_ask_serves(tmp_path: Path) -> None:
    """Over the record's schema and its database's rows, or over a workspace's schema and
    seed values: each prediction is exactly `ask`'s answer, scored against the gold rows."""
    from querywright.server.config import load_config
    from querywright.server.sql.scratch import database_for, value_sample
    from querywright.server.sql.workspace import load_catalog
    from querywright.trainer import metrics
    from querywright.trainer.progress import Progress

    examples = evaluation.load_examples(data=str(records_file(tmp_path)))
    result = evaluation.evaluate_model("builtin:smollm2-135m", examples,
                                       Progress("eval", None, mode="none"), workers=1, pipeline="ask")
    assert result.error is None
    catalog = metrics.schema_catalog(SCHEMA, "postgres")
    conn = database_for(examples[0])
    values = value_sample(conn, catalog)
    conn.close()
    assert [e.predicted for e in result.examples] == \
        [_asked(r["question"], catalog, values) for r in examples]
    assert all(e.execution is not None for e in result.examples)  # scored on the record's rows

    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "schema.sql").write_text(
        SCHEMA + "\nCREATE TABLE refunds (id INT PRIMARY KEY, order_id INT REFERENCES orders (id));"
        "\nINSERT INTO users VALUES (1, 'Ann', 'PE'), (2, 'Bo', 'CA');\n")
    over = evaluation.evaluate_model("builtin:smollm2-135m", examples,
                                     Progress("eval", None, mode="none"), workers=1, pipeline="ask",
                                     ask_over=evaluation.AskOver(workspace))
    loaded = load_catalog(workspace, load_config(workspace, trusted=False)[0])
    assert "refunds" in loaded.catalog.tables and loaded.values.values("users", "country")
    assert [e.predicted for e in over.examples] == \
        [_asked(r["question"], loaded.catalog, loaded.values) for r in examples]
