"""The one place that converts core types (Issue, Span, Fix, Location) to lsprotocol types.

Core positions count code points; LSP clients count UTF-16 code units unless they
negotiated UTF-32. ``Positions`` converts per line and takes the fast path on ASCII lines.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from ..sql.issues import Fix, Issue, Location, Position, Severity, Span, TextEdit
from ..sql.text import TextIndex

SOURCE = "querywright"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


class Positions:
    """Position conversions for one document text."""

    def __init__(self, index: TextIndex, utf16: bool = True) -> None:
        self.index = index
        self.utf16 = utf16

    def to_lsp(self, position: Position) -> types.Position:
        if self.utf16:
            prefix = self.index.line_text(position.line)[: position.character]
            if not prefix.isascii():
                return types.Position(position.line, len(prefix.encode("utf-16-le")) // 2)
        return types.Position(position.line, position.character)

    def to_core(self, position: types.Position) -> Position:
        line = max(position.line, 0)
        character = max(position.character, 0)
        if self.utf16:
            text = self.index.line_text(line)
            if not text.isascii():
                units = 0
                for i, ch in enumerate(text):
                    if units >= character:
                        return Position(line, i)
                    units += 2 if ord(ch) > 0xFFFF else 1
                return Position(line, len(text))
        return Position(line, character)

    def contains(self, position: types.Position) -> bool:
        """Whether ``position`` lies inside the document (end of a line included)."""
        if not 0 <= position.line < self.index.line_count or position.character < 0:
            return False
        return self.to_lsp_length(position.line) >= position.character

    def to_lsp_length(self, line: int) -> int:
        text = self.index.line_text(line)
        return len(text.encode("utf-16-le")) // 2 if self.utf16 and not text.isascii() else len(text)

    def offset(self, position: types.Position) -> int:
        return self.index.offset(self.to_core(position))

    def range(self, span: Span) -> types.Range:
        return types.Range(self.to_lsp(span.start), self.to_lsp(span.end))

    def text_edit(self, edit: TextEdit) -> types.TextEdit:
        return types.TextEdit(range=self.range(edit.span), new_text=edit.new_text)

    def diagnostic(self, issue: Issue, root: Path | None) -> types.Diagnostic:
        related = [
            types.DiagnosticRelatedInformation(location=location(r.location, root), message=r.message)
            for r in issue.related
            if root is not None
        ]
        return types.Diagnostic(
            range=self.range(issue.span),
            message=issue.message,
            severity=_SEVERITY[issue.severity],
            code=issue.code,
            source=SOURCE,
            related_information=related or None,
        )

    def workspace_edit(self, uri: str, edits: tuple[TextEdit, ...] | list[TextEdit]) -> types.WorkspaceEdit:
        return types.WorkspaceEdit(changes={uri: [self.text_edit(e) for e in edits]})

    def quick_fix(self, uri: str, fix: Fix, diagnostic: types.Diagnostic) -> types.CodeAction:
        return types.CodeAction(
            title=fix.title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            is_preferred=fix.preferred or None,
            edit=self.workspace_edit(uri, fix.edits),
        )


def path_uri(root: Path | None, path: str) -> str:
    """The absolute file URI of a workspace-relative (or absolute) path."""
    candidate = Path(path)
    if not candidate.is_absolute() and root is not None:
        candidate = root / candidate
    return candidate.resolve().as_uri()


def location(loc: Location, root: Path | None) -> types.Location:
    """A catalog location (1-based line) as an LSP location in the DDL file."""
    line = max(loc.line - 1, 0)
    start = types.Position(line, max(loc.column - 1, 0))
    return types.Location(uri=path_uri(root, loc.path), range=types.Range(start, start))


def span_location(uri: str, span: Span) -> types.Location:
    """A span in another file (no text at hand: code points are sent as they are)."""
    return types.Location(
        uri=uri,
        range=types.Range(types.Position(span.start.line, span.start.character), types.Position(span.end.line, span.end.character)),
    )
