"""Keep the cyclic garbage collector off the typing path.

A loaded workspace is a large, long-lived object graph (the catalog, parsed statements,
pygls state). CPython's full collections walk all of it, and on the 1,000-table
benchmark workspace they made the tail of diagnostics latency (``bench/lsp_latency.py``:
p95 178.7 ms before this, 100.3 ms after, in ``bench/RESULTS.md``). After the schema is
(re)loaded, and a quiet moment later, the heap is collected once and frozen (``gc.freeze``): collections
then only walk objects made since, which is little. The next reload unfreezes first, so a
replaced catalog's cycles are collected, not kept.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import TYPE_CHECKING

from ..boundary import guarded

if TYPE_CHECKING:
    from ..server import QuerywrightServer

log = logging.getLogger(__name__)

SETTLE_S = 1.0  # after the last schema change: several reloads in a row freeze once


def settle() -> float:
    """Unfreeze, collect everything, freeze what survives; returns the milliseconds taken."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return (time.perf_counter() - started) * 1000.0


def register(server: QuerywrightServer) -> None:
    @guarded(server, "heap")
    async def job() -> None:
        elapsed = settle()
        log.info("heap settled in %.0f ms: %d objects frozen", elapsed, gc.get_freeze_count())

    server.events.catalog_changed.connect(lambda: server.debouncer.call(("heap",), SETTLE_S, job))
