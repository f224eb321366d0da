"""Where a streamed SQL continuation may stop: at the start of a clause.

A keystroke suggestion is ghost text that the user accepts with Tab, and every token it
holds costs generation time while the user waits. Models also run on past the useful part
(an invented ``WHERE id = 1000``, a select list that repeats itself). So a keystroke
suggestion is cut at a boundary, and generation stops as soon as it is reached
(:func:`stop_for` decides from the text before the cursor, :func:`cut_point` finds it):

- by default it finishes the clause at the cursor (``... FROM `` -> ``users``);
- a SELECT with an empty select list gets its list and its FROM clause
  (``SELECT `` -> ``* FROM users``);
- a SELECT whose list has items but no FROM yet gets one more list item or the FROM
  clause, whichever the model writes (``SELECT email `` -> ``, name`` or ``FROM users``).

Accepting a suggestion asks for the next piece.

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
from collections.abc import Iterator
from dataclasses import dataclass

_KEYWORD = re.compile(
    r"(?:(?:NATURAL\s+)?(?:LEFT|RIGHT|FULL|INNER|CROSS)(?:\s+OUTER)?\s+JOIN|JOIN"
    r"|GROUP\s+BY|ORDER\s+BY|PARTITION\s+BY|FROM|WHERE|HAVING|LIMIT|OFFSET|WINDOW|QUALIFY"
    r"|UNION|INTERSECT|EXCEPT|RETURNING|SET|VALUES)(?=[\s(]|$)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def _code(text: str) -> Iterator[tuple[int, int]]:
    """(offset, parenthesis depth) of every character of ``text`` outside quotes and
    comments, the depth counting parentheses opened in ``text`` (below 0 after closing one
    opened before it). Stops at a quote or comment that does not end: nothing after it is
    code yet."""
    depth = 0
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in "'\"`" or text.startswith(("--", "/*"), i):
            closer = {"-": "\n", "/": "*/"}.get(char, char)
            end = text.find(closer, i + (1 if closer == char else 2))
            if end < 0:
                return
            i = end + len(closer)
            continue
        depth += (char == "(") - (char == ")")
        yield i, depth
        i += 1


def clause_starts(text: str) -> list[int]:
    """Offsets in ``text`` where a top-level clause keyword starts (only keywords that are
    complete words: followed by a blank or ``(``, or in capitals at the end)."""
    starts: list[int] = []
    resume = 0  # past the word last looked at
    for i, depth in _code(text):
        char = text[i]
        if i < resume or not (char.isalpha() or char == "_"):
            continue
        word = _WORD.match(text, i)
        if word is None:  # a letter outside ASCII: not a keyword's start
            continue
        at_boundary = i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_$.")
        keyword = _KEYWORD.match(text, i) if at_boundary and depth <= 0 else None
        if keyword is not None and keyword.end() == len(text) and not keyword.group().isupper():
            keyword = None  # "order" may still become "orders"
        if keyword is not None:
            starts.append(i)
        resume = (keyword or word).end()
    return starts


@dataclass(frozen=True)
class Stop:
    """Where a suggestion ends: after the clause at the cursor and ``clauses`` more, or
    (``one_item``) after one more item of a select list, whichever comes first."""

    clauses: int = 0
    one_item: bool = False


def stop_for(prefix: str) -> Stop:
    """The stop rule for a suggestion after ``prefix`` (see the module docstring), from
    the innermost query being written there."""
    segment = prefix[_innermost_open(prefix) :]
    first = _WORD.search(segment)
    if first is None or first.group().upper() not in ("SELECT", "WITH"):
        return Stop()
    starts = clause_starts(segment + " ")
    if any(segment[s : s + 4].upper() == "FROM" for s in starts):
        return Stop()
    selects = list(re.finditer(r"\bSELECT\s+(?:DISTINCT\s+)?", segment, re.IGNORECASE))
    listed = segment[selects[-1].end() :] if selects else ""
    if not listed.strip() or _WORD.fullmatch(listed):
        return Stop(clauses=1)  # nothing listed yet, or its first word being typed
    return Stop(one_item=True)


def _innermost_open(text: str) -> int:
    """Offset just after the innermost ``(`` still open at the end of ``text`` (0 if none)."""
    opened: list[int] = []
    for i, _depth in _code(text):
        if text[i] == "(":
            opened.append(i + 1)
        elif text[i] == ")" and opened:
            opened.pop()
    return opened[-1] if opened else 0


def cut_point(text: str, stop: Stop) -> int | None:
    """Where to stop ``text`` (generated after the cursor) by ``stop``; None while it may
    still grow. A keyword at the very start of ``text`` opens the clause at the cursor,
    and a comma there starts the one item."""
    cuts: list[int] = []
    starts = [s for s in clause_starts(text) if text[:s].strip()]
    if len(starts) > stop.clauses:
        cuts.append(starts[stop.clauses])
    if stop.one_item:
        cuts += [c for c in _top_level_commas(text) if text[:c].strip(" \t\n,")]
    if not cuts:
        return None
    return len(text[: min(cuts)].rstrip())


def _top_level_commas(text: str) -> list[int]:
    """Offsets of commas outside quotes, comments and parentheses opened in ``text``."""
    return [i for i, depth in _code(text) if text[i] == "," and depth <= 0]
