"""SQLite adapter: connection, migrations, and the ingestion queries.

One database file, WAL mode, foreign keys on, migrations on ``PRAGMA user_version`` (see ``schema.py``).
Every write batch runs in one transaction (``with store.transaction():``), so a kill at any moment leaves
a consistent database and the next run redoes only what is missing.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Self

from veille.core.normalize import KEY_SEPARATOR, distinct_anchors, distinct_entries, same_content, text_overlap
from veille.errors import StorageError
from veille.models import FeedConfig, FeedState, FetchResult, NewItem, ParsedFeed

if TYPE_CHECKING:
    from veille.adapters.article_store import ArticleStore
    from veille.adapters.digest_store import DigestStore
    from veille.adapters.process_store import ProcessStore, SentenceStore, ThemeStore
    from veille.adapters.search_store import SearchStore
    from veille.adapters.site_store import SiteReader
    from veille.adapters.storage.base import Connection, Params, Row


def iso(dt: datetime | None) -> str | None:
    """A UTC datetime as the sortable text stored in the database."""
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    return _from_iso(text)


#: How long before a span a story active in it can have begun: a story spans at most
#: ``core.clustering.STORY_WINDOW_DAYS`` (14) from its first item to its last; four times that leaves room
#: for dates a feed corrected after grouping (a number here: this module does not load the clustering's).
#: Bounding ``first_at`` from below keeps the query for a week's active stories a range of the
#: ``stories_first_at`` index: without it, it read every earlier story (in a daily run) or every later one
#: (in a backfill), so each week cost more as the history grew.
STORY_REACH = timedelta(days=56)

#: SQL: the stories ``s`` active during [:start, :end), with the parameters ``active_span`` gives.
ACTIVE_STORIES = "s.first_at >= :reach AND s.first_at < :end AND s.last_at >= :start"


def active_span(start: str, end: str) -> dict[str, str]:
    """The parameters of ``ACTIVE_STORIES`` for [start, end) (stored text; "" starts at the beginning):
    ``:reach`` is ``STORY_REACH`` before ``start``."""
    begun = from_iso(start) if start else None
    return {"start": start, "end": end, "reach": (iso(begun - STORY_REACH) or "") if begun is not None else ""}


@lru_cache(maxsize=1 << 16)
def _from_iso(text: str) -> datetime:
    """A stored date read back, remembered: the site reads a story's dates again in each feed's copy."""
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def stored_datetime(text: str) -> datetime:
    """A NOT NULL date column read back; only a hand-edited database lacks one."""
    moment = from_iso(text)
    if moment is None:
        raise StorageError(f"missing date in the database: {text!r}")
    return moment


def json_list(text: str | None) -> list[object]:
    """A JSON list column read back ([] when empty or not a list)."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def ensure_data_dir(folder: Path) -> None:
    """Create the data folder (``storage.path``) if needed and check that files can be written in it.

    Raises one ``StorageError`` naming ``storage.path`` and what to do, instead of a ``PermissionError`` from
    deep inside a run. (The check writes a file: permission bits alone say nothing for root, or for a
    read-only mount.)"""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise unwritable_data_dir(folder, exc) from None


def unwritable_data_dir(folder: Path, exc: OSError) -> StorageError:
    """The one error for a data folder veille cannot write, naming ``storage.path``."""
    reason = exc.strerror or str(exc)
    error = StorageError(
        f"storage.path {folder}: cannot write there ({reason}); set storage.path in feeds.yaml to a folder "
        "veille can write, or fix that folder's permissions"
    )
    error.worded("error_storage_path", path=folder, reason=reason)
    return error


