"""Process-wide thread settings of the numerical libraries (threadpoolctl), kept out of ``veille.core``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def one_thread() -> Iterator[None]:
    """BLAS and OpenMP limited to one thread inside the block: the format tagger's fits are tiny, and on
    a busy machine threads fight (10x slower)."""
    with threadpool_limits(limits=1):
        yield
