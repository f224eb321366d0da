"""Which SQL keywords make sense at a cursor: per clause, per position, per dialect."""

from __future__ import annotations

from .context import AFTER_EXPRESSION, EXPRESSION, KEYWORD, TABLE, Clause

STATEMENT = ("SELECT", "WITH", "INSERT INTO", "UPDATE", "DELETE FROM", "CREATE TABLE", "CREATE VIEW", "ALTER TABLE", "DROP TABLE", "EXPLAIN")
EXPRESSION_WORDS = ("CASE", "CAST", "NOT", "NULL", "TRUE", "FALSE", "EXISTS", "INTERVAL")
_AFTER_FROM = ("AS", "JOIN", "INNER JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN", "WHERE", "GROUP BY", "HAVING", "ORDER BY", "LIMIT", "UNION", "UNION ALL")
_PREDICATES = ("AND", "OR", "IS NULL", "IS NOT NULL", "IN", "NOT IN", "LIKE", "ILIKE", "BETWEEN")
_TAIL = ("GROUP BY", "HAVING", "ORDER BY", "LIMIT", "UNION", "UNION ALL")

AFTER = {
    Clause.SELECT: ("FROM", "AS", "OVER"),
    Clause.FROM: _AFTER_FROM,
    Clause.JOIN: ("ON", "USING", *_AFTER_FROM),
    Clause.ON: (*_PREDICATES, "JOIN", "INNER JOIN", "LEFT JOIN", "WHERE", *_TAIL),
    Clause.WHERE: (*_PREDICATES, *_TAIL),
    Clause.GROUP_BY: ("HAVING", "ORDER BY", "LIMIT", "ROLLUP", "CUBE"),
    Clause.HAVING: (*_PREDICATES, "ORDER BY", "LIMIT"),
    Clause.ORDER_BY: ("ASC", "DESC", "NULLS FIRST", "NULLS LAST", "LIMIT", "OFFSET"),
    Clause.CASE: ("WHEN", "THEN", "ELSE", "END", "AND", "OR", "IS NULL", "IS NOT NULL", "IN", "LIKE"),
    Clause.INTO: ("VALUES", "SELECT", "DEFAULT VALUES"),
    Clause.UPDATE: ("SET", "AS"),
    Clause.SET: ("WHERE", "FROM", "RETURNING"),
    Clause.VALUES: ("ON CONFLICT", "RETURNING"),
    Clause.RETURNING: ("AS",),
    Clause.WINDOW: ("PARTITION BY", "ORDER BY", "ROWS BETWEEN", "RANGE BETWEEN"),
    Clause.LIMIT: ("OFFSET",),
    Clause.OTHER: ("FROM", "INTO", "SELECT", "TABLE", "VIEW", "AS"),
    Clause.USING: (),
    Clause.INSERT_COLUMNS: (),
}
AT_START = {
    Clause.SELECT: ("DISTINCT", "*"),
    Clause.FROM: ("LATERAL",),
    Clause.JOIN: ("LATERAL",),
    Clause.CASE: ("WHEN", "ELSE", "END"),
    Clause.VALUES: ("DEFAULT",),
    Clause.WINDOW: ("PARTITION BY", "ORDER BY"),
    Clause.RETURNING: ("*",),
}

# Keywords only some dialects have.
_ONLY_IN = {
    "ILIKE": {"postgres", "duckdb", "snowflake", "redshift", "databricks", "spark", "materialize", "risingwave", "clickhouse", "trino", "presto"},
    "RETURNING": {"postgres", "sqlite", "duckdb", "materialize", "risingwave", "redshift", "mysql"},
    "ON CONFLICT": {"postgres", "sqlite", "duckdb", "materialize", "risingwave"},
    "LATERAL": {"postgres", "duckdb", "snowflake", "mysql", "bigquery", "databricks", "spark", "trino", "presto", "redshift", "oracle"},
    "LIMIT": None,
    "NULLS FIRST": None,
    "NULLS LAST": None,
}
_NOT_IN = {"LIMIT": {"tsql", "oracle", "fabric"}, "OFFSET": {"tsql", "fabric"}}


def available(keyword: str, dialect: str) -> bool:
    only = _ONLY_IN.get(keyword)
    if only is not None and dialect not in only:
        return False
    return dialect not in _NOT_IN.get(keyword, ())


def keywords_for(clause: Clause, enclosing: Clause, expect: str, dialect: str) -> list[str]:
    """Keywords for a cursor position, most likely first."""
    if clause == Clause.START or expect == KEYWORD and clause == Clause.START:
        words: tuple[str, ...] = STATEMENT
    elif expect == TABLE:
        words = AT_START.get(clause, ())
    elif expect == KEYWORD or expect == AFTER_EXPRESSION:
        words = AFTER.get(clause, ())
        if clause == Clause.CASE:
            words = words + AFTER.get(enclosing, ())
    elif expect == EXPRESSION:
        words = AT_START.get(clause, ()) + EXPRESSION_WORDS
        if clause == Clause.CASE:
            words = AT_START[Clause.CASE] + EXPRESSION_WORDS
    else:
        words = ()
    if dialect == "tsql" and clause == Clause.SELECT and expect == EXPRESSION:
        words = ("TOP", *words)
    seen: dict[str, None] = {}
    for word in words:
        if available(word, dialect):
            seen.setdefault(word, None)
    return list(seen)
