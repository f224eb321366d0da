"""Multi-table synthesis templates: joins along foreign keys (1-3 hops), IN / NOT IN /
EXISTS subqueries, set operations and CTEs. Same contract as ``synth_templates``."""

from __future__ import annotations

from collections.abc import Callable

from ..server.sql.catalog import ForeignKey
from .phrasing import column_phrase as cp
from .phrasing import table_phrase, value_phrase
from .synth import Context, TableInfo
from .synth_templates import Result, labels, pick_table, say

# --------------------------------------------------------------------------- joins


def _edge(ctx: Context) -> tuple[TableInfo, ForeignKey, TableInfo] | None:
    return ctx.pick(ctx.edges)


def join_one(ctx: Context) -> Result:
    edge = _edge(ctx)
    if edge is None:
        return None
    child, fk, parent = edge
    taken: set[str] = set()
    c, p = ctx.alias(child, taken), ctx.alias(parent, taken)
    on = f"{ctx.col(child.table.columns[fk.columns[0]], c)} = {ctx.col(ctx.ref_column(fk, parent), p)}"  # type: ignore[arg-type]
    base = f"FROM {ctx.name(child)} AS {c} JOIN {ctx.name(parent)} AS {p} ON {on}"
    C, P, one = table_phrase(child.table.name), table_phrase(parent.table.name, False), table_phrase(child.table.name, False)
    roll = ctx.rng.random()
    if roll < 0.4:
        q = say(ctx, ["for each {o}, show its {cc} and the {pc} of its {P}.", "list {C} with the {pc} of their {P}.", "show every {o}'s {cc} together with its {P}'s {pc}."],
                 o=one, C=C, P=P, cc=cp(child.label.name), pc=cp(parent.label.name))
        return q, f"SELECT {ctx.col(child.label, c)}, {ctx.col(parent.label, p)} {base}"
    if roll < 0.7:
        value = ctx.value(parent, parent.label)
        if value is None:
            return None
        q = say(ctx, ["find the {C} of the {P} whose {pc} is {v}.", "which {C} belong to the {P} with {pc} {v}?"],
                 C=C, P=P, pc=cp(parent.label.name), v=value_phrase(value))
        return q, f"SELECT {ctx.col(child.label, c)} {base} WHERE {ctx.col(parent.label, p)} = {ctx.literal(value, parent.label)}"
    q = say(ctx, ["how many {C} does each {P} have?", "count the {C} per {P}.", "for every {P}, give its number of {C}."], C=C, P=P)
    return q, f"SELECT {ctx.col(parent.label, p)}, COUNT(*) {base} GROUP BY {ctx.col(parent.label, p)}"


def join_path(ctx: Context) -> Result:
    """Two or three hops along foreign keys, in either direction."""
    start = ctx.pick(ctx.tables)
    if start is None:
        return None
    hops = ctx.rng.choice([2, 2, 3])
    path, used = [start], {start.key}
    taken: set[str] = set()
    aliases = [ctx.alias(start, taken)]
    joins = []
    for _ in range(hops):
        here = path[-1]
        options = [(c, fk, p, p) for c, fk, p in ctx.edges if c.key == here.key and p.key not in used] + \
                  [(c, fk, p, c) for c, fk, p in ctx.edges if p.key == here.key and c.key not in used]
        step = ctx.pick(options)
        if step is None:
            break
        child, fk, parent, nxt = step
        alias = ctx.alias(nxt, taken)
        a_child = aliases[-1] if child.key == here.key else alias
        a_parent = alias if child.key == here.key else aliases[-1]
        on = f"{ctx.col(child.table.columns[fk.columns[0]], a_child)} = {ctx.col(ctx.ref_column(fk, parent), a_parent)}"  # type: ignore[arg-type]
        joins.append(f"JOIN {ctx.name(nxt)} AS {alias} ON {on}")
        path.append(nxt)
        used.add(nxt.key)
        aliases.append(alias)
    if len(path) < 3:
        return None
    first, last = path[0], path[-1]
    via = " and ".join(table_phrase(t.table.name) for t in path[1:-1])
    q = say(ctx, ["list each {f}'s {fc} with the {lc} of the related {l} (through {via}).",
                   "for every {f}, show its {fc} and the {lc} of its {l}, going through {via}.",
                   "show {fc} of {F} alongside the {lc} of the linked {l} via {via}."],
             f=table_phrase(first.table.name, False), F=table_phrase(first.table.name), fc=cp(first.label.name),
             lc=cp(last.label.name), l=table_phrase(last.table.name, False), via=via)
    sql = f"SELECT {ctx.col(first.label, aliases[0])}, {ctx.col(last.label, aliases[-1])} FROM {ctx.name(first)} AS {aliases[0]} " + " ".join(joins)
    return q, sql


# --------------------------------------------------------------------------- subqueries, sets, CTEs


