""""For each <thing>" grouped by that thing's table, joined when the candidate lacks it.

"What is the total payment amount taken by each store?" answered ``SELECT SUM(amount) FROM
payment``: no column of ``payment`` is called "store", but a table is, two foreign keys away
(``payment -> staff -> store``). The variant joins it (``attach``), groups by its primary key and
selects its label (``named_key.label_column``; the key when it has none) beside the candidate's
aggregates (``COUNT(*)`` when the question counts and the candidate has none).
``intent.group_repairs`` covers the case of a column of the candidate's own table; ``ask``
validates, runs and ranks each variant with the other candidates.
"""

from __future__ import annotations

from sqlglot import exp

from ..sql.catalog import Catalog
from .attach import attach, tables_called
from .intent import AGGREGATES, Expectations, group_nouns, groups_by_noun, singular
from .named_key import label_column


def grouped_by_each(tree: exp.Expression | None, wanted: Expectations, catalog: Catalog) -> list[exp.Expression]:
    """The variant of ``tree`` grouped by the table the question's "each" noun names (see the
    module docstring); empty when the question groups by nothing or ``tree`` already groups so."""
    if not isinstance(tree, exp.Select) or not wanted.group:
        return []
    nouns = [singular(n) for n in group_nouns(wanted.text)]
    if not nouns or (tree.args.get("group") is not None and groups_by_noun(tree, nouns)):
        return []
    aggregates = [item.copy() for item in tree.expressions if item.find(*AGGREGATES.values()) is not None]
    if not aggregates:
        if "count" not in wanted.aggregates:
            return []
        aggregates = [exp.Count(this=exp.Star())]
    for noun in nouns:
        for goal in tables_called(catalog, noun):
            table = catalog.tables[goal]
            if len(table.primary_key) != 1:
                continue
            attached = attach(tree, goal, catalog)
            if attached is None:
                continue
            out, qualifier = attached
            key = exp.column(table.columns[table.primary_key[0]].name, table=qualifier)
            label = label_column(table)
            shown = exp.column(label, table=qualifier) if label is not None else key.copy()
            out.set("expressions", [shown, *aggregates])
            out.set("group", exp.Group(expressions=[key]))
            out.set("having", None)
            out.set("distinct", None)
            if not wanted.ranking:
                out.set("order", None)
                out.set("limit", None)
            return [out]
    return []
