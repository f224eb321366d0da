"""The catalog of every PostgreSQL and SQLite corpus file agrees with the database itself.

Each PostgreSQL file is loaded with the real ``psql`` into a fresh database of the test
server, each SQLite file into sqlite3; the product's catalog of the same file must list
the same tables and views (schema-qualified outside ``public``), the same columns in the
same order, the same coarse type family per table column (of the type as declared: a
domain, enum or array column is ``other``) and the same foreign keys; materialized views
count as views. View columns are compared by name.
The helpers here are shared by the other corpus tests.
"""

from __future__ import annotations

import glob
import re
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from querywright.server.config import load_config
from querywright.server.sql.catalog import Catalog
from querywright.server.sql.workspace import load_catalog
from sqlalchemy import create_engine, make_url, text

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"

_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "integer",
        (
            "int",
            "integer",
            "int2",
            "int4",
            "int8",
            "smallint",
            "bigint",
            "tinyint",
            "mediumint",
            "serial",
            "bigserial",
            "smallserial",
            "serial4",
            "serial8",
        ),
    ),
    (
        "numeric",
        (
            "numeric",
            "decimal",
            "dec",
            "real",
            "float",
            "float4",
            "float8",
            "double",
            "money",
            "number",
        ),
    ),
    ("boolean", ("bool", "boolean", "bit")),
    (
        "date-time",
        (
            "date",
            "time",
            "timestamp",
            "timestamptz",
            "timetz",
            "datetime",
            "datetime2",
            "smalldatetime",
            "interval",
        ),
    ),
    (
        "text",
        (
            "char",
            "character",
            "varchar",
            "nchar",
            "nvarchar",
            "varchar2",
            "nvarchar2",
            "text",
            "bpchar",
            "clob",
            "string",
            "tinytext",
            "mediumtext",
            "longtext",
        ),
    ),
    (
        "binary",
        ("bytea", "blob", "binary", "varbinary", "image", "longblob", "mediumblob", "tinyblob"),
    ),
)
_FAMILY_OF = {word: family for family, words in _FAMILIES for word in words}


def type_family(declared: str | None) -> str:
    """Coarse family of a declared type: the first word decides (``character varying`` is
    text, ``timestamp with time zone`` date-time); arrays and user types are ``other``."""
    text = (declared or "").strip().lower()
    if not text or text.endswith("]") or text.startswith("array"):
        return "other"
    first = re.split(r"[\s(]", text, maxsplit=1)[0].strip('"[]`')
    if first == "double":
        return "numeric"
    return _FAMILY_OF.get(first, "other")


def build_catalog(tmp_path: Path, name: str, dialect: str) -> Catalog:
    """The product's catalog of one corpus file, read as a workspace with that file as schema."""
    root = tmp_path / "ws"
    (root / "schema").mkdir(parents=True)
    shutil.copy(CORPUS / name, root / "schema" / name)
    (root / "querywright.toml").write_text(
        f'dialect = "{dialect}"\nschema_paths = ["schema/*.sql"]\n'
    )
    config, problems = load_config(root)
    assert not problems, problems
    return load_catalog(root, config).catalog


def strip_public(key: str) -> str:
    return key.removeprefix("public.")


def describe_catalog(catalog: Catalog, fold: bool = False, types: bool = True) -> dict[str, object]:
    """``{"tables": {name: [kind, [(column, family)...]]}, "fks": sorted [...]}`` of our catalog."""
    tables: dict[str, object] = {}
    fks: list[tuple[str, tuple[str, ...], str, tuple[str, ...]]] = []
    for key, table in catalog.tables.items():
        name = strip_public(key)
        name = name.lower() if fold else name
        cols = [
            (
                k.lower() if fold else k,
                type_family(c.type) if types and table.kind == "table" else "",
            )
            for k, c in table.columns.items()
        ]
        tables[name] = (table.kind, cols)
        for fk in table.foreign_keys:
            ref = catalog.tables.get(fk.ref_table)
            ref_cols = fk.ref_columns or (ref.primary_key if ref is not None else ())
            low = (lambda xs: tuple(x.lower() for x in xs)) if fold else tuple
            ref_name = strip_public(fk.ref_table)
            fks.append(
                (name, low(fk.columns), ref_name.lower() if fold else ref_name, low(ref_cols))
            )
    return {"tables": tables, "fks": sorted(fks)}


