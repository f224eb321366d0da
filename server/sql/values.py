"""Seed data in schema files, read into a bounded sample of distinct values per column.

DDL files and migrations often carry rows: ``INSERT INTO t (cols) VALUES (...), (...)``
statements, pg_dump's ``COPY t (cols) FROM stdin;`` data blocks (ending at ``\\.``), and
CSV/JSON fixtures next to the migrations. This module reads them into a ``ValueSample``:
for each column, up to ``Limits.per_column`` distinct values (as text, in first-seen
order), kept apart from the schema (``Catalog`` knows nothing of it). It is what value
grounding (``server.ai.grounding``) matches questions against.

Reading is in two steps so that a workspace can cache the expensive part per file:

* ``read_seed(source, path, dialect) -> SeedFile`` reads one file's rows without a
  catalog (columns named in the statement, or by position when the column list is
  omitted). ``source`` is the file's text, or its statements from
  ``server.sql.text.split_statements`` (a ``COPY ... FROM stdin`` statement whose text
  holds its data lines up to ``\\.`` is read as data; with a splitter that cuts the data
  at semicolons, pass the text instead: the text reader finds COPY blocks itself).
* ``SeedFile.resolve(catalog) -> ValueSample`` maps table and column names to the
  catalog's keys (``Catalog.find`` / ``Catalog.key``; positions follow the catalog's
  column order). It is cheap and runs again whenever the catalog changes.

``collect_values(source, path, dialect, catalog)`` does both; ``ValueSample.merge`` and
``ValueSample.merge_all`` combine files; ``collect_fixture_values`` reads a CSV or JSON
fixture named after a table.

Bounds (``Limits``): distinct values per column, characters per value (longer strings
are cut and end with ``…``, see ``TRUNCATED``), values longer than ``skip_chars`` and
binary values (``\\x`` hex, ``X'..'``, control characters) are not kept, and a total
character budget for the whole sample. A column that dropped a distinct value for lack
of room is marked ``complete = False``; a complete column holds every distinct value its
rows had (useful for closed sets such as ``film.rating``). Values are SQL text as written
(numbers as their digits, booleans ``true``/``false``); NULLs are counted, not kept.

Speed: INSERT statements are read from sqlglot's tokenizer (about 2.5x faster than a
full parse on a 5,000-row INSERT), COPY data with plain string splitting; see
``bench/values_bench.py``. Bad input never raises: what cannot be read is counted in
``SeedFile.skipped``/``ValueSample.skipped`` with a reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from .catalog import Catalog, get_dialect
from .text import Statement, TextIndex, split_statements

TRUNCATED = "…"  # ends a value that was cut at ``Limits.max_chars``


@dataclass(frozen=True)
class Limits:
    """Bounds of a sample. ``per_column`` is high enough to hold every name of a
    1,000-film catalog (what grounding needs) and low enough that a 16k-row table costs
    little; ``total_chars`` bounds the memory of the whole sample (about 4 MB of text)."""

    per_column: int = 1000
    max_chars: int = 80
    skip_chars: int = 2000
    total_chars: int = 4_000_000


@dataclass
class ColumnValues:
    """The distinct values seen in one column."""

    table: str  # display name of the table (as spelled in the catalog, else the data)
    column: str  # display name of the column
    values: dict[str, None] = field(default_factory=dict)  # ordered set of distinct values
    rows: int = 0  # non-null values seen
    nulls: int = 0
    skipped: int = 0  # binary or huge values not kept
    complete: bool = True  # False once a distinct value was dropped for lack of room

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __contains__(self, value: object) -> bool:
        return value in self.values


@dataclass(frozen=True)
class Skip:
    """Something in a seed file that was not read, and why."""

    path: str
    line: int
    reason: str


_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_HEX_BYTEA = re.compile(r"\\x[0-9A-Fa-f]*\Z")


class _Budget:
    """The character budget shared by every column of one sample."""

    __slots__ = ("left",)

    def __init__(self, chars: int) -> None:
        self.left = chars


def _add(bag: ColumnValues, value: str | None, limits: Limits, budget: _Budget) -> None:
    if value is None:
        bag.nulls += 1
        return
    bag.rows += 1
    if value in bag.values:
        return
    if len(bag.values) >= limits.per_column:
        bag.complete = False
        return
    if len(value) > limits.max_chars:
        if len(value) > limits.skip_chars or _BINARY.search(value, 0, limits.skip_chars):
            bag.skipped += 1
            return
        value = value[: limits.max_chars - 1] + TRUNCATED
    elif _BINARY.search(value) or (value.startswith("\\x") and _HEX_BYTEA.match(value)):
        bag.skipped += 1
        return
    if value in bag.values:
        return
    if budget.left < len(value) + 8:
        bag.complete = False
        return
    budget.left -= len(value) + 8
    bag.values[value] = None


# A column of the data, before the catalog is known: its name and whether it was quoted,
# or its position when the statement gave no column list.
ColumnRef = tuple[str, bool] | int
# A table of the data: (schema or None, schema quoted, name, name quoted).
TableRef = tuple[str | None, bool, str, bool]


@dataclass
class SeedFile:
    """One file's seed rows, read without a catalog (see ``read_seed``)."""

    path: str
    tables: dict[TableRef, dict[ColumnRef, ColumnValues]] = field(default_factory=dict)
    skipped: list[Skip] = field(default_factory=list)
    rows: int = 0
    limits: Limits = field(default_factory=Limits)
    _budget: _Budget = field(default_factory=lambda: _Budget(Limits().total_chars), repr=False)

    def __post_init__(self) -> None:
        self._budget = _Budget(self.limits.total_chars)

    def _columns(self, table: TableRef, refs: list[ColumnRef]) -> list[ColumnValues]:
        cols = self.tables.setdefault(table, {})
        out = []
        for ref in refs:
            bag = cols.get(ref)
            if bag is None:
                bag = cols[ref] = ColumnValues(table[2], ref[0] if isinstance(ref, tuple) else f"#{ref + 1}")
            out.append(bag)
        return out

    def add_rows(self, table: TableRef, columns: list[ColumnRef] | None, rows: Iterable[list[str | None]]) -> None:
        """Add rows of ``table``; ``columns`` None means positional (``INSERT INTO t VALUES``)."""
        limits, budget = self.limits, self._budget
        bags: list[ColumnValues] = self._columns(table, list(columns)) if columns is not None else []
        for row in rows:
            if columns is None and len(row) > len(bags):
                bags = self._columns(table, list(range(len(row))))
            self.rows += 1
            for bag, value in zip(bags, row):
                _add(bag, value, limits, budget)

    def resolve(self, catalog: Catalog) -> ValueSample:
        """The sample keyed by ``catalog``'s table and column keys. Tables the catalog does
        not know keep the key the catalog would give them; positional columns take the
        catalog's column order (and are dropped when the table is unknown)."""
        sample = ValueSample(limits=self.limits, skipped=list(self.skipped))
        for (schema, schema_quoted, name, quoted), cols in self.tables.items():
            table = catalog.find(name, schema, quoted)
            if table is not None:
                tkey, tname = catalog.key_of(table), table.display_name
                ordered = list(table.columns.values())
            else:
                tkey = catalog.table_key(name, schema, quoted, schema_quoted)
                tname, ordered = (f"{schema}.{name}" if schema else name), []
            for ref, bag in cols.items():
                if isinstance(ref, int):
                    if ref >= len(ordered):
                        continue
                    ckey, cname = catalog.key(ordered[ref].name, True), ordered[ref].name
                else:
                    ckey = catalog.key(ref[0], ref[1])
                    known = table.columns.get(ckey) if table is not None else None
                    cname = known.name if known is not None else ref[0]
                sample._absorb(tkey, ckey, tname, cname, bag)
        return sample


