"""Build a training dataset: harvest + synthesis over the workspace, plus public and Spider sets.

``build_dataset`` gathers records from each source (the workspace's harvested and
synthesized pairs, the public set, Spider questions for evaluation), dedupes them (harvest
first: the team's own pairs win), splits them without leakage, applies source weights,
validates every record against ``training-record.schema.json`` and writes
``train.jsonl``, ``validation.jsonl``, ``test.jsonl`` and ``summary.json`` — each through a
temporary file and a rename. Spider records only ever go to ``test``.

``general=R`` replays R pairs of the general SQL set (:mod:`.general`, pairs of the kind the
shipped adapter was tuned on) per training pair into ``train`` only: a repo tune that continues
the general tune keeps seeing them, so it gains on the repo without forgetting; validation and
test stay the repo's.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..server.config import Config, load_config
from ..server.sql.workspace import load_catalog
from .mixing import SPLITS, dedupe, leaks, split, weighted
from .progress import Mode, Progress
from .records import Drops, Record, record_errors, write_json, write_jsonl

log = logging.getLogger(__name__)

SOURCES = ("harvest", "synthetic", "public", "spider", "general")
WORKSPACE_DB = "workspace.sqlite"  # the rows the workspace's synthetic pairs were made on (their db_path)


@dataclass
class DatasetSummary:
    """What went in, what came out, and what was dropped (by source and reason)."""

    out_dir: Path
    read: dict[str, int] = field(default_factory=dict)  # candidates/rows read per source
    loaded: dict[str, int] = field(default_factory=dict)  # valid records per source before dedupe
    splits: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> source -> count
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> reason -> count
    files: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    synthesis: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(sum(v.values()) for v in self.splits.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir), "total": self.total, "read": self.read, "loaded": self.loaded,
            "splits": self.splits, "dropped": self.dropped, "files": self.files, "settings": self.settings,
            "synthesis": self.synthesis,
        }


def _workspace_records(workspace: Path, config: Config | None, synthetic: int, seed: int,
                       summary: DatasetSummary, mode: Mode, synthesis: str = "questions",
                       db_file: Path | None = None) -> list[Record]:
    from .harvest import harvest
    from .synth import synthesize

    if config is None:
        config, problems = load_config(workspace)
        for problem in problems:
            log.warning("%s", problem)
    index = load_catalog(workspace, config)
    with Progress("harvest", None, mode) as bar:
        harvested = harvest(workspace, config, index=index,
                            on_file=lambda done, total: (bar.set_total(total) if bar.total != total else None, bar.update(done)))
    summary.read["harvest"] = harvested.candidates
    summary.loaded["harvest"] = len(harvested.records)
    summary.dropped["harvest"] = dict(harvested.dropped.as_dict())
    records = list(harvested.records)
    if synthetic > 0 and index.catalog.tables:
        schema_id = f"workspace:{workspace.resolve().name}"
        with Progress("synthesis", synthetic, mode) as bar:
            if synthesis == "questions":
                from .synth_questions import synthesize_questions

                made = synthesize_questions(index.catalog, synthetic, sample=index.values if index.values else None, seed=seed,
                                            schema_id=schema_id, on_pair=lambda done, total: bar.update(done),
                                            db_file=db_file)
            else:
                made = synthesize(index.catalog, synthetic, seed=seed, schema_id=schema_id,
                                  database_url=config.database_url, on_pair=lambda done, total: bar.update(done))
        summary.read["synthetic"] = made.attempted
        summary.loaded["synthetic"] = len(made.records)
        summary.dropped["synthetic"] = made.dropped.as_dict()
        summary.synthesis = {"attempted": made.attempted, "executed": made.executed,
                             "execute_share": round(made.execute_share, 4), "seconds": round(made.seconds, 3)}
        records.extend(made.records)
    return records


def build_dataset(
    workspace: Path | None,
    out_dir: Path,
    *,
    public: str | Path | None = None,
    spider: Path | None = None,
    weights: dict[str, float] | None = None,
    split_by_schema: bool = False,
    synthetic: int = 300,
    public_limit: int | None = None,
    public_dialect: str = "sqlite",
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    config: Config | None = None,
    progress: Mode = "auto",
    synthesis: str = "questions",
    schemas: list[Path] | None = None,
    jobs: int = 1,
    general: float = 0.0,
) -> DatasetSummary:
    """Gather, dedupe, split, weight, validate and write a dataset under ``out_dir``."""
    out_dir = Path(out_dir)
    weights = {**{s: 1.0 for s in SOURCES}, **(weights or {})}
    summary = DatasetSummary(out_dir, settings={
        "workspace": str(workspace) if workspace else None, "public": str(public) if public else None,
        "spider": str(spider) if spider else None, "weights": weights, "split_by_schema": split_by_schema,
        "synthetic": synthetic, "public_limit": public_limit, "ratios": list(ratios), "seed": seed,
        "synthesis": synthesis, "schemas": [str(p) for p in schemas or []], "general": general,
    })
    records: list[Record] = []
    if workspace is not None and (weights["harvest"] > 0 or weights["synthetic"] > 0):
        out_dir.mkdir(parents=True, exist_ok=True)
        records.extend(_workspace_records(Path(workspace), config, synthetic if weights["synthetic"] > 0 else 0, seed, summary, progress,
                                          synthesis, db_file=out_dir / WORKSPACE_DB))
    if schemas and weights["synthetic"] > 0:
        from .corpus import corpus_records

        corpus = corpus_records([Path(p) for p in schemas], synthetic, seed=seed, jobs=jobs)
        summary.read["synthetic"] = summary.read.get("synthetic", 0) + corpus.attempted
        summary.loaded["synthetic"] = summary.loaded.get("synthetic", 0) + len(corpus.records)
        _add_drops(summary, {"synthetic": corpus.dropped})
        summary.synthesis["schemas"] = corpus.schemas
        records.extend(corpus.records)
    if public is not None and weights["public"] > 0:
        from .public import load_public

        with Progress("public", public_limit, progress) as bar:
            loaded = load_public(public, dialect=public_dialect, limit=public_limit, on_row=lambda n: bar.update(n))
        summary.read["public"] = loaded.rows
        summary.loaded["public"] = len(loaded.records)
        summary.dropped["public"] = loaded.dropped.as_dict()
        records.extend(loaded.records)
    evaluation: list[Record] = []
    if spider is not None and weights["spider"] > 0:
        from .spider import load_spider

        spider_load = load_spider(Path(spider))
        summary.read["spider"] = len(spider_load.records) + sum(spider_load.dropped.values())
        summary.loaded["spider"] = len(spider_load.records)
        summary.dropped["spider"] = spider_load.dropped.as_dict()
        evaluation = spider_load.records

    unique, dup_drops = dedupe(records)
    _add_drops(summary, dup_drops)
    splits = _holdout_families(split(unique, ratios, by_schema=split_by_schema, seed=seed), split_by_schema)
    if evaluation:
        spider_unique, spider_drops = dedupe(evaluation)
        _add_drops(summary, spider_drops)
        for record in spider_unique:
            record["split"] = "test"
        splits["test"].extend(spider_unique)
    leaked = leaks(splits, split_by_schema)
    if leaked:  # cannot happen by construction; a guard, not a repair
        raise AssertionError(f"split leaks {len(leaked)} keys, e.g. {leaked[0]!r}")
    splits, weight_drops = weighted(splits, weights, seed)
    if general > 0 and weights["general"] > 0 and splits["train"]:
        from .general import general_records

        replay = general_records(max(1, round(general * len(splits["train"]))), seed)
        summary.read["general"] = replay.read
        summary.loaded["general"] = len(replay.records)
        _add_drops(summary, {"general": replay.dropped})
        splits["train"].extend(replay.records)
    _add_drops(summary, {reason.split(":", 1)[1]: Drops({"weight": n}) for reason, n in weight_drops.items()})
    final: dict[str, list[Record]] = {}
    for name in SPLITS:
        final[name] = []
        for record in splits[name]:
            record.pop("_sql_key", None)
            errors = record_errors(record)
            if errors:
                log.warning("record %s is invalid: %s", record.get("id"), errors[0])
                _add_drops(summary, {str(record.get("source")): Drops({"invalid-record": 1})})
                continue
            final[name].append(record)
    for name in SPLITS:
        path = out_dir / f"{name}.jsonl"
        write_jsonl(path, final[name])
        summary.files[name] = str(path)
        summary.splits[name] = dict(Counter(r["source"] for r in final[name]))
    summary.files["summary"] = str(out_dir / "summary.json")
    write_json(out_dir / "summary.json", summary.to_json())
    return summary


def _holdout_families(splits: dict[str, list[Record]], by_schema: bool) -> dict[str, list[Record]]:
    """Records of held-out question families go to the one split they are held out for
    (``synth_questions.holdout_split``: test, or validation), and only they of their source
    reach it: a whole family never seen in training is what the test measures, and what early
    stopping watches. A held-out record whose leak key (its SQL) is also in training is
    dropped; a validation-family record never reaches test."""
    from .mixing import leak_key
    from .synth_questions import holdout_split

    everything = [r for name in SPLITS for r in splits[name]]
    if not any(holdout_split(r) for r in everything):
        return splits
    out: dict[str, list[Record]] = {name: [] for name in SPLITS}
    for name in SPLITS:
        for record in splits[name]:
            questions = str((record.get("provenance") or {}).get("generator", "")).startswith("questions:")
            if holdout_split(record):
                continue
            if questions and name in {"test", "validation"}:
                record["split"] = "train"
                out["train"].append(record)
            else:
                out[name].append(record)
    training = {leak_key(r, by_schema) for r in out["train"]}
    for target in ("validation", "test"):
        for record in everything:
            if holdout_split(record) == target and leak_key(record, by_schema) not in training:
                record["split"] = target
                out[target].append(record)
        training |= {leak_key(r, by_schema) for r in out[target]}
    return out


def _add_drops(summary: DatasetSummary, drops: dict[str, Drops]) -> None:
    for source, counts in drops.items():
        bucket = summary.dropped.setdefault(source, {})
        for reason, n in counts.items():
            bucket[reason] = bucket.get(reason, 0) + n


def print_summary(summary: DatasetSummary, console: Any = None) -> None:
    """A rich table of sources × splits, and the drop reasons."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(stderr=True)
    table = Table(title=f"dataset → {summary.out_dir}")
    table.add_column("source")
    for col in ("read", "valid", *SPLITS):
        table.add_column(col, justify="right")
    for source in SOURCES:
        if source not in summary.read and not any(source in s for s in summary.splits.values()):
            continue
        table.add_row(source, str(summary.read.get(source, 0)), str(summary.loaded.get(source, 0)),
                      *(str(summary.splits.get(s, {}).get(source, 0)) for s in SPLITS))
    table.add_row("total", "", "", *(str(sum(summary.splits.get(s, {}).values())) for s in SPLITS), style="bold")
    console.print(table)
    drops = Table(title="dropped")
    drops.add_column("source")
    drops.add_column("reason")
    drops.add_column("count", justify="right")
    for source, reasons in summary.dropped.items():
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            if n:
                drops.add_row(source, reason, str(n))
    if drops.row_count:
        console.print(drops)