def in_subquery(ctx: Context) -> Result:
    edge = _edge(ctx)
    if edge is None:
        return None
    child, fk, parent = edge
    ref, col = ctx.ref_column(fk, parent), child.table.columns[fk.columns[0]]
    P, C = table_phrase(parent.table.name), table_phrase(child.table.name)
    roll = ctx.rng.random()
    taken: set[str] = set()
    p, c = ctx.alias(parent, taken), ctx.alias(child, taken)
    sel = labels(ctx, parent, p)[0]
    if roll < 0.35:
        q = say(ctx, ["which {P} have at least one {c}?", "list the {P} that appear in {C}.", "show {P} with any {C}."], P=P, C=C, c=table_phrase(child.table.name, False))
        return q, f"SELECT {sel} FROM {ctx.name(parent)} AS {p} WHERE {ctx.col(ref, p)} IN (SELECT {ctx.col(col, c)} FROM {ctx.name(child)} AS {c})"  # type: ignore[arg-type]
    if roll < 0.7:
        q = say(ctx, ["which {P} have no {C}?", "list the {P} without any {C}.", "find {P} that never appear in {C}."], P=P, C=C)
        return q, (f"SELECT {sel} FROM {ctx.name(parent)} AS {p} WHERE {ctx.col(ref, p)} NOT IN "  # type: ignore[arg-type]
                   f"(SELECT {ctx.col(col, c)} FROM {ctx.name(child)} AS {c} WHERE {ctx.col(col, c)} IS NOT NULL)")
    other = ctx.pick([c for c in child.categories + child.numbers if c is not col])
    value = ctx.value(child, other) if other is not None else None
    if value is None:
        return None
    q = say(ctx, ["which {P} have a {c} whose {oc} is {v}?", "list {P} with at least one {c} where {oc} is {v}."],
             P=P, c=table_phrase(child.table.name, False), oc=cp(other.name), v=value_phrase(value))
    return q, (f"SELECT {labels(ctx, parent, p)[0]} FROM {ctx.name(parent)} AS {p} WHERE EXISTS (SELECT 1 FROM {ctx.name(child)} AS {c} "
               f"WHERE {ctx.col(col, c)} = {ctx.col(ref, p)} AND {ctx.col(other, c)} = {ctx.literal(value, other)})")  # type: ignore[arg-type]


def set_operation(ctx: Context) -> Result:
    """Parents referenced from two child tables (union / intersect / except), else one table's filters."""
    pairs = [(a, fa, b, fb, p) for a, fa, p in ctx.edges for b, fb, p2 in ctx.edges if p2.key == p.key and a.key < b.key]
    pick = ctx.pick(pairs)
    kinds = ["UNION", "INTERSECT", "EXCEPT"] if ctx.intersect else ["UNION"]
    op = ctx.rng.choice(kinds)
    if pick is not None:
        a, fa, b, fb, parent = pick
        ca, cb = a.table.columns[fa.columns[0]], b.table.columns[fb.columns[0]]
        A, B, P = table_phrase(a.table.name), table_phrase(b.table.name), table_phrase(parent.table.name, False)
        word = {"UNION": "either {A} or {B}", "INTERSECT": "both {A} and {B}", "EXCEPT": "{A} but not in {B}"}[op].format(A=A, B=B)
        q = say(ctx, ["which {P} {ids} appear in {w}?", "list the {P} {ids} found in {w}."], P=P, ids="IDs", w=word)
        return q, f"SELECT {ctx.col(ca)} FROM {ctx.name(a)} {op} SELECT {ctx.col(cb)} FROM {ctx.name(b)}"
    t = pick_table(ctx, "categories")
    if t is None or not t.numbers:
        return None
    cat, num = ctx.pick(t.categories), ctx.pick(t.numbers)
    v, w = ctx.value(t, cat), ctx.value(t, num)
    if v is None or w is None:
        return None
    joiner = {"UNION": "or", "INTERSECT": "and also", "EXCEPT": "but not"}[op]
    q = say(ctx, ["list the {l} of {T} with {c} {v} {j} with {n} above {w}."], l=cp(t.label.name), T=table_phrase(t.table.name),
             c=cp(cat.name), v=value_phrase(v), j=joiner, n=cp(num.name), w=w)
    return q, (f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {ctx.col(cat)} = {ctx.literal(v, cat)} {op} "
               f"SELECT {ctx.col(t.label)} FROM {ctx.name(t)} WHERE {ctx.col(num)} > {ctx.literal(w, num)}")


def cte(ctx: Context) -> Result:
    edge = _edge(ctx)
    if edge is None:
        return None
    child, fk, parent = edge
    col, ref = child.table.columns[fk.columns[0]], ctx.ref_column(fk, parent)
    name = ctx.ident(f"{child.table.name.lower()}_counts")
    n = ctx.ident("n")
    taken = {"n", f"{child.table.name.lower()}_counts"}
    p = ctx.alias(parent, taken)
    C, P = table_phrase(child.table.name), table_phrase(parent.table.name)
    q = say(ctx, ["using a count of {C} per {p}, list the {P} with how many {C} each has, most first.",
                   "first count the {C} of each {p}, then show the {P} and their counts from the largest."],
             C=C, P=P, p=table_phrase(parent.table.name, False))
    return q, (f"WITH {name} AS (SELECT {ctx.col(col)} AS ref_id, COUNT(*) AS {n} FROM {ctx.name(child)} GROUP BY {ctx.col(col)}) "
               f"SELECT {ctx.col(parent.label, p)}, {name}.{n} FROM {ctx.name(parent)} AS {p} JOIN {name} ON {name}.ref_id = {ctx.col(ref, p)} "  # type: ignore[arg-type]
               f"ORDER BY {name}.{n} DESC")


JOIN_TEMPLATES: tuple[tuple[str, Callable[[Context], Result]], ...] = (
    ("join_one", join_one), ("join_path", join_path), ("in_subquery", in_subquery),
    ("set_operation", set_operation), ("cte", cte),
)
