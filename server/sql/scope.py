"""Scopes of a tokenized statement: query blocks, CTEs, FROM/JOIN items and their columns.

Works on sqlglot *tokens*, not on a parse tree, so it understands statements that are
being typed and do not parse yet. A ``Structure`` is built once per (statement text,
dialect) and caches what it finds; resolving names against a catalog is cached per
catalog object (a rebuilt catalog is a new object).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from .catalog import Catalog, Table, get_dialect
from .parsing import parse_sql

T = TokenType
STRING_TOKENS = frozenset({T.STRING, T.BIT_STRING, T.HEX_STRING, T.BYTE_STRING, T.NATIONAL_RAW_STRING, T.NATIONAL_STRING, T.RAW_STRING, T.HEREDOC_STRING, T.UNICODE_STRING})
SET_OPERATORS = frozenset({T.UNION, T.INTERSECT, T.EXCEPT})
# Words that end a table reference (never read as an alias) even where sqlglot allows them.
STOP_WORDS = frozenset(
    ["SET", "LIMIT", "OFFSET", "WINDOW", "USING", "ON", "WHERE", "VALUES", "RETURNING", "DEFAULT", "SELECT", "FROM", "JOIN", "LEFT", "RIGHT", "FULL", "INNER", "CROSS", "NATURAL", "OUTER", "GROUP", "ORDER", "UNION", "INTERSECT", "EXCEPT", "MINUS", "QUALIFY", "FETCH", "HAVING", "TABLESAMPLE", "PIVOT", "UNPIVOT", "AS", "LATERAL", "ONLY", "WITH", "INTO", "SEMI", "ANTI", "ASOF", "POSITIONAL", "APPLY", "BY"]
)
MAX_DEPTH = 8
# Set-returning functions of one column: without a column list, the alias names the column.
SINGLE_COLUMN_FUNCTIONS = frozenset({"generate_series", "unnest", "json_array_elements", "jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text", "regexp_split_to_table"})


@functools.lru_cache(maxsize=512)
def parsed_output_names(sql: str, dialect: str) -> tuple[str, ...] | None:
    """Output column names of a complete query by sqlglot's parser (casts, expressions and
    functions named as the database names them); None when it does not parse or selects
    ``*`` (the token scan then expands the star through the catalog)."""
    try:
        trees = parse_sql(sql, dialect)
    except (ParseError, TokenError, RecursionError):
        return None
    tree = trees[0] if len(trees) == 1 else None
    if not isinstance(tree, exp.Query):
        return None
    names: list[str] = []
    for select in tree.selects:
        if isinstance(select, exp.Star) or isinstance(select, exp.Column) and isinstance(select.this, exp.Star):
            return None
        while isinstance(select, exp.Cast) and not select.alias:
            select = select.this
        if isinstance(select, exp.Alias) or select.alias:
            name = select.alias
        elif isinstance(select, exp.Column):
            name = select.name
        elif isinstance(select, exp.Anonymous):
            name = select.name.lower()
        elif isinstance(select, exp.Func):
            name = select.sql_name().lower()
        else:
            name = ""
        if name:
            names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class Name:
    """An identifier as written: its text (without quotes) and whether it was quoted."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class RawItem:
    """A FROM/JOIN/UPDATE/INTO item before name resolution."""

    via: str  # "from" | "join" | "update" | "into"
    parts: tuple[Name, ...]  # the table name parts; empty for a derived table
    alias: Name | None
    column_names: tuple[Name, ...]  # alias column list, or an INSERT column list
    body: tuple[int, int] | None  # token range of a derived table's query
    function: bool
    lo: int  # token range of the whole item
    hi: int
    keyword: int  # token index of the FROM/JOIN/... keyword (or comma) before it
    columns_paren: tuple[int, int] | None = None  # token range of the parenthesised column list


@dataclass(frozen=True)
class RawCTE:
    name: Name
    columns: tuple[Name, ...]
    body: tuple[int, int]
    lo: int


@dataclass(frozen=True)
class Block:
    """A query block: its CTEs and its set-operation branches (token ranges)."""

    lo: int
    hi: int
    ctes: tuple[RawCTE, ...]
    segments: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Source:
    """A FROM item in scope, resolved against the catalog."""

    name: str  # how the statement refers to it: the alias, else the table's own name
    key: str  # ``name`` under the dialect's case rules
    kind: str  # "table" | "view" | "cte" | "subquery" | "function" | "unknown"
    table: Table | None
    columns: tuple[str, ...] | None  # output names of a CTE/subquery/alias list; None = unknown
    aliased: bool
    via: str
    written: str  # the table reference as written ("raw.events")
    lo: int
    hi: int
    keyword: int

    def column_names(self) -> list[str]:
        if self.columns is not None:
            return list(self.columns)
        if self.table is not None:
            return [c.name for c in self.table.columns.values()]
        return []


