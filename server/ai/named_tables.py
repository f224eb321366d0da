"""A table the question names, joined when the candidate does not read it.

"What are the names of poker players?" answered ``SELECT name FROM people``: the question
names ``poker_player`` (``intent.tables_named``: every word of its name), so the variant joins
it along the foreign keys (``attach``): only people who are poker players remain. "The students
who have pets" joins ``has_pet`` the same way, "how many copies ... does the inventory hold"
counts ``inventory`` rows. ``ask`` validates, runs and ranks each variant with the other
candidates; ``intent.fit`` counts each named table a candidate reads in its favour.
"""

from __future__ import annotations

from sqlglot import exp

from ..sql.catalog import Catalog
from .attach import attach, sources
from .intent import Expectations, name_parts

MAX_TABLES = 2


def named_tables_joined(tree: exp.Expression | None, wanted: Expectations, catalog: Catalog) -> list[exp.Expression]:
    """Variants of ``tree`` that read the tables the question names and ``tree`` does not: one
    per table, and one with all of them when there are several; empty when it reads them all."""
    if not isinstance(tree, exp.Select) or not wanted.named_tables or wanted.negation:
        return []  # "whose courses have not been arranged": a join would keep what NOT IN drops
    known = sources(tree, catalog)
    keys = {t.name.lower(): k for k, t in catalog.tables.items()}
    read = [set(name_parts(catalog.tables[k].name)) for k in known]
    # a table whose words a table the query reads already says ("pets": ``Has_Pet`` beside ``Pets``) is that one
    missing = [keys[n.lower()] for n in wanted.named_tables if n.lower() in keys and keys[n.lower()] not in known
               and not any(set(name_parts(n)) <= words for words in read)]
    if not missing or len(missing) > MAX_TABLES:
        return []
    out: list[exp.Expression] = []
    for goal in missing:
        attached = attach(tree, goal, catalog)
        if attached is not None:
            out.append(attached[0])
    if len(missing) > 1:
        every: exp.Select | None = tree
        for goal in missing:
            attached = attach(every, goal, catalog) if every is not None else None
            every = attached[0] if attached is not None else None
        if every is not None:
            out.append(every)
    return out
