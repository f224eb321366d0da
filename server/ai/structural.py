"""Structural continuations: ghost text that follows from the catalog alone, no model.

At a few cursor positions the next words are certain from the schema and the statement:

- after ``JOIN t ON `` (or ``JOIN t x ON ``): the foreign-key join condition between ``t``
  and the tables already in scope (``p.customer_id = c.customer_id``);
- after ``GROUP BY ``: the select items that are not aggregates, when the select list has
  an aggregate;
- after ``ORDER BY `` in a query whose select list has one aggregate: that aggregate (its
  alias when it has one) and ``DESC``;
- after ``INSERT INTO t (``: the columns of ``t`` without serial / ``nextval`` defaults,
  and the closing parenthesis unless one follows already.

``continuation`` returns the text to insert at the cursor, or None when nothing is certain
(two possible join conditions, a ``*`` select list, an unparsable head, a word half typed
that the answer does not continue). It is dictionary work over the cursor context of
``server.sql.context`` and the foreign-key index the completion engine uses; one call
takes well under a millisecond to a few milliseconds (bench/structural_latency.py).
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..sql.catalog import Catalog, Column
from ..sql.completion import catalog_view
from ..sql.context import Clause, CursorContext, analyze
from ..sql.joins import join_conditions
from ..sql.parsing import parse_sql
from ..sql.text import Statement

_AFTER_ON = re.compile(r"\bON\s+(?P<typed>[\w$.]*)\Z", re.IGNORECASE)
_AFTER_GROUP_BY = re.compile(r"\bGROUP\s+BY\s+\Z", re.IGNORECASE)
_AFTER_ORDER_BY = re.compile(r"\bORDER\s+BY\s+\Z", re.IGNORECASE)
_AFTER_OPEN = re.compile(r"\(\s*\Z")
_GENERATED_DEFAULT = re.compile(r"nextval|identity|generated", re.IGNORECASE)
_SERIAL_TYPES = frozenset({"SERIAL", "BIGSERIAL", "SMALLSERIAL", "SERIAL2", "SERIAL4", "SERIAL8"})


def continuation(text: str, offset: int, catalog: Catalog, statements: list[Statement] | None = None) -> str | None:
    """The certain continuation at ``offset`` of the document ``text``, or None."""
    offset = max(0, min(offset, len(text)))
    ctx = analyze(text, offset, catalog, statements)
    stmt = ctx.statement
    if stmt is None:
        return None
    head = text[stmt.start : offset]
    if ctx.clause == Clause.ON:
        return _join_condition(ctx, head, catalog)
    if ctx.prefix:
        return None
    if ctx.clause == Clause.GROUP_BY and _AFTER_GROUP_BY.search(head):
        return _group_by(_AFTER_GROUP_BY.sub("", head), catalog.dialect, ctx.lowercase)
    if ctx.clause == Clause.ORDER_BY and _AFTER_ORDER_BY.search(head):
        ranked = _order_by(_AFTER_ORDER_BY.sub("", head), catalog.dialect, ctx.lowercase)
        return None if ranked is None else f"{ranked} {'desc' if ctx.lowercase else 'DESC'}"
    if ctx.clause == Clause.INSERT_COLUMNS and _AFTER_OPEN.search(head) and not ctx.listed:
        return _insert_columns(ctx, catalog, text[offset:])
    return None


def _join_condition(ctx: CursorContext, head: str, catalog: Catalog) -> str | None:
    """The one foreign-key condition for the JOIN item whose ON the cursor follows."""
    match = _AFTER_ON.search(head)
    joining = ctx.joining
    if match is None or joining is None or joining.table is None:
        return None
    view = catalog_view(catalog)
    earlier = tuple(s for s in ctx.sources if s.lo < joining.lo)
    conditions = join_conditions(view.fks, joining, earlier, view.quote)
    if len(conditions) != 1:
        return None  # no foreign key, or several: nothing certain
    typed = match.group("typed")
    condition = conditions[0]
    if not condition.lower().startswith(typed.lower()) or len(condition) == len(typed):
        return None
    return condition[len(typed) :]


def _select(head: str, dialect: str) -> exp.Select | None:
    """The innermost open query of ``head`` (the statement up to GROUP/ORDER BY), parsed."""
    depth, start = 0, 0
    opens: list[int] = []
    for i, ch in enumerate(head):  # quotes are rare here; a wrong cut only fails the parse
        if ch == "(":
            opens.append(i)
            depth += 1
        elif ch == ")" and opens:
            opens.pop()
            depth -= 1
    if opens:
        start = opens[-1] + 1
    try:
        tree = next((t for t in parse_sql(head[start:], dialect) if t is not None), None)
    except (SqlglotError, RecursionError):
        return None
    return tree if isinstance(tree, exp.Select) else None


def _is_aggregate(node: exp.Expression) -> bool:
    return any(not isinstance(a.parent, exp.Window) and a.find_ancestor(exp.Window) is None for a in node.find_all(exp.AggFunc))


def _written(node: exp.Expression, dialect: str, lowercase: bool) -> str:
    """``node`` as SQL, its function names in the statement's keyword case."""
    return node.sql(dialect=dialect, normalize_functions="lower" if lowercase else "upper")


def _group_by(head: str, dialect: str, lowercase: bool) -> str | None:
    select = _select(head, dialect)
    if select is None or select.find(exp.Window) is not None:
        return None
    items = select.expressions
    if not items or any(isinstance(e, exp.Star) or isinstance(e, exp.Column) and isinstance(e.this, exp.Star) for e in items):
        return None
    plain = [e.unalias() for e in items if not _is_aggregate(e)]
    if len(plain) == len(items) or not plain:
        return None  # no aggregate (nothing to group for), or only aggregates
    plain = [e for e in plain if not isinstance(e, exp.Literal)]
    return ", ".join(_written(e, dialect, lowercase) for e in plain) or None


def _order_by(head: str, dialect: str, lowercase: bool) -> str | None:
    select = _select(head, dialect)
    if select is None:
        return None
    aggregates = [e for e in select.expressions if _is_aggregate(e)]
    if len(aggregates) != 1:
        return None
    item = aggregates[0]
    if isinstance(item, exp.Alias):
        return item.args["alias"].sql(dialect=dialect)
    return _written(item, dialect, lowercase)


def _generated(column: Column) -> bool:
    kind = column.type.split("(", 1)[0].strip().upper()
    return kind in _SERIAL_TYPES or bool(column.default and _GENERATED_DEFAULT.search(column.default))


def _insert_columns(ctx: CursorContext, catalog: Catalog, after: str) -> str | None:
    target = ctx.target
    if target is None or target.table is None or target.kind != "table":
        return None
    view = catalog_view(catalog)
    names = [view.quote(c.name, key) for key, c in target.table.columns.items() if not _generated(c)]
    if not names:
        return None
    closing = "" if after.lstrip(" \t").startswith(")") else ")"
    return ", ".join(names) + closing
