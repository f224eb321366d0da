"""Progress of a long trainer stage, shown as a bar on a terminal or as JSON lines for a parent.

Every stage (harvest, dataset, train, eval, export) reports through ``Progress``. In ``json``
mode each update is one line on stdout, e.g.
``{"event": "progress", "stage": "train", "step": 3, "total": 10, "loss": 1.23}``, which the
``finetune`` pipeline and the VS Code command read; in ``bar`` mode a tqdm bar goes to stderr;
``none`` is silent. ``auto`` means ``bar`` on a terminal and ``none`` otherwise.
"""

from __future__ import annotations

import json
import math
import sys
import time
from types import TracebackType
from typing import Any, Literal, TextIO

Mode = Literal["auto", "bar", "json", "none"]


def _clean(value: Any) -> Any:
    """JSON-safe scalars: round floats, turn NaN/inf into null."""
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


class Progress:
    """Reports ``step`` of ``total`` for one ``stage``, with optional metrics per update."""

    def __init__(
        self,
        stage: str,
        total: int | None,
        mode: Mode = "auto",
        stream: TextIO | None = None,
    ) -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "none"
        if mode not in ("bar", "json", "none"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.stage = stage
        self.total = total
        self.mode = mode
        self.step = 0
        self._stream = stream
        self._started = time.monotonic()
        self._bar: Any = None
        if mode == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=stage, file=stream or sys.stderr, dynamic_ncols=True)

    def _emit(self, payload: dict[str, Any]) -> None:
        out = self._stream or sys.stdout
        out.write(json.dumps({k: _clean(v) for k, v in payload.items()}) + "\n")
        out.flush()

    def set_total(self, total: int) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def update(self, step: int | None = None, **metrics: Any) -> None:
        """Move to ``step`` (or one further) and report ``metrics`` such as ``loss``."""
        new_step = self.step + 1 if step is None else step
        if self._bar is not None:
            self._bar.update(new_step - self.step)
            if metrics:
                self._bar.set_postfix({k: _clean(v) for k, v in metrics.items()}, refresh=False)
        elif self.mode == "json":
            self._emit({"event": "progress", "stage": self.stage, "step": new_step,
                        "total": self.total, **metrics})
        self.step = new_step

    def event(self, name: str, **fields: Any) -> None:
        """A one-off event (``start``, ``done``, ``checkpoint``...) in JSON mode; else a note."""
        if self.mode == "json":
            self._emit({"event": name, "stage": self.stage, **fields})
        elif self._bar is not None:
            detail = " ".join(f"{k}={_clean(v)}" for k, v in fields.items())
            self._bar.write(f"{self.stage}: {name} {detail}".rstrip())

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:  # noqa: PYI034 (no typing.Self before Python 3.11)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
