"""Validation of model output: nothing a model writes is shown until it passes here.

A candidate is the text a model proposes to insert at the cursor. ``validate_candidate``:

1. cleans it: chat/control tokens, markdown fences and trailing prose are removed, and it is
   cut at the end of the statement (a top-level ``;``, a blank line);
2. completes it into its statement (``prefix + candidate + suffix``, the statement-local
   text around the cursor) and parses it with sqlglot in the workspace dialect;
3. checks it with every rule of ``server.sql.checks`` (names, types, grouping, and the
   AI-only rules: writing to a view, a non-query where the statement will be executed).
   The rules live there; this module only completes, repairs and blames, keyed on issue
   codes. An unknown name wholly in the user's own text is the user's typo,
   not the candidate's fault, and does not count (every other finding does); a finding
   with exactly one did-you-mean in the candidate is repaired (and the result checked
   again), any other drops it;
4. a candidate cut off mid-clause (the token limit: it does not parse) is shortened to
   its longest prefix that parses and checks, when no text follows the cursor.

A keystroke suggestion may complete a statement that is still being written
(``partial=True``): a SELECT list before its FROM clause is typed. Its columns then have
no table to be checked against; they pass when one table or view of the catalog has all
of them (so a FROM clause can make the statement valid), and fail otherwise.

The answer is a :class:`Verdict`: ``ok`` with the (possibly repaired) text to show, or
``ok=False`` with the reason. Plain data in, plain data out: no model, no LSP.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from ..sql.catalog import Catalog
from ..sql.checks import check_sql
from ..sql.issues import Issue, Severity
from ..sql.text import TextIndex, split_statements

CATALOG_CODES = frozenset({"unknown-table", "unknown-column", "unknown-alias", "ambiguous-column"})
_CONTROL = re.compile(r"<\|[a-z_]+\|>|</s>|<s>")
_FENCE = re.compile(r"```[A-Za-z]*\n?(.*?)(?:```|$)", re.DOTALL)
_PROSE_LINE = re.compile(
    r"^\s*(?:This|The|Here|Note|Explanation|It|In this|These|That|Answer|Output|Result)\b[^;]*$",
    re.MULTILINE,
)
STATEMENT_KEYWORDS = frozenset({
    "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE", "UPSERT",
    "REPLACE", "CREATE", "ALTER", "DROP", "TRUNCATE", "EXPLAIN", "SHOW", "DESCRIBE", "FROM",
})  # fmt: skip
USER_TYPO_CODES = frozenset({"unknown-table", "unknown-column"})
UNFINISHED_CODES = frozenset({"ungrouped-column"})  # what a clause still to come can settle
# A candidate cut off by the token limit does not parse; shortening it is the repair. Any
# other finding (a name, a type, a write) is what the model meant, and is not cut away.
CUT_OFF_CODES = frozenset({"parse-error"})
MAX_REPAIRS = 3
MAX_SHORTENINGS = 6


@dataclass(frozen=True)
class Verdict:
    """The outcome for one candidate."""

    ok: bool
    text: str  # what to insert at the cursor (cleaned, maybe repaired); "" when dropped
    statement: str  # the completed statement that was checked
    reason: str = ""  # why it was dropped ("" when ok)
    repairs: tuple[str, ...] = ()  # human descriptions of applied repairs
    issues: tuple[Issue, ...] = ()  # remaining errors (dropped candidates)
    elapsed_ms: float = 0.0  # wall time
    raw: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    cpu_ms: float = 0.0  # CPU time of the validating thread (robust on a busy machine)

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "text": self.text,
            "reason": self.reason,
            "repairs": list(self.repairs),
            "issues": [issue.message for issue in self.issues],
        }


def clean_candidate(raw: str, prefix: str = "") -> str:
    """Strip control tokens, fences and prose; cut at the end of the statement.

    ``prefix`` is the statement text before the cursor: quotes or comments it leaves
    open are taken into account when finding the statement's end.
    """
    text = _CONTROL.split(raw, maxsplit=1)[0]
    fence = _FENCE.search(text)
    if fence is not None:
        before = text[: fence.start()]
        # A fence at the very start wraps the SQL; after some SQL it starts an epilogue.
        text = fence.group(1) if not before.strip() else before
    prose = _PROSE_LINE.search(text)
    if prose is not None and prose.start() > 0:
        text = text[: prose.start()]
    blank = re.search(r"\n[ \t]*\n", text)
    if blank is not None:
        text = text[: blank.start()]
    whole = prefix + text
    statements = split_statements(whole)
    if statements:
        first_end = None
        for statement in statements:
            if statement.terminated and statement.end >= len(prefix):
                first_end = statement.end
                break
        if first_end is not None:
            text = whole[len(prefix) : max(first_end, len(prefix))]
    return text.rstrip()


def _offsets(index: TextIndex, issue: Issue) -> tuple[int, int]:
    return index.offset(issue.span.start), index.offset(issue.span.end)


def _errors(statement: str, catalog: Catalog, partial: bool = False, read_only: bool = False) -> list[Issue]:
    """The errors of the completed statement under every rule, the AI-only ones included
    (``server.sql.checks``: one home for the rules)."""
    return [i for i in check_sql(statement, catalog, ai=True, partial=partial, read_only=read_only) if i.severity is Severity.ERROR]


def _blame(issue: Issue, index: TextIndex, start: int, end: int, catalog: Catalog, partial: bool = False) -> bool:
    """Whether the candidate (region [start, end)) is responsible for an issue.

    Only a typo of the user is not the candidate's fault: an unknown table in the user's
    text, or an unknown column there that no table of the catalog has. A column some
    table has is unknown because of the FROM clause the candidate chose, and aliases and
    ambiguity depend on it too (``SELECT u.email FROM `` + ``users`` leaves ``u``
    undefined): those always count, as do parse errors and types. In a statement still
    being written (``partial``) an ungrouped column is nobody's fault yet: its GROUP BY
    may be typed next."""
    if issue.code in UNFINISHED_CODES and partial:
        return False
    if issue.code not in USER_TYPO_CODES:
        return True
    lo, hi = _offsets(index, issue)
    if hi > start and lo < end or (lo == hi and start <= lo <= end):
        return True
    if issue.code == "unknown-column":
        key = catalog.key(index.text[lo:hi].strip('"`'))
        return any(key in table.columns for table in catalog)
    return False


def _check(
    prefix: str, candidate: str, suffix: str, catalog: Catalog, partial: bool = False, read_only: bool = False
) -> tuple[str, list[Issue], list[str]]:
    """Check and repair; returns (candidate, blocking issues, repairs)."""
    repairs: list[str] = []
    for _ in range(MAX_REPAIRS + 1):
        statement = prefix + candidate + suffix
        index = TextIndex(statement)
        start, end = len(prefix), len(prefix) + len(candidate)
        blocking = [i for i in _errors(statement, catalog, partial, read_only) if _blame(i, index, start, end, catalog, partial)]
        if not blocking:
            return candidate, [], repairs
        fixable = [i for i in blocking if i.code in CATALOG_CODES and len(i.fixes) == 1]
        if len(fixable) != len(blocking) or len(repairs) >= MAX_REPAIRS:
            return candidate, blocking, repairs
        issue = fixable[0]
        edit = issue.fixes[0].edits[0]
        lo, hi = index.offset(edit.span.start), index.offset(edit.span.end)
        if lo < start or hi > end:
            return candidate, blocking, repairs
        old = statement[lo:hi]
        candidate = candidate[: lo - start] + edit.new_text + candidate[hi - start :]
        repairs.append(f"{old} -> {edit.new_text}")
    return candidate, blocking, repairs


def _shorter(candidate: str) -> list[str]:
    """Ever shorter cuts of a candidate at word/comma boundaries (longest first)."""
    cuts: list[str] = []
    text = candidate.rstrip()
    for _ in range(MAX_SHORTENINGS):
        match = re.search(r"[\s,(]+\S*$", text)
        if match is None or match.start() == 0:
            break
        text = text[: match.start()].rstrip().rstrip(",").rstrip()
        text = re.sub(r"\b(AND|OR|ON|WHERE|BY|JOIN|AS|NOT|IN|LIKE|SELECT|FROM|HAVING|GROUP|ORDER|LEFT|RIGHT|INNER|OUTER|DISTINCT|LIMIT|=|<|>|\+|-|\*|/)$", "", text, flags=re.IGNORECASE).rstrip()
        if not text:
            break
        cuts.append(text)
    return cuts


def validate_candidate(
    raw: str, catalog: Catalog, prefix: str = "", suffix: str = "", *, partial: bool = False, read_only: bool = False
) -> Verdict:
    """Validate one model candidate for the cursor between ``prefix`` and ``suffix`` (the
    current statement's text on each side). ``partial``: the statement is still being
    written (a keystroke suggestion), see the module docstring; ``read_only``: the statement
    will be executed, so only a query passes (``not-read-only``)."""
    started = time.perf_counter()
    cpu_started = time.thread_time()
    candidate = clean_candidate(raw, prefix)

    def done(ok: bool, text: str, reason: str = "", issues: list[Issue] = (), repairs: list[str] = ()) -> Verdict:  # type: ignore[assignment]
        return Verdict(
            ok, text if ok else "", prefix + text + suffix, reason, tuple(repairs), tuple(issues),
            (time.perf_counter() - started) * 1000.0, raw, (),
            (time.thread_time() - cpu_started) * 1000.0,
        )  # fmt: skip

    if not candidate.strip():
        return done(False, "", "empty suggestion")
    statements = [s for s in split_statements(prefix + candidate + suffix, catalog.dialect) if not s.is_blank]
    if len(statements) != 1:
        return done(False, candidate, "not exactly one statement")
    if statements[0].first_keyword() not in STATEMENT_KEYWORDS:
        return done(False, candidate, "not an SQL statement")
    fixed, blocking, repairs = _check(prefix, candidate, suffix, catalog, partial, read_only)
    if not blocking:
        return done(True, fixed, repairs=repairs)
    if not suffix.strip() and blocking[0].code in CUT_OFF_CODES:
        for cut in _shorter(candidate):
            fixed_cut, cut_blocking, cut_repairs = _check(prefix, cut, suffix, catalog, partial, read_only)
            if not cut_blocking:
                return done(True, fixed_cut, repairs=[*cut_repairs, "shortened to a complete clause"])
    return done(False, candidate, blocking[0].message, blocking, repairs)


def validate_statement(sql: str, catalog: Catalog, *, read_only: bool = True) -> Verdict:
    """Validate a whole statement (``querywright ask``). ``ask`` executes its candidates,
    so by default only a read-only query passes; ``read_only=False`` admits writes."""
    return validate_candidate(sql, catalog, read_only=read_only)
