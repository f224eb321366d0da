"""Read a live database's schema read-only through SQLAlchemy's inspector.

Works for any SQLAlchemy URL whose driver is installed (SQLite built in; PostgreSQL with
the ``postgres`` extra). Only catalog queries run. ``readonly_engine`` is the one way the
product opens a live database: SQLite files through a ``mode=ro`` URI, PostgreSQL sessions
with ``default_transaction_read_only`` and a ``statement_timeout``; a URL of any other
database is refused, since its sessions could not be made read-only here.
Locations point at the database (``path`` = the URL without password, ``line`` = 1).
"""

from __future__ import annotations

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from ..config import database_password
from ..errors import CatalogError
from ..redact import mask_text, mask_url
from .catalog import Catalog, Column, ForeignKey, Table
from .issues import Location

# Python modules of database drivers and the extra (or package) that provides each.
DRIVER_EXTRAS = {"psycopg": "postgres", "psycopg2": "postgres", "pg8000": "postgres", "asyncpg": "postgres"}


def missing_driver_message(url: str, module: str) -> str:
    """One line telling which driver ``url`` needs and how to install it."""
    extra = DRIVER_EXTRAS.get(module.split(".")[0])
    hint = f"pip install 'querywright[{extra}]'" if extra == "postgres" and module.startswith("psycopg") else (
        f"pip install {module.split('.')[0]}" + (" (or use postgresql+psycopg:// with pip install 'querywright[postgres]')" if extra else ""))
    return f"database_url {mask_url(url)!r} needs the Python module {module!r}, which is not installed: {hint}"


_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "sys", "mysql", "performance_schema"}


STATEMENT_TIMEOUT_MS = 5000
READ_ONLY_BACKENDS = ("postgresql", "sqlite")


def _engine_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return f"sqlite:///file:{parsed.database}?mode=ro&uri=true"
    return url


def readonly_engine(url: str, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS) -> Engine:
    """An engine on ``url`` whose sessions cannot write and whose statements are bounded.

    PostgreSQL: every session starts with ``default_transaction_read_only=on`` and
    ``statement_timeout`` (libpq options, so they hold before the first statement), and each
    transaction is begun ``READ ONLY`` as well. SQLite: the file is opened ``mode=ro``.
    Raises ``ValueError`` for any other database, and what ``create_engine`` raises (a
    missing driver, a malformed URL).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in READ_ONLY_BACKENDS:
        raise ValueError(f"only PostgreSQL and SQLite databases are opened (read-only), not {backend}: "
                         "point schema_paths at its DDL instead")
    password = database_password()
    if password and parsed.username and parsed.password is None:  # from the editor's SecretStorage, via the environment
        parsed = parsed.set(password=password)
    if backend == "postgresql":
        options = f"-c default_transaction_read_only=on -c statement_timeout={int(statement_timeout_ms)}"
        connect_args = {"options": options} if parsed.get_driver_name() in ("psycopg", "psycopg2", "psycopg2cffi") else {}
        engine = create_engine(parsed, connect_args=connect_args)

        @event.listens_for(engine, "begin")
        def _read_only(conn) -> None:  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            if not connect_args:
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}")

        return engine
    return create_engine(_engine_url(url) if backend == "sqlite" else parsed)


def introspect(url: str, dialect: str) -> Catalog:
    """Build a catalog from a database; raises ``CatalogError`` with a clear message."""
    try:
        safe = mask_url(make_url(url).render_as_string(hide_password=True))
        engine = readonly_engine(url)
    except ModuleNotFoundError as exc:
        raise CatalogError(missing_driver_message(url, exc.name or "?")) from exc
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise CatalogError(mask_text(f"database_url {mask_url(url)!r} is not usable: {exc}")) from exc
    catalog = Catalog(dialect=dialect)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            default = inspector.default_schema_name
            schemas = [s for s in inspector.get_schema_names() if s not in _SYSTEM_SCHEMAS and not s.startswith("pg_")]
            for schema in schemas or [None]:
                qualify = schema not in (None, default)
                names = [(n, "table") for n in inspector.get_table_names(schema=schema)]
                names += [(n, "view") for n in inspector.get_view_names(schema=schema)]
                for name, kind in names:
                    table = _table(inspector, name, schema if qualify else None, schema, kind, safe, catalog)
                    catalog.add(catalog.table_key(name, table.schema, quoted=True, schema_quoted=True), table)
    except SQLAlchemyError as exc:
        raise CatalogError(mask_text(f"cannot read the schema of {safe}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")) from exc
    finally:
        engine.dispose()
    return catalog


def _table(inspector, name: str, display_schema: str | None, schema: str | None, kind: str, where: str, catalog: Catalog) -> Table:  # type: ignore[no-untyped-def]
    loc = Location(where, 1)
    pk = inspector.get_pk_constraint(name, schema=schema) or {}
    pk_cols = tuple(pk.get("constrained_columns") or ())
    table = Table(name=name, schema=display_schema, kind=kind, location=loc)
    for col in inspector.get_columns(name, schema=schema):
        key = catalog.key(col["name"], quoted=True)
        table.columns[key] = Column(
            name=col["name"],
            type=str(col["type"]),
            nullable=bool(col.get("nullable", True)),
            default=None if col.get("default") is None else str(col.get("default")),
            primary_key=col["name"] in pk_cols,
            comment=col.get("comment"),
            location=loc,
        )
    table.primary_key = tuple(catalog.key(c, quoted=True) for c in pk_cols)
    if kind == "table":
        for fk in inspector.get_foreign_keys(name, schema=schema):
            ref_schema = fk.get("referred_schema")
            ref_schema = None if ref_schema in (None, inspector.default_schema_name) else ref_schema
            table.foreign_keys.append(
                ForeignKey(
                    tuple(catalog.key(c, quoted=True) for c in fk["constrained_columns"]),
                    catalog.table_key(fk["referred_table"], ref_schema, quoted=True, schema_quoted=True),
                    tuple(catalog.key(c, quoted=True) for c in fk["referred_columns"]),
                    loc,
                )
            )
    try:
        comment = inspector.get_table_comment(name, schema=schema)
        table.comment = comment.get("text") if comment else None
    except NotImplementedError:
        pass
    return table
