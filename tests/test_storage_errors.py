"""Database errors as a user meets them: another process holds the SQLite file's write lock, and every
command that writes gives one line naming the database and exits 1, writing nothing.

Real parts: `python -m veille.cli` subprocesses, a loopback feed server, a SQLite file locked by another
process holding a write transaction.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.feedserver import FeedServer
from tests.storage_support import rss

NOW = "2026-11-25T06:00:00Z"
LATER = "2026-11-25T09:00:00Z"  # past the fetch interval: the feed is due again

HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE feeds SET name = 'held'")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def veille(config: Path, *args: str, now: str = LATER) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veille.cli", "--config", str(config), "--now", now, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@contextmanager
def write_lock(database: Path) -> Iterator[None]:
    """Another process holding a write transaction on the database until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.communicate("", timeout=30)


def table_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as conn:
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("feeds", "feed_events", "items", "sightings", "embeddings", "stories")
        }


def test_a_locked_database_is_one_line_exit_1_and_nothing_half_written(tmp_path: Path) -> None:
    with FeedServer({}) as server:
        server.register("/a.xml", rss("a", 3))
        server.register("/b.xml", rss("b", 2))
        config = tmp_path / "feeds.yaml"
        config.write_text(
            f"feeds:\n  - url: {server.url('/a.xml')}\n  - url: {server.url('/b.xml')}\nstorage:\n  timeout: 1\n",
            encoding="utf-8",
        )
        first = veille(config, "fetch", now=NOW)
        assert first.returncode == 0, first.stderr
        database = tmp_path / ".veille" / "veille.db"
        before = table_counts(database)
        assert before["items"] == 5
        server.register("/a.xml", rss("a", 4))  # one new item waiting at the source

        with write_lock(database):
            for command in (["fetch"], ["run", "--no-send"], ["process"]):
                result = veille(config, *command)
                assert result.returncode == 1, (command, result.stdout, result.stderr)
                lines = result.stderr.strip().splitlines()
                assert len(lines) == 1, (command, result.stderr)
                assert f"database {database} is busy" in lines[0], (command, lines)
                assert "Traceback" not in result.stderr and "OperationalError" not in result.stderr
                assert table_counts(database) == before, command  # nothing half written

        # once the other process is done, the same fetch goes through and brings the new item
        again = veille(config, "fetch")
        assert again.returncode == 0, again.stderr
        assert table_counts(database)["items"] == 6


def test_a_postgresql_server_that_does_not_answer_is_one_line_naming_it(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "feeds:\n  - url: https://example.org/feed.xml\n"
        f"storage:\n  url: postgresql://veille@127.0.0.1:{port}/watch\n  timeout: 2\n",
        encoding="utf-8",
    )
    for command in (["fetch"], ["run", "--no-send"], ["stats"]):
        result = veille(config, *command)
        assert result.returncode == 1, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (command, result.stderr)
        assert lines[0].startswith(f"veille: error: cannot open database postgresql://veille@127.0.0.1:{port}/watch")
        assert "Traceback" not in result.stderr
    assert not (tmp_path / ".veille" / "veille.db").exists()  # no SQLite file made up instead
