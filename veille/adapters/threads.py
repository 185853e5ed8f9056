"""Process-wide thread settings (threadpoolctl), set by the jobs around numeric work, never by ``veille.core``.

    with one_blas_thread():
        clustering.cluster_themes(...)

One BLAS thread: on a shared 2-core machine, oversubscribed OpenBLAS threads run the theme clustering's
small matrix products 2-3x slower. The setting is process-wide while the block runs, which is why it is
the job's decision and not a pure function's.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_blas_thread() -> threadpool_limits:
    """A context manager limiting the BLAS thread pools to one thread while it is open."""
    return threadpool_limits(limits=1)
