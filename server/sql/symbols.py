"""Symbols: the document outline (statements and their CTEs) and the catalog's tables,
views and columns for workspace symbol search.

A statement is named after its leading comment when it has one (``-- Revenue per
customer``), else after its first line of code; the detail is its first keyword.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from .catalog import Catalog
from .issues import Location, Span
from .resolve import doc_span, statement_tree
from .text import Statement, TextIndex

_COMMENT_LINE = re.compile(r"^\s*(?:--+|/\*+|\*+)\s*(.*?)\s*(?:\*+/)?\s*$")


@dataclass(frozen=True)
class Symbol:
    """``kind``: ``statement``, ``table``, ``view`` or ``cte``."""

    name: str
    detail: str
    kind: str
    span: Span
    selection: Span
    children: tuple[Symbol, ...] = ()


def _title(statement: Statement, limit: int = 80) -> str:
    leading = statement.text[: statement.code_start - statement.start]
    for line in leading.splitlines():
        match = _COMMENT_LINE.match(line)
        if match and match.group(1):
            return match.group(1)[:limit]
    first = " ".join(statement.code.split())
    return (first[: limit - 1] + "…") if len(first) > limit else first or statement.first_keyword()


def document_symbols(index: TextIndex, statements: list[Statement], dialect: str, parse: bool = True) -> list[Symbol]:
    """Symbols of a document; ``parse=False`` skips CTEs (for very large documents)."""
    out: list[Symbol] = []
    for statement in statements:
        if statement.is_blank:
            continue
        span = index.span(statement.start, statement.end)
        selection = index.span(statement.code_start, min(statement.end, statement.code_start + len(statement.code.split("\n", 1)[0])))
        keyword = statement.first_keyword()
        kind, children = "statement", []
        tree = statement_tree(statement, dialect) if parse else None
        if tree is not None:
            if isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() in ("TABLE", "VIEW"):
                kind = str(tree.args["kind"]).lower()
            for cte in tree.find_all(exp.CTE):
                alias = cte.args.get("alias")
                name_span = doc_span(alias.this, statement, index) if isinstance(alias, exp.TableAlias) and alias.this else None
                if name_span is None:
                    continue
                body = doc_span(alias.this, statement, index) or name_span
                children.append(Symbol(alias.name, "CTE", "cte", body, name_span))
        out.append(Symbol(_title(statement), keyword, kind, span, selection, tuple(children)))
    return out


@dataclass(frozen=True)
class CatalogSymbol:
    """A table, view or column for workspace symbol search, with its DDL location."""

    name: str
    kind: str  # "table" | "view" | "column"
    container: str | None
    location: Location


def _matches(query: str, name: str) -> bool:
    """Characters of ``query`` in order in ``name`` (case-insensitive), like editors filter."""
    position = 0
    lowered = name.lower()
    for ch in query.lower():
        position = lowered.find(ch, position) + 1
        if position == 0:
            return False
    return True


def workspace_symbols(catalog: Catalog, query: str, limit: int = 500) -> list[CatalogSymbol]:
    """Tables and views (and, for a query of 2+ characters, columns) matching ``query``."""
    out: list[CatalogSymbol] = []
    for table in sorted(catalog, key=lambda t: t.display_name.lower()):
        if table.location is not None and _matches(query, table.display_name):
            out.append(CatalogSymbol(table.display_name, table.kind, table.schema, table.location))
        if len(query) >= 2:
            for column in table.columns.values():
                if column.location is not None and _matches(query, column.name):
                    out.append(CatalogSymbol(column.name, "column", table.display_name, column.location))
        if len(out) >= limit:
            break
    return out[:limit]
