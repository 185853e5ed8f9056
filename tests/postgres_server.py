"""A real PostgreSQL server for the test session: a temporary cluster (initdb + pg_ctl) on a free loopback
port, stopped and deleted at the end of the session.

The server binaries are found with ``pg_config --bindir``, else under ``/usr/lib/postgresql/<version>/bin``
(Debian's ``postgresql`` package; ``.ci/run`` installs it when missing). PostgreSQL refuses to run as
root: when the tests run as root, the cluster belongs to the ``postgres`` system user (else ``nobody``)
and its commands run through ``runuser``; the tests connect over TCP with trust authentication, so the
files never need to be readable by root's tests. Locally, a missing server skips the PostgreSQL tests
with the reason; under CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

USER = "veille"  # the cluster's superuser, the one the tests connect as


def server_bindir() -> Path | None:
    """Where initdb and pg_ctl are, or None."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def _server_user() -> str | None:
    """The user to run the server as when the tests run as root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A running temporary cluster; ``database()`` creates a fresh empty database and returns its URL."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.user = _server_user()
        self.folder = Path(tempfile.mkdtemp(prefix="veille-pg-"))
        self.port = _free_port()
        self._names = itertools.count(1)
        if self.user is not None:
            os.chown(self.folder, pwd.getpwnam(self.user).pw_uid, -1)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.folder, timeout=120)

    def start(self) -> None:
        data = self.folder / "data"
        init = self._run("initdb", "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C")
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        log_file = self.folder / "server.log"
        started = self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(log_file), "-w", "start")
        if started.returncode != 0:
            log = log_file.read_text(errors="replace") if log_file.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {log[-500:]}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        name = f"veille_test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    from tests.conftest import need_real_part  # (conftest imports this module)

    bindir = server_bindir()
    need_real_part(bindir is not None, "the PostgreSQL server (initdb, pg_ctl: apt-get install postgresql)")
    assert bindir is not None
    server = PostgresServer(bindir)
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        server.stop()
        need_real_part(False, f"a PostgreSQL test server ({exc})")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database on the session's server."""
    return postgres_server.database()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str | None:
    """Each storage backend in turn: None (the SQLite file under .veille), or a fresh PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.database()


StorageYaml = Callable[[str | None], str]


def storage_yaml(url: str | None, timeout: float | None = None) -> str:
    """The ``storage:`` section of feeds.yaml for a backend."""
    lines = []
    if url is not None:
        lines.append(f"  url: {url}")
    if timeout is not None:
        lines.append(f"  timeout: {timeout:g}")
    return "storage:\n" + "\n".join(lines) + "\n" if lines else ""
