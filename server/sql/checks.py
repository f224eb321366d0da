"""Checks of query SQL against the catalog: small rules over one parse, each returns
``Issue`` data and never raises.

A rule is a function ``(tree, context) -> Iterable[Issue]``; ``RULES`` lists them in the
order they run, sqlglot-style. Each statement is parsed once (``parse_statement``) and every
rule reads that tree (a rule that needs a rewritten tree works on its own copy). Rules are
*editor* rules (diagnostics, ``querywright check``, and model validation alike) or
*AI-only* rules (``Rule.editor=False``): what a person may write but a suggestion should
not (writing to a view, a statement the scratch database would be changed by).

Rules (``code``: what it flags):
- names (``names.py``): ``unknown-table``, ``unknown-column``, ``unknown-alias``,
  ``ambiguous-column``.
- ``type-mismatch`` (``types.py``): an operation the database rejects by type (PostgreSQL
  and DuckDB only).
- ``ungrouped-column`` (``grouping.py``): a selected column neither grouped nor aggregated
  (PostgreSQL-family and other strict dialects; not SQLite or MySQL); fix: add it to the
  GROUP BY.
- ``write-to-view`` (AI-only): INSERT/UPDATE/DELETE whose target is a view. Views that
  can be written exist, but a suggestion should write to the table.
- ``columns-of-no-table`` (AI-only, ``partial`` statements): a SELECT list still without
  FROM whose columns no single table or view has.
- ``aggregate-in-where``: ``WHERE minutes = MAX(minutes)`` in the outermost query: every
  database rejects an aggregate there (a subquery's own aggregates are fine).
- ``duplicate-alias``: two tables of one FROM clause under the same name (``FROM film f JOIN
  film_category f``): PostgreSQL rejects it, SQLite reads every column of it as ambiguous.
- ``join-relates-nothing`` (AI-only): a JOIN whose ON condition compares a table with itself
  only (``JOIN category c ON c.category_id = c.category_id``): a cross join in disguise.
- ``join-off-key`` (AI-only): a JOIN between two tables that a foreign key links, on columns
  that are keys of neither (``ON fa.last_update = f.last_update``).
- ``not-read-only`` (AI-only, ``read_only`` contexts: the candidates ``ask`` runs): any
  statement but a query: writes, DDL, ``SELECT ... INTO``, data-modifying CTEs
  (``WITH x AS (DELETE ... RETURNING *) SELECT ...``), ``FOR UPDATE``, functions with
  effects (``nextval``, ``pg_sleep``, ``pg_terminate_backend``...), a second statement.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.scope import Scope, traverse_scope

from .catalog import Catalog, Table
from .grouping import check_grouping
from .issues import Fix, Issue, Severity, Span
from .names import NO_FROM, StatementChecker, alias_columns, is_pseudo_column, suggest
from .parsing import Parsed, node_span, parse_statement
from .text import TextIndex, split_statements
from .types import check_types

__all__ = ["NO_FROM", "RULES", "Context", "Rule", "alias_columns", "check_sql", "check_statement", "check_text", "is_pseudo_column", "suggest"]


@dataclass(frozen=True)
class Context:
    """What a rule may read besides the tree: the catalog, where the statement is, and
    what the caller validates for (``ai``: a model's candidate; ``partial``: a statement
    still being written; ``read_only``: a query that will be executed)."""

    catalog: Catalog
    parsed: Parsed
    index: TextIndex
    path: str | None = None
    ai: bool = False
    partial: bool = False
    read_only: bool = False

    @property
    def dialect(self) -> str:
        return self.catalog.dialect.lower()

    @functools.cached_property
    def scopes(self) -> list[Scope]:
        """sqlglot's scopes of the tree (children before parents), computed once for all
        rules; empty when sqlglot cannot build them."""
        tree = self.parsed.tree
        if tree is None:
            return []
        try:
            return traverse_scope(tree)
        except (OptimizeError, RecursionError):
            return []

    def span(self, node: exp.Expression | None) -> Span:
        statement = self.parsed.statement
        found = node_span(node, statement, self.index) if node is not None else None
        return found or self.index.span(statement.code_start, statement.end)

    def issue(self, code: str, message: str, node: exp.Expression | None = None, severity: Severity = Severity.ERROR, fixes: tuple[Fix, ...] = ()) -> Issue:
        return Issue(code, severity, message, self.span(node), path=self.path, fixes=fixes)


RuleCheck = Callable[[exp.Expression, Context], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    """One check: its codes, its function and whether the editor shows it."""

    codes: tuple[str, ...]
    check: RuleCheck
    editor: bool = True


def names_rule(tree: exp.Expression, ctx: Context) -> list[Issue]:
    """Every table, column and alias resolves (see ``names.py``)."""
    return StatementChecker(ctx.catalog, ctx.parsed, ctx.index, ctx.path, partial=ctx.partial).run(ctx.scopes)


def write_to_view(tree: exp.Expression, ctx: Context) -> Iterator[Issue]:
    """Anti-pattern: ``DELETE FROM active_users WHERE ...`` (a view). Best practice: write to
    the table the view reads."""
    target = tree.this if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)) else None
    if isinstance(target, exp.Schema):
        target = target.this
    table = ctx.catalog.find_expression(target) if isinstance(target, exp.Table) else None
    if table is not None and table.kind == "view":
        yield ctx.issue("write-to-view", f"{table.display_name} is a view, not a table", target)


def columns_of_no_table(tree: exp.Expression, ctx: Context) -> Iterator[Issue]:
    """A statement being typed, ``SELECT email, name`` before its FROM: its unqualified
    columns (select-list aliases aside) must all be columns of one table or view, so that
    a FROM clause can make it valid."""
    if not ctx.partial or not isinstance(tree, exp.Select) or tree.args.get("from_") or tree.args.get("from"):
        return
    aliases = {e.alias.lower() for e in tree.expressions if isinstance(e, exp.Alias)}
    names = {ctx.catalog.key(c.name) for c in tree.find_all(exp.Column) if not c.table and c.name.lower() not in aliases and not isinstance(c.this, exp.Star)}
    if names and not any(names <= set(table.columns) for table in ctx.catalog):
        yield ctx.issue("columns-of-no-table", f"no table has all of the columns {', '.join(sorted(names))}")


# Functions with effects beyond the query (sessions, sequences, files, locks, sleeping).
_EFFECT_FUNCTIONS = frozenset({
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "set_config",
    "nextval", "setval", "pg_sleep", "pg_sleep_for", "pg_sleep_until", "lo_import", "lo_export",
    "lo_unlink", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "dblink",
    "dblink_exec", "pg_notify", "pg_advisory_lock", "pg_advisory_xact_lock", "pg_try_advisory_lock",
    "load_extension", "writefile", "readfile", "sleep", "benchmark", "sys_exec", "xp_cmdshell",
})  # fmt: skip
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Into, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable, exp.Command)


def not_read_only(tree: exp.Expression, ctx: Context) -> Iterator[Issue]:
    """Anti-pattern: a candidate answer that changes data (``DELETE ...``, ``SELECT * INTO
    copy FROM t``, ``WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone``, DDL,
    a second statement). Best practice: answers that are executed are plain queries."""
    if not ctx.read_only:
        return
    if ctx.parsed.rest:
        yield ctx.issue("not-read-only", "more than one statement: only one query is run")
        return
    if not isinstance(tree, (exp.Query, exp.Values)):
        yield ctx.issue("not-read-only", f"not a query ({tree.key.upper()}): only read-only queries are run")
        return
    for node in tree.walk():
        if isinstance(node, _WRITES):
            what = "SELECT ... INTO" if isinstance(node, exp.Into) else f"{node.key.upper()} inside the query"
            yield ctx.issue("not-read-only", f"{what} changes the database: only read-only queries are run", node)
            return
        if isinstance(node, exp.Func) and (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower() in _EFFECT_FUNCTIONS:
            yield ctx.issue("not-read-only", f"{node.sql_name() if not isinstance(node, exp.Anonymous) else node.name}() has effects beyond the query: only plain queries are run", node)
            return
        if isinstance(node, exp.Lock):
            yield ctx.issue("not-read-only", "FOR UPDATE / FOR SHARE locks rows: only plain queries are run")
            return


def compares_with_null(tree: exp.Expression, ctx: Context) -> Iterator[Issue]:
    """Anti-pattern: ``length BETWEEN 180 AND NULL``, ``x = NULL``, ``x <> NULL``, ``x IN
    (NULL)``: a comparison with NULL is never true, so the filter keeps no row. Best
    practice: ``IS NULL`` / ``IS NOT NULL``, or the bound the question means."""
    for node in tree.walk():
        operands: list[exp.Expression | None] = []
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            operands = [node.this, node.expression]
        elif isinstance(node, exp.Between):
            operands = [node.args.get("low"), node.args.get("high")]
        elif isinstance(node, exp.In) and not node.args.get("query"):
            operands = list(node.expressions) if all(isinstance(e, exp.Null) for e in node.expressions) else []
        if any(isinstance(o, exp.Null) for o in operands):
            yield ctx.issue("compares-with-null", f"{node.sql(dialect=ctx.catalog.dialect)} is never true: compare with IS NULL / IS NOT NULL", node)
            return


def aggregate_in_where(tree: exp.Expression, ctx: Context) -> Iterator[Issue]:
    """Error: ``SELECT ... WHERE minutes = MAX(minutes)``: aggregates are computed over groups,
    after WHERE has chosen the rows. Best practice: compare with a subquery
    (``WHERE minutes = (SELECT MAX(minutes) FROM matches)``) or filter groups in HAVING."""
    where = tree.args.get("where") if isinstance(tree, exp.Select) else None
    if not isinstance(where, exp.Where):
        return
    for node in where.find_all(exp.AggFunc):
        if node.find_ancestor(exp.Select) is tree and node.find_ancestor(exp.Window) is None:
            yield ctx.issue("aggregate-in-where", f"{node.sql(dialect=ctx.catalog.dialect)} in WHERE: aggregates belong in HAVING or a subquery", node)
            return


def from_sources(select: exp.Select) -> list[exp.Expression]:
    """The sources of ``select``'s own FROM clause and JOINs (tables, subqueries...), in order."""
    from_ = select.args.get("from_")
    nodes = [from_.this] if from_ is not None else []
    return nodes + [join.this for join in select.args.get("joins") or []]


