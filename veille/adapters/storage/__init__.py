"""The storage seam: ``open_storage(settings)`` opens the configured database behind one interface
(``storage.base.Storage``): the SQLite file under the data folder, or PostgreSQL when feeds.yaml sets
``storage.url``."""

from __future__ import annotations

from veille.adapters.storage.base import DatabaseUnavailable, Storage
from veille.adapters.store import Store
from veille.models import Settings

__all__ = ["DatabaseUnavailable", "Storage", "Store", "open_storage"]


def open_storage(settings: Settings) -> Store:
    """The configured database, open and migrated to this veille's schema."""
    storage = settings.storage
    if storage.url is None:
        from veille.adapters.storage.sqlite import SqliteStore

        return SqliteStore.open(settings.database, timeout=storage.timeout)
    from veille.adapters.storage.postgres import PostgresStore

    return PostgresStore.open(storage.url, password=storage.password, timeout=storage.timeout)