@dataclass
class ValueSample:
    """Distinct values per column, keyed by (catalog table key, catalog column key)."""

    columns: dict[tuple[str, str], ColumnValues] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    skipped: list[Skip] = field(default_factory=list)
    _budget: _Budget | None = field(default=None, repr=False)

    def _room(self) -> _Budget:
        if self._budget is None:
            used = sum(len(v) + 8 for bag in self.columns.values() for v in bag.values)
            self._budget = _Budget(self.limits.total_chars - used)
        return self._budget

    def _absorb(self, tkey: str, ckey: str, tname: str, cname: str, bag: ColumnValues) -> None:
        mine = self.columns.get((tkey, ckey))
        if mine is None:
            mine = self.columns[(tkey, ckey)] = ColumnValues(tname, cname)
        budget = self._room()
        for value in bag.values:
            if value not in mine.values:
                if len(mine.values) >= self.limits.per_column or budget.left < len(value) + 8:
                    mine.complete = False
                    continue
                budget.left -= len(value) + 8
                mine.values[value] = None
        mine.rows += bag.rows
        mine.nulls += bag.nulls
        mine.skipped += bag.skipped
        mine.complete = mine.complete and bag.complete

    def get(self, table_key: str, column_key: str) -> ColumnValues | None:
        return self.columns.get((table_key, column_key))

    def values(self, table_key: str, column_key: str) -> list[str]:
        bag = self.columns.get((table_key, column_key))
        return list(bag.values) if bag is not None else []

    def table(self, table_key: str) -> dict[str, ColumnValues]:
        """The sampled columns of one table, by column key."""
        return {c: bag for (t, c), bag in self.columns.items() if t == table_key}

    def __iter__(self) -> Iterator[tuple[tuple[str, str], ColumnValues]]:
        return iter(self.columns.items())

    def __len__(self) -> int:
        return len(self.columns)

    def __bool__(self) -> bool:
        return any(bag.values for bag in self.columns.values())

    def value_count(self) -> int:
        return sum(len(bag.values) for bag in self.columns.values())

    def merge(self, other: ValueSample) -> ValueSample:
        """A new sample holding both (values of ``self`` first; bounds of ``self``)."""
        out = ValueSample(limits=self.limits, skipped=[*self.skipped, *other.skipped])
        for part in (self, other):
            for (tkey, ckey), bag in part.columns.items():
                out._absorb(tkey, ckey, bag.table, bag.column, bag)
        return out

    @staticmethod
    def merge_all(samples: Iterable[ValueSample], limits: Limits | None = None) -> ValueSample:
        """One sample from many (e.g. every schema file of a workspace, in order)."""
        out = ValueSample(limits=limits or Limits())
        for sample in samples:
            out.skipped.extend(sample.skipped)
            for (tkey, ckey), bag in sample.columns.items():
                out._absorb(tkey, ckey, bag.table, bag.column, bag)
        return out


