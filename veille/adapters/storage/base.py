"""The storage interface: what the jobs and the CLI may ask of a database, whatever its engine.

Two implementations: ``storage.sqlite`` (one file under the data folder, the default) and
``storage.postgres`` (a PostgreSQL server shared by a team, psycopg 3). Both run the same SQL, written
once in the query modules (``adapters.store``, ``process_store``, ``digest_store``, ``site_store``,
``radar_store``) against a small ``Connection`` that each backend provides: the PostgreSQL one rewrites
SQLite's few dialect words (``?`` placeholders, ``INSERT OR IGNORE``, two-argument ``MIN``/``MAX``).
Only the schema (per-backend DDL, versioned the same way), the connection, and what several machines
sharing one database need (claiming due feeds, one digest send at a time) differ.

Every driver error is translated here, at the adapter: a database busy beyond ``storage.timeout`` or a
lost connection is a ``DatabaseUnavailable`` (one line naming the database), anything else a
``StorageError``; a write batch is one transaction, so a failure leaves nothing half written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from veille.errors import StorageError

if TYPE_CHECKING:
    from veille.adapters.digest_store import DigestRow
    from veille.adapters.process_store import ItemText, SentenceCandidate, SentenceSource, StoryRow, WindowStory
    from veille.adapters.radar_store import RadarRecords
    from veille.adapters.search_store import Match, SearchHit
    from veille.adapters.store import StoredBatch
    from veille.core.digest import BriefLine, WeekRecords
    from veille.core.fulltext import ArticleCounts, Pending
    from veille.core.query import Node
    from veille.core.site import SiteRecords
    from veille.models import FeedConfig, FeedState, FetchResult, NewItem, ParsedFeed

Params = Sequence[Any] | Mapping[str, Any]


class DatabaseUnavailable(StorageError):
    """The database is busy beyond the timeout (another process holds a write lock) or the connection to
    it is lost. Nothing of the current write batch was kept; the next run starts it again."""


class Row(Protocol):
    """A result row: by position (``row[0]``) or by column name (``row["id"]``)."""

    def __getitem__(self, key: int | str) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def lastrowid(self) -> int | None: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class TranslatedCursor:
    """A driver's cursor whose errors, row by row too, are translated by its connection (both backends)."""

    def __init__(
        self,
        cursor: Any,
        driver_error: type[Exception],
        translate: Callable[[Any], StorageError],
        lastrowid: int | None = None,
    ) -> None:
        self._cursor = cursor
        self._driver_error = driver_error
        self._translate = translate
        self.lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        try:
            return self._cursor.fetchone()
        except self._driver_error as exc:
            raise self._translate(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return list(self._cursor.fetchall())
        except self._driver_error as exc:
            raise self._translate(exc) from exc

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self._cursor
        except self._driver_error as exc:
            raise self._translate(exc) from exc


class Connection(Protocol):
    """The one thing the query modules talk to: SQL in SQLite's dialect, parameters as ``?`` or ``:name``."""

    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Params]) -> Cursor: ...

    def transaction(self) -> AbstractContextManager[Connection]: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------------------------------
# One protocol per concern; ``Storage`` gathers them.


class FeedRepository(Protocol):
    """Feeds of feeds.yaml, their fetch state and health, and the items each fetch brings."""

    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> None: ...
    def feed_states(self, *, include_gone: bool = False) -> list[FeedState]: ...
    def claim(self, states: Sequence[FeedState]) -> list[FeedState]: ...
    def recent_item_dates(self, feed_id: int, limit: int = 20) -> list[datetime]: ...
    def record_fetch(
        self,
        state: FeedState,
        result: FetchResult,
        *,
        now: datetime,
        next_fetch_at: datetime | None,
        parsed: ParsedFeed | None = None,
        items: list[NewItem] | None = None,
        error: str | None = None,
        stale: bool = False,
    ) -> StoredBatch: ...
    def health(self) -> list[dict[str, object]]: ...
    def counts(self) -> dict[str, int]: ...


