"""The site's SQL: everything the static site shows, read in a handful of set-based queries.

One query per table (no query per story or per feed), so 50,000 items load in about a second. Items
that ``veille process`` has not grouped yet are shown as stories of their own (key ``i<item id>``),
so the site is useful right after the first ``veille fetch``.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from veille.adapters.article_store import feed_article_counts
from veille.adapters.digest_store import stored_numbers
from veille.adapters.radar_store import RadarRecords, load_radar
from veille.adapters.storage.base import Connection
from veille.adapters.store import Store, from_iso, json_list, stored_datetime
from veille.core.radar import radar_span
from veille.core.site import (
    BriefRecord,
    CopyRecord,
    DigestRecord,
    FeedEventRecord,
    FeedRecord,
    SiteRecords,
    SiteSignal,
    SiteStory,
    SiteTheme,
    ThemeWeekRecord,
)
from veille.core.site.common import KEPT_STORIES, Recent, StoryRef, story_ref
from veille.errors import StorageError

EVENTS_PER_FEED = 50  # problems listed on a source's page, newest first
_PROBLEMS = ("error", "moved", "gone", "stale")


def load_site(
    store: Store,
    *,
    archived: frozenset[str] = frozenset(),
    radar_week: str | None = None,
    kept: Path | None = None,
    stamp: str = "",
) -> SiteRecords:
    """What ``core.site.build_site_view`` needs. ``archived``: weeks whose digest HTML the caller found
    on disk (the database only knows the path). ``radar_week``: the week the formats page's radar scores;
    only the weeks it reads are loaded for it (``core.radar.radar_span``; None: every week).

    ``kept``: a file where the stories' references (``core.site.StoryRef``) are kept from one build to the
    next, bucket by bucket, with the token each bucket had (``schema.SITE_CHANGES``; SQLite only). Only the
    buckets whose token changed are read again; the records of the others are read when a page computed
    again asks for them. ``stamp``: veille's code, which the references are computed by."""
    sqlite = kept is not None and store.backend == "sqlite"
    records = _load(store.conn, archived, stories=not sqlite)
    if sqlite and kept is not None:
        records = replace(records, index=_kept_index(store.conn, kept, stamp))
    radar = load_radar(store, *radar_span(radar_week)) if radar_week else load_radar(store)
    return replace(records, radar=radar.stories, first_week=radar.first_week)


_KEPT_FORMAT = "veille-site-stories-2"


class KeptStories:
    """``core.site.StoryIndex`` of a SQLite store: every story's reference, and the records read when a page
    asks for them (a page's at once), the last ``KEPT_STORIES`` of them kept."""

    def __init__(self, conn: Connection, refs: Sequence[StoryRef], records: Iterable[SiteStory]) -> None:
        self._conn = conn
        self.refs = refs
        self._known = frozenset(ref.key for ref in refs)
        self._records: Recent[str, SiteStory] = Recent(KEPT_STORIES)
        for record in records:
            self._records[record.key] = record

    def records(self, keys: Iterable[str]) -> Mapping[str, SiteStory]:
        found: dict[str, SiteStory] = {}
        missing = []
        for key in keys:
            record = self._records.get(key)
            if record is not None:
                found[key] = record
            elif key in self._known:
                missing.append(key)
        if missing:
            read, _ = _read_stories(self._conn, _Only.keys(self._conn, missing))
            for record in read:
                found[record.key] = self._records[record.key] = record
        return found


#: Buckets read at once when the references are computed again (a day has two: its stories, its items not
#: grouped yet): two to four weeks. A build's memory follows this, not the history.
BUCKETS_PER_READ = 28