def diff(ours: dict[str, object], oracle: dict[str, object]) -> str:
    """A compact, readable difference: missing/extra tables, then per-table column diffs, then FKs."""
    lines: list[str] = []
    o_tables, e_tables = ours["tables"], oracle["tables"]
    assert isinstance(o_tables, dict) and isinstance(e_tables, dict)
    missing = sorted(set(e_tables) - set(o_tables))
    extra = sorted(set(o_tables) - set(e_tables))
    if missing:
        lines.append(f"missing from our catalog ({len(missing)}): {', '.join(missing)}")
    if extra:
        lines.append(f"not in the oracle ({len(extra)}): {', '.join(extra)}")
    for name in sorted(set(o_tables) & set(e_tables)):
        if o_tables[name] != e_tables[name]:
            lines.append(f"{name}:\n    ours:   {o_tables[name]}\n    oracle: {e_tables[name]}")
    o_fks, e_fks = set(ours["fks"]), set(oracle["fks"])  # type: ignore[arg-type]
    for fk in sorted(e_fks - o_fks):
        lines.append(f"FK missing from our catalog: {fk}")
    for fk in sorted(o_fks - e_fks):
        lines.append(f"FK not in the oracle: {fk}")
    return "\n".join(lines)


# ---------------------------------------------------------------- PostgreSQL oracle
# sakila-yugabytedb.sql is not here: PostgreSQL refuses its `USING lsm` indexes (test_corpus_expected.py)
PG_FILES = ["sakila-postgres.sql", "adventureworks-postgres.sql", "sakila-cockroachdb.sql"]

_COPY_META = re.compile(r"^\\copy\b.*$", re.MULTILINE | re.IGNORECASE)
_INSERT = re.compile(r"^INSERT INTO\b.*?;\s*$", re.MULTILINE | re.DOTALL | re.IGNORECASE)


def loadable(name: str, sql: str) -> str:
    """What is fed to psql: the DDL as written, minus its data (``\\copy`` of CSV files that
    are not in the corpus, and the ``INSERT`` rows that reference them). Line numbers are kept."""
    blank = lambda m: "\n" * m.group(0).count("\n")
    sql = _INSERT.sub(blank, _COPY_META.sub(blank, sql))
    return sql


def _psql() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql")) or [shutil.which("psql") or ""]
    assert found[-1], "psql is needed to load the PostgreSQL corpus (Debian's postgresql-client)"
    return found[-1]


def load_into_postgres(postgres_url: str, name: str) -> str:
    """A fresh database holding ``name``'s DDL, loaded by psql; returns its URL."""
    url = make_url(postgres_url)
    db = f"corpus_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {db}"))
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = 'root'")).scalar():
            conn.execute(text("CREATE ROLE root"))  # the CockroachDB dump gives its objects to root
    admin.dispose()
    sql = loadable(name, (CORPUS / name).read_text(encoding="utf-8"))
    cmd = [
        _psql(),
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        "-d",
        db,
        "-f",
        "-",
    ]
    done = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"PostgreSQL refused {name}: {done.stderr[-2000:]}"
    return str(url.set(database=db))


