"""The type rule: what a strict database rejects although every name resolves.

``check_types`` annotates a copy of the statement with sqlglot's ``annotate_types`` over
the catalog's column types and reports ``type-mismatch`` (ERROR) only where the operand's
type is certain (a catalog column, or an explicit ``CAST``) and the dialect refuses the
operation. PostgreSQL refuses all of these; DuckDB the ones marked (D) (as DuckDB 1.x/2.0
binds and runs them):
- ``AVG``/``SUM`` of a text column (D); ``SUM`` of a date/time (D) and ``AVG`` of one;
  ``AVG`` of a boolean (D) and ``SUM`` of one;
- arithmetic (``+ - * / %``) on a text column (D);
- ``LIKE``/``ILIKE`` on a numeric or date/time column (D);
- a numeric column compared with a string literal that is not a number (``id = 'abc'``;
  ``id = '5'`` is fine: the literal is cast) (D), or ``IN`` a list holding one (D when the
  list has no number: DuckDB compares a mixed list as text);
- a date/time column compared with (or ``IN``, ``BETWEEN``) a bare number (D), or with a
  string that cannot be a date or time (no digit, not ``'now'``/``'today'``...) (D);
- ``DATE_TRUNC`` of a bare number or of a numeric, text or boolean column (D).
SQLite, MySQL and the other dialects coerce, so nothing is reported there. Domains, enums,
arrays and types sqlglot cannot read are unknown and never reported; any failure of the
annotation gives no issue.

Speed: what the rule knows of a catalog's types is made once per catalog (``types_for``;
a new or changed catalog gets a new one): the type families of each column name, and the
sqlglot schema, built when a statement first needs it. A statement is annotated only when
it has an operation the rule flags on an operand that may have that type (``a.id > 700``
is not: no column ``id`` is a date), so most statements cost a walk of their tree.
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.errors import SchemaError, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope
from sqlglot.schema import MappingSchema

from .catalog import Catalog
from .issues import Issue

if TYPE_CHECKING:
    from .checks import Context

log = logging.getLogger(__name__)
DT = exp.DataType.Type
TEMPORAL = frozenset({DT.DATE, DT.DATETIME, DT.TIME, DT.TIMETZ, DT.TIMESTAMP, DT.TIMESTAMPTZ, DT.TIMESTAMPLTZ, DT.TIMESTAMPNTZ})
TEXT = frozenset({DT.TEXT, DT.VARCHAR, DT.CHAR, DT.NCHAR, DT.NVARCHAR, DT.BPCHAR})
NUMERIC = frozenset({DT.TINYINT, DT.SMALLINT, DT.INT, DT.BIGINT, DT.DECIMAL, DT.DOUBLE, DT.FLOAT, DT.SERIAL, DT.SMALLSERIAL, DT.BIGSERIAL})  # not MONEY: '$5' is one
BOOLEAN = frozenset({DT.BOOLEAN})
KNOWN = TEMPORAL | TEXT | NUMERIC | BOOLEAN  # every other type (domains, enums, YEAR, ...) is unknown
_SERIALS = {DT.SMALLSERIAL: "SMALLINT", DT.SERIAL: "INT", DT.BIGSERIAL: "BIGINT"}  # the column's own type
COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
TRUNCS = (exp.DateTrunc, exp.TimestampTrunc, exp.DatetimeTrunc, exp.TimeTrunc)
ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)

# What each strict dialect rejects: the checks below are named by these keys.
STRICT: dict[str, frozenset[str]] = {
    "postgres": frozenset({
        "sum-temporal", "avg-temporal", "sum-text", "avg-text", "sum-boolean", "avg-boolean", "arithmetic-text",
        "like-non-text", "number-vs-text", "temporal-vs-number", "temporal-vs-text", "mixed-in-list",
        "trunc-non-temporal",
    }),
    "duckdb": frozenset({"sum-temporal", "sum-text", "avg-text", "avg-boolean", "arithmetic-text", "like-non-text", "number-vs-text",
                         "temporal-vs-number", "temporal-vs-text", "trunc-non-temporal"}),
}  # fmt: skip

MAX_NODES = 5_000
# What sqlglot itself raises on odd trees besides its own errors (as ``parsing.py`` knows).
_SQLGLOT_CRASHES = (TypeError, AttributeError, IndexError, KeyError, ValueError, AssertionError)

FAMILIES = (("temporal", TEMPORAL), ("text", TEXT), ("numeric", NUMERIC), ("boolean", BOOLEAN))


class CatalogTypes:
    """What the rule knows of one catalog's types: the type families each column name has
    in some table (a cheap first look: most statements name no column the rule could
    flag), and the sqlglot schema, built the first time a statement needs annotating."""

    def __init__(self, catalog: Catalog) -> None:
        self.dialect = catalog.dialect.lower()
        self._catalog = weakref.ref(catalog)
        self._schema: MappingSchema | None = None
        self.families: dict[str, set[str]] = {}
        for table in catalog:
            for column in table.columns.values():
                family = _family(column.type or "", self.dialect)
                if family is not None:
                    self.families.setdefault(column.name.lower(), set()).add(family)

    def has(self, column: exp.Expression | None, *families: str) -> bool:
        """Whether an operand may be of one of ``families`` (a CAST always may)."""
        while isinstance(column, exp.Paren):
            column = column.this
        if isinstance(column, exp.Cast):
            return True
        return isinstance(column, exp.Column) and bool(self.families.get(column.name.lower(), set()).intersection(families))

    @property
    def schema(self) -> MappingSchema:
        if self._schema is None:
            catalog = self._catalog()
            mapping: dict[str, dict[str, str]] = {}
            if catalog is not None:
                names = [t.name for t in catalog]
                for table in catalog:
                    if names.count(table.name) > 1:
                        continue  # which one a name means is the search path's business: no types
                    if not table.name or not table.columns:
                        continue  # a view or table whose columns are unknown: nothing to type
                    mapping[table.name] = {c.name: _type_sql(c.type or "", self.dialect) for c in table.columns.values()}
            try:
                self._schema = MappingSchema(mapping, dialect=self.dialect, normalize=True)
            except SchemaError as exc:  # a shape sqlglot refuses: no types, never a crash
                log.debug("no column types for this catalog: %s", exc)
                self._schema = MappingSchema({}, dialect=self.dialect)
        return self._schema


_CACHE: OrderedDict[int, tuple[weakref.ref[Catalog], tuple[object, ...], CatalogTypes]] = OrderedDict()
_MAX_CACHED = 8


def _fingerprint(catalog: Catalog) -> tuple[object, ...]:
    """Cheap to take on every statement: the dialect and which table objects it holds
    (replaying a changed schema makes a new catalog, or new tables in it)."""
    return (catalog.dialect, hash(tuple(map(id, catalog.tables.values()))))


@functools.lru_cache(maxsize=4096)
def _built(type_: str, dialect: str) -> exp.DataType | None:
    try:
        built = exp.DataType.build(type_, dialect=dialect)
    except (SqlglotError, *_SQLGLOT_CRASHES):
        return None
    return built if built.this in KNOWN else None


@functools.lru_cache(maxsize=4096)
def _type_sql(type_: str, dialect: str) -> str:
    """The column type as sqlglot reads it, or ``UNKNOWN`` when it is not a known base type."""
    built = _built(type_, dialect)
    if built is None:
        return "UNKNOWN"
    return _SERIALS.get(built.this, built.sql(dialect))


def _family(type_: str, dialect: str) -> str | None:
    built = _built(type_, dialect)
    return None if built is None else next(name for name, types in FAMILIES if built.this in types)


def types_for(catalog: Catalog) -> CatalogTypes:
    """The rule's view of ``catalog``'s types, made once per catalog (a changed catalog,
    told by the tables it holds, gets a fresh one)."""
    key = id(catalog)
    fingerprint = _fingerprint(catalog)
    cached = _CACHE.get(key)
    if cached is not None and cached[0]() is catalog and cached[1] == fingerprint:
        _CACHE.move_to_end(key)
        return cached[2]
    types = CatalogTypes(catalog)
    _CACHE[key] = (weakref.ref(catalog), fingerprint, types)
    while len(_CACHE) > _MAX_CACHED:
        _CACHE.popitem(last=False)
    return types


def schema_for(catalog: Catalog) -> MappingSchema:
    """The sqlglot schema of ``catalog``'s column types, built once per catalog."""
    return types_for(catalog).schema


