"""Mutable server state (``Session``) and the immutable view a request runs on (``Snapshot``).

The session owns the open documents, the configuration and the ``SchemaIndex``; it is
changed only by notifications on the event loop. A request takes a ``Snapshot`` (text,
version, TextIndex, statements, catalog, generation) and never sees later edits, so slow
work can run on it safely and drop its result if the document moved on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..config import Config, ConfigProblem, load_config
from ..sql.catalog import Catalog
from ..sql.issues import Position
from ..sql.sources import FileSets, classify, read_text
from ..sql.statement_cache import CheckCache
from ..sql.text import Statement, TextIndex, split_statements
from ..sql.values import ValueSample
from ..sql.workspace import SchemaIndex

CONFIG_FILES = ("querywright.toml", "pyproject.toml")
FIRST_LOAD_WAIT_S = 3.0  # how long a request waits for the initial catalog


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if len(path) >= 3 and path[0] == "/" and path[2] == ":":  # file:///C:/x on Windows
        path = path[1:]
    return Path(path)


@dataclass
class Document:
    """An open document; its index and statements are computed once per version."""

    uri: str
    text: str
    version: int | None
    rel: str | None  # POSIX path relative to the workspace root, None outside it
    _index: TextIndex | None = field(default=None, repr=False)
    _statements: dict[str, list[Statement]] = field(default_factory=dict, repr=False)

    @property
    def index(self) -> TextIndex:
        if self._index is None:
            self._index = TextIndex(self.text)
        return self._index

    def statements(self, dialect: str) -> list[Statement]:
        found = self._statements.get(dialect)
        if found is None:
            found = self._statements[dialect] = split_statements(self.text, dialect)
        return found


@dataclass(frozen=True)
class Snapshot:
    """What one request sees: a document version and the catalog of that moment."""

    uri: str
    version: int | None
    text: str
    index: TextIndex
    statements: list[Statement]  # shared with the document version: never mutate
    catalog: Catalog
    generation: int
    config: Config
    root: Path | None
    rel: str | None
    is_schema: bool
    values: ValueSample = field(default_factory=ValueSample)  # the workspace's seed rows (grounding)

    def offset(self, position: Position) -> int:
        return self.index.offset(position)

    @property
    def statement_list(self) -> list[Statement]:
        return self.statements


class Session:
    """Documents, configuration and schema of one workspace."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.editor_settings: dict[str, Any] = {}
        self.config = Config()
        self.problems: list[ConfigProblem] = []
        self.schema = SchemaIndex(root=Path("."), config=self.config)
        self.generation = 0
        self.loaded = False
        self.documents: dict[str, Document] = {}
        self.checks = CheckCache()
        self._first_load = asyncio.Event()

    async def wait_first_load(self, timeout: float = FIRST_LOAD_WAIT_S) -> bool:
        """Wait (at most ``timeout`` seconds) until a catalog has been installed once;
        True when one has. A session without a workspace root has nothing to wait for."""
        if self.loaded or self._first_load.is_set() or self.root is None:
            return True
        try:
            await asyncio.wait_for(self._first_load.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------ config
    def configure(self, root: Path | None, editor_settings: dict[str, Any] | None) -> tuple[bool, list[ConfigProblem]]:
        """Resolve the configuration; True when the schema must be rebuilt."""
        new_root = root.resolve() if root is not None else None
        if new_root != self.root:
            self.root = new_root
            self.loaded = False
            for doc in self.documents.values():
                doc.rel = self.rel_path(doc.uri)
        self.editor_settings = dict(editor_settings or {})
        config, problems = load_config(self.root, self.editor_settings)
        schema_keys = ("dialect", "schema_paths", "query_paths", "exclude", "database_url", "max_file_size_mb")
        rebuild = any(getattr(config, k) != getattr(self.config, k) for k in schema_keys) or not self.loaded
        self.config, self.problems = config, problems
        return rebuild, problems

    # ------------------------------------------------------------------ schema
    def build_schema(self) -> SchemaIndex:
        """A cold build of the schema index (pure; may run in a worker thread)."""
        index = SchemaIndex(root=self.root or Path("."), config=self.config)
        if self.root is not None:
            index.load()
        return index

    def install_schema(self, index: SchemaIndex) -> Catalog:
        """Adopt a built index, then overlay the unsaved text of open schema documents."""
        self.schema = index
        self.loaded = True
        self._first_load.set()
        for doc in self.documents.values():
            if doc.rel is not None and index.is_schema_file(doc.rel):
                index.update(doc.rel, doc.text)
        self.generation += 1
        return index.catalog

    def update_schema_file(self, rel: str, text: str | None) -> bool:
        """One schema file changed (``text``: unsaved contents, None: read the disk)."""
        before = self.schema.catalog
        known = self.schema.is_schema_file(rel)
        parsed = self.schema.parsed.get(rel)
        if text is None and self.root is not None and not (self.root / rel).is_file():
            self.schema.remove(rel)
        else:
            self.schema.update(rel, text)
            if known and parsed is not None and self.schema.parsed.get(rel) is parsed:
                self.schema.catalog = before  # same contents: keep the catalog and its caches
        changed = self.schema.catalog is not before
        if changed:
            self.generation += 1
        return changed

    def forget_query_file(self, rel: str) -> None:
        files = self.schema.files
        self.schema.files = FileSets(files.schema, tuple(f for f in files.queries if f != rel))

    def add_query_file(self, rel: str) -> None:
        files = self.schema.files
        if rel not in files.queries:
            self.schema.files = FileSets(files.schema, (*files.queries, rel))

    def kind_of(self, rel: str | None) -> str:
        """``schema`` or ``query`` for a workspace file (files outside it are queries)."""
        if rel is None or self.root is None:
            return "query"
        if self.schema.is_schema_file(rel):
            return "schema"
        if rel in self.schema.files.queries:
            return "query"
        sets = classify(self.root, [rel], self.config.schema_paths, self.config.query_paths)
        return "schema" if sets.schema else "query"

    # ------------------------------------------------------------------ documents
    def rel_path(self, uri: str) -> str | None:
        path = uri_to_path(uri)
        if path is None or self.root is None:
            return None
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def open(self, uri: str, text: str, version: int | None) -> Document:
        doc = Document(uri, text, version, self.rel_path(uri))
        self.documents[uri] = doc
        return doc

    def change(self, uri: str, text: str, version: int | None) -> Document:
        old = self.documents.get(uri)
        doc = Document(uri, text, version, old.rel if old else self.rel_path(uri))
        self.documents[uri] = doc
        return doc

    def close(self, uri: str) -> Document | None:
        return self.documents.pop(uri, None)

    def is_schema_document(self, uri: str) -> bool:
        doc = self.documents.get(uri)
        return doc is not None and doc.rel is not None and self.schema.is_schema_file(doc.rel)

    def snapshot(self, uri: str) -> Snapshot | None:
        doc = self.documents.get(uri)
        if doc is None:
            return None
        dialect = self.config.dialect
        return Snapshot(
            uri=uri,
            version=doc.version,
            text=doc.text,
            index=doc.index,
            statements=doc.statements(dialect),
            catalog=self.schema.catalog,
            generation=self.generation,
            config=self.config,
            root=self.root,
            rel=doc.rel,
            is_schema=doc.rel is not None and self.schema.is_schema_file(doc.rel),
            values=self.schema.values,
        )

    def query_texts(self, current: Snapshot | None = None) -> list[tuple[str | None, str]]:
        """``(path, text)`` of the workspace's query files; open documents give their
        unsaved text; the request's own document comes first with path None."""
        out: list[tuple[str | None, str]] = []
        seen: set[str] = set()
        if current is not None:
            out.append((None, current.text))
            if current.rel is not None:
                seen.add(current.rel)
        open_by_rel = {d.rel: d for d in self.documents.values() if d.rel is not None}
        max_bytes = int(self.config.max_file_size_mb * 1024 * 1024)
        for rel in self.schema.files.queries:
            if rel in seen:
                continue
            seen.add(rel)
            if rel in open_by_rel:
                out.append((rel, open_by_rel[rel].text))
            elif self.root is not None:
                text, _problem = read_text(self.root / rel, rel, max_bytes)
                if text is not None:
                    out.append((rel, text))
        return out
