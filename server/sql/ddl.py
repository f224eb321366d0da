"""DDL replay: sqlglot ASTs become small ops once per file; ops are applied in order.

Parsing is the expensive part, so a file's statements are parsed once into a list of
``Op`` values (plain frozen data). Rebuilding the catalog after one file changes replays
every file's cached ops — dictionary work, no parsing. Statements that are not about
tables or views (INSERT, CREATE INDEX, functions...) are skipped without parsing.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlglot import exp

from .catalog import Catalog, Column, ForeignKey, Table, normalize_name
from .issues import Issue, Location, Severity, Span

# Statements that can change the catalog; everything else in a schema file is skipped.
CATALOG_STATEMENT = re.compile(
    r"""^\s*(?:
        CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED|EXTERNAL|TRANSIENT|VOLATILE|MATERIALIZED|SECURE|RECURSIVE)\s+)*(?:TABLE|VIEW)\b
      | ALTER\s+TABLE\b | DROP\s+(?:MATERIALIZED\s+)?(?:TABLE|VIEW)\b | COMMENT\s+ON\s+(?:TABLE|COLUMN|VIEW)\b | RENAME\s+TABLE\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class TableRef:
    name: str
    schema: str | None
    key: str

    @staticmethod
    def of(table: exp.Table, dialect: str) -> "TableRef":
        ident = table.this
        quoted = bool(isinstance(ident, exp.Identifier) and ident.quoted)
        db = table.args.get("db")
        schema = table.db or None
        schema_quoted = bool(isinstance(db, exp.Identifier) and db.quoted)
        key = normalize_name(table.name, dialect, quoted)
        if schema:
            key = f"{normalize_name(schema, dialect, schema_quoted)}.{key}"
        return TableRef(table.name, schema, key)


@dataclass(frozen=True)
class Op:
    """Base of all catalog ops; ``path`` and ``span`` locate the statement."""

    path: str
    span: Span

    @property
    def location(self) -> Location:
        return Location(self.path, self.span.start.line + 1, self.span.start.character + 1)


@dataclass(frozen=True)
class CreateTable(Op):
    ref: TableRef
    table: Table = field(compare=False)
    replace: bool = False
    if_not_exists: bool = False
    query: exp.Expression | None = field(default=None, compare=False)  # AS SELECT / view body
    parents: tuple[TableRef, ...] = ()  # INHERITS (...) / PARTITION OF: columns come first from these


@dataclass(frozen=True)
class DropTables(Op):
    refs: tuple[TableRef, ...]
    kind: str
    if_exists: bool


@dataclass(frozen=True)
class AlterTable(Op):
    ref: TableRef
    actions: tuple[tuple[str, object], ...]  # (action, payload)
    if_exists: bool = False


@dataclass(frozen=True)
class CommentOn(Op):
    ref: TableRef
    column: str | None
    text: str


# --------------------------------------------------------------------------- extraction


@functools.lru_cache(maxsize=4096)
def _base_type_text(type_name: object, dialect: str) -> str:
    return exp.DataType(this=type_name).sql(dialect=dialect)


def type_text(kind: exp.DataType, dialect: str) -> str:
    """A column type as the dialect writes it; simple types come from a cache, because
    rendering every column through the generator dominated cold catalog builds."""
    params = kind.expressions
    if kind.args.get("nested") or any(not isinstance(p, exp.DataTypeParam) or not isinstance(p.this, exp.Literal) for p in params):
        return kind.sql(dialect=dialect)
    base = _base_type_text(kind.this, dialect)
    if not params:
        return base
    return f"{base}({', '.join(p.this.name for p in params)})"


