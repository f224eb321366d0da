"""A workspace's schema: discovers files, parses them once, replays them into a catalog.

``SchemaIndex`` keeps each schema file's ops keyed by content; ``update`` re-parses only
the file that changed and replays the cached ops of all files (no re-parsing), so an
edit to one migration costs one file's parse plus a cheap replay.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from ..config import Config
from .catalog import Catalog, get_dialect
from .ddl import CATALOG_STATEMENT, Extractor, Op
from .issues import Issue, Severity
from .parsing import parse_statement
from .replay import apply_ops
from .sources import FileSets, classify, natural_key, read_text, walk_files
from .text import TextIndex, split_statements

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedSchemaFile:
    path: str
    digest: str
    ops: tuple[Op, ...]
    issues: tuple[Issue, ...]


def parse_schema_text(text: str, path: str, dialect: str) -> ParsedSchemaFile:
    """Parse the catalog statements of one DDL/migration file into ops."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    index = TextIndex(text)
    ops: list[Op] = []
    issues: list[Issue] = []
    for statement in split_statements(text, dialect):
        if statement.is_blank:
            continue
        if not statement.unterminated and not CATALOG_STATEMENT.match(statement.code):
            continue
        parsed = parse_statement(statement, dialect, index, path)
        if parsed.issue is not None:
            issue = parsed.issue
            issues.append(Issue(issue.code, Severity.WARNING, f"{issue.message} (statement ignored for the schema)", issue.span, path=path))
            continue
        if parsed.tree is None:
            continue
        if isinstance(parsed.tree, exp.Command):
            span = index.span(statement.code_start, statement.end)
            issues.append(Issue("unsupported-ddl", Severity.WARNING, f"{statement.first_keyword()} statement not understood in dialect {dialect}; ignored for the schema", span, path=path))
            continue
        base_line = index.position(statement.start).line + 1

        def line_of(local: int, _start: int = statement.start) -> int:
            return index.position(_start + local).line + 1

        span = index.span(statement.code_start, statement.end)
        try:
            ops.extend(Extractor(dialect, path, span, line_of).ops(parsed.tree))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:  # unexpected tree shape
            log.debug("cannot extract DDL at %s:%s: %r", path, base_line, exc)
            issues.append(Issue("unsupported-ddl", Severity.INFO, f"statement not understood for the schema: {exc}", span, path=path))
    return ParsedSchemaFile(path, digest, tuple(ops), tuple(issues))


@dataclass
class SchemaIndex:
    """The schema side of a workspace: which files, their parsed ops, the catalog."""

    root: Path
    config: Config
    files: FileSets = field(default_factory=lambda: FileSets((), ()))
    parsed: dict[str, ParsedSchemaFile] = field(default_factory=dict)
    file_issues: dict[str, Issue] = field(default_factory=dict)
    catalog: Catalog = field(default_factory=Catalog)

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
            apply_ops(catalog, parsed.ops)
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


