"""Cursor context: which statement, clause and scope a cursor offset is in.

Works on incomplete statements (the normal state while typing): the statement around the
cursor is tokenized with the dialect's sqlglot tokenizer (only that statement, never the
whole document), its clause is found by scanning the tokens before the cursor, and its
scope by a tolerant scan of the FROM/JOIN items of the whole statement, the part after
the cursor included (see ``server.sql.scope``).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from dataclasses import dataclass
from enum import Enum

from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from .catalog import Catalog, get_dialect
from .scope import STRING_TOKENS, Name, Source, Structure
from .text import Statement, split_statements

T = TokenType


class Clause(str, Enum):
    NONE = "none"  # in a string or comment: nothing to complete
    START = "start"  # a statement's first word
    SELECT = "select"
    FROM = "from"
    JOIN = "join"
    ON = "on"
    USING = "using"
    WHERE = "where"
    GROUP_BY = "group_by"
    HAVING = "having"
    ORDER_BY = "order_by"
    CASE = "case"
    INSERT_COLUMNS = "insert_columns"
    INTO = "into"
    VALUES = "values"
    UPDATE = "update"
    SET = "set"
    RETURNING = "returning"
    WINDOW = "window"
    LIMIT = "limit"
    OTHER = "other"


# What the cursor position expects.
TABLE, KEYWORD, EXPRESSION, AFTER_EXPRESSION, COLUMN, NOTHING = "table", "keyword", "expression", "after_expression", "column", "nothing"

_CLAUSE_TOKENS = {
    T.SELECT: Clause.SELECT, T.FROM: Clause.FROM, T.JOIN: Clause.JOIN, T.ON: Clause.ON, T.USING: Clause.USING,
    T.WHERE: Clause.WHERE, T.QUALIFY: Clause.WHERE, T.GROUP_BY: Clause.GROUP_BY, T.HAVING: Clause.HAVING,
    T.ORDER_BY: Clause.ORDER_BY, T.LIMIT: Clause.LIMIT, T.OFFSET: Clause.LIMIT, T.FETCH: Clause.LIMIT,
    T.VALUES: Clause.VALUES, T.SET: Clause.SET, T.RETURNING: Clause.RETURNING, T.INTO: Clause.INTO,
    T.UPDATE: Clause.UPDATE, T.INSERT: Clause.INTO, T.PARTITION_BY: Clause.WINDOW, T.UNION: Clause.START,
    T.INTERSECT: Clause.START, T.EXCEPT: Clause.START, T.DELETE: Clause.OTHER, T.CREATE: Clause.OTHER,
    T.ALTER: Clause.OTHER, T.DROP: Clause.OTHER, T.WITH: Clause.OTHER, T.WINDOW: Clause.OTHER,
}
_TABLE_CLAUSES = frozenset({Clause.FROM, Clause.JOIN, Clause.UPDATE, Clause.INTO})
_OPERATORS = frozenset({
    T.EQ, T.NEQ, T.GT, T.GTE, T.LT, T.LTE, T.PLUS, T.DASH, T.SLASH, T.MOD, T.DPIPE, T.COMMA, T.L_PAREN,
    T.AND, T.OR, T.NOT, T.CASE, T.WHEN, T.THEN, T.ELSE, T.IN, T.LIKE, T.ILIKE, T.IS, T.BETWEEN, T.DISTINCT,
    T.EXISTS, T.ALL, T.ANY, T.SOME, T.CARET, T.AMP, T.PIPE, T.NULLSAFE_EQ, T.COLON, T.DCOLON,
})
_WORD = re.compile(r"^[A-Za-z_][\w$]*$")
_COMMENT_OPEN = re.compile(r"--[^\n]*\Z|/\*(?:(?!\*/).)*\Z", re.DOTALL)


@dataclass(frozen=True)
class CursorContext:
    """Everything completion needs to know about a cursor position."""

    clause: Clause
    expect: str  # TABLE | KEYWORD | EXPRESSION | AFTER_EXPRESSION | COLUMN | NOTHING
    enclosing: Clause  # the clause around a CASE (else == clause)
    prefix: str  # the word being typed, as typed (an opening quote included)
    replace_start: int  # document offsets of the text a completion replaces
    replace_end: int
    qualifier: tuple[Name, ...] = ()  # ``a.b.`` before the word
    sources: tuple[Source, ...] = ()  # FROM items of the cursor's query block
    outer_sources: tuple[Source, ...] = ()  # FROM items of enclosing blocks (correlation)
    ctes: tuple[Source, ...] = ()  # CTEs visible at the cursor
    target: Source | None = None  # INSERT/UPDATE/DELETE target
    listed: frozenset[str] = frozenset()  # column keys already listed (INSERT list, SET)
    joining: Source | None = None  # the JOIN item an ON / post-table position belongs to
    statement: Statement | None = None
    lowercase: bool = False  # the statement writes its keywords in lower case

    @property
    def all_sources(self) -> tuple[Source, ...]:
        target = self.target
        wanted = target is not None and (target.via != "into" or self.enclosing == Clause.RETURNING)
        extra = (target,) if wanted and target not in self.sources else ()
        return self.sources + extra


@functools.lru_cache(maxsize=128)
def structure(text: str, dialect: str) -> Structure:
    """Tokens and scope facts of one statement text (raises ``TokenError``)."""
    tokens = get_dialect(dialect).tokenize(text)
    match = [-1] * len(tokens)
    stack: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.token_type == T.L_PAREN:
            stack.append(i)
        elif tok.token_type == T.R_PAREN and stack:
            j = stack.pop()
            match[i], match[j] = j, i
    return Structure(text, dialect, tokens, match)


def statement_for_cursor(text: str, statements: list[Statement], offset: int) -> Statement | None:
    """The statement the cursor belongs to; None between statements (after a ``;``)."""
    starts = [s.start for s in statements]
    i = bisect.bisect_right(starts, offset) - 1
    if i < 0:
        return None
    stmt = statements[i]
    if offset <= stmt.end or not stmt.terminated:
        return stmt
    semicolon = text.find(";", stmt.end)
    return stmt if semicolon == -1 or offset <= semicolon else None


def analyze(text: str, offset: int, catalog: Catalog, statements: list[Statement] | None = None) -> CursorContext:
    """The cursor context at ``offset`` of the document ``text``."""
    dialect = catalog.dialect
    offset = max(0, min(offset, len(text)))
    if statements is None:
        statements = split_statements(text, dialect)
    stmt = statement_for_cursor(text, statements, offset)
    word = re.search(r"[\w$]*$", text[max(0, offset - 200) : offset])
    prefix = word.group(0) if word else ""
    if stmt is None:
        before = text[max(0, offset - 2000) : offset - len(prefix)]
        if _COMMENT_OPEN.search(before[before.rfind(";") + 1 :]):
            return CursorContext(Clause.NONE, NOTHING, Clause.NONE, prefix, offset, offset)
        return CursorContext(Clause.START, KEYWORD, Clause.START, prefix, offset - len(prefix), offset)
    local = offset - stmt.start
    try:
        struct = structure(stmt.text, dialect)
    except TokenError:
        return _analyze_broken(text, stmt, local, catalog, offset)
    return _analyze(text, struct, stmt, local, catalog, offset)


def _analyze_broken(doc: str, stmt: Statement, local: int, catalog: Catalog, offset: int) -> CursorContext:
    """The statement does not tokenize (an open quote somewhere): use the text before the cursor."""
    head = stmt.text[:local]
    dialect = get_dialect(catalog.dialect)
    for q in [m.start() for m in re.finditer(r"['\"`\[]", head)][::-1][:8]:
        try:
            struct = structure(head[:q], catalog.dialect)
        except TokenError:
            continue
        if head[q] == "'":
            break
        if head[q] == dialect.IDENTIFIER_START or head[q] in "\"`":
            try:  # the statement without the open quoted word, so the scope after the cursor counts
                struct = structure(head[:q] + " " + stmt.text[local:], catalog.dialect)
            except TokenError:
                pass
            found = _analyze(doc, struct, stmt, q, catalog, stmt.start + q)
            return dataclasses.replace(found, prefix=head[q:], replace_start=stmt.start + q, replace_end=offset)
        break
    try:
        struct = structure(head, catalog.dialect)
    except TokenError:
        return CursorContext(Clause.NONE, NOTHING, Clause.NONE, "", offset, offset, statement=stmt)
    return _analyze(doc, struct, stmt, local, catalog, offset)


def _analyze(doc: str, struct: Structure, stmt: Statement, local: int, catalog: Catalog, offset: int) -> CursorContext:
    toks = struct.tokens
    text = struct.text
    k = bisect.bisect_left([t.start for t in toks], local)  # tokens [0, k) start before the cursor
    partial = -1
    prefix, start, end = "", local, local
    if k > 0 and local <= toks[k - 1].end + 1:
        tok = toks[k - 1]
        if tok.token_type in STRING_TOKENS and local <= tok.end:
            return CursorContext(Clause.NONE, NOTHING, Clause.NONE, "", offset, offset, statement=stmt)
        if tok.token_type == T.IDENTIFIER or _WORD.match(tok.text) or (" " in tok.text and _WORD.match(tok.text.split()[-1])):
            partial = k - 1
            typed = text[tok.start : local]
            start = tok.start + max(typed.rfind(" "), typed.rfind("\n"), typed.rfind("\t")) + 1
            prefix = text[start:local]
            if tok.token_type == T.IDENTIFIER and local <= tok.end:
                end = tok.end + 1
    p = partial if partial >= 0 else k
    gap_start = toks[p - 1].end + 1 if p > 0 else 0
    if _COMMENT_OPEN.search(doc[stmt.start + gap_start : stmt.start + start]):
        return CursorContext(Clause.NONE, NOTHING, Clause.NONE, "", offset, offset, statement=stmt)
    qualifier: list[Name] = []
    q = p
    at = start
    while q >= 2 and toks[q - 1].token_type == T.DOT and toks[q - 1].end + 1 == at and (toks[q - 2].token_type == T.IDENTIFIER or _WORD.match(toks[q - 2].text)):
        qualifier.insert(0, struct.name(q - 2))
        at = toks[q - 2].start
        q -= 2
    clause, clause_at, in_case = _clause(struct, q)
    expect = _expect(struct, clause, clause_at, q)
    if qualifier and expect not in (TABLE,):
        expect = COLUMN if clause in (Clause.INSERT_COLUMNS, Clause.USING) else EXPRESSION
    ctx = CursorContext(
        clause=Clause.CASE if in_case else clause, expect=expect, enclosing=clause, prefix=prefix,
        replace_start=stmt.start + start, replace_end=stmt.start + end, qualifier=tuple(qualifier),
        statement=stmt, lowercase=_lowercase(toks),
    )
    return _with_scope(ctx, struct, catalog, q, partial, clause, clause_at)


def _clause(struct: Structure, q: int) -> tuple[Clause, int, bool]:
    """The clause around token position ``q``: (clause, index of its keyword, inside CASE)."""
    toks = struct.tokens
    depth = case_depth = 0
    in_case = False
    for i in range(q - 1, -1, -1):
        tt = toks[i].token_type
        if tt == T.R_PAREN:
            depth += 1
        elif tt == T.L_PAREN:
            if depth:
                depth -= 1
                continue
            special = _paren_clause(struct, i)
            if special is not None:
                return special, i, in_case
        elif depth:
            continue
        elif tt == T.END:
            case_depth += 1
        elif tt == T.CASE:
            if case_depth:
                case_depth -= 1
            else:
                in_case = True
        elif tt in _CLAUSE_TOKENS:
            if tt == T.SET and not any(t.token_type == T.UPDATE or t.text.upper() == "CONFLICT" for t in toks[:i]):
                return Clause.OTHER, i, in_case
            return _CLAUSE_TOKENS[tt], i, in_case
    return Clause.START, -1, in_case


def _paren_clause(struct: Structure, i: int) -> Clause | None:
    """A parenthesis that sets its own clause: an INSERT column list, USING (...), OVER (...)."""
    toks = struct.tokens
    j = i - 1
    if j >= 0 and toks[j].token_type == T.USING:
        return Clause.USING
    if j >= 0 and toks[j].token_type == T.OVER:
        return Clause.WINDOW
    while j >= 0 and (struct.is_name(j) or toks[j].token_type == T.DOT):
        j -= 1
    if j >= 0 and j < i - 1 and toks[j].token_type == T.INTO:
        return Clause.INSERT_COLUMNS
    return None


def _expect(struct: Structure, clause: Clause, clause_at: int, q: int) -> str:
    toks = struct.tokens
    prev = toks[q - 1] if q > 0 else None
    pt = prev.token_type if prev is not None else None
    if clause == Clause.START:
        return KEYWORD
    if clause in _TABLE_CLAUSES:
        if q - 1 == clause_at or pt == T.COMMA and clause == Clause.FROM or (prev is not None and prev.text.upper() in ("LATERAL", "ONLY", "TABLE")):
            return TABLE
        return KEYWORD
    if clause in (Clause.INSERT_COLUMNS, Clause.USING):
        return COLUMN
    if clause in (Clause.LIMIT, Clause.OTHER):
        return KEYWORD
    if clause == Clause.SET and pt in (T.SET, T.COMMA):
        return COLUMN
    if pt == T.ALIAS:
        return NOTHING
    if q - 1 == clause_at or pt in _OPERATORS or pt in (T.ON, T.WHERE, T.SELECT, T.HAVING, T.GROUP_BY, T.ORDER_BY, T.PARTITION_BY, T.RETURNING, T.VALUES, T.SET, T.QUALIFY):
        return EXPRESSION
    if pt == T.STAR and q >= 2 and toks[q - 2].token_type not in (T.SELECT, T.COMMA, T.DOT, T.L_PAREN):
        return EXPRESSION
    return AFTER_EXPRESSION


def _lowercase(toks: list[Token]) -> bool:
    words = [t.text for t in toks[:40] if t.token_type in _CLAUSE_TOKENS]
    return bool(words) and sum(w.islower() for w in words) * 2 > len(words)


def _with_scope(ctx: CursorContext, struct: Structure, catalog: Catalog, q: int, partial: int, clause: Clause, clause_at: int) -> CursorContext:
    """Add the sources, CTEs, target and listed columns around token position ``q``."""
    toks = struct.tokens
    n = len(toks)
    subqueries: list[int] = []
    stack: list[int] = []
    for i in range(q):
        tt = toks[i].token_type
        if tt == T.L_PAREN:
            stack.append(i)
        elif tt == T.R_PAREN and stack:
            stack.pop()
    subqueries = [i for i in stack if i + 1 < n and toks[i + 1].token_type in (T.SELECT, T.WITH)]
    ranges = [(0, n)] + [(i + 1, struct.close(i, n)) for i in subqueries]
    ctes: dict[str, Source] = {}
    outer: list[Source] = []
    sources: tuple[Source, ...] = ()
    target = None
    for level, (lo, hi) in enumerate(ranges):
        block = struct.block(lo, hi)
        ctes = struct.visible_ctes(catalog, block, ctes, before=q)
        segment = next(((a, b) for a, b in block.segments if a <= q <= b), None)
        if segment is None:
            continue
        found = tuple(_drop_partial(s, partial, catalog) for s in struct.resolve(catalog, *segment, ctes) if s is not None)
        found = tuple(s for s in found if s is not None)
        if level == 0:
            target = next((s for s in found if s.via in ("into", "update")), None)
            if target is None and segment[0] < n and toks[segment[0]].token_type == T.DELETE:
                target = next((s for s in found if s.via == "from"), None)
        found = tuple(s for s in found if s.via != "into")
        if level == len(ranges) - 1:
            sources = found
        else:
            outer.extend(found)
    joining = None
    if clause in (Clause.JOIN, Clause.ON, Clause.USING) or ctx.expect == KEYWORD:
        joins = [s for s in sources if s.via == "join" and s.keyword < q]
        joining = joins[-1] if joins else None
    listed = _listed(struct, catalog, clause, clause_at, q, partial)
    return dataclasses.replace(ctx, sources=sources, outer_sources=tuple(outer), ctes=tuple(ctes.values()), target=target, joining=joining, listed=listed)


def _drop_partial(source: Source, partial: int, catalog: Catalog) -> Source | None:
    """Leave out the item being typed; an alias being typed is not yet an alias."""
    if partial < 0 or not source.lo <= partial < source.hi:
        return source
    if source.aliased and partial == source.hi - 1 and source.hi - 1 > source.lo:
        name = source.written.rpartition(".")[2]
        return dataclasses.replace(source, name=name, key=catalog.key(name), aliased=False, hi=partial)
    return None


def _listed(struct: Structure, catalog: Catalog, clause: Clause, clause_at: int, q: int, partial: int) -> frozenset[str]:
    toks = struct.tokens
    if clause == Clause.INSERT_COLUMNS:
        end = struct.match[clause_at] if struct.match[clause_at] > clause_at else len(toks)
        return frozenset(catalog.key(toks[i].text, toks[i].token_type == T.IDENTIFIER) for i in struct.walk(clause_at + 1, end) if i != partial and struct.is_name(i))
    if clause == Clause.SET:
        keys = set()
        for i in struct.walk(clause_at + 1, len(toks)):
            if toks[i].token_type in (T.WHERE, T.FROM, T.RETURNING):
                break
            if i != partial and struct.is_name(i) and i + 1 < len(toks) and toks[i + 1].token_type == T.EQ and toks[i - 1].token_type in (T.SET, T.COMMA):
                keys.add(catalog.key(toks[i].text, toks[i].token_type == T.IDENTIFIER))
        return frozenset(keys)
    return frozenset()
