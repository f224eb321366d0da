"""Question -> one validated SQL statement (``querywright ask``, benchmarks).

1. **Grounding**: the values of the workspace's data that the question mentions
   (``grounding``: ``Comedy`` is a value of ``category.name``) become hint lines of the prompt.
2. **Linking**: the prompt shows only the tables the question points at, the foreign-key
   paths between them and a few neighbours (``linking``), not the whole schema.
3. **Greedy first**: the greedy candidate is validated (``validate``) and run on the
   scratch database (the catalog's tables with rows drawn from the data's values,
   ``scratch``). When it is valid and returns rows, it is the answer: sampling more
   could not change it for the better often enough to pay for itself.
4. **Execution-guided choice** otherwise: more candidates are sampled at a temperature,
   and the valid ones are ranked by execution: a candidate that fails to run loses; one
   that returns rows beats one that returns none; then candidates whose results agree
   with more others win (self-consistency); ties go to the earlier (greedy) one.

5. **Repairs**: each candidate yields variants, validated and run like the others, for what
   the question's words ask (``intent.repairs``: aggregates, counts, grouping, ordering
   direction, LIKE anchoring; ``intent.group_repairs``, ``intent.column_repairs``) and for
   what the schema and the data say (in this order):
   - ``rejoin``: a join whose ON condition relates nothing (``c.id = c.id``) joined again along
     the foreign keys, an aggregate in WHERE computed in a subquery, columns beside an
     aggregate grouped by;
   - ``column_home``: a column read off a table that lacks it (``SELECT name, tonnage FROM
     battle``) read from the table that has it, instead or joined;
   - ``value_filter``: a value the question mentions (the hint ``'PG-13' is a value of
     film.rating``) filtered on, its table joined when the candidate lacks it;
   - ``row_counts``: "the category with the most films" ranked by a count of films, "more than
     20 cities" as ``HAVING COUNT(*) > 20``, "how many customers" counting customer rows;
   - ``named_key``: ``SELECT language_id`` for "in which language" selects the language's name;
   - ``each_group``: "the total taken by each store" grouped by the store table's key;
   - ``named_tables``: a table the question names ("poker players") joined;
   - ``anti_join``: "countries with no car maker" answered by joining car makers and then
     excluding them asks for the countries whose key car makers never hold.
   Tables are joined along the shortest foreign-key path (``attach``).

6. **Per entity**: a candidate for "... each user" grouped by the user's name (two users who
   share a name become one group) is grouped by the user's primary key instead
   (``intent.entity_grouping``). **Spelling**: in every candidate kept, a literal that is a
   value the question names spelt another way (``'MIKE'`` for staff's ``'Mike'``) is spelt as
   the column it is compared with spells it (``value_filter.respelled``).

When nothing the model with its SQL adapter wrote is valid, a backend that can serve the
bare weights (the embedded engine) answers once more without the adapter, greedy: the
adapter fails validation more often on unfamiliar schemas than the weights it was tuned from.
When no candidate is valid the answer says so: ``sql`` is None and ``issues`` tells why;
an invalid statement is never returned as the answer, nor one that fails on the scratch
database where its failure is the real database's too (``fails_for_real``).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..sql.catalog import Catalog, get_dialect
from ..sql.scratch import Outcome, build_database, run
from ..sql.values import ValueSample
from .anti_join import anti_joined
from .column_home import column_homes
from .completer import Completer, CompletionRequest
from .each_group import grouped_by_each
from .grammar import statement_grammar
from .grounding import ValueIndex, ground, index_for, render_matches
from .intent import Fit, column_repairs, entity_grouping, expectations, fit, group_repairs, repairs
from .linking import DEFAULT_LINK_BUDGET, link_schema
from .named_key import named_keys
from .named_tables import named_tables_joined
from .prompt import STOP_SEQUENCES, build_prompt, statement_start
from .rejoin import grouped_bare_columns, rejoined, where_aggregates
from .row_counts import count_ranked
from .validate import Verdict, validate_statement
from .value_filter import respelled, value_filters

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
    tables: tuple[str, ...] = ()  # the tables the prompt showed
    hints: tuple[str, ...] = ()  # the value hints the prompt carried
    prompt_chars: int = 0

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
            "tables": list(self.tables),
            "hints": list(self.hints),
        }


async def ask(
    question: str,
    catalog: Catalog,
    completer: Completer,
    *,
    values: ValueIndex | ValueSample | None = None,
    samples: int = 4,
    grammar: bool = True,
    budget_tokens: int = DEFAULT_LINK_BUDGET,
    cancel: asyncio.Event | None = None,
    seed: int = 1234,
) -> AskResult:
    """Answer ``question`` with the best valid statement over ``catalog``; ``values`` are
    the data's values (the workspace's seed rows) for grounding and the scratch rows."""
    started = time.perf_counter()
    index = index_for(values)
    matches = ground(question, index)
    hints = tuple(render_matches(matches))
    sliced = link_schema(catalog, question, matches, budget_tokens=budget_tokens)
    lead = statement_start(question)
    use_grammar = grammar and completer.capabilities.grammar and lead == "SELECT"
    gbnf = statement_grammar(catalog, sliced.keys, after_select=True) if use_grammar else None
    prompt = build_prompt(sliced.ddl, catalog.dialect, question, lead, hints=hints)
    request = CompletionRequest(prompt=prompt, max_tokens=MAX_TOKENS, stop=STOP_SEQUENCES, grammar=gbnf, seed=seed)
    sample = values.sample if isinstance(values, ValueIndex) else values
    # the scratch database does not depend on the model's output: it is built on another
    # core while the model generates
    building = asyncio.get_running_loop().run_in_executor(None, build_database, catalog, sample, matches)
    try:
        outputs = [c.text for c in await completer.complete(request, cancel)]
    except BaseException:
        building.add_done_callback(_close_built)
        raise
    # A write the question asks for ("delete the inactive users") is validated as a write
    # and never executed, not even on the scratch database; every other candidate must be
    # a read-only query, since candidates run.
    writes = lead != "SELECT"
    verdicts = [validate_statement(lead + text, catalog, read_only=not writes) for text in outputs]
    conn = await building
    try:
        wanted = expectations(question, matches, [t.name for t in catalog.tables.values()],
                              sorted({c.name for t in catalog.tables.values() for c in t.columns.values()}))
        outcomes: dict[str, Outcome] = {}
        fits: dict[str, Fit] = {}

        def judge(text: str) -> None:
            if text not in outcomes:
                outcomes[text] = Outcome(rows=()) if writes else run(conn, text, catalog.dialect)
                fits[text] = fit(_parse(text, catalog.dialect), wanted)

        def columns(name: str) -> list[tuple[str, str | None]]:
            return _columns(catalog, name)

        # Each stage turns a candidate into variants; it sees the candidate and every variant
        # the stages before it made. The order matters where one repair sets up another (a
        # column put on its table before a value is filtered on that table).
        stages: tuple[Callable[[exp.Expression], list[exp.Expression]], ...] = (
            lambda v: group_repairs(v, wanted, columns),
            lambda v: column_repairs(v, wanted, columns),
            lambda v: rejoined(v, catalog) + where_aggregates(v) + grouped_bare_columns(v),
            lambda v: column_homes(v, catalog),
            lambda v: value_filters(v, matches, catalog),
            lambda v: count_ranked(v, wanted, catalog) + named_keys(v, wanted, catalog),
            lambda v: grouped_by_each(v, wanted, catalog),
            lambda v: named_tables_joined(v, wanted, catalog),
            lambda v: anti_joined(v, catalog),  # last: a table joined above may be the one excluded
        )

        def repaired(texts: list[str]) -> list[str]:
            """Valid variants of ``texts`` that fit the question better (the repairs above)."""
            out: list[str] = []
            for text in texts:
                tree = _parse(text, catalog.dialect)
                if tree is None:
                    continue
                variants = repairs(tree, wanted)
                for stage in stages:
                    for variant in [tree, *variants]:
                        variants += stage(variant)
                for variant in variants:
                    verdict = validate_statement(variant.sql(dialect=catalog.dialect), catalog, read_only=not writes)
                    if verdict.ok and verdict.text not in out and verdict.text not in texts:
                        out.append(verdict.text)
            return out

        def rewritten(text: str, rewrite: Callable[[exp.Expression | None], exp.Expression | None]) -> str:
            """``text`` as ``rewrite`` turns its tree when the result is valid; else ``text``."""
            variant = rewrite(_parse(text, catalog.dialect))
            if variant is None:
                return text
            verdict = validate_statement(variant.sql(dialect=catalog.dialect), catalog, read_only=not writes)
            return verdict.text if verdict.ok else text

        def regrouped(text: str) -> str:
            """``text`` grouped by its entity's key where it grouped by a name (``intent.entity_grouping``)."""
            return rewritten(text, lambda tree: entity_grouping(tree, wanted, lambda name: _keys(catalog, name)))

        def spelt(text: str) -> str:
            """``text`` with the question's values spelt as the data spells them (``respelled``)."""
            return rewritten(text, lambda tree: respelled(tree, matches, catalog))

        greedy = next((v.text for v in verdicts if v.ok), None)
        # the greedy candidate's repairs; when it is invalid, a repair may still make it valid
        # ("AVG(payment_date)" for "the average payment amount" -> "AVG(amount)")
        fixes = repaired([greedy] if greedy is not None else [lead + t for t in outputs[:1]])
        for text in ([greedy] if greedy is not None else []) + fixes:
            judge(text)
        settled = any(bool(outcomes[t].rows) and fits[t].missed == 0 for t in outcomes)
        if samples > 1 and not settled and not (cancel is not None and cancel.is_set()):
            more = CompletionRequest(
                prompt=prompt, max_tokens=MAX_TOKENS, stop=STOP_SEQUENCES, grammar=gbnf,
                temperature=SAMPLE_TEMPERATURE, n=samples - 1, seed=seed + 1,
            )  # fmt: skip
            extra = [c.text for c in await completer.complete(more, cancel)]
            outputs += extra
            verdicts += [validate_statement(lead + text, catalog, read_only=not writes) for text in extra]
        valid: list[str] = []
        for verdict in verdicts:
            if verdict.ok and verdict.text not in valid:
                valid.append(verdict.text)
        broken = [lead + o for o, v in list(zip(outputs, verdicts))[1:] if not v.ok]
        valid += [t for t in fixes + repaired((valid[1:] if greedy is not None else valid) + broken) if t not in valid]
        if not valid and completer.capabilities.bare_weights and not (cancel is not None and cancel.is_set()):
            # nothing valid under the SQL adapter: the bare weights answer once, greedy
            bare = [c.text for c in await completer.complete(replace(request, adapter=False), cancel)]
            outputs += bare
            checked = [validate_statement(lead + text, catalog, read_only=not writes) for text in bare]
            verdicts += checked
            valid = [v.text for v in checked if v.ok]
            valid += [t for t in repaired(valid or [lead + t for t in bare]) if t not in valid]
        valid = list(dict.fromkeys(spelt(regrouped(text)) for text in valid))
        for text in valid:
            judge(text)
    finally:
        conn.close()
    name = completer.name
    shown = tuple(catalog.tables[k].display_name for k in sliced.keys if k in catalog.tables)
    extras = {"tables": shown, "hints": hints, "prompt_chars": len(prompt)}
    if not valid:
        reasons = tuple(dict.fromkeys(v.reason for v in verdicts if v.reason)) or ("the model returned nothing",)
        return AskResult(None, False, reasons, _ms(started), name, len(outputs), 0, use_grammar, tuple(verdicts), **extras)  # type: ignore[arg-type]
    best = valid[choose([outcomes[t] for t in valid], [fits[t] for t in valid])]
    valid_count = sum(1 for v in verdicts if v.ok)
    failure = fails_for_real(outcomes[best], catalog.dialect)
    if failure is not None:  # every valid candidate failed where the failure is the database's own
        return AskResult(None, False, (f"every valid candidate fails on the scratch database: {failure}",), _ms(started),
                         name, len(outputs), valid_count, use_grammar, tuple(verdicts), **extras)  # type: ignore[arg-type]
    return AskResult(best, True, (), _ms(started), name, len(outputs), valid_count, use_grammar, tuple(verdicts), **extras)  # type: ignore[arg-type]


