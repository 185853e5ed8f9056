"""The digest's SQL: what a week holds, which digests exist, and who has been sent what.

Reads go through a handful of set-based queries (no query per story) so a week of thousands of stories
loads in tens of milliseconds. Writes are small and each runs in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from veille.adapters.process_store import from_blob
from veille.adapters.radar_store import load_radar
from veille.adapters.storage.base import Connection, Row
from veille.adapters.store import ACTIVE_STORIES, Store, active_span, iso, json_list, stored_datetime
from veille.core.brief import Sentence
from veille.core.digest import (
    HISTORY_WEEKS,
    BriefLine,
    HealthRecord,
    SignalRecord,
    StoryRecord,
    ThemeRecord,
    WeekRecords,
)
from veille.core.radar import radar_span
from veille.core.weeks import previous_weeks, week_bounds

_HEALTH_KINDS = ("gone", "moved", "error", "stale")

# per theme, its stories of a week about something else: items classified, none with a learning format
# (from the week's themes: story_themes is indexed by theme and week)
OFF_TOPIC_BY_THEME = """
    SELECT st.theme_id, COUNT(*) FROM theme_weeks tw
    JOIN story_themes st ON st.theme_id = tw.theme_id AND st.week = tw.week
    WHERE tw.week = ?
      AND EXISTS (SELECT 1 FROM story_items si JOIN classified cl ON cl.item_id = si.item_id
                  WHERE si.story_id = st.story_id)
      AND NOT EXISTS (SELECT 1 FROM story_items si JOIN item_formats f ON f.item_id = si.item_id
                      WHERE si.story_id = st.story_id)
    GROUP BY st.theme_id"""


@dataclass(frozen=True)
class DigestRow:
    week: str
    built_at: datetime
    language: str
    subject: str
    message_id: str
    html_path: str
    text_path: str
    eml_path: str


def load_week(
    store: Store,
    week: str,
    *,
    only_story_ids: Sequence[int] | None = None,
    configured_feeds: Collection[str] | None = None,
) -> WeekRecords:
    """Everything ``core.digest.build_view`` needs about ``week``.

    Candidate stories are those active during the week (``adapters.store.ACTIVE_STORIES``)
    that no other week's digest has shown. With ``only_story_ids`` (a digest already recorded), exactly
    those stories are loaded, so a rebuilt archive shows what was decided the first time.

    Source health leaves out the feeds removed from feeds.yaml: those marked removed, and, when
    ``configured_feeds`` (the URLs feeds.yaml lists now) is given, those it no longer lists.
    """
    start, end = (iso(moment) for moment in week_bounds(week))
    configured = frozenset(configured_feeds) if configured_feeds is not None else None
    records = _load_week(store.conn, week, start or "", end or "", only_story_ids, configured)
    radar = load_radar(store, *radar_span(week))  # the format radar's weeks, counted as the site counts them
    return replace(records, radar_stories=radar.stories, first_week=radar.first_week)


def _load_week(
    conn: Connection,
    week: str,
    start: str,
    end: str,
    only: Sequence[int] | None,
    configured: frozenset[str] | None,
) -> WeekRecords:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS digest_candidates (story_id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM digest_candidates")
    if only is not None:
        conn.executemany("INSERT OR IGNORE INTO digest_candidates VALUES (?)", ((i,) for i in only))
    else:
        conn.execute(
            f"""
            INSERT INTO digest_candidates
            SELECT s.id FROM stories s
            WHERE {ACTIVE_STORIES}
              AND NOT EXISTS (SELECT 1 FROM digest_stories d WHERE d.story_id = s.id AND d.week <> :week)
            """,
            {**active_span(start, end), "week": week},
        )

    feed_names = {
        row[0]: row[1]
        for row in conn.execute("SELECT id, COALESCE(NULLIF(name, ''), NULLIF(title, ''), url) FROM feeds")
    }
    sources: dict[int, set[int]] = {}
    for story_id, feed_id in conn.execute(
        """
        SELECT si.story_id, sg.feed_id FROM digest_candidates c
        JOIN story_items si ON si.story_id = c.story_id
        JOIN sightings sg ON sg.item_id = si.item_id
        UNION
        SELECT si.story_id, i.feed_id FROM digest_candidates c
        JOIN story_items si ON si.story_id = c.story_id
        JOIN items i ON i.id = si.item_id
        """
    ):
        sources.setdefault(story_id, set()).add(feed_id)
    formats: dict[int, list[tuple[str, float]]] = {}
    for story_id, fmt, score in conn.execute(
        """
        SELECT si.story_id, f.format, MAX(f.score) FROM digest_candidates c
        JOIN story_items si ON si.story_id = c.story_id
        JOIN item_formats f ON f.item_id = si.item_id
        GROUP BY si.story_id, f.format
        """
    ):
        formats.setdefault(story_id, []).append((fmt, float(score)))
    # stories about something else (``StoryRecord.off_topic``); a recorded digest keeps what it showed
    classified = {
        row[0]
        for row in conn.execute(
            """SELECT DISTINCT si.story_id FROM digest_candidates c JOIN story_items si ON si.story_id = c.story_id
               JOIN classified cl ON cl.item_id = si.item_id"""
        )
    }
    off_topic = classified - formats.keys() if only is None else set()
    languages: dict[int, list[str]] = {}
    for story_id, lang in conn.execute(
        """
        SELECT si.story_id, i.lang FROM digest_candidates c
        JOIN stories s ON s.id = c.story_id
        JOIN story_items si ON si.story_id = c.story_id
        JOIN items i ON i.id = si.item_id
        WHERE i.lang IS NOT NULL AND i.lang <> ''
        ORDER BY si.story_id, i.id <> s.lead_item_id, i.published_at, i.id
        """
    ):
        if lang not in languages.setdefault(story_id, []):
            languages[story_id].append(lang)
    story_theme = dict(
        conn.execute(
            """
            SELECT st.story_id, st.theme_id FROM digest_candidates c
            JOIN story_themes st ON st.story_id = c.story_id AND st.week = ?
            """,
            (week,),
        ).fetchall()
    )
    stories = []
    for row in conn.execute(
        """
        SELECT s.id, s.first_at, s.last_at, i.title, i.url, i.summary
        FROM digest_candidates c
        JOIN stories s ON s.id = c.story_id
        JOIN items i ON i.id = COALESCE(
            s.lead_item_id, (SELECT MIN(si.item_id) FROM story_items si WHERE si.story_id = s.id))
        """
    ):
        names = sorted({feed_names.get(feed_id) or "" for feed_id in sources.get(row[0], ())} - {""}, key=str.lower)
        stories.append(
            StoryRecord(
                id=row[0],
                title=row[3],
                url=row[4],
                summary=row[5],
                sources=tuple(names),
                first_at=stored_datetime(row[1]),
                last_at=stored_datetime(row[2]),
                formats=tuple(sorted(formats.get(row[0], ()))),
                theme_id=story_theme.get(row[0]),
                languages=tuple(languages.get(row[0], ())),
                off_topic=row[0] in off_topic,
            )
        )
    stories.sort(key=lambda story: story.id)

    weeks = [*previous_weeks(week, HISTORY_WEEKS - 1), week]
    history: dict[int, dict[str, int]] = {}
    for theme_id, other_week, count in conn.execute(
        """
        SELECT h.theme_id, h.week, h.stories FROM theme_weeks tw
        JOIN theme_weeks h ON h.theme_id = tw.theme_id AND h.week >= ? AND h.week <= ?
        WHERE tw.week = ?
        """,
        (weeks[0], week, week),
    ):
        history.setdefault(theme_id, {})[other_week] = count
    # a recorded digest is shown as it was sent: its themes too
    off_topic_stories = dict(conn.execute(OFF_TOPIC_BY_THEME, (week,)).fetchall()) if only is None else {}
    themes = [
        ThemeRecord(
            id=row[0],
            label=row[1],
            keywords=tuple(str(k) for k in json_list(row[2])),
            status=row[3],
            stories=row[4],
            items=row[5],
            sources=row[6],
            weak_signal=bool(row[7]),
            history=tuple(history.get(row[0], {}).get(w, 0) for w in weeks),
            reason=stored_numbers(row[8]),
            titles={"fr": row[9], "en": row[10]},
            off_topic=int(off_topic_stories.get(row[0], 0)),
        )
        for row in conn.execute(
            """
            SELECT tw.theme_id, t.label, tw.keywords, tw.status, tw.stories, tw.items, tw.sources, tw.weak_signal,
                   tw.reason, tw.title_fr, tw.title_en
            FROM theme_weeks tw JOIN themes t ON t.id = tw.theme_id
            WHERE tw.week = ? ORDER BY tw.theme_id
            """,
            (week,),
        )
    ]

    health: dict[tuple[int, str], HealthRecord] = {}
    for feed_id, name, url, config_url, kind, at, detail in conn.execute(
        """
        SELECT f.id, COALESCE(NULLIF(f.name, ''), NULLIF(f.title, ''), f.url), f.url, f.config_url,
               e.kind, e.at, e.detail
        FROM feed_events e JOIN feeds f ON f.id = e.feed_id
        WHERE e.at >= ? AND e.at < ? AND e.kind IN ('gone', 'moved', 'error', 'stale') AND f.status <> 'removed'
        ORDER BY e.at, e.id
        """,
        (start, end),
    ):
        if configured is not None and config_url not in configured:
            continue  # removed from feeds.yaml since: its health is no longer the reader's concern
        key = (feed_id, kind)
        count = health[key].count + 1 if key in health else 1
        health[key] = HealthRecord(feed=name, url=url, kind=kind, at=stored_datetime(at), detail=detail, count=count)
    # one line per feed: its most serious problem of the week
    worst: dict[int, HealthRecord] = {}
    for (feed_id, _kind), record in sorted(health.items(), key=lambda kv: _HEALTH_KINDS.index(kv[0][1])):
        worst.setdefault(feed_id, record)

    items = conn.execute(
        "SELECT COUNT(*) FROM items WHERE published_at >= ? AND published_at < ?", (start, end)
    ).fetchone()[0]
    # The sources and stories of the week, counted as the site's week page counts them.
    feeds = conn.execute(
        """
        SELECT COUNT(*) FROM (
            SELECT feed_id FROM sightings WHERE published_at >= :start AND published_at < :end
            UNION SELECT feed_id FROM items WHERE published_at >= :start AND published_at < :end
        ) AS week_feeds
        """,
        {"start": start, "end": end},
    ).fetchone()[0]
    week_story_ids = frozenset(
        row[0]
        for row in conn.execute(
            """
            SELECT s.id FROM stories s
            WHERE EXISTS (SELECT 1 FROM digest_stories d WHERE d.story_id = s.id AND d.week = :week)
               OR (s.first_at >= :start AND s.first_at < :end
                   AND NOT EXISTS (SELECT 1 FROM digest_stories d WHERE d.story_id = s.id))
            """,
            {"start": start, "end": end, "week": week},
        )
    )
    loose_items = conn.execute(
        """
        SELECT COUNT(*) FROM items i WHERE i.published_at >= ? AND i.published_at < ?
          AND NOT EXISTS (SELECT 1 FROM story_items si WHERE si.item_id = i.id)
        """,
        (start, end),
    ).fetchone()[0]
    new_themes = conn.execute("SELECT COUNT(*) FROM theme_weeks WHERE week = ? AND status = 'new'", (week,)).fetchone()[
        0
    ]
    conn.execute("DELETE FROM digest_candidates")
    sentences: dict[tuple[str, str], list[Sentence]] = {}
    for kind, ref, text, story_id, score, vector, url in conn.execute(
        """
        SELECT cs.kind, cs.ref, cs.text, cs.story_id, cs.score, cs.vector, i.url
        FROM central_sentences cs JOIN items i ON i.id = cs.item_id
        WHERE cs.week = ? ORDER BY cs.kind, cs.ref, cs.rank
        """,
        (week,),
    ):
        sentences.setdefault((kind, ref), []).append(Sentence(text, url, story_id, float(score), from_blob(vector)))
    return WeekRecords(
        week=week,
        items=items,
        sources=feeds,
        new_themes=new_themes,
        story_records=tuple(stories),
        themes=tuple(themes),
        health=tuple(worst.values()),
        week_story_ids=week_story_ids,
        loose_items=loose_items,
        sentences={key: tuple(values) for key, values in sentences.items()},
        recorded_brief=_recorded_brief(conn, week) if only is not None else (),
        term_signals=_term_signals(conn, week),
    )


def _term_signals(conn: Connection, week: str) -> tuple[SignalRecord, ...]:
    """The key phrases that burst in ``week`` (``veille process`` stored them), strongest first."""
    carried: dict[str, list[int]] = {}
    for label, story_id in conn.execute(
        "SELECT label, story_id FROM signal_stories WHERE week = ? ORDER BY label, story_id", (week,)
    ):
        carried.setdefault(label, []).append(int(story_id))
    rows = [
        (label, int(sources), stored_numbers(reason))
        for label, sources, reason in conn.execute("SELECT label, sources, reason FROM signals WHERE week = ?", (week,))
    ]
    rows.sort(key=lambda row: (-row[2].get("z", 0.0), row[0]))  # the order core.signals ranked them
    return tuple(
        SignalRecord(label=label, story_ids=tuple(carried.get(label, ())), sources=sources, reason=reason)
        for label, sources, reason in rows
    )


def _recorded_brief(conn: Connection, week: str) -> tuple[BriefLine, ...]:
    return tuple(
        BriefLine(kind=r[0], key=r[1], kind_label=r[2], label=r[3], sentence=r[4], reason=r[5], url=r[6])
        for r in conn.execute(
            "SELECT kind, ref, kind_label, label, sentence, reason, url FROM digest_brief WHERE week = ? ORDER BY rank",
            (week,),
        )
    )


def stored_numbers(text: str | None) -> dict[str, int | float]:
    """The numbers stored as JSON with a theme's week or a signal (their "reason"; empty when there are
    none, or not numbers)."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def get_digest(store: Store, week: str) -> DigestRow | None:
    row = _fetchone(store, "SELECT * FROM digests WHERE week = ?", (week,))
    if row is None:
        return None
    return DigestRow(
        week=row["week"],
        built_at=stored_datetime(row["built_at"]),
        language=row["language"],
        subject=row["subject"],
        message_id=row["message_id"],
        html_path=row["html_path"],
        text_path=row["text_path"],
        eml_path=row["eml_path"],
    )


