"""What the words of a question say the answer's SQL must look like.

"How many films ..." wants a ``COUNT``; "the total amount" a ``SUM``; "for each rating" a
``GROUP BY``; "the most films" an ordering by a count; a value the question mentions
(``Comedy``, found by ``grounding``) a filter on that value, so a table holding it. These
are properties of English questions, not of any one schema. ``expectations`` reads them
off a question; ``fit`` scores a parsed candidate against them (higher is better), and
``ask`` uses the score to decide whether the greedy candidate can stand and to rank the
candidates it samples otherwise. A question that asks nothing recognisable expects
nothing, and every candidate fits it equally.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from ..sql.checks import excluded_join, from_sources
from .grounding import ValueMatch

_COUNT = re.compile(r"\b(how many|number of|count)\b", re.IGNORECASE)
_ASKS_COUNT = re.compile(r"^\s*(?:(?:for|in|of) (?:each|every) [\w ]+,\s*)?(?:(?:show|list|give|find|return|display|compute|tell)(?: me| us)? )?"
                         r"(how many|what (?:is|are) the (?:total )?number of|(?:the )?(?:total )?number of|the count of|count)\b", re.IGNORECASE)
# "more than 20 cities", "at least 3 films": a condition on how many rows of something there are
_COUNT_THRESHOLD = re.compile(r"\b(more than|over|greater than|at least|fewer than|less than|under|at most|exactly|only)\s+(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty)\s+([a-z][a-z_]*)", re.IGNORECASE)
_THRESHOLD_OPS = {"more than": ">", "over": ">", "greater than": ">", "at least": ">=", "fewer than": "<", "less than": "<",
                  "under": "<", "at most": "<=", "exactly": "=", "only": "="}
# "how many customers", "the number of rentals": what is counted
_COUNTED_NOUN = re.compile(r"\b(?:how many|number of|count the|count of)\s+(?:different |distinct |unique )?([a-z][a-z_]*)", re.IGNORECASE)
# how a LIKE pattern is anchored: "starting with A" -> 'A%', "ending with" -> '%A', "containing" -> '%A%'
_STARTS_WITH = re.compile(r"\b(start(?:s|ing)? with|begin(?:s|ning)? with|first letter)\b", re.IGNORECASE)
_ENDS_WITH = re.compile(r"\b(end(?:s|ing)? with|last letter)\b", re.IGNORECASE)
_CONTAINS = re.compile(r"\b(contain(?:s|ing)?|includ(?:es|ing)|mention(?:s|ing)?|with the (?:word|substring|letters?))\b", re.IGNORECASE)
# the question asks for keys ("the ids", "the customer id")
_WANTS_KEY = re.compile(r"\b(ids?|identifiers?|keys?|codes?)\b", re.IGNORECASE)
# "the most films", "the fewest rentals": a ranking by how many rows of something there are
_MOST_NOUN = re.compile(r"\b(?:the )?(most|fewest|least|largest number of|highest number of|smallest number of|lowest number of)\s+([a-z][a-z_]*)", re.IGNORECASE)
_SUM = re.compile(r"\b(total|sum)\b", re.IGNORECASE)
_AVG = re.compile(r"\b(average|mean|avg)\b", re.IGNORECASE)
_MAX = re.compile(r"\b(highest|maximum|max|largest|biggest|longest|latest|most expensive|oldest|greatest)\b", re.IGNORECASE)
_MIN = re.compile(r"\b(lowest|minimum|min|smallest|shortest|earliest|cheapest|least expensive|youngest)\b", re.IGNORECASE)
_GROUP = re.compile(r"\b(for each|for every|in each|per|by each|of each|each \w+)\b", re.IGNORECASE)
_MOST = re.compile(r"\b(the most|the fewest|the least|the largest number|the highest number)\b", re.IGNORECASE)
_DISTINCT = re.compile(r"\b(different|distinct|unique)\b", re.IGNORECASE)
_ORDER = re.compile(r"\b(order|sorted|alphabetical|ascending|descending|ranked)\b", re.IGNORECASE)
_DESCENDING = re.compile(r"\b(descending|reverse|from (?:the )?(?:highest|largest|most|biggest|latest|newest)|high to low|largest first|highest first|decreasing)\b", re.IGNORECASE)
_ASCENDING = re.compile(r"\b(ascending|alphabetical(?:ly)?|from (?:the )?(?:lowest|smallest|least|earliest)|low to high|smallest first|lowest first|increasing)\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(not|never|no|without)\b", re.IGNORECASE)
# words that ask for a condition on a group (HAVING): "more than 20 cities", "above 120"
_CONDITION = re.compile(r"\b(more|less|fewer|greater|smaller|larger|higher|lower|at least|at most|above|below|over|under|exceed\w*|between|exactly|only|equal\w*)\b|\d", re.IGNORECASE)

AGGREGATES = {"count": exp.Count, "sum": exp.Sum, "avg": exp.Avg, "max": exp.Max, "min": exp.Min}


@dataclass(frozen=True)
class Expectations:
    """What the question asks for (empty: nothing recognisable)."""

    aggregates: frozenset[str] = frozenset()  # any of these aggregate functions
    group: bool = False  # a GROUP BY
    ranking: bool = False  # ORDER BY ... LIMIT (the most / the fewest)
    distinct: bool = False
    order: bool = False
    negation: bool = False
    counted: bool = False  # "how many ..." / "the number of ...": the count is what is asked
    direction: str = ""  # "asc" / "desc" when the question says which way an ordering goes
    ranked_count: str = ""  # "the most films" where films are rows of a table: "desc" ("the fewest": "asc")
    ranked_noun: str = ""  # ... and that table's noun, singular ("film")
    count_threshold: tuple[str, int, str] | None = None  # "more than 20 cities": (">", 20, "city")
    counted_noun: str = ""  # "how many customers ...": "customer" (rows of a table)
    wants_key: bool = False  # the question asks for ids or codes
    like: str = ""  # "prefix" ("starting with"), "suffix" ("ending with"), "infix" ("containing")
    entity: str = ""  # "Which shop has ...": the noun (singular) of the table whose rows are the answer
    named_tables: tuple[str, ...] = ()  # tables the question names by every word of their name ("poker players")
    values: tuple[ValueMatch, ...] = ()  # values the question mentions
    text: str = ""  # the question, lower case

    @property
    def empty(self) -> bool:
        return not (self.aggregates or self.group or self.ranking or self.distinct or self.order or self.values or self.like)


def ranked_by_count(question: str, tables: Sequence[str]) -> tuple[str, str]:
    """("desc", noun) when ``question`` ranks by how many rows of one of ``tables`` there are
    ("the most films": ``film``; "the largest number of rentals"), ("asc", noun) for "the
    fewest / the least", else ("", ""). ``noun`` is singular, lower case."""
    names = _table_nouns(tables)
    for match in _MOST_NOUN.finditer(question or ""):
        noun = singular(match.group(2).lower())
        if noun in names:
            least = match.group(1).lower() in ("fewest", "least", "smallest number of", "lowest number of")
            return ("asc" if least else "desc"), noun
    return "", ""