def _kept_index(conn: Connection, path: Path, stamp: str) -> KeptStories:
    """Every story's reference: those of the buckets whose token did not change as kept, the others
    computed again from their records, read ``BUCKETS_PER_READ`` buckets at a time, oldest first (the newest
    records stay in the index for the pages that ask for them)."""
    tokens = {bucket: bytes(token) for bucket, token in conn.execute("SELECT bucket, token FROM site_changes")}
    kept = _read_kept(path, stamp)
    clean = {bucket: rows for bucket, (token, rows) in kept.items() if tokens.get(bucket) == token}
    dirty = set(tokens) - set(clean)
    if not clean:  # nothing kept: every day with stories, a day no trigger gave a token too (then not kept)
        dirty |= _days(conn)
    refs: list[StoryRef] = []
    written: dict[str, bytes] = {}
    last: Recent[str, SiteStory] = Recent(KEPT_STORIES)
    pool: dict[Any, Any] = {}
    order = sorted(dirty, key=lambda bucket: (bucket[1:], bucket))
    for begin in range(0, len(order), BUCKETS_PER_READ):
        part = order[begin : begin + BUCKETS_PER_READ]
        records, buckets = _read_stories(conn, _Only.buckets(conn, part))
        fresh: dict[str, list[StoryRef]] = {bucket: [] for bucket in part}
        for ref, record in zip(_shared([story_ref(record) for record in records], pool), records, strict=True):
            refs.append(ref)
            fresh.setdefault(buckets[record.key], []).append(ref)
            last[record.key] = record
        written.update((bucket, marshal.dumps([tuple(ref) for ref in refs_of])) for bucket, refs_of in fresh.items())
    if dirty and set(written) <= set(tokens):  # a bucket without a token (no trigger wrote it): not kept
        _write_kept(path, stamp, {bucket: (tokens[bucket], rows) for bucket, rows in {**clean, **written}.items()})
    del written
    refs.extend(_shared((row for rows in clean.values() for row in marshal.loads(rows)), pool))
    return KeptStories(conn, refs, last.values())


def _shared(rows: Iterable[Sequence[Any]], pool: dict[Any, Any]) -> Iterator[StoryRef]:
    """Each row (a reference, or its fields as they were kept) a ``StoryRef`` again, its parts shared with
    the others' where equal (weeks, formats, themes, feeds, sightings: stories of a week and a theme
    repeat them): about 600 bytes a reference instead of 1,050, for a few percent more time."""
    one, make = pool.setdefault, tuple.__new__
    for key, week, first_at, digest, formats, primary, themes, feeds, sightings, in_digest in rows:
        yield make(
            StoryRef,
            (key, one(week, week), first_at, digest, one(formats, formats), one(primary, primary),
             one(themes, themes), one(feeds, feeds), one(sightings, sightings), in_digest),
        )  # fmt: skip


def _days(conn: Connection) -> set[str]:
    """The bucket of every day that has stories or items not grouped yet (``schema.SITE_CHANGES``)."""
    stories = conn.execute("SELECT DISTINCT 's' || substr(first_at, 1, 10) FROM stories")
    items = conn.execute(
        "SELECT DISTINCT 'i' || substr(published_at, 1, 10) FROM items"
        " WHERE NOT EXISTS (SELECT 1 FROM story_items si WHERE si.item_id = items.id)"
    )
    return {row[0] for row in stories} | {row[0] for row in items}


def _read_kept(path: Path, stamp: str) -> dict[str, tuple[bytes, bytes]]:
    """What the last build kept, ``{bucket: (token, its references marshalled)}``: {} when nothing was
    kept, or by another veille."""
    try:
        content = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(content, tuple) or len(content) != 3 or content[:2] != (_KEPT_FORMAT, stamp):
        return {}
    return content[2]


