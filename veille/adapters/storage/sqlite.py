"""SQLite implementation of the storage interface: one database file, WAL mode, foreign keys on,
migrations on ``PRAGMA user_version`` (``adapters.schema``).

The connection waits up to ``storage.timeout`` seconds for another process's write lock, then gives up
with one ``DatabaseUnavailable`` line naming the file; the write batch it was in is rolled back.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from pathlib import Path

from veille.adapters.schema import MIGRATIONS
from veille.adapters.storage.base import DatabaseUnavailable, Params, Row, TranslatedCursor
from veille.adapters.store import Store, _statements, unwritable_data_dir
from veille.errors import StorageError

DEFAULT_TIMEOUT = 30.0  # seconds to wait for another process's write lock
MAX_READERS = 4  # read-only connections reading side by side (``SqliteStore.read_parts``), one core each


def translate(exc: sqlite3.Error, location: str, timeout: float) -> StorageError:
    """The VeilleError for a driver error: busy beyond the timeout is ``DatabaseUnavailable``."""
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return DatabaseUnavailable(
            f"database {location} is busy: another process has held its write lock for more than {timeout:g} s "
            f"({text}); nothing was written, run again once it is done"
        )
    return StorageError(f"database {location}: {text}")


class SqliteConnection:
    """``sqlite3.Connection`` with its errors translated (see ``storage.base.Connection``)."""

    backend = "sqlite"

    def __init__(self, raw: sqlite3.Connection, location: str, timeout: float) -> None:
        self.raw = raw
        self.location = location
        self.timeout = timeout

    def error(self, exc: sqlite3.Error) -> StorageError:
        return translate(exc, self.location, self.timeout)

    def _cursor(self, cursor: sqlite3.Cursor) -> TranslatedCursor:
        return TranslatedCursor(cursor, sqlite3.Error, self.error, cursor.lastrowid)

    def execute(self, sql: str, params: Params = ()) -> TranslatedCursor:
        try:
            return self._cursor(self.raw.execute(sql, params))
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Params]) -> TranslatedCursor:
        try:
            return self._cursor(self.raw.executemany(sql, rows))
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[SqliteConnection]:
        """One atomic write batch (BEGIN IMMEDIATE … COMMIT, rolled back on any error)."""
        self.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.raw.in_transaction:
                with suppress(sqlite3.Error):  # the connection is gone: SQLite drops the uncommitted batch
                    self.raw.execute("ROLLBACK")
            raise
        else:
            self.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()


class SqliteStore(Store):
    """The veille database in one SQLite file (``storage.path``/veille.db)."""

    backend = "sqlite"

    def __init__(self, conn: SqliteConnection, path: Path) -> None:
        super().__init__(conn, str(path))
        self.path: Path = path
        self.sqlite = conn
        self._readers: list[SqliteConnection] = []  # opened on the first read in parts, kept until close
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def open(cls, path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> SqliteStore:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise unwritable_data_dir(path.parent, exc) from None
        try:
            raw = sqlite3.connect(path, timeout=timeout, isolation_level=None)
            raw.row_factory = sqlite3.Row
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        conn = SqliteConnection(raw, str(path), timeout)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(conn, path)
            store.migrate()
        except DatabaseUnavailable:
            raw.close()
            raise
        except (StorageError, OSError) as exc:
            raw.close()
            if not os.access(path.parent, os.W_OK):
                raise unwritable_data_dir(path.parent, PermissionError(13, os.strerror(13))) from exc
            if isinstance(exc, StorageError) and str(exc).startswith(f"database {path}"):
                raise StorageError(f"cannot open {exc}") from exc
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        return store

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
            # a migration may rebuild a table (SQLite's 12-step procedure): foreign keys are off during
            # it (a no-op inside a transaction, so set before) and checked before it commits
            self.conn.execute("PRAGMA foreign_keys = OFF")
            try:
                with self.transaction():
                    for statement in _statements(sql):
                        self.conn.execute(statement)
                    broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StorageError(
                            f"database {self.path}: migration {number} would break {len(broken)} references "
                            f"(first in table {broken[0][0]})"
                        )
                    self.conn.execute(f"PRAGMA user_version = {number}")
            finally:
                self.conn.execute("PRAGMA foreign_keys = ON")

    @property
    def read_width(self) -> int:
        """The cores this process may use (a container's share, not the host's), at most ``MAX_READERS``."""
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return max(1, min(cores or 1, MAX_READERS))

    def read_parts(self, sql: str, param_sets: Sequence[Params]) -> list[list[Row]]:
        """``sql`` read once per parameter set, side by side: each part on its own read-only connection in
        its own thread (the sqlite3 module lets go of the GIL while SQLite works), so one query split into
        rowid ranges runs on several cores (two threads take 0.65-0.83 of one read's time for a broad
        search, not 0.5: bench/search.py). Inside a write batch the batch's own connection reads them all, one
        after the other: the other connections would not see what it has not committed yet."""
        workers = min(len(param_sets), self.read_width)
        if workers <= 1 or self.sqlite.raw.in_transaction:
            return super().read_parts(sql, param_sets)
        while len(self._readers) < workers:
            self._readers.append(self._reader())
        if self._pool is None:
            self._pool = ThreadPoolExecutor(MAX_READERS, thread_name_prefix="veille-read")

        def read(reader: SqliteConnection, sets: Sequence[Params]) -> list[list[Row]]:
            return [list(reader.execute(sql, params).fetchall()) for params in sets]

        # each connection reads its share of the sets in turn: one thread at a time on a connection
        shares = [self._pool.submit(read, self._readers[w], param_sets[w::workers]) for w in range(workers)]
        wait(shares)  # every connection is free again before an error is raised
        results: list[list[Row]] = [[] for _ in param_sets]
        for w, share in enumerate(shares):
            results[w::workers] = share.result()
        return results

    def _reader(self) -> SqliteConnection:
        """One more read-only connection to the database file, usable from any thread."""
        try:
            location = f"{self.path.resolve().as_uri()}?mode=ro"
            raw = sqlite3.connect(
                location, uri=True, timeout=self.sqlite.timeout, isolation_level=None, check_same_thread=False
            )
            raw.row_factory = sqlite3.Row
        except (sqlite3.Error, OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop
            raise StorageError(f"cannot open database {self.path} to read it: {exc}") from exc
        return SqliteConnection(raw, str(self.path), self.sqlite.timeout)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        self.sqlite.close()
