"""Hover text: describe the table, column, alias or CTE under the cursor as markdown.

A table shows its kind, comment, columns with types and constraints, keys and where it
was defined; a column its type, constraints, foreign key target, the foreign keys that
point at it, its comment and its defining migration.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Catalog, Column, Table
from .issues import Location, Span
from .navigation import Target, target_at
from .text import Statement, TextIndex


@dataclass(frozen=True)
class HoverText:
    markdown: str
    span: Span


def hover_at(index: TextIndex, statements: list[Statement], catalog: Catalog, offset: int) -> HoverText | None:
    target = target_at(index, statements, catalog, offset)
    if target is None:
        return None
    text = describe(target, catalog)
    return HoverText(text, target.span) if text else None


def describe(target: Target, catalog: Catalog) -> str | None:
    if target.kind == "column" and target.table is not None and target.column is not None:
        return describe_column(catalog, target.table, target.column)
    if target.kind == "table" and target.table is not None:
        return describe_table(catalog, target.table)
    if target.kind == "alias":
        if target.table is not None:
            return f"alias `{target.name}` for {target.table.kind} `{target.table.display_name}`\n\n" + describe_table(catalog, target.table)
        if target.columns:
            return f"alias `{target.name}`: " + ", ".join(f"`{c}`" for c in target.columns)
        return None
    if target.kind == "cte":
        columns = ", ".join(f"`{c}`" for c in target.columns) or "(columns not known)"
        return f"**CTE** `{target.name}`\n\ncolumns: {columns}"
    if target.kind == "cte_column":
        source = f"`{target.columns[0]}`" if target.columns else "a CTE or subquery"
        head = f"column `{target.name}` of {source}"
        if target.table is not None and target.column is not None:
            return f"{head}, from `{target.table.display_name}.{target.column.name}`\n\n" + describe_column(catalog, target.table, target.column)
        return head
    if target.kind == "select_alias":
        return f"output column `{target.name}` of this SELECT"
    return None


def _where(location: Location | None) -> str:
    return f"\n\nDefined in `{location.path}` line {location.line}" if location else ""


def _fk_text(catalog: Catalog, ref_table: str, ref_columns: tuple[str, ...]) -> str:
    target = catalog.tables.get(ref_table)
    name = target.display_name if target else ref_table
    if ref_columns:
        cols = [target.columns[k].name if target and k in target.columns else k for k in ref_columns]
    elif target is not None:
        cols = [target.columns[k].name for k in target.primary_key if k in target.columns]
    else:
        cols = []
    return f"{name}({', '.join(cols)})" if cols else name


def describe_column(catalog: Catalog, table: Table, column: Column) -> str:
    key = catalog.key(column.name)
    lines = [f"**column** `{table.display_name}.{column.name}`", "", f"`{column.describe()}`"]
    for fk in table.foreign_keys:
        if key in fk.columns:
            lines += ["", f"references `{_fk_text(catalog, fk.ref_table, fk.ref_columns)}`"]
    table_key = catalog.key_of(table)
    referenced = []
    for other, fk in catalog.referencing(table_key):
        targets = fk.ref_columns or table.primary_key
        if key in targets:
            names = [other.columns[k].name if k in other.columns else k for k in fk.columns]
            referenced.append(f"`{other.display_name}({', '.join(names)})`")
    if referenced:
        lines += ["", "referenced by " + ", ".join(referenced)]
    if column.comment:
        lines += ["", column.comment]
    return "\n".join(lines) + _where(column.location)


def describe_table(catalog: Catalog, table: Table) -> str:
    lines = [f"**{table.kind}** `{table.display_name}`"]
    if table.comment:
        lines += ["", table.comment]
    if table.columns:
        lines += ["", "| column | type |", "|---|---|"]
        lines += [f"| {c.name} | `{c.describe()}` |" for c in table.columns.values()]
    if table.primary_key:
        names = [table.columns[k].name if k in table.columns else k for k in table.primary_key]
        lines += ["", f"primary key ({', '.join(names)})"]
    for fk in table.foreign_keys:
        names = [table.columns[k].name if k in table.columns else k for k in fk.columns]
        lines += ["", f"foreign key ({', '.join(names)}) → `{_fk_text(catalog, fk.ref_table, fk.ref_columns)}`"]
    return "\n".join(lines) + _where(table.location)
