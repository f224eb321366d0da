"""A real PostgreSQL for the tests (introspection, corpus oracles, execution accuracy).

Uses ``QW_TEST_PG_URL`` when set; otherwise starts a throw-away cluster from the local
PostgreSQL binaries (Debian's ``postgresql`` package) on 127.0.0.1 and a free port, as the
``postgres`` user when running as root. Fails with a clear message when neither exists:
the test suite never skips PostgreSQL silently.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("QW_TEST_PG_URL")
    if url:
        yield url
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.fail("PostgreSQL is needed: set QW_TEST_PG_URL or install Debian's postgresql package (scripts/test.sh does)")
    bindir = os.path.dirname(bins[-1])
    tmp = tempfile.mkdtemp(prefix="qw-pg-")
    data = os.path.join(tmp, "data")
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    port = _free_port()
    subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]), check=True, capture_output=True)
    subprocess.run(
        _as_postgres([f"{bindir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(tmp, "log"), "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
