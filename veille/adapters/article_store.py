"""Queries of the article pages (``full_text`` feeds): the page cache, which items are still to fetch, and
per-feed counts for ``feeds list``. One page's result and its items' links are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from veille.adapters.storage.base import Connection
from veille.adapters.store import Store, iso
from veille.core.fulltext import ArticleCounts, Pending


@dataclass(frozen=True)
class ArticleRow:
    url: str
    status: str
    reason: str | None
    http_status: int | None
    text: str
    etag: str | None
    last_modified: str | None


class ArticleStore:
    """The ``articles`` and ``item_articles`` tables."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    def pending(self, feed_ids: Sequence[int], since: datetime, limit: int, now: datetime) -> list[Pending]:
        """Items seen in these feeds, first seen and published at or after ``since`` (a feed just added
        brings its archive: not fetched), with a link, and no page yet for their current content, or a
        page whose next try is due at ``now``: newest first, at most ``limit``. A page tried before is
        tried again when due even if its items have grown older than ``since`` (three tries at most)."""
        if not feed_ids:
            return []
        marks = ",".join("?" * len(feed_ids))
        rows = self.conn.execute(
            f"""SELECT i.id, i.url, i.content_hash, ia.item_id IS NOT NULL AS linked,
                       a.status, a.etag, a.last_modified, COALESCE(a.failures, 0),
                       a.retry_after IS NOT NULL AND a.retry_after <= ? AS due
                FROM items i
                LEFT JOIN item_articles ia ON ia.item_id = i.id
                LEFT JOIN articles a ON a.url = i.url
                WHERE i.url IS NOT NULL AND i.first_seen_at >= ? AND i.published_at >= ?
                  AND (ia.item_id IS NULL OR ia.content_hash != i.content_hash
                       OR (a.retry_after IS NOT NULL AND a.retry_after <= ?))
                  AND i.id IN (SELECT s.item_id FROM sightings s WHERE s.feed_id IN ({marks}))
                ORDER BY i.first_seen_at DESC, i.id DESC LIMIT ?""",
            (iso(now), iso(since), iso(since), iso(now), *feed_ids, limit),
        ).fetchall()
        found = [
            Pending(int(r[0]), str(r[1]), str(r[2]), bool(r[3]), r[4], r[5], r[6], int(r[7]), bool(r[8])) for r in rows
        ]
        if len(found) < limit:  # the pages due again whose items are older than ``since``
            seen = {item.item_id for item in found}
            rows = self.conn.execute(
                f"""SELECT i.id, i.url, i.content_hash, a.status, a.etag, a.last_modified, a.failures
                    FROM articles a JOIN item_articles ia ON ia.url = a.url JOIN items i ON i.id = ia.item_id
                    WHERE a.retry_after IS NOT NULL AND a.retry_after <= ? AND i.url = a.url
                      AND i.id IN (SELECT s.item_id FROM sightings s WHERE s.feed_id IN ({marks}))
                    ORDER BY i.first_seen_at DESC, i.id DESC""",
                (iso(now), *feed_ids),
            ).fetchall()
            for r in rows:
                if int(r[0]) not in seen and len(found) < limit:
                    found.append(Pending(int(r[0]), str(r[1]), str(r[2]), True, r[3], r[4], r[5], int(r[6]), True))
        return found

    def link(self, items: Sequence[Pending]) -> None:
        """Give items the page already cached at their URL (no request)."""
        with self.store.transaction():
            self._link(items, changed=True)

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
    ) -> None:
        """Store one page's outcome (``status`` ok with ``text``, not_modified: the cached text stays,
        failed with ``reason``, its passing ``failures`` in a row and when to try it again, if ever) and
        link ``items`` to it, in one transaction."""
        with self.store.transaction() as conn:
            old = conn.execute("SELECT text FROM articles WHERE url = ?", (url,)).fetchone()
            if status == "not_modified":
                conn.execute(
                    "UPDATE articles SET fetched_at = ?, etag = COALESCE(?, etag), "
                    "last_modified = COALESCE(?, last_modified) WHERE url = ?",
                    (iso(now), etag, last_modified, url),
                )
                self._link(items, changed=False)
                return
            ok = status == "ok"
            conn.execute(
                """INSERT INTO articles (url, status, reason, http_status, text, fetched_at, etag, last_modified,
                                       failures, retry_after)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (url) DO UPDATE SET status = excluded.status, reason = excluded.reason,
                       http_status = excluded.http_status, text = excluded.text, fetched_at = excluded.fetched_at,
                       etag = excluded.etag, last_modified = excluded.last_modified,
                       failures = excluded.failures, retry_after = excluded.retry_after""",
                (
                    url,
                    "ok" if ok else "failed",
                    None if ok else reason,
                    http_status,
                    (text or "") if ok else "",
                    iso(now),
                    etag if ok else None,
                    last_modified if ok else None,
                    0 if ok else failures,
                    None if ok or retry_after is None else iso(retry_after),
                ),
            )
            self._link(items, changed=ok and (old is None or old[0] != text))

    def _link(self, items: Sequence[Pending], *, changed: bool) -> None:
        for item in items:
            self.conn.execute(
                """INSERT INTO item_articles (item_id, url, content_hash) VALUES (?, ?, ?)
                   ON CONFLICT (item_id) DO UPDATE SET url = excluded.url, content_hash = excluded.content_hash""",
                (item.item_id, item.url, item.content_hash),
            )
        if changed and items:
            # an item analysed before its page arrived is embedded and tagged again with the page's text
            ids = [item.item_id for item in items]
            marks = ",".join("?" * len(ids))
            self.conn.execute(f"UPDATE embeddings SET content_hash = '' WHERE item_id IN ({marks})", ids)
            self.conn.execute(f"DELETE FROM classified WHERE item_id IN ({marks})", ids)

    def page(self, url: str) -> ArticleRow | None:
        row = self.conn.execute(
            "SELECT url, status, reason, http_status, text, etag, last_modified FROM articles WHERE url = ?", (url,)
        ).fetchone()
        return None if row is None else ArticleRow(*row)

    def item_page(self, item_id: int) -> ArticleRow | None:
        """The page an item was given, if any."""
        row = self.conn.execute("SELECT url FROM item_articles WHERE item_id = ?", (item_id,)).fetchone()
        return None if row is None else self.page(str(row[0]))

    def feed_counts(self) -> dict[int, ArticleCounts]:
        """Per feed id: its items with the article's text, whose page failed (of which to try again
        later), and the latest failure's reason."""
        return feed_article_counts(self.conn)