class ItemRepository(Protocol):
    """Items as ``veille process`` reads them, their embeddings and their learning formats."""

    def items_to_embed(self, model: str, limit: int | None = None, *, after: int = 0) -> list[ItemText]: ...
    def count_to_embed(self, model: str) -> int: ...
    def save_embeddings(
        self, model: str, items: Sequence[ItemText], vectors: NDArray[np.float32], *, langs: Sequence[str]
    ) -> None: ...
    def count_embedded(self, model: str) -> int: ...
    def vectors(self, item_ids: Sequence[int]) -> NDArray[np.float32]: ...
    def items(self, item_ids: Sequence[int]) -> list[ItemText]: ...
    def items_to_classify(
        self, signature: str, model: str, *, after: int = 0, limit: int | None = None
    ) -> list[int]: ...
    def save_formats(
        self, signature: str, tags: Iterable[tuple[ItemText, Sequence[tuple[str, float, dict[str, object]]]]]
    ) -> None: ...
    def item_feed_ids(self, item_ids: Sequence[int]) -> dict[int, list[int]]: ...
    def latest_of_feeds(self, feed_ids: Sequence[int], model: str, limit: int) -> dict[int, list[int]]: ...
    def format_counts(self) -> dict[str, int]: ...
    def audience_counts(self) -> dict[str, int]: ...
    def has_items_before(self, moment: datetime) -> bool: ...
    def count_themes(self) -> int: ...
    def count_classified(self) -> int: ...
    def count_off_topic(self) -> int: ...
    def first_ungrouped(self, since: datetime | None = None) -> datetime | None: ...
    def ungrouped_items(self, start: datetime | None = None, end: datetime | None = None) -> list[ItemText]: ...
    def active_stories(self, since: datetime) -> list[StoryRow]: ...


class ThemeRepository(Protocol):
    """Stories, weekly themes and signals (what ``veille process`` fills after the embeddings)."""

    def language_sums(self, model: str) -> dict[str, tuple[int, NDArray[np.float64]]]: ...
    def active_stories(self, since: datetime) -> list[tuple[int, NDArray[np.float32], int, datetime, datetime]]: ...
    def story_members(self, story_ids: Sequence[int]) -> dict[int, list[tuple[str, str | None, int]]]: ...
    def item_feeds(self, item_ids: Sequence[int]) -> dict[int, int]: ...
    def add_to_story(
        self,
        story_id: int | None,
        item_ids: Sequence[int],
        centroid: NDArray[np.floating],
        first_at: datetime,
        last_at: datetime,
    ) -> int: ...
    def story_weeks(self) -> dict[str, str]: ...
    def processed_weeks(self) -> dict[str, str]: ...
    def window_stories(self, start: datetime, end: datetime) -> list[WindowStory]: ...
    def clear_week(self, week: str) -> None: ...
    def new_theme(self, week: str, label: str, centroid: NDArray[np.floating]) -> int: ...
    def mark_processed(self, week: str, signature: str, now: datetime) -> None: ...
    def week_themes(self, week: str) -> list[dict[str, Any]]: ...


class SentenceRepository(Protocol):
    """The week's central sentences chosen by ``veille process`` for the digest's opening lines."""

    def weeks_to_do(self) -> dict[str, str]: ...
    def candidates(
        self, week: str, rising_formats: Sequence[str], *, min_story_sources: int
    ) -> list[SentenceCandidate]: ...
    def cached_vectors(self, model: str, texts: Sequence[str]) -> dict[str, NDArray[np.float32]]: ...
    def save_vectors(self, model: str, week: str, vectors: dict[str, NDArray[np.float32]]) -> None: ...
    def save_week(
        self,
        week: str,
        signature: str | None,
        chosen: Iterable[tuple[str, str, int, SentenceSource, str, float, NDArray[np.float32]]],
    ) -> None: ...


