"""Write an evaluation as a markdown report with a bar chart, plus the raw results as JSON.

``report.md`` compares the models side by side (execution accuracy, the same counted only over
examples whose gold query returns rows, valid-SQL rate, exact match, latency), breaks
execution accuracy down by complexity when the examples carry one, and lists a few examples where the models disagree; ``report.png`` plots the three rates;
``results.json`` holds every prediction. Files are written to temporary names and renamed.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .eval import ModelResult

METRICS = (("execution_accuracy", "Execution accuracy"), ("valid_rate", "Valid SQL"),
           ("exact_match", "Exact match"))
SHOWN_DIFFERENCES = 5


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def plot(results: Sequence[ModelResult], path: Path) -> None:
    """Grouped bars: one group per metric, one bar per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summaries = [r.summary() for r in results]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    width = 0.8 / max(1, len(summaries))
    for index, summary in enumerate(summaries):
        xs = [m + index * width - 0.4 + width / 2 for m in range(len(METRICS))]
        values = [100 * (summary[key] or 0.0) for key, _ in METRICS]
        bars = ax.bar(xs, values, width, label=summary["model"])
        ax.bar_label(bars, fmt="%.0f%%", fontsize=8)
    ax.set_xticks(range(len(METRICS)), [label for _, label in METRICS])
    ax.set_ylim(0, 110)
    ax.set_ylabel("% of examples")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)


def _by_complexity(results: Sequence[ModelResult]) -> list[str]:
    labels = sorted({e.complexity for r in results for e in r.examples if e.complexity})
    if not labels:
        return []
    lines = ["", "## Execution accuracy by complexity", "",
             "| complexity | " + " | ".join(r.model for r in results) + " |",
             "|---|" + "---|" * len(results)]
    for label in labels:
        cells = []
        for result in results:
            hits: dict[str, list[bool]] = defaultdict(list)
            for e in result.examples:
                if e.complexity == label and e.execution is not None:
                    hits[label].append(e.execution)
            done = hits[label]
            cells.append(f"{_pct(sum(done) / len(done)) if done else 'n/a'} ({len(done)})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _differences(results: Sequence[ModelResult]) -> list[str]:
    if len(results) < 2 or any(r.error for r in results):
        return []
    lines = ["", "## Examples where the models differ", ""]
    shown = 0
    for examples in zip(*(r.examples for r in results)):
        if len({e.execution for e in examples}) < 2:
            continue
        lines.append(f"**{examples[0].id}**: {examples[0].question}  ")
        lines.append(f"gold: `{examples[0].gold}`  ")
        for result, e in zip(results, examples):
            verdict = {True: "right", False: "wrong", None: "not run"}[e.execution]
            lines.append(f"{result.model} ({verdict}): `{e.predicted or '(nothing)'}`  ")
        lines.append("")
        shown += 1
        if shown == SHOWN_DIFFERENCES:
            break
    return lines if shown else []


def markdown(results: Sequence[ModelResult], title: str, image: str | None) -> str:
    lines = [f"# {title}", ""]
    n = max((len(r.examples) for r in results), default=0)
    intro = (f"{n} examples. Execution accuracy counts the examples whose gold query ran on "
             "the scratch database; rows compared as multisets unless the gold query has a "
             "top-level ORDER BY. \"Exec acc, gold returns rows\" counts only the n examples "
             "whose gold query returns at least one row (an empty gold result is matched by any "
             "prediction that returns nothing).")
    header = ("| model | execution accuracy | exec acc, gold returns rows | valid SQL | exact match "
              "| executed | median latency |")
    lines += [intro, "", header, "|---|---|---|---|---|---|---|"]
    for result in results:
        s = result.summary()
        if result.error:
            lines.append(f"| {s['model']} | failed: {result.error} | | | | | |")
            continue
        latency = "n/a" if s["median_latency_ms"] is None else f"{s['median_latency_ms']:.0f} ms"
        lines.append(f"| {s['model']} | {_pct(s['execution_accuracy'])}"
                     f" | {_pct(s['execution_accuracy_gold_rows'])} (n={s['gold_with_rows']})"
                     f" | {_pct(s['valid_rate'])} | {_pct(s['exact_match'])}"
                     f" | {s['executed']}/{s['examples']} | {latency} |")
    if image:
        lines += ["", f"![metrics]({image})"]
    lines += _by_complexity(results)
    lines += _differences(results)
    return "\n".join(lines) + "\n"


def write_report(results: Sequence[ModelResult], out_dir: Path,
                 title: str = "Evaluation") -> dict[str, Path]:
    """Write ``report.md``, ``report.png`` and ``results.json`` into ``out_dir``."""
    from .eval import results_json

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out_dir / "report.md", "plot": out_dir / "report.png",
             "results": out_dir / "results.json"}
    data: dict[str, Any] = results_json(results)
    _write(paths["results"], (json.dumps(data, indent=2) + "\n").encode())
    plot(results, paths["plot"])
    _write(paths["markdown"], markdown(results, title, paths["plot"].name).encode())
    return paths
