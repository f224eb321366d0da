"""Synthesis over many schemas at once: Spider's ``tables.json`` and folders or files of DDL.

``corpus_records`` reads each source into catalogs (a ``tables.json`` gives one per
database; a ``.sql`` file or a folder is read as a workspace, seed rows included, so its
literals are its own values) and runs ``synthesize_questions`` on each, in parallel
processes. Used by ``querywright dataset build --schemas`` to build the general tune's data.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..server.sql.catalog import Catalog
from ..server.sql.values import ValueSample
from .records import Drops, Record


@dataclass
class CorpusResult:
    records: list[Record]
    dropped: Drops
    schemas: int
    attempted: int


def _catalogs(source: Path) -> list[tuple[str, Catalog, ValueSample | None]]:
    if source.suffix == ".json":
        from .spider import load_databases

        return [(f"spider:{k}", db.catalog, None) for k, db in sorted(load_databases(source).items())]
    from ..server.config import load_config
    from ..server.sql.workspace import load_catalog

    if source.is_file():
        folder = Path(tempfile.mkdtemp(prefix="qw-corpus-"))
        try:
            shutil.copy(source, folder / source.name)
            config, _problems = load_config(folder)
            index = load_catalog(folder, config)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        config, _problems = load_config(source)
        index = load_catalog(source, config)
    return [(f"corpus:{source.stem}", index.catalog, index.values if index.values else None)]


def _one(job: tuple[str, Catalog, ValueSample | None, int, int]) -> tuple[list[Record], dict[str, int], int]:
    from .synth_questions import synthesize_questions

    schema_id, catalog, sample, n, seed = job
    made = synthesize_questions(catalog, n, sample=sample, seed=seed, schema_id=schema_id)
    return made.records, made.dropped.as_dict(), made.attempted


def corpus_records(sources: list[Path], per_schema: int, *, seed: int = 0, jobs: int = 1) -> CorpusResult:
    """Question-shaped records over every schema of ``sources`` (``per_schema`` each)."""
    work: list[tuple[str, Catalog, ValueSample | None, int, int]] = []
    for source in sources:
        for schema_id, catalog, sample in _catalogs(Path(source)):
            if catalog.tables:
                n = per_schema * (4 if len(catalog.tables) > 20 else 1)
                work.append((schema_id, catalog, sample, n, seed))
    records: list[Record] = []
    dropped = Drops()
    attempted = 0
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_one, work, chunksize=4))
    else:
        results = [_one(job) for job in work]
    for made, drops, tried in results:
        records.extend(made)
        attempted += tried
        for reason, count in drops.items():
            dropped.add(reason, count)
    return CorpusResult(records, dropped, len(work), attempted)
