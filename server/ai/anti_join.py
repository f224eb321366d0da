"""Rows that have no related rows, answered with a join: an anti-join repaired.

"Which countries have not a single car maker?" and "teachers whose courses have not been
arranged" ask for rows of one table whose key the related table never holds. The model
often joins the related table and then excludes it::

    SELECT countries.name FROM countries JOIN car_makers AS cm ON cm.country = countries.id
    WHERE NOT cm.country IN (SELECT maker FROM car_makers WHERE NOT maker IS NULL)

Every row the join keeps has a related row, so such a query answers another question (or
none). The variant keeps the table whose columns are shown and asks for the rows whose join
key the related table never holds, over the join's own key columns::

    SELECT countries.name FROM countries
    WHERE NOT countries.id IN (SELECT car_makers.country FROM car_makers
                               WHERE NOT car_makers.country IS NULL)

(one NULL in the list makes ``NOT IN`` match nothing, hence the ``IS NULL`` test). The
subquery's own conditions on the related table are kept ("not directed by Ben Jones").
``checks.excluded_join`` is the shape itself; ``intent.fit`` counts it against a candidate for
a question that negates, and ``ask`` validates, runs and ranks the variant with the others.
"""

from __future__ import annotations

from sqlglot import exp

from ..sql.catalog import Catalog
from ..sql.checks import excluded_join
from .attach import owners, sources


def anti_joined(tree: exp.Expression | None, catalog: Catalog) -> list[exp.Expression]:
    """``tree`` rewritten as rows of its shown table whose join key the other table never
    holds (see the module docstring); empty when the shape is not there."""
    found = excluded_join(tree)
    if found is None or not isinstance(tree, exp.Select):
        return []
    join, excluded = found
    on = join.args.get("on")
    if not isinstance(on, exp.EQ) or not isinstance(on.this, exp.Column) or not isinstance(on.expression, exp.Column):
        return []
    known = sources(tree, catalog)
    if len(known) != 2:
        return []
    shown = {key for item in tree.expressions for col in item.find_all(exp.Column)
             for key in owners(col, known, catalog)}
    if len(shown) != 1:
        return []
    (kept,) = shown
    (other,) = [key for key in known if key != kept]
    sides = {key: [c for c in (on.this, on.expression) if owners(c, known, catalog) == [key]] for key in known}
    if len(sides[kept]) != 1 or len(sides[other]) != 1:
        return []
    kept_col, other_col = sides[kept][0], sides[other][0]
    inner = excluded.this
    sub = inner.args["query"]
    sub_select = (sub.this if isinstance(sub, exp.Subquery) else sub).copy()
    sub_name = next(iter(sources(sub_select, catalog).values()))

    out = tree.copy()
    joined = out.args["joins"][0].this
    from_node = out.args["from_"].this
    keep_node = from_node if catalog.key_of(catalog.find(from_node.name, from_node.db or None)) == kept else joined
    out.set("joins", None)
    out.set("from_", exp.From(this=keep_node.copy()))
    other_name = known[other]
    conditions = [c for c in _conjuncts(out.args["where"].this)
                  if not _mentions(c, other_name) and c.find(exp.Subquery, exp.Select) is None]
    related = exp.column(other_col.name, table=sub_name)
    own = _conjuncts(sub_select.args["where"].this) if sub_select.args.get("where") else []
    own = [c for c in own if not (isinstance(c, exp.Not) and isinstance(c.this, exp.Is))]
    sub_select.set("expressions", [related])
    sub_select.set("where", None)
    for condition in [*own, exp.Not(this=exp.Is(this=related.copy(), expression=exp.Null()))]:
        sub_select = sub_select.where(condition, copy=False)
    anti = exp.Not(this=exp.In(this=kept_col.copy(), query=exp.Subquery(this=sub_select)))
    out.set("where", None)
    for condition in [*conditions, anti]:
        out = out.where(condition, copy=False)
    return [out]


def _conjuncts(condition: exp.Expression) -> list[exp.Expression]:
    """The AND-ed parts of ``condition``, through parentheses (sqlglot's ``flatten`` stops at them)."""
    if isinstance(condition, exp.And):
        return _conjuncts(condition.this) + _conjuncts(condition.expression)
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    return [condition]


def _mentions(condition: exp.Expression, qualifier: str) -> bool:
    return any(c.table.lower() == qualifier.lower() for c in condition.find_all(exp.Column))