def digest_story_ids(store: Store, week: str) -> list[int]:
    return [
        row[0]
        for row in _fetchall(store, "SELECT story_id FROM digest_stories WHERE week = ? ORDER BY story_id", (week,))
    ]


def record_digest(conn: Connection, row: DigestRow, story_ids: Iterable[int], brief: Sequence[BriefLine] = ()) -> None:
    """Record a built digest, the lines it opened with, and claim its stories (in the caller's transaction).

    ``digest_stories.story_id`` is the primary key, so a story can never be claimed by two weeks.
    """
    conn.execute(
        """
        INSERT INTO digests (week, built_at, language, subject, message_id, html_path, text_path, eml_path)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(week) DO UPDATE SET html_path = excluded.html_path, text_path = excluded.text_path,
            eml_path = excluded.eml_path
        """,
        (
            row.week,
            iso(row.built_at),
            row.language,
            row.subject,
            row.message_id,
            row.html_path,
            row.text_path,
            row.eml_path,
        ),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO digest_stories (story_id, week) VALUES (?, ?)", ((i, row.week) for i in story_ids)
    )
    conn.execute("DELETE FROM digest_brief WHERE week = ?", (row.week,))
    conn.executemany(
        "INSERT INTO digest_brief (week, rank, kind, ref, kind_label, label, sentence, reason, url)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (row.week, rank, line.kind, line.key, line.kind_label, line.label, line.sentence, line.reason, line.url)
            for rank, line in enumerate(brief)
        ],
    )