# --------------------------------------------------------------------------- reading

_COPY_HEADER = re.compile(
    r"^[ \t]*COPY[ \t]+(?P<table>(?:\"(?:[^\"]|\"\")*\"|[^\s(\"])+)[ \t]*(?:\((?P<cols>[^)]*)\))?[ \t]*FROM[ \t]+stdin\b(?P<opts>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_END_OF_DATA = re.compile(r"^\\\.[ \t]*\r?$", re.MULTILINE)
_IDENT = re.compile(r'"((?:[^"]|"")*)"|([^\s.,"]+)')
_COPY_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.DOTALL)
_COPY_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HAS_SEED = re.compile(r"\b(?:INSERT|REPLACE|COPY)\b", re.IGNORECASE)


def has_seed_rows(text: str) -> bool:
    """Whether ``text`` may hold seed rows (a cheap test before ``read_seed``)."""
    return _HAS_SEED.search(text) is not None


def _idents(text: str) -> list[tuple[str, bool]]:
    """Identifiers of a dotted name or a comma list: (name, quoted)."""
    out = []
    for match in _IDENT.finditer(text):
        if match.group(1) is not None:
            out.append((match.group(1).replace('""', '"'), True))
        else:
            out.append((match.group(2), False))
    return out


def _table_ref(parts: list[tuple[str, bool]]) -> TableRef | None:
    if not parts:
        return None
    name, quoted = parts[-1]
    schema, schema_quoted = parts[-2] if len(parts) >= 2 else (None, False)
    return (schema, schema_quoted, name, quoted)


