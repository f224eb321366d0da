"""The grouping rule: a selected column must be grouped or aggregated.

Anti-pattern (``ungrouped-column``, ERROR)::

    SELECT c.name, count(*) FROM customer c JOIN rental r USING (customer_id) GROUP BY c.customer_id, r.staff_id
    SELECT title, count(*) FROM film          -- an aggregate makes one group of the whole table

Best practice: group by every selected column that is not inside an aggregate (or
aggregate it: ``max(title)``). PostgreSQL and most engines refuse the statement ("column
must appear in the GROUP BY clause or be used in an aggregate function"); SQLite and MySQL
(without ONLY_FULL_GROUP_BY) pick an arbitrary row, so the rule is off for them.

The rule is conservative: it says nothing rather than raise a false alarm. A select list
item is not looked at when it holds a window function, a subquery, a ``*`` or a call of an
unknown function (it may be a custom aggregate); a scope is skipped when its GROUP BY uses
ROLLUP/CUBE/GROUPING SETS/ALL, an ordinal it cannot resolve, or a name that resolves to
no column or alias; a column is never reported when it resolves to no single source, when
it appears anywhere inside a GROUP BY expression, or when the GROUP BY holds the primary
key of its table (functional dependency).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

from .catalog import Catalog, Table
from .issues import Fix, Issue, Span, TextEdit
from .parsing import node_span

if TYPE_CHECKING:
    from .checks import Context

GROUP_STRICT_DIALECTS = frozenset({
    "postgres", "duckdb", "redshift", "snowflake", "oracle", "tsql", "bigquery", "trino", "presto",
    "athena", "spark", "databricks", "hive", "materialize", "risingwave",
})  # fmt: skip
_OPAQUE = (exp.Window, exp.Subquery, exp.Select, exp.Anonymous, exp.Star, exp.Exists)
_AGGREGATES = (exp.AggFunc, exp.Filter, exp.WithinGroup)

ColumnRef = tuple[str, str]  # (source alias key, column key)


class _Sources:
    """The FROM items of one scope and what each is known to hold."""

    def __init__(self, scope: Scope, catalog: Catalog) -> None:
        self.catalog = catalog
        self.tables: dict[str, Table | None] = {}  # alias key -> catalog table (None: derived/unknown)
        self.columns: dict[str, frozenset[str] | None] = {}  # alias key -> column keys (None: unknowable)
        for alias, source in scope.sources.items():
            key = catalog.key(alias)
            if isinstance(source, exp.Table):
                table = catalog.find_expression(source)
                self.tables[key] = table if table is not None and table.kind == "table" else None
                self.columns[key] = frozenset(table.columns) if table is not None else None
            elif isinstance(source, Scope) and isinstance(source.expression, exp.Select) and not source.expression.is_star:
                self.tables[key] = None
                self.columns[key] = frozenset(catalog.key(n) for n in source.expression.named_selects)
            else:
                self.tables[key] = None
                self.columns[key] = None

    def resolve(self, column: exp.Column) -> ColumnRef | None:
        """The one source a column belongs to; None when outside this scope or unsure."""
        name = self.catalog.key(column.name)
        if column.table:
            qualifier = self.catalog.key(column.table)
            if column.db or qualifier not in self.columns:
                return None
            held = self.columns[qualifier]
            return (qualifier, name) if held is not None and name in held else None
        if any(held is None for held in self.columns.values()):
            return None
        holders = [alias for alias, held in self.columns.items() if held is not None and name in held]
        return (holders[0], name) if len(holders) == 1 else None


def _norm(node: exp.Expression) -> str:
    """An expression's text with column qualifiers dropped, for matching GROUP BY items."""
    bare = node.copy().transform(lambda n: exp.column(n.name) if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star) else n)
    return bare.sql().lower()


def _unwrap(node: exp.Expression) -> exp.Expression:
    return node.this if isinstance(node, exp.Alias) else node


