"""GBNF grammars from the catalog: only real names, every rule defined, accepted by llama.cpp."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from querywright.server.ai.grammar import (
    continuation_grammar,
    literal,
    statement_aliases,
    statement_grammar,
)
from querywright.server.sql.catalog import Catalog

_RULE = re.compile(r"^([a-z][a-z0-9-]*) ::=", re.MULTILINE)
_REF = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|([a-z][a-z0-9-]*)')


def _check_rules(grammar: str) -> set[str]:
    defined = set(_RULE.findall(grammar))
    used: set[str] = set()
    for line in grammar.splitlines():
        _name, _sep, body = line.partition("::=")
        used.update(m.group(1) for m in _REF.finditer(body) if m.group(1))
    assert "root" in defined
    assert used <= defined, f"undefined rules: {used - defined}"
    return defined


def _alternatives(grammar: str, rule: str) -> set[str]:
    line = next(l for l in grammar.splitlines() if l.startswith(f"{rule} ::="))
    return set(re.findall(r'"((?:[^"\\]|\\.)*)"', line))


def test_statement_grammar_names_only_catalog_objects(catalog: Catalog) -> None:
    grammar = statement_grammar(catalog, ["users", "orders"])
    _check_rules(grammar)
    assert _alternatives(grammar, "table") == {"users", "orders"}
    columns = _alternatives(grammar, "colname")
    assert {"email", "user_id", "total_cents", "ordered_at"} <= columns
    assert "placed_at" not in columns and "sku" not in columns


def test_statement_grammar_after_select(catalog: Catalog) -> None:
    grammar = statement_grammar(catalog, list(catalog.tables), after_select=True)
    _check_rules(grammar)
    assert grammar.startswith('root ::= ws select-body ";"?')


def test_continuation_grammar_heals_partial_word(catalog: Catalog) -> None:
    grammar = continuation_grammar(catalog, list(catalog.tables), "SELECT email FROM", "us")
    _check_rules(grammar)
    assert _alternatives(grammar, "first") == {"users", "user_id", "usING", "using"}


def test_continuation_grammar_knows_statement_aliases(catalog: Catalog) -> None:
    statement = "SELECT o.id FROM orders o JOIN users AS u ON"
    assert statement_aliases(statement) == ["o", "u"]
    grammar = continuation_grammar(catalog, ["orders", "users"], statement)
    _check_rules(grammar)
    assert {"o", "u", "orders", "email"} <= _alternatives(grammar, "word")


def test_quoted_names_and_literals() -> None:
    assert literal('a"b\\c\n') == '"a\\"b\\\\c\\n"'


@pytest.mark.model
async def test_llama_cpp_accepts_grammars_and_obeys_them(catalog: Catalog, smollm2_gguf: Path) -> None:
    """The real SmolLM2 through the embedded engine, constrained by each grammar."""
    from querywright.server.ai.completer import CompletionRequest
    from querywright.server.ai.embedded import EmbeddedCompleter
    from querywright.server.ai.prompt import STOP_SEQUENCES, build_prompt
    from querywright.server.ai.schema_slice import slice_schema

    sliced = slice_schema(catalog)
    completer = EmbeddedCompleter(smollm2_gguf, n_ctx=2048, n_threads=1)
    prompt = build_prompt(sliced.ddl, "postgres", "List the emails of users", "SELECT")
    grammar = statement_grammar(catalog, sliced.keys, after_select=True)
    [out] = await completer.complete(CompletionRequest(prompt, max_tokens=24, stop=STOP_SEQUENCES, grammar=grammar))
    assert out.text.startswith(" ")
    names = _alternatives(grammar, "colname") | _alternatives(grammar, "table")
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", out.text.split(" AS ")[0]):
        # every word is a keyword/function (upper or lower case), a catalog name or a short alias
        assert word.upper() == word or word.lower() == word and (word in names or len(word) <= 2 or word.upper() in grammar), out.text
    cont = continuation_grammar(catalog, sliced.keys, "SELECT email FROM", "us")
    prompt = build_prompt(sliced.ddl, "postgres", None, "SELECT email FROM")
    [out] = await completer.complete(CompletionRequest(prompt, max_tokens=8, stop=STOP_SEQUENCES, grammar=cont))
    assert out.text.lstrip().startswith(("users", "user_id", "usING")), out.text
