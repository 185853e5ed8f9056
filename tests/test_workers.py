"""Worker processes: a worker that dies costs nothing but time (``adapters.workers.CorePool``)."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest

from tests.conftest import need_real_part
from veille.adapters.workers import CorePool


def _square_unless_worker(n: int, job_pid: int) -> int:
    """Kills the worker process that runs it; in the job's own process it squares its argument."""
    if os.getpid() != job_pid:
        os._exit(1)
    return n * n


def test_tasks_awaiting_a_pool_whose_worker_died_all_finish_in_the_job(caplog: pytest.LogCaptureFixture) -> None:
    """Several tasks wait on the pool when a worker dies: each of them is run in the job's process
    instead, every result comes back, and the reader is told once, not once per task (it was a
    traceback: the second task found the pool already let go)."""
    need_real_part((os.cpu_count() or 1) > 1, "a second core (worker processes)")

    async def main() -> list[int]:
        with CorePool(8, min_tasks=1) as pool:
            job = os.getpid()
            return list(await asyncio.gather(*(pool.run(_square_unless_worker, n, job) for n in range(8))))

    with caplog.at_level(logging.WARNING, logger="veille.adapters.workers"):
        assert asyncio.run(main()) == [n * n for n in range(8)]
    assert [r.getMessage() for r in caplog.records] == [
        "a worker process died; the remaining work runs in this process"
    ]
