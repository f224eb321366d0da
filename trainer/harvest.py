"""Harvest (question, SQL) pairs from a repository, validated against its own catalog.

Sources: statements of ``.sql`` query files (the question is the comment block above each),
SQL strings in Python, JS/TS, Java, Go and Ruby code (``trainer.extract``), and dbt models
(Jinja stripped; ``ref('x')`` → ``x``, ``source('s', 't')`` → ``t``; each validated model
becomes a view later models may select from). Every pair is checked against the workspace
catalog with its placeholders swapped for typed literals, deduplicated, and kept with its
provenance. Files are found by ``walk_files`` (``.gitignore`` honoured, secrets files never
read, symlinks out of the workspace skipped); unreadable, binary, oversized and non-UTF-8
files are skipped and counted. String literals and question text that look like secrets or
personal data are masked in the records (``server.privacy``) unless ``keep_literals``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from ..server.config import Config, load_config
from ..server.privacy import mask_free_text, mask_sql_literals
from ..server.sql.catalog import Catalog, Table
from ..server.sql.ddl import CreateTable, TableRef
from ..server.sql.issues import Span
from ..server.sql.replay import apply_ops
from ..server.sql.sources import is_secret, read_text, walk_files
from ..server.sql.text import TextIndex, split_statements
from ..server.sql.workspace import SchemaIndex, load_catalog
from .extract import LANGUAGES, Candidate, clean_comment, code_candidates, humanise, looks_like_sql
from .placeholders import with_typed_literals
from .records import (
    Drops,
    Record,
    complexity_of,
    make_record,
    schema_slice,
    validate_sql,
)

log = logging.getLogger(__name__)

SUFFIXES = (".sql", *LANGUAGES)
_JINJA_REF = re.compile(r"\{\{\s*ref\s*\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?['\"]([^'\"]+)['\"]\s*(?:,[^)]*)?\)\s*\}\}")
_JINJA_SOURCE = re.compile(r"\{\{\s*source\s*\(\s*['\"][^'\"]*['\"]\s*,\s*['\"]([^'\"]+)['\"]\s*\)\s*\}\}")
_JINJA_DOC = re.compile(r"\{#-?(.*?)-?#\}", re.DOTALL)
_JINJA_BLOCK = re.compile(r"\{%-?.*?-?%\}", re.DOTALL)
_JINJA_CONFIG = re.compile(r"\{\{\s*config\s*\(.*?\)\s*\}\}", re.DOTALL)
_JINJA_EXPR = re.compile(r"\{\{.*?\}\}", re.DOTALL)


@dataclass
class HarvestResult:
    """Harvested records, what was dropped by reason, and what was read."""

    records: list[Record] = field(default_factory=list)
    dropped: Drops = field(default_factory=Drops)
    files: int = 0
    candidates: int = 0
    masked: int = 0  # literals and question fragments masked as secrets or personal data
    catalog: Catalog | None = None


def strip_jinja(text: str) -> tuple[str, str | None]:
    """dbt model SQL without Jinja, and the text of its first ``{# #}`` doc comment."""
    doc = _JINJA_DOC.search(text)
    text = _JINJA_DOC.sub("", text)
    text = _JINJA_REF.sub(lambda m: m.group(1), text)
    text = _JINJA_SOURCE.sub(lambda m: m.group(1), text)
    text = _JINJA_CONFIG.sub("", text)
    text = _JINJA_BLOCK.sub("", text)
    text = _JINJA_EXPR.sub("NULL", text)
    return text, (doc.group(1) if doc else None)


def is_dbt_model(rel: str, text: str) -> bool:
    return ("{{" in text or "{%" in text) or "/models/" in f"/{rel}" and rel.endswith(".sql")


def sql_file_candidates(text: str, rel: str, dialect: str) -> list[Candidate]:
    """Statements of a query file with the comment block above each as the question."""
    index = TextIndex(text)
    statements = [s for s in split_statements(text, dialect) if not s.is_blank]
    out = []
    for statement in statements:
        code = text[statement.code_start:statement.end]
        if not looks_like_sql(code):
            continue
        comment = clean_comment(text[statement.start:statement.code_start])
        line = index.position(statement.code_start).line + 1
        if comment:
            out.append(Candidate(code, line, comment, "comment"))
        elif len(statements) == 1:
            out.append(Candidate(code, line, humanise(rel) or None, "file"))
        else:
            out.append(Candidate(code, line, None, "none"))
    return out


def dbt_candidate(text: str, rel: str) -> Candidate | None:
    sql, doc = strip_jinja(text)
    body = sql.strip()
    leading = re.match(r"^((?:\s*--[^\n]*\n)+)", sql)
    comment = clean_comment(doc or (leading.group(1) if leading else ""))
    code = re.sub(r"^(?:\s*--[^\n]*\n)+", "", body).strip()
    if not looks_like_sql(code):
        return None
    line = text[: text.find(code[:20])].count("\n") + 1 if code[:20] in text else 1
    question = comment or humanise(rel)
    return Candidate(code, line, question or None, "comment" if comment else "file")


class Harvester:
    """Validates candidates against a catalog, dedupes them and builds records."""

    def __init__(self, catalog: Catalog, schema_id: str, keep_literals: bool = False) -> None:
        self.catalog = dataclasses.replace(catalog, tables=dict(catalog.tables), issues=[])
        self.schema_id = schema_id
        self.keep_literals = keep_literals
        self.result = HarvestResult(catalog=self.catalog)
        self._seen: set[tuple[str, str]] = set()

    def add(self, candidate: Candidate, rel: str, kind: str) -> Record | None:
        self.result.candidates += 1
        if not candidate.question:
            self.result.dropped.add("no-question")
            return None
        sql = textwrap.dedent(candidate.sql).strip().rstrip(";").strip()
        validated = with_typed_literals(sql, self.catalog)
        tree, reason = validate_sql(validated, self.catalog)
        if reason in ("parse-error", "multiple-statements") and kind not in ("sql", "dbt"):
            reason = "not-sql"  # a code string that starts like SQL but is prose ("Select a file")
        if tree is not None and reason not in ("not-sql", "multiple-statements") and tree.find(exp.Table) is None:
            reason = "no-table"  # names no table ("SELECT 1", or prose like "Select a file")
        if reason is not None or tree is None:
            self.result.dropped.add(reason or "invalid")
            return None
        key = (tree.sql(dialect=self.catalog.dialect, normalize=True, pretty=False).lower(), candidate.question.lower())
        if key in self._seen:
            self.result.dropped.add("duplicate")
            return None
        self._seen.add(key)
        question, schema = candidate.question, schema_slice(self.catalog, tree)
        if not self.keep_literals:
            sql, question, schema = self._masked(sql, question, schema)
        record = make_record(
            source="harvest", dialect=self.catalog.dialect, schema=schema,
            schema_id=self.schema_id, question=question, sql=sql, complexity=complexity_of(tree),
            provenance={"path": rel, "line": max(1, candidate.line), "kind": kind, "question_from": candidate.question_from},
        )
        self.result.records.append(record)
        return record

    def _masked(self, sql: str, question: str, schema: str) -> tuple[str, str, str]:
        """The pair with its secret-looking and personal literals replaced by placeholders."""
        sql, in_sql = mask_sql_literals(sql)
        question, in_question = mask_free_text(question)
        schema, in_schema = mask_sql_literals(schema)
        self.result.masked += in_sql + in_question + in_schema
        return sql, question, schema

    def add_model(self, name: str, candidate: Candidate, rel: str) -> bool:
        """Validate a dbt model; when valid, add it as a view for later models."""
        before = len(self.result.records)
        record = self.add(candidate, rel, "dbt")
        if record is None:
            return len(self.result.records) > before
        from .records import parse_tree

        tree = parse_tree(with_typed_literals(record["sql"], self.catalog), self.catalog.dialect)
        ref = TableRef(name, None, self.catalog.key(name))
        table = Table(name=name, kind="view", definition=record["sql"])
        apply_ops(self.catalog, [CreateTable(rel, Span.at(0, 0), ref=ref, table=table, replace=True, query=tree)])
        return True


def harvest(
    root: Path,
    config: Config | None = None,
    *,
    index: SchemaIndex | None = None,
    catalog: Catalog | None = None,
    max_files: int | None = None,
    keep_literals: bool | None = None,
    on_file: Callable[[int, int], None] | None = None,
) -> HarvestResult:
    """Every validated (question, SQL) pair of the repository at ``root``.

    ``config`` defaults to the workspace's own (``querywright.toml``); the catalog to the one
    its DDL/migrations build (pass a loaded ``index`` to reuse it, whose schema files are then
    not harvested, or any ``catalog``). ``keep_literals`` None: the config's
    ``keep_literals`` (default False: sensitive literals are masked). ``on_file(done, total)``
    is called after each file.
    """
    root = Path(root).resolve()
    if config is None:
        config, _problems = load_config(root)
    if catalog is None:
        index = index or load_catalog(root, config)
        catalog = index.catalog
    schema_files = set(index.files.schema) if index is not None else set()
    keep = config.keep_literals if keep_literals is None else keep_literals
    harvester = Harvester(catalog, f"workspace:{root.name}", keep_literals=keep)
    result = harvester.result
    outside: list[str] = []
    files = [f for f in walk_files(root, config.exclude, suffixes=SUFFIXES, outside=outside) if f not in schema_files]
    for rel in outside:
        log.warning("%s is a symlink that leads out of the workspace: not read", rel)
    if outside:
        result.dropped.add("file:outside-workspace", len(outside))
    if max_files is not None and len(files) > max_files:
        result.dropped.add("file-limit", len(files) - max_files)
        files = files[:max_files]
    max_bytes = int(config.max_file_size_mb * 1024 * 1024)
    models: list[tuple[str, Candidate, str]] = []
    for done, rel in enumerate(files, 1):
        if on_file is not None:
            on_file(done, len(files))
        if is_secret(rel.rsplit("/", 1)[-1]):
            continue
        text, problem = read_text(root / rel, rel, max_bytes)
        if problem is not None:
            result.dropped.add(f"file:{problem.code}")
            continue
        if text is None:
            continue
        result.files += 1
        suffix = Path(rel).suffix.lower()
        if suffix == ".sql" and is_dbt_model(rel, text):
            candidate = dbt_candidate(text, rel)
            if candidate is not None:
                models.append((Path(rel).stem, candidate, rel))
            continue
        if suffix == ".sql":
            for candidate in sql_file_candidates(text, rel, catalog.dialect):
                harvester.add(candidate, rel, "sql")
            continue
        for candidate in code_candidates(text, rel, LANGUAGES[suffix]):
            harvester.add(candidate, rel, LANGUAGES[suffix])
    _add_models(harvester, models)
    return result


def _add_models(harvester: Harvester, models: list[tuple[str, Candidate, str]]) -> None:
    """Validate dbt models in dependency order: retry the failures while any pass."""
    pending = models
    while pending:
        failed = []
        progress = False
        for name, candidate, rel in pending:
            trial = Harvester(harvester.catalog, harvester.schema_id, harvester.keep_literals)
            if trial.add(candidate, rel, "dbt") is None:
                failed.append((name, candidate, rel))
                continue
            harvester.add_model(name, candidate, rel)
            progress = True
        if not progress:
            for _name, candidate, rel in failed:
                harvester.add(candidate, rel, "dbt")
            return
        pending = failed
