"""Parse one statement with sqlglot and turn every failure into an ``Issue``.

Positions in sqlglot errors and identifier metadata are relative to the statement's
text; this module maps them to the document with the document's ``TextIndex``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .catalog import get_dialect
from .issues import Issue, Severity, Span
from .text import Statement, TextIndex


class _DebugOnly(logging.Filter):
    """Re-logs sqlglot's records at DEBUG under this module's logger and stops them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG:
            _log.debug("sqlglot: %s", record.getMessage())
            return False
        return True


_log = logging.getLogger(__name__)
# sqlglot warns once per statement it falls back on ("contains unsupported syntax"); the
# product reports such statements itself, so sqlglot's lines only go to the debug log.
logging.getLogger("sqlglot").addFilter(_DebugOnly())

_TOKEN_REPR = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: \d+, col: \d+, start: \d+, end: \d+, comments: \[.*?\]>")


@dataclass(frozen=True)
class Parsed:
    """A parsed statement: the sqlglot tree (or None) and the parse issue (or None)."""

    statement: Statement
    tree: exp.Expression | None
    issue: Issue | None
    rest: tuple[exp.Expression, ...] = ()  # further statements of the same text (a T-SQL batch)


def node_span(node: exp.Expression, statement: Statement, index: TextIndex) -> Span | None:
    """Document span of an identifier-bearing node (uses sqlglot's token metadata)."""
    target = node
    if not isinstance(target, exp.Identifier):
        inner = node.args.get("this")
        target = inner if isinstance(inner, exp.Identifier) else node
    start = target.meta.get("start")
    end = target.meta.get("end")
    if start is None or end is None:
        return None
    return index.span(statement.start + start, statement.start + end + 1)


# What sqlglot's parser itself sometimes raises on odd input (postgres ``SELECT 1 ?``: a
# TypeError inside its JSONB operator builder) instead of a ParseError.
_SQLGLOT_CRASHES = (TypeError, AttributeError, IndexError, KeyError, ValueError, AssertionError)


def parse_sql(sql: str, dialect: str) -> list[exp.Expression | None]:
    """sqlglot's parse of ``sql``; a crash inside sqlglot on odd user text is reported as
    the ``ParseError`` it should have been, so callers handle one kind of failure."""
    try:
        return get_dialect(dialect).parse(sql)
    except _SQLGLOT_CRASHES as exc:
        raise ParseError(f"cannot parse: {type(exc).__name__} in sqlglot: {exc}") from exc


def parse_statement(statement: Statement, dialect: str, index: TextIndex, path: str | None = None) -> Parsed:
    """Parse ``statement``; never raises for bad SQL."""
    if statement.unterminated:
        start = min(statement.code_start, statement.end) if statement.code_start < statement.end else statement.start
        return Parsed(statement, None, Issue("parse-error", Severity.ERROR, f"unterminated {statement.unterminated}", index.span(start, statement.end), path=path))
    try:
        trees = parse_sql(statement.text, dialect)
    except ParseError as exc:
        return Parsed(statement, None, _parse_error_issue(exc, statement, index, path))
    except TokenError as exc:
        span = index.span(statement.code_start, statement.end)
        return Parsed(statement, None, Issue("parse-error", Severity.ERROR, f"cannot tokenize: {exc}", span, path=path))
    except RecursionError:
        span = index.span(statement.code_start, statement.end)
        return Parsed(statement, None, Issue("too-deep", Severity.ERROR, "statement is nested too deeply to analyse", span, path=path))
    found = [t for t in trees if t is not None]
    return Parsed(statement, found[0] if found else None, None, tuple(found[1:]))


def _parse_error_issue(exc: ParseError, statement: Statement, index: TextIndex, path: str | None) -> Issue:
    errors = exc.errors or [{}]
    first = errors[0]
    description = _TOKEN_REPR.sub(lambda m: m.group(1), str(first.get("description") or exc).split("\n")[0])
    line, col = first.get("line"), first.get("col")
    highlight = str(first.get("highlight") or "")
    if isinstance(line, int) and isinstance(col, int) and line >= 1:
        local = TextIndex(statement.text)
        end_local = local.offset(local.position(0).__class__(line - 1, col))
        start_local = max(0, end_local - len(highlight)) if highlight else max(0, end_local - 1)
        span = index.span(statement.start + start_local, statement.start + max(end_local, start_local + 1))
    else:
        span = index.span(statement.code_start, statement.end)
    near = f" near {highlight!r}" if highlight else ""
    return Issue("parse-error", Severity.ERROR, f"syntax error{near}: {description}", span, path=path)
