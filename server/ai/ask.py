"""Question -> one validated SQL statement (``querywright ask``, benchmarks).

Samples several candidates (the first greedy, the rest at a temperature), validates each
(``validate``), and ranks the valid ones by agreement of their results on a scratch
SQLite database built from the catalog (``scratch``). When no candidate is valid the
answer says so: ``sql`` is None and ``issues`` tells why; an invalid statement is never
returned as the answer.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from ..sql.catalog import Catalog
from .completer import Completer, CompletionRequest
from .grammar import statement_grammar
from .prompt import STOP_SEQUENCES, build_prompt, statement_start
from .schema_slice import DEFAULT_TOKEN_BUDGET, slice_schema
from .scratch import agreement_ranking, build_database
from .validate import Verdict, validate_statement

MAX_TOKENS = 128
SAMPLE_TEMPERATURE = 0.7


@dataclass(frozen=True)
class AskResult:
    sql: str | None
    valid: bool
    issues: tuple[str, ...]
    latency_ms: float
    model: str
    candidates: int = 0
    valid_candidates: int = 0
    grammar: bool = False
    verdicts: tuple[Verdict, ...] = field(default=(), repr=False)

    def to_json(self) -> dict[str, object]:
        """The ``querywright ask --json`` contract (plus counts)."""
        return {
            "sql": self.sql,
            "valid": self.valid,
            "issues": list(self.issues),
            "latency_ms": round(self.latency_ms, 1),
            "model": self.model,
            "candidates": self.candidates,
            "valid_candidates": self.valid_candidates,
            "grammar": self.grammar,
        }


async def ask(
    question: str,
    catalog: Catalog,
    completer: Completer,
    *,
    samples: int = 4,
    grammar: bool = True,
    budget_tokens: int = DEFAULT_TOKEN_BUDGET,
    cancel: asyncio.Event | None = None,
    seed: int = 1234,
) -> AskResult:
    """Answer ``question`` with the best valid statement over ``catalog``."""
    started = time.perf_counter()
    sliced = slice_schema(catalog, "", question, budget_tokens)
    lead = statement_start(question)
    use_grammar = grammar and completer.capabilities.grammar and lead == "SELECT"
    gbnf = statement_grammar(catalog, sliced.keys, after_select=True) if use_grammar else None
    prompt = build_prompt(sliced.ddl, catalog.dialect, question, lead)
    base = CompletionRequest(prompt=prompt, max_tokens=MAX_TOKENS, stop=STOP_SEQUENCES, grammar=gbnf, seed=seed)
    outputs = [c.text for c in await completer.complete(base, cancel)]
    if samples > 1 and not (cancel is not None and cancel.is_set()):
        more = CompletionRequest(
            prompt=prompt, max_tokens=MAX_TOKENS, stop=STOP_SEQUENCES, grammar=gbnf,
            temperature=SAMPLE_TEMPERATURE, n=samples - 1, seed=seed + 1,
        )  # fmt: skip
        outputs += [c.text for c in await completer.complete(more, cancel)]
    verdicts = [validate_statement(lead + text, catalog) for text in outputs]
    valid: list[str] = []
    for verdict in verdicts:
        if verdict.ok and verdict.text not in valid:
            valid.append(verdict.text)
    name = completer.name
    if not valid:
        reasons = tuple(dict.fromkeys(v.reason for v in verdicts if v.reason)) or ("the model returned nothing",)
        return AskResult(None, False, reasons, _ms(started), name, len(outputs), 0, use_grammar, tuple(verdicts))
    best = valid[0]
    if len(valid) > 1:
        conn = build_database(catalog)
        try:
            ranking = agreement_ranking(conn, valid, catalog.dialect)
        finally:
            conn.close()
        best = valid[ranking[0][0]]
    valid_count = sum(1 for v in verdicts if v.ok)
    return AskResult(best, True, (), _ms(started), name, len(outputs), valid_count, use_grammar, tuple(verdicts))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
