"""A foreign key selected where the question asks for the thing it points at: its name instead.

"In which language is the film ACADEMY DINOSAUR?" answered ``SELECT language_id FROM film WHERE
...``: the question names the language, not its key, so the variant joins ``language`` along
that foreign key (``attach``) and selects its label column (``name``, ``title``, ... or its
first text column). Only when the question names the referenced table ("language") and asks
for no ids or codes (``intent.Expectations.wants_key``). ``ask`` validates, runs and ranks each
variant with the other candidates; ``intent.fit`` counts a key nobody asked for against a candidate.
"""

from __future__ import annotations

import re

from sqlglot import exp

from ..sql.catalog import Catalog, Table
from ..sql.scratch import family
from .attach import attach, owners, sources
from .intent import Expectations, singular, table_nouns

_LABEL = re.compile(r"name|title|label", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")


def label_column(table: Table) -> str | None:
    """The column that names a row of ``table``: one called like a name or title, else its
    first text column that is not a key."""
    keys = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
    text = [k for k, c in table.columns.items() if k not in keys and family(c.type) == "text"]
    named = [k for k in text if _LABEL.search(table.columns[k].name)]
    pick = (named or text or [None])[0]
    return table.columns[pick].name if pick is not None else None


def named_keys(tree: exp.Expression | None, wanted: Expectations, catalog: Catalog) -> list[exp.Expression]:
    """``tree`` with each selected foreign key whose table the question names replaced by that
    table's label (the table joined); empty when there is none."""
    if wanted.wants_key or not isinstance(tree, exp.Select) or tree.args.get("group") is not None:
        return []
    words = {singular(w) for w in _WORD.findall(wanted.text)}
    out: exp.Select = tree
    changed = False
    for index, item in enumerate(tree.expressions):
        inner = item.unalias()
        if not isinstance(inner, exp.Column) or not inner.name:
            continue
        found = owners(inner, sources(out, catalog), catalog)
        if len(found) != 1:
            continue
        table = catalog.tables[found[0]]
        key = table.find_column(inner.name)
        fk = next((f for f in table.foreign_keys if f.columns == (key,) and f.ref_table in catalog.tables), None)
        if fk is None or fk.ref_table == found[0]:
            continue
        ref = catalog.tables[fk.ref_table]
        nouns = set(table_nouns(ref.name))
        stem = [singular(w) for w in _WORD.findall(inner.name.lower()) if w != "id"]
        if not (nouns & words or (stem and all(w in words for w in stem))):
            continue
        label = label_column(ref)
        if label is None:
            continue
        attached = attach(out, fk.ref_table, catalog)
        if attached is None:
            continue
        out, qualifier = attached
        out.expressions[index].replace(exp.column(label, qualifier))
        changed = True
    return [out] if changed else []
