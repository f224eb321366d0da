"""A workspace's schema: discovers files, parses them once, replays them into a catalog.

``SchemaIndex`` keeps each schema file's ops keyed by content; ``update`` re-parses only
the file that changed and replays the cached ops of all files (no re-parsing), so an
edit to one migration costs one file's parse plus a cheap replay.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from ..config import Config
from .catalog import Catalog, Skipped, Table, get_dialect, normalize_name
from .ddl import CATALOG_STATEMENT, AlterTable, CreateTable, Extractor, Op, TableRef
from .issues import Issue, Severity, Span
from .parsing import parse_statement
from .recover import IRRELEVANT_ALTER, TSQL_DEFAULT_FOR, recover_create_table, schema_elements
from .replay import apply_ops
from .sources import FileSets, classify, natural_key, read_text, walk_files
from .text import Statement, TextIndex, skip_comments_and_blanks, split_statements
from .values import SeedFile, ValueSample, has_seed_rows, read_seed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedSchemaFile:
    path: str
    digest: str
    ops: tuple[Op, ...]
    issues: tuple[Issue, ...]
    skipped: tuple[Skipped, ...] = ()
    use_database: str | None = None  # the first ``USE db`` of the file
    seed: SeedFile | None = None  # the file's seed rows (INSERT / COPY), read in the same pass


_SEARCH_PATH = re.compile(r"\s*(?:SET\s+(?:SESSION\s+|LOCAL\s+)?search_path\s*(?:=|TO)\s*(?P<list>[^;]*)|SELECT\s+(?:pg_catalog\.)?set_config\s*\(\s*'search_path'\s*,\s*'(?P<cfg>[^']*)')", re.IGNORECASE)
_USE = re.compile(r"\s*USE\s+(\[[^\]]+\]|`[^`]+`|\"[^\"]+\"|[\w$]+)\s*$", re.IGNORECASE)


_CREATE_TABLE = re.compile(r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED)\s+)*TABLE\b", re.IGNORECASE)
_CREATE_SCHEMA = re.compile(r"\s*CREATE\s+SCHEMA\b[^;]*?\bCREATE\s+(?:TABLE|VIEW)\b", re.IGNORECASE | re.DOTALL)


class _FileParser:
    """Parses one file's catalog statements into ops, issues and skipped statements."""

    def __init__(self, text: str, path: str, dialect: str) -> None:
        self.index = TextIndex(text)
        self.path = path
        self.dialect = dialect
        self.ops: list[Op] = []
        self.issues: list[Issue] = []
        self.skipped: list[Skipped] = []
        self.use_database: str | None = None
        self.search_schema: str | None = None  # first schema of SET search_path: unqualified CREATEs go there

    def skip(self, start: int, end: int, snippet: str, reason: str, diagnose: bool = True) -> None:
        span = self.index.span(start, end)
        line = span.start.line + 1
        self.skipped.append(Skipped(self.path, line, _snippet(snippet), reason))
        if diagnose:
            self.issues.append(Issue("skipped-ddl", Severity.INFO, f"statement skipped for the schema: {reason}", span, path=self.path))

    def statement(self, statement: Statement) -> None:
        if statement.kind != "sql" or statement.is_blank:
            if statement.kind == "copy" and statement.unterminated:
                self.skip(statement.code_start, statement.end, statement.code, statement.unterminated)
            return
        code = statement.code
        path = _SEARCH_PATH.match(code)
        if path:
            entries = [e.strip().strip('"') for e in (path.group("list") if path.group("list") is not None else path.group("cfg") or "").split(",")]
            first = next((e for e in entries if e and e.lower() not in ("pg_catalog", "'$user'", "\"$user\"", "$user")), None)
            self.search_schema = None if first is None or first.lower() == "public" else first.strip("'")
            return
        use = _USE.match(code)
        if use:
            self.use_database = self.use_database or use.group(1).strip("[]`\"")
            return
        if not statement.unterminated and _CREATE_SCHEMA.match(code):
            self.schema_statement(statement)
            return
        if not statement.unterminated and not CATALOG_STATEMENT.match(code):
            return
        if IRRELEVANT_ALTER.match(code):
            return
        if self.tsql_default(statement):
            return
        self.code(statement, statement.code_start)

    def in_search_schema(self, op: Op) -> Op:
        """An unqualified CREATE after ``SET search_path = s`` creates ``s.name``."""
        if self.search_schema is None or not isinstance(op, CreateTable) or op.ref.schema:
            return op
        schema = self.search_schema
        ref = TableRef(op.ref.name, schema, f"{normalize_name(schema, self.dialect)}.{op.ref.key}")
        return dataclasses.replace(op, ref=ref, table=dataclasses.replace(op.table, schema=schema))

    def tsql_default(self, statement: Statement) -> bool:
        """``ALTER TABLE t ADD CONSTRAINT df DEFAULT (expr) FOR col`` (T-SQL) as a default."""
        found = TSQL_DEFAULT_FOR.match(statement.code)
        if not found:
            return False
        try:
            table = exp.to_table(found.group("table"), dialect=self.dialect)
            column = exp.to_identifier(found.group("column").strip("[]\""))
        except Exception:  # an odd name: let the ordinary path report it
            return False
        span = self.index.span(statement.code_start, statement.end)
        key = Extractor(self.dialect, self.path, span, lambda local: span.start.line + 1).key(column)
        action = ("alter_column", (key, None, None, found.group("expr").strip(), False))
        self.ops.append(AlterTable(path=self.path, span=span, ref=TableRef.of(table, self.dialect), actions=(action,)))
        return True

    def schema_statement(self, statement: Statement) -> None:
        found = schema_elements(statement.code)
        if found is None:
            return
        for offset, element in found[1]:
            if not CATALOG_STATEMENT.match(element):
                continue
            start = statement.code_start + offset
            sub = Statement(statement.index, start, start, start + len(element), element, True)
            self.code(sub, start)

    def code(self, statement: Statement, code_start: int) -> None:
        index = self.index
        parsed = parse_statement(statement, self.dialect, index, self.path)
        span = index.span(code_start, statement.end)

        def line_of(local: int, _start: int = statement.start) -> int:
            return index.position(_start + local).line + 1

        tree = parsed.tree
        if parsed.issue is not None or isinstance(tree, exp.Command) or tree is None:
            if statement.unterminated:
                self.skip(code_start, statement.end, statement.code, f"unterminated {statement.unterminated}")
                return
            lossless = self.recover(statement, span, parsed.issue is None) if _CREATE_TABLE.match(statement.code) else None
            if lossless is not None:
                # A table read whole clause by clause is valid DDL sqlglot does not know (T-SQL
                # NONCLUSTERED keys): no warning. Where something was lost, the syntax error stays visible.
                if parsed.issue is not None and not lossless:
                    issue = parsed.issue
                    self.issues.append(Issue(issue.code, Severity.WARNING, f"{issue.message} (the table is read column by column)", issue.span, path=self.path))
                return
            reason = parsed.issue.message if parsed.issue is not None else f"{statement.first_keyword()} statement not understood in dialect {self.dialect}"
            self.skip(code_start, statement.end, statement.code, reason)
            return
        try:
            extractor = Extractor(self.dialect, self.path, span, line_of)
            for node in (tree, *parsed.rest):
                if not isinstance(node, exp.Command):
                    self.ops.extend(self.in_search_schema(op) for op in extractor.ops(node))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:  # unexpected tree shape
            log.debug("cannot extract DDL at %s:%s: %r", self.path, span.start.line + 1, exc)
            self.skip(code_start, statement.end, statement.code, f"statement not understood for the schema: {exc}")

    def recover(self, statement: Statement, span: Span, diagnose: bool = True) -> bool | None:
        """Read a CREATE TABLE sqlglot rejects clause by clause: None when it cannot be read,
        else whether every clause was read (what was not is reported as skipped)."""
        code = statement.code
        recovered = recover_create_table(code, self.dialect)
        if recovered is None:
            return None
        index = self.index
        code_start = statement.code_start
        head = Extractor(self.dialect, self.path, span, lambda local: index.position(code_start).line + 1)
        ref = TableRef.of(recovered.table_node, self.dialect)
        table = Table(name=ref.name, schema=ref.schema, kind="table")
        prefix = len("CREATE TABLE t (")
        for clause, item in recovered.items:
            def line_of(local: int, _off: int = clause.offset) -> int:
                return index.position(code_start + _off + max(local - prefix, 0)).line + 1
            try:
                Extractor(self.dialect, self.path, span, line_of).table_item(table, item)
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                recovered.dropped.append(clause)
                log.debug("cannot extract clause at %s: %r", self.path, exc)
        self.ops.append(head.create_op(recovered.table_node, table))
        start = skip_comments_and_blanks(index.text, code_start + recovered.end, statement.end)
        if start < statement.end and CATALOG_STATEMENT.match(index.text[start : statement.end]):  # a T-SQL batch of several statements
            sub = Statement(statement.index, start, start, statement.end, self.index.text[start : statement.end], True)
            self.code(sub, start)
        for clause in recovered.partial:
            self.skip(code_start + clause.offset, code_start + clause.offset + len(clause.text), clause.text, "column clause not fully understood; the column is kept with the part that parses", diagnose)
        for clause in recovered.unknown:
            self.skip(code_start + clause.offset, code_start + clause.offset + len(clause.text), clause.text, "column clause not understood; the column is kept with an unknown type", diagnose)
        for clause in recovered.dropped:
            self.skip(code_start + clause.offset, code_start + clause.offset + len(clause.text), clause.text, "table clause not understood; dropped", diagnose)
        return not (recovered.partial or recovered.unknown or recovered.dropped)


