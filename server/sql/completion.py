"""Completion items for a cursor: keywords, tables, columns in scope, joins, functions.

``complete(text, offset, catalog)`` analyses the cursor (``server.sql.context``) and
returns plain ``CompletionItem`` data; the LSP layer only converts it. Catalog-wide item
lists (tables, the column index, foreign keys) are built once per catalog object and
function lists once per dialect, so a request costs one statement's tokenization plus the
items of its scope.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from .catalog import Catalog, Column, Table, get_dialect
from .context import (
    AFTER_EXPRESSION,
    COLUMN,
    EXPRESSION,
    KEYWORD,
    NOTHING,
    TABLE,
    Clause,
    CursorContext,
    analyze,
)
from .functions import dialect_functions
from .joins import ForeignKeyIndex, join_conditions, join_suggestions
from .keywords import keywords_for
from .scope import Source
from .text import Statement

DEFAULT_SCHEMAS = frozenset({"public", "main", "dbo"})
MAX_TABLES = 200  # a larger catalog is filtered by the typed word and marked incomplete
MAX_CATALOG_COLUMNS = 60
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NEEDS_BY = re.compile(r"\b(?:ORDER|GROUP|PARTITION)\s*\Z", re.IGNORECASE)


@dataclass(frozen=True)
class CompletionItem:
    label: str
    kind: str  # keyword | table | view | column | alias | cte | function | snippet | join
    detail: str = ""
    documentation: str = ""  # markdown
    insert_text: str | None = None  # None: the label
    sort_text: str = ""
    filter_text: str | None = None
    snippet: bool = False  # insert_text uses snippet syntax ($1, $0)
    edit: tuple[int, int] | None = None  # document offsets replaced; None: the list's ``replace``


@dataclass(frozen=True)
class CompletionList:
    items: list[CompletionItem]
    is_incomplete: bool  # the list was cut or filtered by the typed prefix: ask again as it grows
    replace: tuple[int, int]  # document offsets an item's insert text replaces by default
    context: CursorContext


class CatalogView:
    """Per-catalog data for completion, built lazily once per catalog object."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        dialect = get_dialect(catalog.dialect)
        self.quote_start, self.quote_end = dialect.IDENTIFIER_START, dialect.IDENTIFIER_END
        id_tokens = dialect.parser_class.ID_VAR_TOKENS
        self.reserved = frozenset(w for w, t in dialect.tokenizer_class.KEYWORDS.items() if " " not in w and t not in id_tokens)
        defaults = set(DEFAULT_SCHEMAS) | ({catalog.key(catalog.default_schema)} if catalog.default_schema else set())
        self.defaults = frozenset(catalog.key(s) for s in defaults)
        self._fks: ForeignKeyIndex | None = None
        self._tables: list[CompletionItem] | None = None
        self._columns: list[tuple[str, str, str]] | None = None

    def quote(self, name: str, key: str, force: bool = False) -> str:
        if not force and _PLAIN.match(name) and self.catalog.key(name) == key and name.upper() not in self.reserved:
            return name
        return f"{self.quote_start}{name.replace(self.quote_end, self.quote_end * 2)}{self.quote_end}"

    @property
    def fks(self) -> ForeignKeyIndex:
        if self._fks is None:
            self._fks = ForeignKeyIndex(self.catalog)
        return self._fks

    def table_ref(self, table: Table, schema_given: bool = False) -> str:
        key = self.fks.key(table)
        schema_key, _, name_key = key.rpartition(".")
        name = self.quote(table.name, name_key)
        if schema_given or not table.schema or schema_key in self.defaults and self._unique(name_key):
            return name
        return f"{self.quote(table.schema, schema_key)}.{name}"

    @functools.cached_property
    def _name_counts(self) -> Counter[str]:
        return Counter(k.rpartition(".")[2] for k in self.catalog.tables)

    def _unique(self, name_key: str) -> bool:
        return self._name_counts[name_key] <= 1

    def tables(self) -> list[CompletionItem]:
        if self._tables is None:
            items = []
            for table in sorted(self.catalog.tables.values(), key=lambda t: t.display_name.lower()):
                ref = self.table_ref(table)
                items.append(CompletionItem(ref, "view" if table.kind == "view" else "table", _table_detail(table), table_doc(table), ref, "3" + ref.lower(), table.name))
            self._tables = items
        return self._tables

    def column_index(self) -> list[tuple[str, str, str]]:
        """(lower-case column name, table key, column key), sorted: prefix search by bisect."""
        if self._columns is None:
            self._columns = sorted((c.name.lower(), tk, ck) for tk, t in self.catalog.tables.items() for ck, c in t.columns.items())
        return self._columns


_VIEWS: dict[int, CatalogView] = {}


