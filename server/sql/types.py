"""Type rules: what a strict database rejects although every name resolves.

``type_issues`` annotates one parsed statement with sqlglot's ``annotate_types`` over the
catalog's column types and reports ``type-mismatch`` (ERROR) only where both types are
known and the dialect refuses the operation (PostgreSQL family, DuckDB):
- ``AVG``/``SUM`` of a date/time, text or boolean column;
- ``LIKE``/``ILIKE`` on a numeric or date/time column;
- a numeric column compared with a string literal that is not a number (``id = 'abc'``;
  ``id = '5'`` is fine: the literal is cast), a date/time column compared with a bare number.
Domains, enums and unparsable types are unknown and never reported. Any failure of the
annotation gives no issue: the rule never raises.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from .catalog import Catalog

STRICT_DIALECTS = frozenset({"postgres", "duckdb"})
DT = exp.DataType.Type
NUMERIC = exp.DataType.NUMERIC_TYPES
TEMPORAL = exp.DataType.TEMPORAL_TYPES
TEXT = exp.DataType.TEXT_TYPES
BOOLEAN = frozenset({DT.BOOLEAN})
COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)

Report = Callable[[str, exp.Expression], None]


def _schema(catalog: Catalog) -> dict[str, dict[str, str]]:
    """The catalog's schema with every type sqlglot cannot read made ``UNKNOWN``."""
    out: dict[str, dict[str, str]] = {}
    for table, columns in catalog.to_sqlglot_schema().items():
        kept: dict[str, str] = {}
        for name, type_ in columns.items():
            try:
                kept[name] = exp.DataType.build(type_, dialect=catalog.dialect).sql(catalog.dialect)
            except Exception:  # noqa: BLE001 - a domain/enum/odd type is simply unknown
                kept[name] = "UNKNOWN"
        out[table] = kept
    return out


def _worth_annotating(tree: exp.Expression) -> bool:
    return any(isinstance(n, (exp.Avg, exp.Sum, exp.Like, exp.ILike, *COMPARISONS)) for n in tree.walk())


def _column_type(node: exp.Expression | None) -> tuple[str, exp.DataType.Type] | None:
    if not isinstance(node, exp.Column) or node.type is None or node.type.this in (DT.UNKNOWN, DT.USERDEFINED):
        return None
    return node.name, node.type.this


def _is_number(text: str) -> bool:
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def _check(tree: exp.Expression, dialect: str, report: Report) -> None:
    for node in tree.walk():
        if isinstance(node, (exp.Avg, exp.Sum)):
            typed = _column_type(node.this)
            if typed and typed[1] in TEMPORAL | TEXT | BOOLEAN:
                fn = "avg" if isinstance(node, exp.Avg) else "sum"
                report(f"{fn}() of {typed[0]} ({typed[1].value}) fails in {dialect}: it needs a number", node)
        elif isinstance(node, (exp.Like, exp.ILike)):
            typed = _column_type(node.this)
            if typed and typed[1] in NUMERIC | TEMPORAL:
                op = "LIKE" if isinstance(node, exp.Like) else "ILIKE"
                report(f"{op} on {typed[0]} ({typed[1].value}) fails in {dialect}: it needs text (cast it first)", node)
        elif isinstance(node, COMPARISONS):
            for col, other in ((node.this, node.expression), (node.expression, node.this)):
                typed = _column_type(col)
                if typed is None or not isinstance(other, exp.Literal):
                    continue
                if typed[1] in NUMERIC and other.is_string and not _is_number(other.this):
                    report(f"{typed[0]} ({typed[1].value}) compared with '{other.this}' fails in {dialect}: not a number", node)
                elif typed[1] in TEMPORAL and not other.is_string:
                    report(f"{typed[0]} ({typed[1].value}) compared with the number {other.this} fails in {dialect}", node)


def type_issues(tree: exp.Expression | None, catalog: Catalog, report: Report) -> None:
    """Report (message, node) for each operation the database would reject by type."""
    dialect = catalog.dialect.lower()
    if tree is None or dialect not in STRICT_DIALECTS or not _worth_annotating(tree):
        return
    found: list[tuple[str, exp.Expression]] = []
    try:
        copy = tree.copy()
        originals = {id(c): o for c, o in zip(copy.walk(), tree.walk())}
        schema = _schema(catalog)
        typed = annotate_types(qualify(copy, schema=schema, dialect=dialect, validate_qualify_columns=False, quote_identifiers=False), schema=schema, dialect=dialect)
        _check(typed, dialect, lambda m, n: found.append((m, n)))
        found = [(m, originals[id(n)]) for m, n in found if id(n) in originals]
    except Exception:  # noqa: BLE001 - the rule must never raise; no types, no issue
        return
    for message, node in found:
        report(message, node)
