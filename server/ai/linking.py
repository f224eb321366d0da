"""Schema linking: the tables a question needs, the foreign-key paths between them, and
nothing else, rendered as compact DDL under a token budget.

A small model picks the wrong table when the prompt shows it twenty; it picks the right one
when it sees the three the question is about. ``link_schema`` scores every table by how
directly the question points at it:

- the table is named (``films`` -> ``film``, ``film categories`` -> ``film_category``, small
  typos), or the statement being written names it;
- a column of it is named (``rental rate`` -> ``film.rental_rate``; ``email``);
- a value of it is mentioned (``Comedy`` -> ``category.name``, from ``grounding``);

then keeps the tables that are pointed at (*seeds*), adds the tables on the shortest
foreign-key paths between seeds (the bridge ``film_category`` between ``film`` and
``category``), then foreign-key neighbours of the seeds while the budget and the table cap
allow. Views and partitions / inheritance children are left out unless the question
names them: models copy a view (``sales_by_film_category``) instead of answering, and a
partition (``payment_p2007_01``) holds a fraction of its parent's rows. With no seed at
all it falls back to :func:`~.schema_slice.slice_schema`'s ranking.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable, Sequence

from ..sql.catalog import Catalog, Table
from .grounding import ValueMatch
from .schema_slice import (
    SCORE_COLUMN,
    SCORE_IN_QUESTION,
    SCORE_IN_STATEMENT,
    SCORE_PARTIAL,
    SchemaSlice,
    _question_words,
    _statement_tables,
    _table_question_score,
    _variants,
    estimate_tokens,
    rendered_tables,
    slice_schema,
)

DEFAULT_LINK_BUDGET = 700
MAX_TABLES = 6
MAX_PATH_HOPS = 3
SCORE_VALUE = 50.0
SCORE_COLUMN_PHRASE = 2 * SCORE_COLUMN


def hidden(table: Table) -> bool:
    """A table the model should see only when asked for by name: views, partitions."""
    return table.kind == "view" or bool(table.parents)


def direct_scores(catalog: Catalog, question: str, matches: Iterable[ValueMatch] = (), statement: str = "") -> dict[str, float]:
    """How directly the question (and statement) point at each table, FK neighbours not
    counted."""
    scores = {key: 0.0 for key in catalog.tables}
    for key in _statement_tables(statement, catalog):
        scores[key] += SCORE_IN_STATEMENT
    words = _question_words(question)
    if words:
        joined = " ".join(words)
        word_set = {v for w in words for v in _variants(w)}
        names = sorted({t.name.lower() for t in catalog.tables.values()})
        fuzzy = {m for w in word_set if len(w) > 3 for m in difflib.get_close_matches(w, names, n=3, cutoff=0.85)}
        padded = f" {joined} "
        for key, table in catalog.tables.items():
            scores[key] += _table_question_score(table, word_set, joined, fuzzy)
            scores[key] += _column_score(table, word_set, padded)
    for match in matches:
        if match.table_key in scores:
            scores[match.table_key] += SCORE_VALUE * match.score
    return scores


def _column_score(table: Table, word_set: set[str], padded: str) -> float:
    """Columns the question names: a multi-word column as its words (``rental rate``),
    a one-word column as itself; ``id`` and ``*_id`` never count."""
    total = 0.0
    for column in table.columns.values():
        name = column.name.lower()
        if name == "id" or name.endswith("_id"):
            continue
        parts = [p for p in name.split("_") if p]
        if len(parts) > 1 and f" {' '.join(parts)} " in padded:
            total += SCORE_COLUMN_PHRASE
        elif len(name) > 2 and name in word_set:
            total += SCORE_COLUMN
    return min(total, 3 * SCORE_COLUMN_PHRASE)


def _graph(catalog: Catalog, allowed: set[str]) -> dict[str, set[str]]:
    """Undirected foreign-key adjacency between ``allowed`` tables."""
    graph: dict[str, set[str]] = {key: set() for key in allowed}
    for key in allowed:
        for fk in catalog.tables[key].foreign_keys:
            if fk.ref_table in allowed and fk.ref_table != key:
                graph[key].add(fk.ref_table)
                graph[fk.ref_table].add(key)
    return graph


def _path(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """The shortest path from ``start`` to ``goal`` (at most ``MAX_PATH_HOPS`` edges)."""
    previous: dict[str, str | None] = {start: None}
    queue: deque[tuple[str, int]] = deque([(start, 0)])
    while queue:
        node, depth = queue.popleft()
        if node == goal:
            path = [node]
            while previous[path[-1]] is not None:
                path.append(previous[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        if depth >= MAX_PATH_HOPS:
            continue
        for nxt in sorted(graph.get(node, ())):
            if nxt not in previous:
                previous[nxt] = node
                queue.append((nxt, depth + 1))
    return None


def join_path(catalog: Catalog, starts: Iterable[str], goal: str) -> list[str] | None:
    """The table keys of the shortest foreign-key path from one of ``starts`` to ``goal``
    (both included; at most ``MAX_PATH_HOPS`` joins; ties: the first start in sorted order),
    over every table of ``catalog``."""
    begins = sorted(s for s in starts if s in catalog.tables)
    if not begins or goal not in catalog.tables:
        return None
    graph = _graph(catalog, set(catalog.tables))
    paths = [p for p in (_path(graph, start, goal) for start in begins) if p is not None]
    return min(paths, key=len, default=None)


def link_schema(
    catalog: Catalog,
    question: str,
    matches: Sequence[ValueMatch] = (),
    statement: str = "",
    budget_tokens: int = DEFAULT_LINK_BUDGET,
    max_tables: int = MAX_TABLES,
    min_neighbour: float = 0.0,
) -> SchemaSlice:
    """The tables to show the model for ``question``, in catalog order, under the budget."""
    rendered = rendered_tables(catalog)
    direct = direct_scores(catalog, question, matches, statement)
    visible = {k for k, t in catalog.tables.items() if not hidden(t) or direct[k] >= SCORE_IN_QUESTION * 0.8}
    seeds = sorted((k for k in visible if direct[k] >= SCORE_PARTIAL), key=lambda k: (-direct[k], k))  # ties: by name, not by set order
    if not seeds:
        return slice_schema(catalog, statement, question, budget_tokens)
    chosen: list[str] = []
    used = 0

    def take(key: str) -> bool:
        nonlocal used
        if key in chosen:
            return True
        cost = estimate_tokens(rendered[key]) + 1
        if len(chosen) >= max_tables or (chosen and used + cost > budget_tokens):
            return False
        chosen.append(key)
        used += cost
        return True

    graph = _graph(catalog, visible)
    take(seeds[0])
    for seed in seeds[1:]:
        path = _path(graph, seed, chosen[0])
        if path is None and direct[seed] < SCORE_IN_QUESTION:
            continue  # only a value or a column points at it, and it joins nothing chosen
        for key in path or [seed]:
            take(key)
    neighbours = sorted(
        {n for seed in chosen for n in graph.get(seed, ())} - set(chosen),
        key=lambda k: (-direct[k], k),
    )
    for key in neighbours:
        if direct[key] > min_neighbour:
            take(key)
    order = {key: i for i, key in enumerate(catalog.tables)}
    keys = tuple(sorted(chosen, key=order.__getitem__))
    ddl = "\n".join(rendered[key] for key in keys)
    return SchemaSlice(keys, ddl, estimate_tokens(ddl), len(keys) == len(catalog.tables))
