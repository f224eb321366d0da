"""Natural names for schema objects, for synthesized questions.

``created_at`` reads "creation date", ``is_active`` "active", ``user_id`` "user",
``price_cents`` "price in cents", ``order_items`` "order items" (singular "order item").
"""

from __future__ import annotations

import re

_PAST_TO_NOUN = {
    "created": "creation", "updated": "update", "deleted": "deletion", "modified": "modification",
    "ordered": "order", "placed": "placement", "shipped": "shipping", "published": "publication",
    "started": "start", "ended": "end", "finished": "finish", "completed": "completion",
    "signed": "sign-up", "registered": "registration", "paid": "payment", "delivered": "delivery",
    "born": "birth", "hired": "hire", "joined": "joining", "closed": "closing", "opened": "opening",
}
_ABBREVIATIONS = {
    "qty": "quantity", "amt": "amount", "num": "number", "avg": "average", "cnt": "count",
    "desc": "description", "dob": "date of birth", "addr": "address", "dept": "department",
    "emp": "employee", "img": "image", "msg": "message", "pct": "percent", "ts": "timestamp",
    "nbr": "number", "no": "number", "yr": "year", "dt": "date", "cust": "customer",
}
_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman", "data": "data", "series": "series", "status": "status", "news": "news"}


def words(name: str) -> list[str]:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[\W_]+", name) if w]


def column_phrase(name: str) -> str:
    """``created_at`` → "creation date", ``price_cents`` → "price in cents"."""
    parts = words(name)
    if not parts:
        return name
    if len(parts) >= 2 and parts[-1] in ("at", "on", "date", "time", "ts") and parts[-2] in _PAST_TO_NOUN:
        return " ".join(parts[:-2] + [_PAST_TO_NOUN[parts[-2]], "date" if parts[-1] != "time" else "time"])
    if parts[0] in ("is", "has") and len(parts) > 1:
        parts = parts[1:]
    if len(parts) >= 2 and parts[-1] == "id":
        parts = parts[:-1] + ["id"] if len(parts) == 1 else parts[:-1] + ["ID"]
    if len(parts) >= 2 and parts[-1] == "cents":
        parts = parts[:-1] + ["in", "cents"]
    if parts[-1] in ("at", "ts"):
        parts = parts[:-1] + ["time"]
    parts = [_ABBREVIATIONS.get(p, p) for p in parts]
    if parts == ["id"]:
        return "ID"
    return " ".join(parts)


def singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def plural(word: str) -> str:
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word if word.endswith("s") and singular(word) != word else word + "es"
    return word + "s"


def table_phrase(name: str, many: bool = True) -> str:
    """``order_items`` → "order items" (``many``) or "order item"."""
    parts = [_ABBREVIATIONS.get(p, p) for p in words(name)] or [name]
    original = parts[-1]
    last = singular(original)
    parts[-1] = (original if last != original else plural(last)) if many else last
    return " ".join(parts)


def flag_phrase(name: str) -> str:
    """``is_active`` → "active"; a boolean column as an adjective."""
    parts = words(name)
    if parts and parts[0] in ("is", "has", "was", "can"):
        parts = parts[1:]
    return " ".join(parts) or name


def value_phrase(value: object) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)
