"""Formatting keeps ``--`` comments line comments and ``/* */`` comments block comments,
never lets a line comment swallow code, and leaves a statement alone rather than lose a
comment."""

from __future__ import annotations

import pytest
from querywright.server.sql.actions import format_statements, transpile_statements
from querywright.server.sql.issues import TextEdit
from querywright.server.sql.text import TextIndex, split_statements
from sqlglot import Dialect


def apply(text: str, edits: list[TextEdit]) -> str:
    index = TextIndex(text)
    for edit in sorted(edits, key=lambda e: (e.span.start, e.span.end), reverse=True):
        text = text[: index.offset(edit.span.start)] + edit.new_text + text[index.offset(edit.span.end) :]
    return text


def fmt(text: str, dialect: str = "postgres") -> str:
    return apply(text, format_statements(TextIndex(text), split_statements(text, dialect), dialect))


def code_tokens(text: str, dialect: str = "postgres") -> list[tuple[str, str]]:
    return [(t.token_type.name, t.text.upper()) for t in Dialect.get_or_raise(dialect).tokenize(text)]


CASES = {
    "trailing comment after a column": (
        "select id, -- the key\n  email from users;\n",
        "SELECT\n  id, -- the key\n  email\nFROM users;\n",
    ),
    "trailing comment on the last column": (
        "select id, email -- contact\nfrom users",
        "SELECT\n  id,\n  email -- contact\nFROM users",
    ),
    "comment line between clauses": (
        "select id from users\n-- only the first one\nwhere id = 1;",
        "SELECT\n  id\nFROM users\n-- only the first one\nWHERE\n  id = 1;",
    ),
    "comment containing the block end marker": (
        "select id -- has */ inside\nfrom users",
        "SELECT\n  id -- has */ inside\nFROM users",
    ),
    "mixed line and block comments": (
        "select id, /* block */ email -- line\nfrom users where id = 1 -- last\n",
        "SELECT\n  id, /* block */\n  email -- line\nFROM users\nWHERE\n  id = 1 -- last\n",
    ),
    "block comment mentioning a line comment": (
        "select id /* not -- a line comment */ from users",
        "SELECT\n  id /* not -- a line comment */\nFROM users",
    ),
    "empty line comment": (
        "select id from users --\nwhere id = 1",
        "SELECT\n  id\nFROM users --\nWHERE\n  id = 1",
    ),
    "comment inside a call moves to the end of its line": (
        "select coalesce(email, -- fallback\n  'none') from users",
        "SELECT\n  COALESCE(email, 'none') -- fallback\nFROM users",
    ),
    "comment before a multi-line string: the code after it moves to the next line": (
        "select coalesce(email, -- fallback\n  'no\nmail') from users",
        "SELECT\n  COALESCE(email -- fallback\n  , 'no\nmail')\nFROM users",
    ),
    "code after a comment inside a call moves to the next line": (
        "select case -- why\n when id = 1 then 'a' -- one\n else 'b' end from users",
        "SELECT\n  CASE WHEN id = 1 THEN 'a' -- one\n  ELSE 'b' END -- why\nFROM users",
    ),
    "comment text that looks like code and strings": (
        "select 'it''s -- no comment' as s -- real ; one\nfrom users",
        "SELECT\n  'it''s -- no comment' AS s -- real ; one\nFROM users",
    ),
    "several statements": (
        "-- header\nselect id -- a\nfrom users;\nselect 1 /* b */;\nselect email, -- c\n id from users where id = 2 -- d\n;\n",
        "-- header\nSELECT\n  id -- a\nFROM users;\nSELECT\n  1 /* b */;\nSELECT\n  email, -- c\n  id\nFROM users\nWHERE\n  id = 2 -- d\n;\n",
    ),
}


@pytest.mark.parametrize(("source", "expected"), CASES.values(), ids=list(CASES))
def test_line_comments_stay_line_comments(source: str, expected: str) -> None:
    assert fmt(source) == expected


@pytest.mark.parametrize("source", [source for source, _ in CASES.values()], ids=list(CASES))
def test_formatting_is_idempotent_and_keeps_the_code(source: str) -> None:
    once = fmt(source)
    assert fmt(once) == once
    assert code_tokens(once) == code_tokens(source)  # no code swallowed by a comment


def test_line_comment_never_swallows_the_semicolon() -> None:
    # sqlglot puts the comment after the last token; the ``;`` that follows must stay code.
    out = fmt("select id from users limit -- page size\n 5;")
    assert out == "SELECT\n  id\nFROM users\nLIMIT 5 -- page size\n;"
    assert code_tokens(out)[-1] == ("SEMICOLON", ";")
    assert fmt(out) == out


def test_leading_line_comment_before_code_on_its_line() -> None:
    assert fmt("select -- lead\n id from users;") == "-- lead\nSELECT\n  id\nFROM users;"


def test_statement_losing_a_comment_is_left_alone() -> None:
    # sqlglot drops a comment inside a window definition: that statement stays as written.
    text = "select id from users window w as (partition by -- by id\n id);\nselect id, -- kept\n email from users;\n"
    assert fmt(text) == "select id from users window w as (partition by -- by id\n id);\nSELECT\n  id, -- kept\n  email\nFROM users;\n"


def test_hash_comments_in_mysql_stay_line_comments() -> None:
    assert fmt("select id, # key\n email from users", "mysql") == "SELECT\n  id, # key\n  email\nFROM users"


def test_transpile_keeps_line_comments() -> None:
    text = "select id, -- key\n email from users /* all */ where id = 1;"
    edits = transpile_statements(TextIndex(text), split_statements(text, "postgres"), "postgres", "mysql")
    assert apply(text, edits) == "SELECT\n  id, -- key\n  email\nFROM users /* all */\nWHERE\n  id = 1;"


def test_crlf_line_comment() -> None:
    out = fmt("select id -- key\r\nfrom users;")
    assert out == "SELECT\n  id -- key\nFROM users;"


def test_optimizer_hint_is_not_taken_for_a_comment() -> None:
    assert fmt("select /*+ BKA(t) */ id -- key\nfrom users", "mysql") == "SELECT /*+ BKA(t) */\n  id -- key\nFROM users"
