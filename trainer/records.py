"""Training records: building them, rendering their schema, validating and writing them.

A record is one (question, SQL) pair plus its schema context, shaped by
``schemas/training-record.schema.json``. Every loader (public, spider, harvest, synthetic)
builds records through ``make_record`` and reports what it dropped in a ``Drops`` counter;
``write_jsonl`` writes through a temporary file and a rename, so a reader never sees half a
file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from sqlglot import exp

from ..server.ai.grounding import ValueMatch
from ..server.ai.linking import link_schema
from ..server.ai.schema_slice import rendered_tables
from ..server.sql.catalog import Catalog, Table
from ..server.sql.replay import apply_ops
from ..server.sql.workspace import parse_schema_text

Record = dict[str, Any]

COMPLEXITY_LABELS = (
    "basic SQL", "aggregation", "single join", "multiple_joins", "subqueries",
    "set operations", "window functions", "CTEs",
)


class Drops(Counter[str]):
    """Counts of dropped items by reason (``parse-error``, ``unknown-table``, ``duplicate``...)."""

    def add(self, reason: str, n: int = 1) -> None:
        self[reason] += n

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.items()) if v}


def stable_id(*parts: object) -> str:
    """A short id that depends only on ``parts``."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def make_record(
    *, source: str, dialect: str, schema: str, question: str, sql: str,
    schema_id: str | None = None, explanation: str | None = None, complexity: str | None = None,
    setup_sql: str | None = None, provenance: dict[str, Any] | None = None, id: str | None = None,
) -> Record:
    """A record with the schema's required fields and whichever optional ones are known."""
    record: Record = {
        "id": id or f"{source}-{stable_id(schema_id or schema, question, sql)}",
        "source": source,
        "dialect": dialect,
        "schema": schema,
        "question": question.strip(),
        "sql": sql.strip(),
    }
    if schema_id is not None:
        record["schema_id"] = schema_id
    if explanation is not None:
        record["explanation"] = explanation
    if complexity is not None:
        record["complexity"] = complexity
    if setup_sql is not None:
        record["setup_sql"] = setup_sql
    if provenance:
        record["provenance"] = {k: v for k, v in provenance.items() if v is not None}
    return record


# --------------------------------------------------------------------------- catalogs


def catalog_from_sql(text: str, dialect: str, path: str = "<schema>") -> Catalog:
    """A catalog from CREATE/ALTER statements in ``text`` (other statements are ignored)."""
    parsed = parse_schema_text(text, path, dialect)
    catalog = Catalog(dialect=dialect)
    catalog.issues.extend(parsed.issues)
    apply_ops(catalog, parsed.ops)
    return catalog


