"""Where a streamed SQL continuation may stop: at the start of a clause.

A keystroke suggestion is ghost text that the user accepts with Tab, and every token it
holds costs generation time while the user waits. Models also run on past the useful part
(an invented ``WHERE id = 1000``). So a keystroke suggestion is cut at a clause boundary:
it finishes the clause at the cursor, plus the FROM clause when the SELECT being written
has none yet (:func:`clauses_to_add`: without it the statement names columns of no
table), and generation stops as soon as the next clause begins. Accepting it asks for
the next piece.

:func:`clause_starts` finds, in generated text, where top-level clause keywords begin
(``FROM``, ``WHERE``, ``GROUP BY``, ``LEFT JOIN``, ``UNION`` ...): outside quotes, comments
and parentheses opened in that text, and only once the keyword is a whole word: followed
by a blank or ``(``, or written in capitals at the very end of the text (models write
keywords in capitals and schema names as the schema spells them, so the token after a
capital ``WHERE`` need not be generated just to see that the word ended; a lower-case
``order`` at the end may still become ``orders``). :func:`cut_point` says where to stop.
Pure functions over strings, cheap enough to call after every streamed token.
"""

from __future__ import annotations

import re

_KEYWORD = re.compile(
    r"(?:(?:NATURAL\s+)?(?:LEFT|RIGHT|FULL|INNER|CROSS)(?:\s+OUTER)?\s+JOIN|JOIN"
    r"|GROUP\s+BY|ORDER\s+BY|PARTITION\s+BY|FROM|WHERE|HAVING|LIMIT|OFFSET|WINDOW|QUALIFY"
    r"|UNION|INTERSECT|EXCEPT|RETURNING|SET|VALUES)(?=[\s(]|$)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def clause_starts(text: str) -> list[int]:
    """Offsets in ``text`` where a top-level clause keyword starts (only keywords that are
    complete words: followed by a blank or ``(``, or in capitals at the end)."""
    starts: list[int] = []
    depth = 0
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in "'\"`":
            end = text.find(char, i + 1)
            if end < 0:
                break  # an open quote: nothing after it is a clause
            i = end + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            if end < 0:
                break
            i = end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                break
            i = end + 2
        elif char == "(":
            depth += 1
            i += 1
        elif char == ")":
            depth -= 1
            i += 1
        elif char.isalpha() or char == "_":
            word = _WORD.match(text, i)
            assert word is not None
            at_boundary = i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_$.")
            keyword = _KEYWORD.match(text, i) if at_boundary and depth <= 0 else None
            if keyword is not None and keyword.end() == n and not keyword.group().isupper():
                keyword = None  # "order" may still become "orders"
            if keyword is not None:
                starts.append(i)
                i = keyword.end()
            else:
                i = word.end()
        else:
            i += 1
    return starts


def clauses_to_add(prefix: str) -> int:
    """How many whole clauses a suggestion after ``prefix`` may add after finishing the
    clause at the cursor: 1 when the innermost query being written is a SELECT without a
    FROM yet, else 0."""
    segment = prefix[_innermost_open(prefix) :]
    first = _WORD.search(segment)
    if first is None or first.group().upper() not in ("SELECT", "WITH"):
        return 0
    has_from = any(segment[s : s + 4].upper() == "FROM" for s in clause_starts(segment + " "))
    return 0 if has_from else 1


def _innermost_open(text: str) -> int:
    """Offset just after the innermost ``(`` still open at the end of ``text`` (0 if none)."""
    opened: list[int] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in "'\"`":
            end = text.find(char, i + 1)
            i = n if end < 0 else end + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            if char == "(":
                opened.append(i + 1)
            elif char == ")" and opened:
                opened.pop()
            i += 1
    return opened[-1] if opened else 0


def cut_point(text: str, clauses: int) -> int | None:
    """Where to stop ``text`` (generated after the cursor) so that it holds the rest of the
    clause at the cursor and at most ``clauses`` clauses after it; None while it may still
    grow. A keyword at the very start of ``text`` opens the clause at the cursor."""
    starts = [s for s in clause_starts(text) if text[:s].strip()]
    if len(starts) <= clauses:
        return None
    return len(text[: starts[clauses]].rstrip())
