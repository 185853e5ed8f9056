"""A single-instance lock that survives crashes.

``fcntl.flock`` on ``<data dir>/run.lock``: the kernel releases it when the holder dies, even on SIGKILL,
so a stale lock from a dead process is taken over by the next run without any clean-up. The holder's pid
and start time are written in the file only to make the "already running" message useful.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from veille.errors import LockError


@contextmanager
def run_lock(path: Path, now: datetime) -> Iterator[None]:
    """Hold the lock for the duration of the block, or raise LockError at once if another run holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            error = LockError(f"another veille run is in progress ({holder}); lock file {path}")
            raise error.worded("error_locked", holder=holder, path=path) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {now.isoformat(timespec='seconds')}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