def forget_digest(conn: Connection, week: str) -> None:
    """Drop the record of ``week``'s digest, its claimed stories and its send queue (inside the caller's
    transaction): only for a digest nobody received, which is then built again."""
    conn.execute("DELETE FROM digest_sends WHERE week = ?", (week,))
    conn.execute("DELETE FROM digest_list_sends WHERE week = ?", (week,))
    conn.execute("DELETE FROM digest_stories WHERE week = ?", (week,))
    conn.execute("DELETE FROM digests WHERE week = ?", (week,))


def sent_to(store: Store, week: str) -> list[str]:
    """Every recipient the mail server accepted ``week``'s digest for, configured now or not."""
    return [
        row[0]
        for row in _fetchall(
            store,
            "SELECT recipient FROM digest_sends WHERE week = ? AND sent_at IS NOT NULL "
            "UNION SELECT recipient FROM digest_list_sends WHERE week = ? AND sent_at IS NOT NULL ORDER BY 1",
            (week, week),
        )
    ]


def ungrouped_items(store: Store, week: str) -> int:
    """Items published during ``week`` that ``veille process`` has not grouped into a story yet."""
    start, end = (iso(moment) for moment in week_bounds(week))
    row = _fetchone(
        store,
        """SELECT COUNT(*) FROM items i WHERE i.published_at >= ? AND i.published_at < ?
           AND NOT EXISTS (SELECT 1 FROM story_items si WHERE si.item_id = i.id)""",
        (start, end),
    )
    return int(row[0]) if row is not None else 0