def duplicate_alias(tree: exp.Expression, ctx: Context) -> Iterator[Issue]:
    """Error: ``FROM film f JOIN film_category f``: one name for two tables of a FROM clause."""
    for select in tree.find_all(exp.Select):
        seen: set[str] = set()
        for node in from_sources(select):
            if not isinstance(node, (exp.Table, exp.Subquery)) or not node.alias_or_name:
                continue
            name = node.alias_or_name.lower()
            if name in seen:
                yield ctx.issue("duplicate-alias", f"{node.alias_or_name} names two tables of one FROM clause", node)
                return
            seen.add(name)


def relates_nothing(on: exp.Expression) -> bool:
    """Whether every comparison of two columns in a join's ON condition reads one and the same
    table (``c.category_id = c.category_id``), and there is at least one."""
    pairs = [list(eq.find_all(exp.Column)) for eq in on.find_all(exp.EQ)]
    pairs = [cols for cols in pairs if len(cols) >= 2]
    return bool(pairs) and all(all(c.table for c in cols) and len({c.table.lower() for c in cols}) == 1 for cols in pairs)


def excluded_join(select: exp.Expression | None) -> tuple[exp.Join, exp.Not] | None:
    """The single inner join of ``select`` (two tables) and the ``NOT x IN (SELECT ... FROM t)``
    of its WHERE where ``t`` is one of those two tables (``FROM countries JOIN car_makers ...
    WHERE NOT ... IN (SELECT ... FROM car_makers)``): rows kept for having a related row, then
    excluded by the same tables. None when the shape is not there."""
    if not isinstance(select, exp.Select):
        return None
    joins = select.args.get("joins") or []
    where = select.args.get("where")
    if len(joins) != 1 or not isinstance(where, exp.Where) or joins[0].side or joins[0].kind not in ("", "INNER"):
        return None
    tables = from_sources(select)
    if not all(isinstance(node, exp.Table) for node in tables):
        return None
    names = {node.name.lower() for node in tables}
    if len(names) != 2:
        return None
    for node in where.find_all(exp.Not):
        query = node.this.args.get("query") if isinstance(node.this, exp.In) else None
        inner = query.this if isinstance(query, exp.Subquery) else query
        if not isinstance(inner, exp.Select) or inner.args.get("joins"):
            continue
        read = from_sources(inner)
        if len(read) == 1 and isinstance(read[0], exp.Table) and read[0].name.lower() in names:
            return joins[0], node
    return None


