"""GBNF grammars generated from the catalog, for constrained decoding (embedded engine).

With a grammar the engine can only sample tokens that keep the output inside the
language, so a model cannot name a table or column the workspace does not have. Two
grammars:

- :func:`statement_grammar`: a whole ``SELECT`` statement (joins, WHERE, GROUP BY,
  HAVING, ORDER BY, LIMIT, subqueries, aggregates) whose table names are the slice's
  tables and whose column names are their columns. For ``ask`` and comment -> SQL.
- :func:`continuation_grammar`: for inline completion in the middle of a statement, a
  *lexical* grammar: any sequence of keywords, catalog names (slice tables, their columns,
  aliases the statement defines), numbers, strings and punctuation; a new alias may follow
  ``AS``. ``partial`` is the word left of the cursor: the output must start with a name
  or keyword that completes it (token healing).

Keywords are accepted in upper and lower case. Names are written as the dialect needs
them (quoted when they must be).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlglot import exp

from ..sql.catalog import Catalog, Table, get_dialect

KEYWORDS: tuple[str, ...] = (
    "SELECT", "DISTINCT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE",
    "ILIKE", "BETWEEN", "EXISTS", "AS", "ON", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER",
    "FULL", "CROSS", "GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC", "LIMIT", "OFFSET",
    "UNION", "ALL", "INTERSECT", "EXCEPT", "WITH", "CASE", "WHEN", "THEN", "ELSE", "END",
    "TRUE", "FALSE", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE", "INTERVAL",
    "CAST", "CURRENT_DATE", "CURRENT_TIMESTAMP", "NULLS", "FIRST", "LAST", "OVER",
    "PARTITION", "USING",
)  # fmt: skip
FUNCTIONS: tuple[str, ...] = (
    "COUNT", "SUM", "AVG", "MIN", "MAX", "LOWER", "UPPER", "COALESCE", "ROUND", "LENGTH",
    "ABS", "NOW", "DATE", "EXTRACT", "DATE_TRUNC", "SUBSTRING", "TRIM", "NULLIF",
)  # fmt: skip
_ALIAS = re.compile(
    r"\b(?:FROM|JOIN|UPDATE|INTO)\s+([A-Za-z_][\w.]*)(?:\s+(?:AS\s+)?([A-Za-z_]\w*))?", re.IGNORECASE
)
_CTE = re.compile(r"\b([A-Za-z_]\w*)\s+AS\s*\(", re.IGNORECASE)
_NOT_ALIAS = frozenset(k.lower() for k in KEYWORDS)


def literal(text: str) -> str:
    """A GBNF string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _alternatives(options: Iterable[str]) -> str:
    unique = sorted(set(options), key=lambda s: (-len(s), s))
    return " | ".join(literal(o) for o in unique) if unique else '"__none__"'


def _keyword(word: str) -> str:
    return f"({literal(word)} | {literal(word.lower())})" if word.lower() != word else literal(word)


def sql_name(name: str, dialect: str) -> str:
    """An identifier as the dialect writes it (quoted only when needed)."""
    ident = exp.to_identifier(name)
    return ident.sql(dialect=get_dialect(dialect)) if ident is not None else name


