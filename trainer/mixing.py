"""Dedupe, split and weight records: the pure steps of a dataset build.

- ``dedupe``: exact duplicates (same schema, normalised SQL and question) and near
  duplicates (same schema and normalised SQL, questions at least ``threshold`` similar);
  the earlier record wins, so callers pass sources in priority order.
- ``split``: every record with the same leak key — its schema and normalised SQL, or only
  its schema with ``by_schema`` — lands in one split, so no query (or schema) is seen in
  training and again in evaluation. Groups are ordered by a seeded hash and dealt to the
  split furthest below its share.
- ``weighted``: a source's weight subsamples it (< 1) or repeats it in train only (> 1).
"""

from __future__ import annotations

import difflib
import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Iterable

from .records import Drops, Record, parse_tree

SPLITS = ("train", "validation", "test")


def normalise_sql(sql: str, dialect: str) -> str:
    """SQL in one canonical spelling (sqlglot round trip, lower case, single spaces)."""
    tree = parse_tree(sql, dialect)
    text = tree.sql(dialect=dialect, normalize=True) if tree is not None else sql
    return re.sub(r"\s+", " ", text).strip().lower()


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def dedupe(records: Iterable[Record], threshold: float = 0.8) -> tuple[list[Record], dict[str, Drops]]:
    """Records without exact or near duplicates, and the drop counts by source."""
    kept: list[Record] = []
    dropped: dict[str, Drops] = defaultdict(Drops)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    ids: set[str] = set()
    for record in records:
        key = (record.get("schema_id") or record["schema"], normalise_sql(record["sql"], record["dialect"]))
        record["_sql_key"] = key[1]
        question = " ".join(re.sub(r"[^\w\s]", " ", record["question"].lower()).split())
        seen = groups[key]
        if question in seen:
            dropped[record["source"]].add("duplicate")
            continue
        if any(_similar(question, other) >= threshold for other in seen):
            dropped[record["source"]].add("near-duplicate")
            continue
        if record["id"] in ids:
            record["id"] = f"{record['id']}-{len(ids)}"
        ids.add(record["id"])
        seen.append(question)
        kept.append(record)
    return kept, dict(dropped)


def leak_key(record: Record, by_schema: bool) -> str:
    schema = record.get("schema_id") or hashlib.blake2b(record["schema"].encode(), digest_size=8).hexdigest()
    if by_schema:
        return schema
    sql_key = record.get("_sql_key") or normalise_sql(record["sql"], record["dialect"])
    return f"{schema}\x1f{sql_key}"


def split(records: list[Record], ratios: tuple[float, float, float] = (0.8, 0.1, 0.1), *, by_schema: bool = False, seed: int = 0) -> dict[str, list[Record]]:
    """Records dealt into train/validation/test by leak-key groups (see module doc)."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        groups[leak_key(record, by_schema)].append(record)
    order = sorted(groups, key=lambda k: hashlib.blake2b(f"{seed}\x1f{k}".encode("utf-8", "surrogatepass"), digest_size=8).hexdigest())
    total = sum(ratios)
    shares = [r / total for r in ratios]
    out: dict[str, list[Record]] = {name: [] for name in SPLITS}
    placed = 0
    for key in order:
        group = groups[key]
        deficits = [shares[i] * (placed + len(group)) - len(out[name]) for i, name in enumerate(SPLITS)]
        target = SPLITS[max(range(len(SPLITS)), key=lambda i: (deficits[i], -i))]
        for record in group:
            record["split"] = target
        out[target].extend(group)
        placed += len(group)
    return out


def weighted(splits: dict[str, list[Record]], weights: dict[str, float], seed: int = 0) -> tuple[dict[str, list[Record]], Drops]:
    """Apply per-source weights: subsample every split below 1, repeat train records above 1."""
    rng = random.Random(seed)
    dropped = Drops()
    out: dict[str, list[Record]] = {}
    for name, records in splits.items():
        result: list[Record] = []
        for record in records:
            weight = weights.get(record["source"], 1.0)
            whole, frac = int(weight), weight - int(weight)
            copies = whole + (1 if rng.random() < frac else 0)
            if copies == 0:
                dropped.add(f"weight:{record['source']}")
                continue
            if name != "train":
                copies = 1
            result.append(record)
            for n in range(1, copies):
                result.append({**record, "id": f"{record['id']}-r{n + 1}"})
        out[name] = result
    return out, dropped


def leaks(splits: dict[str, list[Record]], by_schema: bool = False) -> list[str]:
    """Leak keys found in more than one split (empty when the split is clean)."""
    where: dict[str, set[str]] = defaultdict(set)
    for name, records in splits.items():
        for record in records:
            where[leak_key(record, by_schema)].add(name)
    return sorted(k for k, names in where.items() if len(names) > 1)


def parse_weights(text: str | None) -> dict[str, float]:
    """``harvest=3,synthetic=1,public=0.5`` → a dict (raises ValueError when malformed)."""
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or name.strip() not in ("harvest", "synthetic", "public", "spider"):
            raise ValueError(f"bad weight {part.strip()!r}: expected SOURCE=NUMBER with SOURCE in harvest, synthetic, public, spider")
        weight = float(value)
        if weight < 0:
            raise ValueError(f"bad weight {part.strip()!r}: must not be negative")
        out[name.strip()] = weight
    return out