@dataclass
class Structure:
    """Cursor-independent facts about one statement's tokens."""

    text: str
    dialect: str
    tokens: list[Token]
    match: list[int]  # partner of each parenthesis (-1: none)
    _blocks: dict[tuple[int, int], Block] = field(default_factory=dict)
    _items: dict[tuple[int, int], tuple[RawItem, ...]] = field(default_factory=dict)
    _resolved: dict[tuple[int, int, tuple[str, ...]], tuple[Source, ...]] = field(default_factory=dict)
    _catalog: Catalog | None = None

    # ------------------------------------------------------------------ tokens
    def is_name(self, i: int) -> bool:
        tok = self.tokens[i]
        if tok.token_type in (T.VAR, T.IDENTIFIER):
            return True
        return tok.token_type in get_dialect(self.dialect).parser_class.ID_VAR_TOKENS and tok.text.upper() not in STOP_WORDS

    def is_alias(self, i: int) -> bool:
        tok = self.tokens[i]
        if tok.token_type == T.IDENTIFIER:
            return True
        if tok.text.upper() in STOP_WORDS:
            return False
        return tok.token_type == T.VAR or tok.token_type in get_dialect(self.dialect).parser_class.TABLE_ALIAS_TOKENS

    def name(self, i: int) -> Name:
        tok = self.tokens[i]
        return Name(tok.text, tok.token_type == T.IDENTIFIER)

    def close(self, i: int, hi: int) -> int:
        """Index of the parenthesis closing the one at ``i`` (``hi`` when unclosed)."""
        j = self.match[i]
        if 0 <= j < hi:
            return j
        if j < 0 and not self._starts_query(i + 1, hi):
            return i  # an unclosed call or list: what follows is still at this depth
        return hi

    def walk(self, lo: int, hi: int) -> Iterator[int]:
        """Token indexes in ``[lo, hi)`` at parenthesis depth 0 (an opening one is yielded)."""
        i = lo
        toks = self.tokens
        while i < hi:
            yield i
            i = self.close(i, hi) + 1 if toks[i].token_type == T.L_PAREN else i + 1

    def names_in(self, lo: int, hi: int) -> tuple[Name, ...]:
        return tuple(self.name(i) for i in self.walk(lo, hi) if self.is_name(i))

    # ------------------------------------------------------------------ blocks
    def block(self, lo: int, hi: int) -> Block:
        cached = self._blocks.get((lo, hi))
        if cached is None:
            cached = self._blocks[(lo, hi)] = self._block(lo, hi)
        return cached

    def _block(self, lo: int, hi: int) -> Block:
        toks = self.tokens
        i = lo
        ctes: list[RawCTE] = []
        if i < hi and toks[i].token_type == T.WITH:
            i += 1
            if i < hi and toks[i].text.upper() == "RECURSIVE":
                i += 1
            while i < hi and self.is_name(i):
                name, j, columns = self.name(i), i + 1, ()
                if j < hi and toks[j].token_type == T.L_PAREN:
                    end = self.close(j, hi)
                    columns, j = self.names_in(j + 1, end), end + 1
                if j < hi and toks[j].token_type == T.ALIAS:
                    j += 1
                while j < hi and toks[j].text.upper() in ("MATERIALIZED", "NOT"):
                    j += 1
                if not (j < hi and toks[j].token_type == T.L_PAREN):
                    i = j
                    break
                end = self.close(j, hi)
                ctes.append(RawCTE(name, columns, (j + 1, end), i))
                i = end + 1
                if i < hi and toks[i].token_type == T.COMMA:
                    i += 1
                    continue
                break
        segments: list[tuple[int, int]] = []
        start = i
        for k in self.walk(i, hi):
            if toks[k].token_type in SET_OPERATORS:
                segments.append((start, k))
                start = k + 1
                while start < hi and toks[start].token_type in (T.ALL, T.DISTINCT):
                    start += 1
        segments.append((start, hi))
        return Block(lo, hi, tuple(ctes), tuple(segments))

    # ------------------------------------------------------------------ FROM items
    def items(self, lo: int, hi: int) -> tuple[RawItem, ...]:
        cached = self._items.get((lo, hi))
        if cached is None:
            cached = self._items[(lo, hi)] = tuple(self._scan_items(lo, hi))
        return cached

    def _scan_items(self, lo: int, hi: int) -> Iterator[RawItem]:
        toks = self.tokens
        in_from = False
        first = toks[lo].token_type if lo < hi else None
        i = lo
        while i < hi:
            tt = toks[i].token_type
            if tt == T.L_PAREN:
                i = self.close(i, hi) + 1
                continue
            via = None
            if tt == T.FROM:
                via, in_from = "from", True
            elif tt == T.JOIN:
                via, in_from = "join", False
            elif tt == T.COMMA and in_from:
                via = "from"
            elif tt == T.UPDATE and i == lo:
                via = "update"
            elif tt == T.INTO and first in (T.INSERT, T.REPLACE):
                via = "into"
            elif tt == T.INTO and first == T.MERGE:
                via = "from"  # the MERGE target is in scope like a FROM item
            elif tt == T.USING and first == T.MERGE:
                via = "join"
            elif tt not in (T.COMMA, T.ALIAS) and toks[i].text.upper() in STOP_WORDS | {"SELECT", "WHERE", "HAVING"}:
                in_from = False
            if via is None:
                i += 1
                continue
            item, i = self._table_ref(i, hi, via)
            if item is not None:
                yield item

    def _table_ref(self, kw: int, hi: int, via: str) -> tuple[RawItem | None, int]:
        toks = self.tokens
        i = kw + 1
        while i < hi and toks[i].text.upper() in ("LATERAL", "ONLY", "TABLE") and via != "into":
            i += 1
        start = i
        if i >= hi:
            return None, i
        parts: tuple[Name, ...] = ()
        body = None
        function = False
        if toks[i].token_type == T.L_PAREN:
            end = self.close(i, hi)
            body, i = (i + 1, end), end + 1
        elif self.is_name(i):
            names = [self.name(i)]
            i += 1
            while i + 1 < hi and toks[i].token_type == T.DOT and self.is_name(i + 1):
                names.append(self.name(i + 1))
                i += 2
            parts = tuple(names)
            if i < hi and toks[i].token_type == T.L_PAREN and via != "into":
                function, i = True, self.close(i, hi) + 1
        else:
            return None, i
        alias = None
        if i < hi and toks[i].token_type == T.ALIAS:
            i += 1
            if i < hi and self.is_name(i):
                alias, i = self.name(i), i + 1
        elif i < hi and via != "into" and self.is_alias(i):
            alias, i = self.name(i), i + 1
        columns: tuple[Name, ...] = ()
        paren = None
        if i < hi and toks[i].token_type == T.L_PAREN and (alias is not None or via == "into"):
            end = self.close(i, hi)
            if via != "into" or end == hi or not self._starts_query(i + 1, end):
                columns, paren, i = self.names_in(i + 1, end), (i + 1, end), end + 1
        return RawItem(via, parts, alias, columns, body, function, start, i, kw, paren), i

    def _starts_query(self, lo: int, hi: int) -> bool:
        return lo < hi and self.tokens[lo].token_type in (T.SELECT, T.WITH, T.VALUES)

    def select_items(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Token ranges of the select-list items of the query segment ``[lo, hi)``."""
        toks = self.tokens
        pos = next((k for k in self.walk(lo, hi) if toks[k].token_type == T.SELECT), None)
        if pos is None:
            return []
        i = pos + 1
        while i < hi:
            tt = toks[i].token_type
            if tt in (T.DISTINCT, T.ALL):
                i += 1
            elif tt == T.ON and i + 1 < hi and toks[i + 1].token_type == T.L_PAREN:
                i = self.close(i + 1, hi) + 1
            elif tt == T.TOP:
                i += 2
            else:
                break
        out: list[tuple[int, int]] = []
        start = i
        for k in self.walk(i, hi):
            tt = toks[k].token_type
            if tt == T.COMMA:
                out.append((start, k))
                start = k + 1
            elif tt in (T.FROM, T.INTO, T.WHERE, T.GROUP_BY, T.HAVING, T.ORDER_BY, T.LIMIT, T.WINDOW, T.QUALIFY) or tt in SET_OPERATORS:
                hi = k
                break
        out.append((start, hi))
        return [r for r in out if r[0] < r[1]]

    # ------------------------------------------------------------------ resolution
    def resolve(self, catalog: Catalog, lo: int, hi: int, ctes: dict[str, Source], depth: int = 0) -> tuple[Source, ...]:
        """The sources of the query segment ``[lo, hi)`` with ``ctes`` visible."""
        if self._catalog is not catalog:
            self._catalog, self._resolved = catalog, {}
        key = (lo, hi, tuple(sorted(ctes)))
        cached = self._resolved.get(key)
        if cached is None:
            cached = self._resolved[key] = tuple(self._source(catalog, item, ctes, depth) for item in self.items(lo, hi))
        return cached

    def visible_ctes(self, catalog: Catalog, block: Block, outer: dict[str, Source], depth: int = 0, before: int | None = None) -> dict[str, Source]:
        """``outer`` plus the CTEs of ``block`` (those declared before token ``before``)."""
        visible = dict(outer)
        for cte in block.ctes:
            if before is not None and cte.lo >= before:
                break
            columns = tuple(n.text for n in cte.columns) or self.output_columns(catalog, cte.body, visible, depth + 1)
            key = catalog.key(cte.name.text, cte.name.quoted)
            visible[key] = Source(cte.name.text, key, "cte", None, columns, False, "with", cte.name.text, cte.lo, cte.body[1] + 1, cte.lo)
        return visible

    def output_columns(self, catalog: Catalog, body: tuple[int, int], ctes: dict[str, Source], depth: int) -> tuple[str, ...] | None:
        """Output column names of the query in token range ``body`` (None = unknowable)."""
        if depth > MAX_DEPTH or body[0] >= body[1]:
            return None
        named = parsed_output_names(self.text[self.tokens[body[0]].start : self.tokens[body[1] - 1].end + 1], self.dialect)
        if named is not None:
            return named
        block = self.block(*body)
        visible = self.visible_ctes(catalog, block, ctes, depth)
        lo, hi = block.segments[0]
        sources = self.resolve(catalog, lo, hi, visible, depth)
        names: list[str] = []
        for a, b in self.select_items(lo, hi):
            got = self._item_names(a, b, sources)
            if got is None:
                return None
            names.extend(got)
        return tuple(names)

    def _item_names(self, a: int, b: int, sources: tuple[Source, ...]) -> list[str] | None:
        toks = self.tokens
        last = toks[b - 1]
        if last.token_type == T.STAR:
            if b - a >= 3 and toks[b - 2].token_type == T.DOT:
                qual = toks[b - 3].text
                matches = [s for s in sources if s.name.lower() == qual.lower()]
                return matches[0].column_names() if matches and (matches[0].table or matches[0].columns is not None) else None
            if any(s.table is None and s.columns is None for s in sources):
                return None
            return [c for s in sources for c in s.column_names()]
        if b - a >= 2 and (self.is_name(b - 1) or last.token_type == T.IDENTIFIER):
            prev = toks[b - 2].token_type
            if prev == T.ALIAS or prev in (T.R_PAREN, T.VAR, T.IDENTIFIER, T.NUMBER, T.STRING, T.END) and prev != T.DOT:
                return [last.text]
        if last.token_type in (T.VAR, T.IDENTIFIER) or self.is_name(b - 1):
            return [last.text]
        if last.token_type == T.R_PAREN and toks[a].token_type == T.VAR and a + 1 < b and toks[a + 1].token_type == T.L_PAREN:
            return [toks[a].text.lower()]
        return []

    def _source(self, catalog: Catalog, item: RawItem, ctes: dict[str, Source], depth: int) -> Source:
        alias = item.alias
        written = ".".join(p.text for p in item.parts)
        aliases = tuple(n.text for n in item.column_names) if item.via != "into" else ()
        if item.body is not None:
            columns = aliases or self.output_columns(catalog, item.body, ctes, depth + 1)
            name = alias.text if alias else ""
            key = catalog.key(alias.text, alias.quoted) if alias else ""
            return Source(name, key, "subquery", None, columns, alias is not None, item.via, "(subquery)", item.lo, item.hi, item.keyword)
        last = item.parts[-1]
        name, key = (alias.text, catalog.key(alias.text, alias.quoted)) if alias else (last.text, catalog.key(last.text, last.quoted))
        if item.function:
            if not aliases and alias is not None and last.text.lower() in SINGLE_COLUMN_FUNCTIONS:
                aliases = (alias.text,)  # PostgreSQL: `generate_series(1, 3) g` has the one column g
            return Source(name, key, "function", None, aliases or None, alias is not None, item.via, written, item.lo, item.hi, item.keyword)
        if len(item.parts) == 1:
            cte = ctes.get(catalog.key(last.text, last.quoted))
            if cte is not None:
                return Source(name, key, "cte", None, aliases or cte.columns, alias is not None, item.via, written, item.lo, item.hi, item.keyword)
        schema = item.parts[-2] if len(item.parts) >= 2 else None
        table = catalog.find(last.text, schema.text if schema else None, last.quoted)
        kind = table.kind if table is not None else "unknown"
        return Source(name, key, kind, table, aliases or None, alias is not None, item.via, written, item.lo, item.hi, item.keyword)