def _worth_annotating(tree: exp.Expression, types: CatalogTypes, allowed: frozenset[str]) -> bool:
    """Whether the statement has an operation the rule could flag on an operand that may
    have the type it is flagged for (``a.id > 700`` cannot be: no column ``id`` is a
    date), and is small enough that annotating it stays cheap (``MAX_NODES``)."""
    found = False
    for count, node in enumerate(tree.walk()):
        if count > MAX_NODES:
            return False
        if not found and type(node) in _RELEVANT:
            found = _suspect(node, types)
    return found


_RELEVANT = frozenset({exp.Avg, exp.Sum, exp.Like, exp.ILike, exp.In, exp.Between, *ARITHMETIC, *COMPARISONS, *TRUNCS})


def _suspect(node: exp.Expression, types: CatalogTypes) -> bool:
    if isinstance(node, (exp.Avg, exp.Sum)):
        return types.has(node.this, "temporal", "text", "boolean")
    if isinstance(node, TRUNCS):
        return _number_literal(node.this) or types.has(node.this, "numeric", "text", "boolean")
    if isinstance(node, ARITHMETIC):
        return types.has(node.this, "text") or types.has(node.expression, "text")
    if isinstance(node, (exp.Like, exp.ILike)):
        return types.has(node.this, "numeric", "temporal")
    if isinstance(node, COMPARISONS):
        pairs = ((node.this, node.expression), (node.expression, node.this))
        return any(isinstance(lit, exp.Literal) and (types.has(col, "numeric", "temporal") if lit.is_string else types.has(col, "temporal")) for col, lit in pairs)
    if isinstance(node, exp.Between):
        literals = [b for b in (node.args.get("low"), node.args.get("high")) if isinstance(b, exp.Literal)]
        return (any(b.is_string for b in literals) and types.has(node.this, "numeric", "temporal")) or (any(not b.is_string for b in literals) and types.has(node.this, "temporal"))
    if isinstance(node, exp.In) and not node.args.get("query"):
        literals = [i for i in node.expressions if isinstance(i, exp.Literal)]
        return (any(i.is_string for i in literals) and types.has(node.this, "numeric", "temporal")) or (any(not i.is_string for i in literals) and types.has(node.this, "temporal"))
    return False


