"""Question families: the shapes people ask SQL questions in, each with several phrasings.

Each family draws tables, columns and literals from a ``synth.Context`` (whose scratch
database holds the data's own values where the workspace has seed rows) and returns
``(question, sql)`` or None when the schema has nothing it can use. Questions name things
the way people do (``film_category`` -> "film categories", ``*_id`` columns are never
named) and a name filter joins the table that holds the name instead of filtering a
foreign key with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..server.sql.catalog import Column, ForeignKey
from .phrasing import column_phrase as cp
from .phrasing import table_phrase
from .synth import Context, TableInfo

Result = tuple[str, str] | None
Family = Callable[[Context], Result]


def _say(ctx: Context, phrasings: list[str], **slots: object) -> str:
    text = ctx.rng.choice(phrasings).format(**slots)
    text = re.sub(r"\b([Aa]) (?=[aeioAEIO])", r"\1n ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([^aeiou\W])ys\b", r"\1ies", text)
    text = re.sub(r"(ss|x|ch|sh)s\b", r"\1es", text)
    return text[0].upper() + text[1:]


def _many(t: TableInfo) -> str:
    return table_phrase(t.table.name)


def _one(t: TableInfo) -> str:
    return table_phrase(t.table.name, False)


def _shown(ctx: Context, value: Any) -> str:
    """A literal as a person writes it in a question: quoted or bare, sometimes in title case."""
    text = str(value)
    if isinstance(value, str) and text.isupper() and ctx.rng.random() < 0.4:
        text = text.title()
    return f"'{text}'" if isinstance(value, str) and ctx.rng.random() < 0.5 else text


def _named(ctx: Context) -> TableInfo | None:
    return ctx.pick([t for t in ctx.tables if t.text])


def _edge(ctx: Context) -> tuple[TableInfo, ForeignKey, TableInfo] | None:
    edges = [e for e in ctx.edges if e[0] is not e[2] and e[2].text]
    return ctx.pick(edges)


def _join(ctx: Context, child: TableInfo, fk: ForeignKey, parent: TableInfo) -> tuple[str, str, str]:
    """(FROM ... JOIN ... text, child alias, parent alias)."""
    taken: set[str] = set()
    c, p = ctx.alias(child, taken), ctx.alias(parent, taken)
    ref = ctx.ref_column(fk, parent)
    assert ref is not None
    col = child.table.columns[fk.columns[0]]
    return (f"{ctx.name(child)} AS {c} JOIN {ctx.name(parent)} AS {p} ON {c}.{ctx.col(col)} = {p}.{ctx.col(ref)}", c, p)


def _joined(ctx: Context, edges: list[tuple[TableInfo, ForeignKey, TableInfo]] | None = None
            ) -> tuple[TableInfo, TableInfo, str, str, str] | None:
    """A foreign-key edge (``_edge``'s, or one of ``edges``) joined: (child, parent, the FROM
    ... JOIN text, child alias, parent alias); None when there is none."""
    edge = _edge(ctx) if edges is None else ctx.pick(edges)
    if edge is None:
        return None
    child, fk, parent = edge
    return (child, parent, *_join(ctx, child, fk, parent))


def _value(ctx: Context, t: TableInfo, col: Column) -> Any | None:
    value = ctx.value(t, col)
    if isinstance(value, str) and (not value.strip() or len(value) > 60):
        return None
    return value


# --------------------------------------------------------------------------- one table


def list_column(ctx: Context) -> Result:
    t = _named(ctx)
    if t is None:
        return None
    col = ctx.pick(t.text + t.numbers) or t.label
    q = _say(ctx, ["List the {c} of all {T}.", "What are the {c}s of the {T}?", "Show the {c} of every {t}.",
                   "Give me the {c} of each {t}."], c=cp(col.name), T=_many(t), t=_one(t))
    return q, f"SELECT {ctx.col(col)} FROM {ctx.name(t)}"


def filter_value(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.categories or len(t.text) > 1])
    if t is None:
        return None
    col = ctx.pick([c for c in t.categories or t.text if c is not t.label] or t.text)
    value = _value(ctx, t, col)
    if value is None or col is t.label:
        return None
    q = _say(ctx, ["Which {T} have {c} {v}?", "Show the {l} of {T} whose {c} is {v}.", "Find the {l} of the {T} with {c} {v}.",
                   "What are the {l}s of {T} with a {c} of {v}?", "List {T} where the {c} is {v}."],
             T=_many(t), c=cp(col.name), l=cp(t.label.name), v=_shown(ctx, value))
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {ctx.col(col)} = {ctx.literal(value, col)}"


def count_all(ctx: Context) -> Result:
    t = ctx.pick(ctx.tables)
    if t is None:
        return None
    q = _say(ctx, ["How many {T} are there?", "Count the {T}.", "What is the total number of {T}?", "How many {T} do we have?"], T=_many(t))
    return q, f"SELECT COUNT(*) FROM {ctx.name(t)}"


def count_filter(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.categories])
    if t is None:
        return None
    col = ctx.pick(t.categories)
    value = _value(ctx, t, col)
    if value is None:
        return None
    q = _say(ctx, ["How many {T} have {c} {v}?", "Count the {T} whose {c} is {v}.", "What is the number of {T} with a {c} of {v}?"],
             T=_many(t), c=cp(col.name), v=_shown(ctx, value))
    return q, f"SELECT COUNT(*) FROM {ctx.name(t)} WHERE {ctx.col(col)} = {ctx.literal(value, col)}"


def distinct_values(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.categories])
    if t is None:
        return None
    col = ctx.pick(t.categories)
    q = _say(ctx, ["What are the different {c}s of {T}?", "List the distinct {c} values of the {T}.", "Show all the different {c}s.",
                   "Which distinct {c}s do the {T} have?"], c=cp(col.name), T=_many(t))
    return q, f"SELECT DISTINCT {ctx.col(col)} FROM {ctx.name(t)}"


def count_distinct(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.categories])
    if t is None:
        return None
    col = ctx.pick(t.categories)
    q = _say(ctx, ["How many different {c}s are there?", "Count the distinct {c}s of the {T}.", "How many distinct {c} values do {T} have?"],
             c=cp(col.name), T=_many(t))
    return q, f"SELECT COUNT(DISTINCT {ctx.col(col)}) FROM {ctx.name(t)}"


def contains_word(ctx: Context) -> Result:
    t = _named(ctx)
    if t is None:
        return None
    value = _value(ctx, t, t.label)
    if not isinstance(value, str):
        return None
    parts = [w for w in re.findall(r"[A-Za-z]{3,}", value)]
    if not parts:
        return None
    word = ctx.rng.choice(parts)
    q = _say(ctx, ["Which {T} have a {c} containing {w}?", "Find the {T} whose {c} contains '{w}'.", "List the {c}s that contain the word {w}.",
                   "Show {T} with {w} in their {c}."], T=_many(t), c=cp(t.label.name), w=word)
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {ctx.col(t.label)} LIKE '%{word}%'"


def max_min(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers])
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    c = ctx.col(col)
    q = _say(ctx, ["What are the longest and shortest {c} of the {T}?", "What are the maximum and minimum {c} of all {T}?",
                   "Show the highest and lowest {c} among {T}.", "Give the largest and smallest {c}."], c=cp(col.name), T=_many(t))
    return q, f"SELECT MAX({c}), MIN({c}) FROM {ctx.name(t)}"


def average_of(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers])
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    fn, word = ctx.rng.choice([("AVG", "average"), ("SUM", "total"), ("AVG", "mean")])
    q = _say(ctx, ["What is the {w} {c} of all {T}?", "Find the {w} {c} of the {T}.", "Compute the {w} {c} over every {t}."],
             w=word, c=cp(col.name), T=_many(t), t=_one(t))
    return q, f"SELECT {fn}({ctx.col(col)}) FROM {ctx.name(t)}"


def top_n(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers and t.text])
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    n = ctx.rng.choice([3, 5, 10])
    high = ctx.rng.random() < 0.7
    q = _say(ctx, ["What are the top {n} {T} by {c}?" if high else "Which {n} {T} have the lowest {c}?",
                   "Show the {l} of the {n} {T} with the " + ("highest" if high else "lowest") + " {c}.",
                   "List the {n} " + ("most" if high else "least") + " expensive {T} by {c}." if "price" in col.name.lower() or "cost" in col.name.lower()
                   else "Give the {l}s of the {n} {T} with the " + ("largest" if high else "smallest") + " {c}."],
             n=n, T=_many(t), c=cp(col.name), l=cp(t.label.name))
    order = "DESC" if high else "ASC"
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} ORDER BY {ctx.col(col)} {order} LIMIT {n}"


def highest_one(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers and t.text])
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    high = ctx.rng.random() < 0.6
    q = _say(ctx, ["Which {t} has the " + ("highest" if high else "lowest") + " {c}?",
                   "What is the {l} of the {t} with the " + ("largest" if high else "smallest") + " {c}?",
                   "Find the {t} with the " + ("most" if high else "least") + " {c}."], t=_one(t), c=cp(col.name), l=cp(t.label.name))
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} ORDER BY {ctx.col(col)} {'DESC' if high else 'ASC'} LIMIT 1"


def between(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers and t.text])
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    values = sorted(v for v in ctx.db.values(t.key, col, 50) if isinstance(v, (int, float)) and not isinstance(v, bool))
    if len(values) < 3:
        return None
    lo, hi = values[len(values) // 4], values[(3 * len(values)) // 4]
    q = _say(ctx, ["Which {T} have a {c} between {a} and {b}?", "List the {l} of {T} whose {c} is between {a} and {b}.",
                   "Show {T} with {c} from {a} to {b}."], T=_many(t), c=cp(col.name), l=cp(t.label.name), a=lo, b=hi)
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {ctx.col(col)} BETWEEN {lo!r} AND {hi!r}"


def above_average(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers and t.text])
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    c = ctx.col(col)
    q = _say(ctx, ["Which {T} have a {c} above the average?", "List the {l} of {T} whose {c} is higher than the average {c}.",
                   "Find {T} with more than the average {c}."], T=_many(t), c=cp(col.name), l=cp(t.label.name))
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {c} > (SELECT AVG({c}) FROM {ctx.name(t)})"


def group_count(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.categories])
    if t is None:
        return None
    col = ctx.pick(t.categories)
    q = _say(ctx, ["How many {T} are there for each {c}?", "For each {c}, count the {T}.", "Show the number of {T} per {c}.",
                   "Count the {T} by {c}."], T=_many(t), c=cp(col.name))
    return q, f"SELECT {ctx.col(col)}, COUNT(*) FROM {ctx.name(t)} GROUP BY {ctx.col(col)}"


def most_common(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.categories])
    if t is None:
        return None
    col = ctx.pick(t.categories)
    q = _say(ctx, ["What is the most common {c} of {T}?", "Which {c} do the most {T} have?", "Find the {c} shared by the most {T}."],
             T=_many(t), c=cp(col.name))
    return q, f"SELECT {ctx.col(col)} FROM {ctx.name(t)} GROUP BY {ctx.col(col)} ORDER BY COUNT(*) DESC LIMIT 1"


def _of(word: str, column: str) -> str:
    """``word`` before a column phrase, unless the phrase already says it ("total sales")."""
    return column if column.split(" ", 1)[0] == word else f"{word} {column}"


def _threshold(ctx: Context, t: TableInfo, col: Column) -> int | float | None:
    """A number from the middle of the column's values (a comparison with it keeps rows on
    both sides), shown as people write it."""
    values = sorted({v for v in ctx.db.values(t.key, col, 50) if isinstance(v, (int, float)) and not isinstance(v, bool)})
    if len(values) < 3:
        return None
    value = values[ctx.rng.randrange(len(values) // 4, (3 * len(values)) // 4 + 1)]
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 2)
    return value


def _more_less(col: Column, more: bool) -> list[str]:
    """Ways to say "greater/less than" for ``col`` ("older than" for an age)."""
    name = col.name.lower()
    if "age" in re.split(r"[\W_]+", name):
        return ["older than", "above the age of"] if more else ["younger than", "under the age of"]
    if "price" in name or "cost" in name:
        return ["more expensive than", "costing more than"] if more else ["cheaper than", "costing less than"]
    return ["greater than", "more than", "above", "over", "larger than"] if more else \
        ["less than", "below", "under", "smaller than", "lower than"]


def compare_number(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers and t.text])
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    n = _threshold(ctx, t, col)
    if n is None:
        return None
    more = ctx.rng.random() < 0.6
    word = ctx.rng.choice(_more_less(col, more))
    q = _say(ctx, ["Which {T} have a {c} " + word + " {n}?", "List the {l} of {T} with {c} " + word + " {n}.",
                   "Show the {l}s of {T} whose {c} is " + word + " {n}.", "What are the {l}s of the {T} with a {c} " + word + " {n}?",
                   "Find the {T} with {c} " + word + " {n}."], T=_many(t), c=cp(col.name), l=cp(t.label.name), n=n)
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {ctx.col(col)} {'>' if more else '<'} {n!r}"


def count_compare(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers])
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    n = _threshold(ctx, t, col)
    if n is None:
        return None
    more = ctx.rng.random() < 0.6
    word = ctx.rng.choice(_more_less(col, more))
    q = _say(ctx, ["How many {T} have a {c} " + word + " {n}?", "Count the {T} with {c} " + word + " {n}.",
                   "What is the number of {T} whose {c} is " + word + " {n}?", "How many {T} are there with {c} " + word + " {n}?"],
             T=_many(t), c=cp(col.name), n=n)
    return q, f"SELECT COUNT(*) FROM {ctx.name(t)} WHERE {ctx.col(col)} {'>' if more else '<'} {n!r}"


def not_equal(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.categories])
    if t is None:
        return None
    col = ctx.pick(t.categories)
    value = _value(ctx, t, col)
    if value is None:
        return None
    q = _say(ctx, ["Which {T} do not have {c} {v}?", "List the {l} of {T} whose {c} is not {v}.",
                   "Show the {l}s of all {T} except those with {c} {v}.", "What are the {l}s of {T} with a {c} other than {v}?"],
             T=_many(t), c=cp(col.name), l=cp(t.label.name), v=_shown(ctx, value))
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {ctx.col(col)} <> {ctx.literal(value, col)}"


def either_value(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.categories])
    if t is None:
        return None
    col = ctx.pick(t.categories)
    values = [v for v in dict.fromkeys(ctx.db.values(t.key, col, 12)) if isinstance(v, str) and v.strip() and len(v) <= 60]
    if len(values) < 2:
        return None
    a, b = ctx.rng.sample(values, 2)
    where = f"{ctx.col(col)} = {ctx.literal(a, col)} OR {ctx.col(col)} = {ctx.literal(b, col)}"
    slots = {"T": _many(t), "c": cp(col.name), "l": cp(t.label.name), "a": _shown(ctx, a), "b": _shown(ctx, b)}
    if ctx.rng.random() < 0.5:
        q = _say(ctx, ["How many {T} have {c} {a} or {b}?", "Count the {T} whose {c} is {a} or {b}.",
                       "What is the number of {T} with a {c} of either {a} or {b}?"], **slots)
        return q, f"SELECT COUNT(*) FROM {ctx.name(t)} WHERE {where}"
    q = _say(ctx, ["List the {l} of {T} whose {c} is {a} or {b}.", "Which {T} have {c} {a} or {b}?",
                   "Show the {l}s of the {T} with a {c} of either {a} or {b}."], **slots)
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {where}"


def two_columns(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if len(t.text) + len(t.numbers) >= 2])
    if t is None:
        return None
    others = [c for c in t.text + t.numbers + t.dates if c is not t.label]
    second = ctx.pick(others)
    if second is None:
        return None
    first = t.label
    if ctx.rng.random() < 0.5:
        q = _say(ctx, ["Show the {a} and {b} of all {T}.", "List the {a} and the {b} of each {t}.",
                       "What are the {a} and {b} of every {t}?", "Give the {a} and {b} for all {T}."],
                 a=cp(first.name), b=cp(second.name), T=_many(t), t=_one(t))
        return q, f"SELECT {ctx.col(first)}, {ctx.col(second)} FROM {ctx.name(t)}"
    col = ctx.pick([c for c in t.categories if c is not second])
    value = _value(ctx, t, col) if col is not None else None
    if col is None or value is None:
        return None
    q = _say(ctx, ["What are the {a} and {b} of {T} whose {c} is {v}?", "Show the {a} and {b} of the {T} with {c} {v}.",
                   "List the {a} and {b} of all {T} that have {c} {v}."],
             a=cp(first.name), b=cp(second.name), T=_many(t), c=cp(col.name), v=_shown(ctx, value))
    return q, f"SELECT {ctx.col(first)}, {ctx.col(second)} FROM {ctx.name(t)} WHERE {ctx.col(col)} = {ctx.literal(value, col)}"


def ordered_list(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.text and (t.numbers or t.dates)])
    if t is None:
        return None
    col = ctx.pick(t.numbers + t.dates)
    down = ctx.rng.random() < 0.5
    way = ctx.rng.choice(["in descending order of {c}", "from the highest {c} to the lowest", "by {c}, largest first"] if down
                         else ["in ascending order of {c}", "from the lowest {c} to the highest", "by {c}, smallest first"])
    q = _say(ctx, ["List the {l} of all {T} ordered by {c}" + (" descending." if down else "."),
                   "Show the {l}s of {T} sorted " + way + ".", "What are the {l}s of the {T}, " + way + "?",
                   "List {T} " + way + "."], l=cp(t.label.name), T=_many(t), c=cp(col.name))
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} ORDER BY {ctx.col(col)}" + (" DESC" if down else "")


def aggregate_filter(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers and t.categories])
    if t is None:
        return None
    col, where = ctx.pick(t.numbers), ctx.pick(t.categories)
    value = _value(ctx, t, where)
    if value is None:
        return None
    fn, word = ctx.rng.choice([("AVG", "average"), ("MAX", "maximum"), ("MIN", "minimum"), ("SUM", "total"), ("MAX", "highest")])
    q = _say(ctx, ["What is the {wc} of {T} with {f} {v}?", "Find the {wc} of the {T} whose {f} is {v}.",
                   "Show the {wc} among {T} that have {f} {v}.", "What is the {wc} for {T} where the {f} is {v}?"],
             wc=_of(word, cp(col.name)), T=_many(t), f=cp(where.name), v=_shown(ctx, value))
    return q, f"SELECT {fn}({ctx.col(col)}) FROM {ctx.name(t)} WHERE {ctx.col(where)} = {ctx.literal(value, where)}"


def several_aggregates(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers])
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    phrasings, fns = ctx.rng.choice([
        (["What are the average, minimum and maximum {c} of all {T}?", "Show the average, minimum, and maximum {c} of the {T}.",
          "Give the mean, lowest and highest {c} over all {T}."], ("AVG", "MIN", "MAX")),
        (["What are the average and maximum {c} of {T}?", "Show the mean and the highest {c} of the {T}."], ("AVG", "MAX")),
        (["Find the total and the average {c} of all {T}.", "What are the sum and the average {c} of the {T}?"], ("SUM", "AVG")),
    ])
    q = _say(ctx, phrasings, c=cp(col.name), T=_many(t))
    return q, "SELECT " + ", ".join(f"{fn}({ctx.col(col)})" for fn in fns) + f" FROM {ctx.name(t)}"


def group_aggregate(ctx: Context) -> Result:
    t = ctx.pick([t for t in ctx.tables if t.numbers and t.categories])
    if t is None:
        return None
    col, group = ctx.pick(t.numbers), ctx.pick(t.categories)
    fn, word = ctx.rng.choice([("AVG", "average"), ("MAX", "maximum"), ("MIN", "minimum"), ("SUM", "total")])
    q = _say(ctx, ["What is the {wc} for each {g}?", "Show the {wc} of {T} per {g}.", "For each {g}, what is the {wc} of the {T}?",
                   "Give each {g} and the {wc} of its {T}."], wc=_of(word, cp(col.name)), g=cp(group.name), T=_many(t))
    return q, f"SELECT {ctx.col(group)}, {fn}({ctx.col(col)}) FROM {ctx.name(t)} GROUP BY {ctx.col(group)}"


# --------------------------------------------------------------------------- along a foreign key


def join_name_filter(ctx: Context) -> Result:
    joined = _joined(ctx)
    if joined is None:
        return None
    child, parent, frm, c, p = joined
    value = _value(ctx, parent, parent.label)
    if value is None:
        return None
    q = _say(ctx, ["List the {cl} of {CT} of the {pt} {v}.", "Which {CT} belong to the {pt} {v}?", "Show all {CT} whose {pt} is {v}.",
                   "What are the {cl}s of the {CT} for {pt} {v}?"], cl=cp(child.label.name), CT=_many(child), pt=_one(parent), v=_shown(ctx, value))
    return q, f"SELECT {ctx.col(child.label, c)} FROM {frm} WHERE {ctx.col(parent.label, p)} = {ctx.literal(value, parent.label)}"


def join_name_count(ctx: Context) -> Result:
    joined = _joined(ctx)
    if joined is None:
        return None
    child, parent, frm, _c, p = joined
    value = _value(ctx, parent, parent.label)
    if value is None:
        return None
    q = _say(ctx, ["How many {CT} does the {pt} {v} have?", "How many {CT} are there for {pt} {v}?", "Count the {CT} of the {pt} {v}.",
                   "What is the number of {CT} in the {v} {pt}?"], CT=_many(child), pt=_one(parent), v=_shown(ctx, value))
    return q, f"SELECT COUNT(*) FROM {frm} WHERE {ctx.col(parent.label, p)} = {ctx.literal(value, parent.label)}"


def _group_key(ctx: Context, parent: TableInfo, alias: str) -> str:
    """What "each <parent>" groups by: its primary key (two rows may share a name), else its label."""
    return ctx.col(parent.pk or parent.label, alias)


def count_for_each(ctx: Context) -> Result:
    joined = _joined(ctx)
    if joined is None:
        return None
    child, parent, frm, _c, p = joined
    q = _say(ctx, ["For each {pt}, how many {CT} are there?", "How many {CT} does each {pt} have?", "Show each {pt}'s {pl} and its number of {CT}.",
                   "Count the {CT} of every {pt}.", "List the {pl} of each {pt} and how many {CT} it has."],
             CT=_many(child), pt=_one(parent), pl=cp(parent.label.name))
    return q, f"SELECT {ctx.col(parent.label, p)}, COUNT(*) FROM {frm} GROUP BY {_group_key(ctx, parent, p)}"


def most_children(ctx: Context) -> Result:
    joined = _joined(ctx)
    if joined is None:
        return None
    child, parent, frm, _c, p = joined
    q = _say(ctx, ["Which {pt} has the most {CT}?", "What is the {pl} of the {pt} with the most {CT}?", "Find the {pt} that has the largest number of {CT}."],
             CT=_many(child), pt=_one(parent), pl=cp(parent.label.name))
    return q, f"SELECT {ctx.col(parent.label, p)} FROM {frm} GROUP BY {_group_key(ctx, parent, p)} ORDER BY COUNT(*) DESC LIMIT 1"


def at_least(ctx: Context) -> Result:
    joined = _joined(ctx)
    if joined is None:
        return None
    child, parent, frm, _c, p = joined
    n = ctx.rng.choice([2, 2, 3])
    q = _say(ctx, ["Which {PT} have at least {n} {CT}?", "List the {pl} of {PT} with {n} or more {CT}.", "Show the {PT} that have at least {n} {CT}."],
             n=n, CT=_many(child), PT=_many(parent), pl=cp(parent.label.name))
    return q, f"SELECT {ctx.col(parent.label, p)} FROM {frm} GROUP BY {_group_key(ctx, parent, p)} HAVING COUNT(*) >= {n}"


def not_in(ctx: Context) -> Result:
    edge = _edge(ctx)
    if edge is None:
        return None
    child, fk, parent = edge
    ref = ctx.ref_column(fk, parent)
    assert ref is not None
    q = _say(ctx, ["Which {PT} have no {CT}?", "List the {pl} of {PT} that do not have any {CT}.", "Find the {PT} without {CT}."],
             CT=_many(child), PT=_many(parent), pl=cp(parent.label.name))
    fkcol = ctx.col(child.table.columns[fk.columns[0]])
    return q, (f"SELECT {ctx.col(parent.label)} FROM {ctx.name(parent)} WHERE {ctx.col(ref)} NOT IN "
               f"(SELECT {fkcol} FROM {ctx.name(child)} WHERE {fkcol} IS NOT NULL)")


def average_for_each(ctx: Context) -> Result:
    edges = [e for e in ctx.edges if e[0] is not e[2] and e[2].text and e[0].numbers]
    joined = _joined(ctx, edges)
    if joined is None:
        return None
    child, parent, frm, c, p = joined
    col = ctx.pick(child.numbers)
    q = _say(ctx, ["What is the average {c} of {CT} for each {pt}?", "For each {pt}, what is the average {c} of its {CT}?",
                   "Show the average {c} per {pt}."], c=cp(col.name), CT=_many(child), pt=_one(parent))
    return q, f"SELECT {ctx.col(parent.label, p)}, AVG({ctx.col(col, c)}) FROM {frm} GROUP BY {_group_key(ctx, parent, p)}"


def parent_attribute(ctx: Context) -> Result:
    edges = [e for e in ctx.edges if e[0] is not e[2] and e[2].text and e[0].text]
    joined = _joined(ctx, edges)
    if joined is None:
        return None
    child, parent, frm, c, p = joined
    value = _value(ctx, child, child.label)
    if value is None:
        return None
    q = _say(ctx, ["What is the {pl} of the {pt} of the {ct} {v}?", "Which {pt} does the {ct} {v} belong to?", "Find the {pt} of {ct} {v}."],
             pl=cp(parent.label.name), pt=_one(parent), ct=_one(child), v=_shown(ctx, value))
    return q, f"SELECT {ctx.col(parent.label, p)} FROM {frm} WHERE {ctx.col(child.label, c)} = {ctx.literal(value, child.label)}"


def bridge_filter(ctx: Context) -> Result:
    """Many-to-many through a bridge table (``film_actor``): names on both sides."""
    pairs = [(a, b) for a in ctx.edges for b in ctx.edges
             if a[0] is b[0] and a[2] is not b[2] and a[1] is not b[1] and a[2].text and b[2].text]
    pick = ctx.pick(pairs)
    if pick is None:
        return None
    (bridge, fk_a, ta), (_b, fk_b, tb) = pick
    value = _value(ctx, tb, tb.label)
    if value is None:
        return None
    taken: set[str] = set()
    x, y, z = ctx.alias(ta, taken), ctx.alias(bridge, taken), ctx.alias(tb, taken)
    ra, rb = ctx.ref_column(fk_a, ta), ctx.ref_column(fk_b, tb)
    assert ra is not None and rb is not None
    ca, cb = bridge.table.columns[fk_a.columns[0]], bridge.table.columns[fk_b.columns[0]]
    count = ctx.rng.random() < 0.4
    if count:
        q = _say(ctx, ["How many {AT} does the {bt} {v} have?", "How many {AT} are associated with {bt} {v}?", "Count the {AT} of {bt} {v}."],
                 AT=_many(ta), bt=_one(tb), v=_shown(ctx, value))
    else:
        q = _say(ctx, ["List the {al} of {AT} of the {bt} {v}.", "Which {AT} are linked to the {bt} {v}?", "What are the {al}s of all {AT} for {bt} {v}?"],
                 al=cp(ta.label.name), AT=_many(ta), bt=_one(tb), v=_shown(ctx, value))
    head = "COUNT(*)" if count else ctx.col(ta.label, x)
    return q, (f"SELECT {head} FROM {ctx.name(ta)} AS {x} JOIN {ctx.name(bridge)} AS {y} ON {x}.{ctx.col(ra)} = {y}.{ctx.col(ca)} "
               f"JOIN {ctx.name(tb)} AS {z} ON {y}.{ctx.col(cb)} = {z}.{ctx.col(rb)} "
               f"WHERE {ctx.col(tb.label, z)} = {ctx.literal(value, tb.label)}")


# --------------------------------------------------------------------------- shapes people ask that the above miss


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def several_columns(ctx: Context) -> Result:
    """Three columns of one table, or its id and name ("the id and name of the museum with the most staff")."""
    t = ctx.pick([t for t in ctx.tables if len(t.text) + len(t.numbers) + len(t.dates) >= 2])
    if t is None:
        return None
    others = [c for c in t.text + t.numbers + t.dates if c is not t.label]
    if t.pk is not None and ctx.rng.random() < 0.4:
        cols = [t.pk, t.label]
        words = ["id", cp(t.label.name)]
    else:
        if len(others) < 2:
            return None
        cols = [t.label, *ctx.rng.sample(others, 2)]
        words = [cp(c.name) for c in cols]
    if ctx.rng.random() < 0.5:
        cols, words = cols[1:] + cols[:1], words[1:] + words[:1]
    select = ", ".join(ctx.col(c) for c in cols)
    ranked = [c for c in t.numbers if c not in cols]
    if ranked and ctx.rng.random() < 0.35:
        col = ctx.pick(ranked)
        high = ctx.rng.random() < 0.7
        q = _say(ctx, ["What are the {w} of the {t} with the " + ("highest" if high else "lowest") + " {c}?",
                       "Find the {w} of the {t} that has the " + ("most" if high else "least") + " {c}.",
                       "Show the {w} of the " + ("top" if high else "bottom") + " {t} by {c}."],
                 w=_and(words), t=_one(t), c=cp(col.name))
        return q, f"SELECT {select} FROM {ctx.name(t)} ORDER BY {ctx.col(col)} {'DESC' if high else 'ASC'} LIMIT 1"
    q = _say(ctx, ["List the {w} of all {T}.", "What are the {w} of each {t}?", "Show the {w} for every {t}.",
                   "Give me the {w} of the {T}."], w=_and(words), T=_many(t), t=_one(t))
    return q, f"SELECT {select} FROM {ctx.name(t)}"


def implicit_filter(ctx: Context) -> Result:
    """A value named without its column ("How many countries are in Asia?"): the value hints say where it lives."""
    t = ctx.pick([t for t in ctx.tables if t.categories])
    if t is None:
        return None
    col = ctx.pick(t.categories)
    value = _value(ctx, t, col)
    if not isinstance(value, str) or not re.search(r"[A-Za-z]", value) or len(value) > 30:
        return None
    slots = {"T": _many(t), "l": cp(t.label.name), "v": _shown(ctx, value)}
    where = f"{ctx.col(col)} = {ctx.literal(value, col)}"
    if ctx.rng.random() < 0.5:
        q = _say(ctx, ["How many {T} are in {v}?", "How many {v} {T} are there?", "Count the {T} that are {v}.",
                       "What is the number of {T} for {v}?"], **slots)
        return q, f"SELECT COUNT(*) FROM {ctx.name(t)} WHERE {where}"
    q = _say(ctx, ["List the {l}s of the {v} {T}.", "Which {T} are {v}?", "Show the {l} of all {T} in {v}.",
                   "What are the {l}s of {T} that are {v}?"], **slots)
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {where}"


def _owned(t: TableInfo, col: Column) -> str:
    """A column as "<table> <column>" ("singer name"), or the column alone when it already says
    the table ("customer details" of customers)."""
    phrase = cp(col.name)
    table = _one(t)
    return phrase if set(table.lower().split()) & set(phrase.lower().split()) else f"{table} {phrase}"


def join_columns(ctx: Context) -> Result:
    """Columns from both sides of a foreign key ("the song titles and singer names")."""
    edges = [e for e in ctx.edges if e[0] is not e[2] and e[2].text and e[0].text]
    joined = _joined(ctx, edges)
    if joined is None:
        return None
    child, parent, frm, c, p = joined
    q = _say(ctx, ["What are the {oc} and {op} of all {CT}?", "Show the {cl} of each {ct} and the {pl} of its {pt}.",
                   "List every {ct}'s {cl} together with its {pt}'s {pl}.", "For each {ct}, give its {cl} and the {pl} of the {pt}."],
             ct=_one(child), CT=_many(child), cl=cp(child.label.name), pt=_one(parent), pl=cp(parent.label.name),
             oc=_owned(child, child.label), op=_owned(parent, parent.label))
    return q, f"SELECT {ctx.col(child.label, c)}, {ctx.col(parent.label, p)} FROM {frm}"


def join_superlative(ctx: Context) -> Result:
    """A name from one table ranked by a number of the table it joins ("the employee with the highest bonus")."""
    joined = _joined(ctx)
    if joined is None:
        return None
    child, parent, frm, c, p = joined
    if child.numbers and (not parent.numbers or ctx.rng.random() < 0.6):
        shown, shown_alias, ranked, ranked_alias = parent, p, ctx.pick(child.numbers), c
    elif parent.numbers and child.text:
        shown, shown_alias, ranked, ranked_alias = child, c, ctx.pick(parent.numbers), p
    else:
        return None
    high = ctx.rng.random() < 0.65
    if ctx.rng.random() < 0.35:
        way = "in descending order of {c}" if high else "in ascending order of {c}"
        q = _say(ctx, ["List the {l}s of {T} " + way + ".", "Show the {l} of the {T} ordered by {c}" + (" descending." if high else "."),
                       "What are the {l}s of the {T}, sorted by {c}" + (" from highest to lowest?" if high else "?")],
                 l=cp(shown.label.name), T=_many(shown), c=cp(ranked.name))
        return q, (f"SELECT {ctx.col(shown.label, shown_alias)} FROM {frm} ORDER BY {ctx.col(ranked, ranked_alias)}"
                   + (" DESC" if high else ""))
    q = _say(ctx, ["What is the {l} of the {t} with the " + ("highest" if high else "lowest") + " {c}?",
                   "Which {t} has the " + ("largest" if high else "smallest") + " {c}?",
                   "Find the {l} of the {t} that got the " + ("highest" if high else "lowest") + " {c}."],
             l=cp(shown.label.name), t=_one(shown), c=cp(ranked.name))
    return q, (f"SELECT {ctx.col(shown.label, shown_alias)} FROM {frm} ORDER BY {ctx.col(ranked, ranked_alias)} "
               f"{'DESC' if high else 'ASC'} LIMIT 1")


def has_children(ctx: Context) -> Result:
    """Rows that appear on the other side of a foreign key ("students who have a pet")."""
    joined = _joined(ctx)
    if joined is None:
        return None
    child, parent, frm, _c, p = joined
    q = _say(ctx, ["Which {PT} have {CT}?", "List the {pl}s of {PT} that have at least one {ct}.",
                   "Show the distinct {pl} of the {PT} with any {CT}.", "Find the {PT} who have {CT}."],
             PT=_many(parent), CT=_many(child), ct=_one(child), pl=cp(parent.label.name))
    return q, f"SELECT DISTINCT {ctx.col(parent.label, p)} FROM {frm}"


def join_child_filter(ctx: Context) -> Result:
    """A filter on one table, the answer from the table it joins: names by a child's value, or a
    child's total for the parents with a value."""
    edges = [e for e in ctx.edges if e[0] is not e[2] and e[2].text]
    joined = _joined(ctx, edges)
    if joined is None:
        return None
    child, parent, frm, c, p = joined
    if child.numbers and parent.categories and ctx.rng.random() < 0.5:
        col, where = ctx.pick(child.numbers), ctx.pick(parent.categories)
        value = _value(ctx, parent, where)
        if value is None:
            return None
        fn, word = ctx.rng.choice([("SUM", "total"), ("AVG", "average"), ("MAX", "maximum")])
        q = _say(ctx, ["What is the {wc} of {CT} of the {PT} whose {f} is {v}?", "Find the {wc} of all {CT} for {PT} with {f} {v}.",
                       "Show the {wc} of the {CT} of {PT} that have {f} {v}."],
                 wc=_of(word, cp(col.name)), CT=_many(child), PT=_many(parent), f=cp(where.name), v=_shown(ctx, value))
        return q, f"SELECT {fn}({ctx.col(col, c)}) FROM {frm} WHERE {ctx.col(where, p)} = {ctx.literal(value, where)}"
    where = ctx.pick(child.categories)
    if where is None:
        return None
    value = _value(ctx, child, where)
    if value is None:
        return None
    q = _say(ctx, ["Which {PT} have {CT} with {f} {v}?", "List the {pl}s of {PT} that have a {ct} whose {f} is {v}.",
                   "Find the distinct {pl} of {PT} with at least one {ct} of {f} {v}."],
             PT=_many(parent), CT=_many(child), ct=_one(child), pl=cp(parent.label.name), f=cp(where.name), v=_shown(ctx, value))
    return q, f"SELECT DISTINCT {ctx.col(parent.label, p)} FROM {frm} WHERE {ctx.col(where, c)} = {ctx.literal(value, where)}"


