"""The one place that wires adapters together. Tests pass fakes through ``make_app(settings, **overrides)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from veille.adapters.storage import open_storage
from veille.adapters.store import FeedStore, Store
from veille.models import Settings

if TYPE_CHECKING:
    from veille.adapters.embed import Embedder


def _default_embedder(settings: Settings) -> Embedder:
    from veille.adapters.embed import make_embedder

    return make_embedder(
        settings.model.name,
        backend=settings.model.backend,
        batch_size=settings.model.batch_size,
        device=settings.model.device,
        cache_dir=settings.data_dir / "models",
    )


@dataclass
class App:
    """Settings, the clock, and lazily opened adapters (the database, the embedding model)."""

    settings: Settings
    now: datetime
    embedder_factory: Callable[[Settings], Embedder] = _default_embedder
    _store: Store | None = field(default=None, repr=False)
    _embedder: Embedder | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_storage(self.settings)
        return self._store

    @property
    def feeds(self) -> FeedStore:
        return self.store.feeds

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use only (fetch and stats never import torch)."""
        if self._embedder is None:
            self._embedder = self.embedder_factory(self.settings)
        return self._embedder

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def make_app(
    settings: Settings,
    *,
    now: datetime | None = None,
    embedder_factory: Callable[[Settings], Embedder] | None = None,
) -> App:
    app = App(settings=settings, now=(now or datetime.now(UTC)).astimezone(UTC))
    if embedder_factory is not None:
        app.embedder_factory = embedder_factory
    return app
