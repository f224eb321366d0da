"""The one place that formats model prompts: serving (inline suggestions, comment -> SQL,
``querywright ask``) and training (the trainer calls :func:`format_training_example`), so a
model is prompted at serving time exactly as it was trained.

Format ``qw-1`` is SmolLM2-Instruct's ChatML, laid out for prefix caching::

    <|im_start|>system
    You write {Dialect} SQL for this database. Use only its tables and columns.
    Answer with one SQL statement and nothing else.
    CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT, ...);
    ...<|im_end|>
    <|im_start|>user
    {question}
    -- 'Comedy' is a value of category.name      (value hints, when grounding found any)<|im_end|>
    <|im_start|>assistant
    {SQL prefix the model continues}

- The system turn holds the instruction, the dialect and the schema: the same for every
  keystroke of a workspace (the schema slice keeps it byte-stable), so an engine that
  caches the KV state of a shared prompt prefix re-evaluates only the short tail.
- The user turn is the question (a ``-- comment`` above the statement, or the ``ask``
  question). Without one it asks to complete the statement; text after the cursor, when
  there is any, is quoted there so the model knows how the statement goes on.
- The assistant turn *is* SQL from its first character: no prose, no fences, so an
  instruction model that has never been fine-tuned is pushed to write SQL, the SQL prefix
  left of the cursor continues it verbatim, and a fine-tuned model learns one thing.
- The completion ends with ``;`` and ``<|im_end|>``; serving stops at either
  (:data:`STOP_SEQUENCES`), so a suggestion never runs into a second statement.
- Text from the workspace (schema, comments, value hints, the question, the SQL around
  the cursor) never carries a chat-template token: ``<|im_end|>`` in a ``COMMENT ON`` is
  written ``<im_end>`` (:func:`neutralize`), so it cannot end a turn or open a new one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

PROMPT_FORMAT = "qw-1"

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
STATEMENT_END = ";"

# Where generation stops. The stop string itself is not part of the returned text.
STOP_SEQUENCES: tuple[str, ...] = (STATEMENT_END, IM_END, IM_START, "```", "\n\n\n")

DEFAULT_TASK = "Complete the SQL statement."

# Chat-template control tokens of the ChatML family and their kin: ``<|im_start|>``,
# ``<|im_end|>``, ``<|endoftext|>``, ``<|system|>``, ``<|eot_id|>``, ``<|fim_prefix|>``...
_CONTROL_TOKEN = re.compile(r"<\|([A-Za-z0-9_]{1,40})\|>")


def neutralize(text: str) -> str:
    """``text`` with every chat-template token defused (``<|im_end|>`` -> ``<im_end>``):
    what the workspace says reaches the model as text, never as a turn boundary."""
    return _CONTROL_TOKEN.sub(r"<\1>", text) if "<|" in text else text

_DIALECT_NAMES = {
    "postgres": "PostgreSQL",
    "mysql": "MySQL",
    "sqlite": "SQLite",
    "tsql": "SQL Server (T-SQL)",
    "bigquery": "BigQuery",
    "snowflake": "Snowflake",
    "duckdb": "DuckDB",
    "oracle": "Oracle",
    "redshift": "Redshift",
    "spark": "Spark SQL",
    "databricks": "Databricks SQL",
    "trino": "Trino",
    "presto": "Presto",
    "clickhouse": "ClickHouse",
    "hive": "Hive",
    "mariadb": "MariaDB",
}


def dialect_label(dialect: str) -> str:
    """The human name of a sqlglot dialect (``postgres`` -> ``PostgreSQL``)."""
    key = (dialect or "").strip().lower()
    return _DIALECT_NAMES.get(key, dialect.strip() or "standard")


def system_text(schema_ddl: str, dialect: str) -> str:
    """The system turn's content: instruction, dialect, schema (stable per workspace)."""
    head = (
        f"You write {dialect_label(dialect)} SQL for this database. "
        "Use only its tables and columns.\n"
        "Answer with one SQL statement and nothing else."
    )
    schema = neutralize(schema_ddl.strip())
    return f"{head}\n{schema}" if schema else head