RESERVED = frozenset(["ALL", "ALTER", "AND", "ANY", "ARRAY", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "CHECK", "COLUMN", "CONSTRAINT", "CREATE", "CROSS", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER", "DEFAULT", "DELETE", "DESC", "DISTINCT", "DO", "DROP", "ELSE", "END", "EXCEPT", "EXISTS", "FALSE", "FETCH", "FOR", "FOREIGN", "FROM", "FULL", "GRANT", "GROUP", "HAVING", "IN", "INDEX", "INNER", "INSERT", "INTERSECT", "INTERVAL", "INTO", "IS", "JOIN", "KEY", "LATERAL", "LEFT", "LIKE", "LIMIT", "NATURAL", "NOT", "NULL", "OFFSET", "ON", "ONLY", "OR", "ORDER", "OUTER", "OVER", "PARTITION", "PRIMARY", "RANGE", "REFERENCES", "RETURNING", "RIGHT", "ROWS", "SELECT", "SET", "SOME", "TABLE", "THEN", "TO", "TOP", "TRUE", "UNION", "UNIQUE", "UPDATE", "USER", "USING", "VALUES", "WHEN", "WHERE", "WINDOW", "WITH"])


@functools.lru_cache(maxsize=64)
def _keywords(dialect: str) -> frozenset[str]:
    from ..server.sql.catalog import get_dialect

    dialect_class = get_dialect(dialect)
    words = {k.upper() for k in dialect_class.tokenizer_class.KEYWORDS if " " not in k}
    words |= {k.upper() for k in getattr(dialect_class.generator_class, "RESERVED_KEYWORDS", ())}
    return frozenset(words | RESERVED)


@functools.lru_cache(maxsize=65536)
def quote_ident(name: str, dialect: str, keep_case: bool = True) -> str:
    """``name`` as an identifier of ``dialect``, quoted only when it has to be (unsafe
    characters, a keyword, or, with ``keep_case``, a spelling the dialect's case folding would
    change). ``keep_case=False`` is for a name created unquoted (see :func:`created_quoted`)."""
    from ..server.sql.catalog import normalize_name

    if not name:
        return '""'
    quoted = (not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name) or name.upper() in _keywords(dialect)
              or (keep_case and normalize_name(name, dialect) != name))
    if quoted and not keep_case:  # quoted for another reason: spell it as the dialect folded it
        name = normalize_name(name, dialect)
    return exp.to_identifier(name, quoted=quoted).sql(dialect=dialect)


def created_quoted(spelling: str | None, key: str, dialect: str) -> bool:
    """Whether an identifier spelt ``spelling`` whose catalog lookup key is ``key`` was created
    quoted with a case the dialect folds (the key kept the spelling), so it must stay quoted;
    a mixed-case name written unquoted (PostgreSQL's ``CREATE TABLE Purchasing.Vendor`` is
    ``purchasing.vendor``) is only displayed that way, and quoting it names another object."""
    from ..server.sql.catalog import normalize_name

    return bool(spelling) and key == spelling and normalize_name(spelling or "", dialect) != spelling


_ident = quote_ident


def table_ddl(catalog: Catalog, table: Table) -> str:
    """``CREATE TABLE`` (or ``CREATE VIEW``) text for one table, with keys."""
    dialect = catalog.dialect
    name = ".".join(_ident(p, dialect) for p in (table.schema, table.name) if p)
    if table.kind == "view" and table.definition:
        return f"CREATE VIEW {name} AS {table.definition};"
    lines = []
    for column in table.columns.values():
        parts = [_ident(column.name, dialect), column.type or "TEXT"]
        if not column.nullable and not column.primary_key:
            parts.append("NOT NULL")
        if column.unique and not column.primary_key:
            parts.append("UNIQUE")
        lines.append(" ".join(parts))
    names = {k: c.name for k, c in table.columns.items()}
    if table.primary_key:
        lines.append("PRIMARY KEY (" + ", ".join(_ident(names.get(k, k), dialect) for k in table.primary_key) + ")")
    for fk in table.foreign_keys:
        target = catalog.tables.get(fk.ref_table)
        ref_name = ".".join(_ident(p, dialect) for p in (target.schema, target.name) if p) if target else _ident(fk.ref_table, dialect)
        ref_cols = fk.ref_columns or (target.primary_key if target else ())
        ref_names = [target.columns[k].name if target and k in target.columns else k for k in ref_cols]
        cols = ", ".join(_ident(names.get(k, k), dialect) for k in fk.columns)
        ref = f" ({', '.join(_ident(c, dialect) for c in ref_names)})" if ref_names else ""
        lines.append(f"FOREIGN KEY ({cols}) REFERENCES {ref_name}{ref}")
    body = ",\n  ".join(lines)
    return f"CREATE TABLE {name} (\n  {body}\n);"


def render_schema(catalog: Catalog, keys: Iterable[str] | None = None) -> str:
    """The schema context of a record: CREATE statements of ``keys`` (default: all tables)."""
    chosen = list(keys) if keys is not None else list(catalog.tables)
    return "\n\n".join(table_ddl(catalog, catalog.tables[k]) for k in chosen if k in catalog.tables)


def referenced_tables(tree: exp.Expression, catalog: Catalog) -> list[str]:
    """Catalog keys of the tables a parsed statement names, in first-use order."""
    out: list[str] = []
    for node in tree.find_all(exp.Table):
        table = catalog.find_expression(node)
        if table is not None:
            key = catalog.key_of(table)
            if key not in out:
                out.append(key)
    return out


def schema_slice(catalog: Catalog, tree: exp.Expression | None) -> str:
    """The tables a statement uses plus their foreign-key neighbours; all tables if unknown."""
    if tree is None:
        return render_schema(catalog)
    keys = referenced_tables(tree, catalog)
    if not keys:
        return render_schema(catalog)
    extra: list[str] = []
    for key in keys:
        table = catalog.tables[key]
        extra.extend(fk.ref_table for fk in table.foreign_keys)
        extra.extend(k for t, _ in catalog.referencing(key) for k, other in catalog.tables.items() if other is t)
    ordered = list(dict.fromkeys([*keys, *extra]))
    return render_schema(catalog, [k for k in ordered if k in catalog.tables][:12])


def serving_slice(catalog: Catalog, tree: exp.Expression | None, question: str, matches: Sequence[ValueMatch] = ()) -> str:
    """The schema context serving would show the model for ``question`` (``link_schema``'s
    tables, in its one-line-per-table form), plus any table the statement uses that linking
    missed: training prompts look like serving prompts, distractor tables included."""
    linked = link_schema(catalog, question, matches)
    used = referenced_tables(tree, catalog) if tree is not None else []
    wanted = set(linked.keys) | set(used)
    rendered = rendered_tables(catalog)
    return "\n".join(rendered[k] for k in catalog.tables if k in wanted and k in rendered)


# --------------------------------------------------------------------------- validation / IO


@functools.lru_cache(maxsize=1)
def record_validator() -> Any:
    """A jsonschema validator for ``training-record.schema.json``."""
    import jsonschema

    text = resources.files("querywright.schemas").joinpath("training-record.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def record_errors(record: Record) -> list[str]:
    """Schema violations of one record (empty when valid)."""
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in record_validator().iter_errors(record)]


def write_jsonl(path: Path, records: Iterable[Record]) -> int:
    """Write records as JSON lines atomically (temp file + rename); returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def write_json(path: Path, payload: Any) -> None:
    """Write one JSON document atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_jsonl(path: Path) -> Iterator[Record]:
    """Records of a JSONL file (blank lines skipped)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def validate_sql(sql: str, catalog: Catalog) -> tuple[exp.Expression | None, str | None]:
    """Parse ``sql`` (one statement) in the catalog's dialect and check it against the catalog.

    Returns the tree and None when valid, else (tree or None, reason): ``empty``,
    ``multiple-statements``, ``parse-error``, ``too-deep`` or the first error's check code.
    """
    from ..server.sql.checks import check_sql
    from ..server.sql.issues import Severity
    from ..server.sql.text import split_statements

    statements = [s for s in split_statements(sql, catalog.dialect) if not s.is_blank]
    if not statements:
        return None, "empty"
    if len(statements) > 1:
        return None, "multiple-statements"
    issues = check_sql(sql, catalog)
    errors = [i for i in issues if i.severity == Severity.ERROR]
    if any(i.code in ("parse-error", "too-deep") for i in errors):
        return None, errors[0].code
    tree = parse_tree(statements[0].text, catalog.dialect)
    if tree is None:
        return None, "parse-error"
    if errors:
        return tree, errors[0].code
    return tree, None


def parse_tree(sql: str, dialect: str) -> exp.Expression | None:
    """The sqlglot tree of one statement, or None when it does not parse."""
    from sqlglot.errors import ParseError, TokenError

    from ..server.sql.catalog import get_dialect

    try:
        trees = get_dialect(dialect).parse(sql)
    except (ParseError, TokenError, RecursionError, ValueError):
        return None
    return next((t for t in trees if t is not None), None)


def complexity_of(tree: exp.Expression) -> str:
    """The public set's complexity label for a statement (the most advanced feature wins)."""
    if tree.find(exp.Window):
        return "window functions"
    if tree.find(exp.With):
        return "CTEs"
    if isinstance(tree, exp.SetOperation) or tree.find(exp.SetOperation):
        return "set operations"
    selects = list(tree.find_all(exp.Select))
    if len(selects) > 1 or tree.find(exp.Subquery) or tree.find(exp.Exists):
        return "subqueries"
    joins = len(list(tree.find_all(exp.Join)))
    if joins >= 2:
        return "multiple_joins"
    if joins == 1:
        return "single join"
    if tree.find(exp.AggFunc) or tree.find(exp.Group):
        return "aggregation"
    return "basic SQL"
