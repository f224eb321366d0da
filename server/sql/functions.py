"""SQL functions of a dialect with signatures: a curated table for the common ones, the
rest from sqlglot's function registry (the dialect parser's ``FUNCTIONS`` and the
argument names of sqlglot's expression classes)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sqlglot import exp

from .catalog import get_dialect


@dataclass(frozen=True)
class FunctionInfo:
    name: str  # upper case
    signature: str
    description: str
    curated: bool
    aggregate: bool = False


# name: (arguments, description); aggregates marked with a leading "*".
CURATED: dict[str, tuple[str, str]] = {
    "COUNT": ("*expression | *", "*Number of rows, or of non-null values of the expression."),
    "SUM": ("expression", "*Sum of the non-null values."),
    "AVG": ("expression", "*Average of the non-null values."),
    "MIN": ("expression", "*Smallest value."),
    "MAX": ("expression", "*Largest value."),
    "STRING_AGG": ("expression, delimiter", "*Values joined into one string."),
    "ARRAY_AGG": ("expression", "*Values collected into an array."),
    "BOOL_AND": ("condition", "*True when all values are true."),
    "BOOL_OR": ("condition", "*True when any value is true."),
    "COALESCE": ("value, value, ...", "The first argument that is not null."),
    "NULLIF": ("value, other", "Null when both arguments are equal, else the first."),
    "GREATEST": ("value, value, ...", "The largest argument."),
    "LEAST": ("value, value, ...", "The smallest argument."),
    "LOWER": ("text", "Text in lower case."),
    "UPPER": ("text", "Text in upper case."),
    "LENGTH": ("text", "Number of characters."),
    "TRIM": ("text", "Text without leading and trailing blanks."),
    "SUBSTRING": ("text, start, length", "Part of a text."),
    "REPLACE": ("text, from, to", "Text with every occurrence of `from` replaced by `to`."),
    "CONCAT": ("text, text, ...", "Texts joined together (nulls ignored)."),
    "SPLIT_PART": ("text, delimiter, n", "The n-th field of a delimited text."),
    "ROUND": ("number, decimals", "Number rounded to `decimals` places."),
    "ABS": ("number", "Absolute value."),
    "CEIL": ("number", "Smallest integer not less than the number."),
    "FLOOR": ("number", "Largest integer not greater than the number."),
    "NOW": ("", "Current date and time (start of the transaction)."),
    "CURRENT_DATE": ("", "Today's date."),
    "CURRENT_TIMESTAMP": ("", "Current date and time."),
    "DATE_TRUNC": ("unit, timestamp", "Timestamp truncated to the unit ('day', 'week', 'month', ...)."),
    "DATE_PART": ("unit, timestamp", "A field of a date/time value."),
    "EXTRACT": ("field FROM timestamp", "A field of a date/time value."),
    "DATE_DIFF": ("unit, start, end", "Number of unit boundaries between two dates."),
    "TO_CHAR": ("value, format", "A value formatted as text."),
    "CAST": ("value AS type", "A value converted to a type."),
    "ROW_NUMBER": ("", "*Number of the row within its window partition (needs OVER)."),
    "RANK": ("", "*Rank with gaps within the window partition (needs OVER)."),
    "DENSE_RANK": ("", "*Rank without gaps within the window partition (needs OVER)."),
    "LAG": ("expression, offset, default", "*Value from a previous row of the window (needs OVER)."),
    "LEAD": ("expression, offset, default", "*Value from a following row of the window (needs OVER)."),
    "FIRST_VALUE": ("expression", "*First value of the window frame (needs OVER)."),
    "LAST_VALUE": ("expression", "*Last value of the window frame (needs OVER)."),
}


def _arguments(cls: type[exp.Func]) -> str:
    parts = []
    for name, required in cls.arg_types.items():
        if name in ("input_type_preserved",) or name.startswith("_"):
            continue
        label = "expression" if name == "this" else name
        parts.append(label if required else f"[{label}]")
    return ", ".join(parts[:6])


@functools.lru_cache(maxsize=1)
def _classes_by_name() -> dict[str, type[exp.Func]]:
    out: dict[str, type[exp.Func]] = {}
    for cls in exp.ALL_FUNCTIONS:
        for name in cls.sql_names():
            out.setdefault(name.upper(), cls)
    return out


@functools.lru_cache(maxsize=64)
def dialect_functions(dialect: str) -> tuple[FunctionInfo, ...]:
    """All functions the dialect's parser knows, curated ones first."""
    names = {n.upper() for n in get_dialect(dialect).parser_class.FUNCTIONS if re.match(r"^[A-Za-z][A-Za-z0-9_]*$", n)}
    names |= {n for n in CURATED if n in names or n in ("CAST", "EXTRACT", "NOW", "CURRENT_DATE", "CURRENT_TIMESTAMP")}
    classes = _classes_by_name()
    out: list[FunctionInfo] = []
    for name in sorted(names, key=lambda n: (n not in CURATED, n)):
        if name in CURATED:
            args, description = CURATED[name]
            aggregate = description.startswith("*")
            out.append(FunctionInfo(name, f"{name}({args.replace('*expression', 'expression')})", description.lstrip("*"), True, aggregate))
            continue
        cls = classes.get(name)
        args = _arguments(cls) if cls is not None else "..."
        aggregate = bool(cls is not None and issubclass(cls, exp.AggFunc))
        description = (cls.__doc__ or "").strip().split("\n")[0] if cls is not None and cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "(") else ""
        out.append(FunctionInfo(name, f"{name}({args})", description, False, aggregate))
    return tuple(out)
