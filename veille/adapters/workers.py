"""Worker processes for CPU-bound steps (``concurrent.futures``), safe for a job run from cron.

A job hands a picklable function to ``CorePool.run``; with one core, few tasks or a dead worker it runs
in the calling process instead (logged, nothing lost). Workers:

- never hold the caller's stdout/stderr: their fds 0, 1 and 2 point at /dev/null, so whoever reads
  the job's output (cron mail, a test, a pipe) sees its end when the job ends, even if it was killed;
- end with the job: a thread in each worker waits for the job's process to end (a pidfd on Linux,
  polling elsewhere), so a killed job leaves no idle process behind;
- ignore Ctrl-C, which the job itself handles (one message, no traceback per worker).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def _detach(job_pid: int) -> None:
    """Run first in every worker (see the module's docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    threading.Thread(target=_exit_with, args=(job_pid,), name="exit-with-job", daemon=True).start()


def _exit_with(job_pid: int) -> None:
    """Wait for the job process to end, then end this worker. The worker's parent is the fork server,
    which outlives the job while any worker holds its "alive" pipe, so the job itself is watched."""
    try:
        handle = os.pidfd_open(job_pid)  # Linux ≥ 5.3: readable when the process ends
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        select.select([handle], [], [])
    else:
        while _alive(job_pid):
            time.sleep(0.5)
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a pid reused by another user's process
        return False
    return True


class CorePool:
    """``run`` a function on every core while the caller's event loop goes on; a context manager."""

    def __init__(self, tasks: int, *, min_tasks: int) -> None:
        cores = os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        if tasks >= min_tasks and cores > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=min(cores, tasks),
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_detach,
                initargs=(os.getpid(),),
            )

    async def run(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        pool = self._pool
        if pool is not None:
            try:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(pool, _call, function, args, kwargs)
            except BrokenProcessPool:
                # every task awaiting the pool gets here: the first one says it and lets the pool go
                if self._pool is pool:
                    log.warning("a worker process died; the remaining work runs in this process")
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
        return function(*args, **kwargs)

    def __enter__(self) -> CorePool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _call(function: Callable[..., R], args: tuple[object, ...], kwargs: dict[str, object]) -> R:
    return function(*args, **kwargs)