def queue_recipients(conn: Connection, week: str, recipients: Iterable[str]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO digest_sends (week, recipient) VALUES (?, ?)", ((week, r) for r in recipients)
    )


def pending_recipients(store: Store, week: str, recipients: Sequence[str]) -> list[str]:
    """The configured recipients who have not yet received ``week`` (in configuration order)."""
    sent = {
        row[0]
        for row in _fetchall(
            store, "SELECT recipient FROM digest_sends WHERE week = ? AND sent_at IS NOT NULL", (week,)
        )
    }
    return [r for r in recipients if r not in sent]


def mark_sent(conn: Connection, week: str, recipient: str, at: datetime) -> None:
    conn.execute(
        "UPDATE digest_sends SET sent_at = ?, attempts = attempts + 1, last_error = NULL "
        "WHERE week = ? AND recipient = ?",
        (iso(at), week, recipient),
    )


def mark_failed(conn: Connection, week: str, recipients: Iterable[str], error: str) -> None:
    conn.executemany(
        "UPDATE digest_sends SET attempts = attempts + 1, last_error = ? WHERE week = ? AND recipient = ?",
        ((error, week, r) for r in recipients),
    )


def queue_list(conn: Connection, week: str, mail_list: str, recipients: Iterable[str]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO digest_list_sends (week, list, recipient) VALUES (?, ?, ?)",
        ((week, mail_list, r) for r in recipients),
    )