def _copy_unescape(match: re.Match[str]) -> str:
    octal, hexa, char = match.groups()
    if octal is not None:
        return chr(int(octal, 8))
    if hexa is not None:
        return chr(int(hexa, 16))
    return _COPY_SIMPLE.get(char, char)


def _copy_text_rows(lines: Iterable[str], delimiter: str, null: str) -> Iterator[list[str | None]]:
    for line in lines:
        if line.endswith("\r"):
            line = line[:-1]
        row: list[str | None] = []
        for value in line.split(delimiter):
            if value == null:
                row.append(None)
            elif "\\" in value:
                row.append(_COPY_ESCAPE.sub(_copy_unescape, value))
            else:
                row.append(value)
        yield row


def _copy_options(opts: str) -> tuple[bool, str, str]:
    """(csv format, delimiter, null marker) from the options after ``FROM stdin``."""
    low = opts.lower()
    is_csv = bool(re.search(r"\bcsv\b", low))
    delim = re.search(r"delimiter\s+(?:as\s+)?E?'((?:[^']|'')*)'", opts, re.IGNORECASE)
    null = re.search(r"\bnull\s+(?:as\s+)?'((?:[^']|'')*)'", opts, re.IGNORECASE)
    delimiter = (delim.group(1).replace("\\t", "\t") if delim else ("," if is_csv else "\t")) or "\t"
    return is_csv, delimiter, (null.group(1) if null else ("" if is_csv else "\\N"))


def read_copy(seed: SeedFile, header: re.Match[str], data: str, line: int) -> None:
    """Add one COPY block: ``header`` is a ``_COPY_HEADER`` match, ``data`` its data lines
    (without the ``\\.`` line)."""
    table = _table_ref(_idents(header.group("table")))
    if table is None:
        seed.skipped.append(Skip(seed.path, line, "COPY without a table name"))
        return
    cols_text = header.group("cols")
    columns: list[ColumnRef] | None = list(_idents(cols_text)) if cols_text is not None else None
    is_csv, delimiter, null = _copy_options(header.group("opts") or "")
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if is_csv:
        reader = csv.reader(io.StringIO(data), delimiter=delimiter[0])
        if re.search(r"\bheader\b", (header.group("opts") or "").lower()):
            next(reader, None)
        seed.add_rows(table, columns, ([None if v == null else v for v in row] for row in reader))
    else:
        seed.add_rows(table, columns, _copy_text_rows(lines, delimiter, null))


def _read_copy_statement(seed: SeedFile, text: str, line: int) -> None:
    header = _COPY_HEADER.search(text)
    if header is None:
        return  # COPY from a file or to stdout: no rows here
    body_start = header.end() + 1
    end = _END_OF_DATA.search(text, body_start)
    if end is None:
        seed.skipped.append(Skip(seed.path, line, "COPY data block without its closing \\. line; read up to the end of the statement"))
        read_copy(seed, header, text[body_start:], line)
    else:
        read_copy(seed, header, text[body_start : end.start()], line)


def _scan_copy_blocks(seed: SeedFile, text: str) -> str:
    """Read every ``COPY ... FROM stdin`` block of ``text``; return ``text`` with each
    block replaced by its line breaks (so line numbers of the rest still hold)."""
    pieces: list[str] = []
    pos = 0
    for header in _COPY_HEADER.finditer(text):
        if header.start() < pos:
            continue  # a COPY line inside the data of the previous block
        line = text.count("\n", 0, header.start()) + 1
        body_start = min(header.end() + 1, len(text))
        end = _END_OF_DATA.search(text, body_start)
        if end is None:
            seed.skipped.append(Skip(seed.path, line, "COPY data block never ends (no \\. line); read up to the end of the file"))
            stop = len(text)
            read_copy(seed, header, text[body_start:], line)
        else:
            stop = end.end()
            read_copy(seed, header, text[body_start : end.start()], line)
        pieces.append(text[pos : header.start()])
        pieces.append("\n" * text.count("\n", header.start(), stop))
        pos = stop
    if not pieces:
        return text
    pieces.append(text[pos:])
    return "".join(pieces)


_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})
_STOP_TABLE = frozenset({TokenType.L_PAREN, TokenType.VALUES, TokenType.SELECT, TokenType.WITH, TokenType.DEFAULT})