def fails_for_real(outcome: Outcome, dialect: str) -> str | None:
    """The error of a candidate that failed on the scratch database in a way the real database
    would fail too (None: it ran, or the failure may be the scratch database's own): any error
    when the workspace is SQLite (the scratch database is the same engine), a timeout (a
    query that runs away on a few rows per table) in every dialect. A function SQLite lacks or
    a statement that cannot be transpiled says nothing of PostgreSQL."""
    if outcome.rows is not None or outcome.error is None:
        return None
    if dialect.lower() == "sqlite" or outcome.error.startswith("timed out"):
        return outcome.error
    return None


def choose(outcomes: list[Outcome], fits: list[Fit]) -> int:
    """The index of the best candidate: one that runs, then the best fit to the
    question, then one with rows, then the most agreed-on result; ties: the earlier."""
    votes: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.signature is not None:
            votes[outcome.signature] = votes.get(outcome.signature, 0) + 1

    def key(i: int) -> tuple[int, int, int, int, int]:
        o = outcomes[i]
        if o.rows is None:
            return (1, -fits[i].score, 1, 0, i)
        return (0, -fits[i].score, 0 if o.rows else 1, -votes[o.signature or ""], i)

    return min(range(len(outcomes)), key=key)


def _columns(catalog: Catalog, name: str) -> list[tuple[str, str | None]]:
    """(column, referenced table key or None) of the table ``name`` (for group repairs)."""
    table = catalog.find(name)
    if table is None:
        return []
    refs = {fk.columns[0]: fk.ref_table for fk in table.foreign_keys if len(fk.columns) == 1}
    return [(c.name, refs.get(k)) for k, c in table.columns.items()]


def _keys(catalog: Catalog, name: str) -> tuple[str | None, frozenset[str]]:
    """The single-column primary key of table ``name`` (or None) and its unique columns."""
    table = catalog.find(name)
    if table is None:
        return None, frozenset()
    key = table.columns[table.primary_key[0]].name if len(table.primary_key) == 1 and table.primary_key[0] in table.columns else None
    return key, frozenset(c.name.lower() for c in table.columns.values() if c.unique)


def _parse(sql: str, dialect: str) -> exp.Expression | None:
    try:
        return sqlglot.parse_one(sql, read=get_dialect(dialect))
    except (ParseError, TokenError, ValueError):
        return None


def _close_built(future: asyncio.Future[sqlite3.Connection]) -> None:
    """Close a scratch database nobody will query (the generation before it failed)."""
    if not future.cancelled() and future.exception() is None:
        future.result().close()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