def _is_key(table: Table, name: str) -> bool:
    """Whether column ``name`` of ``table`` is in its primary key or one of its foreign keys."""
    key = table.find_column(name)
    return key is not None and (key in table.primary_key or any(key in fk.columns for fk in table.foreign_keys))


def off_key(select: exp.Select, on: exp.Expression, catalog: Catalog) -> bool:
    """Whether ``on`` compares two tables that a foreign key links on columns that are keys of
    neither (``fa.last_update = f.last_update`` for ``film_actor`` and ``film``)."""
    tables: dict[str, Table] = {}
    for node in from_sources(select):
        if isinstance(node, exp.Table):
            table = catalog.find(node.name, node.db or None)
            if table is not None:
                tables[node.alias_or_name.lower()] = table
    for eq in on.find_all(exp.EQ):
        left, right = eq.this, eq.expression
        if not (isinstance(left, exp.Column) and isinstance(right, exp.Column) and left.table and right.table):
            continue
        a, b = tables.get(left.table.lower()), tables.get(right.table.lower())
        if a is None or b is None or a is b:
            continue
        linked = any(fk.ref_table == catalog.key_of(b) for fk in a.foreign_keys) or any(fk.ref_table == catalog.key_of(a) for fk in b.foreign_keys)
        if not linked:
            continue

        if not _is_key(a, left.name) and not _is_key(b, right.name):
            return True
    return False


