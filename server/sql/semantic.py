"""Semantic tokens: which names are catalog tables, views, columns, aliases and CTEs.

Only names the catalog (or the statement) resolves are marked, so a misspelt column keeps
the editor's plain colouring. Tokens are computed per statement on its own text and
cached by (statement text, catalog generation), like the checks.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from sqlglot import exp

from .catalog import Catalog
from .issues import Position
from .navigation import Classifier
from .resolve import Resolver, shift, statement_tree
from .text import Statement, TextIndex

# Token types, in legend order (LSP standard names).
TOKEN_TYPES: tuple[str, ...] = ("class", "interface", "property", "variable", "struct")

_KIND_TYPE = {"column": "property", "cte_column": "property", "select_alias": "property", "alias": "variable", "cte": "struct"}


@dataclass(frozen=True)
class Token:
    line: int
    character: int
    length: int  # in code points, on one line
    type: str


def statement_tokens(statement: Statement, catalog: Catalog) -> list[Token]:
    """Tokens of one statement, positions relative to the statement's first character."""
    text = statement.text
    local = Statement(0, 0, statement.code_start - statement.start, len(text), text, statement.terminated, statement.unterminated)
    tree = statement_tree(local, catalog.dialect)
    if tree is None:
        return []
    classifier = Classifier(Resolver(tree, catalog), local, TextIndex(text))
    out: list[Token] = []
    for node in tree.walk():
        if not isinstance(node, exp.Identifier):
            continue
        target = classifier.classify(node)
        if target is None or target.span.start.line != target.span.end.line:
            continue
        if target.kind == "table":
            kind = "interface" if target.table is not None and target.table.kind == "view" else "class"
        else:
            kind = _KIND_TYPE.get(target.kind, "")
        if kind:
            start = target.span.start
            out.append(Token(start.line, start.character, target.span.end.character - start.character, kind))
    return sorted(set(out), key=lambda t: (t.line, t.character))


class TokenCache:
    """Statement tokens for one catalog generation at a time (LRU)."""

    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self.generation = -1
        self._entries: OrderedDict[tuple[str, int, str | None], list[Token]] = OrderedDict()

    def tokens(self, statements: list[Statement], index: TextIndex, catalog: Catalog, generation: int) -> list[Token]:
        """Document tokens of ``statements`` (in document coordinates, sorted)."""
        if generation != self.generation:
            self._entries.clear()
            self.generation = generation
        out: list[Token] = []
        for statement in statements:
            if statement.is_blank:
                continue
            key = (statement.text, statement.code_start - statement.start, statement.unterminated)
            local = self._entries.get(key)
            if local is None:
                local = self._entries[key] = statement_tokens(statement, catalog)
                if len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
            base = index.position(statement.start)
            for token in local:
                moved = shift(Position(token.line, token.character), base)
                out.append(Token(moved.line, moved.character, token.length, token.type))
        return out