def _snippet(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def parse_schema_text(text: str, path: str, dialect: str) -> ParsedSchemaFile:
    """Parse the catalog statements of one DDL/migration file into ops."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    parser = _FileParser(text, path, dialect)
    statements = split_statements(text, dialect)
    for statement in statements:
        parser.statement(statement)
    seed = read_seed(statements, path, dialect, index=parser.index) if has_seed_rows(text) else None
    return ParsedSchemaFile(path, digest, tuple(parser.ops), tuple(parser.issues), tuple(parser.skipped), parser.use_database, seed)


@dataclass
class SchemaIndex:
    """The schema side of a workspace: which files, their parsed ops, the catalog."""

    root: Path
    config: Config
    files: FileSets = field(default_factory=lambda: FileSets((), ()))
    parsed: dict[str, ParsedSchemaFile] = field(default_factory=dict)
    file_issues: dict[str, Issue] = field(default_factory=dict)
    catalog: Catalog = field(default_factory=Catalog)
    values: ValueSample = field(default_factory=ValueSample)  # seed rows, kept apart from the schema

    @property
    def dialect(self) -> str:
        return self.config.dialect

    def load(self) -> Catalog:
        """Discover and parse everything (cold build)."""
        all_sql = walk_files(self.root, self.config.exclude)
        self.files = classify(self.root, all_sql, self.config.schema_paths, self.config.query_paths)
        self.parsed.clear()
        self.file_issues.clear()
        if self.config.database_url:
            return self._introspect()
        for rel in self.files.schema:
            self._parse_file(rel, None)
        return self.rebuild()

    def _introspect(self) -> Catalog:
        from .introspect import introspect

        self.catalog = introspect(self.config.database_url or "", self.dialect)
        return self.catalog

    def _parse_file(self, rel: str, text: str | None) -> None:
        if text is None:
            max_bytes = int(self.config.max_file_size_mb * 1024 * 1024)
            text, problem = read_text(self.root / rel, rel, max_bytes)
            if problem is not None:
                self.file_issues[rel] = problem
            else:
                self.file_issues.pop(rel, None)
        if text is None:
            self.parsed.pop(rel, None)
            return
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        old = self.parsed.get(rel)
        if old is not None and old.digest == digest:
            return
        self.parsed[rel] = parse_schema_text(text, rel, self.dialect)

    def rebuild(self) -> Catalog:
        """Replay every schema file's cached ops in migration order."""
        catalog = Catalog(dialect=self.dialect)
        for rel in self.files.schema:
            parsed = self.parsed.get(rel)
            if rel in self.file_issues:
                catalog.issues.append(self.file_issues[rel])
            if parsed is None:
                continue
            catalog.issues.extend(parsed.issues)
            catalog.skipped.extend(parsed.skipped)
            catalog.default_schema = catalog.default_schema or parsed.use_database
            apply_ops(catalog, parsed.ops)
        seeds = [self.parsed[rel].seed for rel in self.files.schema if rel in self.parsed]
        self.values = ValueSample.merge_all(seed.resolve(catalog) for seed in seeds if seed is not None)
        self.catalog = catalog
        return catalog

    def is_schema_file(self, rel: str) -> bool:
        return rel in self.files.schema

    def update(self, rel: str, text: str | None = None) -> Catalog:
        """A schema file changed (``text`` = its unsaved contents, else read from disk)."""
        if self.config.database_url:
            return self.catalog
        if rel not in self.files.schema:
            self.files = FileSets(tuple(sorted((*self.files.schema, rel), key=natural_key)), self.files.queries)
        self._parse_file(rel, text)
        return self.rebuild()

    def remove(self, rel: str) -> Catalog:
        if rel in self.files.schema:
            self.files = FileSets(tuple(f for f in self.files.schema if f != rel), self.files.queries)
            self.parsed.pop(rel, None)
            self.file_issues.pop(rel, None)
        return self.rebuild()


def load_catalog(root: Path, config: Config) -> SchemaIndex:
    """Convenience for the CLI: a loaded ``SchemaIndex``; the dialect is checked first."""
    get_dialect(config.dialect)
    index = SchemaIndex(root=root, config=config)
    index.load()
    return index


