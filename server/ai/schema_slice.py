"""The schema part of a model prompt: the catalog tables that matter, as compact DDL.

``slice_schema`` picks tables and ``render_ddl`` writes them. When the whole catalog fits
the token budget it is used whole, so the rendered schema (the prompt's first and longest
part) stays byte-identical while the user types and an engine's prefix cache is reused.
Over budget, tables are ranked:

- named in the statement being written (prefix + suffix): strongest signal;
- named in the question / comment, matched loosely (case, plural/singular, ``order items``
  for ``order_items``, small typos);
- foreign-key neighbours of those (both directions);
- tables owning a column the question names;

then taken best first while they fit, and rendered in catalog order (not rank order), so
adding one table changes the text only where that table goes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..sql.catalog import Catalog, Table
from .prompt import neutralize

DEFAULT_TOKEN_BUDGET = 1200
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|\"[^\"]+\"|`[^`]+`")
_QUESTION_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")

SCORE_IN_STATEMENT = 100.0
SCORE_IN_QUESTION = 60.0
SCORE_PARTIAL = 25.0
SCORE_NEIGHBOUR = 20.0
SCORE_COLUMN = 8.0


def estimate_tokens(text: str) -> int:
    """A cheap upper-side estimate of a text's token count for SQL-like text (BPE
    tokenizers of small models spend about one token per 3 characters of DDL)."""
    return len(text) // 3 + 1


def render_table(table: Table, catalog: Catalog) -> str:
    """One table as a one-line ``CREATE TABLE``; a view as ``CREATE VIEW name (columns)``.

    Only what helps write queries is kept: column names and types, primary keys and
    foreign keys (``REFERENCES``); a table comment follows as ``-- comment``. A view's
    body is left out on purpose: small models copy it instead of answering.
    """
    single_fk: dict[str, str] = {}
    trailing: list[str] = []
    for fk in table.foreign_keys:
        target = catalog.tables.get(fk.ref_table)
        target_name = target.display_name if target else fk.ref_table
        ref_columns = fk.ref_columns or (target.primary_key if target else ())
        ref_names = [_column_name(target, key) for key in ref_columns]
        refs = f"REFERENCES {target_name}" + (f"({', '.join(ref_names)})" if ref_names else "")
        if len(fk.columns) == 1:
            single_fk[fk.columns[0]] = refs
        else:
            names = ", ".join(_column_name(table, key) for key in fk.columns)
            trailing.append(f"FOREIGN KEY ({names}) {refs}")
    if table.kind == "view":
        columns = ", ".join(f"{c.name} {c.type}".rstrip() for c in table.columns.values())
        line = f"CREATE VIEW {table.display_name} ({columns});"
        return line + (f" -- {_one_line(table.comment)}" if table.comment else "")
    composite_pk = len(table.primary_key) > 1
    parts: list[str] = []
    for key, column in table.columns.items():
        piece = column.name + (f" {column.type}" if column.type else "")
        if column.primary_key and not composite_pk:
            piece += " PRIMARY KEY"
        if key in single_fk:
            piece += f" {single_fk[key]}"
        parts.append(piece)
    if composite_pk:
        parts.append(f"PRIMARY KEY ({', '.join(_column_name(table, k) for k in table.primary_key)})")
    parts.extend(trailing)
    keyword = "VIEW" if table.kind == "view" else "TABLE"
    line = f"CREATE {keyword} {table.display_name} ({', '.join(parts)});"
    return line + (f" -- {_one_line(table.comment)}" if table.comment else "")


def _column_name(table: Table | None, key: str) -> str:
    column = table.columns.get(key) if table is not None else None
    return column.name if column is not None else key


def _one_line(text: str) -> str:
    """A comment as one line of the prompt, chat-template tokens defused."""
    return neutralize(" ".join(text.split()))


def render_ddl(tables: Iterable[Table], catalog: Catalog) -> str:
    """Tables as DDL, one per line, in the order given."""
    return "\n".join(render_table(table, catalog) for table in tables)


@dataclass(frozen=True)
class SchemaSlice:
    """The chosen tables (catalog keys, catalog order), their DDL and its token estimate."""

    keys: tuple[str, ...]
    ddl: str
    tokens: int
    complete: bool  # the whole catalog fitted

    def tables(self, catalog: Catalog) -> list[Table]:
        return [catalog.tables[key] for key in self.keys if key in catalog.tables]


def _variants(word: str) -> set[str]:
    """A word and its likely singular/plural forms (lower case)."""
    w = word.lower()
    out = {w}
    if w.endswith("ies") and len(w) > 4:
        out.add(w[:-3] + "y")
    if w.endswith(("ses", "xes", "ches", "shes")):
        out.add(w[:-2])
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        out.add(w[:-1])
    if w.endswith("y") and len(w) > 2 and w[-2] not in "aeiou":
        out.add(w[:-1] + "ies")
    else:
        out.add(w + "s")
    if w.endswith(("s", "x", "ch", "sh")):
        out.add(w + "es")
    return out


def _question_words(question: str) -> list[str]:
    return [w.lower() for w in _QUESTION_WORD.findall(question)]


def _table_question_score(table: Table, word_set: set[str], joined: str, fuzzy: set[str]) -> float:
    """How strongly a question names ``table``: whole name (also as space-separated
    words), then any part of a ``snake_case`` name, loosely (``fuzzy``: table names close
    to a question word)."""
    name = table.name.lower()
    parts = [p for p in name.split("_") if p]
    phrase = " ".join(parts)
    if name in word_set or phrase and any(v in joined for v in _variants(phrase)):
        return SCORE_IN_QUESTION
    if len(parts) > 1 and parts[-1] in word_set:
        return SCORE_PARTIAL
    if name in fuzzy:
        return SCORE_IN_QUESTION * 0.8
    if len(parts) > 1 and any(p in word_set for p in parts if len(p) > 2):
        return SCORE_PARTIAL * 0.6
    return 0.0


def _statement_tables(statement: str, catalog: Catalog) -> set[str]:
    """Catalog keys of tables named anywhere in the statement text (no parsing, so an
    unfinished statement works too)."""
    found: set[str] = set()
    names = {t.name.lower(): key for key, t in catalog.tables.items()}
    for raw in _WORD.findall(statement):
        quoted = raw[0] in "\"`"
        word = raw[1:-1] if quoted else raw
        key = catalog.key(word, quoted)
        if key in catalog.tables:
            found.add(key)
        elif word.lower() in names:
            found.add(names[word.lower()])
    return found


def rank_tables(catalog: Catalog, statement: str = "", question: str = "") -> dict[str, float]:
    """A relevance score per table key (0 for unrelated tables)."""
    scores = {key: 0.0 for key in catalog.tables}
    for key in _statement_tables(statement, catalog):
        scores[key] += SCORE_IN_STATEMENT
    words = _question_words(question)
    if words:
        joined = " ".join(words)
        word_set = {v for w in words for v in _variants(w)}
        names = sorted({t.name.lower() for t in catalog.tables.values()})
        fuzzy = {m for w in word_set if len(w) > 3 for m in difflib.get_close_matches(w, names, n=3, cutoff=0.85)}
        for key, table in catalog.tables.items():
            scores[key] += _table_question_score(table, word_set, joined, fuzzy)
            hits = sum(1 for c in table.columns.values() if c.name.lower() in word_set and c.name.lower() != "id")
            scores[key] += SCORE_COLUMN * min(hits, 3)
    named = [key for key, score in scores.items() if score >= SCORE_PARTIAL]
    for key in named:
        table = catalog.tables[key]
        for fk in table.foreign_keys:
            if fk.ref_table in scores:
                scores[fk.ref_table] += SCORE_NEIGHBOUR
        for other, _fk in catalog.referencing(key):
            scores[catalog.key_of(other)] += SCORE_NEIGHBOUR
    return scores


_RENDERED: dict[int, tuple[Catalog, int, dict[str, str]]] = {}
_RENDERED_MAX = 8


def rendered_tables(catalog: Catalog) -> dict[str, str]:
    """Every table's DDL line, rendered once per catalog object (catalogs are replaced,
    not edited, when the schema changes; the column count guards against edits)."""
    fingerprint = catalog.column_count() + len(catalog.tables)
    hit = _RENDERED.get(id(catalog))
    if hit is not None and hit[0] is catalog and hit[1] == fingerprint:
        return hit[2]
    rendered = {key: render_table(table, catalog) for key, table in catalog.tables.items()}
    if len(_RENDERED) >= _RENDERED_MAX:
        _RENDERED.pop(next(iter(_RENDERED)))
    _RENDERED[id(catalog)] = (catalog, fingerprint, rendered)
    return rendered


def slice_schema(
    catalog: Catalog,
    statement: str = "",
    question: str = "",
    budget_tokens: int = DEFAULT_TOKEN_BUDGET,
) -> SchemaSlice:
    """The tables to show the model for this statement/question, under ``budget_tokens``."""
    rendered = rendered_tables(catalog)
    whole = "\n".join(rendered.values())
    if estimate_tokens(whole) <= budget_tokens:
        return SchemaSlice(tuple(rendered), whole, estimate_tokens(whole), True)
    scores = rank_tables(catalog, statement, question)
    order = {key: i for i, key in enumerate(catalog.tables)}
    ranked = sorted(catalog.tables, key=lambda k: (-scores[k], order[k]))
    chosen: set[str] = set()
    used = 0
    for key in ranked:
        cost = estimate_tokens(rendered[key]) + 1
        if used + cost > budget_tokens:
            if scores[key] <= 0 and chosen:
                break  # unrelated tables are filler: stop at the first that does not fit
            continue
        chosen.add(key)
        used += cost
    keys = tuple(key for key in catalog.tables if key in chosen)
    ddl = "\n".join(rendered[key] for key in keys)
    return SchemaSlice(keys, ddl, estimate_tokens(ddl), False)