def table_nouns(name: str) -> tuple[str, str]:
    """The nouns that name table ``name``: the whole name and its last ``_`` part, lower case
    and singular (``film_category`` -> ``film_category``, ``category``)."""
    low = name.lower()
    return singular(low), singular(low.rpartition("_")[2])


def _table_nouns(tables: Sequence[str]) -> set[str]:
    return {noun for name in tables for noun in table_nouns(name)}


_WHICH = re.compile(r"^\s*(?:which|what)\s+([a-z][a-z_]*)\b", re.IGNORECASE)


def asked_entity(question: str, tables: Sequence[str]) -> str:
    """The noun of "Which shop has the most employees?" (``shop``) when it names a table, else ""."""
    match = _WHICH.search(question or "")
    if match is None:
        return ""
    noun = singular(match.group(1).lower())
    return noun if noun in _table_nouns(tables) else ""


_NAME_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_NOT_NAMING = frozenset({"has", "ref", "tbl", "t"})
# words that ask rather than name ("Show the ...": not the ``show`` table)
_ASKING_VERBS = frozenset({"show", "list", "find", "give", "return", "tell", "display", "get"})


def name_parts(name: str) -> list[str]:
    """The words a table's name says, singular (``Has_Pet`` -> ``pet``, ``PokerPlayer`` ->
    ``poker``, ``player``), without the ones that name nothing (``has``, ``ref``)."""
    parts = [singular(p.lower()) for p in _NAME_PART.findall(name.replace("_", " "))]
    return [p for p in parts if p not in _NOT_NAMING]


def tables_named(question: str, tables: Sequence[str], columns: Sequence[str] = ()) -> tuple[str, ...]:
    """The names among ``tables`` whose every word the question says (``poker_player`` by
    "poker players", ``has_pet`` by "pets"); words like ``has``/``ref`` need not be said. A
    table whose words the question says as part of a column's name (``rental`` in "the
    rental rate", ``rental_rate`` among ``columns``) is not named by them."""
    words = {singular(w) for w in _WORD.findall((question or "").lower())} - _ASKING_VERBS
    spelled = question_columns(question, [c for c in columns if "_" in c])
    in_columns = {singular(p) for c in spelled for p in _WORD.findall(c.lower())}
    out: list[str] = []
    for name in tables:
        parts = name_parts(name)
        if parts and all(p in words for p in parts) and not all(p in in_columns for p in parts) and name not in out:
            out.append(name)
    return tuple(out)


def count_threshold(question: str, tables: Sequence[str]) -> tuple[str, int, str] | None:
    """(operator, n, noun) when ``question`` puts a condition on how many rows of one of
    ``tables`` there are ("more than 20 cities": ``(">", 20, "city")``), else None."""
    nouns = _table_nouns(tables)
    for match in _COUNT_THRESHOLD.finditer(question or ""):
        noun = singular(match.group(3).lower())
        if noun in nouns:
            number = match.group(2).lower()
            return _THRESHOLD_OPS[match.group(1).lower()], int(_NUMBER_WORDS.get(number, number)), noun
    return None


def counted_noun(question: str, tables: Sequence[str]) -> str:
    """The table noun a "how many ..." question counts ("how many customers": ``customer``), or ""."""
    nouns = _table_nouns(tables)
    for match in _COUNTED_NOUN.finditer(question or ""):
        noun = singular(match.group(1).lower())
        if noun in nouns:
            return noun
    return ""