def feed_article_counts(conn: Connection) -> dict[int, ArticleCounts]:
    """``ArticleStore.feed_counts`` on a connection (the site reads it with the rest of its records)."""
    rows = conn.execute(
        """SELECT s.feed_id, a.status, a.retry_after IS NOT NULL AS retrying, COUNT(*)
           FROM sightings s JOIN item_articles ia ON ia.item_id = s.item_id JOIN articles a ON a.url = ia.url
           GROUP BY s.feed_id, a.status, a.retry_after IS NOT NULL"""
    ).fetchall()
    out: dict[int, ArticleCounts] = {}
    for feed_id, status, retrying, count in rows:
        old = out.get(int(feed_id), ArticleCounts())
        if status == "ok":
            out[int(feed_id)] = replace(old, ok=old.ok + int(count))
        else:
            later = int(count) if retrying else 0
            out[int(feed_id)] = replace(old, failed=old.failed + int(count), retrying=old.retrying + later)
    for feed_id, counts in list(out.items()):
        if counts.failed:
            row = conn.execute(
                """SELECT a.reason FROM sightings s JOIN item_articles ia ON ia.item_id = s.item_id
                   JOIN articles a ON a.url = ia.url
                   WHERE s.feed_id = ? AND a.status = 'failed' ORDER BY a.fetched_at DESC, a.url LIMIT 1""",
                (feed_id,),
            ).fetchone()
            out[feed_id] = replace(counts, last_reason=row[0] if row else None)
    return out
