"""The heap is settled (collected and frozen) after a schema load (``features/heap``)."""

from __future__ import annotations

import gc

from querywright.server.lsp.features.heap import settle


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_settle_freezes_survivors_and_collects_replaced_cycles() -> None:
    try:
        kept = Node()
        assert settle() >= 0.0
        frozen = gc.get_freeze_count()
        assert frozen > 0 and gc.is_tracked(kept)
        del kept  # a replaced catalog: garbage inside the frozen generation
        settle()  # unfreezes first, so the cycle is collected
        assert not any(isinstance(o, Node) for o in gc.get_objects())
    finally:
        gc.unfreeze()
