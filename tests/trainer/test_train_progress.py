"""The progress reporter every trainer stage uses: JSON lines, a bar, or silence."""

from __future__ import annotations

import io
import json

from querywright.trainer.progress import Progress


def test_json_lines() -> None:
    stream = io.StringIO()
    with Progress("train", 3, mode="json", stream=stream) as progress:
        progress.update(loss=1.5)
        progress.update(3, loss=float("nan"))
        progress.event("done", adapter="a")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines == [
        {"event": "progress", "stage": "train", "step": 1, "total": 3, "loss": 1.5},
        {"event": "progress", "stage": "train", "step": 3, "total": 3, "loss": None},
        {"event": "done", "stage": "train", "adapter": "a"},
    ]


def test_bar_and_none() -> None:
    stream = io.StringIO()
    with Progress("eval", None, mode="bar", stream=stream) as progress:
        progress.set_total(2)
        progress.update(loss=0.5)
        progress.update()
    assert "eval" in stream.getvalue() and "2/2" in stream.getvalue()
    quiet = io.StringIO()
    Progress("x", 1, mode="none", stream=quiet).update()
    assert quiet.getvalue() == ""
    assert Progress("x", 1, stream=quiet).mode == "none"  # auto: not a terminal
