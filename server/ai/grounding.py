"""Value grounding: which values of the data a question or comment mentions.

Questions name values, not columns: "How many films are in the Comedy category?" means
``category.name = 'Comedy'``; "PENELOPE GUINESS" is ``actor.first_name`` 'PENELOPE' and
``actor.last_name`` 'GUINESS'. Given a ``server.sql.values.ValueSample`` (the distinct
values of the workspace's seed data), this module finds such mentions:

* quoted strings of the question first (``'...'``, ``"..."``), then its n-grams of 1 to 4
  words, longest first, are looked up in the sample: exact match (score 1.0), same
  letters in another case (0.85; 0.6 when the question writes a plain lowercase word,
  which is more often English than a value), fuzzy match for capitalised or numeric
  words of 5+ characters (difflib ratio >= 0.85, score below 0.8);
* stopwords, one-letter words, numbers under 100, and values of key-like columns
  (``*_id``, ``id``) never match; long free-text values (cut at ``Limits.max_chars``)
  and values of more than 4 words are not looked up;
* a span keeps its best columns (at most ``per_span``), a column whose table or name the
  question also mentions ranks higher; overlapping spans keep the longer/better one.

API for prompt building and decoding (``server.ai.prompt``, ``server.ai.ask``):

    index = ValueIndex.build(sample)            # once per sample (cache it with the sample)
    matches = ground(question, index)           # list[ValueMatch], best first, bounded
    lines = render_matches(matches)             # ["-- 'Comedy' is a value of category.name"]
    literals = allowed_literals(matches)        # ["'Comedy'"] for the grammar's literals

``ground`` also takes a ``ValueSample`` (or None) directly. No sample, an empty one, or
a question with no value in it (or in a language the data does not use) gives no matches
and never raises.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..sql.values import TRUNCATED, ValueSample

MAX_WORDS = 4

STOPWORDS = frozenset(
    """
    a an and any are as at be been by can did do does each for from give had has have how
    i in into is it its list me my no not of on or our per show so than that the their them
    then there these they this those to was we were what when where which who whom whose why
    will with you your all also more most many much few less least some every other same
    find get tell name names number count total average sum mean top first last only over
    under above below between after before about again new one two three four five six
    seven eight nine ten
    """.split()
)

_QUOTED = re.compile(r"'([^']{1,200})'|\"([^\"]{1,200})\"|‘([^’]{1,200})’|“([^”]{1,200})”")
_WORD = re.compile(r"\w(?:[\w'&.\-]*\w)?", re.UNICODE)
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?\Z")
_KEYLIKE = re.compile(r"(?:^|_)id\Z|Id\Z|ID\Z")


@dataclass(frozen=True)
class ValueMatch:
    """A value of the data mentioned in the question."""

    table: str  # display name of the table
    column: str  # display name of the column
    value: str  # the value as stored (trailing blanks of CHAR(n) removed)
    text: str  # the words of the question that matched
    score: float  # 1.0 exact; lower for other case and fuzzy matches
    kind: str  # "exact" | "case" | "fuzzy"
    table_key: str = ""
    column_key: str = ""
    start: int = 0  # offset of ``text`` in the question
    end: int = 0

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True)
class _Entry:
    table_key: str
    column_key: str
    table: str
    column: str
    value: str


@dataclass
class ValueIndex:
    """The sample's values, ready to match: by lowercase text, and by first letter for
    fuzzy lookups."""

    by_lower: dict[str, list[_Entry]] = field(default_factory=dict)
    fuzzy: dict[str, list[str]] = field(default_factory=dict)  # first letter -> lowercase values
    sample: ValueSample | None = None  # what it was built from

    @staticmethod
    def build(sample: ValueSample | None) -> ValueIndex:
        index = ValueIndex(sample=sample)
        if sample is None:
            return index
        for (tkey, ckey), bag in sample:
            if _KEYLIKE.search(bag.column) or _KEYLIKE.search(ckey):
                continue
            for raw in bag.values:
                value = raw.strip()
                if len(value) < 2 or value.endswith(TRUNCATED) or value.count(" ") >= MAX_WORDS:
                    continue
                if _NUMBER.match(value) and abs(float(value)) < 100:
                    continue
                low = value.lower()
                if low in STOPWORDS:
                    continue
                entries = index.by_lower.get(low)
                if entries is None:
                    entries = index.by_lower[low] = []
                    if len(low) >= 5:
                        index.fuzzy.setdefault(low[0], []).append(low)
                if len(entries) < 16:
                    entries.append(_Entry(tkey, ckey, bag.table, bag.column, value))
        return index

    def __bool__(self) -> bool:
        return bool(self.by_lower)


_INDEXES: dict[int, tuple[ValueSample, ValueIndex]] = {}
_INDEXES_MAX = 4


def index_for(values: ValueIndex | ValueSample | None) -> ValueIndex | None:
    """The index of ``values``, built once per sample object (samples are replaced, not
    edited, when the workspace's data changes)."""
    if values is None or isinstance(values, ValueIndex):
        return values
    hit = _INDEXES.get(id(values))
    if hit is not None and hit[0] is values:
        return hit[1]
    index = ValueIndex.build(values)
    if len(_INDEXES) >= _INDEXES_MAX:
        _INDEXES.pop(next(iter(_INDEXES)))
    _INDEXES[id(values)] = (values, index)
    return index


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    text: str
    quoted: bool = False


def _spans(question: str) -> list[_Span]:
    """Quoted strings, then word n-grams (longest first) of the question."""
    out: list[_Span] = []
    for match in _QUOTED.finditer(question):
        group = next(i for i in range(1, 5) if match.group(i) is not None)
        text = match.group(group).strip()
        if text:
            out.append(_Span(match.start(group), match.end(group), text, True))
    words = list(_WORD.finditer(question))
    for n in range(MAX_WORDS, 0, -1):
        for i in range(len(words) - n + 1):
            chunk = words[i : i + n]
            first, last = chunk[0].group(0).lower(), chunk[-1].group(0).lower()
            if first in STOPWORDS or last in STOPWORDS:
                continue
            text = question[chunk[0].start() : chunk[-1].end()]
            if n > 1 and re.search(r"[,;:!?()]", text):
                continue
            text = " ".join(w.group(0) for w in chunk)
            if len(text) < 2:
                continue
            if _NUMBER.match(text) and abs(float(text)) < 100:
                continue
            out.append(_Span(chunk[0].start(), chunk[-1].end(), text))
    return out


def _mentioned(question_words: set[str], entry: _Entry) -> bool:
    table = entry.table.rpartition(".")[2].lower()
    column = entry.column.lower()
    return bool({table, table + "s", column, column + "s"} & question_words)


def ground(question: str, source: ValueIndex | ValueSample | None, limit: int = 8, per_span: int = 3) -> list[ValueMatch]:
    """Values of ``source`` that ``question`` mentions, best first (at most ``limit``)."""
    if source is None or not question:
        return []
    index = source if isinstance(source, ValueIndex) else ValueIndex.build(source)
    if not index:
        return []
    question = question[:2000]
    words = {w.group(0).lower() for w in _WORD.finditer(question)}
    candidates: list[tuple[float, int, _Span, _Entry, str]] = []
    for span in _spans(question):
        low = span.text.lower()
        entries = index.by_lower.get(low)
        if entries:
            for entry in entries:
                if entry.value == span.text:
                    score, kind = 1.0, "exact"
                elif span.text.islower() and not entry.value.islower() and not span.quoted:
                    if len(span.text) < 4:
                        continue
                    score, kind = 0.6, "case"
                else:
                    score, kind = 0.85, "case"
                if _mentioned(words, entry):
                    score += 0.05
                candidates.append((score, span.end - span.start, span, entry, kind))
            continue
        if len(low) < 5 or not (span.quoted or re.search(r"[A-Z0-9]", span.text)):
            continue
        pool = [v for v in index.fuzzy.get(low[0], ()) if abs(len(v) - len(low)) <= 2]
        for close in difflib.get_close_matches(low, pool, n=2, cutoff=0.85):
            ratio = difflib.SequenceMatcher(None, low, close).ratio()
            for entry in index.by_lower[close]:
                score = 0.4 * ratio + (0.05 if _mentioned(words, entry) else 0.0) + 0.35
                candidates.append((score, span.end - span.start, span, entry, "fuzzy"))
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2].start))
    taken: list[tuple[int, int]] = []
    per: dict[tuple[int, int], int] = {}
    seen: set[tuple[str, str, str]] = set()
    out: list[ValueMatch] = []
    for score, _length, span, entry, kind in candidates:
        key = (span.start, span.end)
        if key not in per and any(span.start < e and s < span.end for s, e in taken):
            continue
        if per.get(key, 0) >= per_span or (entry.table_key, entry.column_key, entry.value) in seen:
            continue
        if key not in per:
            taken.append(key)
        per[key] = per.get(key, 0) + 1
        seen.add((entry.table_key, entry.column_key, entry.value))
        out.append(ValueMatch(entry.table, entry.column, entry.value, span.text, round(min(score, 1.0), 3), kind, entry.table_key, entry.column_key, span.start, span.end))
        if len(out) >= limit:
            break
    return out


def sql_literal(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def render_matches(matches: Iterable[ValueMatch]) -> list[str]:
    """Prompt lines: ``-- 'Comedy' is a value of category.name`` (one line per value,
    naming every column it was found in)."""
    grouped: dict[str, list[str]] = {}
    for match in matches:
        columns = grouped.setdefault(match.value, [])
        if match.qualified not in columns:
            columns.append(match.qualified)
    return [f"-- {sql_literal(value).replace(chr(10), ' ')} is a value of {', '.join(columns)}" for value, columns in grouped.items()]


def allowed_literals(matches: Iterable[ValueMatch]) -> list[str]:
    """The matched values as SQL literals (distinct, in rank order), for a grammar that
    restricts the literals a model may write."""
    return list(dict.fromkeys(sql_literal(m.value) for m in matches))