def describe_postgres(db_url: str) -> dict[str, object]:
    engine = create_engine(db_url)
    tables: dict[str, object] = {}
    with engine.connect() as conn:
        rels = conn.execute(
            text(
                "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
        ).all()
        cols = conn.execute(
            text(
                "SELECT table_schema, table_name, column_name, data_type, udt_name, domain_name FROM information_schema.columns "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_schema, table_name, ordinal_position"
            )
        ).all()
        fk_rows = conn.execute(
            text(
                "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, "
                "ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i), "
                "ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) "
                "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            )
        ).all()
        matviews = conn.execute(
            text(
                "SELECT n.nspname, c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                "WHERE c.relkind = 'm' ORDER BY n.nspname, c.relname, a.attnum"
            )
        ).all()
    engine.dispose()
    rels = [*rels, *{(s, t, "VIEW") for s, t, _ in matviews}]
    cols = [*cols, *((s, t, a, "", "", None) for s, t, a in matviews)]
    kinds = {(s, t): ("view" if ty == "VIEW" else "table") for s, t, ty in rels}
    by_rel: dict[tuple[str, str], list[tuple[str, str]]] = {rel: [] for rel in kinds}
    for schema, table, column, data_type, udt, domain in cols:
        if (schema, table) not in kinds:
            continue
        if kinds[(schema, table)] == "view":
            family = ""
        elif domain or data_type in ("USER-DEFINED", "ARRAY"):
            family = "other"
        else:
            family = type_family(data_type)
        by_rel[(schema, table)].append((column, family))
    for (schema, table), columns in by_rel.items():
        tables[table if schema == "public" else f"{schema}.{table}"] = (
            kinds[(schema, table)],
            columns,
        )
    unq = lambda r: r.replace('"', "")
    fks = sorted(
        (strip_public(unq(a)), tuple(ac), strip_public(unq(b)), tuple(bc))
        for a, b, ac, bc in fk_rows
    )
    return {"tables": tables, "fks": fks}


@pytest.mark.parametrize("name", PG_FILES)
def test_postgres_corpus_matches_postgres(name: str, postgres_url: str, tmp_path: Path) -> None:
    oracle = describe_postgres(load_into_postgres(postgres_url, name))
    ours = describe_catalog(build_catalog(tmp_path, name, "postgres"))
    problems = diff(ours, oracle)
    assert not problems, f"{name}: our catalog differs from PostgreSQL:\n{problems}"


# ---------------------------------------------------------------- SQLite oracle
def describe_sqlite(name: str) -> dict[str, object]:
    conn = sqlite3.connect(":memory:")
    conn.executescript((CORPUS / name).read_text(encoding="utf-8"))
    tables: dict[str, object] = {}
    fks: list[tuple[str, tuple[str, ...], str, tuple[str, ...]]] = []
    rels = conn.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    for rel, kind in rels:
        info = conn.execute(f'PRAGMA table_info("{rel}")').fetchall()
        tables[rel.lower()] = (
            kind,
            [(c[1].lower(), type_family(c[2]) if kind == "table" else "") for c in info],
        )
        groups: dict[int, list[tuple[str, str | None, str]]] = {}
        for row in conn.execute(f'PRAGMA foreign_key_list("{rel}")').fetchall():
            groups.setdefault(row[0], []).append((row[3], row[4], row[2]))
        for parts in groups.values():
            ref = parts[0][2]
            ref_cols = [p[1] for p in parts]
            if any(c is None for c in ref_cols):  # REFERENCES t: its primary key
                ref_cols = [
                    c[1]
                    for c in sorted(
                        conn.execute(f'PRAGMA table_info("{ref}")').fetchall(), key=lambda c: c[5]
                    )
                    if c[5]
                ]
            fks.append(
                (
                    rel.lower(),
                    tuple(p[0].lower() for p in parts),
                    ref.lower(),
                    tuple(str(c).lower() for c in ref_cols),
                )
            )
    conn.close()
    return {"tables": tables, "fks": sorted(fks)}


def test_sqlite_corpus_matches_sqlite(tmp_path: Path) -> None:
    name = "sakila-sqlite.sql"
    oracle = describe_sqlite(name)
    ours = describe_catalog(build_catalog(tmp_path, name, "sqlite"), fold=True)
    problems = diff(ours, oracle)
    assert not problems, f"{name}: our catalog differs from SQLite:\n{problems}"
