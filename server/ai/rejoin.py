"""Candidate repairs of a query's shape that the model gets wrong in ways the database rejects
or that answer another question:

- **A join that relates nothing** (``JOIN category c ON c.category_id = c.category_id``,
  ``checks.relates_nothing``) or that joins linked tables off their keys (``ON fa.last_update =
  f.last_update``, ``checks.off_key``) is dropped and its table joined again along the foreign keys
  (``attach``), under the same alias, so the rest of the query reads it as before.
- **Columns beside an aggregate without GROUP BY** (``SELECT nationality, COUNT(*) FROM
  people``: PostgreSQL rejects it, SQLite returns one arbitrary row) are grouped by:
  ``GROUP BY nationality``.
- **An aggregate in WHERE** (``WHERE minutes = MAX(minutes)``, which every database rejects)
  is computed over all the rows the query reads: ``WHERE minutes = (SELECT MAX(minutes) FROM
  matches)``.

``ask`` validates, runs and ranks each variant with the other candidates.
"""

from __future__ import annotations

from sqlglot import exp

from ..sql.catalog import Catalog
from ..sql.checks import off_key, relates_nothing
from .attach import attach, sources


def rejoined(tree: exp.Expression | None, catalog: Catalog) -> list[exp.Expression]:
    """``tree`` with each join whose condition relates nothing joined along the foreign keys
    instead; empty when there is none or a table cannot be reached."""
    if not isinstance(tree, exp.Select):
        return []
    joins = tree.args.get("joins") or []
    bad = [i for i, j in enumerate(joins) if j.args.get("on") is not None
           and (relates_nothing(j.args["on"]) or off_key(tree, j.args["on"], catalog))]
    if not bad:
        return []
    out = tree.copy()
    for i in reversed(bad):
        node = out.args["joins"][i].this
        if not isinstance(node, exp.Table):
            return []
        table = catalog.find(node.name, node.db or None)
        if table is None:
            return []
        key, alias = catalog.key_of(table), node.alias_or_name
        out.args["joins"].pop(i)
        if key in sources(out, catalog):
            return []  # a table joined twice: which copy was meant is anyone's guess
        attached = attach(out, key, catalog, alias=alias)
        if attached is None:
            return []
        out = attached[0]
    return [out]


def where_aggregates(tree: exp.Expression | None) -> list[exp.Expression]:
    """``tree`` with each aggregate of its WHERE replaced by a subquery computing it over the
    query's own FROM and JOINs; empty when WHERE holds no aggregate."""
    if not isinstance(tree, exp.Select) or not isinstance(tree.args.get("where"), exp.Where):
        return []
    found = [n for n in tree.args["where"].find_all(exp.AggFunc) if n.find_ancestor(exp.Select) is tree]
    if not found or tree.args.get("from_") is None:
        return []
    out = tree.copy()
    for node in [n for n in out.args["where"].find_all(exp.AggFunc) if n.find_ancestor(exp.Select) is out]:
        inner = exp.Select(expressions=[node.copy()], from_=out.args["from_"].copy(),
                           joins=[j.copy() for j in out.args.get("joins") or []] or None)
        node.replace(exp.Subquery(this=inner))
    return [out]


def grouped_bare_columns(tree: exp.Expression | None) -> list[exp.Expression]:
    """``tree`` grouped by its plain select items when it selects them beside an aggregate
    without GROUP BY; empty otherwise."""
    if not isinstance(tree, exp.Select) or tree.args.get("group") is not None:
        return []
    items = [item.unalias() for item in tree.expressions]
    plain = [i for i in items if i.find(exp.AggFunc) is None and i.find(exp.Column) is not None and not isinstance(i, exp.Star)]
    if not plain or len(plain) == len(items) or any(i.find(exp.Window) is not None for i in items):
        return []
    out = tree.copy()
    out.set("group", exp.Group(expressions=[i.copy() for i in plain]))
    return [out]
