"""Where a streamed SQL continuation may stop: at the start of a clause.

A keystroke suggestion is ghost text that the user accepts with Tab, and every token it
holds costs generation time while the user waits. Models also run on past the useful part
(an invented ``WHERE id = 1000``). So a keystroke suggestion is cut at a clause boundary:
it finishes the clause at the cursor plus a set number of whole clauses after it, and
generation stops as soon as the next clause begins. Accepting it asks for the next piece.

:func:`clause_starts` finds, in generated text, where top-level clause keywords begin
(``FROM``, ``WHERE``, ``GROUP BY``, ``LEFT JOIN``, ``UNION`` ...): outside quotes, comments
and parentheses opened in that text, and only once the keyword is followed by a blank or
``(`` (so ``ORDERS`` is never taken for ``ORDER``). :func:`cut_point` says where to stop.
Pure functions over strings, cheap enough to call after every streamed token.
"""

from __future__ import annotations

import re

_KEYWORD = re.compile(
    r"(?:(?:NATURAL\s+)?(?:LEFT|RIGHT|FULL|INNER|CROSS)(?:\s+OUTER)?\s+JOIN|JOIN"
    r"|GROUP\s+BY|ORDER\s+BY|PARTITION\s+BY|FROM|WHERE|HAVING|LIMIT|OFFSET|WINDOW|QUALIFY"
    r"|UNION|INTERSECT|EXCEPT|RETURNING|SET|VALUES)(?=[\s(])",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def clause_starts(text: str) -> list[int]:
    """Offsets in ``text`` where a top-level clause keyword starts (only keywords that are
    complete words: followed by a blank or ``(``)."""
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
            if keyword is not None:
                starts.append(i)
                i = keyword.end()
            else:
                i = word.end()
        else:
            i += 1
    return starts


def cut_point(text: str, clauses: int) -> int | None:
    """Where to stop ``text`` (generated after the cursor) so that it holds the rest of the
    clause at the cursor and at most ``clauses`` clauses after it; None while it may still
    grow. A keyword at the very start of ``text`` opens the clause at the cursor."""
    starts = [s for s in clause_starts(text) if text[:s].strip()]
    if len(starts) <= clauses:
        return None
    return len(text[: starts[clauses]].rstrip())