def expectations(question: str, matches: Sequence[ValueMatch] = (), tables: Sequence[str] = (),
                 columns: Sequence[str] = ()) -> Expectations:
    """The expectations of ``question`` (its value matches from ``grounding``; ``tables``: the
    catalog's table names, for "the most <rows of a table>" and the tables it names;
    ``columns``: the catalog's column names)."""
    text = " ".join((question or "").split())
    aggregates: set[str] = set()
    ranking = bool(_MOST.search(text))
    ranked = ranked_by_count(text, tables) if ranking else ("", "")
    if _COUNT.search(text):
        aggregates.add("count")
    if _SUM.search(text):
        aggregates.add("sum")
    if _AVG.search(text):
        aggregates.add("avg")
    if not ranking and _MAX.search(text):
        aggregates.add("max")
    if not ranking and _MIN.search(text):
        aggregates.add("min")
    return Expectations(
        aggregates=frozenset(aggregates),
        group=bool(_GROUP.search(text)),
        ranking=ranking,
        distinct=bool(_DISTINCT.search(text)),
        order=bool(_ORDER.search(text)),
        negation=bool(_NEGATION.search(text)),
        counted=bool(_ASKS_COUNT.search(text)) and not ranking,
        ranked_count=ranked[0],
        ranked_noun=ranked[1],
        direction=_direction(text),
        count_threshold=count_threshold(text, tables),
        counted_noun=counted_noun(text, tables) if "count" in aggregates else "",
        wants_key=bool(_WANTS_KEY.search(text)),
        named_tables=tables_named(text, tables, columns),
        entity=asked_entity(text, tables),
        like="prefix" if _STARTS_WITH.search(text) else "suffix" if _ENDS_WITH.search(text) else "infix" if _CONTAINS.search(text) else "",
        values=tuple(matches),
        text=text.lower(),
    )


def _direction(text: str) -> str:
    """"desc" for "in descending order" / "reverse alphabetical" / "from highest to lowest",
    "asc" for "ascending" / "alphabetical" / "from lowest to highest", else ""."""
    if _DESCENDING.search(text):
        return "desc"
    return "asc" if _ASCENDING.search(text) else ""


_KEY_NAME = re.compile(r"(?:^|_)[iI][dD]$|[a-z]Id$|[a-z]ID$")

_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                 "eight": "8", "nine": "9", "ten": "10", "twenty": "20", "hundred": "100"}


@dataclass(frozen=True)
class Fit:
    """``score``: met expectations count up, missed ones down; ``missed``: how many
    expectations the candidate does not meet (0: nothing speaks against it)."""

    score: int = 0
    missed: int = 0


def _filter_literals(tree: exp.Expression) -> list[exp.Literal]:
    """Literals compared against in WHERE / HAVING (not LIMIT counts or select items)."""
    out: list[exp.Literal] = []
    for clause in (*tree.find_all(exp.Where), *tree.find_all(exp.Having)):
        out.extend(clause.find_all(exp.Literal))
    return out