def _table_columns(tree: exp.Expression) -> set[int]:
    """The columns of ``tree`` that read a table (not a CTE's or a subquery's output, whose
    type sqlglot infers from expressions it may type differently than the database:
    ``current_date - d`` is an integer in PostgreSQL)."""
    out: set[int] = set()
    for scope in traverse_scope(tree):
        for column in scope.columns:
            if isinstance(scope.sources.get(column.table), exp.Table):
                out.add(id(column))
    return out


def _operand(node: exp.Expression | None, table_columns: set[int]) -> tuple[str, DT] | None:
    """(what, type) of an operand whose type is certain: a table's column or a CAST."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column) and id(node) not in table_columns:
        return None
    if isinstance(node, (exp.Column, exp.Cast)) and node.type is not None and node.type.this in KNOWN:
        what = node.name if isinstance(node, exp.Column) else node.sql()
        return what, node.type.this
    return None


def _number_literal(node: exp.Expression | None) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Literal) and not node.is_string


def _is_number(text: str) -> bool:
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def _literal_clash(typed: tuple[str, DT], literal: exp.Expression, allowed: frozenset[str], dialect: str) -> str | None:
    what, type_ = typed
    if not isinstance(literal, exp.Literal):
        return None
    if type_ in NUMERIC and literal.is_string and not _is_number(literal.this) and "number-vs-text" in allowed:
        return f"{what} ({type_.value}) compared with '{literal.this}' fails in {dialect}: not a number"
    if type_ in TEMPORAL and not literal.is_string and "temporal-vs-number" in allowed:
        return f"{what} ({type_.value}) compared with the number {literal.this} fails in {dialect}: use a date literal such as '2005-06-01'"
    if type_ in TEMPORAL and literal.is_string and not _may_be_temporal(literal.this) and "temporal-vs-text" in allowed:
        return f"{what} ({type_.value}) compared with '{literal.this}' fails in {dialect}: not a date or time"
    return None


# the strings PostgreSQL reads as dates/times without a digit in them
_TEMPORAL_WORDS = frozenset({"now", "today", "tomorrow", "yesterday", "epoch", "infinity", "-infinity", "allballs"})


def _may_be_temporal(text: str) -> bool:
    """Whether a string literal could be read as a date or time: anything holding a digit
    (every format a database accepts does) or one of the special words; ``'GUINESS'`` is not."""
    bare = text.strip().lower()
    return any(ch.isdigit() for ch in bare) or bare in _TEMPORAL_WORDS


def _findings(tree: exp.Expression, dialect: str, allowed: frozenset[str]) -> Iterator[tuple[str, exp.Expression]]:
    table_columns = _table_columns(tree)

    def _certain(node: exp.Expression | None) -> tuple[str, DT] | None:
        return _operand(node, table_columns)

    for node in tree.walk():
        if isinstance(node, (exp.Avg, exp.Sum)):
            typed = _certain(node.this)
            fn = "avg" if isinstance(node, exp.Avg) else "sum"
            family = None if typed is None else "temporal" if typed[1] in TEMPORAL else "text" if typed[1] in TEXT else "boolean" if typed[1] in BOOLEAN else None
            if typed and f"{fn}-{family}" in allowed:
                yield f"{fn}() of {typed[0]} ({typed[1].value}) fails in {dialect}: it needs a number", node
        elif isinstance(node, TRUNCS) and "trunc-non-temporal" in allowed:
            typed = _certain(node.this)
            if _number_literal(node.this):
                yield f"date_trunc() of the number {node.this.sql()} fails in {dialect}: it truncates a date or time", node
            elif typed and typed[1] in NUMERIC | TEXT | BOOLEAN:
                yield f"date_trunc() of {typed[0]} ({typed[1].value}) fails in {dialect}: it truncates a date or time", node
        elif isinstance(node, ARITHMETIC) and "arithmetic-text" in allowed:
            for side in (node.this, node.expression):
                typed = _certain(side)
                if typed and typed[1] in TEXT:
                    yield f"arithmetic on {typed[0]} ({typed[1].value}) fails in {dialect}: it is text", node
                    break
        elif isinstance(node, (exp.Like, exp.ILike)) and "like-non-text" in allowed:
            typed = _certain(node.this)
            if typed and typed[1] in NUMERIC | TEMPORAL:
                op = "LIKE" if isinstance(node, exp.Like) else "ILIKE"
                yield f"{op} on {typed[0]} ({typed[1].value}) fails in {dialect}: it needs text (cast it first)", node
        elif isinstance(node, COMPARISONS):
            for col, other in ((node.this, node.expression), (node.expression, node.this)):
                typed = _certain(col)
                message = _literal_clash(typed, other, allowed, dialect) if typed else None
                if message:
                    yield message, node
                    break
        elif isinstance(node, exp.Between):
            typed = _certain(node.this)
            for bound in (node.args.get("low"), node.args.get("high")) if typed else ():
                message = _literal_clash(typed, bound, allowed, dialect)  # type: ignore[arg-type]
                if message:
                    yield message.replace("compared with", "BETWEEN"), node
                    break
        elif isinstance(node, exp.In) and not node.args.get("query"):
            typed = _certain(node.this)
            mixed = any(isinstance(i, exp.Literal) and not i.is_string for i in node.expressions)
            lenient = typed is not None and typed[1] in NUMERIC and mixed and "mixed-in-list" not in allowed
            for item in node.expressions if typed and not lenient else ():
                message = _literal_clash(typed, item, allowed, dialect)  # type: ignore[arg-type]
                if message:
                    yield message.replace("compared with", "IN list has"), node
                    break


def type_findings(tree: exp.Expression | None, catalog: Catalog) -> list[tuple[str, exp.Expression]]:
    """(message, node) for each operation the database would reject by type. The nodes
    belong to an annotated copy of ``tree``; their identifiers keep ``tree``'s positions."""
    dialect = catalog.dialect.lower()
    allowed = STRICT.get(dialect)
    if tree is None or allowed is None:
        return []
    types = types_for(catalog)
    if not _worth_annotating(tree, types, allowed):
        return []
    schema = types.schema
    try:
        qualified = qualify(tree.copy(), schema=schema, dialect=dialect, validate_qualify_columns=False, quote_identifiers=False, identify=False, expand_stars=False)
        typed = annotate_types(qualified, schema=schema, dialect=dialect)
        return list(_findings(typed, dialect, allowed))
    except (SqlglotError, RecursionError, *_SQLGLOT_CRASHES):
        return []  # no types, no issue: the rule never raises on odd SQL


def check_types(tree: exp.Expression, ctx: Context) -> list[Issue]:
    """The ``type-mismatch`` rule (see the module docstring)."""
    return [ctx.issue("type-mismatch", message, node.find(exp.Column) or node) for message, node in type_findings(tree, ctx.catalog)]
