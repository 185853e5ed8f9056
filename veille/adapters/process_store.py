"""SQLite queries of ``veille process``: the embedding cache, formats, stories and weekly themes.

Vectors are stored as float32 little-endian blobs. Each write batch is one transaction, so a kill leaves
either the whole batch or none of it, and the next run redoes only what is missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from veille.adapters.store import ACTIVE_STORIES, Store, active_span, iso, stored_datetime
from veille.core.weeks import iso_week, shift_week, week_bounds


def to_blob(vector: NDArray[np.floating]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> NDArray[np.float32]:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


@dataclass(frozen=True)
class ItemText:
    id: int
    title: str
    summary: str
    content_hash: str
    lang: str | None
    published_at: datetime
    article: str = ""  # the main text of its article page (``full_text`` feeds), '' when none


# the main text of an item's article page, when it has one (``full_text`` feeds)
_ARTICLE = """COALESCE((SELECT a.text FROM item_articles ia JOIN articles a ON a.url = ia.url AND a.status = 'ok'
                         WHERE ia.item_id = i.id), '')"""


# a feed's latest items carried, embedded for their current content (``ProcessStore.latest_of_feeds``);
# read backwards along ``sightings_feed_published``
LATEST_OF_FEED = """SELECT s.item_id FROM sightings s
    JOIN items i ON i.id = s.item_id
    JOIN embeddings e ON e.item_id = s.item_id AND e.model = ? AND e.content_hash = i.content_hash
    WHERE s.feed_id = ? ORDER BY s.published_at DESC, s.item_id DESC LIMIT ?"""


@dataclass(frozen=True)
class StoryRow:
    id: int
    first_at: datetime
    last_at: datetime
    centroid: NDArray[np.float32]


class ProcessStore:
    """The tables ``veille process`` reads and writes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    # ----------------------------------------------------------------------------------- embedding

    def items_to_embed(self, model: str, limit: int | None = None, *, after: int = 0) -> list[ItemText]:
        """Items with no embedding for this model and their current content (new or changed items), in id
        order, from the first id above ``after``: a caller going through them in batches passes the last id
        of its previous batch, so each batch reads on from there instead of rescanning from the first item."""
        sql = f"""SELECT i.id, i.title, i.summary, i.content_hash, i.lang, i.published_at, {_ARTICLE} FROM items i
                 LEFT JOIN embeddings e ON e.item_id = i.id
                 WHERE i.id > ? AND (e.item_id IS NULL OR e.model != ? OR e.content_hash != i.content_hash)
                 ORDER BY i.id"""
        params: tuple[object, ...] = (after, model)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return [_item_text(row) for row in self.conn.execute(sql, params)]

    def count_to_embed(self, model: str) -> int:
        """How many items ``items_to_embed`` would return without a limit."""
        return int(
            self.conn.execute(
                """SELECT COUNT(*) FROM items i LEFT JOIN embeddings e ON e.item_id = i.id
                   WHERE e.item_id IS NULL OR e.model != ? OR e.content_hash != i.content_hash""",
                (model,),
            ).fetchone()[0]
        )

    def save_embeddings(
        self, model: str, items: Sequence[ItemText], vectors: NDArray[np.float32], *, langs: Sequence[str]
    ) -> None:
        """Store a batch of embeddings and add them to the per-language sums, in one transaction. An item
        embedded again with the same model (its content changed) first takes its old vector out of the sums,
        so each item counts once."""
        with self.store.transaction() as conn:
            sums = ThemeStore(self.store)
            old_langs, old_vectors = [], []
            for item, lang in zip(items, langs, strict=True):
                row = conn.execute(
                    "SELECT vector FROM embeddings WHERE item_id = ? AND model = ?", (item.id, model)
                ).fetchone()
                if row is not None:
                    old_langs.append(lang)
                    old_vectors.append(from_blob(row[0]))
            if old_vectors:
                sums.add_language_sums(model, old_langs, np.vstack(old_vectors), sign=-1)
            sums.add_language_sums(model, langs, vectors)
            conn.executemany(
                """INSERT INTO embeddings (item_id, model, content_hash, dim, vector) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (item_id) DO UPDATE SET model = excluded.model,
                       content_hash = excluded.content_hash, dim = excluded.dim, vector = excluded.vector""",
                [
                    (item.id, model, item.content_hash, int(vector.shape[0]), to_blob(vector))
                    for item, vector in zip(items, vectors, strict=True)
                ],
            )

    def count_embedded(self, model: str) -> int:
        return int(
            self.conn.execute(
                """SELECT COUNT(*) FROM embeddings e JOIN items i ON i.id = e.item_id
                   WHERE e.model = ? AND e.content_hash = i.content_hash""",
                (model,),
            ).fetchone()[0]
        )

    def vectors(self, item_ids: Sequence[int]) -> NDArray[np.float32]:
        """The stored vectors of these items, in the given order."""
        found: dict[int, bytes] = {}
        for chunk in _chunks(list(item_ids), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"SELECT item_id, vector FROM embeddings WHERE item_id IN ({marks})", chunk):
                found[row[0]] = row[1]
        if not item_ids:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([from_blob(found[item_id]) for item_id in item_ids])

    def items(self, item_ids: Sequence[int]) -> list[ItemText]:
        rows: dict[int, ItemText] = {}
        for chunk in _chunks(list(item_ids), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"""SELECT i.id, i.title, i.summary, i.content_hash, i.lang, i.published_at, {_ARTICLE}
                    FROM items i WHERE i.id IN ({marks})""",
                chunk,
            ):
                rows[row[0]] = _item_text(row)
        return [rows[item_id] for item_id in item_ids]

    # ------------------------------------------------------------------------------------- formats

    def items_to_classify(self, signature: str, model: str, *, after: int = 0, limit: int | None = None) -> list[int]:
        """Embedded items not tagged with this signature and their current content (new or changed), in id
        order from the first id above ``after`` (keyset pagination), at most ``limit``."""
        return self._todo(
            """SELECT i.id FROM items i
               JOIN embeddings e ON e.item_id = i.id AND e.model = ? AND e.content_hash = i.content_hash
               LEFT JOIN classified c ON c.item_id = i.id
               WHERE i.id > ? AND (c.item_id IS NULL OR c.signature != ? || ':' || i.content_hash) ORDER BY i.id""",
            (model, after, signature),
            limit,
        )

    def _todo(self, sql: str, params: tuple[object, ...], limit: int | None) -> list[int]:
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return [row[0] for row in self.conn.execute(sql, params)]

    def save_formats(
        self,
        signature: str,
        tags: Iterable[tuple[ItemText, Sequence[tuple[str, float, dict[str, object]]]]],
    ) -> None:
        with self.store.transaction() as conn:
            for item, formats in tags:
                item_id = item.id
                conn.execute("DELETE FROM item_formats WHERE item_id = ?", (item_id,))
                conn.executemany(
                    "INSERT INTO item_formats (item_id, format, score, evidence) VALUES (?, ?, ?, ?)",
                    [
                        (item_id, key, float(score), json.dumps(evidence, ensure_ascii=False))
                        for key, score, evidence in formats
                    ],
                )
                conn.execute(
                    """INSERT INTO classified (item_id, signature) VALUES (?, ?)
                       ON CONFLICT (item_id) DO UPDATE SET signature = excluded.signature""",
                    (item_id, f"{signature}:{item.content_hash}"),
                )

    # ------------------------------------------------------------------------------------- audiences

    def items_to_audience(self, signature: str, model: str, *, after: int = 0, limit: int | None = None) -> list[int]:
        """Embedded items without an audience decided with this signature and their current content, in id
        order from the first id above ``after`` (keyset pagination), at most ``limit``."""
        return self._todo(
            """SELECT i.id FROM items i
               JOIN embeddings e ON e.item_id = i.id AND e.model = ? AND e.content_hash = i.content_hash
               LEFT JOIN item_audiences a ON a.item_id = i.id
               WHERE i.id > ? AND (a.item_id IS NULL OR a.signature != ? || ':' || i.content_hash) ORDER BY i.id""",
            (model, after, signature),
            limit,
        )

    def item_feed_tags(self, item_ids: Sequence[int]) -> dict[int, list[str]]:
        """The tags of every feed that carried each item (its first source and every sighting)."""
        out: dict[int, list[str]] = {item_id: [] for item_id in item_ids}
        for chunk in _chunks(list(item_ids), 900):
            marks = ",".join("?" * len(chunk))
            for item_id, tags in self.conn.execute(
                f"""SELECT i.id, f.tags FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id IN ({marks})
                    UNION SELECT s.item_id, f.tags FROM sightings s JOIN feeds f ON f.id = s.feed_id
                    WHERE s.item_id IN ({marks})""",
                [*chunk, *chunk],
            ):
                out[item_id] += json.loads(tags or "[]")
        return out

    def item_feed_ids(self, item_ids: Sequence[int]) -> dict[int, list[int]]:
        """Every feed that carried each item (the one it was first stored from and every sighting)."""
        out: dict[int, list[int]] = {item_id: [] for item_id in item_ids}
        for chunk in _chunks(list(item_ids), 900):
            marks = ",".join("?" * len(chunk))
            for item_id, feed_id in self.conn.execute(
                f"""SELECT id, feed_id FROM items WHERE id IN ({marks})
                    UNION SELECT item_id, feed_id FROM sightings WHERE item_id IN ({marks})""",
                [*chunk, *chunk],
            ):
                if feed_id not in out[item_id]:
                    out[item_id].append(int(feed_id))
        return out

    def latest_of_feeds(self, feed_ids: Sequence[int], model: str, limit: int) -> dict[int, list[int]]:
        """Per feed, the ids of the ``limit`` latest items it carried (its sightings, by date) that are
        embedded with ``model`` for their current content, newest first."""
        out: dict[int, list[int]] = {}
        for feed_id in feed_ids:
            rows = self.conn.execute(LATEST_OF_FEED, (model, feed_id, limit)).fetchall()
            out[feed_id] = list(dict.fromkeys(int(row[0]) for row in rows))  # two entries, one item: once
        return out

    def save_audiences(
        self, signature: str, decisions: Iterable[tuple[ItemText, str, str, float, Sequence[str]]]
    ) -> None:
        """(item, audience, source, score, terms) per item."""
        with self.store.transaction() as conn:
            for item, audience, source, score, terms in decisions:
                conn.execute(
                    """INSERT INTO item_audiences (item_id, audience, source, score, terms, signature)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (item_id) DO UPDATE SET audience = excluded.audience, source = excluded.source,
                       score = excluded.score, terms = excluded.terms, signature = excluded.signature""",
                    (
                        item.id,
                        audience,
                        source,
                        float(score),
                        json.dumps(list(terms), ensure_ascii=False),
                        f"{signature}:{item.content_hash}",
                    ),
                )

    def audience_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT audience, COUNT(*) FROM item_audiences GROUP BY audience ORDER BY audience")
        return {row[0]: row[1] for row in rows}

    def format_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT format, COUNT(*) FROM item_formats GROUP BY format ORDER BY format")
        return {row[0]: row[1] for row in rows}

    def has_items_before(self, moment: datetime) -> bool:
        row = self.conn.execute("SELECT 1 FROM items WHERE published_at < ? LIMIT 1", (iso(moment),)).fetchone()
        return row is not None

    def count_themes(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM themes").fetchone()[0])

    def count_classified(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM classified").fetchone()[0])

    def count_off_topic(self) -> int:
        """Classified items that got no format at all: the relevance gate found them not about learning."""
        return int(
            self.conn.execute(
                """SELECT COUNT(*) FROM classified c
                   WHERE NOT EXISTS (SELECT 1 FROM item_formats f WHERE f.item_id = c.item_id)"""
            ).fetchone()[0]
        )

    # ------------------------------------------------------------------------------------- stories

    def first_ungrouped(self, since: datetime | None = None) -> datetime | None:
        """When the earliest embedded item not in a story yet (published at or after ``since``) was published."""
        row = self.conn.execute(
            """SELECT i.published_at FROM items i JOIN embeddings e ON e.item_id = i.id
               WHERE i.published_at >= ? AND NOT EXISTS (SELECT 1 FROM story_items si WHERE si.item_id = i.id)
               ORDER BY i.published_at LIMIT 1""",
            (iso(since) if since is not None else "",),
        ).fetchone()
        return stored_datetime(row[0]) if row is not None else None

    def ungrouped_items(self, start: datetime | None = None, end: datetime | None = None) -> list[ItemText]:
        """The embedded items not in a story yet, published in [start, end) (every one by default), in
        publication order."""
        rows = self.conn.execute(
            """SELECT i.id, i.title, i.summary, i.content_hash, i.lang, i.published_at FROM items i
               JOIN embeddings e ON e.item_id = i.id
               WHERE i.published_at >= ? AND i.published_at < ?
               AND NOT EXISTS (SELECT 1 FROM story_items si WHERE si.item_id = i.id)
               ORDER BY i.published_at, i.id""",
            (iso(start) if start is not None else "", iso(end) if end is not None else "9999"),
        )
        return [_item_text(row) for row in rows]

    def active_stories(self, since: datetime) -> list[StoryRow]:
        rows = self.conn.execute(
            "SELECT id, first_at, last_at, centroid FROM stories WHERE last_at >= ? AND centroid IS NOT NULL",
            (iso(since),),
        )
        return [
            StoryRow(row[0], stored_datetime(row[1]), stored_datetime(row[2]), from_blob(row[3]))
            for row in rows  # centroid is NOT NULL by the query
        ]


def _item_text(row: Sequence[object]) -> ItemText:
    return ItemText(
        id=int(row[0]),  # type: ignore[call-overload]
        title=str(row[1]),
        summary=str(row[2]),
        content_hash=str(row[3]),
        lang=None if row[4] is None else str(row[4]),
        published_at=stored_datetime(str(row[5])),
        article=str(row[6] or "") if len(row) > 6 else "",
    )


def _week_signature(story_ids: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, sorted(story_ids))).encode()).hexdigest()[:16]


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class WindowStory:
    """A story as the theme clustering of a window of weeks needs it."""

    id: int
    centroid: NDArray[np.float32]
    weeks: dict[str, int]  # ISO week -> its items published that week
    feeds: dict[str, frozenset[int]]  # ISO week -> the feeds that carried its items that week
    text: str  # lead item's title and summary, for keywords