def _in_question(literal: exp.Literal, wanted: Expectations) -> bool:
    """A filter literal the question (or a value it mentions) accounts for."""
    text = str(literal.this).lower()
    if literal.is_string:
        bare = text.strip("%_ ")
        if not bare or bare in wanted.text:
            return True
        return any(bare in m.value.lower() or m.value.lower() in bare for m in wanted.values)
    digits = set(re.findall(r"\d+(?:\.\d+)?", wanted.text))
    digits |= {n for w, n in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", wanted.text)}
    if text in digits:
        return True
    if text in {"0", "1"} and not _against_key(literal) and literal.find_ancestor(exp.Having) is None:
        return True  # a flag (``active = 1``), not an invented key
    try:
        return any(float(text) == float(d) * k for d in digits for k in (1, 60))  # "three hours" -> 180
    except ValueError:
        return False


def _against_key(literal: exp.Literal) -> bool:
    """Whether the literal is compared with a key column (``film_id = 1``)."""
    parent = literal.parent
    if not isinstance(parent, exp.Binary):
        return False
    other = parent.left if parent.right is literal else parent.right
    name = other.name.lower() if isinstance(other, exp.Column) else ""
    return name == "id" or name.endswith("_id")


def _projection(tree: exp.Expression) -> list[exp.Expression]:
    """The select items of the outermost query (of each branch of a set operation)."""
    if isinstance(tree, exp.Select):
        return list(tree.expressions)
    return [item for select in tree.find_all(exp.Select) if select.parent_select is None for item in select.expressions]


def fit(tree: exp.Expression | None, wanted: Expectations) -> Fit:
    """How well a parsed candidate answers what ``wanted`` describes."""
    if tree is None:
        return Fit(0, 0)
    score = missed = 0

    def met(ok: bool, gain: int = 1, loss: int = 1) -> None:
        nonlocal score, missed
        if ok:
            score += gain
        else:
            score -= loss
            missed += 1

    found = {name for name, kind in AGGREGATES.items() if tree.find(kind) is not None}
    has_group = tree.find(exp.Group) is not None
    has_order = tree.find(exp.Order) is not None
    has_limit = tree.find(exp.Limit) is not None
    if wanted.aggregates:
        shown = {name for name, kind in AGGREGATES.items() for item in _projection(tree) if item.find(kind) is not None}
        # "how many orders has each user placed": the count is the answer, so it is selected;
        # an aggregate only in HAVING/ORDER BY ("average length above 120") answers other words
        asked = shown if wanted.counted else found | (_superlative_order(tree) if _QUALIFYING.search(wanted.text) else set())
        met(bool(asked & wanted.aggregates), 2, 2)
        score += max(0, len(shown & wanted.aggregates) - 1)  # "the maximum and minimum": both shown
    elif found and not (wanted.group or wanted.ranking):
        met(False)  # an aggregate nobody asked for ("MAX(film_id)" for a list)
    if tree.find(exp.Having) is not None and not _CONDITION.search(wanted.text):
        met(False)  # a condition on the groups that nobody asked for
    if wanted.group:
        nouns = [singular(n) for n in group_nouns(wanted.text)]
        met(has_group and (not nouns or groups_by_noun(tree, nouns)))
    if wanted.ranking:
        met(has_order and has_limit, 2, 1)
    if wanted.ranked_count:
        order = tree.args.get("order")
        met(order is not None and order.find(exp.Count) is not None)
    if wanted.counted_noun:
        read = _table_nouns([t.name for t in tree.find_all(exp.Table)])
        met(wanted.counted_noun in read)  # "how many customers": customer rows are counted
    if wanted.like:
        for like in tree.find_all(exp.Like):
            pattern = like.expression
            if isinstance(pattern, exp.Literal) and pattern.is_string and str(pattern.this).strip("%"):
                met(str(pattern.this) == _pattern(str(pattern.this).strip("%"), wanted.like))
    if wanted.count_threshold is not None:
        having = tree.find(exp.Having)
        met(having is not None and having.find(exp.Count) is not None)
    if not wanted.wants_key and not wanted.group and not has_group:
        for item in _projection(tree):
            inner = item.unalias()
            if isinstance(inner, exp.Column) and _KEY_NAME.search(inner.name):
                met(False)  # a key nobody asked for ("language_id" for "which language")
                break
    if wanted.negation and excluded_join(tree) is not None:
        met(False)  # "no car maker" as rows joined to car makers, then excluded by them
    if wanted.order:
        met(has_order)
    if wanted.direction and has_order and not wanted.ranking:
        keys = [o for o in tree.args["order"].expressions if isinstance(o, exp.Ordered)] if tree.args.get("order") else []
        if keys:
            met(bool(keys[0].args.get("desc")) == (wanted.direction == "desc"))
    if wanted.distinct and tree.find(exp.Distinct) is not None:
        score += 1
    if wanted.values:
        literals = {str(lit.this).lower() for lit in tree.find_all(exp.Literal) if lit.is_string}
        tables = {t.name.lower() for t in tree.find_all(exp.Table)}
        by_text: dict[str, list[ValueMatch]] = {}
        for match in wanted.values:
            by_text.setdefault(match.text.lower(), []).append(match)
        exact = {str(lit.this) for lit in tree.find_all(exp.Literal) if lit.is_string}
        for options in by_text.values():
            used = [m for m in options if any(m.value.lower() in lit for lit in literals)]
            if any(m.value in exact for m in used):
                score += 1  # spelt as the data spells it: a string comparison is exact
            if any(m.table.rpartition(".")[2].lower() in tables for m in used):
                score += 2
            else:
                met(bool(used))
    for literal in _filter_literals(tree):
        if not _in_question(literal, wanted):
            met(False)  # a literal the question never mentions ("film_id = 1000")
    score += named_columns(tree, wanted)  # the columns the question spells out, used
    if wanted.entity:
        owners = _projection_tables(tree)
        if owners:
            met(wanted.entity in _table_nouns(list(owners)))
    if wanted.named_tables:
        read = {t.name.lower() for t in tree.find_all(exp.Table)}
        score += sum(1 for name in wanted.named_tables if name.lower() in read)  # "poker players": poker_player read
    return Fit(score, missed)


# a superlative that picks a row ("the name of the film with the highest rate", "of the oldest
# player"), not one that asks for the value ("what is the highest rate")
_QUALIFYING = re.compile(r"\b(?:with|has|have|had|having|whose|that|who|which|of|in)\s+the\s+(?:\w+\s+)?"
                         r"(?:highest|largest|biggest|longest|latest|greatest|oldest|lowest|smallest|shortest|earliest|youngest|cheapest)\b")


# the value itself is asked: "What is the highest replacement cost ...", "Find the lowest price"
_VALUE_ASKED = re.compile(r"^\s*(?:what (?:is|are|was|were)|find|show|give|return|tell)(?: me| us)? the\s+(?:maximum|minimum|"
                          r"highest|largest|biggest|longest|latest|greatest|oldest|lowest|smallest|shortest|earliest|youngest|cheapest)\b")


def _superlative_order(tree: exp.Expression) -> set[str]:
    """``{"max"}`` for ``ORDER BY x DESC LIMIT n`` of the outermost query ("the name of the
    oldest player": the row with the highest value, not the value), ``{"min"}`` for ascending."""
    order, limit = tree.args.get("order"), tree.args.get("limit")
    if not isinstance(tree, exp.Select) or order is None or limit is None or not order.expressions:
        return set()
    first = order.expressions[0]
    if not isinstance(first, exp.Ordered) or first.find(exp.AggFunc) is not None:
        return set()
    return {"max"} if first.args.get("desc") else {"min"}


def _projection_tables(tree: exp.Expression) -> set[str]:
    """Lower-case names of the tables the outermost select list's columns come from (by their
    qualifier, or the query's only table); empty when that cannot be told."""
    if not isinstance(tree, exp.Select):
        return set()
    tables = {t.alias_or_name.lower(): t.name.lower() for t in tree.find_all(exp.Table) if t.find_ancestor(exp.Select) is tree}
    single = next(iter(tables.values())) if len(set(tables.values())) == 1 else None
    out: set[str] = set()
    for item in tree.expressions:
        for col in item.find_all(exp.Column):
            owner = tables.get(col.table.lower()) if col.table else single
            if owner is None:
                return set()
            out.add(owner)
    return out


def _same_kind_aggregates(tree: exp.Expression) -> list[exp.Expression]:
    return [node for node in tree.find_all(*AGGREGATES.values())]


def _wanted_aggregate(name: str, arg: exp.Expression | None, distinct: bool) -> exp.Expression:
    if name == "count":
        if distinct and arg is not None and not isinstance(arg, exp.Star):
            inner = arg.expressions[0] if isinstance(arg, exp.Distinct) and arg.expressions else arg
            return exp.Count(this=exp.Distinct(expressions=[inner.copy()]))
        return exp.Count(this=exp.Star())
    kind = AGGREGATES[name]
    inner = arg.expressions[0] if isinstance(arg, exp.Distinct) and arg.expressions else arg
    return kind(this=(inner or exp.Star()).copy())


def _drop_invented(tree: exp.Expression, wanted: Expectations) -> exp.Expression | None:
    """``tree`` without the WHERE conjuncts that compare with a literal the question
    never mentions; None when there is none."""
    where = tree.args.get("where")
    if not isinstance(where, exp.Where):
        return None
    conjuncts = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
    kept = [c for c in conjuncts if all(_in_question(lit, wanted) for lit in c.find_all(exp.Literal))]
    if len(kept) == len(conjuncts):
        return None
    out = tree.copy()
    if kept:
        out.set("where", exp.Where(this=exp.and_(*[c.copy() for c in kept])))
    else:
        out.set("where", None)
    return out


def _count_selected(tree: exp.Select, wanted: Expectations) -> exp.Expression | None:
    """A grouped candidate for a "how many ... each" question that counts only in HAVING
    (``GROUP BY user_id HAVING COUNT(*) = 1``), with the count selected and the HAVING on a
    literal the question never mentions dropped; None when it does not apply."""
    if not wanted.counted or "count" not in wanted.aggregates or tree.args.get("group") is None:
        return None
    if any(item.find(exp.Count) is not None for item in tree.expressions):
        return None
    out = tree.copy()
    having = out.args.get("having")
    if isinstance(having, exp.Having) and not all(_in_question(lit, wanted) for lit in having.find_all(exp.Literal)):
        out.set("having", None)
    kept = [item for item in out.expressions if not isinstance(item, exp.Star)]
    out.set("expressions", [*kept, exp.Count(this=exp.Star())])
    return out


_WORDS_OF = {"max": _MAX, "min": _MIN, "avg": _AVG, "sum": _SUM}


def _pattern(core: str, like: str) -> str:
    return {"prefix": f"{core}%", "suffix": f"%{core}", "infix": f"%{core}%"}[like]


def _anchored(tree: exp.Select, wanted: Expectations) -> exp.Expression | None:
    """"A title starting with the letter A" answered ``LIKE '%A%%'``: the pattern anchored the
    way the question says (``'A%'``)."""
    if not wanted.like:
        return None
    out = tree.copy()
    changed = False
    if wanted.like == "infix":  # "whose description mentions Drama" answered ``description = 'Drama'``
        for eq in list(out.find_all(exp.EQ)):
            if isinstance(eq.this, exp.Column) and isinstance(eq.expression, exp.Literal) and eq.expression.is_string and eq.find_ancestor(exp.Where):
                eq.replace(exp.Like(this=eq.this.copy(), expression=exp.Literal.string(f"%{eq.expression.this}%")))
                changed = True
    for like in out.find_all(exp.Like):
        pattern = like.expression
        if not isinstance(pattern, exp.Literal) or not pattern.is_string:
            continue
        core = str(pattern.this).strip("%")
        if not core or "%" in core:
            continue
        wanted_pattern = _pattern(core, wanted.like)
        if wanted_pattern != str(pattern.this):
            pattern.replace(exp.Literal.string(wanted_pattern))
            changed = True
    return out if changed else None


def _superlative_value(tree: exp.Select, wanted: Expectations) -> exp.Expression | None:
    """"What is the highest replacement cost?" answered ``SELECT last_update ... ORDER BY
    replacement_cost DESC LIMIT 1``: the value asked for, ``SELECT MAX(replacement_cost)``."""
    if not _VALUE_ASKED.search(wanted.text) or wanted.group or wanted.ranking:
        return None
    kind = _superlative_order(tree)
    if not kind or kind != (wanted.aggregates & {"max", "min"}) or tree.args.get("group") is not None:
        return None
    if any(item.find(exp.AggFunc) is not None for item in tree.expressions):
        return None
    key = tree.args["order"].expressions[0].this
    out = tree.copy()
    out.set("expressions", [AGGREGATES[next(iter(kind))](this=key.copy())])
    out.set("order", None)
    out.set("limit", None)
    out.set("distinct", None)
    return out


def _turned(tree: exp.Select, wanted: Expectations) -> exp.Expression | None:
    """"In alphabetical order" answered ``ORDER BY title DESC``: the ordering the way the
    question says (its first key; the others keep theirs)."""
    order = tree.args.get("order")
    if not wanted.direction or wanted.ranking or order is None or not order.expressions:
        return None
    first = order.expressions[0]
    if not isinstance(first, exp.Ordered) or bool(first.args.get("desc")) == (wanted.direction == "desc"):
        return None
    out = tree.copy()
    key = out.args["order"].expressions[0]
    key.set("desc", wanted.direction == "desc")
    # every dialect's default NULLS placement flips with the direction: flipping it too keeps
    # the statement free of a NULLS clause it did not have
    key.set("nulls_first", not bool(key.args.get("nulls_first")))
    return out


def _several_aggregates(tree: exp.Select, wanted: Expectations) -> exp.Expression | None:
    """"The maximum and minimum share" answered ``SELECT MAX(share)``: every aggregate the
    question names, over the one argument the candidate aggregates, in the question's order."""
    kinds = [k for k in _WORDS_OF if k in wanted.aggregates]
    if len(kinds) < 2 or tree.args.get("group") is not None:
        return None
    items = [item for item in tree.expressions if item.find(*AGGREGATES.values()) is not None]
    if len(items) != 1:
        return None
    node = items[0].unalias()
    kind = next((k for k, cls in AGGREGATES.items() if isinstance(node, cls)), None)
    if kind not in kinds or node.this is None:
        return None
    order = sorted(kinds, key=lambda k: m.start() if (m := _WORDS_OF[k].search(wanted.text)) else 0)
    out = tree.copy()
    plain = [item.copy() for item in tree.expressions if item is not items[0]]
    out.set("expressions", plain + [AGGREGATES[k](this=node.this.copy()) for k in order])
    return out


def repairs(tree: exp.Expression | None, wanted: Expectations) -> list[exp.Expression]:
    """Variants of a candidate that meet more of what the question asks: the aggregate
    the question names instead of another one (``AVG`` -> ``SUM`` for "the total"),
    ``COUNT(DISTINCT x)`` for "how many different"; ``SELECT COUNT(*)`` for a "how many"
    answered with a list, or the count selected when a grouped answer only counts in
    HAVING; filters on literals the question never mentions dropped, and a HAVING when the
    question sets no condition at all.
    Each variant is still to be validated and run by the caller."""
    if not isinstance(tree, exp.Select) or wanted.empty:
        return []
    unconditioned: exp.Expression | None = None
    if tree.args.get("having") is not None and wanted.text and not _CONDITION.search(wanted.text):
        unconditioned = tree.copy()
        unconditioned.set("having", None)
    made = (_drop_invented(tree, wanted), _count_selected(tree, wanted), unconditioned, _turned(tree, wanted),
            _anchored(tree, wanted), _superlative_value(tree, wanted), _several_aggregates(tree, wanted))
    out: list[exp.Expression] = [variant for variant in made if variant is not None]
    for start in [tree, *out]:
        if len(wanted.aggregates) != 1 or start.args.get("group") is not None:
            continue
        (name,) = wanted.aggregates
        found = _same_kind_aggregates(start)
        if found and not any(isinstance(node, AGGREGATES[name]) for node in found):
            fixed = start.copy()
            for node in _same_kind_aggregates(fixed):
                node.replace(_wanted_aggregate(name, node.this, wanted.distinct))
            out.append(fixed)
        elif not found and name == "count" and not wanted.group:
            counted = start.copy()
            counted.set("expressions", [exp.Count(this=exp.Star())])
            counted.set("distinct", None)
            counted.set("order", None)
            counted.set("limit", None)
            out.append(counted)
        elif found and name == "count" and wanted.distinct:
            fixed = start.copy()
            for node in _same_kind_aggregates(fixed):
                arg = node.this
                if isinstance(node, exp.Count) and not isinstance(arg, (exp.Distinct, exp.Star)) and arg is not None:
                    node.replace(_wanted_aggregate("count", arg, True))
            if fixed != start:
                out.append(fixed)
    return out


_EACH = re.compile(r"\b(?:for each|for every|in each|by each|of each|each|every|per|by)\s+([a-z][a-z_]*)(?:\s+([a-z][a-z_]*))?", re.IGNORECASE)


def group_nouns(question: str) -> list[str]:
    """The words after "each" / "per" ("for each rating" -> ``rating``; "each film
    category" -> ``film_category``, ``film``)."""
    out: list[str] = []
    for match in _EACH.finditer(question or ""):
        first, second = match.group(1).lower(), (match.group(2) or "").lower()
        if second:
            out.append(f"{first}_{second}")
        out.append(first)
    return out


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


_WORD_SPLIT = re.compile(r"_+|(?<=[a-z0-9])(?=[A-Z])")


def column_words(name: str) -> list[str]:
    """The words of a column name, lower case: ``PetType`` -> pet, type; ``Directed_by`` ->
    directed, by."""
    return [w.lower() for w in _WORD_SPLIT.split(name) if w]


def word_names_noun(word: str, noun: str) -> bool:
    """Whether one word of a column name stands for ``noun`` (singular, lower case): the
    same word, or the same stem of at least five letters that leaves at most two letters of
    the noun over ("nation" ~ nationality, "director" ~ directed)."""
    if word == noun or singular(word) == noun:
        return True
    common = len(os.path.commonprefix([word, noun]))
    return common >= 5 and common >= len(noun) - 2


def groups_by_noun(tree: exp.Expression, nouns: Sequence[str]) -> bool:
    """Whether a GROUP BY of ``tree`` names one of ``nouns`` (singular): a column named so
    or ``<noun>_id``, or a column of a table (or alias) named so; ordinals count as yes."""
    tables = {t.alias_or_name.lower(): singular(t.name.lower()) for t in tree.find_all(exp.Table)}
    for group in tree.find_all(exp.Group):
        for key in group.expressions:
            if not isinstance(key, exp.Column):
                return True  # an ordinal or an expression: not judged here
            name = key.name.lower()
            table = tables.get(key.table.lower(), "") if key.table else ""
            if any(name in (noun, f"{noun}_id", f"{noun}id") or noun.endswith(name) or table == noun
                   or any(word_names_noun(w, noun) for w in column_words(key.name)) for noun in nouns):
                return True
    return False


def group_repairs(tree: exp.Expression | None, wanted: Expectations, columns: Callable[[str], list[tuple[str, str | None]]]) -> list[exp.Expression]:
    """For a question that asks "for each X" answered without GROUP BY, or grouped by
    something else: the candidate grouped by X's column of its FROM table (a column named X, or the foreign
    key to a table named X), selecting that column and the aggregates (``COUNT(*)`` when
    the question counts and the candidate has none). ``columns(table)`` lists a table's
    (column, referenced table or None)."""
    if not isinstance(tree, exp.Select) or not wanted.group:
        return []
    nouns = [singular(n) for n in group_nouns(wanted.text)]
    if not nouns or (tree.args.get("group") is not None and groups_by_noun(tree, nouns)):
        return []
    source = tree.args.get("from_")
    table = source.this if isinstance(source, exp.From) else None
    if not isinstance(table, exp.Table) or (tree.args.get("joins") and not table.alias_or_name):
        return []
    # the FROM table first, then the joined ones: "for each rating" over film_category JOIN film
    tables = [t for t in from_sources(tree) if isinstance(t, exp.Table)]
    pick: str | None = None
    qualifier: str | None = None

    def exact(name: str, ref: str | None, noun: str) -> bool:
        low = name.lower()
        return low == noun or (ref is not None and singular(ref.rpartition(".")[2].lower()) == noun and low.endswith("_id"))

    def by_word(name: str, ref: str | None, noun: str) -> bool:  # "type of pet" -> PetType; never a key
        return ref is None and not _KEY_NAME.search(name) and any(word_names_noun(w, noun) for w in column_words(name))

    entities = _table_nouns([t.name for t in tables])  # "each treatment": per row of treatments, not by a column
    for matches in (exact, by_word):  # a column named so before one with such a word
        for noun in nouns:
            if matches is by_word and noun in entities:
                continue
            for candidate in tables:
                hit = next((name for name, ref in columns(candidate.name) if matches(name, ref, noun)), None)
                if hit is not None:
                    pick, qualifier = hit, (candidate.alias_or_name if tree.args.get("joins") else None)
                    break
            if pick:
                break
        if pick:
            break
    if pick is None:
        return []
    aggregates = [node.copy() for item in tree.expressions for node in [item] if item.find(*AGGREGATES.values()) is not None]
    if not aggregates:
        if "count" in wanted.aggregates or not wanted.aggregates:
            aggregates = [exp.Count(this=exp.Star())]
        else:
            aggregates = _aggregated_values(tree, wanted, pick)
            if not aggregates:
                return []
    out = tree.copy()
    grouped = exp.column(pick, qualifier)
    # the columns in the order the question asks for them: "how many cartoons did each
    # director create" counts first, "for each citizenship, the maximum" groups first
    out.set("expressions", [*aggregates, grouped] if _aggregate_first(wanted.text) else [grouped, *aggregates])
    out.set("group", exp.Group(expressions=[exp.column(pick, qualifier)]))
    out.set("having", None if tree.args.get("group") is not None else out.args.get("having"))
    out.set("distinct", None)
    if not wanted.ranking:
        out.set("order", None)
        out.set("limit", None)
    return [out]


def _aggregate_first(text: str) -> bool:
    """Whether ``text`` names an aggregate ("how many", "the average ...") before the group
    ("each X", "for each X") or the values grouped ("different X")."""
    marks = [m.start() for pattern in (_GROUP, _DISTINCT) for m in [pattern.search(text)] if m]
    if not marks:
        return False
    first = min((m.start() for pattern in (_COUNT, _SUM, _AVG, _MAX, _MIN) for m in [pattern.search(text)] if m),
                default=len(text))
    return first < min(marks)


def _aggregated_values(tree: exp.Select, wanted: Expectations, pick: str) -> list[exp.Expression]:
    """"The maximum weight for each type" answered with the rows themselves (``SELECT
    PetType, weight ... ORDER BY weight DESC``): the one aggregate asked, over the selected
    columns other than the group's (else over the ORDER BY column). Empty when the question
    asks for several aggregates or none fits."""
    if len(wanted.aggregates) != 1:
        return []
    (name,) = wanted.aggregates
    kind = AGGREGATES[name]
    values = [c for item in tree.expressions for c in [item.unalias()]
              if isinstance(c, exp.Column) and c.name.lower() != pick.lower()]
    if not values and tree.args.get("order") is not None:
        values = [o.this for o in tree.args["order"].expressions
                  if isinstance(o, exp.Ordered) and isinstance(o.this, exp.Column)][:1]
    return [kind(this=c.copy()) for c in values]


def entity_grouping(tree: exp.Expression | None, wanted: Expectations,
                    keys: Callable[[str], tuple[str | None, frozenset[str]]]) -> exp.Expression | None:
    """"How many orders has each user placed?" grouped by ``u.name``: one group per name,
    so two users who share a name are counted as one. When the question groups by an entity
    (the noun after "each" names a table of the query) and the candidate groups only by a
    column of that table that is neither its key nor unique, the variant groups by the table's
    primary key instead and keeps the select list (the name is functionally dependent on the
    key, so PostgreSQL, SQLite and the others accept it). None: nothing to change.
    ``keys(table)`` gives a table's single-column primary key (or None) and its unique columns."""
    if not isinstance(tree, exp.Select) or not wanted.group:
        return None
    group = tree.args.get("group")
    if group is None or len(group.expressions) != 1 or not isinstance(group.expressions[0], exp.Column):
        return None
    column = group.expressions[0]
    tables = {t.alias_or_name.lower(): t.name for t in tree.find_all(exp.Table)}
    single = next(iter(tables.values())) if len(tables) == 1 else None
    owner = tables.get(column.table.lower()) if column.table else single
    nouns = [singular(n) for n in group_nouns(wanted.text)]
    if owner is None or singular(owner.lower()) not in nouns:
        return None
    key, unique = keys(owner)
    if key is None or column.name.lower() == key.lower() or column.name.lower() in unique:
        return None
    out = tree.copy()
    table = column.args.get("table")
    name = exp.to_identifier(key, quoted=key != key.lower())
    out.set("group", exp.Group(expressions=[exp.Column(this=name, table=table.copy() if table else None)]))
    return out


_WORD = re.compile(r"[a-z]+")


def question_columns(question: str, names: Sequence[str]) -> list[str]:
    """The columns among ``names`` that the question spells out: every word of the name is
    one of the question's ("the highest replacement cost" names ``replacement_cost``, "the
    first and last names" ``first_name`` and ``last_name``, "different ratings" ``rating``);
    a bare ``id`` never counts."""
    words = {singular(w) for w in _WORD.findall((question or "").lower())}
    out: list[str] = []
    for name in names:
        parts = [singular(p) for p in _WORD.findall(name.lower())]
        if parts and parts != ["id"] and all(p in words for p in parts):
            out.append(name)
    return out


def _owner(column: exp.Column, tables: dict[str, str], single: str | None) -> str | None:
    """The table name a column reads (by its qualifier, or the only table)."""
    return tables.get(column.table.lower()) if column.table else single


def column_repairs(tree: exp.Expression | None, wanted: Expectations, columns: Callable[[str], list[tuple[str, str | None]]]) -> list[exp.Expression]:
    """Variants that use the column the question names instead of one it does not, within
    the same table: the argument of ``AVG``/``SUM``/``MAX``/``MIN`` ("the average payment
    amount" answered with ``AVG(payment_date)``), ``COUNT(*)`` of "how many different
    ratings" as ``COUNT(DISTINCT rating)``, and a selected column ("the highest replacement
    cost" answered by selecting ``last_update``). Only when exactly one named column of that
    table is unused, so the choice is the question's, not a guess."""
    if not isinstance(tree, exp.Select) or not wanted.text:
        return []
    tables = {t.alias_or_name.lower(): t.name for t in tree.find_all(exp.Table)}
    names = set(tables.values())
    single = next(iter(names)) if len(names) == 1 else None
    used = {c.name.lower() for c in tree.find_all(exp.Column)}
    shown = {c.name.lower() for item in tree.expressions for c in item.find_all(exp.Column)}

    def spare(table: str | None, taken: set[str] = used) -> str | None:
        if table is None:
            return None
        named = question_columns(wanted.text, [c for c, _ in columns(table)])
        unused = [n for n in named if n.lower() not in taken]
        return unused[0] if len(unused) == 1 else None

    def named(column: exp.Column) -> bool:
        table = _owner(column, tables, single)
        return table is not None and bool(question_columns(wanted.text, [column.name]))

    out: list[exp.Expression] = []
    fixed = tree.copy()
    changed = False
    for node in list(fixed.find_all(exp.Avg, exp.Sum, exp.Max, exp.Min)):
        arg = node.this
        if isinstance(arg, exp.Column) and not named(arg):
            pick = spare(_owner(arg, tables, single))
            if pick is not None:
                arg.replace(exp.column(pick, arg.table or None))
                changed = True
    for item in fixed.expressions:
        inner = item.this if isinstance(item, exp.Alias) else item
        if isinstance(inner, exp.Column) and not isinstance(inner.this, exp.Star) and not named(inner):
            pick = spare(_owner(inner, tables, single), shown)
            if pick is not None:
                inner.replace(exp.column(pick, inner.table or None))
                changed = True
        elif isinstance(inner, exp.Count) and isinstance(inner.this, exp.Star) and wanted.distinct and single is not None:
            pick = spare(single)
            if pick is not None:
                inner.replace(exp.Count(this=exp.Distinct(expressions=[exp.column(pick)])))
                changed = True
    if changed:
        out.append(fixed)
    return out


def named_columns(tree: exp.Expression | None, wanted: Expectations) -> int:
    """How many distinct columns of ``tree`` the question spells out (``question_columns``)."""
    if tree is None or not wanted.text:
        return 0
    return len(question_columns(wanted.text, sorted({c.name for c in tree.find_all(exp.Column)})))
