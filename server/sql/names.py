"""The name rule: every table, column and alias a statement names must resolve.

Codes:
- ``unknown-table``: a table that is neither in the catalog nor a CTE (did-you-mean fix).
- ``unknown-column``: a column no source in scope has (alias-, CTE- and subquery-aware;
  did-you-mean fix; related information points at the table's DDL). ``product_id`` on
  ``products`` whose key is ``id`` is offered ``id`` (the naming convention).
  A column in a query that has no FROM clause at all is unknown too, except in a
  ``partial`` statement (still being typed: its FROM clause is yet to come).
- ``unknown-alias``: ``x.col`` or ``x.*`` where no table or alias ``x`` is in scope.
- ``ambiguous-column``: an unqualified column that several sources in scope have
  (fixes qualify it with each alias); columns merged by ``JOIN ... USING (...)`` and the
  common columns of a ``NATURAL JOIN`` are one column, not ambiguous.
A CTE's column list (``WITH RECURSIVE t(n) AS ...``) and a derived table's or VALUES list's
alias columns (``AS v(id, name)``) name that source's columns.
A source whose columns are unknowable (a table function, a subquery with ``*`` over an
unknown table) makes unqualified columns uncertain: nothing is reported rather than a
false alarm.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.scope import Scope, traverse_scope

from .catalog import Catalog, Table
from .issues import Fix, Issue, Related, Severity, Span, TextEdit
from .parsing import Parsed, node_span
from .text import Statement, TextIndex

SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "sys", "sqlite_master", "mysql", "performance_schema"})
SYSTEM_TABLES = frozenset({"dual", "sqlite_master", "sqlite_schema", "sqlite_sequence"})
UNKNOWN = None  # marker: a source whose columns cannot be known

# The end of the message for a column in a query that has no FROM clause.
NO_FROM = "the query has no FROM clause"


@dataclass(frozen=True)
class Source:
    """A FROM item in scope: a catalog table, a derived table/CTE, or unknowable."""

    alias: str
    table: Table | None = None
    columns: frozenset[str] | None = None  # keys of derived-table outputs; None = unknown

    def has(self, key: str) -> bool | None:
        if self.table is not None:
            return key in self.table.columns
        if self.columns is not None:
            return key in self.columns
        return None

    def column_names(self) -> list[str]:
        if self.table is not None:
            return [c.name for c in self.table.columns.values()]
        return sorted(self.columns or ())


# Columns every row of a table has without the DDL naming them (upper-case names).
PSEUDO_COLUMNS: dict[str, frozenset[str]] = {
    "oracle": frozenset({"ROWNUM", "ROWID", "LEVEL", "ORA_ROWSCN", "CONNECT_BY_ISLEAF", "CONNECT_BY_ISCYCLE"}),
    "sqlite": frozenset({"ROWID", "OID", "_ROWID_"}),
    "postgres": frozenset({"CTID", "XMIN", "XMAX", "CMIN", "CMAX", "TABLEOID"}),
    "tsql": frozenset({"$IDENTITY", "$ROWGUID"}),
}


def is_pseudo_column(name: str, dialect: str) -> bool:
    """Whether ``name`` is a system column of the dialect (``ROWNUM``, ``rowid``, ``ctid``)."""
    return name.upper() in PSEUDO_COLUMNS.get(dialect.lower(), frozenset())


def suggest(name: str, options: list[str], n: int = 3) -> list[str]:
    lowered = {o.lower(): o for o in options}
    return [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)]


class StatementChecker:
    """Checks one parsed statement; collects issues deduplicated by (code, span)."""

    def __init__(self, catalog: Catalog, parsed: Parsed, index: TextIndex, path: str | None, partial: bool = False) -> None:
        self.catalog = catalog
        self.partial = partial  # a statement still being written: no FROM clause yet is no error
        self.statement: Statement = parsed.statement
        self.tree = parsed.tree
        self.index = index
        self.path = path
        self.issues: dict[tuple[str, Span], Issue] = {}

    # ------------------------------------------------------------------ helpers
    def span(self, node: exp.Expression) -> Span:
        return node_span(node, self.statement, self.index) or self.index.span(self.statement.code_start, self.statement.end)

    def add(self, code: str, message: str, node: exp.Expression, replacements: list[str] = (), related: tuple[Related, ...] = (), severity: Severity = Severity.ERROR, fixes: tuple[Fix, ...] | None = None) -> None:  # type: ignore[assignment]
        span = self.span(node)
        if fixes is None:
            fixes = tuple(Fix(f"Change to '{r}'", (TextEdit(span, r),), preferred=i == 0) for i, r in enumerate(replacements))
        self.issues.setdefault((code, span), Issue(code, severity, message, span, path=self.path, fixes=fixes, related=related))

    def key(self, ident: exp.Expression | str | None) -> str:
        if isinstance(ident, exp.Identifier):
            return self.catalog.key(ident.name, bool(ident.quoted))
        if isinstance(ident, str):
            return self.catalog.key(ident)
        return ""

    def related(self, table: Table | None) -> tuple[Related, ...]:
        if table is None or table.location is None:
            return ()
        return (Related(table.location, f"{table.display_name} is defined here"),)

    # ------------------------------------------------------------------ tables
    def catalog_table(self, node: exp.Table, cte_names: set[str]) -> Table | None | bool:
        """The catalog table, False if it is unknown (reported), None if not checkable."""
        if not isinstance(node.this, exp.Identifier):
            return None
        if node.db and node.db.lower() in SYSTEM_SCHEMAS or node.name.lower() in SYSTEM_TABLES:
            return None
        if not node.db and self.key(node.this) in cte_names:
            return None
        table = self.catalog.find_expression(node)
        if table is None:
            names = [t.display_name for t in self.catalog]
            hint = suggest(node.name, names)
            message = f"unknown table {exp.table_name(node)}"
            dropped = self.catalog.dropped_tables.get(self.catalog.table_key(node.name, node.db or None))
            if dropped:
                message += f" (dropped in {dropped})"
            elif hint:
                message += f"; did you mean {', '.join(hint)}?"
            self.add("unknown-table", message, node.this, [h.rpartition(".")[2] for h in hint])
            return False
        return table

    def sources(self, scope: Scope, cte_names: set[str]) -> dict[str, Source]:
        out: dict[str, Source] = {}
        for alias, source in scope.sources.items():
            key = self.key(alias)
            if isinstance(source, exp.Table):
                found = self.catalog_table(source, cte_names)
                out[key] = Source(alias, table=found) if isinstance(found, Table) else Source(alias)
            elif isinstance(source, Scope):
                out[key] = Source(alias, columns=self.outputs(source))
            else:
                out[key] = Source(alias)
        return out

    def outputs(self, scope: Scope) -> frozenset[str] | None:
        query = scope.expression
        named = alias_columns(query.parent) if isinstance(query.parent, (exp.CTE, exp.Subquery)) else None
        if named is None and isinstance(query, exp.Values):
            named = alias_columns(query)
        if named is not None:
            return frozenset(self.key(c) for c in named)
        while isinstance(query, exp.SetOperation):
            query = query.left
        if not isinstance(query, exp.Select):
            return None
        if any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star)) for p in query.expressions):
            return None
        return frozenset(self.catalog.key(name) for name in query.named_selects)

    # ------------------------------------------------------------------ run
    def run(self, scopes: list[Scope] | None = None) -> list[Issue]:
        """The issues of the statement; ``scopes``: sqlglot's scopes of the tree when the
        caller has them already."""
        tree = self.tree
        if tree is None:
            return []
        cte_names = {self.key(cte.args.get("alias").this) for cte in tree.find_all(exp.CTE) if cte.args.get("alias")}
        if scopes is None:
            try:
                scopes = traverse_scope(tree)
            except (OptimizeError, RecursionError):
                scopes = []
        scope_sources: dict[int, dict[str, Source]] = {}
        self.merged: dict[int, dict[str, list[set[str]]]] = {}
        for scope in scopes:
            scope_sources[id(scope)] = self.sources(scope, cte_names)
            self.merged[id(scope)] = self.merged_columns(scope.expression, scope_sources[id(scope)])
        seen: set[int] = set()
        for scope in scopes:  # children before parents
            self.check_scope(scope, scope_sources, seen)
        if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
            self.check_dml(tree, cte_names)
        return list(self.issues.values())

    def merged_columns(self, select: exp.Expression, sources: dict[str, Source]) -> dict[str, list[set[str]]]:
        """Columns that USING and NATURAL joins merge: column key -> groups of source keys
        that share the one merged column (``a JOIN b USING (x)``: ``x`` -> [{a, b}])."""
        merged: dict[str, list[set[str]]] = {}
        if not isinstance(select, exp.Select):
            return merged
        from_ = select.args.get("from_") or select.args.get("from")
        if from_ is None or not isinstance(from_.this, exp.Expression):
            return merged
        left = [self.key(from_.this.alias_or_name)]
        for join in select.args.get("joins") or []:
            right = self.key(join.this.alias_or_name)
            using = join.args.get("using") or []
            if using:
                keys = [self.key(u.this if isinstance(u, exp.Column) else u) for u in using]
            elif (join.args.get("method") or "").upper() == "NATURAL":
                right_source = sources.get(right)
                keys = sorted({k for k in self.column_keys(right_source) if any(self.column_keys(sources.get(l)) and k in self.column_keys(sources.get(l)) for l in left)})
            else:
                keys = []
            for key in keys:
                groups = merged.setdefault(key, [])
                holders = {l for l in left if sources.get(l) is not None and sources[l].has(key) is not False}
                group = next((g for g in groups if g & holders), None)
                if group is None:
                    group = set()
                    groups.append(group)
                group.update(holders | {right})
            left.append(right)
        return merged

    def column_keys(self, source: Source | None) -> set[str]:
        if source is None:
            return set()
        if source.table is not None:
            return set(source.table.columns)
        return set(source.columns or ())

    def chain(self, scope: Scope, scope_sources: dict[int, dict[str, Source]]) -> Iterator[dict[str, Source]]:
        current: Scope | None = scope
        while current is not None:
            if id(current) in scope_sources:
                yield scope_sources[id(current)]
            current = current.parent

    def check_scope(self, scope: Scope, scope_sources: dict[int, dict[str, Source]], seen: set[int]) -> None:
        """Resolve the columns of one scope. sqlglot also lists a subquery's unqualified
        columns in the enclosing scope (as possibly correlated); each column is resolved
        once, in its innermost scope, whose lookup already walks out to the parents."""
        select = scope.expression
        aliases: set[str] = set()
        projected: set[int] = set()
        if isinstance(select, exp.Select):
            aliases = {self.catalog.key(n) for n in select.named_selects}
            projected = {id(c) for p in select.expressions for c in p.find_all(exp.Column)}
        if isinstance(select, exp.Select):  # `x.*` projections are not in scope.columns
            for projection in select.expressions:
                if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star) and projection.table:
                    if not any(self.key(projection.args.get("table")) in s for s in self.chain(scope, scope_sources)):
                        self.unknown_alias(projection, scope_sources[id(scope)])
        for column in scope.columns:
            if id(column) in seen:
                continue
            seen.add(id(column))
            if isinstance(column.this, exp.Star):
                if column.table and not any(self.key(column.args.get("table")) in s for s in self.chain(scope, scope_sources)):
                    self.unknown_alias(column, scope_sources[id(scope)])
                continue
            self.resolve(column, scope, scope_sources, set() if id(column) in projected else aliases)

    def resolve(self, column: exp.Column, scope: Scope, scope_sources: dict[int, dict[str, Source]], aliases: set[str]) -> None:
        key = self.key(column.this)
        if column.table:
            qualifier = self.key(column.args.get("table"))
            for sources in self.chain(scope, scope_sources):
                if qualifier in sources:
                    if not self.misqualified(column, key, sources, sources[qualifier]):
                        self.expect_in(column, key, sources[qualifier])
                    return
            if not self.misqualified(column, key, scope_sources[id(scope)], None):
                self.unknown_alias(column, scope_sources[id(scope)])
            return
        if key in aliases:
            return
        current: Scope | None = scope
        while current is not None:
            if id(current) not in scope_sources:
                current = current.parent
                continue
            sources = scope_sources[id(current)]
            verdicts = [(k, s, s.has(key)) for k, s in sources.items()]
            if any(v is None for _, _, v in verdicts):
                return  # an unknowable source may hold it
            having = [s for _, s, v in verdicts if v]
            if len(having) == 1:
                return
            holders = {k for k, _, v in verdicts if v}
            if len(having) > 1 and any(holders <= g for g in self.merged.get(id(current), {}).get(key, [])):
                return  # one column merged by USING / NATURAL JOIN
            if len(having) > 1:
                names = [s.alias for s in having]
                fixes = tuple(Fix(f"Qualify as {a}.{column.name}", (TextEdit(self.span(column), f"{a}.{column.this.sql()}"),)) for a in names)
                self.add("ambiguous-column", f"column {column.name} is ambiguous: it is in {', '.join(names)}", column, fixes=fixes)
                return
            current = current.parent
        if is_pseudo_column(column.name, self.catalog.dialect):
            return
        sources = scope_sources[id(scope)]
        if not sources:
            if not any(self.chain(scope, scope_sources)) and not self.partial:
                self.add("unknown-column", f"unknown column {column.name}: {NO_FROM}", column.this)
            return
        options = sorted({n for s in sources.values() for n in s.column_names()})
        hint = suggest(column.name, options)
        where = ", ".join(s.table.display_name if s.table else s.alias for s in sources.values())
        message = f"unknown column {column.name} (not in {where})" + (f"; did you mean {', '.join(hint)}?" if hint else "")
        tables = [s.table for s in sources.values() if s.table is not None]
        if len(tables) == 1 and len(sources) == 1:
            self.expect_in(column, key, next(iter(sources.values())))
            return
        self.add("unknown-column", message, column.this, hint, related=self.related(tables[0]) if len(tables) == 1 else ())

    def misqualified(self, column: exp.Column, key: str, sources: dict[str, Source], named: Source | None) -> bool:
        """``a.SourceAirport`` where ``a`` (or an unknown qualifier) lacks the column and
        exactly one other source of the scope has it: reported with the one fix, qualify it
        with that source (a model's candidate is repaired by it). False when it does not apply."""
        if named is not None and named.has(key) is not False:
            return False
        if named is None and suggest(column.table, [s.alias for s in sources.values()]):
            return False  # a mistyped alias: its did-you-mean is the fix
        having = [s for s in sources.values() if s is not named and s.has(key)]
        if len(having) != 1:
            return False
        alias = having[0].alias
        parent = column.parent
        if isinstance(parent, exp.Binary):
            other = parent.right if parent.left is column else parent.left
            if isinstance(other, exp.Column) and other.name.lower() == column.name.lower() and self.key(other.args.get("table")) == self.key(alias):
                return False  # ``f.actor_id = a.actor_id`` would become ``a.actor_id = a.actor_id``: no fix
        owner = named.table.display_name if named is not None and named.table else (named.alias if named else column.table)
        qualifier = column.args.get("table")
        whole = Span(self.span(qualifier).start, self.span(column.this).end) if qualifier is not None else self.span(column)
        fix = Fix(f"Qualify as {alias}.{column.name}", (TextEdit(whole, f"{alias}.{column.this.sql()}"),), preferred=True)
        code = "unknown-column" if named is not None else "unknown-alias"
        what = f"unknown column {column.name} in {owner}" if named is not None else f"unknown table or alias {column.table} in {column.sql()}"
        anchor = column.this if named is not None or qualifier is None else qualifier
        self.add(code, f"{what}; {column.name} is a column of {alias}", anchor, fixes=(fix,))
        return True

    def expect_in(self, column: exp.Column, key: str, source: Source) -> None:
        verdict = source.has(key)
        if verdict is not False or (source.table is not None and is_pseudo_column(column.name, self.catalog.dialect)):
            return
        hint = suggest(column.name, source.column_names())
        owner = source.table.display_name if source.table else source.alias
        message = f"unknown column {column.name} in {owner}"
        history = self.history(source.table, key)
        convention = key_by_convention(column.name, source.table, self.catalog)
        if convention is not None and not history:
            hint = [convention]
            message += f"; did you mean {convention}?"
        elif history:
            message += f" ({history[0]})"
            hint = history[1] or hint
        elif hint:
            message += f"; did you mean {', '.join(hint)}?"
        self.add("unknown-column", message, column.this, hint, related=self.related(source.table))

    def history(self, table: Table | None, key: str) -> tuple[str, list[str]] | None:
        """What the migrations did to a column that no longer exists."""
        if table is None:
            return None
        table_key = self.catalog.key_of(table)
        renamed = self.catalog.renamed_columns.get((table_key, key))
        if renamed and self.catalog.key(renamed[0]) in table.columns:
            return f"renamed to {renamed[0]} in {renamed[1]}", [renamed[0]]
        dropped = self.catalog.dropped_columns.get((table_key, key))
        if dropped:
            return f"dropped in {dropped}", []
        return None

    def unknown_alias(self, column: exp.Column, sources: dict[str, Source]) -> None:
        qualifier = column.args.get("table")
        hint = suggest(column.table, [s.alias for s in sources.values()])
        message = f"unknown table or alias {column.table} in {column.sql()}" + (f"; did you mean {', '.join(hint)}?" if hint else "")
        self.add("unknown-alias", message, qualifier, hint)

    def check_dml(self, tree: exp.Expression, cte_names: set[str]) -> None:
        target = tree.this
        if isinstance(target, exp.Schema):  # INSERT INTO t (a, b)
            table = self.catalog_table(target.this, cte_names) if isinstance(target.this, exp.Table) else None
            if isinstance(table, Table):
                for ident in target.expressions:
                    if isinstance(ident, exp.Identifier) and self.key(ident) not in table.columns:
                        hint = suggest(ident.name, [c.name for c in table.columns.values()])
                        message = f"unknown column {ident.name} in {table.display_name}" + (f"; did you mean {', '.join(hint)}?" if hint else "")
                        self.add("unknown-column", message, ident, hint, related=self.related(table))
            return
        if not isinstance(target, exp.Table) or isinstance(tree, exp.Insert):
            if isinstance(target, exp.Table):
                self.catalog_table(target, cte_names)
            return
        table = self.catalog_table(target, cte_names)
        if not isinstance(table, Table):
            return
        alias = self.key(target.alias_or_name)
        extra = [j.this for j in tree.args.get("joins") or []]
        from_ = tree.args.get("from_") or tree.args.get("from")
        if from_ is not None or extra:
            return  # UPDATE ... FROM: the scope rules above cover it only partly; stay quiet
        for column in tree.find_all(exp.Column):
            if column.find_ancestor(exp.Subquery, exp.Select) is not None or isinstance(column.this, exp.Star):
                continue
            if column.table and self.key(column.args.get("table")) not in (alias, self.key(target.name)):
                self.unknown_alias(column, {alias: Source(target.alias_or_name, table=table)})
                continue
            self.expect_in(column, self.key(column.this), Source(target.alias_or_name, table=table))


def alias_columns(node: exp.Expression | None) -> list[str] | None:
    """The column list of a CTE or derived table's alias (``t(n)``, ``v(id, name)``), if any."""
    alias = node.args.get("alias") if node is not None else None
    columns = alias.args.get("columns") if isinstance(alias, exp.TableAlias) else None
    return [c.name for c in columns] if columns else None




def key_by_convention(name: str, table: Table | None, catalog: Catalog) -> str | None:
    """``product_id`` on ``products`` means its key ``id``: a common slip, and an
    unambiguous fix when the table's primary key is the one column ``id`` (it beats
    spelling-based guesses such as ``order_id`` -> ``user_id``)."""
    if table is None or not name.lower().endswith("_id"):
        return None
    if len(table.primary_key) != 1 or table.primary_key[0] != catalog.key("id") or table.primary_key[0] not in table.columns:
        return None
    base = name[:-3].lower()
    plural = {base, base + "s", base + "es", base[:-1] + "ies" if base.endswith("y") else base}
    return table.columns[table.primary_key[0]].name if table.name.lower() in plural else None
