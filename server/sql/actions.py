"""Source actions as text edits: format, transpile, expand ``SELECT *``, qualify columns.

Each function returns a ``Fix`` (title + edits in document coordinates) or None when it
does not apply. Statements that do not parse are left alone. Formatting keeps a
statement's leading comments verbatim and gives up on a statement when sqlglot would
drop one of its inner comments.

sqlglot writes every comment as ``/* ... */``. To keep the source's ``--`` comments line
comments, ``_render`` parses the statement with each comment replaced by a numbered
placeholder, then puts the source's own comment back in sqlglot's output: block comments
where sqlglot put them, line comments there too but always ending their line (moved to
the end of it, or the code after them moved to the next line). A statement whose
comments do not all come back exactly once, or whose rewritten output does not tokenize
to the same code, is left unchanged; so is one whose formatting does not settle
(formatting it again would change it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from .catalog import Catalog, get_dialect
from .issues import Fix, Span, TextEdit
from .parsing import parse_sql
from .resolve import Resolver, Source, local_span, parse_local, statement_tree
from .text import Statement, TextIndex, split_statements, statement_at

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


@dataclass(frozen=True)
class _Comment:
    """One comment of a statement's code: ``code[start:end]``; ``body`` is the text sqlglot
    keeps (between the markers), ``line`` whether it runs to the end of its line."""

    start: int
    end: int
    raw: str
    body: str
    line: bool


def _scan_gap(code: str, pos: int, end: int, markers: dict[str, str | None], nested: bool, line_ends: str) -> list[_Comment] | None:
    """The comments of ``code[pos:end]``, text between two tokens (only blanks and
    comments); None when something else is there."""
    found: list[_Comment] = []
    starts = sorted(markers, key=len, reverse=True)
    while pos < end:
        if code[pos].isspace():
            pos += 1
            continue
        start = next((m for m in starts if code.startswith(m, pos, end)), None)
        if start is None:
            return None
        close, stop, depth = markers[start], pos + len(start), 1
        if close is None:
            while stop < end and code[stop] not in line_ends:
                stop += 1
            found.append(_Comment(pos, stop, code[pos:stop], code[pos + len(start) : stop], True))
        else:
            while depth and stop < end:
                if code.startswith(close, stop, end):
                    depth, stop = depth - 1, stop + len(close)
                elif nested and code.startswith(start, stop, end):
                    depth, stop = depth + 1, stop + len(start)
                else:
                    stop += 1
            if depth:
                return None
            found.append(_Comment(pos, stop, code[pos:stop], code[pos + len(start) : stop - len(close)], False))
        pos = stop
    return found


def _tokens(sql: str, dialect: str) -> list[Token] | None:
    try:
        return get_dialect(dialect).tokenize(sql)
    except SqlglotError:
        return None


@functools.lru_cache(maxsize=64)
def _source_comments(code: str, dialect: str) -> tuple[_Comment, ...] | None:
    """``code``'s comments in source order, or None when they cannot be told apart safely
    (checked against the comments sqlglot's tokenizer keeps)."""
    tokens = _tokens(code, dialect)
    if tokens is None:
        return None
    tokenizer = get_dialect(dialect).tokenizer_class
    kept: list[str] = []
    for token in tokens:
        kept += token.comments
        if token.token_type == TokenType.HINT and token.text[len(tokenizer.HINT_START) : -2] in kept:
            kept.remove(token.text[len(tokenizer.HINT_START) : -2])  # a hint is a token, not a comment
    if not kept:
        return ()
    line_ends = "\n" if tokenizer.COMMENTS_TERMINATE_AT_NEWLINE_ONLY else "\n\r"
    found: list[_Comment] = []
    prev = 0
    for gap_end, next_start in [(t.start, t.end + 1) for t in tokens] + [(len(code), len(code))]:
        comments = _scan_gap(code, prev, gap_end, tokenizer._COMMENTS, tokenizer.NESTED_COMMENTS, line_ends)
        if comments is None:
            return None
        found += comments
        prev = next_start
    return tuple(found) if [c.body for c in found] == kept else None


def _tagged_tree(code: str, comments: tuple[_Comment, ...], tag: str, dialect: str) -> exp.Expression | None:
    """The tree of ``code`` with comment ``i`` replaced by ``/* {tag}{i}_ */`` (parsed
    afresh: cached trees are shared and stay as they are)."""
    parts: list[str] = []
    prev = 0
    for number, comment in enumerate(comments):
        parts += [code[prev : comment.start], f"/* {tag}{number}_ */"]
        prev = comment.end
    try:
        trees = parse_sql("".join(parts) + code[prev:], dialect)
    except (SqlglotError, RecursionError):
        return None
    return trees[0] if len(trees) == 1 else None


def _comment_text(comment: _Comment, same_dialect: bool) -> str:
    """The comment as written, or in the generic form when transpiling."""
    if same_dialect:
        return comment.raw.rstrip() if comment.line else comment.raw
    if comment.line:
        return "--" + (" " if comment.body[:1].strip() else "") + comment.body.rstrip()
    return "/*" + comment.body.replace("*/", "* /").replace("/*", "/ *") + "*/"


def _restore(out: str, comments: tuple[_Comment, ...], tag: str, write: str, same_dialect: bool) -> tuple[str, bool] | None:
    """``out`` with each placeholder replaced by its source comment, and whether the text
    ends with a line comment; None unless every comment appears exactly once.

    A line comment followed by code on its line moves to the end of that line when the
    rest of the line is whole tokens (no literal running on) without another line comment;
    otherwise the code after it moves to the next line."""
    pattern = re.compile(r"( ?)/\*\s*" + re.escape(tag) + r"(\d+)_\s*\*/")
    if sorted(int(m.group(2)) for m in pattern.finditer(out)) != list(range(len(comments))):
        return None
    lines: list[str] = []
    ends_with_line = False
    for line in out.split("\n"):
        matches = [(m, comments[int(m.group(2))]) for m in pattern.finditer(line)]
        parts: list[str] = []
        moved = ""
        pos, ends_with_line, fresh = 0, False, False  # fresh: just broke the line
        for k, (match, comment) in enumerate(matches):
            text, rest = _comment_text(comment, same_dialect), line[match.end() :]
            before = line[pos : match.start()].lstrip(" \t") if fresh else line[pos : match.start()]
            space = "" if fresh and not before else match.group(1)
            parts.append(before)
            pos, fresh = match.end(), False
            if not comment.line or not rest.strip():
                parts.append(space + text)
                if comment.line:
                    pos, ends_with_line = len(line), True
            elif not any(later.line for _, later in matches[k + 1 :]) and _tokens(rest, write) is not None:
                moved, ends_with_line = " " + text, True
                parts.append("" if rest[0] in " \t,)]" else space)
            else:
                indent = line[: len(line) - len(line.lstrip(" \t"))]
                parts.append(space + text + "\n" + indent)
                fresh = True
        restored = "".join(parts) + (line[pos:].lstrip(" \t") if fresh else line[pos:])
        lines.append(restored.rstrip(" \t") + moved if moved else restored)
    return "\n".join(lines), ends_with_line


def _render(statement: Statement, read: str, write: str, pretty: bool) -> str | None:
    comments = _source_comments(statement.code, read) if not statement.unterminated else None
    if comments is None:
        return None
    tag = "qwcomment"
    while tag in statement.code:
        tag += "_"
    tree = _tagged_tree(statement.code, comments, tag, read) if comments else _code_tree(statement, read)
    if tree is None:
        return None
    try:
        out = tree.sql(dialect=write, pretty=pretty, comments=True)
    except (SqlglotError, ValueError, KeyError, RecursionError):
        return None
    if not comments:
        return out
    restored = _restore(out, comments, tag, write, read == write)
    if restored is None:
        return None  # a comment would be lost
    text, ends_with_line_comment = restored
    if ends_with_line_comment and statement.terminated and not (comments[-1].line and comments[-1].end == len(statement.code)):
        text += "\n"  # keep the ``;`` that follows out of the comment
    return text if _same_code(text, out, write) else None


def _same_code(text: str, out: str, dialect: str) -> bool:
    """Whether ``text`` tokenizes to the same tokens as sqlglot's ``out`` (no code swallowed
    by a comment) with the same number of comments."""
    mine, theirs = _tokens(text, dialect), _tokens(out, dialect)
    if mine is None or theirs is None:
        return False
    if [(t.token_type, t.text) for t in mine] != [(t.token_type, t.text) for t in theirs]:
        return False
    return sum(len(t.comments) for t in mine) == sum(len(t.comments) for t in theirs)


def _edit(statement: Statement, index: TextIndex, new_text: str | None) -> TextEdit | None:
    if new_text is None or new_text == statement.code:
        return None
    return TextEdit(index.span(statement.code_start, statement.end), new_text)


def _format(statement: Statement, dialect: str) -> str | None:
    """The pretty-printed code, formatted again until that changes nothing (sqlglot may
    attach a comment that moved to the end of a line elsewhere), so that formatting is
    idempotent; None when it does not settle within a few rounds."""
    text = _render(statement, dialect, dialect, pretty=True)
    if text is None or not _source_comments(statement.code, dialect):
        return text
    for _ in range(3):
        again = split_statements(text, dialect)
        if len(again) != 1:
            return None
        again_code = _render(replace(again[0], terminated=statement.terminated), dialect, dialect, pretty=True)
        if again_code is None:
            return None
        settled = text[: again[0].code_start] + again_code + text[again[0].end :]
        if settled == text:
            return text
        text = settled
    return None


def format_statements(index: TextIndex, statements: Iterable[Statement], dialect: str) -> list[TextEdit]:
    """Pretty-print each statement that parses (leading comments kept as they are)."""
    edits = (_edit(s, index, _format(s, dialect)) for s in statements if not s.is_blank)
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
