"""Findings about user SQL as plain data: ``Issue`` with a ``Span`` and optional ``Fix``es.

Positions are 0-based (line, character) like LSP; the CLI adds 1 when it prints them.
An ``Issue`` never carries an exception: callers turn it into a diagnostic, a CLI line
or a quick fix without knowing which check produced it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


@dataclass(frozen=True, order=True)
class Position:
    """0-based line and character (in code points)."""

    line: int
    character: int


@dataclass(frozen=True)
class Span:
    """A half-open range [start, end) in a document."""

    start: Position
    end: Position

    @staticmethod
    def at(line: int, character: int, end_line: int | None = None, end_character: int | None = None) -> "Span":
        return Span(
            Position(line, character),
            Position(line if end_line is None else end_line, character if end_character is None else end_character),
        )


@dataclass(frozen=True)
class Location:
    """A place in a workspace file: path relative to the workspace root (POSIX), 1-based line."""

    path: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class TextEdit:
    span: Span
    new_text: str


@dataclass(frozen=True)
class Fix:
    """A quick fix: a title and the edits that apply it."""

    title: str
    edits: tuple[TextEdit, ...]
    preferred: bool = False


@dataclass(frozen=True)
class Related:
    """Extra context for an issue, e.g. where a table was defined."""

    location: Location
    message: str


@dataclass(frozen=True)
class Issue:
    """One finding. ``code`` is stable (used by tests, suppression and docs)."""

    code: str
    severity: Severity
    message: str
    span: Span
    path: str | None = None
    fixes: tuple[Fix, ...] = ()
    related: tuple[Related, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        """The CLI contract: 1-based lines and columns."""
        return {
            "path": self.path,
            "line": self.span.start.line + 1,
            "column": self.span.start.character + 1,
            "end_line": self.span.end.line + 1,
            "end_column": self.span.end.character + 1,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
        }
