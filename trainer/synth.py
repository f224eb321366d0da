"""Schema-grounded synthesis: (question, SQL) pairs over any catalog, each one executed.

Templates (``trainer.synth_templates``) write SQL over the catalog's tables, columns and
foreign keys — filters, aggregates, GROUP BY/HAVING, ORDER BY/LIMIT, 1-3 hop joins,
IN/NOT IN/EXISTS subqueries, set operations, window functions, CTEs — each with several
phrasings of its question. Filter values come from the configured database when there is
one, else from the scratch database's generated rows. A pair is kept only when it checks
clean against the catalog and runs on the scratch SQLite database built from the DDL.
The same catalog and seed always give the same pairs.
"""

from __future__ import annotations

import logging
import random
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..server.sql.catalog import Catalog, Column, ForeignKey, Table, get_dialect
from ..server.sql.scratch import ScratchDB, family
from .records import (
    Drops,
    Record,
    complexity_of,
    created_quoted,
    make_record,
    quote_ident,
    schema_slice,
    validate_sql,
)

log = logging.getLogger(__name__)

NO_WINDOW_DIALECTS = frozenset({"druid"})  # dialects whose engines lack window functions
UNION_ONLY_DIALECTS = frozenset({"mysql", "doris", "starrocks"})  # no INTERSECT/EXCEPT (older MySQL)


@dataclass(frozen=True)
class Pair:
    question: str
    sql: str
    template: str


@dataclass
class SynthResult:
    records: list[Record] = field(default_factory=list)
    dropped: Drops = field(default_factory=Drops)
    attempted: int = 0  # SQL statements generated and tried
    executed: int = 0  # of those, how many ran on the scratch database
    inapplicable: int = 0  # template draws that found nothing to work with
    seconds: float = 0.0

    @property
    def execute_share(self) -> float:
        return self.executed / self.attempted if self.attempted else 0.0


@dataclass
class TableInfo:
    key: str
    table: Table
    pk: Column | None
    label: Column
    text: list[Column]
    numbers: list[Column]
    dates: list[Column]
    flags: list[Column]
    categories: list[Column]


class LiveValues:
    """Distinct column values read (read-only, a few per column) from the configured database."""

    def __init__(self, url: str) -> None:
        from ..server.sql.introspect import readonly_engine

        self.engine = readonly_engine(url)

    def values(self, table: Table, column: Column, limit: int = 20) -> list[Any]:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
        sql = f'SELECT DISTINCT "{column.name}" FROM {name} WHERE "{column.name}" IS NOT NULL LIMIT {int(limit)}'
        try:
            with self.engine.connect() as conn:
                return [row[0] for row in conn.execute(text(sql))]
        except SQLAlchemyError as exc:
            log.debug("no live values for %s.%s: %s", table.name, column.name, exc)
            return []


