"""Evaluate models on text-to-SQL examples: execution accuracy, valid-SQL rate, exact match.

Execution accuracy is given twice: over every example whose gold query ran, and over those
whose gold query returns at least one row (an empty gold result is matched by any prediction
that returns nothing, which flatters the first figure on generated rows).

Examples come from our training records (JSON lines), a Spider folder, or the public set's
11-column format (read by ``trainer.spider`` and ``trainer.public``); each is a training record,
with ``db_path`` when a Spider SQLite file holds its data.
Every model is prompted exactly as it is served and trained (``server.ai.prompt``), with the
assistant turn primed by the statement's first keyword (``statement_start``), and answers
through the same ``Completer`` backends the editor uses (embedded GGUF, Ollama, OpenAI-style).
``evaluate`` runs every model on the same examples and writes the comparison report
(:mod:`.report`).

Two pipelines (``PIPELINES``) turn an example into a statement: ``raw``, the model's greedy
answer to the record's own prompt (what the weights know), and ``ask``, the answer
``querywright ask`` serves (value hints, schema linking, grammar, several candidates ranked by
execution, repairs), over a workspace's schema and seed values (``ask_over``) or else over the
record's schema and the rows of its database. ``finetune`` decides on ``ask``: a new model
is worth switching to only if what the product shows gets better.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import sqlite3
import statistics
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..server.ai.completer import CompletionRequest
from ..server.config import Config
from ..server.errors import QuerywrightError, TrainingError
from ..server.sql.catalog import Catalog
from ..server.sql.scratch import database_for, database_key, value_sample
from ..server.sql.values import ValueSample
from . import metrics
from .jsonl import read_jsonl
from .progress import Progress

MAX_TOKENS = 200
PIPELINES = ("raw", "ask")


# --- examples -------------------------------------------------------------------------------


def load_records(path: str | Path) -> list[dict[str, Any]]:
    """Training records from JSON lines (``schemas/training-record.schema.json``)."""
    source = Path(path)
    records = []
    for number, row in read_jsonl(source, "evaluation data"):
        if not {"question", "sql", "schema"} <= row.keys():
            raise TrainingError(f"{source}:{number}: not a training record "
                                "(needs question, sql and schema)")
        row.setdefault("id", f"{source.stem}-{number}")
        row.setdefault("dialect", "sqlite")
        if row.get("db_path"):  # relative to the dataset file's folder
            row["db_path"] = str(source.parent / row["db_path"])
        records.append(row)
    return records


def load_spider_records(folder: str | Path, split: str = "dev") -> list[dict[str, Any]]:
    """Spider's ``{split}.json`` questions as records (``trainer.spider``); each runs on its
    ``database/<db_id>/<db_id>.sqlite`` when the folder has one, else on generated rows."""
    from .spider import load_spider

    records = load_spider(Path(folder), questions=f"{split}.json").records
    for record in records:
        database = (record.get("provenance") or {}).get("database")
        if database:
            record["db_path"] = database
    return records


def load_public_records(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Public-set rows (parquet or JSON lines, 11 columns) as records (``trainer.public``)."""
    from .public import load_public

    if not Path(path).exists():
        raise TrainingError(f"public data {path} does not exist")
    return load_public(path, limit=limit).records


