"""Value grounding of the real Sakila questions (tests/sql/fixtures/corpus/sakila.jsonl)
against the value sample of the real Sakila rows (BSD 2-Clause, LICENSE.sakila)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from querywright.server.ai.grounding import ValueIndex, allowed_literals, ground, render_matches
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.replay import apply_ops
from querywright.server.sql.values import ValueSample, collect_values
from querywright.server.sql.workspace import parse_schema_text

CORPUS = Path(__file__).resolve().parents[1] / "sql" / "fixtures" / "corpus"
QUESTIONS = {q["id"]: q["question"] for q in map(json.loads, (CORPUS / "sakila.jsonl").read_text(encoding="utf-8").splitlines())}


@pytest.fixture(scope="module")
def sample() -> ValueSample:
    parsed = parse_schema_text((CORPUS / "sakila-postgres.sql").read_text(encoding="utf-8"), "sakila-postgres.sql", "postgres")
    catalog = Catalog(dialect="postgres")
    apply_ops(catalog, parsed.ops)
    data = CORPUS / "sakila-postgres-data.sql"
    return collect_values(data.read_text(encoding="utf-8"), data.name, "postgres", catalog)


@pytest.fixture(scope="module")
def index(sample: ValueSample) -> ValueIndex:
    return ValueIndex.build(sample)


def _found(question: str, index: ValueIndex) -> set[tuple[str, str]]:
    return {(m.qualified, m.value) for m in ground(question, index)}


@pytest.mark.parametrize(
    ("qid", "expected"),
    [
        ("sakila-02", {("film.rating", "PG-13")}),
        ("sakila-03", {("actor.last_name", "GUINESS")}),
        ("sakila-16", {("customer.last_name", "SMITH")}),
        ("sakila-17", {("actor.first_name", "NICK")}),
        ("sakila-19", {("address.address", "1913 Hanoi Way")}),
        ("sakila-23", {("category.name", "Comedy")}),
        ("sakila-26", {("country.country", "Canada")}),
        ("sakila-27", {("actor.first_name", "PENELOPE"), ("actor.last_name", "GUINESS")}),
        ("sakila-28", {("city.city", "London")}),
        ("sakila-29", {("film.title", "ACADEMY DINOSAUR")}),
        ("sakila-31", {("staff.first_name", "Mike")}),
        ("sakila-35", {("category.name", "Horror")}),
        ("sakila-39", {("film.title", "BUCKET BROTHERHOOD")}),
    ],
)
def test_values_named_in_real_questions_find_their_column(qid: str, expected: set[tuple[str, str]], index: ValueIndex) -> None:
    matches = ground(QUESTIONS[qid], index)
    assert expected <= {(m.qualified, m.value) for m in matches}
    best = matches[0]
    assert (best.qualified, best.value) in expected and best.kind == "exact" and best.score == 1.0


def test_customer_named_in_full_ranks_the_customer_table_first(index: ValueIndex) -> None:
    matches = ground(QUESTIONS["sakila-18"], index)  # "... the customer LINDA WILLIAMS?"
    assert {(m.qualified, m.value) for m in matches[:2]} == {("customer.first_name", "LINDA"), ("customer.last_name", "WILLIAMS")}


@pytest.mark.parametrize("qid", ["sakila-00", "sakila-04", "sakila-07", "sakila-08", "sakila-12", "sakila-13", "sakila-14", "sakila-20", "sakila-22", "sakila-24", "sakila-25", "sakila-30", "sakila-32", "sakila-36", "sakila-37", "sakila-38", "sakila-41"])
def test_questions_without_values_find_nothing(qid: str, index: ValueIndex) -> None:
    assert ground(QUESTIONS[qid], index) == []


def test_case_fuzzy_and_quoted(index: ValueIndex) -> None:
    assert ("category.name", "Comedy") in _found("films in the 'comedy' category", index)
    fuzzy = ground("films of PENELOPE GUINES shot in Londn", index)
    assert {(m.qualified, m.value, m.kind) for m in fuzzy} >= {("actor.last_name", "GUINESS", "fuzzy"), ("city.city", "London", "fuzzy")}
    assert all(m.score < 0.8 for m in fuzzy if m.kind == "fuzzy")
    assert _found("-- customers who paid more than 5 dollars in 2 stores", index) == set()


def test_rendering_and_literals(index: ValueIndex) -> None:
    matches = ground("Which customers named MIKE live in London?", index)
    lines = render_matches(matches)
    assert "-- 'London' is a value of city.city" in lines
    assert any(line.startswith("-- 'MIKE' is a value of customer.first_name") for line in lines)
    assert "'London'" in allowed_literals(matches)
    assert render_matches(ground("what about 'O''Brien'?", ValueIndex())) == []
    assert allowed_literals([]) == []


def test_degrades_without_data_or_in_other_languages(sample: ValueSample, index: ValueIndex) -> None:
    assert ground(QUESTIONS["sakila-23"], None) == []
    assert ground(QUESTIONS["sakila-23"], ValueSample()) == []
    assert ground("", index) == []
    assert ground("Combien de films dans la catégorie comédie ?", index) == []
    assert ground("映画は何本ありますか？", index) == []
    assert ground("x" * 100_000, index) == []
    assert ground(QUESTIONS["sakila-28"], sample) == ground(QUESTIONS["sakila-28"], index)  # a sample works too


def test_matches_are_bounded(index: ValueIndex) -> None:
    question = " ".join(["Comedy Horror Drama London Canada PENELOPE GUINESS NICK SMITH"] * 20)
    assert len(ground(question, index, limit=5)) == 5
    assert len(ground(question, index)) <= 8