def _write_kept(path: Path, stamp: str, buckets: Mapping[str, tuple[bytes, bytes]]) -> None:
    """Written whole, atomically; a folder that cannot be written only costs the next build its speed."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(marshal.dumps((_KEPT_FORMAT, stamp, dict(buckets))))
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)


# What the change marker reads: every table the site shows, each by a cheap aggregate (counts and largest
# ids use the primary keys; the small tables are read whole). Every write path of veille moves one of them:
# a fetch always adds a feed event (and its item updates ride along), grouping adds story items, a
# reclassification rewrites ``classified``'s signatures, processing a week stamps ``processed_weeks``,
# building a digest stamps ``digests``.
_MARKER_QUERIES = (
    "SELECT COUNT(*), MAX(id) FROM feed_events",
    "SELECT COUNT(*), MAX(id) FROM items",
    "SELECT COUNT(*) FROM sightings",
    "SELECT COUNT(*), MAX(id) FROM stories",
    "SELECT COUNT(*) FROM story_items",
    # a re-tag that changes what the site shows moves one of these sums (tags, scores, evidence); one that
    # only changes the tagger's signature changes no page. Never one row per item: this runs every day.
    "SELECT format, COUNT(*), SUM(item_id), SUM(score), SUM(LENGTH(evidence)) FROM item_formats"
    " GROUP BY format ORDER BY format",
    "SELECT COUNT(*) FROM classified",
    "SELECT audience, COUNT(*), SUM(item_id) FROM item_audiences GROUP BY audience ORDER BY audience",
    "SELECT COUNT(*), MAX(id) FROM themes",
    "SELECT COUNT(*) FROM theme_weeks",
    "SELECT COUNT(*) FROM story_themes",
    "SELECT week, signature, at FROM processed_weeks ORDER BY week",
    "SELECT week, built_at, html_path FROM digests ORDER BY week",
    "SELECT COUNT(*) FROM digest_stories",
    "SELECT COUNT(*) FROM digest_brief",
    "SELECT COUNT(*) FROM signals",
    "SELECT COUNT(*) FROM signal_stories",
    "SELECT * FROM feeds ORDER BY id",
    # the sources page counts article pages by state: a page read, failed or given up moves these
    "SELECT status, retry_after IS NOT NULL, COUNT(*) FROM articles GROUP BY status, retry_after IS NOT NULL"
    " ORDER BY status, retry_after IS NOT NULL",
    "SELECT COUNT(*) FROM item_articles",
)


def change_marker(store: Store) -> str:
    """A short fingerprint of everything the site shows, read without loading the history (milliseconds
    at 100,000 items): equal markers mean the database gives the same site. Engine-neutral SQL, so
    SQLite and PostgreSQL answer it alike (what a marker is made of is not comparable across engines)."""
    digest = hashlib.sha256(store.backend.encode())
    for sql in _MARKER_QUERIES:
        for row in store.conn.execute(sql):
            digest.update(repr(tuple(_plain(value) for value in row)).encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def _plain(value: object) -> object:
    """A column value as text the same on every run (bytes and dates by their text, numbers as numbers)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()
    return value if value is None or isinstance(value, int | float | str) else str(value)


def digest_paths(store: Store) -> dict[str, str]:
    """``{week: html_path}`` of every recorded digest."""
    return {row[0]: row[1] for row in store.conn.execute("SELECT week, html_path FROM digests")}


def _load(conn: Connection, archived: frozenset[str], *, stories: bool = True) -> SiteRecords:
    return SiteRecords(
        feeds=_feeds(conn),
        stories=_stories(conn) if stories else (),
        themes=_themes(conn),
        digests=_digests(conn, archived),
        watch_start=_watch_start(conn),
        term_signals=_term_signals(conn),
    )


def _term_signals(conn: Connection) -> tuple[SiteSignal, ...]:
    """Every week's emerging signals (``core.signals``), strongest first, with the keys of their stories."""
    carried: dict[tuple[str, str], list[str]] = {}
    for week, label, story_id in conn.execute("SELECT week, label, story_id FROM signal_stories ORDER BY story_id"):
        carried.setdefault((week, label), []).append(f"s{story_id}")
    rows = [
        (week, label, stored_numbers(reason))
        for week, label, reason in conn.execute("SELECT week, label, reason FROM signals")
    ]
    rows.sort(key=lambda row: (row[0], -row[2].get("z", 0.0), row[1]))  # the order core.signals ranked them
    return tuple(
        SiteSignal(week=week, label=label, story_keys=tuple(carried.get((week, label), ())), reason=reason)
        for week, label, reason in rows
    )


def _digests(conn: Connection, archived: frozenset[str]) -> tuple[DigestRecord, ...]:
    brief: dict[str, list[BriefRecord]] = {}
    for row in conn.execute(
        "SELECT week, kind, ref, kind_label, label, sentence, reason, url FROM digest_brief ORDER BY week, rank"
    ):
        brief.setdefault(row[0], []).append(BriefRecord(*row[1:]))
    return tuple(
        DigestRecord(
            week=row[0],
            subject=row[1],
            built_at=stored_datetime(row[2]),
            archived=row[0] in archived,
            brief=tuple(brief.get(row[0], ())),
            language=row[3],
        )
        for row in conn.execute("SELECT week, subject, built_at, language FROM digests ORDER BY week")
    )


def _watch_start(conn: Connection) -> datetime | None:
    """When the watch began: the earliest feed added or item first fetched (not an item's own date: a
    feed's backlog can go back years)."""
    row = conn.execute(
        "SELECT MIN(at) FROM (SELECT MIN(added_at) AS at FROM feeds"
        " UNION ALL SELECT MIN(first_seen_at) FROM items) AS firsts"
    ).fetchone()
    return stored_datetime(row[0]) if row and row[0] else None