class Extractor:
    """Turns one parsed statement into ops; ``line_of`` maps a statement-relative offset
    to a 1-based file line (for per-column locations)."""

    def __init__(self, dialect: str, path: str, span: Span, line_of) -> None:  # type: ignore[no-untyped-def]
        self.dialect = dialect
        self.path = path
        self.span = span
        self.line_of = line_of

    def key(self, ident: exp.Expression | str) -> str:
        if isinstance(ident, exp.Identifier):
            return normalize_name(ident.name, self.dialect, bool(ident.quoted))
        if isinstance(ident, exp.Expression):
            inner = ident.this if isinstance(ident.this, exp.Identifier) else None
            return normalize_name(ident.name, self.dialect, bool(inner and inner.quoted))
        return normalize_name(ident, self.dialect)

    def loc(self, node: exp.Expression) -> Location:
        ident = node.this if isinstance(node.this, exp.Identifier) else node
        start = ident.meta.get("start") if isinstance(ident, exp.Expression) else None
        if start is None:
            return Location(self.path, self.span.start.line + 1)
        return Location(self.path, self.line_of(start))

    def ops(self, node: exp.Expression) -> list[Op]:
        base = {"path": self.path, "span": self.span}
        if isinstance(node, exp.Create):
            return self._create(node, base)
        if isinstance(node, exp.Drop) and str(node.args.get("kind") or "").upper() in ("TABLE", "VIEW"):
            refs = tuple(TableRef.of(t, self.dialect) for t in node.args.get("tables") or [] if isinstance(t, exp.Table))
            if not refs and isinstance(node.this, exp.Table):
                refs = (TableRef.of(node.this, self.dialect),)
            return [DropTables(**base, refs=refs, kind=str(node.args.get("kind")).lower(), if_exists=bool(node.args.get("exists")))]
        if isinstance(node, exp.Alter) and isinstance(node.this, exp.Table):
            actions = tuple(a for action in node.args.get("actions") or [] for a in self._alter_action(action))
            return [AlterTable(**base, ref=TableRef.of(node.this, self.dialect), actions=actions, if_exists=bool(node.args.get("exists")))]
        if isinstance(node, exp.Comment):
            return self._comment(node, base)
        return []

    def _create(self, node: exp.Create, base: dict) -> list[Op]:  # type: ignore[type-arg]
        kind = str(node.args.get("kind") or "").upper()
        if kind not in ("TABLE", "VIEW"):
            return []
        target = node.this
        schema_node = target if isinstance(target, exp.Schema) else None
        table_node = schema_node.this if schema_node else target
        if not isinstance(table_node, exp.Table):
            return []
        ref = TableRef.of(table_node, self.dialect)
        table = Table(name=ref.name, schema=ref.schema, kind="view" if kind == "VIEW" else "table", location=self.loc(table_node))
        if schema_node is not None:
            for item in schema_node.expressions:
                self._table_item(table, item)
        query = node.expression if isinstance(node.expression, exp.Query) else None
        if query is not None and table.kind == "view":
            table.definition = query.sql(dialect=self.dialect)
        parents: list[TableRef] = []
        properties = node.args.get("properties")
        for prop in properties.expressions if isinstance(properties, exp.Properties) else []:
            if isinstance(prop, exp.InheritsProperty):
                parents.extend(TableRef.of(t, self.dialect) for t in prop.expressions if isinstance(t, exp.Table))
            elif isinstance(prop, exp.PartitionedOfProperty) and isinstance(prop.this, exp.Table):
                parents.append(TableRef.of(prop.this, self.dialect))
        return [CreateTable(**base, ref=ref, table=table, replace=bool(node.args.get("replace")), if_not_exists=bool(node.args.get("exists")), query=query, parents=tuple(parents))]

    def _column(self, node: exp.ColumnDef) -> tuple[Column, ForeignKey | None]:
        kind = node.args.get("kind")
        col = Column(name=node.name, type=type_text(kind, self.dialect) if isinstance(kind, exp.DataType) else "", location=self.loc(node))
        changes: dict[str, object] = {}
        fk = None
        for constraint in node.args.get("constraints") or []:
            ckind = constraint.args.get("kind") if isinstance(constraint, exp.ColumnConstraint) else constraint
            if isinstance(ckind, exp.NotNullColumnConstraint):
                changes["nullable"] = bool(ckind.args.get("allow_null"))
            elif isinstance(ckind, exp.PrimaryKeyColumnConstraint):
                changes.update(primary_key=True, nullable=False)
            elif isinstance(ckind, exp.UniqueColumnConstraint):
                changes["unique"] = True
            elif isinstance(ckind, exp.DefaultColumnConstraint):
                changes["default"] = ckind.this.sql(dialect=self.dialect) if ckind.this else None
            elif isinstance(ckind, exp.CommentColumnConstraint):
                changes["comment"] = ckind.this.name if ckind.this else None
            elif isinstance(ckind, exp.Reference):
                fk = self._reference((self.key(node.this),), ckind, col.location)
        return (dataclasses.replace(col, **changes) if changes else col), fk

    def _reference(self, columns: tuple[str, ...], ref: exp.Reference, loc: Location | None) -> ForeignKey | None:
        target = ref.this
        if isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
            ref_cols = tuple(self.key(e) for e in target.expressions)
            return ForeignKey(columns, TableRef.of(target.this, self.dialect).key, ref_cols, loc)
        if isinstance(target, exp.Table):
            return ForeignKey(columns, TableRef.of(target, self.dialect).key, (), loc)
        return None

    def _constraints(self, item: exp.Expression) -> Iterable[exp.Expression]:
        if isinstance(item, exp.Constraint):
            yield from item.expressions
        else:
            yield item

    def table_item(self, table: Table, item: exp.Expression) -> None:
        """Add one column definition or table constraint to ``table``."""
        self._table_item(table, item)

    def create_op(self, table_node: exp.Table, table: Table) -> "CreateTable":
        """A ``CreateTable`` op for a table assembled clause by clause."""
        table.location = self.loc(table_node)
        return CreateTable(path=self.path, span=self.span, ref=TableRef.of(table_node, self.dialect), table=table)

    def _table_item(self, table: Table, item: exp.Expression) -> None:
        if isinstance(item, exp.ColumnDef):
            col, fk = self._column(item)
            key = self.key(item.this)
            table.columns[key] = col
            if col.primary_key:
                table.primary_key = (key,)
            if fk:
                table.foreign_keys.append(fk)
            return
        for con in self._constraints(item):
            if isinstance(con, exp.PrimaryKey):
                table.primary_key = tuple(self.key(e) for e in con.expressions)
                for k in table.primary_key:
                    if k in table.columns:
                        table.columns[k] = dataclasses.replace(table.columns[k], primary_key=True, nullable=False)
            elif isinstance(con, exp.ForeignKey):
                ref = con.args.get("reference")
                if isinstance(ref, exp.Reference):
                    fk = self._reference(tuple(self.key(e) for e in con.expressions), ref, self.loc(con))
                    if fk:
                        table.foreign_keys.append(fk)

    def _alter_action(self, action: exp.Expression) -> list[tuple[str, object]]:
        if isinstance(action, exp.ColumnDef):
            col, fk = self._column(action)
            return [("add_column", (self.key(action.this), col, fk, bool(action.args.get("exists"))))]
        if isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN":
            return [("drop_column", (self.key(t), t.name, bool(action.args.get("exists")))) for t in action.args.get("tables") or []]
        if isinstance(action, exp.RenameColumn):
            new = action.args["to"]
            return [("rename_column", (self.key(action.this), new.name, self.key(new), self.loc(new)))]
        if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
            return [("rename_table", TableRef.of(action.this, self.dialect))]
        if isinstance(action, exp.AlterColumn):
            dtype = action.args.get("dtype")
            allow_null = action.args.get("allow_null")
            default = action.args.get("default")
            return [("alter_column", (self.key(action.this), dtype.sql(dialect=self.dialect) if dtype else None,
                                      None if allow_null is None else bool(allow_null),
                                      default.sql(dialect=self.dialect) if isinstance(default, exp.Expression) else None,
                                      bool(action.args.get("drop"))))]
        if isinstance(action, exp.AddConstraint):
            holder = Table(name="")
            for item in action.expressions:
                self._table_item(holder, item)
            out: list[tuple[str, object]] = [("add_fk", fk) for fk in holder.foreign_keys]
            if holder.primary_key:
                out.append(("add_pk", holder.primary_key))
            return out
        return []

    def _comment(self, node: exp.Comment, base: dict) -> list[Op]:  # type: ignore[type-arg]
        kind = str(node.args.get("kind") or "").upper()
        text = node.expression.name if isinstance(node.expression, exp.Literal) else ""
        target = node.this
        if kind in ("TABLE", "VIEW") and isinstance(target, exp.Table):
            return [CommentOn(**base, ref=TableRef.of(target, self.dialect), column=None, text=text)]
        if kind == "COLUMN" and isinstance(target, exp.Column) and target.table:
            table = exp.Table(this=target.args.get("table"), db=target.args.get("db"))
            return [CommentOn(**base, ref=TableRef.of(table, self.dialect), column=self.key(target.this), text=text)]
        return []
