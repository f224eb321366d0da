"""Single-table synthesis templates: one function per query shape, several phrasings each.

Each template draws tables, columns and values from a ``synth.Context`` with its seeded
random generator and returns ``(question, sql)``, or None when the catalog has nothing it
can use (no numeric column, no foreign key...).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..server.sql.catalog import Column
from .phrasing import column_phrase as cp
from .phrasing import flag_phrase, table_phrase, value_phrase
from .synth import Context, TableInfo

Result = tuple[str, str] | None


def say(ctx: Context, phrasings: list[str], **slots: object) -> str:
    text = ctx.rng.choice(phrasings).format(**slots)
    text = re.sub(r"\b([Aa]) (?=[aeioAEIO])", r"\1n ", text)
    return text[0].upper() + text[1:]


def pick_table(ctx: Context, need: str | None = None) -> TableInfo | None:
    choices = [t for t in ctx.tables if need is None or getattr(t, need)]
    return ctx.pick(choices)


def labels(ctx: Context, info: TableInfo, alias: str | None = None, extra: Column | None = None) -> tuple[str, str]:
    cols = [info.label] + ([extra] if extra is not None and extra is not info.label else [])
    return ", ".join(ctx.col(c, alias) for c in cols), " and ".join(cp(c.name) for c in cols)


# --------------------------------------------------------------------------- basic SQL


def select_columns(ctx: Context) -> Result:
    t = pick_table(ctx)
    if t is None:
        return None
    cols = list(t.table.columns.values())
    chosen = sorted(ctx.rng.sample(cols, min(len(cols), ctx.rng.randint(1, 3))), key=cols.index)
    words = ", ".join(cp(c.name) for c in chosen[:-1]) + (" and " if len(chosen) > 1 else "") + cp(chosen[-1].name)
    q = say(ctx, ["list the {w} of all {T}.", "show every {t}'s {w}.", "what are the {w} of each {t}?", "give me the {w} for all {T}."],
             w=words, T=table_phrase(t.table.name), t=table_phrase(t.table.name, False))
    return q, f"SELECT {', '.join(ctx.col(c) for c in chosen)} FROM {ctx.name(t)}"


def filter_text(ctx: Context) -> Result:
    t = pick_table(ctx, "text")
    if t is None:
        return None
    col = ctx.pick(t.categories or t.text)
    value = ctx.value(t, col)
    if value is None:
        return None
    sel, words = labels(ctx, t)
    q = say(ctx, ["which {T} have {c} {v}?", "find the {T} whose {c} is {v}.", "list the {w} of {T} with a {c} of {v}.", "show {T} where the {c} equals {v}."],
             T=table_phrase(t.table.name), c=cp(col.name), v=value_phrase(value), w=words)
    return q, f"SELECT {sel} FROM {ctx.name(t)} WHERE {ctx.col(col)} = {ctx.literal(value, col)}"


def filter_number(ctx: Context) -> Result:
    t = pick_table(ctx, "numbers")
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    value = ctx.value(t, col)
    if value is None:
        return None
    above = ctx.rng.random() < 0.6
    op, word = (">", ctx.rng.choice(["greater than", "above", "more than", "over"])) if above else ("<", ctx.rng.choice(["less than", "below", "under"]))
    sel, words = labels(ctx, t, extra=col)
    q = say(ctx, ["which {T} have a {c} {word} {v}?", "list the {w} of {T} whose {c} is {word} {v}.", "show {T} with {c} {word} {v}."],
             T=table_phrase(t.table.name), c=cp(col.name), word=word, v=value, w=words)
    return q, f"SELECT {sel} FROM {ctx.name(t)} WHERE {ctx.col(col)} {op} {ctx.literal(value, col)}"


def filter_date(ctx: Context) -> Result:
    t = pick_table(ctx, "dates")
    if t is None:
        return None
    col = ctx.pick(t.dates)
    value = ctx.value(t, col)
    if value is None:
        return None
    day = str(value)[:10]
    after = ctx.rng.random() < 0.5
    word = ctx.rng.choice(["after", "later than", "since"]) if after else ctx.rng.choice(["before", "earlier than"])
    sel, words = labels(ctx, t, extra=col)
    q = say(ctx, ["which {T} have a {c} {word} {d}?", "list {T} with {c} {word} {d}.", "show the {w} of {T} whose {c} is {word} {d}."],
             T=table_phrase(t.table.name), c=cp(col.name), word=word, d=day, w=words)
    return q, f"SELECT {sel} FROM {ctx.name(t)} WHERE {ctx.col(col)} {'>' if after else '<'} '{day}'"


def filter_flag(ctx: Context) -> Result:
    t = pick_table(ctx, "flags")
    if t is None:
        return None
    col = ctx.pick(t.flags)
    sel, _ = labels(ctx, t)
    flag, T = flag_phrase(col.name), table_phrase(t.table.name)
    if ctx.rng.random() < 0.6:
        q = say(ctx, ["list the {f} {T}.", "which {T} are {f}?", "show all {f} {T}."], f=flag, T=T)
        return q, f"SELECT {sel} FROM {ctx.name(t)} WHERE {ctx.col(col)}"
    q = say(ctx, ["which {T} are not {f}?", "list the {T} that are not {f}."], f=flag, T=T)
    return q, f"SELECT {sel} FROM {ctx.name(t)} WHERE NOT {ctx.col(col)}"


def filter_like(ctx: Context) -> Result:
    t = pick_table(ctx, "text")
    if t is None:
        return None
    value = ctx.value(t, t.label)
    if not isinstance(value, str) or len(value) < 3:
        return None
    prefix = value[: ctx.rng.randint(1, 3)].replace("'", "")
    if not prefix or "%" in prefix or "_" in prefix:
        return None
    sel, _ = labels(ctx, t)
    q = say(ctx, ["which {T} have a {c} starting with '{p}'?", "find {T} whose {c} begins with '{p}'."],
             T=table_phrase(t.table.name), c=cp(t.label.name), p=prefix)
    return q, f"SELECT {sel} FROM {ctx.name(t)} WHERE {ctx.col(t.label)} LIKE '{prefix}%'"


def top_k(ctx: Context) -> Result:
    t = pick_table(ctx, "numbers")
    if t is None:
        return None
    col, k = ctx.pick(t.numbers), ctx.rng.choice([1, 3, 5, 10])
    high = ctx.rng.random() < 0.7
    sel, _ = labels(ctx, t, extra=col)
    T, one = table_phrase(t.table.name, k != 1), table_phrase(t.table.name, False)
    if k == 1:
        q = say(ctx, ["which {t} has the {hl} {c}?", "what is the {t} with the {hl} {c}?"], t=one, hl="highest" if high else "lowest", c=cp(col.name))
    else:
        q = say(ctx, ["show the top {k} {T} by {c}.", "which {k} {T} have the {hl} {c}?", "list the {k} {T} with the {hl} {c}."],
                 k=k, T=T, c=cp(col.name), hl="highest" if high else "lowest")
        if "top" in q and not high:
            return None
    return q, f"SELECT {sel} FROM {ctx.name(t)} ORDER BY {ctx.col(col)} {'DESC' if high else 'ASC'} LIMIT {k}"


def distinct_values(ctx: Context) -> Result:
    t = pick_table(ctx, "categories")
    if t is None:
        return None
    col = ctx.pick(t.categories)
    q = say(ctx, ["what are the distinct {c} values of {T}?", "list the different {c}s used by {T}.", "which {c}s appear among the {T}?"],
             c=cp(col.name), T=table_phrase(t.table.name))
    return q, f"SELECT DISTINCT {ctx.col(col)} FROM {ctx.name(t)}"


# --------------------------------------------------------------------------- aggregation


def count_rows(ctx: Context) -> Result:
    t = pick_table(ctx)
    if t is None:
        return None
    T = table_phrase(t.table.name)
    if t.categories and ctx.rng.random() < 0.5:
        col = ctx.pick(t.categories)
        value = ctx.value(t, col)
        if value is not None:
            q = say(ctx, ["how many {T} have {c} {v}?", "count the {T} whose {c} is {v}."], T=T, c=cp(col.name), v=value_phrase(value))
            return q, f"SELECT COUNT(*) FROM {ctx.name(t)} WHERE {ctx.col(col)} = {ctx.literal(value, col)}"
    q = say(ctx, ["how many {T} are there?", "count the {T}.", "what is the total number of {T}?"], T=T)
    return q, f"SELECT COUNT(*) FROM {ctx.name(t)}"


AGGREGATES = {"AVG": ["average", "mean"], "SUM": ["total", "sum of the"], "MIN": ["lowest", "minimum"], "MAX": ["highest", "maximum"]}


def aggregate(ctx: Context) -> Result:
    t = pick_table(ctx, "numbers")
    if t is None:
        return None
    col, fn = ctx.pick(t.numbers), ctx.rng.choice(list(AGGREGATES))
    q = say(ctx, ["what is the {a} {c} of all {T}?", "compute the {a} {c} across {T}.", "give the {a} {c} over every {t}."],
             a=ctx.rng.choice(AGGREGATES[fn]), c=cp(col.name), T=table_phrase(t.table.name), t=table_phrase(t.table.name, False))
    return q, f"SELECT {fn}({ctx.col(col)}) FROM {ctx.name(t)}"


def group_count(ctx: Context) -> Result:
    t = pick_table(ctx, "categories")
    if t is None:
        return None
    col, T = ctx.pick(t.categories), table_phrase(t.table.name)
    if t.numbers and ctx.rng.random() < 0.5:
        num, fn = ctx.pick(t.numbers), ctx.rng.choice(["AVG", "SUM", "MAX"])
        q = say(ctx, ["what is the {a} {n} of {T} per {c}?", "for each {c}, give the {a} {n} of {T}."],
                 a=AGGREGATES[fn][0], n=cp(num.name), T=T, c=cp(col.name))
        return q, f"SELECT {ctx.col(col)}, {fn}({ctx.col(num)}) FROM {ctx.name(t)} GROUP BY {ctx.col(col)}"
    q = say(ctx, ["how many {T} are there for each {c}?", "count the {T} per {c}.", "break down the number of {T} by {c}."], T=T, c=cp(col.name))
    return q, f"SELECT {ctx.col(col)}, COUNT(*) FROM {ctx.name(t)} GROUP BY {ctx.col(col)}"


def having(ctx: Context) -> Result:
    t = pick_table(ctx, "categories")
    if t is None:
        return None
    col, k = ctx.pick(t.categories), ctx.rng.choice([1, 2, 3])
    q = say(ctx, ["which {c} values have more than {k} {T}?", "list the {c}s shared by more than {k} {T}.", "for which {c} are there over {k} {T}?"],
             c=cp(col.name), k=k, T=table_phrase(t.table.name))
    return q, f"SELECT {ctx.col(col)} FROM {ctx.name(t)} GROUP BY {ctx.col(col)} HAVING COUNT(*) > {k}"


# --------------------------------------------------------------------------- subqueries, windows


def above_average(ctx: Context) -> Result:
    t = pick_table(ctx, "numbers")
    if t is None:
        return None
    col = ctx.pick(t.numbers)
    sel, _ = labels(ctx, t, extra=col)
    q = say(ctx, ["which {T} have a {c} above the average?", "list {T} whose {c} is higher than the average {c}.", "show the {T} with more than the mean {c}."],
             T=table_phrase(t.table.name), c=cp(col.name))
    return q, f"SELECT {sel} FROM {ctx.name(t)} WHERE {ctx.col(col)} > (SELECT AVG({ctx.col(col)}) FROM {ctx.name(t)})"


def window(ctx: Context) -> Result:
    if not ctx.windows:
        return None
    t = pick_table(ctx, "numbers")
    if t is None:
        return None
    num = ctx.pick(t.numbers)
    sel, _ = labels(ctx, t, extra=num)
    T, c = table_phrase(t.table.name), cp(num.name)
    alias = ctx.ident(f"{num.name.lower()}_rank")
    roll = ctx.rng.random()
    if t.categories and roll < 0.35:
        cat = ctx.pick(t.categories)
        q = say(ctx, ["rank the {T} by {c} within each {g}.", "for each {g}, rank {T} from the highest {c}."], T=T, c=c, g=cp(cat.name))
        return q, f"SELECT {sel}, {ctx.col(cat)}, RANK() OVER (PARTITION BY {ctx.col(cat)} ORDER BY {ctx.col(num)} DESC) AS {alias} FROM {ctx.name(t)}"
    if t.dates and roll < 0.7:
        day = ctx.pick(t.dates)
        total = ctx.ident(f"running_{num.name.lower()}")
        q = say(ctx, ["show the running total of {c} over {d}.", "give the cumulative {c} of {T} ordered by {d}."], c=c, d=cp(day.name), T=T)
        return q, f"SELECT {ctx.col(day)}, {ctx.col(num)}, SUM({ctx.col(num)}) OVER (ORDER BY {ctx.col(day)}) AS {total} FROM {ctx.name(t)}"
    q = say(ctx, ["rank the {T} by {c}.", "number the {T} from the highest {c} down.", "give each {t} its rank by {c}."], T=T, c=c, t=table_phrase(t.table.name, False))
    return q, f"SELECT {sel}, RANK() OVER (ORDER BY {ctx.col(num)} DESC) AS {alias} FROM {ctx.name(t)}"


TEMPLATES: tuple[tuple[str, Callable[[Context], Result]], ...] = (
    ("select_columns", select_columns), ("filter_text", filter_text), ("filter_number", filter_number),
    ("filter_date", filter_date), ("filter_flag", filter_flag), ("filter_like", filter_like), ("top_k", top_k),
    ("distinct_values", distinct_values), ("count_rows", count_rows), ("aggregate", aggregate),
    ("group_count", group_count), ("having", having), ("above_average", above_average), ("window", window),
)
