"""Schema linking over the real Sakila schema and its seed rows: the tables a question
points at, the bridges between them, no views or partitions unless named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from querywright.server.ai.grounding import ValueIndex, ground
from querywright.server.ai.linking import hidden, link_schema
from querywright.server.config import load_config
from querywright.server.sql.workspace import SchemaIndex, load_catalog

CORPUS = Path(__file__).resolve().parent.parent / "sql" / "fixtures" / "corpus"


@pytest.fixture(scope="module")
def sakila(tmp_path_factory: pytest.TempPathFactory) -> SchemaIndex:
    root = tmp_path_factory.mktemp("sakila")
    (root / "db").mkdir()
    for name in ("sakila-postgres.sql", "sakila-postgres-data.sql"):
        shutil.copy(CORPUS / name, root / "db" / name)
    (root / "querywright.toml").write_text('dialect = "postgres"\nschema_paths = ["db/*.sql"]\n')
    return load_catalog(root, load_config(root)[0])


def _linked(sakila: SchemaIndex, question: str) -> set[str]:
    matches = ground(question, ValueIndex.build(sakila.values))
    return {sakila.catalog.tables[k].name for k in link_schema(sakila.catalog, question, matches).keys}


def test_partitions_and_views_are_hidden(sakila: SchemaIndex) -> None:
    catalog = sakila.catalog
    assert catalog.tables["payment_p2007_01"].parents == ("payment",)
    assert hidden(catalog.tables["payment_p2007_01"]) and hidden(catalog.tables["film_list"])
    linked = _linked(sakila, "What is the total amount of all payments?")
    assert "payment" in linked and not any(name.startswith("payment_p") for name in linked)


def test_value_and_name_link_through_the_bridge_table(sakila: SchemaIndex) -> None:
    linked = _linked(sakila, "How many films are in the Comedy category?")
    assert {"film", "film_category", "category"} <= linked
    assert "sales_by_film_category" not in linked


def test_fk_path_of_three_hops(sakila: SchemaIndex) -> None:
    linked = _linked(sakila, "How many customers are there in each country?")
    assert {"customer", "address", "city", "country"} <= linked


def test_a_view_named_by_the_question_is_shown(sakila: SchemaIndex) -> None:
    assert "film_list" in _linked(sakila, "Show the film list rows")


def test_prompt_is_small(sakila: SchemaIndex) -> None:
    sliced = link_schema(sakila.catalog, "What is the shortest film length?")
    assert sliced.tokens < 400 and "film" in {sakila.catalog.tables[k].name for k in sliced.keys}


def test_no_seed_falls_back_to_the_ranked_schema(sakila: SchemaIndex) -> None:
    sliced = link_schema(sakila.catalog, "zzz qqq")
    assert sliced.keys  # never an empty schema
