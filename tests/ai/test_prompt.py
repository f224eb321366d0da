"""The shared prompt format: layout, stability for prefix caching, training examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from querywright.server.ai.prompt import (
    IM_END,
    PROMPT_FORMAT,
    STOP_SEQUENCES,
    build_prompt,
    clean_sql,
    dialect_label,
    format_training_example,
    modelfile_parameters,
    ollama_template,
    prompt_prefix,
    statement_start,
    system_text,
    user_text,
)

REPO = Path(__file__).resolve().parents[2]
DDL = "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);"


def test_format_version_is_stable_string() -> None:
    assert PROMPT_FORMAT == "qw-1"


def test_prompt_layout_schema_first_then_question_then_sql() -> None:
    prompt = build_prompt(DDL, "postgres", "How many users?", prefix="SELECT count(*)")
    assert prompt.startswith("<|im_start|>system\n")
    assert prompt.index(DDL) < prompt.index("How many users?") < prompt.index("SELECT count(*)")
    assert "PostgreSQL" in prompt
    assert prompt.endswith("<|im_start|>assistant\nSELECT count(*)")


def test_schema_part_is_identical_across_keystrokes() -> None:
    """Everything up to the user turn must not depend on what is typed (prefix cache)."""
    head = prompt_prefix(DDL, "postgres")
    for prefix in ("", "S", "SELECT ", "SELECT email FROM us"):
        for question in (None, "emails", "count users"):
            assert build_prompt(DDL, "postgres", question, prefix).startswith(head)


def test_no_question_asks_to_complete_and_quotes_suffix() -> None:
    assert user_text(None) == "Complete the SQL statement."
    assert user_text("  list\n  users ") == "list users"
    text = user_text(None, suffix=" WHERE id = 1")
    assert text.endswith("The statement must end with: WHERE id = 1")


def test_dialect_labels() -> None:
    assert dialect_label("postgres") == "PostgreSQL"
    assert dialect_label("duckdb") == "DuckDB"
    assert dialect_label("exotic") == "exotic"
    assert "SQLite" in system_text(DDL, "sqlite")


def test_training_example_matches_serving_prompt() -> None:
    record = {
        "id": "1", "source": "synthetic", "dialect": "postgres", "schema": DDL,
        "question": "How many users?", "sql": "SELECT count(*) FROM users;\n",
    }  # fmt: skip
    schema = json.loads((REPO / "schemas" / "training-record.schema.json").read_text())
    jsonschema.validate(record, schema)
    prompt, completion = format_training_example(record)
    assert prompt == build_prompt(DDL, "postgres", "How many users?")
    assert completion == "SELECT count(*) FROM users;<|im_end|>"
    # Serving stops at the first stop sequence: what it returns is the SQL without ';'.
    cut = min(completion.find(s) for s in STOP_SEQUENCES if s in completion)
    assert completion[:cut] == "SELECT count(*) FROM users"


def test_training_example_requires_keys() -> None:
    with pytest.raises(ValueError, match="question"):
        format_training_example({"schema": DDL, "dialect": "postgres", "sql": "SELECT 1"})


def test_clean_sql() -> None:
    assert clean_sql("  SELECT 1 ;; \n") == "SELECT 1"


def test_statement_start() -> None:
    assert statement_start("How many users?") == "SELECT"
    assert statement_start("Delete inactive users") == "DELETE FROM"
    assert statement_start("update the price of product 3") == "UPDATE"
    assert statement_start(None) == "SELECT"


def _render_go_template(template: str, values: dict[str, str]) -> str:
    """The two Go-template constructs the template uses (``if``/``end`` and ``.X``)."""
    text = re.sub(
        r"\{\{ if \.(\w+) \}\}(.*?)\{\{ end \}\}",
        lambda m: m.group(2) if values.get(m.group(1)) else "",
        template,
        flags=re.DOTALL,
    )
    return re.sub(r"\{\{ \.(\w+) \}\}", lambda m: values.get(m.group(1), ""), text)


def test_ollama_template_reproduces_prompt() -> None:
    question = "How many users?"
    rendered = _render_go_template(
        ollama_template(),
        {"System": system_text(DDL, "postgres"), "Prompt": user_text(question)},
    )
    assert rendered == build_prompt(DDL, "postgres", question)


def test_modelfile_parameters_stop_at_statement_and_turn_end() -> None:
    params = modelfile_parameters()
    assert ("stop", ";") in params and ("stop", IM_END) in params
    assert ("temperature", "0") in params