def catalog_view(catalog: Catalog) -> CatalogView:
    view = _VIEWS.get(id(catalog))
    if view is None or view.catalog is not catalog:
        if len(_VIEWS) >= 4:
            _VIEWS.pop(next(iter(_VIEWS)))
        view = _VIEWS[id(catalog)] = CatalogView(catalog)
    return view


def _table_detail(table: Table) -> str:
    return f"{table.kind} · {len(table.columns)} columns"


def _location(loc: object) -> str:
    return f"\n\nDefined in `{loc.path}:{loc.line}`" if loc is not None else ""  # type: ignore[attr-defined]


def table_doc(table: Table) -> str:
    head = f"**{table.display_name}** ({table.kind})"
    comment = f"\n\n{table.comment}" if table.comment else ""
    pk = ", ".join(table.columns[k].name for k in table.primary_key if k in table.columns)
    keys = f"\n\nPrimary key: `{pk}`" if pk else ""
    return head + comment + keys + _location(table.location)


def column_doc(table: Table | None, owner: str, column: Column | None, name: str) -> str:
    if column is None:
        return f"**{owner}.{name}**"
    text = f"**{owner}.{column.name}** `{column.describe()}`"
    if table is not None:
        for fk in table.foreign_keys:
            key = next((k for k, c in table.columns.items() if c is column), None)
            if key in fk.columns:
                ref = fk.ref_columns[fk.columns.index(key)] if fk.ref_columns else "primary key"
                text += f"\n\nReferences `{fk.ref_table}({ref})`"
    if column.comment:
        text += f"\n\n{column.comment}"
    return text + _location(column.location)


@functools.lru_cache(maxsize=32)
def _function_items(dialect: str, upper: bool) -> tuple[CompletionItem, ...]:
    items = []
    for n, info in enumerate(dialect_functions(dialect)):
        name = info.name if upper else info.name.lower()
        insert = f"{name}($0)" if not info.signature.endswith("()") or info.name == "NOW" else name
        if info.name in ("CURRENT_DATE", "CURRENT_TIMESTAMP"):
            insert = name
        doc = f"`{info.signature}`" + (f"\n\n{info.description}" if info.description else "") + ("\n\nAggregate function." if info.aggregate else "")
        items.append(CompletionItem(name, "function", info.signature, doc, insert, f"5{0 if info.curated else 1}{n:04d}", name, snippet="$0" in insert))
    return tuple(items)