def _literal(tokens: list[Token], dialect: str) -> tuple[bool, str | None]:
    """(is a literal, its text) for the tokens of one VALUES item."""
    if not tokens:
        return False, None
    first = tokens[0].token_type
    if first == TokenType.STRING or first == TokenType.NATIONAL_STRING or (first == TokenType.BYTE_STRING and dialect == "postgres"):
        # 'x', N'x', E'x' (postgres), optionally cast: 'x'::date
        if len(tokens) == 1 or tokens[1].token_type == TokenType.DCOLON:
            return True, tokens[0].text
        return False, None
    if len(tokens) == 1:
        if first == TokenType.NUMBER:
            return True, tokens[0].text
        if first == TokenType.NULL:
            return True, None
        if first in (TokenType.TRUE, TokenType.FALSE):
            return True, tokens[0].text.lower()
        return False, None
    if len(tokens) == 2 and first in (TokenType.DASH, TokenType.PLUS) and tokens[1].token_type == TokenType.NUMBER:
        return True, ("-" if first == TokenType.DASH else "") + tokens[1].text
    return False, None


_NOT_A_VALUE = object()


def read_insert(seed: SeedFile, code: str, dialect: str, line: int) -> None:
    """Add the rows of one ``INSERT [INTO] t [(cols)] VALUES (...), ...`` statement. Items
    that are not literals (function calls, expressions) are left out of the sample;
    ``INSERT ... SELECT`` has no rows to read."""
    try:
        tokens = get_dialect(dialect).tokenize(code)
    except (SqlglotError, ValueError) as exc:
        seed.skipped.append(Skip(seed.path, line, f"INSERT not tokenized: {str(exc).splitlines()[0][:120]}"))
        return
    n = len(tokens)
    i = 0
    while i < n and tokens[i].token_type not in (TokenType.INTO, TokenType.TABLE):
        if tokens[i].token_type in (TokenType.VALUES, TokenType.SELECT):
            break
        i += 1
    i += 1
    parts: list[tuple[str, bool]] = []
    while i < n and tokens[i].token_type not in _STOP_TABLE:
        tok = tokens[i]
        if tok.token_type != TokenType.DOT:
            parts.append((tok.text, tok.token_type == TokenType.IDENTIFIER))
        i += 1
    table = _table_ref(parts)
    if table is None or i >= n:
        return
    columns: list[ColumnRef] | None = None
    if tokens[i].token_type == TokenType.L_PAREN:
        columns = []
        i += 1
        while i < n and tokens[i].token_type != TokenType.R_PAREN:
            tok = tokens[i]
            if tok.token_type == TokenType.SELECT:
                return  # INSERT INTO t (SELECT ...)
            if tok.token_type != TokenType.COMMA:
                columns.append((tok.text, tok.token_type == TokenType.IDENTIFIER))
            i += 1
        i += 1
    if i >= n or tokens[i].token_type != TokenType.VALUES:
        return
    i += 1
    rows: list[list[object]] = []
    while i < n and tokens[i].token_type == TokenType.L_PAREN:
        i += 1
        row: list[object] = []
        item: list[Token] = []
        depth = 0
        while i < n:
            kind = tokens[i].token_type
            if depth == 0 and kind in (TokenType.COMMA, TokenType.R_PAREN):
                ok, value = _literal(item, dialect)
                row.append(value if ok else _NOT_A_VALUE)
                item = []
                i += 1
                if kind == TokenType.R_PAREN:
                    break
                continue
            if kind == TokenType.L_PAREN:
                depth += 1
            elif kind == TokenType.R_PAREN:
                depth -= 1
            item.append(tokens[i])
            i += 1
        rows.append(row)
        if i < n and tokens[i].token_type == TokenType.COMMA:
            i += 1
    _add_mixed_rows(seed, table, columns, rows)