def user_text(question: str | None, suffix: str = "", hints: Sequence[str] = ()) -> str:
    """The user turn's content: the question, else the completion task; then the value
    hints (``-- 'Comedy' is a value of category.name``, from ``grounding``), one per line;
    plus the text that follows the cursor when there is any."""
    task = neutralize(" ".join((question or "").split())) or DEFAULT_TASK
    for hint in hints:
        line = neutralize(" ".join(str(hint).split()))
        if line:
            task += f"\n{line}"
    rest = neutralize(suffix.strip())
    if rest:
        task += f"\nThe statement must end with: {rest}"
    return task


def build_prompt(
    schema_ddl: str,
    dialect: str,
    question: str | None,
    prefix: str = "",
    suffix: str = "",
    hints: Sequence[str] = (),
) -> str:
    """The full prompt; the model's output continues ``prefix`` (the SQL left of the
    cursor, possibly empty). ``schema_ddl`` is the schema slice (see ``schema_slice``);
    ``hints`` are value-grounding lines for the user turn (none: the prompt is exactly
    the one of a record without hints)."""
    return (
        f"{IM_START}system\n{system_text(schema_ddl, dialect)}{IM_END}\n"
        f"{IM_START}user\n{user_text(question, suffix, hints)}{IM_END}\n"
        f"{IM_START}assistant\n{neutralize(prefix.lstrip())}"
    )


_STARTS = (
    (("delete", "remove"), "DELETE FROM"),
    (("update", "set", "change", "rename", "mark"), "UPDATE"),
    (("insert", "add", "create a", "record a"), "INSERT INTO"),
)


def statement_start(question: str | None) -> str:
    """The first keyword(s) of the statement a question asks for (``SELECT`` unless it
    starts with a write verb). Used as the assistant prefix when no grammar forces SQL:
    an instruction model that has not been fine-tuned answers in prose otherwise."""
    text = " ".join((question or "").lower().split())
    for verbs, keyword in _STARTS:
        if any(text.startswith(verb + " ") for verb in verbs):
            return keyword
    return "SELECT"


def prompt_prefix(schema_ddl: str, dialect: str) -> str:
    """The part of every prompt of a workspace that does not change while typing (what a
    warm-up request should evaluate to fill an engine's prefix cache)."""
    return f"{IM_START}system\n{system_text(schema_ddl, dialect)}{IM_END}\n"


def clean_sql(sql: str) -> str:
    """A gold statement as the model should write it: trimmed, one trailing ``;`` removed."""
    text = sql.strip()
    while text.endswith(STATEMENT_END):
        text = text[:-1].rstrip()
    return text


def format_training_example(record: Mapping[str, object]) -> tuple[str, str]:
    """(prompt, completion) for a training record (``schemas/training-record.schema.json``;
    keys ``schema``, ``dialect``, ``question``, ``sql``, optional ``hints``). Train with the loss on the
    completion only; it ends with ``;<|im_end|>`` so the model learns to stop."""
    try:
        schema = str(record["schema"])
        dialect = str(record["dialect"])
        question = str(record["question"])
        sql = str(record["sql"])
    except KeyError as exc:
        raise ValueError(f"training record lacks key {exc.args[0]!r}") from None
    raw_hints = record.get("hints") or ()
    hints = [str(h) for h in raw_hints] if isinstance(raw_hints, (list, tuple)) else []
    prompt = build_prompt(schema, dialect, question, hints=hints)
    return prompt, f"{clean_sql(sql)}{STATEMENT_END}{IM_END}"


def ollama_template() -> str:
    """The Modelfile ``TEMPLATE`` that reproduces this format for Ollama clients that do
    not send a raw prompt (``ollama run``): ``.System`` is the system turn's content
    (:func:`system_text`), ``.Prompt`` the user turn's (:func:`user_text`). querywright
    itself sends the whole prompt in raw mode, so both paths give the model one format."""
    return (
        "{{ if .System }}" + IM_START + "system\n{{ .System }}" + IM_END + "\n{{ end }}"
        + IM_START + "user\n{{ .Prompt }}" + IM_END + "\n"
        + IM_START + "assistant\n"
    )  # fmt: skip


def modelfile_parameters(temperature: float = 0.0) -> list[tuple[str, str]]:
    """``PARAMETER`` lines for a Modelfile: the stop sequences and the temperature."""
    params = [("stop", stop) for stop in (STATEMENT_END, IM_END, IM_START)]
    params.append(("temperature", f"{temperature:g}"))
    return params