def date_extreme(ctx: Context) -> Result:
    """Earliest/latest (oldest/youngest for a birth date) by a date column."""
    t = ctx.pick([t for t in ctx.tables if t.dates and t.text])
    if t is None:
        return None
    col = ctx.pick(t.dates)
    first = ctx.rng.random() < 0.5
    birth = "birth" in col.name.lower() or "dob" in col.name.lower()
    word = ("oldest" if first else "youngest") if birth else ctx.rng.choice(["earliest", "first"] if first else ["latest", "most recent"])
    if birth:
        phrasings = ["Who is the " + word + " {t}?", "What is the {l} of the " + word + " {t}?", "Find the " + word + " {t}."]
    else:
        phrasings = ["Which {t} has the " + word + " {c}?", "What is the {l} of the {t} with the " + word + " {c}?",
                     "Find the " + word + " {t} by {c}."]
    q = _say(ctx, phrasings, t=_one(t), l=cp(t.label.name), c=cp(col.name))
    return q, f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} ORDER BY {ctx.col(col)} {'ASC' if first else 'DESC'} LIMIT 1"


FAMILIES: dict[str, Family] = {
    "list-column": list_column, "filter-value": filter_value, "count-all": count_all, "count-filter": count_filter,
    "distinct": distinct_values, "count-distinct": count_distinct, "contains": contains_word, "max-min": max_min,
    "average": average_of, "top-n": top_n, "highest": highest_one, "between": between, "above-average": above_average,
    "group-count": group_count, "most-common": most_common, "join-name-filter": join_name_filter,
    "join-name-count": join_name_count, "count-for-each": count_for_each, "most-children": most_children,
    "at-least": at_least, "not-in": not_in, "average-for-each": average_for_each, "parent-attribute": parent_attribute,
    "bridge": bridge_filter, "compare-number": compare_number, "count-compare": count_compare,
    "not-equal": not_equal, "either-value": either_value, "two-columns": two_columns, "ordered-list": ordered_list,
    "aggregate-filter": aggregate_filter, "several-aggregates": several_aggregates, "group-aggregate": group_aggregate,
    "several-columns": several_columns, "implicit-filter": implicit_filter, "join-columns": join_columns,
    "join-superlative": join_superlative, "has-children": has_children, "join-child-filter": join_child_filter,
    "date-extreme": date_extreme,
}

# Families that never reach training: the held-out test split (split by family).
HELD_OUT = ("count-distinct", "above-average", "parent-attribute")
# Families that reach the validation split only: validation loss on shapes the run never
# trains on is what early stopping watches, so drilling the trained shapes cannot pass for
# progress (the loss on the trained families keeps falling long after the rest stops gaining).
VALIDATION_ONLY = ("either-value", "several-aggregates", "count-compare")

# Families whose answer is a count or an aggregate: one row always; the first value must be non-zero.
NONZERO = frozenset({"count-filter", "join-name-count", "bridge", "count-compare", "either-value", "implicit-filter"})
