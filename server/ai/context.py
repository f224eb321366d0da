"""Where the cursor is, for a model: the statement text on each side of it and the question.

``inline_context`` looks at a document and a cursor offset and says what a suggestion
should do there:

- ``continue``: the cursor is inside (or at the end of) a statement; ``prefix``/``suffix``
  are that statement's text left and right of the cursor, ``question`` the ``--`` comment
  lines right above it (if any);
- ``comment``: the cursor is on an empty line right below a ``-- question`` comment with no
  statement code after it: a whole statement is wanted (comment -> SQL);
- ``none``: nothing sensible to suggest (blank area without a question, inside a comment
  or string).

It also splits the prefix for token healing: the unfinished word at the cursor is given
to the model to regenerate whole, so a prompt never ends mid-word or on a space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..sql.issues import Position
from ..sql.text import Statement, TextIndex, split_statements, statement_at

Mode = Literal["continue", "comment", "none"]
_WORD_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*$")
_COMMENT_LINE = re.compile(r"^\s*--\s?(.*)$")


@dataclass(frozen=True)
class InlineContext:
    mode: Mode
    prefix: str = ""  # statement text left of the cursor
    suffix: str = ""  # statement text right of the cursor (up to its end, no ';')
    question: str | None = None
    reason: str = ""  # for mode "none"


@dataclass(frozen=True)
class Healing:
    """The prompt-side prefix and what the model's output must start with."""

    prompt_prefix: str  # prefix without trailing whitespace and unfinished word
    partial: str  # the unfinished word (the output must start with it)
    spaced: bool  # whitespace followed prompt_prefix (the output's leading blanks go)


def heal(prefix: str) -> Healing:
    match = _WORD_TAIL.search(prefix)
    partial = match.group(0) if match else ""
    head = prefix[: len(prefix) - len(partial)]
    trimmed = head.rstrip()
    return Healing(trimmed, partial, spaced=len(trimmed) != len(head))


def insertion(healing: Healing, output: str) -> str | None:
    """The text to insert at the cursor given the model's output after ``prompt_prefix``;
    None when the output does not continue what the user typed."""
    rest = output
    if healing.spaced or not healing.prompt_prefix:
        rest = rest.lstrip()  # the user already typed the blank (or nothing precedes)
    elif healing.partial and rest[:1].isspace():
        return None  # "u.em" must go on with the word, not start a new one
    if healing.partial:
        if not rest.lower().startswith(healing.partial.lower()):
            return None
        rest = rest[len(healing.partial) :]
    return rest


def comment_question(index: TextIndex, line: int) -> str | None:
    """The text of the ``--`` comment block ending at ``line`` (joined), or None."""
    parts: list[str] = []
    current = line
    while current >= 0:
        match = _COMMENT_LINE.match(index.line_text(current))
        if match is None:
            break
        parts.append(match.group(1).strip())
        current -= 1
    question = " ".join(p for p in reversed(parts) if p)
    return question or None


def _leading_question(statement: Statement) -> str | None:
    head = statement.text[: statement.code_start - statement.start]
    lines = [m.group(1).strip() for m in map(_COMMENT_LINE.match, head.splitlines()) if m]
    text = " ".join(line for line in lines if line)
    return text or None


def inline_context(text: str, offset: int, dialect: str, statements: list[Statement] | None = None, index: TextIndex | None = None) -> InlineContext:
    """What a suggestion at ``offset`` should be (see the module docstring)."""
    index = index or TextIndex(text)
    offset = max(0, min(offset, len(text)))
    statements = statements if statements is not None else split_statements(text, dialect)
    position = index.position(offset)
    line = index.line_text(position.line)
    statement = statement_at(statements, offset)
    if statement is not None and statement.is_blank:
        statement = None
    if statement is not None and offset > statement.end and statement.terminated:
        statement = None  # after the ';'
    if statement is not None and offset >= statement.code_start and _opens_statement(index, position.line, statement):
        statement = None  # a question after a blank line starts a new statement
    if statement is None or offset < statement.code_start:
        if line.strip() == "" and position.line > 0:
            question = comment_question(index, position.line - 1)
            if question:
                return InlineContext("comment", question=question)
        return InlineContext("none", reason="no statement at the cursor")
    prefix = text[statement.code_start : offset]
    if "--" in prefix.rsplit("\n", 1)[-1] and _in_line_comment(prefix):
        return InlineContext("none", reason="inside a comment")
    suffix = text[offset : statement.end]
    return InlineContext("continue", prefix, suffix, _leading_question(statement))


def _opens_statement(index: TextIndex, line: int, statement: Statement) -> bool:
    """The cursor's blank ``line`` is right below a ``--`` comment block that follows a
    blank line inside ``statement`` (an unfinished statement above it, no ``;``): the
    comment is a question that starts a new statement, not part of the one above."""
    if line == 0 or index.line_text(line).strip():
        return False
    top = line - 1
    while top >= 0 and _COMMENT_LINE.match(index.line_text(top)):
        top -= 1
    if top == line - 1 or top < 0 or index.line_text(top).strip():
        return False
    return index.offset(Position(top, 0)) > statement.code_start


def _in_line_comment(prefix: str) -> bool:
    last = prefix.rsplit("\n", 1)[-1]
    quotes = 0
    for i, ch in enumerate(last):
        if ch == "'":
            quotes += 1
        elif last.startswith("--", i) and quotes % 2 == 0:
            return True
    return False