def _check_select(select: exp.Select, scope: Scope, catalog: Catalog) -> Iterator[exp.Column]:
    group = select.args.get("group")
    items = [_unwrap(e) for e in select.expressions]
    if group is None:
        aggregated = any(isinstance(n, exp.AggFunc) and not n.find_ancestor(exp.Window, exp.Subquery) for e in items for n in e.walk())
        if not aggregated or select.args.get("having") is not None:
            return
        keys: list[exp.Expression] = []
    else:
        if any(group.args.get(k) for k in ("rollup", "cube", "grouping_sets", "all", "totals")):
            return
        keys = list(group.expressions)
    sources = _Sources(scope, catalog)
    aliases = {catalog.key(e.alias): _unwrap(e) for e in select.expressions if isinstance(e, exp.Alias)}
    grouped: set[ColumnRef] = set()
    inside: set[str] = set()  # column keys that appear inside a GROUP BY expression
    expressions: set[str] = set()
    for key in keys:
        if isinstance(key, exp.Literal) and key.is_int:
            position = int(key.this) - 1
            if not 0 <= position < len(items) or isinstance(items[position], exp.Star):
                return
            key = items[position]
        if isinstance(key, exp.Column) and not isinstance(key.this, exp.Star):
            ref = sources.resolve(key)
            alias = aliases.get(catalog.key(key.name)) if not key.table else None
            if ref is None and alias is None:
                return  # a name this rule cannot place: say nothing
            if ref is not None:
                grouped.add(ref)
            if alias is not None:
                expressions.add(_norm(alias))
                inside.update(catalog.key(c.name) for c in alias.find_all(exp.Column))
            continue
        if isinstance(key, exp.Literal | exp.Null | exp.Boolean):
            continue
        if isinstance(key, exp.Tuple | exp.Paren) or key.find(exp.Subquery, exp.Select, exp.Star):
            return
        expressions.add(_norm(key))
        inside.update(catalog.key(c.name) for c in key.find_all(exp.Column))
    keyed = {alias for alias, table in sources.tables.items() if table is not None and table.primary_key and all((alias, k) in grouped for k in table.primary_key)}
    for item in items:
        if item.find(*_OPAQUE) is not None:
            continue
        yield from _ungrouped(item, sources, grouped, keyed, inside, expressions)


def _ungrouped(node: exp.Expression, sources: _Sources, grouped: set[ColumnRef], keyed: set[str], inside: set[str], expressions: set[str]) -> Iterator[exp.Column]:
    if isinstance(node, _AGGREGATES):
        return
    if expressions and not isinstance(node, exp.Literal) and _norm(node) in expressions:
        return
    if isinstance(node, exp.Column):
        ref = sources.resolve(node)
        if ref is None or ref in grouped or ref[0] in keyed or ref[1] in inside:
            return
        yield node
        return
    for child in node.iter_expressions():
        yield from _ungrouped(child, sources, grouped, keyed, inside, expressions)


def ungrouped_columns(tree: exp.Expression, catalog: Catalog, scopes: list[Scope] | None = None) -> list[exp.Column]:
    """Selected columns of ``tree`` that are neither grouped nor aggregated (see module);
    ``scopes``: sqlglot's scopes of the tree when the caller has them already."""
    if catalog.dialect.lower() not in GROUP_STRICT_DIALECTS or not any(isinstance(n, (exp.Group, exp.AggFunc)) for n in tree.walk()):
        return []
    if scopes is None:
        try:
            scopes = traverse_scope(tree)
        except (OptimizeError, RecursionError):
            return []
    found: list[exp.Column] = []
    try:
        for scope in scopes:
            if isinstance(scope.expression, exp.Select):
                found.extend(_check_select(scope.expression, scope, catalog))
    except (SqlglotError, RecursionError, TypeError, AttributeError, IndexError, KeyError, ValueError):
        return []  # an odd tree sqlglot cannot render back: say nothing rather than fail
    return found


def _add_to_group(column: exp.Column, ctx: Context) -> tuple[Fix, ...]:
    """The quick fix: the column appended to its SELECT's GROUP BY (when that ends in a
    column, whose end is known)."""
    select = column.find_ancestor(exp.Select)
    group = select.args.get("group") if select is not None else None
    last = group.expressions[-1] if group is not None and group.expressions else None
    if not isinstance(last, exp.Column) or node_span(last, ctx.parsed.statement, ctx.index) is None:
        return ()
    end = ctx.span(last).end
    text = column.sql(ctx.catalog.dialect)
    return (Fix(f"Add {text} to GROUP BY", (TextEdit(Span(end, end), f", {text}"),), preferred=True),)


def check_grouping(tree: exp.Expression, ctx: Context) -> list[Issue]:
    """The ``ungrouped-column`` rule (see the module docstring); its quick fix adds the
    column to the GROUP BY."""
    return [
        ctx.issue("ungrouped-column", f'column "{c.sql(ctx.catalog.dialect)}" must appear in the GROUP BY clause or be used in an aggregate function', c, fixes=_add_to_group(c, ctx))
        for c in ungrouped_columns(tree, ctx.catalog, ctx.scopes)
    ]
