"""Go to definition and find references: what a name at a position is, where it is defined.

``target_at`` names the thing under the cursor (table, column, alias, CTE, CTE column);
``definition`` maps it to the CREATE/ALTER that defined it (a catalog ``Location``) or to
its definition inside the document (alias, CTE); ``references`` lists its uses across the
query files given (columns and tables), or inside the statement (aliases, CTEs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlglot import exp

from .catalog import Catalog, Column, Table
from .issues import Location, Span
from .resolve import Resolver, Source, doc_span, identifier_at, statement_tree
from .text import Statement, TextIndex, split_statements, statement_at


@dataclass(frozen=True)
class Target:
    """The thing a name under the cursor stands for.

    ``kind``: ``table``, ``column``, ``alias``, ``cte``, ``cte_column`` or ``select_alias``.
    ``span`` is the name under the cursor; ``definition`` its definition in the document
    (aliases, CTEs, CTE columns); ``table``/``column`` the catalog objects (if any).
    """

    kind: str
    name: str
    span: Span
    table: Table | None = None
    column: Column | None = None
    definition: Span | None = None
    columns: tuple[str, ...] = ()  # output columns of a CTE / derived table
    statement: Statement | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Place:
    """A place to show: ``path`` None means the document the request is about."""

    path: str | None
    span: Span


def _location_place(location: Location | None) -> Place | None:
    if location is None:
        return None
    line = max(location.line - 1, 0)
    return Place(location.path, Span.at(line, max(location.column - 1, 0)))


def _source_target(kind: str, name: str, span: Span, source: Source | None, statement: Statement, index: TextIndex) -> Target:
    if source is None:
        return Target(kind, name, span, statement=statement)
    definition = doc_span(source.alias_node, statement, index) if source.alias_node is not None else None
    columns = tuple(source.output_names() or ())
    if source.table is None and source.cte is not None and kind == "alias" and source.alias == name:
        kind = "cte"
    return Target(kind, name, span, table=source.table, definition=definition, columns=columns, statement=statement)


def target_at(index: TextIndex, statements: list[Statement], catalog: Catalog, offset: int) -> Target | None:
    """What the identifier at ``offset`` refers to (None: nothing known there)."""
    statement = statement_at(statements, offset)
    if statement is None or statement.is_blank:
        return None
    tree = statement_tree(statement, catalog.dialect)
    if tree is None:
        return None
    ident = identifier_at(tree, offset - statement.start)
    if not isinstance(ident, exp.Identifier):
        return None
    return classify_identifier(ident, Resolver(tree, catalog), statement, index)


def classify_identifier(ident: exp.Identifier, resolver: Resolver, statement: Statement, index: TextIndex) -> Target | None:
    """What one identifier of ``resolver``'s tree stands for (None: unknown or not a name).
    To classify many identifiers of one tree, use one ``Classifier``."""
    return Classifier(resolver, statement, index).classify(ident)


class Classifier:
    """Classifies the identifiers of one statement tree. What a lookup needs beyond the
    resolver (the aliases of a SELECT list) is indexed once per SELECT, so classifying
    every identifier of a statement stays linear in its size."""

    def __init__(self, resolver: Resolver, statement: Statement, index: TextIndex) -> None:
        self.resolver = resolver
        self.statement = statement
        self.index = index
        self._select_aliases: dict[int, dict[str, exp.Alias]] = {}

    def select_alias(self, select: exp.Select, key: str) -> exp.Alias | None:
        """The first projection of ``select`` aliased to the normalised name ``key``."""
        aliases = self._select_aliases.get(id(select))
        if aliases is None:
            aliases = {}
            for projection in select.expressions:
                if isinstance(projection, exp.Alias):
                    aliases.setdefault(self.resolver.catalog.key(projection.alias), projection)
            self._select_aliases[id(select)] = aliases
        return aliases.get(key)

    def classify(self, ident: exp.Identifier) -> Target | None:
        """What ``ident`` stands for (None: unknown or not a name)."""
        resolver, statement, index = self.resolver, self.statement, self.index
        catalog = resolver.catalog
        span = doc_span(ident, statement, index)
        if span is None:
            return None
        parent = ident.parent
        name = ident.name
        if isinstance(parent, exp.Table) and parent.this is ident:
            key = catalog.key(name, bool(ident.quoted))
            if not parent.db and key in resolver.ctes:
                cte = resolver.ctes[key]
                alias = cte.args["alias"].this
                query = cte.this
                names = tuple(query.named_selects) if isinstance(query, exp.Select) else ()
                return Target("cte", name, span, definition=doc_span(alias, statement, index), columns=names, statement=statement)
            table = catalog.find_expression(parent)
            return Target("table", table.display_name, span, table=table, statement=statement) if table else None
        if isinstance(parent, exp.TableAlias):
            holder = parent.parent
            if isinstance(holder, exp.CTE):
                query = holder.this
                names = tuple(query.named_selects) if isinstance(query, exp.Select) else ()
                return Target("cte", name, span, definition=span, columns=names, statement=statement)
            if isinstance(holder, exp.Table):
                scope = resolver.scope_of(holder)
                source = resolver.sources(scope).get(catalog.key(name)) if scope else None
                if source is None:
                    source = Source(name, holder, table=catalog.find_expression(holder))
                return _source_target("alias", name, span, source, statement, index)
            if isinstance(holder, exp.Subquery):
                return Target("alias", name, span, definition=span, statement=statement)
            return None
        if isinstance(parent, exp.Column):
            if parent.args.get("table") is ident:
                scope = resolver.scope_of(parent)
                source = resolver.source_named(scope, name) if scope else None
                if source is None and scope is None:
                    table = resolver.dml_target()
                    target = resolver.tree.this
                    if table is not None and isinstance(target, exp.Table) and catalog.key(target.alias_or_name) == catalog.key(name):
                        source = Source(name, target, table=table)
                return _source_target("alias", name, span, source, statement, index) if source else None
            if parent.this is ident:
                return self._column_target(parent, ident, span)
            return None
        if isinstance(parent, exp.Schema) and isinstance(parent.this, exp.Table):  # INSERT INTO t (a, b)
            table = catalog.find_expression(parent.this)
            column = table.columns.get(catalog.key(name, bool(ident.quoted))) if table else None
            return Target("column", name, span, table=table, column=column, statement=statement) if column else None
        return None

    def _column_target(self, column: exp.Column, ident: exp.Identifier, span: Span) -> Target | None:
        resolver, statement, index = self.resolver, self.statement, self.index
        catalog = resolver.catalog
        owner = resolver.column_owner(column)
        key = catalog.key(ident.name, bool(ident.quoted))
        if owner is not None and owner.table is not None:
            found = owner.table.columns.get(key)
            return Target("column", found.name, span, table=owner.table, column=found, statement=statement) if found else None
        if owner is not None and owner.scope is not None:
            projection = owner.projection(key, catalog)
            definition = doc_span(projection, statement, index) if projection is not None else None
            table, found = _underlying_column(projection, resolver)
            return Target("cte_column", ident.name, span, table=table, column=found, definition=definition, columns=(owner.alias,), statement=statement)
        select = column.find_ancestor(exp.Select)
        if owner is None and not column.table and isinstance(select, exp.Select):
            projection = self.select_alias(select, key)
            if projection is not None:
                alias = projection.args.get("alias")
                return Target("select_alias", ident.name, span, definition=doc_span(alias, statement, index), statement=statement)
        return None


def _underlying_column(projection: exp.Expression | None, resolver: Resolver) -> tuple[Table | None, Column | None]:
    """The catalog column a CTE/subquery output passes through (``x`` or ``t.x AS y``)."""
    node = projection.parent if isinstance(projection, exp.TableAlias) or (projection is not None and isinstance(projection.parent, exp.Alias)) else projection
    inner = node.this if isinstance(node, exp.Alias) else node
    if not isinstance(inner, exp.Column) or not isinstance(inner.this, exp.Identifier):
        return None, None
    owner = resolver.column_owner(inner)
    if owner is None or owner.table is None:
        return None, None
    return owner.table, owner.table.columns.get(resolver.catalog.key(inner.name, bool(inner.this.quoted)))


def definition(target: Target) -> list[Place]:
    """Where ``target`` is defined: in the document first, else in the DDL."""
    if target.definition is not None:
        return [Place(None, target.definition)]
    if target.kind == "column" and target.column is not None:
        place = _location_place(target.column.location) or _location_place(target.table.location if target.table else None)
        return [place] if place else []
    if target.table is not None:
        place = _location_place(target.table.location)
        return [place] if place else []
    return []


def references(target: Target, files: Iterable[tuple[str | None, str]], catalog: Catalog, index: TextIndex | None = None, include_declaration: bool = True) -> list[Place]:
    """Uses of ``target``: columns and tables across ``files`` (``(path, text)``; path None
    = the request's document); aliases and CTEs inside their statement (``index`` = the
    request document's index)."""
    if is_workspace_wide(target):
        out = [declaration] if include_declaration and (declaration := declared_at(target)) else []
        for path, text in files:
            out += uses_in_file(target, path, text, catalog)
        return out
    if target.kind not in ("alias", "cte") or target.definition is None or index is None:
        return []
    return [Place(None, span) for span in _local_uses(target, catalog, index, include_declaration)]


def is_workspace_wide(target: Target) -> bool:
    """Columns and tables are searched across files; aliases and CTEs in their statement."""
    return target.kind in ("column", "table") and target.table is not None


def declared_at(target: Target) -> Place | None:
    """The DDL location of a column or table target."""
    if target.column is not None:
        return _location_place(target.column.location)
    return _location_place(target.table.location) if target.table is not None else None


def uses_in_file(target: Target, path: str | None, text: str, catalog: Catalog) -> list[Place]:
    """Uses of a column or table target in one file's text."""
    if not is_workspace_wide(target):
        return []
    assert target.table is not None
    table_key = catalog.key_of(target.table)
    column_key = catalog.key(target.column.name) if target.column is not None else None
    needle = (target.column.name if target.column is not None else target.table.name).lower()
    return [Place(path, span) for span in _uses_in_text(text, catalog, table_key, column_key, needle)]


def _uses_in_text(text: str, catalog: Catalog, table_key: str, column_key: str | None, needle: str) -> list[Span]:
    if needle not in text.lower():
        return []
    index = TextIndex(text)
    spans: list[Span] = []
    for statement in split_statements(text, catalog.dialect):
        if statement.is_blank or needle not in statement.text.lower():
            continue
        tree = statement_tree(statement, catalog.dialect)
        if tree is None:
            continue
        resolver = Resolver(tree, catalog)
        for node in tree.walk():
            span = _use_span(node, resolver, table_key, column_key)
            if span is not None:
                spans.append(index.span(statement.start + span[0], statement.start + span[1]))
    return spans


def _use_span(node: exp.Expression, resolver: Resolver, table_key: str, column_key: str | None) -> tuple[int, int] | None:
    catalog = resolver.catalog

    def bounds(ident: exp.Expression) -> tuple[int, int] | None:
        start, end = ident.meta.get("start"), ident.meta.get("end")
        return (start, end + 1) if start is not None and end is not None else None

    if column_key is None:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            if not node.db and catalog.key(node.name) in resolver.ctes:
                return None
            table = catalog.find_expression(node)
            if table is not None and catalog.key_of(table) == table_key:
                return bounds(node.this)
        return None
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier):
        if catalog.key(node.name, bool(node.this.quoted)) != column_key:
            return None
        owner = resolver.column_owner(node)
        if owner is not None and owner.table is not None and catalog.key_of(owner.table) == table_key:
            return bounds(node.this)
        return None
    if isinstance(node, exp.Identifier) and isinstance(node.parent, exp.Schema) and isinstance(node.parent.this, exp.Table):
        table = catalog.find_expression(node.parent.this)
        if table is not None and catalog.key_of(table) == table_key and catalog.key(node.name, bool(node.quoted)) == column_key:
            return bounds(node)
    return None


def _local_uses(target: Target, catalog: Catalog, index: TextIndex, include_declaration: bool) -> list[Span]:
    """Uses of an alias or CTE inside its statement: names with the same definition."""
    statement = target.statement
    tree = statement_tree(statement, catalog.dialect) if statement is not None else None
    if statement is None or tree is None:
        return []
    classifier = Classifier(Resolver(tree, catalog), statement, index)
    spans: list[Span] = []
    for node in tree.walk():
        if not isinstance(node, exp.Identifier):
            continue
        found = classifier.classify(node)
        if found is None or found.kind not in ("alias", "cte") or found.definition != target.definition:
            continue
        if not include_declaration and found.span == found.definition:
            continue
        spans.append(found.span)
    return sorted(set(spans), key=lambda s: (s.start, s.end))