def scope_names(catalog: Catalog, keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """Table names and column names of the tables ``keys`` (as the dialect writes them)."""
    tables: list[Table] = [catalog.tables[k] for k in keys if k in catalog.tables]
    table_names = [sql_name(t.name, catalog.dialect) for t in tables]
    table_names += [f"{t.schema}.{sql_name(t.name, catalog.dialect)}" for t in tables if t.schema]
    columns = [sql_name(c.name, catalog.dialect) for t in tables for c in t.columns.values()]
    return table_names, sorted(set(columns))


def statement_aliases(statement: str) -> list[str]:
    """Aliases and CTE names a statement (possibly unfinished) defines."""
    names: set[str] = set()
    for match in _ALIAS.finditer(statement):
        alias = match.group(2)
        if alias and alias.lower() not in _NOT_ALIAS:
            names.add(alias)
    names.update(m.group(1) for m in _CTE.finditer(statement) if m.group(1).lower() not in _NOT_ALIAS)
    return sorted(names)


_COMMON_RULES = r"""
ws ::= " "
number ::= "-"? [0-9]+ ("." [0-9]+)?
string ::= "'" [^'\n]* "'"
"""


def statement_grammar(catalog: Catalog, keys: Sequence[str], after_select: bool = False) -> str:
    """A GBNF grammar of one SELECT statement over the tables ``keys``.

    ``after_select``: the prompt already ends with ``SELECT`` (the assistant turn starts
    with it, which keeps a base instruction model out of prose); the grammar then
    describes the rest. Lists and expressions are bounded (four select items, two terms,
    no nested function calls): small models otherwise repeat one item until the token
    limit.
    """
    tables, columns = scope_names(catalog, keys)
    qualified_rules = _qualified_rules(catalog, keys)
    k = {word: _keyword(word) for word in KEYWORDS}
    functions = " | ".join(_keyword(f) for f in FUNCTIONS)
    rules = f"""
root ::= {"ws select-body" if after_select else "query"} ";"?
query ::= select (ws ({k['UNION']} (ws {k['ALL']})? | {k['INTERSECT']} | {k['EXCEPT']}) ws select)?
select ::= {k['SELECT']} ws select-body
select-body ::= ({k['DISTINCT']} ws)? select-list ws {k['FROM']} ws from-item (ws join)* (ws {k['WHERE']} ws cond)? (ws {k['GROUP']} ws {k['BY']} ws expr-list)? (ws {k['HAVING']} ws cond)? (ws {k['ORDER']} ws {k['BY']} ws order-list)? (ws {k['LIMIT']} ws [0-9]+)?
select-list ::= "*" | select-item ("," ws select-item ("," ws select-item ("," ws select-item)?)?)?
select-item ::= expr (ws {k['AS']} ws out-alias)? | qualifier ".*"
from-item ::= table (ws ({k['AS']} ws)? alias)? | "(" query ")" ws ({k['AS']} ws)? alias
join ::= (({k['LEFT']} | {k['RIGHT']} | {k['INNER']} | {k['FULL']}) ws ({k['OUTER']} ws)?)? {k['JOIN']} ws from-item ws {k['ON']} ws cond
cond ::= predicate (ws ({k['AND']} | {k['OR']}) ws predicate)*
predicate ::= ({k['NOT']} ws)? (expr (ws? cmp ws? expr | ws {k['IS']} ws ({k['NOT']} ws)? {k['NULL']} | ws ({k['NOT']} ws)? {k['IN']} ws? "(" (query | literal-list) ")" | ws ({k['NOT']} ws)? ({k['LIKE']} | {k['ILIKE']}) ws string | ws {k['BETWEEN']} ws expr ws {k['AND']} ws expr)? | {k['EXISTS']} ws? "(" query ")" | "(" cond ")")
cmp ::= "=" | "<>" | "!=" | "<=" | ">=" | "<" | ">"
expr ::= term (ws arith ws term)?
arith ::= "+" | "-" | "*" | "/" | "||"
term ::= column | number | string | {k['NULL']} | {k['TRUE']} | {k['FALSE']} | {k['CURRENT_DATE']} | {k['CURRENT_TIMESTAMP']} | function "(" (({k['DISTINCT']} ws)? arg ("," ws arg)? | "*") ")" | "(" expr ")" | "(" query ")" | case | {k['INTERVAL']} ws string
arg ::= column | number | string
case ::= {k['CASE']} (ws {k['WHEN']} ws cond ws {k['THEN']} ws expr)+ (ws {k['ELSE']} ws expr)? ws {k['END']}
function ::= {functions}
literal-list ::= (number | string) ("," ws? (number | string))*
expr-list ::= expr ("," ws expr ("," ws expr)?)?
order-list ::= order-item ("," ws order-item)?
order-item ::= (expr | [1-9]) (ws ({k['ASC']} | {k['DESC']}))?
column ::= {"qualified | " if qualified_rules else ""}(alias ".")? colname
qualifier ::= table | alias
alias ::= [a-z] [a-z0-9_]?
out-alias ::= [a-z_] [a-z0-9_]*
table ::= {_alternatives(tables)}
colname ::= {_alternatives(columns)}
{qualified_rules}"""
    return rules.strip() + "\n" + _COMMON_RULES.strip() + "\n"


def _qualified_rules(catalog: Catalog, keys: Sequence[str]) -> str:
    """``table.column`` only for columns that table has (``qualified`` rule), so a table
    name cannot be paired with another table's column."""
    lines: list[str] = []
    options: list[str] = []
    for i, key in enumerate(k for k in keys if k in catalog.tables):
        table = catalog.tables[key]
        names = [sql_name(c.name, catalog.dialect) for c in table.columns.values()]
        if not names:
            continue
        lines.append(f"tcol-{i} ::= {literal(sql_name(table.name, catalog.dialect) + '.')} ({_alternatives(names)})")
        options.append(f"tcol-{i}")
    if not options:
        return ""
    return "qualified ::= " + " | ".join(options) + "\n" + "\n".join(lines) + "\n"


def continuation_grammar(
    catalog: Catalog, keys: Sequence[str], statement: str = "", partial: str = ""
) -> str:
    """A lexical GBNF grammar for continuing ``statement`` (text left of the cursor, with
    ``partial``, the unfinished word, removed from its end)."""
    tables, columns = scope_names(catalog, keys)
    aliases = statement_aliases(statement)
    words = set(tables) | set(columns) | set(aliases)
    words |= set(KEYWORDS) | {w.lower() for w in KEYWORDS}
    words |= set(FUNCTIONS) | {f.lower() for f in FUNCTIONS}
    first_rule = ""
    first = "unit"
    if partial:
        low = partial.lower()
        starts = sorted(w for w in words if w.lower().startswith(low) and len(w) > len(partial))
        options = [partial + w[len(partial):] for w in starts]  # keep what the user typed
        options += [partial] if not starts else []
        first_rule = f"first ::= {_alternatives(options)}\n"
        first = "first"
    kw_as = _keyword("AS")
    rules = f"""
root ::= {"gap? " if not partial else ""}{first} (gap unit)* gap? ";"?
unit ::= word | number | string | {kw_as} ws out-alias
gap ::= (ws | punct)+
punct ::= "," | "(" | ")" | "." | "=" | "<" | ">" | "*" | "+" | "-" | "/" | "%" | "|" | "!"
word ::= {_alternatives(words)}
out-alias ::= [a-z_] [a-z0-9_]*
{first_rule}"""
    return rules.strip() + "\n" + _COMMON_RULES.strip() + "\n"