class Store:
    """An open veille database (the storage interface of ``adapters.storage.base.Storage``).

    ``Store.open(path)`` opens the SQLite file (``adapters.storage.sqlite``); ``open_storage(settings)``
    opens whichever database feeds.yaml names (SQLite or PostgreSQL). The query modules run their SQL on
    ``store.conn`` (a ``storage.base.Connection``); jobs reach them through ``store.feeds``,
    ``store.items``, ``store.themes``, ``store.sentences``, ``store.digests``, ``store.site`` and
    ``store.search``."""

    backend = "sqlite"

    def __init__(self, conn: Connection, location: str) -> None:
        self.conn = conn
        self.location = location  # what messages name: the file, or the URL without its password
        self.path: str | Path = location

    @classmethod
    def open(cls, path: Path, *, timeout: float = 30.0) -> Store:
        from veille.adapters.storage.sqlite import SqliteStore

        return SqliteStore.open(path, timeout=timeout)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        raise NotImplementedError

    def migrate(self) -> None:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Connection]:
        """One atomic write batch: committed at the end of the ``with`` block, rolled back on any error."""
        return self.conn.transaction()

    @property
    def read_width(self) -> int:
        """How many parts ``read_parts`` reads at once."""
        return 1

    def read_parts(self, sql: str, param_sets: Sequence[Params]) -> list[list[Row]]:
        """``sql`` read once per parameter set, the results in the order of the sets: one after the other
        here; SQLite reads them side by side, one core each (``storage.sqlite``)."""
        return [list(self.conn.execute(sql, params).fetchall()) for params in param_sets]

    def lock_feed(self, feed_id: int) -> bool:
        """Claim a feed for this run's fetch (SQLite: one machine, and ``veille run``'s lock file)."""
        return True

    def unlock_feed(self, feed_id: int) -> None:
        """Give a claimed feed back (its result is stored)."""

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Held by one process at a time (SQLite: one machine; ``veille run``'s lock file covers it)."""
        yield

    # the repositories, one per concern (``storage.base``)

    @property
    def feeds(self) -> FeedStore:
        return FeedStore(self)

    @property
    def items(self) -> ProcessStore:
        from veille.adapters.process_store import ProcessStore

        return ProcessStore(self)

    @property
    def themes(self) -> ThemeStore:
        from veille.adapters.process_store import ThemeStore

        return ThemeStore(self)

    @property
    def sentences(self) -> SentenceStore:
        from veille.adapters.process_store import SentenceStore

        return SentenceStore(self)

    @property
    def digests(self) -> DigestStore:
        from veille.adapters.digest_store import DigestStore

        return DigestStore(self)

    @property
    def articles(self) -> ArticleStore:
        from veille.adapters.article_store import ArticleStore

        return ArticleStore(self)

    @property
    def site(self) -> SiteReader:
        from veille.adapters.site_store import SiteReader

        return SiteReader(self)

    @property
    def search(self) -> SearchStore:
        from veille.adapters.search_store import SearchStore

        return SearchStore(self)


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
    if buffer.strip() and not all(part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()):
        raise StorageError("incomplete statement in migration")


# --------------------------------------------------------------------------------------------------
# Ingestion queries (one transaction per feed's batch: see ``record_fetch``)


@dataclass(frozen=True)
class StoredBatch:
    """What one feed's batch changed in the database."""

    new_items: int  # items never seen before
    new_sightings: int  # copies of items already stored (another source, or a new guid)
    updated_items: int  # items whose content changed at the source
    stale: bool = False  # the feed was recorded as stale (silent for longer than its cadence)


def _feed_state(row: Row) -> FeedState:
    return FeedState(
        id=row["id"],
        url=row["url"],
        config_url=row["config_url"],
        status=row["status"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_fetch_at=from_iso(row["last_fetch_at"]),
        last_success_at=from_iso(row["last_success_at"]),
        last_new_item_at=from_iso(row["last_new_item_at"]),
        next_fetch_at=from_iso(row["next_fetch_at"]),
        consecutive_failures=row["consecutive_failures"],
        last_error=row["last_error"],
    )


class FeedStore:
    """Feeds, fetch results and items. Wraps a ``Store``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> None:
        """Make the feeds table match feeds.yaml: add new feeds, update names and tags, and mark the
        feeds no longer configured as removed (their items stay)."""
        configured = {feed.url for feed in feeds}
        with self.store.transaction() as conn:
            for feed in feeds:
                conn.execute(
                    """INSERT INTO feeds (config_url, url, name, lang, tags, added_at)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (config_url) DO UPDATE SET
                           name = excluded.name, lang = excluded.lang, tags = excluded.tags,
                           status = CASE WHEN feeds.status = 'removed' THEN 'active' ELSE feeds.status END""",
                    (feed.url, feed.url, feed.name, feed.lang, json.dumps(list(feed.tags)), iso(now)),
                )
            for row in conn.execute("SELECT id, config_url FROM feeds WHERE status != 'removed'").fetchall():
                if row["config_url"] not in configured:
                    conn.execute("UPDATE feeds SET status = 'removed' WHERE id = ?", (row["id"],))

    def feed_states(self, *, include_gone: bool = False) -> list[FeedState]:
        statuses = ("active", "gone") if include_gone else ("active",)
        rows = self.conn.execute(
            f"SELECT * FROM feeds WHERE status IN ({','.join('?' * len(statuses))}) ORDER BY id", statuses
        ).fetchall()
        return [_feed_state(row) for row in rows]

    def claim(self, states: Sequence[FeedState]) -> list[FeedState]:
        """The feeds of ``states`` this run may fetch now: those no other run is fetching (on PostgreSQL,
        a lock per feed held by this connection until its result is stored, or until the process ends)
        and that nobody fetched since ``states`` were read. Two machines sharing the database never both
        get a feed."""
        claimed: list[FeedState] = []
        for state in states:
            if not self.store.lock_feed(state.id):
                continue  # another run is fetching it right now
            row = self.conn.execute("SELECT last_fetch_at FROM feeds WHERE id = ?", (state.id,)).fetchone()
            if row is None or row[0] != iso(state.last_fetch_at):
                self.store.unlock_feed(state.id)  # fetched by another run since this one read the feeds
                continue
            claimed.append(state)
        return claimed

    def recent_item_dates(self, feed_id: int, limit: int = 20) -> list[datetime]:
        rows = self.conn.execute(
            "SELECT published_at FROM sightings WHERE feed_id = ? ORDER BY published_at DESC LIMIT ?",
            (feed_id, limit),
        ).fetchall()
        return [d for d in (from_iso(row[0]) for row in rows) if d is not None]

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
    ) -> StoredBatch:
        """Store one feed's fetch outcome and its items, in one transaction.

        ``error`` is the reason when fetching or parsing failed (``result.error`` or a parse error). The
        feed's claim (``claim``) is given back once stored."""
        try:
            return self._record_fetch(
                state,
                result,
                now=now,
                next_fetch_at=next_fetch_at,
                parsed=parsed,
                items=items,
                error=error,
                stale=stale,
            )
        finally:
            self.store.unlock_feed(state.id)

    def _record_fetch(
        self,
        state: FeedState,
        result: FetchResult,
        *,
        now: datetime,
        next_fetch_at: datetime | None,
        parsed: ParsedFeed | None,
        items: list[NewItem] | None,
        error: str | None,
        stale: bool,
    ) -> StoredBatch:
        items = items or []
        batch = StoredBatch(0, 0, 0)
        with self.store.transaction() as conn:
            fid = state.id
            if result.permanent_redirect and result.permanent_redirect != state.url:
                conn.execute(
                    "UPDATE feeds SET url = ?, moved_from = ?, moved_at = ? WHERE id = ?",
                    (result.permanent_redirect, state.url, iso(now), fid),
                )
                self._event(fid, now, "moved", result.status, f"{state.url} -> {result.permanent_redirect}")
            if result.gone:
                conn.execute(
                    """UPDATE feeds SET status = 'gone', last_fetch_at = ?, last_error = ?, last_error_at = ?,
                       consecutive_failures = consecutive_failures + 1, next_fetch_at = NULL WHERE id = ?""",
                    (iso(now), error or "gone (HTTP 410)", iso(now), fid),
                )
                self._event(fid, now, "gone", result.status, error or "gone (HTTP 410)")
                return batch
            if error:
                conn.execute(
                    """UPDATE feeds SET last_fetch_at = ?, last_error = ?, last_error_at = ?,
                       consecutive_failures = consecutive_failures + 1, next_fetch_at = ? WHERE id = ?""",
                    (iso(now), error, iso(now), iso(next_fetch_at), fid),
                )
                self._event(fid, now, "error", result.status, error)
                return batch
            if result.not_modified:
                conn.execute(
                    """UPDATE feeds SET last_fetch_at = ?, last_success_at = ?, consecutive_failures = 0,
                       next_fetch_at = ?, stale = ? WHERE id = ?""",
                    (iso(now), iso(now), iso(next_fetch_at), int(stale), fid),
                )
                self._event(fid, now, "stale" if stale else "not_modified", result.status, None)
                return StoredBatch(0, 0, 0, stale=stale)
            batch = self._store_items(fid, items, now)
            # a fetch that brought something new is the opposite of a silent feed, whatever the caller
            # decided from the dates known before these items were stored
            stale = stale and not batch.new_items
            batch = replace(batch, stale=stale)
            conn.execute(
                """UPDATE feeds SET last_fetch_at = ?, last_success_at = ?, consecutive_failures = 0,
                   next_fetch_at = ?, etag = ?, last_modified = ?,
                   title = COALESCE(?, title), site_url = COALESCE(?, site_url), parse_warning = ?, stale = ?,
                   last_new_item_at = CASE WHEN ? > 0 THEN ? ELSE last_new_item_at END
                   WHERE id = ?""",
                (
                    iso(now),
                    iso(now),
                    iso(next_fetch_at),
                    result.etag,
                    result.last_modified,
                    parsed.title if parsed else None,
                    parsed.link if parsed else None,
                    parsed.warning if parsed else None,
                    int(stale),
                    batch.new_items,
                    iso(now),
                    fid,
                ),
            )
            self._event(fid, now, "stale" if stale else "ok", result.status, None, batch.new_items)
        return batch

    def _event(
        self,
        feed_id: int,
        now: datetime,
        kind: str,
        status: int | None,
        detail: str | None,
        new_items: int = 0,
    ) -> None:
        self.conn.execute(
            "INSERT INTO feed_events (feed_id, at, kind, status, detail, new_items) VALUES (?, ?, ?, ?, ?, ?)",
            (feed_id, iso(now), kind, status, detail, new_items),
        )

    def _store_items(self, feed_id: int, items: list[NewItem], now: datetime) -> StoredBatch:
        """Insert new items, add sightings for copies, update items changed at the source.

        An entry is known in its feed by its key (``core.normalize.entry_key``, made unique within the
        batch by ``distinct_entries``). A new entry joins a stored item only when it carries the same
        content: the same content hash, or the same canonical URL and ``same_content`` text, and never
        an item that another entry of the same feed already points at with a different text. An item's
        text, link and date come from one entry, its origin (``items.feed_id``, ``items.origin_key``):
        only that entry updates it. A sighting that points at an item whose text is not its entry's
        while other entries of the same feed share that item (merged by older versions) gets an item
        of its own; an item whose origin is unknown (``origin_key`` NULL) is claimed by the entry of
        its feed that carries its text."""
        new = sightings = updated = 0
        batch = distinct_entries(items)
        keys = {item.entry_key for item in batch}
        for item in batch:
            seen = self.conn.execute(
                "SELECT item_id, seen_at, published_at FROM sightings WHERE feed_id = ? AND entry_key = ?",
                (feed_id, item.entry_key),
            ).fetchone() or self._rekeyed(feed_id, item, keys)
            if seen is not None:
                outcome = self._resight(feed_id, item, seen)
                new += outcome == "split"
                updated += outcome == "updated"
                continue
            match = self._match(feed_id, item)
            if match is None:
                self._insert_item(feed_id, item, first_seen=iso(now), published=iso(item.published_at))
                new += 1
                continue
            sightings += 1
            self.conn.execute(
                """INSERT INTO sightings (feed_id, entry_key, item_id, seen_at, published_at)
                   VALUES (?, ?, ?, ?, ?)""",
                (feed_id, item.entry_key, match, iso(now), iso(item.published_at)),
            )
            self._claim_if_unowned(match, feed_id, item, iso(item.published_at))
        return StoredBatch(new, sightings, updated)

    def _rekeyed(self, feed_id: int, item: NewItem, keys: set[str]) -> Row | None:
        """The sighting of this entry under another form of its key that the batch no longer has,
        renamed to its key, or None.

        Older versions knew an entry without guid by its link alone, and one guid or link given to two
        entries was one key; ``distinct_entries`` extends a shared key, and a key stops being shared
        when the other entry leaves the feed: the entry keeps its sighting. Its date is read again,
        since a shorter key may have stood for several entries."""
        parts = item.entry_key.split(KEY_SEPARATOR)
        shorter = [KEY_SEPARATOR.join(parts[:size]) for size in range(len(parts) - 1, 0, -1)]
        old = next((key for key in shorter if key not in keys and self._sighted(feed_id, key)), None)
        if old is None:
            old = self._longer_key(feed_id, item, keys)
        if old is None:
            return None
        self.conn.execute(
            "UPDATE sightings SET entry_key = ?, published_at = ? WHERE feed_id = ? AND entry_key = ?",
            (item.entry_key, iso(item.published_at), feed_id, old),
        )
        self.conn.execute(
            "UPDATE items SET origin_key = ?, published_at = ? WHERE feed_id = ? AND origin_key = ?",
            (item.entry_key, iso(item.published_at), feed_id, old),
        )
        return self.conn.execute(
            "SELECT item_id, seen_at, published_at FROM sightings WHERE feed_id = ? AND entry_key = ?",
            (feed_id, item.entry_key),
        ).fetchone()

    def _sighted(self, feed_id: int, key: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM sightings WHERE feed_id = ? AND entry_key = ?", (feed_id, key))
        return row.fetchone() is not None

    def _longer_key(self, feed_id: int, item: NewItem, keys: set[str]) -> str | None:
        """This entry's key as ``distinct_entries`` extended it while another entry shared it: the one
        with its title, else the one on an item with its text."""
        prefix = item.entry_key + KEY_SEPARATOR
        rows = self.conn.execute(
            """SELECT s.entry_key, i.content_hash FROM sightings s JOIN items i ON i.id = s.item_id
               WHERE s.feed_id = ? AND s.entry_key >= ? AND s.entry_key < ?""",
            (feed_id, prefix, prefix[:-1] + chr(ord(KEY_SEPARATOR) + 1)),
        ).fetchall()
        titled = prefix + item.title
        free = [row for row in rows if row[0] not in keys]
        for row in free:
            if row[0] == titled or row[0].startswith(titled + KEY_SEPARATOR):
                return str(row[0])
        return next((str(row[0]) for row in free if row[1] == item.content_hash), None)

    def _insert_item(self, feed_id: int, item: NewItem, *, first_seen: str | None, published: str | None) -> int:
        """A new item whose origin is this entry, and the entry's sighting of it."""
        cursor = self.conn.execute(
            """INSERT INTO items (canonical_url, content_hash, url, title, summary, html, author,
               categories, published_at, first_seen_at, lang, feed_id, origin_key)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                item.canonical_url,
                item.content_hash,
                item.url,
                item.title,
                item.summary,
                item.html,
                item.author,
                json.dumps(list(item.categories), ensure_ascii=False),
                published,
                first_seen,
                item.lang,
                feed_id,
                item.entry_key,
            ),
        )
        item_id = int(cursor.lastrowid or 0)
        self.conn.execute(
            """INSERT INTO sightings (feed_id, entry_key, item_id, seen_at, published_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (feed_id, entry_key) DO UPDATE SET item_id = excluded.item_id""",
            (feed_id, item.entry_key, item_id, first_seen, published),
        )
        return item_id

    def _match(self, feed_id: int, item: NewItem, exclude: int | None = None) -> int | None:
        """The stored item this entry is a copy of, or None.

        The item with the same content hash; else, among the items at the same canonical URL that no
        entry of this feed points at and whose link names no other anchor of the page, the one whose
        text is the same content and closest."""
        row = self.conn.execute("SELECT id FROM items WHERE content_hash = ?", (item.content_hash,)).fetchone()
        if row is not None and row[0] != exclude:
            return int(row[0])
        if item.canonical_url is None:
            return None
        rows = self.conn.execute(
            """SELECT id, url, title, summary FROM items i WHERE canonical_url = ? AND id IS NOT ?
               AND NOT EXISTS (SELECT 1 FROM sightings s WHERE s.item_id = i.id AND s.feed_id = ?)""",
            (item.canonical_url, exclude, feed_id),
        ).fetchall()
        candidates = [
            (text_overlap(row["title"], row["summary"], item.title, item.summary), -row["id"])
            for row in rows
            if not distinct_anchors(row["url"], item.url)
            and same_content(row["title"], row["summary"], item.title, item.summary)
        ]
        return -max(candidates)[1] if candidates else None

    def _claim_if_unowned(self, item_id: int, feed_id: int, item: NewItem, published: str | None) -> None:
        """An item of this feed whose origin entry is unknown (merged by an older veille) becomes this
        entry's: it carries the item's text; the link and the date become this entry's too."""
        self.conn.execute(
            """UPDATE items SET origin_key = ?, url = ?, published_at = ?
               WHERE id = ? AND feed_id = ? AND origin_key IS NULL AND content_hash = ?""",
            (item.entry_key, item.url, published, item_id, feed_id, item.content_hash),
        )

    def _resight(self, feed_id: int, item: NewItem, seen: Row) -> str | None:
        """An entry seen before: 'updated' when it changed its item, 'split' when it got an item of its
        own, None when nothing changed."""
        item_id = int(seen["item_id"])
        row = self.conn.execute(
            "SELECT feed_id, origin_key, content_hash, url, title, summary FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            return None
        same_text = row["content_hash"] == item.content_hash
        if row["feed_id"] != feed_id:
            # a copy of another feed's item: it stays while it is the same content
            if same_text or (
                not distinct_anchors(row["url"], item.url)
                and same_content(row["title"], row["summary"], item.title, item.summary)
            ):
                return None
            return self._split(feed_id, item, item_id, seen)
        if row["origin_key"] == item.entry_key:
            return "updated" if not same_text and self._update(item_id, item) else None
        if same_text:
            self._claim_if_unowned(item_id, feed_id, item, seen["published_at"])
            return None
        others = self.conn.execute(
            "SELECT 1 FROM sightings WHERE item_id = ? AND feed_id = ? AND entry_key != ? LIMIT 1",
            (item_id, feed_id, item.entry_key),
        ).fetchone()
        if others is not None:
            return self._split(feed_id, item, item_id, seen)
        # the only entry of its feed left on the item: it is its origin
        self.conn.execute(
            "UPDATE items SET origin_key = ?, published_at = ? WHERE id = ?",
            (item.entry_key, seen["published_at"], item_id),
        )
        return "updated" if self._update(item_id, item) else None

    def _split(self, feed_id: int, item: NewItem, item_id: int, seen: Row) -> str | None:
        """The entry's sighting leaves an item whose text is not its own, for the item of its text
        (a copy already stored, or a new item)."""
        target = self._match(feed_id, item, exclude=item_id)
        if target is None:
            self._insert_item(feed_id, item, first_seen=seen["seen_at"], published=seen["published_at"])
            return "split"
        self.conn.execute(
            "UPDATE sightings SET item_id = ? WHERE feed_id = ? AND entry_key = ?", (target, feed_id, item.entry_key)
        )
        self._claim_if_unowned(target, feed_id, item, seen["published_at"])
        return None

    def _update(self, item_id: int, item: NewItem) -> bool:
        """The item takes its origin entry's new text and link (unless another item has that text)."""
        clash = self.conn.execute(
            "SELECT 1 FROM items WHERE id != ? AND content_hash = ?", (item_id, item.content_hash)
        ).fetchone()
        if clash is not None:
            return False
        self.conn.execute(
            """UPDATE items SET content_hash = ?, canonical_url = ?, url = ?, title = ?, summary = ?, html = ?,
               author = ?, categories = ? WHERE id = ?""",
            (
                item.content_hash,
                item.canonical_url,
                item.url,
                item.title,
                item.summary,
                item.html,
                item.author,
                json.dumps(list(item.categories), ensure_ascii=False),
                item_id,
            ),
        )
        return True

    def health(self) -> list[dict[str, object]]:
        """Every configured feed with its health, for ``feeds list|check``, the digest and the site."""
        rows = self.conn.execute(
            """SELECT f.id, f.config_url, f.url, f.name, f.title, f.site_url, f.lang, f.tags, f.status,
                      f.last_fetch_at, f.last_success_at, f.last_new_item_at, f.last_error, f.last_error_at,
                      f.consecutive_failures, f.next_fetch_at, f.moved_from, f.moved_at, f.parse_warning,
                      f.stale, (SELECT COUNT(*) FROM sightings s WHERE s.feed_id = f.id) AS items
               FROM feeds f WHERE f.status != 'removed' ORDER BY f.id"""
        ).fetchall()
        health = []
        for row in rows:
            entry = dict(row)
            entry["tags"] = json.loads(entry["tags"])
            entry["stale"] = bool(entry["stale"])
            health.append(entry)
        return health

    def counts(self) -> dict[str, int]:
        one = self.conn.execute
        return {
            "feeds": one("SELECT COUNT(*) FROM feeds WHERE status != 'removed'").fetchone()[0],
            "feeds_failing": one(
                "SELECT COUNT(*) FROM feeds WHERE status = 'gone' OR (status = 'active' AND consecutive_failures > 0)"
            ).fetchone()[0],
            "items": one("SELECT COUNT(*) FROM items").fetchone()[0],
            "sightings": one("SELECT COUNT(*) FROM sightings").fetchone()[0],
            # an item not yet grouped by `veille process` counts as a story of its own
            "stories": one(
                "SELECT (SELECT COUNT(*) FROM stories)"
                " + (SELECT COUNT(*) FROM items WHERE id NOT IN (SELECT item_id FROM story_items))"
            ).fetchone()[0],
        }