def pending_list(store: Store, week: str, mail_list: str, recipients: Sequence[str]) -> list[str]:
    """The list's recipients who have not yet received its digest of ``week`` (in configuration order)."""
    sent = {
        row[0]
        for row in _fetchall(
            store,
            "SELECT recipient FROM digest_list_sends WHERE week = ? AND list = ? AND sent_at IS NOT NULL",
            (week, mail_list),
        )
    }
    return [r for r in recipients if r not in sent]


def mark_list_sent(conn: Connection, week: str, mail_list: str, recipient: str, at: datetime) -> None:
    conn.execute(
        "UPDATE digest_list_sends SET sent_at = ?, attempts = attempts + 1, last_error = NULL "
        "WHERE week = ? AND list = ? AND recipient = ?",
        (iso(at), week, mail_list, recipient),
    )


def mark_list_failed(conn: Connection, week: str, mail_list: str, recipients: Iterable[str], error: str) -> None:
    conn.executemany(
        "UPDATE digest_list_sends SET attempts = attempts + 1, last_error = ? "
        "WHERE week = ? AND list = ? AND recipient = ?",
        ((error, week, mail_list, r) for r in recipients),
    )


def story_audiences(store: Store, story_ids: Sequence[int]) -> dict[int, list[str]]:
    """The audiences of each story's items (``item_audiences``; an item not decided yet counts as general)."""
    out: dict[int, list[str]] = {story_id: [] for story_id in story_ids}
    ids = list(story_ids)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for row in _fetchall(
            store,
            f"""SELECT si.story_id, COALESCE(a.audience, 'general') FROM story_items si
                LEFT JOIN item_audiences a ON a.item_id = si.item_id WHERE si.story_id IN ({marks})""",
            chunk,
        ):
            out[int(row[0])].append(str(row[1]))
    return out


