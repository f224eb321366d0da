"""Quality guard: the shipped general SQL adapter answers human questions over schemas it
was not tuned on the questions of better than the bare weights it was tuned from.

60 Spider dev questions (``fixtures/spider``, CC BY-SA 4.0; three per database, gold queries
that return rows) go through ``ask`` greedy (``samples=1``) with ``builtin:smollm2-135m``
(the weights with the shipped adapter) and with ``builtin:smollm2-135m-base`` (the bare
weights), over a scratch database of 12 generated rows per table whose rows are also the
value sample; each answer is compared with the gold query's rows. The build fails when the
adapter is not ahead of the bare weights by ``MIN_LEAD`` questions, or falls under
``MIN_RIGHT``, both set a little under the measured figures. The full measurement is
``python bench/spider_ex.py`` (200 questions).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from querywright.server.ai.ask import ask
from querywright.server.ai.refs import BackendConfig, open_completer
from querywright.server.sql.scratch import ScratchDB, value_sample
from querywright.trainer import metrics
from querywright.trainer.spider import load_spider

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "spider"
ROWS, SEED = 12, 0
# measured with `python bench/spider_ex.py --spider tests/ai/fixtures/spider --samples 1 --threads 1`
# (and `--model builtin:smollm2-135m-base`), figures in bench/RESULTS.md: 31/60 vs 12/60
MIN_RIGHT = 28
MIN_LEAD = 16  # questions ahead of the bare weights


def right_answers(ref: str) -> int:
    load = load_spider(FIXTURES, "dev.json", "tables.json")
    assert len(load.records) == 60, load.dropped

    async def go() -> int:
        completer = open_completer(ref, BackendConfig(timeout_s=300, n_threads=1))
        databases: dict[str, ScratchDB] = {}
        right = 0
        try:
            for record in load.records:
                sid = record["schema_id"]
                catalog = load.databases[sid.split(":", 1)[1]].catalog
                if sid not in databases:
                    databases[sid] = ScratchDB(catalog, rows=ROWS, seed=SEED)
                db = databases[sid]
                result = await ask(record["question"], catalog, completer,
                                   values=value_sample(db.conn, catalog), samples=1)
                outcome = metrics.execution_match(db.conn, result.sql or "", record["sql"], "sqlite")
                assert outcome.gold_rows, record["sql"]  # the slice holds gold queries that return rows
                right += outcome.match is True
        finally:
            await completer.aclose()
            for db in databases.values():
                db.close()
        return right

    return asyncio.run(go())


@pytest.mark.model
@pytest.mark.slow
def test_the_general_adapter_beats_the_bare_weights_on_spider(smollm2_gguf: Path) -> None:
    tuned, bare = right_answers("builtin:smollm2-135m"), right_answers("builtin:smollm2-135m-base")
    print(f"spider slice: adapter {tuned}/60, bare weights {bare}/60")
    assert tuned >= MIN_RIGHT, f"the adapter answered {tuned}/60 right, under {MIN_RIGHT}"
    assert tuned >= bare + MIN_LEAD, f"the adapter {tuned}/60 vs the bare weights {bare}/60"
