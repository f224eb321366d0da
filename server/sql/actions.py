"""Source actions as text edits: format, transpile, expand ``SELECT *``, qualify columns.

Each function returns a ``Fix`` (title + edits in document coordinates) or None when it
does not apply. Statements that do not parse are left alone. Formatting keeps a
statement's leading comments verbatim and gives up on a statement when sqlglot would
drop one of its inner comments.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp
from sqlglot.errors import SqlglotError

from .catalog import Catalog, get_dialect
from .issues import Fix, Span, TextEdit
from .resolve import Resolver, Source, local_span, parse_local, statement_tree
from .text import Statement, TextIndex, statement_at

# Dialects offered as "Transpile to ..." actions.
TRANSPILE_DIALECTS: tuple[str, ...] = ("postgres", "mysql", "sqlite", "duckdb", "bigquery", "snowflake", "tsql")


def statements_in(statements: list[Statement], start: int, end: int) -> list[Statement]:
    """Non-blank statements overlapping ``[start, end]``; an empty range picks the
    statement at ``start``."""
    if end <= start:
        found = statement_at(statements, start)
        return [found] if found is not None and not found.is_blank else []
    return [s for s in statements if not s.is_blank and s.start < end and s.end + 1 > start]


def _code_tree(statement: Statement, dialect: str) -> exp.Expression | None:
    if statement.unterminated:
        return None
    return parse_local(statement.code, 0, dialect)


def _comment_count(sql: str, dialect: str) -> int:
    try:
        return sum(len(token.comments) for token in get_dialect(dialect).tokenize(sql))
    except SqlglotError:
        return -1


def _render(statement: Statement, read: str, write: str, pretty: bool) -> str | None:
    tree = _code_tree(statement, read)
    if tree is None:
        return None
    try:
        out = tree.sql(dialect=write, pretty=pretty, comments=True)
    except (SqlglotError, ValueError, KeyError, RecursionError):
        return None
    if _comment_count(out, write) < _comment_count(statement.code, read):
        return None  # a comment would be lost
    return out


def _edit(statement: Statement, index: TextIndex, new_text: str | None) -> TextEdit | None:
    if new_text is None or new_text == statement.code:
        return None
    return TextEdit(index.span(statement.code_start, statement.end), new_text)


def format_statements(index: TextIndex, statements: Iterable[Statement], dialect: str) -> list[TextEdit]:
    """Pretty-print each statement that parses (leading comments kept as they are)."""
    edits = (_edit(s, index, _render(s, dialect, dialect, pretty=True)) for s in statements if not s.is_blank)
    return [e for e in edits if e is not None]


def transpile_statements(index: TextIndex, statements: Iterable[Statement], dialect: str, target: str) -> list[TextEdit]:
    """Rewrite statements into ``target``'s dialect (multi-line ones pretty-printed)."""
    edits = (_edit(s, index, _render(s, dialect, target, pretty="\n" in s.code)) for s in statements if not s.is_blank)
    return [e for e in edits if e is not None]


# --------------------------------------------------------------------------- SELECT *


def _ident(name: str, dialect: str) -> str:
    return exp.to_identifier(name).sql(dialect=dialect)


def _star_scope(resolver: Resolver, select: exp.Select):  # type: ignore[no-untyped-def]
    return next((s for s in resolver.scopes if s.expression is select), None)


def _selected(resolver: Resolver, scope) -> list[Source]:  # type: ignore[no-untyped-def]
    sources = resolver.sources(scope)
    return [sources[resolver.catalog.key(name)] for name in scope.selected_sources if resolver.catalog.key(name) in sources]


def expand_star(index: TextIndex, statements: list[Statement], catalog: Catalog, offset: int) -> Fix | None:
    """Replace the ``*`` (or ``t.*``) at the cursor, or the statement's only star, with
    the column list of its sources (qualified when several tables are selected)."""
    statement = statement_at(statements, offset)
    tree = statement_tree(statement, catalog.dialect) if statement is not None else None
    if statement is None or tree is None:
        return None
    stars = [s for s in tree.find_all(exp.Star) if isinstance(s.parent, exp.Select) or (isinstance(s.parent, exp.Column) and isinstance(s.parent.parent, exp.Select))]
    local = offset - statement.start
    chosen = [s for s in stars if (b := _star_bounds(s)) is not None and b[0] <= local <= b[1]]
    if not chosen and len(stars) == 1:
        chosen = stars
    if not chosen:
        return None
    star = chosen[0]
    resolver = Resolver(tree, catalog)
    select = star.find_ancestor(exp.Select)
    scope = _star_scope(resolver, select) if select is not None else None
    bounds = _star_bounds(star)
    if scope is None or bounds is None:
        return None
    dialect = catalog.dialect
    if isinstance(star.parent, exp.Column):
        source = resolver.source_named(scope, star.parent.table)
        names = source.output_names() if source else None
        if not names:
            return None
        prefix = _ident(star.parent.table, dialect)
        columns = [f"{prefix}.{_ident(n, dialect)}" for n in names]
    else:
        selected = _selected(resolver, scope)
        columns = []
        for source in selected:
            names = source.output_names()
            if not names:
                return None
            alias = source.alias_node.sql(dialect=dialect) if source.alias_node is not None else _ident(source.alias, dialect)
            columns += [f"{alias}.{_ident(n, dialect)}" if len(selected) > 1 else _ident(n, dialect) for n in names]
        if not columns:
            return None
    span = index.span(statement.start + bounds[0], statement.start + bounds[1])
    return Fix("Expand * into column list", (TextEdit(span, ", ".join(columns)),))


def _star_bounds(star: exp.Star) -> tuple[int, int] | None:
    """``[start, end)`` of ``*`` or ``t.*`` (the qualifier included)."""
    own = local_span(star)
    if own is None:
        return None
    parent = star.parent
    if isinstance(parent, exp.Column) and isinstance(parent.args.get("table"), exp.Identifier):
        qualifier = local_span(parent.args["table"])
        if qualifier is not None:
            return qualifier[0], own[1]
    return own


# --------------------------------------------------------------------------- qualify


def qualify_columns(index: TextIndex, statements: Iterable[Statement], catalog: Catalog) -> Fix | None:
    """Prefix every unqualified column whose source is known with that source's alias."""
    edits: list[TextEdit] = []
    for statement in statements:
        tree = statement_tree(statement, catalog.dialect)
        if tree is None:
            continue
        resolver = Resolver(tree, catalog)
        seen: set[int] = set()
        for scope in resolver.scopes:
            for column in scope.columns:
                if column.table or not isinstance(column.this, exp.Identifier) or id(column) in seen or resolver.scope_of(column) is not scope:
                    continue
                seen.add(id(column))
                owner = resolver.column_owner(column)
                bounds = local_span(column.this)
                if owner is None or bounds is None:
                    continue
                alias = owner.alias_node.sql(dialect=catalog.dialect) if owner.alias_node is not None else _ident(owner.alias, catalog.dialect)
                position = index.position(statement.start + bounds[0])
                edits.append(TextEdit(Span(position, position), f"{alias}."))
    if not edits:
        return None
    edits.sort(key=lambda e: e.span.start)
    return Fix("Qualify columns with their table alias", tuple(edits))