class DigestRepository(Protocol):
    """Weekly digests: what a week holds, which digests were recorded, who was sent what."""

    def load_week(
        self, week: str, *, only_story_ids: Sequence[int] | None = None, configured_feeds: Iterable[str] | None = None
    ) -> WeekRecords: ...
    def get(self, week: str) -> DigestRow | None: ...
    def story_ids(self, week: str) -> list[int]: ...
    def record(self, row: DigestRow, story_ids: Iterable[int], brief: Sequence[BriefLine] = ()) -> None: ...
    def forget(self, week: str) -> None: ...
    def sent_to(self, week: str) -> list[str]: ...
    def ungrouped_items(self, week: str) -> int: ...
    def queue(self, week: str, recipients: Iterable[str]) -> None: ...
    def pending(self, week: str, recipients: Sequence[str]) -> list[str]: ...
    def mark_sent(self, week: str, recipient: str, at: datetime) -> None: ...
    def mark_failed(self, week: str, recipients: Iterable[str], error: str) -> None: ...
    def counts(self) -> tuple[int, int]: ...


class SiteReader(Protocol):
    """What the static site and the format radar read, in a handful of set queries (with SQLite and a
    ``kept`` file, only the stories whose day changed since the last build; see ``adapters.site_store``)."""

    def load_site(
        self,
        *,
        archived: frozenset[str] = frozenset(),
        radar_week: str | None = None,
        kept: Path | None = None,
        stamp: str = "",
    ) -> SiteRecords: ...
    def digest_paths(self) -> dict[str, str]: ...
    def reading(self) -> AbstractContextManager[None]:
        """One moment of the database for a whole site build (records read late included)."""
        ...

    def change_marker(self) -> str:
        """A fingerprint of everything the site shows, cheap to read (no history loaded): unchanged
        while nothing the site shows was written, so a rebuild can stop at once."""
        ...

    def load_radar(self, first: str | None = None, last: str | None = None) -> RadarRecords: ...


class SearchRepository(Protocol):
    """Full-text search over every stored item (``core.query`` trees; SQLite FTS5, PostgreSQL tsvector)."""

    def search(
        self,
        node: Node,
        *,
        since: datetime | None = None,
        fmt: str | None = None,
        audience: str | None = None,
        limit: int = 20,
        lang: str = "fr",
    ) -> list[SearchHit]: ...
    def matches(self, node: Node, *, since: datetime | None = None, until: datetime | None = None) -> list[Match]: ...
    def hits(self, item_ids: Sequence[int], lang: str = "fr") -> list[SearchHit]: ...


class ArticleRepository(Protocol):
    """The article pages of ``full_text`` feeds: the page cache and which items still need their page."""

    def pending(self, feed_ids: Sequence[int], since: datetime, limit: int, now: datetime) -> list[Pending]: ...
    def link(self, items: Sequence[Pending]) -> None: ...
    def save_page(
        self,
        url: str,
        *,
        status: str,
        now: datetime,
        items: Sequence[Pending],
        text: str | None = None,
        reason: str | None = None,
        http_status: int | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        failures: int = 0,
        retry_after: datetime | None = None,
    ) -> None: ...
    def feed_counts(self) -> dict[int, ArticleCounts]: ...


class Storage(Protocol):
    """One open database. ``open_storage(settings)`` gives the configured one."""

    location: str  # what error messages name: the file, or the URL without its password

    @property
    def backend(self) -> str: ...  # "sqlite" | "postgresql"

    @property
    def version(self) -> int: ...  # schema version (migrations applied)

    @property
    def feeds(self) -> FeedRepository: ...
    @property
    def items(self) -> ItemRepository: ...
    @property
    def themes(self) -> ThemeRepository: ...
    @property
    def sentences(self) -> SentenceRepository: ...
    @property
    def digests(self) -> DigestRepository: ...
    @property
    def site(self) -> SiteReader: ...
    @property
    def search(self) -> SearchRepository: ...
    @property
    def articles(self) -> ArticleRepository: ...

    def transaction(self) -> AbstractContextManager[Connection]: ...

    def lock_feed(self, feed_id: int) -> bool:
        """Claim one feed for this process's fetch (False: another process is fetching it)."""
        ...

    def unlock_feed(self, feed_id: int) -> None: ...

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        """Held by one process at a time on this database (every machine sharing it): the digest send."""
        ...

    def close(self) -> None: ...