class ThemeStore:
    """Stories and weekly themes: the tables ``veille process`` fills after the embeddings."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    # ------------------------------------------------------------------------------ language means

    def add_language_sums(
        self, model: str, langs: Sequence[str], vectors: NDArray[np.floating], *, sign: int = 1
    ) -> None:
        """Add (``sign`` -1: remove) vectors to the running per-language sums (inside the caller's transaction)."""
        for lang in sorted(set(langs)):
            rows = np.asarray(vectors, dtype=np.float64)[[i for i, x in enumerate(langs) if x == lang]]
            current = self.conn.execute(
                "SELECT items, total FROM language_sums WHERE model = ? AND lang = ?", (model, lang)
            ).fetchone()
            total = sign * rows.sum(axis=0)
            items = sign * len(rows)
            if current is not None:
                total = total + np.frombuffer(current[1], dtype="<f8")
                items += int(current[0])
            self.conn.execute(
                """INSERT INTO language_sums (model, lang, items, total) VALUES (?, ?, ?, ?)
                   ON CONFLICT (model, lang) DO UPDATE SET items = excluded.items, total = excluded.total""",
                (model, lang, items, np.asarray(total, dtype="<f8").tobytes()),
            )

    def language_sums(self, model: str) -> dict[str, tuple[int, NDArray[np.float64]]]:
        rows = self.conn.execute("SELECT lang, items, total FROM language_sums WHERE model = ?", (model,))
        return {row[0]: (int(row[1]), np.frombuffer(row[2], dtype="<f8")) for row in rows}

    # ------------------------------------------------------------------------------------- stories

    def active_stories(self, since: datetime) -> list[tuple[int, NDArray[np.float32], int, datetime, datetime]]:
        """(id, centroid, size, last_at, first_at) of the stories whose last item is at or after ``since``."""
        rows = self.conn.execute(
            """SELECT s.id, s.centroid, s.last_at, (SELECT COUNT(*) FROM story_items si WHERE si.story_id = s.id),
                      s.first_at
               FROM stories s WHERE s.last_at >= ? AND s.centroid IS NOT NULL ORDER BY s.id""",
            (iso(since),),
        )
        return [
            (int(row[0]), from_blob(row[1]), int(row[3]), stored_datetime(row[2]), stored_datetime(row[4]))
            for row in rows
        ]

    def story_members(self, story_ids: Sequence[int]) -> dict[int, list[tuple[str, str | None, int]]]:
        """Each story's items as (title, language as stored: None when unknown, the feed it was first
        stored from): what grouping new items against the story reads of it, in one query."""
        out: dict[int, list[tuple[str, str | None, int]]] = {}
        for chunk in _chunks(list(story_ids), 500):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"""SELECT si.story_id, i.title, i.lang, i.feed_id FROM story_items si JOIN items i ON i.id = si.item_id
                    WHERE si.story_id IN ({marks})""",
                chunk,
            )
            for story_id, title, lang, feed_id in rows:
                out.setdefault(int(story_id), []).append((str(title or ""), lang, int(feed_id)))
        return out

    def item_feeds(self, item_ids: Sequence[int]) -> dict[int, int]:
        """The feed each item was first stored from."""
        out: dict[int, int] = {}
        for chunk in _chunks(list(item_ids), 500):
            marks = ",".join("?" * len(chunk))
            for item_id, feed_id in self.conn.execute(f"SELECT id, feed_id FROM items WHERE id IN ({marks})", chunk):
                out[int(item_id)] = int(feed_id)
        return out

    def add_to_story(
        self,
        story_id: int | None,
        item_ids: Sequence[int],
        centroid: NDArray[np.floating],
        first_at: datetime,
        last_at: datetime,
    ) -> int:
        """Create a story (``story_id`` None) or extend one; returns its id. Inside a transaction."""
        if story_id is None:
            cursor = self.conn.execute(
                "INSERT INTO stories (first_at, last_at, lead_item_id, centroid) VALUES (?, ?, ?, ?)",
                (iso(first_at), iso(last_at), item_ids[0], to_blob(centroid)),
            )
            story_id = int(cursor.lastrowid or 0)
        else:
            self.conn.execute(
                """UPDATE stories SET first_at = MIN(first_at, ?), last_at = MAX(last_at, ?), centroid = ?
                   WHERE id = ?""",
                (iso(first_at), iso(last_at), to_blob(centroid), story_id),
            )
        self.conn.executemany(
            "INSERT INTO story_items (item_id, story_id) VALUES (?, ?)", [(i, story_id) for i in item_ids]
        )
        return story_id

    # -------------------------------------------------------------------------------------- weeks

    def story_weeks(self) -> dict[str, str]:
        """Every ISO week that has grouped items, with a signature of its stories (ids and item counts).

        The database counts each story's items per UTC day (dates are stored as UTC ISO text, so a day is
        its first ten characters); only the few hundred distinct days are turned into weeks here, one
        week's story ids held at a time. The signature is the sorted story id of every item of the week."""
        rows = self.conn.execute(
            """SELECT substr(i.published_at, 1, 10), si.story_id, COUNT(*) FROM story_items si
               JOIN items i ON i.id = si.item_id
               GROUP BY substr(i.published_at, 1, 10), si.story_id ORDER BY 1, 2"""
        )
        out: dict[str, str] = {}
        week_of: dict[str, str] = {}
        current, ids = "", list[int]()  # the days come in order: a week's days are consecutive
        for day, story_id, count in rows:
            week = week_of.get(day) or week_of.setdefault(day, iso_week(date.fromisoformat(day)))
            if week != current:
                if ids:
                    out[current] = _week_signature(ids)
                current, ids = week, []
            ids.extend([int(story_id)] * int(count))
        if ids:
            out[current] = _week_signature(ids)
        return out

    def processed_weeks(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self.conn.execute("SELECT week, signature FROM processed_weeks")}

    def window_stories(self, start: datetime, end: datetime) -> list[WindowStory]:
        """The stories with items published in [start, end), with their items and feeds per week."""
        rows = self.conn.execute(
            """SELECT s.id, i.published_at, sg.feed_id, i.id
               FROM stories s
               JOIN story_items si ON si.story_id = s.id
               JOIN items i ON i.id = si.item_id AND i.published_at >= ? AND i.published_at < ?
               JOIN sightings sg ON sg.item_id = i.id
               ORDER BY s.id""",
            (iso(start), iso(end)),
        ).fetchall()
        weeks: dict[int, dict[str, set[int]]] = {}
        feeds: dict[int, dict[str, set[int]]] = {}
        for story_id, published, feed_id, item_id in rows:
            week = iso_week(stored_datetime(published))
            weeks.setdefault(story_id, {}).setdefault(week, set()).add(int(item_id))
            feeds.setdefault(story_id, {}).setdefault(week, set()).add(int(feed_id))
        if not weeks:
            return []
        details: dict[int, tuple[bytes, str]] = {}
        for chunk in _chunks(sorted(weeks), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"""SELECT s.id, s.centroid, lead.title, lead.summary FROM stories s
                    JOIN items lead ON lead.id = s.lead_item_id WHERE s.id IN ({marks})""",
                chunk,
            ):
                details[int(row[0])] = (row[1], f"{row[2]}. {str(row[3])[:300]}")
        return [
            WindowStory(
                id=story_id,
                centroid=from_blob(details[story_id][0]),
                weeks={week: len(ids) for week, ids in weeks[story_id].items()},
                feeds={week: frozenset(ids) for week, ids in feeds[story_id].items()},
                text=details[story_id][1],
            )
            for story_id in sorted(weeks)
            if story_id in details
        ]

    def format_profiles(self, story_ids: Sequence[int]) -> NDArray[np.float32]:
        """One row per story: the mean format scores of its items, one column per learning format
        (``other`` left out, so a story with no format has a zero row)."""
        scores: dict[int, dict[str, float]] = {}
        counts: dict[int, int] = {}
        for chunk in _chunks(list(story_ids), 900):
            marks = ",".join("?" * len(chunk))
            for story_id, n in self.conn.execute(
                f"SELECT story_id, COUNT(*) FROM story_items WHERE story_id IN ({marks}) GROUP BY story_id", chunk
            ):
                counts[int(story_id)] = int(n)
            for story_id, fmt, score in self.conn.execute(
                f"""SELECT si.story_id, f.format, SUM(f.score) FROM story_items si
                    JOIN item_formats f ON f.item_id = si.item_id
                    WHERE si.story_id IN ({marks}) AND f.format != 'other' GROUP BY si.story_id, f.format""",
                chunk,
            ):
                scores.setdefault(int(story_id), {})[str(fmt)] = float(score)
        keys = sorted({fmt for row in scores.values() for fmt in row})
        profiles = np.zeros((len(story_ids), len(keys)), dtype=np.float32)
        for row, story_id in enumerate(story_ids):
            for fmt, total in scores.get(story_id, {}).items():
                profiles[row, keys.index(fmt)] = total / max(counts.get(story_id, 1), 1)
        return profiles

    def week_story_vectors(
        self, start: datetime, end: datetime, *, chunk: int = 900
    ) -> Iterable[tuple[list[str], NDArray[np.float32]]]:
        """The stories with items published in [start, end), as chunks of (ISO week of each row, centroids):
        a story with items in two weeks gives a row for each. Chunked, so memory follows ``chunk``."""
        pairs = sorted(
            {
                (int(story_id), iso_week(stored_datetime(published)))
                for story_id, published in self.conn.execute(
                    """SELECT si.story_id, i.published_at FROM story_items si
                       JOIN items i ON i.id = si.item_id AND i.published_at >= ? AND i.published_at < ?""",
                    (iso(start), iso(end)),
                )
            }
        )
        for begin in range(0, len(pairs), chunk):
            part = pairs[begin : begin + chunk]
            ids = sorted({story_id for story_id, _ in part})
            marks = ",".join("?" * len(ids))
            vectors = {
                int(row[0]): from_blob(row[1])
                for row in self.conn.execute(
                    f"SELECT id, centroid FROM stories WHERE id IN ({marks}) AND centroid IS NOT NULL", ids
                )
            }
            kept = [(story_id, week) for story_id, week in part if story_id in vectors]
            if kept:
                yield [week for _, week in kept], np.vstack([vectors[story_id] for story_id, _ in kept])

    def theme_refs(self, before_week: str, weeks: int) -> list[tuple[int, NDArray[np.float32], str]]:
        """(id, centroid, last week seen) of the themes seen in the ``weeks`` weeks before ``before_week``."""
        rows = self.conn.execute(
            """SELECT tw.theme_id, tw.centroid, tw.week FROM theme_weeks tw
               WHERE tw.week < ? AND tw.week >= ? AND tw.stories > 0 AND tw.centroid IS NOT NULL
               AND tw.week = (SELECT MAX(x.week) FROM theme_weeks x
                              WHERE x.theme_id = tw.theme_id AND x.week < ? AND x.stories > 0)""",
            (before_week, shift_week(before_week, -weeks), before_week),
        )
        return [(int(row[0]), from_blob(row[1]), str(row[2])) for row in rows]

    def earlier_centroids(self, before_week: str) -> NDArray[np.float32]:
        """The latest centroid of every theme seen before ``before_week`` (novelty of new themes)."""
        rows = self.conn.execute(
            """SELECT tw.centroid FROM theme_weeks tw WHERE tw.week < ? AND tw.centroid IS NOT NULL
               AND tw.week = (SELECT MAX(x.week) FROM theme_weeks x WHERE x.theme_id = tw.theme_id AND x.week < ?)""",
            (before_week, before_week),
        ).fetchall()
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([from_blob(row[0]) for row in rows])

    def theme_history(self, theme_ids: Sequence[int], first_week: str, before_week: str) -> dict[int, list[tuple]]:
        """Per theme, its (week, stories, items, sources, top_source) rows in [first_week, before_week)."""
        history: dict[int, list[tuple]] = {theme_id: [] for theme_id in theme_ids}
        for chunk in _chunks(list(theme_ids), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"""SELECT theme_id, week, stories, items, sources, top_source FROM theme_weeks
                    WHERE theme_id IN ({marks}) AND week >= ? AND week < ? ORDER BY week""",
                (*chunk, first_week, before_week),
            ):
                history[int(row[0])].append(tuple(row[1:]))
        return history

    def held_stories(self, story_ids: Sequence[int], first_week: str, before_week: str) -> dict[int, int]:
        """Story id -> the theme that held it in its latest week in [first_week, before_week)."""
        held: dict[int, tuple[str, int]] = {}
        for chunk in _chunks(list(story_ids), 900):
            marks = ",".join("?" * len(chunk))
            for story_id, week, theme_id in self.conn.execute(
                f"""SELECT story_id, week, theme_id FROM story_themes
                    WHERE story_id IN ({marks}) AND week >= ? AND week < ?""",
                (*chunk, first_week, before_week),
            ):
                if story_id not in held or week > held[story_id][0]:
                    held[int(story_id)] = (str(week), int(theme_id))
        return {story_id: theme_id for story_id, (_, theme_id) in held.items()}

    def first_seen(self, theme_ids: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for chunk in _chunks(list(theme_ids), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"SELECT id, first_week FROM themes WHERE id IN ({marks})", chunk):
                out[int(row[0])] = str(row[1])
        return out

    def story_texts(self, start: datetime, end: datetime) -> list[tuple[int, str, frozenset[int], str]]:
        """(story id, ISO week, feeds that week, lead title and summary start) of the stories with items
        published in [start, end): one row per story and week (what ``core.signals`` counts)."""
        weeks: dict[tuple[int, str], set[int]] = {}
        for story_id, published, feed_id in self.conn.execute(
            """SELECT si.story_id, i.published_at, sg.feed_id FROM story_items si
               JOIN items i ON i.id = si.item_id AND i.published_at >= ? AND i.published_at < ?
               JOIN sightings sg ON sg.item_id = i.id""",
            (iso(start), iso(end)),
        ):
            weeks.setdefault((int(story_id), iso_week(stored_datetime(published))), set()).add(int(feed_id))
        texts: dict[int, str] = {}
        for chunk in _chunks(sorted({story_id for story_id, _ in weeks}), 900):
            marks = ",".join("?" * len(chunk))
            for story_id, title, summary in self.conn.execute(
                f"""SELECT s.id, lead.title, lead.summary FROM stories s
                    JOIN items lead ON lead.id = s.lead_item_id WHERE s.id IN ({marks})""",
                chunk,
            ):
                texts[int(story_id)] = f"{title}. {str(summary)[:300]}"
        return [
            (story_id, week, frozenset(feeds), texts[story_id])
            for (story_id, week), feeds in sorted(weeks.items())
            if story_id in texts
        ]

    def save_signals(self, week: str, signals: Iterable[tuple[str, Sequence[int], int, dict[str, Any]]]) -> None:
        """Store a week's signals: (label, story ids, sources, reason) each."""
        for label, story_ids, sources, reason in signals:
            self.conn.execute(
                "INSERT INTO signals (week, label, stories, sources, reason) VALUES (?, ?, ?, ?, ?)",
                (week, label, len(story_ids), sources, json.dumps(reason, sort_keys=True)),
            )
            self.conn.executemany(
                "INSERT INTO signal_stories (week, label, story_id) VALUES (?, ?, ?)",
                [(week, label, story_id) for story_id in story_ids],
            )

    def clear_week(self, week: str) -> None:
        """Forget a week's themes before it is clustered again (themes born that week go with it)."""
        self.conn.execute("DELETE FROM signal_stories WHERE week = ?", (week,))
        self.conn.execute("DELETE FROM signals WHERE week = ?", (week,))
        self.conn.execute("DELETE FROM story_themes WHERE week = ?", (week,))
        self.conn.execute("DELETE FROM theme_weeks WHERE week = ?", (week,))
        self.conn.execute(
            "DELETE FROM themes WHERE first_week >= ? AND id NOT IN (SELECT theme_id FROM theme_weeks)", (week,)
        )

    def new_theme(self, week: str, label: str, centroid: NDArray[np.floating]) -> int:
        cursor = self.conn.execute(
            "INSERT INTO themes (first_week, last_week, label, centroid) VALUES (?, ?, ?, ?)",
            (week, week, label, to_blob(centroid)),
        )
        return int(cursor.lastrowid or 0)

    def save_theme_week(
        self,
        theme_id: int,
        week: str,
        *,
        stories: Sequence[int],
        items: int,
        sources: int,
        top_source: int,
        keywords: Sequence[str],
        status: str,
        weak_signal: bool,
        reason: dict[str, object],
        centroid: NDArray[np.floating] | None,
        titles: Mapping[str, str] | None = None,
    ) -> None:
        titles = titles or {}
        self.conn.execute(
            """INSERT INTO theme_weeks (theme_id, week, stories, items, sources, top_source, keywords, status,
                                        weak_signal, reason, centroid, title_fr, title_en)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                theme_id,
                week,
                len(stories),
                items,
                sources,
                top_source,
                json.dumps(list(keywords), ensure_ascii=False),
                status,
                int(weak_signal),
                json.dumps(reason, ensure_ascii=False),
                None if centroid is None else to_blob(centroid),
                titles.get("fr", ""),
                titles.get("en", ""),
            ),
        )
        self.conn.executemany(
            "INSERT INTO story_themes (story_id, week, theme_id) VALUES (?, ?, ?)",
            [(story_id, week, theme_id) for story_id in stories],
        )
        if stories and centroid is not None:
            label = ", ".join(keywords[:4])
            self.conn.execute(
                """UPDATE themes SET last_week = MAX(last_week, ?), centroid = ?,
                   label = CASE WHEN ? >= last_week AND ? != '' THEN ? ELSE label END WHERE id = ?""",
                (week, to_blob(centroid), week, label, label, theme_id),
            )

    def story_items(self, story_ids: Sequence[int], start: datetime, end: datetime) -> dict[int, list[ItemText]]:
        """The items of each story published in [start, end), oldest first (what a theme's title is made of)."""
        out: dict[int, list[ItemText]] = {}
        for chunk in _chunks(list(story_ids), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"""SELECT si.story_id, i.id, i.title, i.summary, i.content_hash, i.lang, i.published_at
                    FROM story_items si JOIN items i ON i.id = si.item_id
                    WHERE si.story_id IN ({marks}) AND i.published_at >= ? AND i.published_at < ?
                    ORDER BY i.published_at, i.id""",
                (*chunk, iso(start), iso(end)),
            ):
                out.setdefault(int(row[0]), []).append(_item_text(row[1:]))
        return out

    def latest_titles(self, theme_ids: Sequence[int], before_week: str) -> dict[int, dict[str, str]]:
        """Each theme's titles in its latest titled week before ``before_week`` (a fading theme keeps its name)."""
        out: dict[int, dict[str, str]] = {}
        for chunk in _chunks(list(theme_ids), 900):
            marks = ",".join("?" * len(chunk))
            for theme_id, _week, fr, en in self.conn.execute(
                f"""SELECT theme_id, week, title_fr, title_en FROM theme_weeks
                    WHERE theme_id IN ({marks}) AND week < ? AND (title_fr != '' OR title_en != '')
                    ORDER BY theme_id, week""",
                (*chunk, before_week),
            ):
                out[int(theme_id)] = {"fr": str(fr), "en": str(en)}
        return out

    def mark_processed(self, week: str, signature: str, now: datetime) -> None:
        self.conn.execute(
            """INSERT INTO processed_weeks (week, signature, at) VALUES (?, ?, ?)
               ON CONFLICT (week) DO UPDATE SET signature = excluded.signature, at = excluded.at""",
            (week, signature, iso(now)),
        )

    def week_themes(self, week: str) -> list[dict[str, Any]]:
        """The themes of a week for ``veille themes``: status, reason, keywords, counts."""
        rows = self.conn.execute(
            """SELECT tw.theme_id, t.label, t.first_week, tw.stories, tw.items, tw.sources, tw.keywords,
                      tw.status, tw.weak_signal, tw.reason, tw.title_fr, tw.title_en
               FROM theme_weeks tw JOIN themes t ON t.id = tw.theme_id WHERE tw.week = ?
               ORDER BY CASE tw.status WHEN 'rising' THEN 0 WHEN 'new' THEN 1 WHEN 'steady' THEN 2 ELSE 3 END,
                        tw.stories DESC, tw.theme_id""",
            (week,),
        )
        return [
            {
                "theme": int(row[0]),
                "label": row[1],
                "first_week": row[2],
                "stories": int(row[3]),
                "items": int(row[4]),
                "sources": int(row[5]),
                "keywords": json.loads(row[6]),
                "status": row[7],
                "weak_signal": bool(row[8]),
                "reason": json.loads(row[9]),
                "titles": {"fr": row[10], "en": row[11]},
            }
            for row in rows
        ]


# ------------------------------------------------------------------------------- the week's essentials


@dataclass(frozen=True)
class SentenceSource:
    """One item whose sentences may speak for a theme, a story or a format of the week."""

    item_id: int
    story_id: int
    title: str
    summary: str  # clean text


@dataclass(frozen=True)
class SentenceCandidate:
    kind: str  # theme | story | format
    ref: str
    items: tuple[SentenceSource, ...]


def _sentence_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class SentenceStore:
    """What ``veille process`` reads and writes to choose each week's central sentences."""

    # At most (6 + 3) x 6 + 8 x 3 = 78 items of 3 sentences each are embedded per week, whatever its size:
    # enough candidates for the digest's 3 to 5 lines.
    THEMES = 6  # new or rising themes per week
    STORIES = 8  # most covered stories per week
    FORMATS = 3  # formats on the move per week
    LEADS = 6  # stories whose lead item speaks for a theme or a format
    STORY_ITEMS = 3  # items of one story

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    def weeks_to_do(self) -> dict[str, str]:
        """Clustered weeks whose sentences are missing or were chosen from another clustering."""
        return {
            row[0]: row[1]
            for row in self.conn.execute(
                """SELECT p.week, p.signature FROM processed_weeks p
                   LEFT JOIN sentence_weeks s ON s.week = p.week
                   WHERE s.signature IS NULL OR s.signature != p.signature ORDER BY p.week"""
            )
        }

    def candidates(
        self, week: str, rising_formats: Sequence[str], *, min_story_sources: int
    ) -> list[SentenceCandidate]:
        start, end = (iso(moment) or "" for moment in week_bounds(week))
        out: list[SentenceCandidate] = []
        sources = self._story_sources(start, end)
        themes = self.conn.execute(
            """SELECT theme_id FROM theme_weeks WHERE week = ? AND status IN ('new', 'rising') AND sources >= 2
               ORDER BY stories DESC, sources DESC, theme_id LIMIT ?""",
            (week, self.THEMES),
        ).fetchall()
        for (theme_id,) in themes:
            members = [
                row[0]
                for row in self.conn.execute(
                    "SELECT story_id FROM story_themes WHERE week = ? AND theme_id = ?", (week, theme_id)
                )
            ]
            out.append(SentenceCandidate("theme", str(theme_id), self._leads(self._top(members, sources))))
        covered = sorted(
            (sid for sid, n in sources.items() if n >= min_story_sources), key=lambda sid: (-sources[sid], -sid)
        )[: self.STORIES]
        for story_id in covered:
            out.append(SentenceCandidate("story", str(story_id), self._story_items(story_id)))
        for fmt in list(rising_formats)[: self.FORMATS]:
            # the format's stories of the week; those whose strongest tag it is speak for it when there are any
            rows = self.conn.execute(
                """SELECT si.story_id, MAX(CASE WHEN f.format = ? THEN f.score END), MAX(f.score)
                   FROM stories s JOIN story_items si ON si.story_id = s.id
                   JOIN item_formats f ON f.item_id = si.item_id
                   WHERE s.first_at >= ? AND s.first_at < ? GROUP BY si.story_id""",
                (fmt, start, end),
            ).fetchall()
            members = [int(r[0]) for r in rows if r[1] is not None]
            primary = [int(r[0]) for r in rows if r[1] is not None and r[1] >= r[2]]
            out.append(SentenceCandidate("format", fmt, self._leads(self._top(primary or members, sources))))
        return [c for c in out if c.items]

    def _story_sources(self, start: str, end: str) -> dict[int, int]:
        """Distinct feeds of every story active during the week (as the digest counts a story's sources)."""
        rows = self.conn.execute(
            f"""SELECT story_id, COUNT(DISTINCT feed_id) FROM (
                   SELECT si.story_id, sg.feed_id FROM stories s JOIN story_items si ON si.story_id = s.id
                   JOIN sightings sg ON sg.item_id = si.item_id WHERE {ACTIVE_STORIES}
                   UNION SELECT si.story_id, i.feed_id FROM stories s JOIN story_items si ON si.story_id = s.id
                   JOIN items i ON i.id = si.item_id WHERE {ACTIVE_STORIES}) AS story_feeds
               GROUP BY story_id""",
            active_span(start, end),
        )
        return {int(row[0]): int(row[1]) for row in rows}

    def _top(self, story_ids: Sequence[int], sources: dict[int, int]) -> list[int]:
        return sorted(story_ids, key=lambda sid: (-sources.get(sid, 0), -sid))[: self.LEADS]

    def _leads(self, story_ids: Sequence[int]) -> tuple[SentenceSource, ...]:
        found: dict[int, SentenceSource] = {}
        for chunk in _chunks(list(story_ids), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"""SELECT i.id, s.id, i.title, i.summary FROM stories s
                    JOIN items i ON i.id = COALESCE(
                        s.lead_item_id, (SELECT MIN(si.item_id) FROM story_items si WHERE si.story_id = s.id))
                    WHERE s.id IN ({marks})""",
                chunk,
            ):
                found[int(row[1])] = SentenceSource(int(row[0]), int(row[1]), row[2], row[3])
        return tuple(found[sid] for sid in story_ids if sid in found)

    def _story_items(self, story_id: int) -> tuple[SentenceSource, ...]:
        rows = self.conn.execute(
            """SELECT i.id, si.story_id, i.title, i.summary FROM story_items si JOIN items i ON i.id = si.item_id
               JOIN stories s ON s.id = si.story_id WHERE si.story_id = ?
               ORDER BY i.id = s.lead_item_id DESC, i.published_at, i.id LIMIT ?""",
            (story_id, self.STORY_ITEMS),
        )
        return tuple(SentenceSource(int(r[0]), int(r[1]), r[2], r[3]) for r in rows)

    KEEP_WEEKS = 8  # sentence vectors of candidates older than this, before the newest week, are pruned

    def cached_vectors(self, model: str, texts: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The stored vectors of those of ``texts`` that were candidates before, by text."""
        keys = {_sentence_key(text): text for text in texts}
        found: dict[str, NDArray[np.float32]] = {}
        names = list(keys)
        for start in range(0, len(names), 900):
            chunk = names[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for key, blob in self.conn.execute(
                f"SELECT key, vector FROM sentence_vectors WHERE model = ? AND key IN ({marks})", [model, *chunk]
            ):
                found[keys[key]] = from_blob(blob)
        return found

    def save_vectors(self, model: str, week: str, vectors: dict[str, NDArray[np.float32]]) -> None:
        """Keep the week's candidate sentence vectors, and prune those no recent week used."""
        with self.store.transaction() as conn:
            conn.executemany(
                """INSERT INTO sentence_vectors (model, key, week, vector) VALUES (?, ?, ?, ?)
                   ON CONFLICT (model, key) DO UPDATE SET week = CASE
                       WHEN excluded.week > sentence_vectors.week THEN excluded.week ELSE sentence_vectors.week END""",
                [(model, _sentence_key(text), week, to_blob(vector)) for text, vector in vectors.items()],
            )
            newest = conn.execute("SELECT MAX(week) FROM sentence_vectors").fetchone()[0]
            if newest:
                conn.execute("DELETE FROM sentence_vectors WHERE week < ?", (shift_week(newest, -self.KEEP_WEEKS),))

    def save_week(
        self,
        week: str,
        signature: str | None,
        chosen: Iterable[tuple[str, str, int, SentenceSource, str, float, NDArray[np.float32]]],
    ) -> None:
        """Replace the week's sentences (kind, ref, rank, source, text, score, vector) in one transaction."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM central_sentences WHERE week = ?", (week,))
            conn.executemany(
                """INSERT INTO central_sentences (week, kind, ref, rank, item_id, story_id, text, score, vector)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (week, kind, ref, rank, src.item_id, src.story_id, text, score, to_blob(vector))
                    for kind, ref, rank, src, text, score, vector in chosen
                ],
            )
            if signature is not None:
                conn.execute(
                    """INSERT INTO sentence_weeks (week, signature) VALUES (?, ?)
                       ON CONFLICT (week) DO UPDATE SET signature = excluded.signature""",
                    (week, signature),
                )
