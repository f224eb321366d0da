"""Apply DDL ops (from ``server.sql.ddl``) to a ``Catalog`` in order, reporting conflicts.

Replaying never raises on user mistakes: dropping a table twice, altering an unknown
table or adding a column that exists become warnings with the statement's location,
and the catalog keeps going.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlglot import exp

from .catalog import Catalog, Column, ForeignKey, Table
from .ddl import AlterTable, CommentOn, CreateTable, DropTables, Op, TableRef
from .issues import Issue, Severity


def _warn(op: Op, code: str, message: str) -> Issue:
    return Issue(code, Severity.WARNING, message, op.span, path=op.path)


def _resolve(catalog: Catalog, ref: TableRef) -> str | None:
    """The catalog key a reference names (``public.x`` may name ``x``), or None."""
    if ref.key in catalog.tables:
        return ref.key
    table = catalog.find(ref.name, ref.schema)
    return catalog.key_of(table) if table else None


def apply_ops(catalog: Catalog, ops: Iterable[Op]) -> None:
    for op in ops:
        if isinstance(op, CreateTable):
            _create(catalog, op)
        elif isinstance(op, DropTables):
            _drop(catalog, op)
        elif isinstance(op, AlterTable):
            _alter(catalog, op)
        elif isinstance(op, CommentOn):
            _comment(catalog, op)


def _create(catalog: Catalog, op: CreateTable) -> None:
    # Exact key only: CREATE TABLE users must not replace sales.users (and a scan per
    # CREATE would make replay quadratic).
    existing = op.ref.key if op.ref.key in catalog.tables else None
    if existing and op.if_not_exists:
        return
    if existing and not op.replace:
        catalog.issues.append(_warn(op, "duplicate-table", f"{op.ref.name} is created again; the new definition replaces the one at {catalog.tables[existing].location}"))
    if existing:
        del catalog.tables[existing]
    template = op.table
    table = dataclasses.replace(template, columns=dict(template.columns), foreign_keys=list(template.foreign_keys))
    if op.query is not None and not table.columns:
        table.columns = query_columns(catalog, op.query, op)
    if op.parents:
        inherited: dict[str, Column] = {}
        parent_keys: list[str] = []
        for parent_ref in op.parents:
            parent_key = _resolve(catalog, parent_ref)
            if parent_key is None:
                catalog.issues.append(_warn(op, "missing-parent-table", f"{op.ref.name} inherits from {parent_ref.name}, which does not exist at this point"))
                continue
            parent_keys.append(parent_key)
            for key, col in catalog.tables[parent_key].columns.items():
                inherited.setdefault(key, dataclasses.replace(col, primary_key=False))
        table.columns = {**inherited, **table.columns}
        table.parents = tuple(parent_keys)
    catalog.add(op.ref.key, table)


def query_columns(catalog: Catalog, query: exp.Expression, op: Op) -> dict[str, Column]:
    """Output columns of a view / CREATE TABLE AS query, typed from source columns."""
    select = query
    while isinstance(select, exp.SetOperation):
        select = select.left
    if not isinstance(select, exp.Select):
        return {}
    sources: dict[str, Table] = {}
    for node in [select.args.get("from_") or select.args.get("from"), *(select.args.get("joins") or [])]:
        table_node = node.this if isinstance(node, (exp.From, exp.Join)) else None
        if isinstance(table_node, exp.Table):
            alias = table_node.args.get("alias")
            defined = [c for c in alias.columns if isinstance(c, exp.ColumnDef)] if isinstance(alias, exp.TableAlias) else []
            if defined:  # a table function with a column definition list: f(...) AS t (a int, ...)
                table = Table(name=alias.name, columns={
                    catalog.key(c.name, bool(isinstance(c.this, exp.Identifier) and c.this.quoted)): Column(name=c.name, type=c.args["kind"].sql(dialect=catalog.dialect) if isinstance(c.args.get("kind"), exp.DataType) else "")
                    for c in defined
                })
            else:
                table = catalog.find_expression(table_node)
            if table is not None:
                sources[catalog.key(table_node.alias_or_name)] = table
    out: dict[str, Column] = {}
    loc = op.location
    for projection in select.expressions:
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)):
            qualifier = catalog.key(projection.table) if isinstance(projection, exp.Column) and projection.table else None
            for alias, table in sources.items():
                if qualifier is None or qualifier == alias:
                    for key, col in table.columns.items():
                        out.setdefault(key, dataclasses.replace(col, location=loc, primary_key=False))
            continue
        name = projection.alias_or_name
        if not name:
            continue
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        col_type = ""
        if isinstance(inner, exp.Column):
            candidates = [sources[catalog.key(inner.table)]] if inner.table and catalog.key(inner.table) in sources else list(sources.values())
            for table in candidates:
                found = table.columns.get(catalog.key(inner.name))
                if found:
                    col_type = found.type
                    break
        alias = projection.args.get("alias") if isinstance(projection, exp.Alias) else (projection.this if isinstance(projection, exp.Column) else None)
        quoted = bool(isinstance(alias, exp.Identifier) and alias.quoted)
        out[catalog.key(name, quoted)] = Column(name=name, type=col_type, location=loc)
    return out


def _drop(catalog: Catalog, op: DropTables) -> None:
    for ref in op.refs:
        key = _resolve(catalog, ref)
        if key is None:
            if not op.if_exists:
                catalog.issues.append(_warn(op, "drop-missing-table", f"DROP {op.kind.upper()} {ref.name}: no such {op.kind} at this point of the migrations"))
            continue
        catalog.dropped_tables[key] = op.location
        del catalog.tables[key]


def _alter(catalog: Catalog, op: AlterTable) -> None:
    key = _resolve(catalog, op.ref)
    if key is None:
        if not op.if_exists:
            catalog.issues.append(_warn(op, "alter-missing-table", f"ALTER TABLE {op.ref.name}: no such table at this point of the migrations"))
        return
    table = catalog.tables[key]
    for action, payload in op.actions:
        if action == "add_column":
            col_key, col, fk, if_not_exists = payload  # type: ignore[misc]
            if col_key in table.columns:
                if not if_not_exists:
                    catalog.issues.append(_warn(op, "duplicate-column", f"column {col.name} already exists in {table.display_name}"))
                continue
            table.columns[col_key] = col
            if fk:
                table.foreign_keys.append(fk)
        elif action == "drop_column":
            col_key, name, if_exists = payload  # type: ignore[misc]
            if col_key not in table.columns:
                if not if_exists:
                    catalog.issues.append(_warn(op, "drop-missing-column", f"column {name} does not exist in {table.display_name}"))
                continue
            del table.columns[col_key]
            catalog.dropped_columns[(key, col_key)] = op.location
            table.foreign_keys = [fk for fk in table.foreign_keys if col_key not in fk.columns]
            table.primary_key = tuple(k for k in table.primary_key if k != col_key)
        elif action == "rename_column":
            old_key, new_name, new_key, loc = payload  # type: ignore[misc]
            if old_key not in table.columns:
                catalog.issues.append(_warn(op, "rename-missing-column", f"column {old_key} does not exist in {table.display_name}"))
                continue
            catalog.renamed_columns[(key, old_key)] = (new_name, op.location)
            table.columns = {(new_key if k == old_key else k): (dataclasses.replace(c, name=new_name, location=loc) if k == old_key else c) for k, c in table.columns.items()}
            table.primary_key = tuple(new_key if k == old_key else k for k in table.primary_key)
            table.foreign_keys = [dataclasses.replace(fk, columns=tuple(new_key if k == old_key else k for k in fk.columns)) for fk in table.foreign_keys]
        elif action == "alter_column":
            col_key, new_type, nullable, default, drop_default = payload  # type: ignore[misc]
            col = table.columns.get(col_key)
            if col is None:
                catalog.issues.append(_warn(op, "alter-missing-column", f"column {col_key} does not exist in {table.display_name}"))
                continue
            changes: dict[str, object] = {}
            if new_type:
                changes["type"] = new_type
            if nullable is not None:
                changes["nullable"] = nullable
            if default is not None:
                changes["default"] = default
            elif drop_default:
                changes["default"] = None
            table.columns[col_key] = dataclasses.replace(col, **changes)
        elif action == "rename_table":
            new_ref: TableRef = payload  # type: ignore[assignment]
            del catalog.tables[key]
            schema = new_ref.schema or table.schema
            table = dataclasses.replace(table, name=new_ref.name, schema=schema)
            key = catalog.table_key(new_ref.name, schema) if not new_ref.schema else new_ref.key
            catalog.add(key, table)
            for other in catalog.tables.values():
                other.foreign_keys = [dataclasses.replace(fk, ref_table=key) if fk.ref_table == op.ref.key else fk for fk in other.foreign_keys]
        elif action == "add_fk":
            fk: ForeignKey = payload  # type: ignore[assignment]
            table.foreign_keys.append(fk)
        elif action == "add_pk":
            table.primary_key = payload  # type: ignore[assignment]
            for k in table.primary_key:
                if k in table.columns:
                    table.columns[k] = dataclasses.replace(table.columns[k], primary_key=True, nullable=False)


def _comment(catalog: Catalog, op: CommentOn) -> None:
    key = _resolve(catalog, op.ref)
    if key is None:
        catalog.issues.append(_warn(op, "comment-missing-table", f"COMMENT ON {op.ref.name}: no such table"))
        return
    table = catalog.tables[key]
    if op.column is None:
        table.comment = op.text
    elif op.column in table.columns:
        table.columns[op.column] = dataclasses.replace(table.columns[op.column], comment=op.text)
    else:
        catalog.issues.append(_warn(op, "comment-missing-column", f"COMMENT ON COLUMN: {op.column} does not exist in {table.display_name}"))
