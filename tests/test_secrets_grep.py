"""A run with known passwords: not one output of the CLI holds either of them.

The workspace's ``database_url`` points at the real PostgreSQL the tests start, with a
password in the URL (the test cluster trusts local connections, so the password is sent
and ignored); a second workspace names only the user and gets its password from
``QUERYWRIGHT_DATABASE_PASSWORD``, as the editor passes it from SecretStorage. The model
endpoints are dead addresses that carry the password too. Every command runs with ``-v``
(debug logging on stderr); its stdout, stderr and every file it wrote (datasets, summaries,
pairs, logs) are searched for the passwords.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from querywright.server.config import PASSWORD_ENV
from querywright.server.sql.introspect import readonly_engine

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "Pw-in-url-7Q2xZ"
ENV_PASSWORD = "Pw-from-env-K9mV4"
DEAD_OLLAMA = f"http://qw:{PASSWORD}@127.0.0.1:1"
DEAD_OPENAI = f"openai:http://qw:{PASSWORD}@127.0.0.1:1/v1#sqlcoder"


DATABASE = "qw_secrets_grep"
TABLES = ("CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL)",
          "CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id), status TEXT NOT NULL)",
          "INSERT INTO users VALUES (1, 'a@example.com', 'Ann'), (2, 'b@example.com', 'Bo')",
          "INSERT INTO orders VALUES (1, 1, 'pending'), (2, 1, 'shipped'), (3, 2, 'pending')")


def _live_database(postgres_url: str) -> URL:
    """A database of its own on the test cluster, with two tables and a few rows."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()
    url = make_url(postgres_url).set(database=DATABASE)
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in TABLES:
            conn.execute(text(statement))
    engine.dispose()
    return url


def _workspace(tmp_path: Path, name: str, url: str) -> Path:
    root = tmp_path / name
    shutil.copytree(REPO / "examples" / "shop", root)
    config = root / "querywright.toml"
    config.write_text(config.read_text("utf-8") + f'database_url = "{url}"\nollama_host = "{DEAD_OLLAMA}"\nmodel = "ollama:sqlcoder"\n', "utf-8")
    return root


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "querywright.cli.main", "-v", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def _files(*folders: Path) -> list[str]:
    """Every file in ``folders`` but the config files the test wrote (they hold the password)."""
    texts = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name != "querywright.toml":
                texts.append(f"== {path}\n" + path.read_bytes().decode("utf-8", "replace"))
    return texts


def test_no_output_holds_a_password(tmp_path: Path, postgres_url: str) -> None:
    live = _live_database(postgres_url)
    in_url = _workspace(tmp_path, "in_url", live.set(password=PASSWORD).render_as_string(hide_password=False))
    from_env = _workspace(tmp_path, "from_env", live.render_as_string(hide_password=False))
    out = tmp_path / "out"
    out.mkdir()
    outputs: list[str] = []
    for root in (in_url, from_env):
        env = {PASSWORD_ENV: ENV_PASSWORD, "XDG_CACHE_HOME": str(out / "cache")}
        ws = ("--workspace", str(root), "--trust-workspace")
        runs = {
            "schema": _run("schema", *ws, env=env),
            "schema --json": _run("schema", "--json", *ws, env=env),
            "check": _run("check", "--json", *ws, env=env),
            "ask ollama": _run("ask", "--json", "--samples", "1", "--timeout", "10", *ws, "how many users are there?", env=env),
            "ask openai": _run("ask", "--json", "--samples", "1", "--timeout", "10", "--model", DEAD_OPENAI, *ws,
                               "how many users are there?", env=env),
            "harvest": _run("harvest", *ws, "-o", str(out / f"{root.name}.jsonl"), env=env),
            "dataset": _run("dataset", "build", *ws, "--synthetic", "8", "--progress", "none", "-o", str(out / f"data-{root.name}"), env=env),
        }
        for name, result in runs.items():
            assert "Traceback" not in result.stderr, (name, result.stderr)
            outputs += [f"== {root.name} {name}", result.stdout, result.stderr]
        schema = json.loads(runs["schema --json"].stdout)
        assert runs["schema --json"].returncode == 0, runs["schema --json"].stderr
        assert {t["name"] for t in schema["tables"]} == {"users", "orders"}  # the live database answered
        assert runs["harvest"].returncode == 0 and runs["dataset"].returncode == 0, runs["dataset"].stderr
        assert "qw:***@127.0.0.1:1" in runs["ask openai"].stdout + runs["ask openai"].stderr  # the URL is shown, masked
    outputs += _files(out, in_url, from_env)
    joined = "\n".join(outputs)
    assert "postgres:***@" in joined  # the commands did print the database URL, masked
    assert (out / "data-in_url" / "train.jsonl").is_file()
    assert PASSWORD not in joined
    assert ENV_PASSWORD not in joined


def test_the_environment_password_fills_a_url_without_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(PASSWORD_ENV, ENV_PASSWORD)
    engine = readonly_engine("postgresql+psycopg://ro@db.internal/app")
    assert engine.url.password == ENV_PASSWORD and ENV_PASSWORD not in str(engine.url) and ENV_PASSWORD not in repr(engine)
    assert readonly_engine(f"postgresql+psycopg://ro:{PASSWORD}@db.internal/app").url.password == PASSWORD  # the URL's own wins
    monkeypatch.delenv(PASSWORD_ENV)
    assert readonly_engine("postgresql+psycopg://ro@db.internal/app").url.password is None
