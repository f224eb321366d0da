"""Question-shaped synthesis with real values: (question, SQL, hints) records over a catalog.

The scratch database (``server.sql.scratch.ScratchDB``: the catalog's tables, rows whose keys
line up) gets the workspace's own values where its seed data has any
(``SchemaIndex.values``, a ``ValueSample``): every non-key column of a sampled table is
refilled from the sample, so literals drawn from the database are values of the data
(``'Comedy'``, ``'PENELOPE'``), not invented ones. Schemas without rows keep the generated
values. Question families (``trainer.question_families``) write the questions; a pair is
kept only when it checks clean against the catalog, runs on the database and returns rows
(a count must be non-zero). Each record carries ``hints``: the value-grounding lines that
serving computes for the same question (``grounding.ground`` + ``render_matches``), so the
training prompt is the serving prompt. Records of the families in ``HELD_OUT`` are marked
for the test split (``provenance.holdout = "test"``), those in ``VALIDATION_ONLY`` for the
validation split (``"validation"``): template memorization cannot pass for skill, neither in
the final score nor in early stopping.
"""

from __future__ import annotations

import logging
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..server.ai.grounding import ValueIndex, ground, render_matches
from ..server.sql.catalog import Catalog
from ..server.sql.scratch import ScratchDB, family, value_sample
from ..server.sql.values import ValueSample
from .question_families import FAMILIES, HELD_OUT, NONZERO, VALIDATION_ONLY
from .records import Record, complexity_of, make_record, serving_slice, validate_sql
from .synth import Context, SynthResult

log = logging.getLogger(__name__)

_KEYLIKE = re.compile(r"(?:^|_)id\Z|Id\Z|ID\Z")


def _sqlite(sql: str, dialect: str) -> str | None:
    if dialect == "sqlite":
        return sql
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
        for node in tree.find_all(exp.Table):
            node.set("db", None)
            node.set("catalog", None)
        return tree.sql(dialect="sqlite", identify=True)
    except (SqlglotError, ValueError, RecursionError):
        return None


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def apply_sample(db: ScratchDB, sample: ValueSample, rng: random.Random) -> int:
    """Refill the non-key columns of ``db`` with values of ``sample``; returns the columns refilled."""
    catalog = db.catalog
    filled = 0
    for key in db.tables:
        table = catalog.tables[key]
        if table.kind != "table":
            continue
        fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
        rowids = [r[0] for r in db.conn.execute(f'SELECT rowid FROM "{table.name}"').fetchall()]
        for ckey, column in table.columns.items():
            if ckey in fk_cols or ckey in table.primary_key or column.unique or _KEYLIKE.search(column.name):
                continue
            raw = [v for v in sample.values(key, ckey) if v and not v.endswith("…")]
            kind = family(column.type)
            values: list[object] = [n for n in map(_number, raw) if n is not None] if kind in ("int", "number") else list(raw)
            if not values or kind == "bool":
                continue
            pool = values[:]
            rng.shuffle(pool)
            try:
                db.conn.executemany(f'UPDATE "{table.name}" SET "{column.name}" = ? WHERE rowid = ?',
                                    [(pool[i % len(pool)], rid) for i, rid in enumerate(rowids)])
                filled += 1
            except sqlite3.Error as exc:
                log.debug("kept generated values of %s.%s: %s", table.name, column.name, exc)
    db.conn.commit()
    return filled


def _returns_rows(ctx: Context, sql: str, name: str) -> tuple[bool, str]:
    text = _sqlite(sql, ctx.dialect)
    if text is None:
        return False, "transpile-error"
    try:
        rows = ctx.db.conn.execute(text).fetchmany(50)
    except sqlite3.Error:
        return False, "execution-error"
    if not rows:
        return False, "no-rows"
    if name in NONZERO and not rows[0][0]:
        return False, "zero-count"
    if all(v is None for v in rows[0]):
        return False, "null-result"
    return True, ""


def synthesize_questions(
    catalog: Catalog,
    n: int = 200,
    *,
    sample: ValueSample | None = None,
    seed: int = 0,
    schema_id: str | None = None,
    rows: int = 24,
    families: Iterable[str] | None = None,
    on_pair: Callable[[int, int], None] | None = None,
    db_file: Path | None = None,
) -> SynthResult:
    """Up to ``n`` question-shaped records over ``catalog`` (values from ``sample`` when given).

    With ``db_file``, the database the pairs were made on (and return rows on) is written there
    and each record names it (``db_path``: the file's name, relative to the dataset's folder),
    so that evaluation runs the gold and the predicted SQL on those rows, not on new ones."""
    started = time.perf_counter()
    result = SynthResult()
    rng = random.Random(seed)
    db = ScratchDB(catalog, rows=rows, seed=seed)
    try:
        if sample:
            apply_sample(db, sample, rng)
            index = ValueIndex.build(sample.merge(value_sample(db.conn, catalog, keys=db.tables)))
        else:
            index = ValueIndex.build(value_sample(db.conn, catalog, keys=db.tables))
        ctx = Context(catalog, db, rng)
        if not ctx.tables:
            result.dropped.add("no-tables")
            return result
        names = sorted(families) if families is not None else sorted(FAMILIES)
        seen: set[str] = set()
        draws, budget = 0, n * 8
        while len(result.records) < n and draws < budget:
            rng.shuffle(names)
            for name in names:
                if len(result.records) >= n or draws >= budget:
                    break
                draws += 1
                pair = FAMILIES[name](ctx)
                if pair is None:
                    result.inapplicable += 1
                    continue
                question, sql = pair
                result.attempted += 1
                tree, reason = validate_sql(sql, catalog)
                if reason is not None or tree is None:
                    result.dropped.add(f"check:{reason}")
                    continue
                ok, why = _returns_rows(ctx, sql, name)
                if why not in ("transpile-error", "execution-error"):
                    result.executed += 1
                if not ok:
                    result.dropped.add(why)
                    continue
                key = question.lower() + "\x1f" + tree.sql(dialect=ctx.dialect, normalize=True).lower()
                if key in seen:
                    result.dropped.add("duplicate")
                    continue
                seen.add(key)
                matches = ground(question, index)
                record = make_record(
                    source="synthetic", dialect=ctx.dialect, schema=serving_slice(catalog, tree, question, matches),
                    schema_id=schema_id,
                    question=question, sql=sql, complexity=complexity_of(tree),
                    provenance={"generator": f"questions:{name}", "family": name, "seed": seed,
                                "holdout": holdout_of(name)},
                )
                hints = render_matches(matches)
                if hints:
                    record["hints"] = hints
                result.records.append(record)
                if on_pair is not None:
                    on_pair(len(result.records), n)
        if db_file is not None and result.records and db.save(db_file):
            for record in result.records:
                record["db_path"] = db_file.name
    finally:
        db.close()
    result.seconds = time.perf_counter() - started
    return result


def holdout_of(family_name: str) -> str | None:
    """The only split a family's records may reach: ``test``, ``validation`` or None (any)."""
    if family_name in HELD_OUT:
        return "test"
    return "validation" if family_name in VALIDATION_ONLY else None


def holdout_split(record: Record) -> str | None:
    """The split a record's family is held out for (``test``, ``validation``), None if it is
    not held out. Records written before validation families existed say ``true`` for test."""
    mark = (record.get("provenance") or {}).get("holdout")
    if mark is True or mark == "test":
        return "test"
    return "validation" if mark == "validation" else None


def is_holdout(record: Record) -> bool:
    """Whether a record belongs to a held-out family (test or validation split only)."""
    return holdout_split(record) is not None