def _feeds(conn: Connection) -> tuple[FeedRecord, ...]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = conn.execute("SELECT feed_id, kind, COUNT(*) FROM feed_events GROUP BY feed_id, kind ORDER BY feed_id, kind")
    for feed_id, kind, count in rows:
        counts[feed_id][kind] = count
    events: dict[int, list[FeedEventRecord]] = defaultdict(list)
    marks = ",".join("?" * len(_PROBLEMS))
    for feed_id, at, kind, status, detail in conn.execute(
        f"""
        SELECT feed_id, at, kind, status, detail FROM (
            SELECT feed_id, at, kind, status, detail,
                   ROW_NUMBER() OVER (PARTITION BY feed_id ORDER BY at DESC, id DESC) AS n
            FROM feed_events WHERE kind IN ({marks})
        ) AS ranked WHERE n <= ? ORDER BY feed_id, n
        """,
        (*_PROBLEMS, EVENTS_PER_FEED),
    ):
        events[feed_id].append(FeedEventRecord(at=stored_datetime(at), kind=kind, status=status, detail=detail))
    articles = feed_article_counts(conn)
    feeds = []
    for row in conn.execute(
        """
        SELECT id, COALESCE(NULLIF(name, ''), NULLIF(title, ''), url) AS name, url, site_url, lang, status, stale,
               last_success_at, last_new_item_at, last_error, last_error_at, consecutive_failures, moved_from,
               moved_at
        FROM feeds ORDER BY id
        """
    ):
        feeds.append(
            FeedRecord(
                id=row["id"],
                name=row["name"],
                url=row["url"],
                site_url=row["site_url"],
                lang=row["lang"],
                status=row["status"],
                stale=bool(row["stale"]),
                last_success_at=from_iso(row["last_success_at"]),
                last_new_item_at=from_iso(row["last_new_item_at"]),
                last_error=row["last_error"],
                last_error_at=from_iso(row["last_error_at"]),
                consecutive_failures=row["consecutive_failures"],
                moved_from=row["moved_from"],
                moved_at=from_iso(row["moved_at"]),
                events=tuple(events.get(row["id"], ())),
                event_counts=dict(counts.get(row["id"], {})),
                articles=articles.get(row["id"]),
            )
        )
    return tuple(feeds)


def _stories(conn: Connection) -> tuple[SiteStory, ...]:
    """Every story's record."""
    return tuple(_read_stories(conn, None)[0])


class _Only:
    """Some stories ("s12") and items not grouped yet ("i34"), by id: each query then reads their rows only
    (SQLite's ``json_each`` holds the ids)."""

    def __init__(self, conn: Connection, story_ids: Sequence[int], item_ids: Sequence[int]) -> None:
        self.stories = json.dumps(list(story_ids))
        self.items = json.dumps(
            [row[0] for row in conn.execute(
                """SELECT item_id FROM story_items WHERE story_id IN (SELECT value FROM json_each(?))
                   UNION ALL
                   SELECT id FROM items WHERE id IN (SELECT value FROM json_each(?))
                   AND NOT EXISTS (SELECT 1 FROM story_items si WHERE si.item_id = items.id)""",
                (self.stories, json.dumps(list(item_ids))),
            )]
        )  # fmt: skip

    @classmethod
    def keys(cls, conn: Connection, keys: Iterable[str]) -> _Only:
        ids: dict[str, list[int]] = {"s": [], "i": []}
        for key in keys:
            ids[key[:1]].append(int(key[1:]))
        return cls(conn, ids["s"], ids["i"])

    @classmethod
    def buckets(cls, conn: Connection, buckets: Iterable[str]) -> _Only:
        """The stories of some buckets (``schema.SITE_CHANGES``)."""
        days: dict[str, list[str]] = {"s": [], "i": []}
        for bucket in buckets:
            days[bucket[:1]].append(bucket[1:])
        # a day's times sort between "2026-11-23" and "2026-11-23U" (after the "T"): each day is a range
        # of the dates' index
        stories = conn.execute(
            "SELECT s.id FROM json_each(?) AS d JOIN stories s"
            " ON s.first_at >= d.value AND s.first_at < d.value || 'U'",
            (json.dumps(days["s"]),),
        )
        items = conn.execute(
            "SELECT i.id FROM json_each(?) AS d JOIN items i"
            " ON i.published_at >= d.value AND i.published_at < d.value || 'U'",
            (json.dumps(days["i"]),),
        )
        return cls(conn, [row[0] for row in stories], [row[0] for row in items])


