"""Name resolution inside one statement: what an identifier at an offset stands for.

Statements are parsed on their own text (offsets local to the statement), cached by
text, so hover, definition, references and code actions share one parse per statement
version. ``Resolver`` walks sqlglot scopes once and answers: which source (catalog table,
CTE, derived table) an alias or a column belongs to, and where aliases and CTEs are
defined. Cached trees are shared: callers must copy them before mutating.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.scope import Scope, traverse_scope

from .catalog import Catalog, Column, Table
from .issues import Position, Span
from .parsing import parse_statement
from .text import Statement, TextIndex


@functools.lru_cache(maxsize=2048)  # trees are large: bounded well under the RSS budget
def parse_local(text: str, code_offset: int, dialect: str, unterminated: str | None = None) -> exp.Expression | None:
    """The sqlglot tree of one statement's text (token offsets relative to ``text``)."""
    local = Statement(0, 0, code_offset, len(text), text, True, unterminated)
    return parse_statement(local, dialect, TextIndex(text)).tree


def statement_tree(statement: Statement, dialect: str) -> exp.Expression | None:
    return parse_local(statement.text, statement.code_start - statement.start, dialect, statement.unterminated)


def local_span(node: exp.Expression) -> tuple[int, int] | None:
    """``[start, end)`` offsets of an identifier-bearing node within its statement."""
    target = node
    if not isinstance(target, (exp.Identifier, exp.Star)):
        inner = node.args.get("this")
        target = inner if isinstance(inner, (exp.Identifier, exp.Star)) else node
    start, end = target.meta.get("start"), target.meta.get("end")
    if start is None or end is None:
        return None
    return start, end + 1


def doc_span(node: exp.Expression, statement: Statement, index: TextIndex) -> Span | None:
    bounds = local_span(node)
    if bounds is None:
        return None
    return index.span(statement.start + bounds[0], statement.start + bounds[1])


def shift(position: Position, base: Position) -> Position:
    """A statement-local position moved to the document (``base`` = statement start)."""
    if position.line == 0:
        return Position(base.line, base.character + position.character)
    return Position(base.line + position.line, position.character)


@dataclass(frozen=True)
class Source:
    """What a FROM item stands for: a catalog table, a CTE, a derived table, or unknown."""

    alias: str  # as written (alias or table name)
    node: exp.Expression | None  # the exp.Table, or the CTE / Subquery expression
    table: Table | None = None
    cte: exp.CTE | None = None
    scope: Scope | None = None

    @property
    def alias_node(self) -> exp.Expression | None:
        """The identifier that defines the alias (or the table name when not aliased)."""
        if isinstance(self.node, exp.Table):
            alias = self.node.args.get("alias")
            return alias.this if isinstance(alias, exp.TableAlias) and alias.this else self.node.this
        if self.cte is not None:
            alias = self.cte.args.get("alias")
            return alias.this if isinstance(alias, exp.TableAlias) else None
        if isinstance(self.node, exp.Subquery):
            alias = self.node.args.get("alias")
            return alias.this if isinstance(alias, exp.TableAlias) else None
        return None

    def output_names(self) -> list[str] | None:
        """Column names of the source (None when they cannot be known)."""
        if self.table is not None:
            return [c.name for c in self.table.columns.values()]
        if self.scope is not None:
            holder = self.cte if self.cte is not None else self.node
            alias = holder.args.get("alias") if holder is not None else None
            if isinstance(alias, exp.TableAlias) and alias.columns:  # WITH r(n) AS / (...) s(a, b)
                return [c.name for c in alias.columns]
            query = self.scope.expression
            while isinstance(query, exp.SetOperation):
                query = query.left
            if not isinstance(query, exp.Select) or any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star)) for p in query.expressions):
                return None
            return list(query.named_selects)
        return None

    def projection(self, name_key: str, catalog: Catalog) -> exp.Expression | None:
        """The projection of a CTE / derived table that outputs ``name_key``."""
        if self.scope is None:
            return None
        query = self.scope.expression
        while isinstance(query, exp.SetOperation):
            query = query.left
        if not isinstance(query, exp.Select):
            return None
        for projection in query.expressions:
            if catalog.key(projection.alias_or_name) == name_key:
                if isinstance(projection, exp.Alias):
                    return projection.args.get("alias") or projection
                return projection
        return None


