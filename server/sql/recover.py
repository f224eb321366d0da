"""Recovering the schema from DDL that sqlglot cannot parse whole.

``recover_create_table`` handles a ``CREATE TABLE`` that failed (or became an
``exp.Command``): the parenthesised body is cut at top-level commas and each clause is
parsed alone as ``CREATE TABLE t (<clause>)``. A column whose clause still fails keeps
its name with the longest parseable prefix of its type (or an unknown type); a
constraint that fails is dropped and named in the returned reasons.
``schema_elements`` cuts ``CREATE SCHEMA x CREATE TABLE ... CREATE VIEW ...`` into its
element statements, each qualified with the schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .catalog import get_dialect

_HEAD = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED)\s+)*TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?", re.IGNORECASE)
_CONSTRAINT = re.compile(r"(?:CONSTRAINT|PRIMARY|FOREIGN|UNIQUE|CHECK|KEY|INDEX|EXCLUDE|FULLTEXT|SPATIAL|PERIOD)\b", re.IGNORECASE)
_SCHEMA_HEAD = re.compile(r"CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?(\"[^\"]+\"|\[[^\]]+\]|[\w$]+)(?:\s+AUTHORIZATION\s+[\w$\"]+)?", re.IGNORECASE)
_ELEMENT = re.compile(r"\b(CREATE\s+(?:TABLE|VIEW|INDEX|SEQUENCE|TRIGGER)|GRANT)\b", re.IGNORECASE)
_INDEX_OPTIONS = re.compile(r"\b(?:NONCLUSTERED|CLUSTERED)\b", re.IGNORECASE)
# ``ALTER TABLE`` forms that do not change tables or columns (ownership, triggers, storage).
IRRELEVANT_ALTER = re.compile(
    r"\s*ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?\S+\s+(?:OWNER\s+TO|ENABLE|DISABLE|CLUSTER\s+ON|REPLICA\s+IDENTITY|SET\s+(?:TABLESPACE|SCHEMA|LOGGED|UNLOGGED|WITH|WITHOUT|\()|RESET|ATTACH|DETACH|INHERIT|NO\s+INHERIT|FORCE|NO\s+FORCE|VALIDATE)",
    re.IGNORECASE,
)
# T-SQL ``ALTER TABLE t ADD CONSTRAINT [df] DEFAULT (expr) FOR col``
TSQL_DEFAULT_FOR = re.compile(
    r"\s*ALTER\s+TABLE\s+(?P<table>\S+)\s+ADD\s+(?:CONSTRAINT\s+\S+\s+)?DEFAULT\s+(?P<expr>.+?)\s+FOR\s+(?P<column>\[[^\]]+\]|\"[^\"]+\"|\w+)\s*$",
    re.IGNORECASE | re.DOTALL,
)
MAX_CLAUSES = 2000
MAX_RECOVER_CHARS = 1_000_000


@dataclass
class Clause:
    offset: int  # in the statement's code
    text: str


@dataclass
class Recovered:
    table_node: exp.Table
    items: list[tuple[Clause, exp.Expression]]
    unknown: list[Clause]  # columns kept with an unknown type
    dropped: list[Clause]  # constraints that could not be read
    partial: list[Clause] = field(default_factory=list)  # columns kept from a parseable prefix
    end: int = 0  # offset in the code just past the closing parenthesis


def _parse_one(sql: str, dialect: str) -> exp.Expression | None:
    try:
        trees = get_dialect(dialect).parse(sql)
    except Exception:  # any sqlglot failure means "not this clause"
        return None
    return next((t for t in trees if t is not None), None)


def split_top_level(body: str, base: int) -> list[Clause]:
    """Cut ``body`` at commas outside parentheses, quotes and comments."""
    out: list[Clause] = []
    depth = 0
    start = 0
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch in "'\"`[":
            close = "]" if ch == "[" else ch
            j = body.find(close, i + 1)
            i = n if j == -1 else j + 1
            continue
        if body.startswith("--", i):
            j = body.find("\n", i)
            i = n if j == -1 else j + 1
            continue
        if body.startswith("/*", i):
            j = body.find("*/", i + 2)
            i = n if j == -1 else j + 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(Clause(base + start, body[start:i]))
            start = i + 1
        i += 1
    out.append(Clause(base + start, body[start:]))
    return [_strip(c) for c in out if c.text.strip()]


def _strip(clause: Clause) -> Clause:
    lead = len(clause.text) - len(clause.text.lstrip())
    return Clause(clause.offset + lead, clause.text.strip())


def _body_bounds(code: str, start: int) -> tuple[int, int] | None:
    """Offsets of the text inside the first top-level parentheses from ``start``."""
    open_at = code.find("(", start)
    if open_at == -1:
        return None
    depth = 0
    i = open_at
    n = len(code)
    while i < n:
        ch = code[i]
        if ch in "'\"`":
            j = code.find(ch, i + 1)
            i = n if j == -1 else j + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return open_at + 1, i
        i += 1
    return open_at + 1, n


def _column_items(tree: exp.Expression | None) -> list[exp.Expression]:
    if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Schema):
        return list(tree.this.expressions)
    return []


def recover_create_table(code: str, dialect: str) -> Recovered | None:
    """Column-by-column reading of a ``CREATE TABLE`` sqlglot rejected; None if not one."""
    if len(code) > MAX_RECOVER_CHARS:
        return None
    head = _HEAD.match(code)
    if not head:
        return None
    bounds = _body_bounds(code, head.end())
    if bounds is None:
        return None
    name_text = code[head.end() : bounds[0] - 1].strip()
    named = _parse_one(f"CREATE TABLE {name_text} (x INT)", dialect)
    if not isinstance(named, exp.Create):
        return None
    table_node = named.find(exp.Table)
    if table_node is None:
        return None
    result = Recovered(table_node, [], [], [], end=min(bounds[1] + 1, len(code)))
    for clause in split_top_level(code[bounds[0] : bounds[1]], bounds[0])[:MAX_CLAUSES]:
        items = _column_items(_parse_one(f"CREATE TABLE t ({clause.text})", dialect))
        if items:
            result.items.extend((clause, item) for item in items)
            continue
        if _CONSTRAINT.match(clause.text):
            plain = _INDEX_OPTIONS.sub(" ", clause.text)
            items = _column_items(_parse_one(f"CREATE TABLE t ({plain})", dialect)) if plain != clause.text else []
            if items:
                result.items.extend((clause, item) for item in items)
            else:
                result.dropped.append(clause)
            continue
        words = clause.text.split()
        kept = None
        for cut in range(min(len(words) - 1, 8), 0, -1):  # longest parseable "name type..." prefix
            items = _column_items(_parse_one(f"CREATE TABLE t ({' '.join(words[: cut + 1])})", dialect))
            if items and isinstance(items[0], exp.ColumnDef):
                kept = items[0]
                result.partial.append(clause)
                break
        if kept is None:
            ident = _parse_one(f"CREATE TABLE t ({words[0]} INT)", dialect) if words else None
            cols = _column_items(ident)
            if not cols or not isinstance(cols[0], exp.ColumnDef):
                result.dropped.append(clause)
                continue
            kept = exp.ColumnDef(this=cols[0].this)
            result.unknown.append(clause)
        result.items.append((clause, kept))
    return result


def schema_elements(code: str) -> tuple[str, list[tuple[int, str]]] | None:
    """``CREATE SCHEMA x <elements>``: the schema and each element (offset in ``code``,
    text with table/view names qualified by the schema); None when not that form."""
    head = _SCHEMA_HEAD.match(code)
    if not head or len(code) > MAX_RECOVER_CHARS:
        return None
    schema = head.group(1)
    starts = [m.start() for m in _ELEMENT.finditer(code, head.end()) if _top_level(code, head.end(), m.start())]
    if not starts:
        return schema, []
    out: list[tuple[int, str]] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(code)
        element = code[start:end].rstrip()
        qualified = re.sub(r"^(CREATE\s+(?:TABLE|VIEW)\s+)(?![\w\"\[]+\.)", lambda m: m.group(1) + schema + ".", element, count=1, flags=re.IGNORECASE)
        out.append((start, qualified))
    return schema, out


def _top_level(code: str, start: int, at: int) -> bool:
    """True when ``at`` is outside parentheses and quotes (counted from ``start``)."""
    depth = 0
    quote = ""
    for ch in code[start:at]:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
    return depth == 0 and not quote