def _where(only: _Only | None, column: str, *, ids: str = "items", glue: str = "AND") -> tuple[str, tuple[str, ...]]:
    """The SQL that keeps ``only``'s rows (by ``column``, an item or story id), and its parameter."""
    if only is None:
        return "", ()
    return f" {glue} {column} IN (SELECT value FROM json_each(?))", (only.items if ids == "items" else only.stories,)


def _read_stories(conn: Connection, only: _Only | None) -> tuple[list[SiteStory], dict[str, str]]:
    """The records, and each one's bucket (``schema.SITE_CHANGES``). The key of a story is "s<id>"; an item
    outside every story is its own story "i<id>"."""
    copies: dict[str, dict[tuple[int, int], CopyRecord]] = defaultdict(dict)
    first, first_args = _where(only, "i.id", glue="WHERE")
    second, second_args = _where(only, "i.id")
    for story_id, item_id, feed_id, title, url, published in conn.execute(
        f"""
        SELECT si.story_id, i.id, sg.feed_id, i.title, i.url, sg.published_at
        FROM sightings sg JOIN items i ON i.id = sg.item_id
        LEFT JOIN story_items si ON si.item_id = i.id{first}
        UNION ALL
        SELECT si.story_id, i.id, i.feed_id, i.title, i.url, i.published_at
        FROM items i LEFT JOIN story_items si ON si.item_id = i.id
        WHERE NOT EXISTS (SELECT 1 FROM sightings sg WHERE sg.item_id = i.id AND sg.feed_id = i.feed_id){second}
        """,
        (*first_args, *second_args),
    ):
        key = f"s{story_id}" if story_id is not None else f"i{item_id}"
        copies[key].setdefault((feed_id, item_id), CopyRecord(feed_id, title, url, _moment(published)))

    formats: dict[str, list[tuple[str, float]]] = defaultdict(list)
    where, args = _where(only, "f.item_id", glue="WHERE")
    for story_id, item_id, fmt, score in conn.execute(
        f"""
        SELECT MIN(si.story_id), MIN(f.item_id), f.format, MAX(f.score)
        FROM item_formats f LEFT JOIN story_items si ON si.item_id = f.item_id{where}
        GROUP BY COALESCE(si.story_id, -f.item_id), f.format
        """,
        args,
    ):
        key = f"s{story_id}" if story_id is not None else f"i{item_id}"
        formats[key].append((fmt, float(score)))

    # what veille process classified and found about something else (no format): only those items are
    # read, a story of them with a format from another item keeps its formats (``story_formats``)
    classified: set[str] = set()
    where, args = _where(only, "c.item_id")
    for story_id, item_id in conn.execute(
        f"""SELECT si.story_id, c.item_id FROM classified c LEFT JOIN story_items si ON si.item_id = c.item_id
            WHERE NOT EXISTS (SELECT 1 FROM item_formats f WHERE f.item_id = c.item_id){where}""",
        args,
    ):
        classified.add(f"s{story_id}" if story_id is not None else f"i{item_id}")

    themes: dict[str, list[tuple[str, int]]] = defaultdict(list)
    where, args = _where(only, "story_id", ids="stories", glue="WHERE")
    rows = conn.execute(f"SELECT story_id, week, theme_id FROM story_themes{where} ORDER BY week, theme_id", args)
    for story_id, week, theme_id in rows:
        themes[f"s{story_id}"].append((week, theme_id))
    where, args = _where(only, "story_id", ids="stories", glue="WHERE")
    digest_week = {
        f"s{row[0]}": row[1] for row in conn.execute(f"SELECT story_id, week FROM digest_stories{where}", args)
    }
    audiences: dict[str, set[str]] = defaultdict(set)
    where, args = _where(only, "a.item_id")
    for story_id, item_id, audience in conn.execute(
        f"""SELECT si.story_id, a.item_id, a.audience FROM item_audiences a
           LEFT JOIN story_items si ON si.item_id = a.item_id WHERE a.audience != 'general'{where}""",
        args,
    ):
        audiences[f"s{story_id}" if story_id is not None else f"i{item_id}"].add(audience)

    stories, buckets = [], {}
    where, args = _where(only, "s.id", ids="stories", glue="WHERE")
    for story_id, first_at, last_at, title, url, summary, lang in conn.execute(
        f"""
        SELECT s.id, s.first_at, s.last_at, i.title, i.url, i.summary, i.lang
        FROM stories s JOIN items i ON i.id = COALESCE(
            s.lead_item_id, (SELECT MIN(si.item_id) FROM story_items si WHERE si.story_id = s.id)){where}
        """,
        args,
    ):
        key = f"s{story_id}"
        buckets[key] = f"s{first_at[:10]}"
        stories.append(_story(key, title, url, summary, lang, first_at, last_at, copies, formats, themes, digest_week))
    where, args = _where(only, "i.id")
    for item_id, published, title, url, summary, lang in conn.execute(
        f"""
        SELECT i.id, i.published_at, i.title, i.url, i.summary, i.lang FROM items i
        WHERE NOT EXISTS (SELECT 1 FROM story_items si WHERE si.item_id = i.id){where}
        """,
        args,
    ):
        key = f"i{item_id}"
        buckets[key] = f"i{published[:10]}"
        stories.append(_story(key, title, url, summary, lang, published, published, copies, formats, themes, {}))
    stories = [
        replace(
            story,
            audiences=tuple(sorted(audiences.get(story.key, ()))),
            classified=story.key in classified,
        )
        if story.key in audiences or story.key in classified
        else story
        for story in stories
    ]
    return stories, buckets


