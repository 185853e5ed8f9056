"""SQLite adapter: connection, migrations, and the ingestion queries.

One database file, WAL mode, foreign keys on, migrations on ``PRAGMA user_version`` (see ``schema.py``).
Every write batch runs in one transaction (``with store.transaction():``), so a kill at any moment leaves
a consistent database and the next run redoes only what is missing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from veille.adapters.schema import MIGRATIONS
from veille.errors import StorageError


def iso(dt: datetime | None) -> str | None:
    """A UTC datetime as the sortable text stored in the database."""
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Store:
    """A connection to the veille database. Use ``Store.open(path)``; close with ``close()``."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(conn, path)
            store.migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        current = self.version
        if current > len(MIGRATIONS):
            raise StorageError(
                f"database {self.path} has schema version {current}, newer than this veille "
                f"({len(MIGRATIONS)}): upgrade veille"
            )
        for number, sql in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction():
                for statement in _statements(sql):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write batch (BEGIN IMMEDIATE … COMMIT, rolled back on any error)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(f"database {self.path}: {exc}") from exc
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"database {self.path}: {exc}") from exc


def _statements(sql: str) -> Iterator[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if statement:
                yield statement
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise StorageError("incomplete statement in migration")
