"""``ask``: sampling, validation, ranking by execution on the scratch database, honest
failure; and the ``querywright ask`` CLI contract with the real model."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from querywright.server.ai.ask import ask
from querywright.server.ai.completer import (
    Capabilities,
    Completion,
    CompletionRequest,
)
from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.workspace import load_catalog

from ..support.ready_completer import ReadyCompleter

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


class Script(ReadyCompleter):
    """A backend answering from a script (test double of the Completer protocol)."""

    name = "script"
    capabilities = Capabilities(grammar=True)

    def __init__(self, greedy: str, samples: list[str]) -> None:
        self.greedy, self.samples = greedy, samples
        self.requests: list[CompletionRequest] = []

    async def complete(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> list[Completion]:
        self.requests.append(request)
        if request.temperature == 0:
            return [Completion(self.greedy)]
        return [Completion(t) for t in self.samples[: request.n]]

    async def stream(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> AsyncIterator[str]:
        yield self.greedy


async def test_ask_ranks_valid_candidates(catalog: Catalog) -> None:
    # The greedy answer returns no rows and filters on a value the question never
    # names: sampling goes on, and the candidates that run, return rows and agree win.
    backend = Script(" email FROM users WHERE id = 99999", [" email FROM users", " email FROM users", " shoe FROM users"])
    result = await ask("Which emails do the users have?", catalog, backend, samples=4)
    assert result.valid and result.sql == "SELECT email FROM users"
    assert result.candidates == 4 and result.valid_candidates == 3
    assert backend.requests[0].grammar is not None
    assert backend.requests[0].prompt.endswith("assistant\nSELECT")


async def test_ask_repairs_greedy_to_fit_the_question(catalog: Catalog) -> None:
    # "How many" wants a count; a filter on a key the question never mentions is dropped.
    backend = Script(" email FROM users WHERE id = 1", [" shoe FROM users"])
    result = await ask("How many users are there?", catalog, backend, samples=4)
    assert result.valid and result.sql == "SELECT COUNT(*) FROM users"
    assert result.candidates == 1  # the repaired greedy answer settled it: no sampling


async def test_ask_is_honest_when_nothing_is_valid(catalog: Catalog) -> None:
    backend = Script(" album_title FROM albums", [" There are 10 users."])
    result = await ask("How many albums?", catalog, backend, samples=2)
    assert result.sql is None and not result.valid
    assert any("albums" in issue for issue in result.issues)
    assert result.to_json()["sql"] is None


@pytest.mark.model
def test_cli_ask_with_real_model(smollm2_gguf: Path) -> None:
    """The contract: exit 0 with a valid statement, or exit 1 with ``"sql": null``."""
    done = subprocess.run(
        [sys.executable, "-m", "querywright.cli.main", "ask", "--workspace", str(SHOP), "--json",
         "--samples", "2", "How many users are there?"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    payload = json.loads(done.stdout)
    assert set(payload) >= {"sql", "valid", "issues", "latency_ms", "model"}
    assert payload["model"] == "builtin:smollm2-135m"
    if done.returncode == 0:
        assert payload["valid"] and payload["sql"]
        config, _ = load_config(SHOP)
        from querywright.server.ai.validate import validate_statement

        assert validate_statement(payload["sql"], load_catalog(SHOP, config).catalog).ok
    else:
        assert done.returncode == 1 and payload["sql"] is None and payload["issues"]


async def test_ask_does_not_answer_what_fails_to_run() -> None:
    # valid against the catalog, but SQLite (the workspace's engine, and the scratch
    # database's) stops it at run time: no answer, and the reason says so
    from querywright.trainer.records import catalog_from_sql

    catalog = catalog_from_sql("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", "sqlite")
    backend = Script(" abs(-9223372036854775807 - 1) FROM users", [])
    result = await ask("What is the absolute value of the smallest integer?", catalog, backend, samples=1)
    assert result.sql is None and not result.valid
    assert any("fails on the scratch database" in issue and "overflow" in issue for issue in result.issues)


class AdapterScript(Script):
    """A backend with an adapter that can also answer without it (like the embedded engine)."""

    capabilities = Capabilities(grammar=True, bare_weights=True)

    def __init__(self, adapted: str, bare: str) -> None:
        super().__init__(adapted, [])
        self.bare = bare

    async def complete(self, request: CompletionRequest, cancel: asyncio.Event | None = None) -> list[Completion]:
        self.requests.append(request)
        return [Completion(self.greedy if request.adapter else self.bare)]


async def test_the_bare_weights_answer_when_the_adapter_finds_nothing_valid(catalog: Catalog) -> None:
    backend = AdapterScript(" album_title FROM albums", " email FROM users")
    result = await ask("Which emails do the users have?", catalog, backend, samples=1)
    assert result.sql == "SELECT email FROM users"
    assert [r.adapter for r in backend.requests] == [True, False]
    settled = AdapterScript(" email FROM users", " id FROM users")
    again = await ask("Which emails do the users have?", catalog, settled, samples=1)
    assert again.sql == "SELECT email FROM users" and len(settled.requests) == 1  # no second try


async def test_ask_spells_a_named_value_as_the_column_it_is_compared_with_does() -> None:
    # "Mike" in the question matches staff's 'Mike' and a customer's 'MIKE'; the model wrote
    # 'MIKE' on staff.first_name: a case-sensitive comparison needs staff's own spelling
    from querywright.server.sql.values import collect_values
    from querywright.trainer.records import catalog_from_sql

    ddl = ("CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT);"
           "CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT);")
    catalog = catalog_from_sql(ddl, "postgres")
    seed = ("INSERT INTO staff VALUES (1, 'Mike', 'Hillyer'), (2, 'Jon', 'Stephens');"
            "INSERT INTO customer VALUES (1, 'MIKE', 'WAY'), (2, 'MARY', 'SMITH');")
    values = collect_values(seed, "seed.sql", "postgres", catalog)
    backend = Script(" COUNT(*) FROM staff AS s WHERE s.first_name = 'MIKE'", [])
    result = await ask("How many staff members are named Mike?", catalog, backend, values=values, samples=1)
    assert result.valid and result.sql == "SELECT COUNT(*) FROM staff AS s WHERE s.first_name = 'Mike'"
    backend = Script(" COUNT(*) FROM customer WHERE first_name = 'Mike'", [])
    result = await ask("How many customers are named Mike?", catalog, backend, values=values, samples=1)
    assert result.valid and result.sql == "SELECT COUNT(*) FROM customer WHERE first_name = 'MIKE'"