def _story(
    key: str,
    title: str,
    url: str | None,
    summary: str,
    lang: str | None,
    first_at: str,
    last_at: str,
    copies: dict[str, dict[tuple[int, int], CopyRecord]],
    formats: dict[str, list[tuple[str, float]]],
    themes: dict[str, list[tuple[str, int]]],
    digest_week: dict[str, str],
) -> SiteStory:
    return SiteStory(
        key=key,
        title=title,
        url=url,
        summary=summary,
        lang=lang,
        first_at=_moment(first_at),
        last_at=_moment(last_at),
        copies=tuple(copy for _, copy in sorted(copies.get(key, {}).items())),  # one order: pages' digests
        formats=tuple(sorted(formats.get(key, ()))),
        themes=tuple(themes.get(key, ())),
        digest_week=digest_week.get(key),
    )


def _moment(text: str | None) -> datetime:
    """``store.stored_datetime`` in one call: the history's 200,000 dates are read here (a third of the
    loading time went into the layers around ``datetime.fromisoformat``)."""
    if text is None:
        raise StorageError("missing date in the database: None")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _themes(conn: Connection) -> tuple[SiteTheme, ...]:
    rows: dict[int, list[ThemeWeekRecord]] = defaultdict(list)
    for theme_id, week, stories, items, sources, keywords, status, weak, title_fr, title_en in conn.execute(
        """
        SELECT theme_id, week, stories, items, sources, keywords, status, weak_signal, title_fr, title_en
        FROM theme_weeks ORDER BY theme_id, week
        """
    ):
        rows[theme_id].append(
            ThemeWeekRecord(
                week=week,
                stories=stories,
                items=items,
                sources=sources,
                keywords=tuple(str(k) for k in json_list(keywords)),
                status=status,
                weak_signal=bool(weak),
                titles={"fr": title_fr, "en": title_en},
            )
        )
    return tuple(
        SiteTheme(id=row[0], label=row[1], first_week=row[2], last_week=row[3], weeks=tuple(rows.get(row[0], ())))
        for row in conn.execute("SELECT id, label, first_week, last_week FROM themes ORDER BY id")
    )


class SiteReader:
    """What the static site and the format radar read (``storage.base.SiteReader``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load_site(
        self,
        *,
        archived: frozenset[str] = frozenset(),
        radar_week: str | None = None,
        kept: Path | None = None,
        stamp: str = "",
    ) -> SiteRecords:
        return load_site(self.store, archived=archived, radar_week=radar_week, kept=kept, stamp=stamp)

    def digest_paths(self) -> dict[str, str]:
        return digest_paths(self.store)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One moment of the database for a whole build: with SQLite, a read transaction (writers go on), so
        the records a page reads late are those of the moment the references were read."""
        if self.store.backend != "sqlite":
            yield
            return
        self.store.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.store.conn.execute("COMMIT")

    def change_marker(self) -> str:
        return change_marker(self.store)

    def load_radar(self, first: str | None = None, last: str | None = None) -> RadarRecords:
        return load_radar(self.store, first, last)