@dataclass
class _Builder:
    ctx: CursorContext
    view: CatalogView
    items: list[CompletionItem] = field(default_factory=list)
    incomplete: bool = False

    @property
    def quoted(self) -> bool:
        """The word being typed opens a quoted identifier: insert quoted names."""
        return self.ctx.prefix[:1] in ('"', "`", "[")

    @property
    def catalog(self) -> Catalog:
        return self.view.catalog

    def add(self, item: CompletionItem) -> None:
        self.items.append(item)

    def keywords(self, group: str = "6") -> None:
        ctx = self.ctx
        for n, word in enumerate(keywords_for(ctx.clause, ctx.enclosing, ctx.expect, self.catalog.dialect)):
            label = word.lower() if ctx.lowercase else word
            self.add(CompletionItem(label, "keyword", "keyword", "", label, f"{group}{n:04d}"))

    def functions(self) -> None:
        prefix = self.ctx.prefix.lower()
        upper = bool(self.ctx.prefix) and self.ctx.prefix.isupper()
        for item in _function_items(self.catalog.dialect, upper):
            if prefix and item.label.lower().startswith(prefix) or not prefix and item.sort_text.startswith("50"):
                self.add(item)
        self.incomplete = True

    def tables(self, schema: str | None = None) -> None:
        prefix = self.ctx.prefix.lstrip("\"`[").lower()
        everything = self.view.tables()
        if schema is not None:
            for table in self.catalog.tables.values():
                if table.schema and self.catalog.key(table.schema) == self.catalog.key(schema):
                    ref = self.view.table_ref(table, schema_given=True)
                    self.add(CompletionItem(ref, "view" if table.kind == "view" else "table", _table_detail(table), table_doc(table), ref, "3" + ref.lower()))
            return
        if len(everything) > MAX_TABLES:
            self.incomplete = True
            everything = [i for i in everything if _fuzzy(prefix, i.filter_text or i.label)] if prefix else everything
        self.items.extend(everything[:MAX_TABLES])

    def ctes(self, group: str = "1") -> None:
        for n, cte in enumerate(self.ctx.ctes):
            cols = ", ".join(cte.columns or ()) if cte.columns is not None else "unknown columns"
            name = self.view.quote(cte.name, cte.key)
            self.add(CompletionItem(name, "cte", f"CTE ({cols})", f"**{cte.name}**: common table expression\n\nColumns: {cols}", name, f"{group}{n:04d}"))

    def source_columns(self, sources: tuple[Source, ...], group: str, qualify_all: bool = False, skip: frozenset[str] = frozenset()) -> None:
        counts: Counter[str] = Counter()
        listing = []
        for source in sources:
            cols = list(self._columns_of(source))
            listing.append((source, cols))
            counts.update({key for _n, key, _c in cols})
        for si, (source, cols) in enumerate(listing):
            ref = self.view.quote(source.name, source.key) if source.name else ""
            owner = source.name or "subquery"
            for ci, (name, key, column) in enumerate(cols):
                if key in skip:
                    continue
                text = self.view.quote(name, key, self.quoted)
                label = f"{ref}.{text}" if ref and (qualify_all or counts[key] > 1) else self.view.quote(name, key)
                insert = f"{ref}.{text}" if ref and (qualify_all or counts[key] > 1) else text
                detail = f"{column.type if column else source.kind} · {source.written if source.table else owner}"
                doc = column_doc(source.table, source.table.display_name if source.table else owner, column, name)
                self.add(CompletionItem(label, "column", detail, doc, insert, f"{group}{si:02d}{ci:04d}", self.ctx.prefix[:1] + name if self.quoted else name))

    def _columns_of(self, source: Source) -> list[tuple[str, str, Column | None]]:
        if source.columns is not None:
            table = source.table
            return [(n, self.catalog.key(n), table.columns.get(self.catalog.key(n)) if table else None) for n in source.columns]
        if source.table is not None:
            return [(c.name, k, c) for k, c in source.table.columns.items()]
        return []

    def catalog_columns(self) -> None:
        prefix = self.ctx.prefix.lower()
        if not prefix:
            return
        index = self.view.column_index()
        i = bisect.bisect_left(index, (prefix, "", ""))
        n = 0
        while i < len(index) and index[i][0].startswith(prefix) and n < MAX_CATALOG_COLUMNS:
            _lower, tk, ck = index[i]
            table = self.catalog.tables[tk]
            column = table.columns[ck]
            name = self.view.quote(column.name, ck)
            self.add(CompletionItem(name, "column", f"{column.type} · {table.display_name}", column_doc(table, table.display_name, column, column.name), name, f"4{n:04d}", column.name))
            i, n = i + 1, n + 1
        self.incomplete = True

    # ------------------------------------------------------------------ per position
    def build(self) -> None:
        ctx = self.ctx
        if ctx.expect == NOTHING or ctx.clause == Clause.NONE:
            return
        stmt = ctx.statement
        if stmt is not None and _NEEDS_BY.search(stmt.text[: max(0, ctx.replace_start - stmt.start)]):
            self.add(CompletionItem("by" if ctx.lowercase else "BY", "keyword", "keyword", "", None, "0"))
            return
        if ctx.clause == Clause.START:
            self.keywords()
            self.add(CompletionItem("SELECT … FROM …", "snippet", "query", "", "SELECT ${2:*}\nFROM ${1:table}", "7", "select", snippet=True))
            return
        if ctx.expect == TABLE:
            self.table_position()
        elif ctx.expect == KEYWORD:
            self.keywords("1")
            if ctx.clause == Clause.JOIN and ctx.joining is not None:
                for n, cond in enumerate(join_conditions(self.view.fks, ctx.joining, self._before(ctx.joining), self.view.quote)):
                    self.add(CompletionItem(f"ON {cond}", "join", "join condition (foreign key)", "", f"ON {cond}", f"0{n:04d}"))
        elif ctx.expect == COLUMN:
            owner = ctx.joining if ctx.clause == Clause.USING else ctx.target
            skip = ctx.listed
            if owner is not None and ctx.clause == Clause.USING:
                earlier = {self.catalog.key(n) for s in self._before(owner) for n in s.column_names()}
                mine = {self.catalog.key(n) for n in owner.column_names()}
                if mine & earlier:  # USING names columns both sides have
                    skip = frozenset(mine - earlier)
            if owner is not None:
                self.source_columns((owner,), "1", skip=skip)
                if ctx.clause == Clause.INSERT_COLUMNS and not ctx.listed and owner.table is not None:
                    self.insert_all(owner.table)
        elif ctx.qualifier:
            self.qualified()
        elif ctx.expect == AFTER_EXPRESSION:
            self.keywords("0")
        elif ctx.expect == EXPRESSION:
            self.expression()

    def insert_all(self, table: Table) -> None:
        """One item listing every column an INSERT usually names (generated keys and
        columns with defaults left out)."""
        names = [
            self.view.quote(c.name, k)
            for k, c in table.columns.items()
            if c.default is None and not (c.primary_key and "SERIAL" in (c.type or "").upper()) and "IDENTITY" not in (c.type or "").upper()
        ]
        if len(names) > 1:
            text = ", ".join(names)
            self.add(CompletionItem(text, "snippet", "columns without a default", f"Every column of `{table.display_name}` that has no default.", text, "0"))

    def _before(self, joining: Source) -> tuple[Source, ...]:
        return tuple(s for s in self.ctx.sources if s.lo < joining.lo)

    def table_position(self) -> None:
        ctx = self.ctx
        if ctx.qualifier:
            self.tables(schema=ctx.qualifier[-1].text)
            return
        if ctx.clause == Clause.JOIN and ctx.sources:
            taken = {s.key for s in ctx.sources} | {c.key for c in ctx.ctes}
            for n, join in enumerate(join_suggestions(self.view.fks, ctx.sources, taken, self.view.quote)):
                ref = self.view.table_ref(join.table)
                label = f"{ref} {join.alias} ON {join.condition}"
                doc = f"Join `{join.table.display_name}` to `{join.source}` through a foreign key ({join.via.replace('-', ' ')})."
                self.add(CompletionItem(label, "join", f"join {join.table.display_name}", doc, label, f"0{n:04d}", f"{join.table.name} {label}"))
        self.ctes("1")
        self.tables()
        self.schemas()
        self.keywords("6")

    def schemas(self) -> None:
        """Schema names, where the catalog has schemas other than the default one."""
        cat = self.catalog
        default = cat.key(cat.default_schema) if cat.default_schema else None
        seen: dict[str, str] = {}
        for table in cat.tables.values():
            if table.schema:
                key = cat.key(table.schema)
                if key != default and key not in ("public", "main", "dbo"):
                    seen.setdefault(key, table.schema)
        for key, name in sorted(seen.items()):
            label = self.view.quote(name, key)
            self.add(CompletionItem(label, "schema", "schema", f"schema **{name}**", label, "5" + key))

    def qualified(self) -> None:
        ctx = self.ctx
        names = ctx.qualifier
        cat = self.catalog
        if len(names) == 1:
            key = cat.key(names[0].text, names[0].quoted)
            for source in (*ctx.all_sources, *ctx.outer_sources, *ctx.ctes):
                if source.key == key:
                    self.source_columns((replace(source, name=""),), "1")
                    return
        table = cat.find(names[-1].text, names[-2].text if len(names) >= 2 else None, names[-1].quoted)
        if table is not None:
            key = self.view.fks.key(table)
            self.source_columns((Source("", key, table.kind, table, None, False, "from", table.display_name, 0, 0, 0),), "1")
        elif len(names) == 1:
            self.tables(schema=names[0].text)

    def expression(self) -> None:
        ctx = self.ctx
        if ctx.clause == Clause.ON and ctx.joining is not None and ctx.enclosing == Clause.ON:
            for n, cond in enumerate(join_conditions(self.view.fks, ctx.joining, self._before(ctx.joining), self.view.quote)):
                self.add(CompletionItem(cond, "join", "join condition (foreign key)", "", cond, f"0{n:04d}"))
        if ctx.clause != Clause.VALUES:
            sources = ctx.all_sources
            if sources:
                self.source_columns(sources, "1")
                offered: set[str] = set()
                for n, source in enumerate(sources):  # every table and alias in scope, as a qualifier
                    if source.name and source.key not in offered:
                        offered.add(source.key)
                        name = self.view.quote(source.name, source.key)
                        self.add(CompletionItem(name, "alias", f"{source.kind} {source.written}", "", name, f"2{n:04d}"))
                self.source_columns(ctx.outer_sources, "4", qualify_all=True)
            else:
                self.catalog_columns()
        self.functions()
        self.keywords("6")


def _fuzzy(prefix: str, text: str) -> bool:
    """VS Code-like: the first character starts a word of ``text``, the rest follow in order."""
    text = text.lower()
    if not prefix:
        return True
    if not (text.startswith(prefix[0]) or f"_{prefix[0]}" in text or f".{prefix[0]}" in text):
        return False
    pos = 0
    for ch in prefix:
        pos = text.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def complete(text: str, offset: int, catalog: Catalog, statements: list[Statement] | None = None) -> CompletionList:
    """Completion items at ``offset`` of document ``text`` (pass ``statements`` when the
    caller already split the document)."""
    ctx = analyze(text, offset, catalog, statements)
    builder = _Builder(ctx, catalog_view(catalog))
    builder.build()
    items = sorted(builder.items, key=lambda i: (i.sort_text, i.label))
    return CompletionList(items, builder.incomplete, (ctx.replace_start, ctx.replace_end), ctx)