def _add_mixed_rows(seed: SeedFile, table: TableRef, columns: list[ColumnRef] | None, rows: list[list[object]]) -> None:
    """Rows whose non-literal items are left out: the columns of each item are kept by
    position, so a skipped item never shifts the values after it."""
    width = max((len(r) for r in rows), default=0)
    refs: list[ColumnRef] = list(columns) if columns is not None else list(range(width))
    bags = seed._columns(table, refs)
    limits, budget = seed.limits, seed._budget
    for row in rows:
        seed.rows += 1
        for bag, value in zip(bags, row):
            if value is not _NOT_A_VALUE:
                _add(bag, value if isinstance(value, str) else None, limits, budget)


def read_seed(source: str | Iterable[Statement], path: str, dialect: str, limits: Limits | None = None, index: TextIndex | None = None) -> SeedFile:
    """Read the seed rows (``INSERT ... VALUES``, ``COPY ... FROM stdin``) of one file.

    ``source`` is the file's text (COPY blocks are found in it directly, the rest is cut
    with ``split_statements``) or its statements already cut; with statements, ``index``
    (the file's ``TextIndex``) gives the rows their line numbers."""
    seed = SeedFile(path, limits=limits or Limits())
    if isinstance(source, str):
        if not _HAS_SEED.search(source):
            return seed
        rest = _scan_copy_blocks(seed, source) if "stdin" in source.lower() else source
        if not re.search(r"\b(?:INSERT|REPLACE)\b", rest, re.IGNORECASE):
            return seed
        statements: Iterable[Statement] = split_statements(rest, dialect)
        lines: TextIndex | None = TextIndex(rest)
    else:
        statements, lines = source, index
    for statement in statements:
        keyword = statement.first_keyword()
        if keyword not in ("COPY", "INSERT", "REPLACE"):
            continue
        code = statement.code
        line = lines.position(statement.start).line + 1 if lines is not None else statement.index + 1
        if keyword == "COPY":
            _read_copy_statement(seed, code, line)
        elif keyword in ("INSERT", "REPLACE"):
            read_insert(seed, code, dialect, line)
    return seed


def collect_values(source: str | Iterable[Statement], path: str, dialect: str, catalog: Catalog, limits: Limits | None = None) -> ValueSample:
    """The value sample of one file's seed rows, keyed by ``catalog``'s keys."""
    return read_seed(source, path, dialect, limits).resolve(catalog)


# --------------------------------------------------------------------------- fixtures

FIXTURE_SUFFIXES = (".csv", ".json")


def read_fixture(path: str, text: str, limits: Limits | None = None) -> SeedFile:
    """Rows of a fixture file named after its table: ``film.csv`` or ``public.film.csv``
    (header row of column names), or ``film.json`` (a list of objects; a JSON object of
    ``{table: [rows]}`` names its tables itself)."""
    seed = SeedFile(path, limits=limits or Limits())
    stem = PurePath(path).name.rsplit(".", 1)[0]
    table = _table_ref([(p, False) for p in stem.split(".")[-2:]])
    suffix = PurePath(path).suffix.lower()
    try:
        if suffix == ".csv" and table is not None:
            reader = csv.reader(io.StringIO(text))
            header = next(reader, None)
            if header:
                cols: list[ColumnRef] = [(h.strip(), False) for h in header]
                seed.add_rows(table, cols, ([v if v != "" else None for v in row] for row in reader))
        elif suffix == ".json":
            data = json.loads(text)
            groups = data.items() if isinstance(data, dict) else [(stem, data)]
            for name, rows in groups:
                ref = _table_ref([(p, False) for p in str(name).split(".")[-2:]])
                if ref is None or not isinstance(rows, list):
                    continue
                objects = [r for r in rows if isinstance(r, dict)]
                keys = list(dict.fromkeys(k for r in objects for k in r))
                seed.add_rows(ref, [(k, False) for k in keys], ([_json_value(r.get(k)) for k in keys] for r in objects))
    except (ValueError, csv.Error) as exc:
        seed.skipped.append(Skip(path, 1, f"fixture not read: {str(exc)[:120]}"))
    return seed


def _json_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value)[:4000]


def collect_fixture_values(path: str, text: str, catalog: Catalog, limits: Limits | None = None) -> ValueSample:
    """The value sample of one CSV/JSON fixture (tables the catalog does not know are kept
    under the key the catalog would give them)."""
    return read_fixture(path, text, limits).resolve(catalog)
