"""Query parameters in harvested SQL: find them, and swap them for typed literals to validate.

Code passes values to SQL through placeholders: ``?``, ``%s``, ``%(name)s``, ``:name``,
``$1``, ``@name`` (and interpolations, which extraction already turned into ``:name``).
The harvested pair keeps them as written — that is how the team writes its queries — but
validation needs SQL that parses, so each placeholder is replaced by a literal typed after
the column it is compared with (``id = ?`` → ``id = 0``; ``email = ?`` → ``email = 'x'``).
"""

from __future__ import annotations

import re

from sqlglot import exp

from ..server.sql.catalog import Catalog
from ..server.sql.scratch import family as type_family

# Quoted strings, quoted identifiers and comments are matched first and kept, so a ``?`` or
# ``:x`` inside them is never taken for a placeholder.
_TOKENS = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/"""
    r"""|(?P<ph>%\(\w+\)s|%s|(?<![:\w])::?(?<!::)(?=[A-Za-z_])[A-Za-z_]\w*|\$\d+|(?<![\w@])@[A-Za-z_]\w*|\?(?![|&-]))""",
    re.DOTALL,
)
_MARK = "__qwp{}__"
_MARK_RE = re.compile(r"^__qwp(\d+)__$")


def find_placeholders(sql: str) -> list[str]:
    """Placeholders of ``sql`` in order of appearance."""
    return [m.group("ph") for m in _TOKENS.finditer(sql) if m.group("ph") and not m.group("ph").startswith("::")]


def _mark(sql: str) -> tuple[str, int]:
    count = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal count
        ph = match.group("ph")
        if not ph or ph.startswith("::"):
            return match.group(0)
        count += 1
        return f"'{_MARK.format(count)}'"

    return _TOKENS.sub(repl, sql), count


LITERALS = {
    "int": exp.Literal.number(1),
    "number": exp.Literal.number(1.5),
    "bool": exp.Boolean(this=True),
    "timestamp": exp.Literal.string("2024-01-01 00:00:00"),
    "date": exp.Literal.string("2024-01-01"),
    "text": exp.Literal.string("x"),
}


def _column_type(column: exp.Column, tree: exp.Expression, catalog: Catalog) -> str | None:
    key = catalog.key(column.name)
    for node in tree.find_all(exp.Table):
        table = catalog.find_expression(node)
        if table is None:
            continue
        if column.table and column.table not in (node.alias_or_name, node.name):
            continue
        found = table.columns.get(key)
        if found is not None:
            return found.type
    return None


def _partner(literal: exp.Expression) -> exp.Column | None:
    parent = literal.parent
    if isinstance(parent, (exp.In, exp.Between)):
        return parent.this if isinstance(parent.this, exp.Column) else None
    if isinstance(parent, (exp.Binary, exp.Like, exp.ILike)):
        other = parent.right if parent.left is literal else parent.left
        return other if isinstance(other, exp.Column) else None
    return None


def with_typed_literals(sql: str, catalog: Catalog) -> str:
    """``sql`` with each placeholder replaced by a literal of the compared column's type."""
    from .records import parse_tree

    marked, count = _mark(sql)
    if not count:
        return sql
    tree = parse_tree(marked, catalog.dialect)
    if tree is None:
        return marked
    for literal in list(tree.find_all(exp.Literal)):
        if not literal.is_string or not _MARK_RE.match(literal.this):
            continue
        if isinstance(literal.parent, (exp.Limit, exp.Offset, exp.Fetch)):
            literal.replace(exp.Literal.number(10))
            continue
        column = _partner(literal)
        family = type_family(_column_type(column, tree, catalog) or "") if column is not None else "text"
        literal.replace(LITERALS[family].copy())
    return tree.sql(dialect=catalog.dialect)