def counts(store: Store) -> tuple[int, int]:
    """``(digests built, digest copies accepted by the mail server)`` for ``veille stats``."""
    row = _fetchone(
        store,
        "SELECT (SELECT COUNT(*) FROM digests), (SELECT COUNT(*) FROM digest_sends WHERE sent_at IS NOT NULL)",
        (),
    )
    return (int(row[0]), int(row[1])) if row is not None else (0, 0)


def _fetchone(store: Store, sql: str, params: Sequence[object]) -> Row | None:
    row: Row | None = store.conn.execute(sql, params).fetchone()
    return row


def _fetchall(store: Store, sql: str, params: Sequence[object]) -> list[Row]:
    return store.conn.execute(sql, params).fetchall()


class DigestStore:
    """The digest repository (``storage.base.DigestRepository``) over one open store: each write is its
    own transaction unless the caller is already in one (``with store.transaction():``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load_week(
        self, week: str, *, only_story_ids: Sequence[int] | None = None, configured_feeds: Collection[str] | None = None
    ) -> WeekRecords:
        return load_week(self.store, week, only_story_ids=only_story_ids, configured_feeds=configured_feeds)

    def get(self, week: str) -> DigestRow | None:
        return get_digest(self.store, week)

    def story_ids(self, week: str) -> list[int]:
        return digest_story_ids(self.store, week)

    def record(self, row: DigestRow, story_ids: Iterable[int], brief: Sequence[BriefLine] = ()) -> None:
        record_digest(self.store.conn, row, story_ids, brief)

    def forget(self, week: str) -> None:
        forget_digest(self.store.conn, week)

    def sent_to(self, week: str) -> list[str]:
        return sent_to(self.store, week)

    def ungrouped_items(self, week: str) -> int:
        return ungrouped_items(self.store, week)

    def queue(self, week: str, recipients: Iterable[str]) -> None:
        queue_recipients(self.store.conn, week, recipients)

    def pending(self, week: str, recipients: Sequence[str]) -> list[str]:
        return pending_recipients(self.store, week, recipients)

    def mark_sent(self, week: str, recipient: str, at: datetime) -> None:
        mark_sent(self.store.conn, week, recipient, at)

    def mark_failed(self, week: str, recipients: Iterable[str], error: str) -> None:
        mark_failed(self.store.conn, week, recipients, error)

    def counts(self) -> tuple[int, int]:
        return counts(self.store)

    def queue_list(self, week: str, mail_list: str, recipients: Iterable[str]) -> None:
        queue_list(self.store.conn, week, mail_list, recipients)

    def pending_list(self, week: str, mail_list: str, recipients: Sequence[str]) -> list[str]:
        return pending_list(self.store, week, mail_list, recipients)

    def mark_list_sent(self, week: str, mail_list: str, recipient: str, at: datetime) -> None:
        mark_list_sent(self.store.conn, week, mail_list, recipient, at)

    def mark_list_failed(self, week: str, mail_list: str, recipients: Iterable[str], error: str) -> None:
        mark_list_failed(self.store.conn, week, mail_list, recipients, error)

    def story_audiences(self, story_ids: Sequence[int]) -> dict[int, list[str]]:
        return story_audiences(self.store, story_ids)