def load_examples(data: str | None = None, spider: str | None = None, public: str | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
    """Examples from exactly one source; the ``test`` split of our records when they have one."""
    given = [name for name, value in (("--data", data), ("--spider", spider),
                                      ("--public", public)) if value]
    if len(given) != 1:
        raise TrainingError("give exactly one of --data, --spider or --public")
    if data:
        records = load_records(data)
        tests = [r for r in records if r.get("split") == "test"]
        records = tests or records
    elif spider:
        records = load_spider_records(spider)
    else:
        records = load_public_records(public or "", limit)
    if not records:
        raise TrainingError("no evaluation examples")
    return records[:limit] if limit else records


# --- one model ------------------------------------------------------------------------------


@dataclass
class ExampleResult:
    id: str
    question: str
    gold: str
    predicted: str
    valid: bool
    exact: bool
    execution: bool | None
    errors: list[str]
    latency_ms: float
    complexity: str | None = None
    gold_rows: int | None = None  # rows the gold query returned; None when it did not run


@dataclass
class ModelResult:
    model: str
    examples: list[ExampleResult] = field(default_factory=list)
    error: str | None = None

    def summary(self) -> dict[str, Any]:
        """The figures of the report (rates in [0, 1]; None when nothing was counted).

        ``execution_accuracy_gold_rows`` counts only the ``gold_with_rows`` examples whose gold
        query returns at least one row: on generated rows a gold query often returns nothing,
        and then any prediction that returns nothing counts as right."""
        n = len(self.examples)
        executed = [e.execution for e in self.examples if e.execution is not None]
        with_rows = [e.execution for e in self.examples if e.execution is not None and e.gold_rows]
        latencies = [e.latency_ms for e in self.examples]
        return {
            "model": self.model, "examples": n, "error": self.error,
            "execution_accuracy": sum(executed) / len(executed) if executed else None,
            "executed": len(executed), "gold_errors": n - len(executed),
            "execution_accuracy_gold_rows": sum(with_rows) / len(with_rows) if with_rows else None,
            "gold_with_rows": len(with_rows),
            "valid_rate": sum(e.valid for e in self.examples) / n if n else None,
            "exact_match": sum(e.exact for e in self.examples) / n if n else None,
            "median_latency_ms": statistics.median(latencies) if latencies else None,
        }


def prompt_for(record: dict[str, Any]) -> tuple[str, str]:
    """(prompt, primed start of the answer) for ``record``, as served."""
    from ..server.ai.prompt import build_prompt, statement_start

    start = statement_start(record["question"])
    prompt = build_prompt(record.get("schema") or "", record.get("dialect") or "sqlite",
                          record["question"], prefix=start, hints=record.get("hints") or ())
    return prompt, start


def score(record: dict[str, Any], output: str, catalog: Catalog,
          database: sqlite3.Connection | str, timeout_s: float) -> ExampleResult:
    """Score one model output; ``database`` is the scratch database or why there is none."""
    dialect = record.get("dialect") or "sqlite"
    predicted = metrics.first_statement(output, dialect)
    invalid = metrics.validity_errors(predicted, catalog)
    errors = list(invalid)
    execution: bool | None = None
    gold_rows: int | None = None
    if isinstance(database, str):
        errors.append(f"database: {database}")
    else:
        outcome = metrics.execution_match(database, predicted, record["sql"], dialect, timeout_s)
        execution, gold_rows = outcome.match, outcome.gold_rows
        errors += [f"{who}: {error}" for who, error in (("gold", outcome.gold_error),
                                                        ("predicted", outcome.predicted_error))
                   if error]
    return ExampleResult(
        id=str(record["id"]), question=record["question"], gold=record["sql"],
        predicted=predicted, valid=not invalid,
        exact=metrics.exact_match(predicted, record["sql"], dialect), execution=execution,
        errors=errors, latency_ms=0.0, complexity=record.get("complexity"), gold_rows=gold_rows)


def score_output(record: dict[str, Any], output: str,
                 timeout_s: float = metrics.DEFAULT_TIMEOUT_S) -> ExampleResult:
    """Score one output on a database built for ``record`` alone (tests, one-off checks)."""
    try:
        database: sqlite3.Connection | str = database_for(record)
    except QuerywrightError as exc:
        database = str(exc)
    catalog = metrics.schema_catalog(record["schema"], record.get("dialect") or "sqlite")
    try:
        return score(record, output, catalog, database, timeout_s)
    finally:
        if isinstance(database, sqlite3.Connection):
            database.close()


@dataclass(frozen=True)
class AskOver:
    """The workspace whose schema and seed values ``ask`` answers over in an evaluation."""

    root: Path
    config: Config | None = None  # trust already applied; None: the workspace's, read untrusted


class _AskSources:
    """What ``ask`` answers a record over: a workspace's catalog and seed values (as the
    product serves it), or else the record's schema and the rows of its database."""

    def __init__(self, workspace: AskOver | None) -> None:
        self._workspace: tuple[Catalog, ValueSample] | None = None
        self._records: dict[str, tuple[Catalog, ValueSample | None]] = {}
        if workspace is not None:
            from ..server.config import load_config
            from ..server.sql.workspace import load_catalog

            config = workspace.config or load_config(workspace.root, trusted=False)[0]
            loaded = load_catalog(workspace.root, config)
            if not len(loaded.catalog):
                raise TrainingError(f"workspace {workspace.root} has no schema for `ask` to answer over")
            self._workspace = (loaded.catalog, loaded.values)

    def get(self, record: dict[str, Any]) -> tuple[Catalog, ValueSample | None]:
        if self._workspace is not None:
            return self._workspace
        key = database_key(record)
        if key not in self._records:
            catalog = metrics.schema_catalog(record["schema"], record.get("dialect") or "sqlite")
            values: ValueSample | None = None
            try:
                conn = database_for(record)
            except QuerywrightError:
                pass  # ask builds its own rows; the scoring reports the missing database
            else:
                values = value_sample(conn, catalog)
                conn.close()
            self._records[key] = (catalog, values)
        return self._records[key]


async def _predict_all(ref: str, records: Sequence[dict[str, Any]], progress: Progress,
                       workspace: Path | None, pipeline: str = "raw",
                       ask_over: AskOver | None = None) -> list[tuple[str, float]]:
    from ..server.ai.ask import ask
    from ..server.ai.prompt import STOP_SEQUENCES
    from ..server.ai.refs import BackendConfig, open_completer

    sources = _AskSources(ask_over) if pipeline == "ask" else None
    completer = open_completer(ref, BackendConfig(workspace=workspace, fallback_to_builtin=False,
                                                  timeout_s=120.0, n_threads=EVAL_THREADS))
    outputs = []
    try:
        for index, record in enumerate(records, start=1):
            if sources is not None:
                catalog, values = sources.get(record)
                answer = await ask(record["question"], catalog, completer, values=values)
                outputs.append((answer.sql or "", answer.latency_ms))
            else:
                prompt, start = prompt_for(record)
                request = CompletionRequest(prompt=prompt, max_tokens=MAX_TOKENS, temperature=0.0,
                                            stop=STOP_SEQUENCES, seed=0)
                [completion] = await completer.complete(request)
                outputs.append((start + " " + completion.text.lstrip(), completion.latency_ms))
            progress.update(index, model=ref)
    finally:
        await completer.aclose()
    return outputs


def _predict_chunk(ref: str, records: Sequence[dict[str, Any]], workspace: Path | None,
                   pipeline: str, ask_over: AskOver | None) -> list[tuple[str, float]]:
    """One worker process's share (its own engine, loaded once per process)."""
    return asyncio.run(_predict_all(ref, records, Progress("eval", None, mode="none"), workspace,
                                    pipeline, ask_over))


EVAL_THREADS = 1  # llama.cpp threads per evaluation engine


def eval_workers(count: int, cores: int | None = None) -> int:
    """Processes that predict at once: one single-threaded engine per core, two cores left to
    the rest (the trainer, the editor), at least 4 examples each; 1 on small machines. A small
    model's tokens spread badly over several llama.cpp threads (on 16 cores, 3 engines of 4
    threads scored 73 Sakila examples in 56 s), so one engine per core should use a many-core
    machine far better."""
    cores = cores or os.cpu_count() or 1
    return max(1, min(cores - 2, count // 4))


def _predict_parallel(ref: str, records: Sequence[dict[str, Any]], progress: Progress,
                      workspace: Path | None, workers: int, pipeline: str,
                      ask_over: AskOver | None) -> list[tuple[str, float]]:
    """One chunk of the records per process, in order; progress per chunk. Each chunk loads
    the engine and what ``ask`` answers over (a workspace catalog with its seed values) once,
    so more, smaller chunks would only repeat that."""
    size = max(1, -(-len(records) // workers))
    chunks = [records[i:i + size] for i in range(0, len(records), size)]
    context = multiprocessing.get_context("spawn")  # never fork a process that holds CUDA
    done = 0
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {pool.submit(_predict_chunk, ref, list(chunk), workspace, pipeline, ask_over): len(chunk)
                   for chunk in chunks}  # in submission order
        for future in concurrent.futures.as_completed(futures):
            future.result()  # the first failure stops the evaluation
            done += futures[future]
            progress.update(done, model=ref)
        return [output for future in futures for output in future.result()]


def evaluate_model(ref: str, records: Sequence[dict[str, Any]], progress: Progress,
                   timeout_s: float = metrics.DEFAULT_TIMEOUT_S,
                   workspace: Path | None = None, workers: int | None = None,
                   pipeline: str = "raw", ask_over: AskOver | None = None) -> ModelResult:
    """Predict and score every record with model ``ref``; a model that cannot be opened or
    fails mid-way gives a result whose ``error`` says why (the other models still run).
    ``workers``: prediction processes (None: ``eval_workers``; the outputs are the same
    either way: greedy, and ``ask`` samples with a fixed seed). ``pipeline``: ``raw`` or
    ``ask`` (see the module docstring); ``ask_over``: the workspace ``ask`` answers over."""
    from ..server.ai.embedded import release_engines

    if pipeline not in PIPELINES:
        raise TrainingError(f"unknown evaluation pipeline {pipeline!r} (choose from {', '.join(PIPELINES)})")
    progress.set_total(len(records))
    progress.step = 0
    workers = eval_workers(len(records)) if workers is None else workers
    try:
        if workers > 1:
            outputs = _predict_parallel(ref, records, progress, workspace, workers, pipeline, ask_over)
        else:
            outputs = asyncio.run(_predict_all(ref, records, progress, workspace, pipeline, ask_over))
    except QuerywrightError as exc:  # boundary: one model's failure is reported, not fatal
        return ModelResult(ref, error=str(exc))
    except BrokenProcessPool as exc:  # a worker died (memory, signal)
        return ModelResult(ref, error=f"an evaluation process died: {exc}")
    finally:
        release_engines()
    result = ModelResult(ref)
    databases: dict[str, sqlite3.Connection | str] = {}
    catalogs: dict[tuple[str, str], Catalog] = {}
    for record, (output, latency) in zip(records, outputs):
        key = database_key(record)
        if key not in databases:
            try:
                databases[key] = database_for(record)
            except QuerywrightError as exc:
                databases[key] = str(exc)
        dialect = record.get("dialect") or "sqlite"
        schema_key = (record["schema"], dialect)
        if schema_key not in catalogs:
            catalogs[schema_key] = metrics.schema_catalog(record["schema"], dialect)
        example = score(record, output, catalogs[schema_key], databases[key], timeout_s)
        example.latency_ms = round(latency, 1)
        result.examples.append(example)
    for database in databases.values():
        if isinstance(database, sqlite3.Connection):
            database.close()
    return result


# --- several models -------------------------------------------------------------------------


def evaluate(refs: Sequence[str], records: Sequence[dict[str, Any]], out_dir: str | Path,
             progress_mode: str = "auto", timeout_s: float = metrics.DEFAULT_TIMEOUT_S,
             workspace: Path | None = None, title: str = "Evaluation",
             pipeline: str = "raw") -> list[ModelResult]:
    """Run every model on ``records``; write ``report.md``, ``report.png``, ``results.json``."""
    from .report import write_report

    if not refs:
        raise TrainingError("name at least one model to evaluate (--model REF)")
    results = []
    with Progress("eval", len(records) * len(refs), mode=progress_mode) as progress:  # type: ignore[arg-type]
        for ref in refs:
            progress.event("model", model=ref, examples=len(records))
            result = evaluate_model(ref, records, progress, timeout_s, workspace, pipeline=pipeline)
            progress.event("scored", **result.summary())
            results.append(result)
    write_report(results, Path(out_dir), title=title)
    return results


def results_json(results: Sequence[ModelResult]) -> dict[str, Any]:
    return {"models": [{**r.summary(), "results": [asdict(e) for e in r.examples]}
                       for r in results]}