class Context:
    """What templates need: the catalog, named/quoted objects, values and randomness."""

    def __init__(self, catalog: Catalog, db: ScratchDB, rng: random.Random, live: LiveValues | None = None) -> None:
        self.catalog = catalog
        self.dialect = catalog.dialect
        self.db = db
        self.rng = rng
        self.live = live
        self.keywords = {k.upper() for k in get_dialect(self.dialect).tokenizer_class.KEYWORDS if " " not in k}
        # the columns created quoted in a folded case: they alone keep their spelling quoted
        self.kept_columns = {id(c) for t in catalog.tables.values() for k, c in t.columns.items()
                             if created_quoted(c.name, k, self.dialect)}
        self.tables = [self._info(k) for k in sorted(db.tables) if catalog.tables[k].columns]
        self.by_key = {t.key: t for t in self.tables}
        self.edges: list[tuple[TableInfo, ForeignKey, TableInfo]] = []  # (child, fk, parent)
        for child in self.tables:
            for fk in child.table.foreign_keys:
                parent = self.by_key.get(fk.ref_table)
                if parent is not None and len(fk.columns) == 1 and self.ref_column(fk, parent) is not None and fk.columns[0] in child.table.columns:
                    self.edges.append((child, fk, parent))
        self.windows = self.dialect not in NO_WINDOW_DIALECTS and sqlite3.sqlite_version_info >= (3, 25)
        self.intersect = self.dialect not in UNION_ONLY_DIALECTS

    def _info(self, key: str) -> TableInfo:
        table = self.catalog.tables[key]
        cols = list(table.columns.values())
        pk = table.columns.get(table.primary_key[0]) if len(table.primary_key) == 1 else None
        fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
        plain = [c for k, c in table.columns.items() if k not in fk_cols and c is not pk]
        kinds = {id(c): self._family(key, c) for c in plain}
        plain = [c for c in plain if not (kinds[id(c)] in ("int", "number") and re.search(r"(^|_)id$|Id$|ID$", c.name))]
        text = [c for c in plain if kinds[id(c)] == "text"]
        named = [c for c in text if re.search(r"name|title|email|label|sku|code", c.name, re.IGNORECASE)]
        label = (named or text or [pk or cols[0]])[0]
        categories = [c for c in text if c is not label and 1 < len(self.db.values(key, c, 12)) <= 10]
        return TableInfo(key, table, pk, label,
                         text=text,
                         numbers=[c for c in plain if kinds[id(c)] in ("int", "number")],
                         dates=[c for c in plain if kinds[id(c)] in ("date", "timestamp")],
                         flags=[c for c in plain if kinds[id(c)] == "bool"],
                         categories=categories)

    def _family(self, key: str, column: Column) -> str:
        """The column's type family; for untyped (view) columns, from its values."""
        if column.type:
            return family(column.type)
        values = self.db.values(key, column, 5)
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return "number"
        return "text"

    # ------------------------------------------------------------------ SQL pieces

    def ident(self, name: str) -> str:
        """A name of the query's own (an alias, a derived column), quoted as it is spelt."""
        return quote_ident(name, self.dialect)

    def name(self, info: TableInfo) -> str:
        """The table's qualified name as the catalog resolves it."""
        table = info.table
        table_key = info.key.rsplit(".", 1)[-1] if table.schema else info.key
        parts = [(table.name, created_quoted(table.name, table_key, self.dialect))]
        if table.schema:
            schema_key = info.key[: len(info.key) - len(table_key) - 1]
            parts.insert(0, (table.schema, created_quoted(table.schema, schema_key, self.dialect)))
        return ".".join(quote_ident(p, self.dialect, keep_case=kept) for p, kept in parts)

    def alias(self, info: TableInfo, taken: set[str]) -> str:
        base = "".join(w[0] for w in re.split(r"[\W_]+", info.table.name.lower()) if w) or "t"
        base = base if base.upper() not in self.keywords else base + "1"
        alias, n = base, 1
        while alias in taken or alias.upper() in self.keywords:
            n += 1
            alias = f"{base}{n}"
        taken.add(alias)
        return alias

    def col(self, column: Column, alias: str | None = None) -> str:
        name = quote_ident(column.name, self.dialect, keep_case=id(column) in self.kept_columns)
        return f"{alias}.{name}" if alias else name

    def ref_column(self, fk: ForeignKey, parent: TableInfo) -> Column | None:
        keys = fk.ref_columns or parent.table.primary_key
        return parent.table.columns.get(keys[0]) if len(keys) == 1 else None

    def value(self, info: TableInfo, column: Column) -> Any | None:
        values = self.live.values(info.table, column) if self.live is not None else []
        values = values or self.db.values(info.key, column)
        return self.rng.choice(values) if values else None

    def literal(self, value: Any, column: Column) -> str:
        kind = family(column.type)
        if kind == "bool" or isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)) and kind != "text" or column.type == "" and isinstance(value, (int, float)):
            return repr(value)
        return "'" + str(value).replace("'", "''") + "'"

    def pick(self, items: list[Any]) -> Any | None:
        return self.rng.choice(items) if items else None


def synthesize(
    catalog: Catalog,
    n: int = 200,
    *,
    seed: int = 0,
    schema_id: str | None = None,
    database_url: str | None = None,
    rows: int = 20,
    max_attempts: int | None = None,
    on_pair: Callable[[int, int], None] | None = None,
) -> SynthResult:
    """Up to ``n`` validated, executed pairs over ``catalog`` (fewer for tiny schemas)."""
    from .synth_joins import JOIN_TEMPLATES
    from .synth_templates import TEMPLATES

    started = time.perf_counter()
    result = SynthResult()
    rng = random.Random(seed)
    db = ScratchDB(catalog, rows=rows, seed=seed)
    try:
        live = LiveValues(database_url) if database_url else None
        ctx = Context(catalog, db, rng, live)
        if not ctx.tables:
            result.dropped.add("no-tables")
            return result
        seen: set[str] = set()
        budget = max_attempts if max_attempts is not None else n * 6
        templates = [*TEMPLATES, *JOIN_TEMPLATES]
        draws = 0
        while len(result.records) < n and draws < budget:
            rng.shuffle(templates)
            for name, template in templates:
                if len(result.records) >= n or draws >= budget:
                    break
                draws += 1
                pair = template(ctx)
                if pair is None:
                    result.inapplicable += 1
                    continue
                before = len(result.records)
                _try(ctx, Pair(pair[0], pair[1], name), result, seen, schema_id, seed)
                if on_pair is not None and len(result.records) > before:
                    on_pair(len(result.records), n)
    finally:
        db.close()
    result.seconds = time.perf_counter() - started
    return result


def _try(ctx: Context, pair: Pair, result: SynthResult, seen: set[str], schema_id: str | None, seed: int) -> None:
    result.attempted += 1
    tree, reason = validate_sql(pair.sql, ctx.catalog)
    if reason is not None or tree is None:
        result.dropped.add(f"check:{reason}")
        return
    _rows, error = ctx.db.run(pair.sql, ctx.dialect)
    if error is not None:
        log.debug("synthesized SQL did not run: %s (%s)", pair.sql, error)
        result.dropped.add("execution-error")
        return
    result.executed += 1
    key = tree.sql(dialect=ctx.dialect, normalize=True).lower()
    if key in seen:
        result.dropped.add("duplicate")
        return
    seen.add(key)
    result.records.append(make_record(
        source="synthetic", dialect=ctx.dialect, schema=schema_slice(ctx.catalog, tree), schema_id=schema_id,
        question=pair.question, sql=pair.sql, complexity=complexity_of(tree),
        provenance={"generator": f"synth:{pair.template}", "seed": seed},
    ))