class Resolver:
    """Scopes of one statement tree, resolved against a catalog."""

    def __init__(self, tree: exp.Expression, catalog: Catalog) -> None:
        self.tree = tree
        self.catalog = catalog
        try:
            self.scopes: list[Scope] = traverse_scope(tree)
        except (OptimizeError, RecursionError, KeyError, AttributeError):
            self.scopes = []
        self.ctes: dict[str, exp.CTE] = {}
        for cte in tree.find_all(exp.CTE):
            alias = cte.args.get("alias")
            if isinstance(alias, exp.TableAlias) and alias.this:
                self.ctes.setdefault(catalog.key(alias.name), cte)
        self._column_scope: dict[int, Scope] = {}
        self._table_scope: dict[int, Scope] = {}
        for scope in self.scopes:  # innermost first: a column belongs to its own scope
            for column in scope.columns:
                self._column_scope.setdefault(id(column), scope)
            for source in scope.sources.values():
                if isinstance(source, exp.Table):
                    self._table_scope.setdefault(id(source), scope)
        self._sources: dict[int, dict[str, Source]] = {}

    # ------------------------------------------------------------------ sources
    def sources(self, scope: Scope) -> dict[str, Source]:
        """Sources of ``scope`` keyed by normalised alias."""
        cached = self._sources.get(id(scope))
        if cached is not None:
            return cached
        out: dict[str, Source] = {}
        for alias, source in scope.sources.items():
            key = self.catalog.key(alias)
            if isinstance(source, exp.Table):
                out[key] = Source(alias, source, table=self.catalog.find_expression(source))
            elif isinstance(source, Scope):
                parent = source.expression.parent
                cte = parent if isinstance(parent, exp.CTE) else None
                out[key] = Source(alias, cte or parent, cte=cte, scope=source)
            else:
                out[key] = Source(alias, None)
        self._sources[id(scope)] = out
        return out

    def chain(self, scope: Scope) -> list[dict[str, Source]]:
        out = []
        current: Scope | None = scope
        while current is not None:
            out.append(self.sources(current))
            current = current.parent
        return out

    def scope_of(self, node: exp.Expression) -> Scope | None:
        if isinstance(node, exp.Column):
            return self._column_scope.get(id(node))
        if isinstance(node, exp.Table):
            return self._table_scope.get(id(node))
        return None

    def source_named(self, scope: Scope, qualifier: str) -> Source | None:
        key = self.catalog.key(qualifier)
        for sources in self.chain(scope):
            if key in sources:
                return sources[key]
        return None

    # ------------------------------------------------------------------ columns
    def dml_target(self) -> Table | None:
        """The table an UPDATE/DELETE/INSERT writes to (for columns outside any scope)."""
        target = self.tree.this if isinstance(self.tree, (exp.Update, exp.Delete, exp.Insert)) else None
        if isinstance(target, exp.Schema):
            target = target.this
        return self.catalog.find_expression(target) if isinstance(target, exp.Table) else None

    def column_owner(self, column: exp.Column) -> Source | None:
        """The source a column reference belongs to (None: unknown or ambiguous)."""
        scope = self.scope_of(column)
        if scope is None:
            table = self.dml_target()
            if table is None:
                return None
            if self.catalog.key(column.name) in table.columns:
                return Source(table.name, self.tree.this, table=table)
            return None
        if column.table:
            return self.source_named(scope, column.table)
        key = self.catalog.key(column.name)
        for sources in self.chain(scope):
            having = []
            for source in sources.values():
                names = source.output_names()
                if names is None:
                    return None
                if key in {self.catalog.key(n) for n in names}:
                    having.append(source)
            if len(having) == 1:
                return having[0]
            if having:
                return None
        return None

    def column_of(self, source: Source, name: str) -> Column | None:
        if source.table is None:
            return None
        return source.table.columns.get(self.catalog.key(name))


def identifier_at(tree: exp.Expression, local: int) -> exp.Expression | None:
    """The identifier (or star) under a statement-local offset; a cursor just after a
    name also counts."""
    best: exp.Expression | None = None
    for node in tree.walk():
        if not isinstance(node, (exp.Identifier, exp.Star)):
            continue
        start, end = node.meta.get("start"), node.meta.get("end")
        if start is None or end is None:
            continue
        if start <= local <= end:
            return node
        if local == end + 1:
            best = node
    return best
