"""``ask`` executes its candidates: only read-only queries may pass its validation.

``validate_statement`` (the ask path) refuses every statement that is not a plain query,
with the code ``not-read-only``: writes, DDL, ``SELECT ... INTO``, data-modifying CTEs,
row locks, functions with effects; the same statements pass the editor's rules (they are
valid SQL). A backend that answers only such statements gets no answer out of ``ask``;
given one honest query among them, that query is the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from querywright.server.ai.ask import ask
from querywright.server.ai.completer import (
    Capabilities,
    Completion,
    CompletionRequest,
)
from querywright.server.ai.validate import validate_candidate, validate_statement
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.checks import check_sql

from ..support.ready_completer import ReadyCompleter

WRITING = [
    "SELECT * INTO backup FROM users",
    "SELECT email INTO TEMPORARY TABLE emails FROM users",
    "WITH gone AS (DELETE FROM users WHERE is_active = FALSE RETURNING id) SELECT count(*) FROM gone",
    "WITH x AS (UPDATE users SET name = 'a' RETURNING id) SELECT * FROM x",
    "WITH x AS (INSERT INTO users (email) VALUES ('a@b.c') RETURNING id) SELECT * FROM x",
    "WITH a AS (SELECT id FROM users), b AS (DELETE FROM orders WHERE user_id IN (SELECT id FROM a) RETURNING id) SELECT * FROM b",
    "DELETE FROM users",
    "UPDATE users SET name = 'x'",
    "INSERT INTO users (email) VALUES ('a@b.c')",
    "INSERT INTO users (email) SELECT email FROM users",
    "TRUNCATE users",
    "DROP TABLE users",
    "CREATE TABLE t AS SELECT * FROM users",
    "ALTER TABLE users ADD COLUMN x INT",
    "SELECT email FROM users FOR UPDATE",
    "SELECT nextval('users_id_seq')",
    "SELECT pg_sleep(10)",
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
]
READING = [
    "SELECT email FROM users",
    "WITH a AS (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id) SELECT * FROM a",
    "SELECT 1 UNION ALL SELECT 2",
    "SELECT email FROM users WHERE id IN (SELECT user_id FROM orders)",
    "SELECT upper(email), now() FROM users",
]


@pytest.mark.parametrize("sql", WRITING)
def test_statements_that_change_the_database_are_refused(sql: str, catalog: Catalog) -> None:
    verdict = validate_statement(sql, catalog)
    assert not verdict.ok and verdict.text == ""
    assert "not-read-only" in [i.code for i in verdict.issues], verdict


@pytest.mark.parametrize("sql", READING)
def test_queries_pass(sql: str, catalog: Catalog) -> None:
    verdict = validate_statement(sql, catalog)
    assert verdict.ok and verdict.text == sql, verdict.reason


def test_the_rule_is_ai_only_and_only_where_statements_run(catalog: Catalog) -> None:
    sql = "WITH gone AS (DELETE FROM users RETURNING id) SELECT count(*) FROM gone"
    assert [i.code for i in check_sql(sql, catalog)] == []  # valid SQL: the editor says nothing
    assert [i.code for i in check_sql(sql, catalog, ai=True)] == []  # an inline suggestion is not executed
    assert [i.code for i in check_sql(sql, catalog, ai=True, read_only=True)] == ["not-read-only"]
    assert validate_candidate("DELETE FROM users WHERE id = 1", catalog).ok  # inline: the user asked to write


def test_a_write_is_not_shortened_into_a_query(catalog: Catalog) -> None:
    """Cutting ``SELECT * INTO backup FROM users`` back to ``SELECT *`` would turn a
    refused statement into a different one: only a cut-off (unparsable) tail is shortened."""
    assert not validate_statement("SELECT * INTO backup FROM users", catalog).ok
    assert not validate_statement("SELECT email FROM users FOR UPDATE", catalog).ok


class Scripted(ReadyCompleter):
    """A backend that answers its texts in order, ``request.n`` at a time (then the last again)."""

    name = "scripted"
    capabilities = Capabilities(grammar=False)

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.given = 0

    async def complete(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> list[Completion]:
        taken = [self.answers[min(self.given + i, len(self.answers) - 1)] for i in range(max(1, request.n))]
        self.given += len(taken)
        return [Completion(text) for text in taken]

    async def stream(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> AsyncIterator[str]:
        yield self.answers[0]


async def test_ask_answers_nothing_that_writes_unless_asked_to(catalog: Catalog) -> None:
    """Whatever follows the ``SELECT`` a question starts is never a write; a question that
    asks for a write (``DELETE FROM`` / ``UPDATE`` / ``INSERT INTO``) gets that write, checked
    against the schema and never executed."""
    for sql in [s for s in WRITING if s.startswith("SELECT")]:
        result = await ask("list the users", catalog, Scripted([sql.removeprefix("SELECT")]), samples=1)
        assert result.sql is None and not result.valid, (sql, result.sql)
        assert result.verdicts and all("not-read-only" in [i.code for i in v.issues] for v in result.verdicts), result.verdicts
    for question, tail in [
        ("delete the inactive users", " users WHERE is_active = FALSE"),
        ("update the name of user 1 to Bob", " users SET name = 'Bob' WHERE id = 1"),
        ("insert a user with email a@b.c", " users (email) VALUES ('a@b.c')"),
    ]:
        result = await ask(question, catalog, Scripted([tail]), samples=1)
        assert result.valid and result.sql is not None and result.sql.rstrip(";").endswith(tail.strip()), (question, result.sql)
    result = await ask("delete the inactive users", catalog, Scripted([" nosuch WHERE is_active = FALSE"]), samples=1)
    assert result.sql is None and "unknown-table" in [i.code for v in result.verdicts for i in v.issues]


async def test_ask_keeps_the_honest_query_among_writes(catalog: Catalog) -> None:
    writes = [s.removeprefix("SELECT") for s in WRITING if s.startswith("SELECT")]
    result = await ask("list the emails of the users", catalog, Scripted([*writes, " email FROM users"]), samples=len(writes) + 1)
    assert result.valid and result.sql == "SELECT email FROM users"
    assert [v.ok for v in result.verdicts] == [False] * len(writes) + [True]