def join_off_key(tree: exp.Expression, ctx: Context) -> Iterator[Issue]:
    """Anti-pattern (AI-only): ``JOIN film f ON fa.last_update = f.last_update`` where a foreign
    key links the two tables: rows that share a timestamp, not the rows that belong together.
    Best practice: the foreign key."""
    for select in tree.find_all(exp.Select):
        for join in select.args.get("joins") or []:
            on = join.args.get("on")
            if on is not None and off_key(select, on, ctx.catalog):
                yield ctx.issue("join-off-key", f"ON {on.sql(dialect=ctx.catalog.dialect)} joins on columns that are keys of neither table", on)
                return


def join_relates_nothing(tree: exp.Expression, ctx: Context) -> Iterator[Issue]:
    """Anti-pattern (AI-only): ``JOIN category c ON c.category_id = c.category_id``: every
    comparison of the ON condition reads one table, so the join pairs every row with every
    row. Best practice: the foreign key between the joined table and one before it."""
    for select in tree.find_all(exp.Select):
        for join in select.args.get("joins") or []:
            on = join.args.get("on")
            if on is None:
                continue
            if relates_nothing(on):
                yield ctx.issue("join-relates-nothing", f"ON {on.sql(dialect=ctx.catalog.dialect)} compares a table with itself", on)
                return


RULES: tuple[Rule, ...] = (
    Rule(("unknown-table", "unknown-column", "unknown-alias", "ambiguous-column"), names_rule),
    Rule(("type-mismatch",), check_types),
    Rule(("ungrouped-column",), check_grouping),
    Rule(("write-to-view",), write_to_view, editor=False),
    Rule(("columns-of-no-table",), columns_of_no_table, editor=False),
    Rule(("not-read-only",), not_read_only, editor=False),
    Rule(("compares-with-null",), compares_with_null, editor=False),
    Rule(("aggregate-in-where",), aggregate_in_where),
    Rule(("duplicate-alias",), duplicate_alias),
    Rule(("join-relates-nothing",), join_relates_nothing, editor=False),
    Rule(("join-off-key",), join_off_key, editor=False),
)


def run_rules(parsed: Parsed, ctx: Context, rules: Iterable[Rule] = RULES) -> list[Issue]:
    """The issues of one parsed statement under ``rules`` (AI-only ones when ``ctx.ai``),
    deduplicated by (code, span)."""
    if parsed.issue is not None:
        return [parsed.issue]
    tree = parsed.tree
    if tree is None:
        return []
    found: dict[tuple[str, Span], Issue] = {}
    for rule in rules:
        if not (rule.editor or ctx.ai):
            continue
        for issue in rule.check(tree, ctx):
            found.setdefault((issue.code, issue.span), issue)
    return list(found.values())


def check_statement(
    parsed: Parsed, catalog: Catalog, index: TextIndex, path: str | None = None,
    *, ai: bool = False, partial: bool = False, read_only: bool = False,
) -> list[Issue]:  # fmt: skip
    """The issues of one parsed statement of the document behind ``index``."""
    return run_rules(parsed, Context(catalog, parsed, index, path, ai=ai, partial=partial, read_only=read_only))


def check_text(text: str, catalog: Catalog, path: str | None = None, index: TextIndex | None = None) -> list[Issue]:
    """Every issue of every statement of a query document (the editor's rules)."""
    index = index or TextIndex(text)
    issues: list[Issue] = []
    for statement in split_statements(text, catalog.dialect):
        if statement.is_blank:
            continue
        issues.extend(check_statement(parse_statement(statement, catalog.dialect, index, path), catalog, index, path))
    return issues


def check_sql(sql: str, catalog: Catalog, *, ai: bool = False, partial: bool = False, read_only: bool = False) -> list[Issue]:
    """Check a snippet (e.g. a model's suggestion); positions are relative to ``sql``.
    ``ai``: the AI-only rules run too; ``partial``, ``read_only``: see ``Context``."""
    index = TextIndex(sql)
    issues: list[Issue] = []
    for statement in split_statements(sql, catalog.dialect):
        if statement.is_blank:
            continue
        parsed = parse_statement(statement, catalog.dialect, index)
        issues.extend(check_statement(parsed, catalog, index, ai=ai, partial=partial, read_only=read_only))
    return issues
