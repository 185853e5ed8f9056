"""The format radar's SQL: every story of a span of weeks with its week, formats, items and feeds.

One reading for the three places that show the radar (``veille formats``, the digest, the site), so
they give the same numbers. Stories are counted as the site's week pages count them: a story belongs
to the week of the digest that showed it, else the week it first appeared; an item ``veille process``
has not grouped yet is a story of its own (key ``i<id>``), in the week it was published. A digest only
claims stories active during its week, so a story's week lies between the weeks of its first and last
items: the span is read as ``adapters.store.ACTIVE_STORIES`` (``first_at < end``, ``last_at >= start``, and
``first_at`` at most four grouping windows before ``start``) and then filtered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from veille.adapters.storage.base import Connection
from veille.adapters.store import ACTIVE_STORIES, Store, active_span, iso, stored_datetime
from veille.core.radar import RadarStory, story_formats
from veille.core.weeks import iso_week, week_bounds


@dataclass(frozen=True)
class RadarRecords:
    stories: tuple[RadarStory, ...]
    first_week: str | None  # the week of the watch's first story or item (None: the database is empty)


def load_radar(store: Store, first: str | None = None, last: str | None = None) -> RadarRecords:
    """The stories whose week is in ``[first, last]`` (None: no bound), and the watch's first week."""
    start = iso(week_bounds(first)[0]) if first else ""
    end = iso(week_bounds(last)[1]) if last else "9999"
    return _load(store.conn, start or "", end or "9999", first, last)


def _load(conn: Connection, start: str, end: str, first: str | None, last: str | None) -> RadarRecords:
    span = active_span(start, end)
    candidates = f"SELECT s.id FROM stories s WHERE {ACTIVE_STORIES}"
    loose = """SELECT id FROM items i WHERE published_at >= :start AND published_at < :end
               AND NOT EXISTS (SELECT 1 FROM story_items si WHERE si.item_id = i.id)"""
    formats: dict[str, set[str]] = defaultdict(set)
    for story_id, fmt in conn.execute(
        f"""WITH c AS ({candidates}) SELECT si.story_id, f.format FROM c
            JOIN story_items si ON si.story_id = c.id JOIN item_formats f ON f.item_id = si.item_id""",
        span,
    ):
        formats[f"s{story_id}"].add(fmt)
    for item_id, fmt in conn.execute(
        f"WITH c AS ({loose}) SELECT f.item_id, f.format FROM c JOIN item_formats f ON f.item_id = c.id", span
    ):
        formats[f"i{item_id}"].add(fmt)
    # what veille process classified and found about something else (no format): a story or item of those
    # only is counted in no format (one with a format from another item keeps it: ``story_formats``)
    no_format = "NOT EXISTS (SELECT 1 FROM item_formats f WHERE f.item_id = cl.item_id)"
    classified = {
        f"s{row[0]}"
        for row in conn.execute(
            f"""WITH c AS ({candidates}) SELECT DISTINCT si.story_id FROM c
                JOIN story_items si ON si.story_id = c.id JOIN classified cl ON cl.item_id = si.item_id
                WHERE {no_format}""",
            span,
        )
    } | {
        f"i{row[0]}"
        for row in conn.execute(
            f"WITH c AS ({loose}) SELECT c.id FROM c JOIN classified cl ON cl.item_id = c.id WHERE {no_format}", span
        )
    }
    feeds: dict[str, set[int]] = defaultdict(set)
    items: dict[str, set[int]] = defaultdict(set)
    for story_id, item_id, feed_id in conn.execute(
        f"""WITH c AS ({candidates})
            SELECT si.story_id, i.id, i.feed_id FROM c JOIN story_items si ON si.story_id = c.id
            JOIN items i ON i.id = si.item_id
            UNION
            SELECT si.story_id, sg.item_id, sg.feed_id FROM c JOIN story_items si ON si.story_id = c.id
            JOIN sightings sg ON sg.item_id = si.item_id""",
        span,
    ):
        feeds[f"s{story_id}"].add(feed_id)
        items[f"s{story_id}"].add(item_id)
    for item_id, feed_id in conn.execute(
        f"""WITH c AS ({loose}) SELECT i.id, i.feed_id FROM c JOIN items i ON i.id = c.id
            UNION SELECT sg.item_id, sg.feed_id FROM c JOIN sightings sg ON sg.item_id = c.id""",
        span,
    ):
        feeds[f"i{item_id}"].add(feed_id)
        items[f"i{item_id}"].add(item_id)

    weeks: dict[str, str] = {}
    for story_id, first_at, digest_week in conn.execute(
        f"""WITH c AS ({candidates}) SELECT s.id, s.first_at, d.week FROM c JOIN stories s ON s.id = c.id
            LEFT JOIN digest_stories d ON d.story_id = s.id""",
        span,
    ):
        weeks[f"s{story_id}"] = digest_week or iso_week(stored_datetime(first_at))
    for item_id, published in conn.execute(
        f"WITH c AS ({loose}) SELECT i.id, i.published_at FROM c JOIN items i ON i.id = c.id", span
    ):
        weeks[f"i{item_id}"] = iso_week(stored_datetime(published))

    stories = tuple(
        RadarStory(
            key=key,
            week=week,
            formats=story_formats(formats.get(key, ()), classified=key in classified),
            items=len(items.get(key, ())) or 1,
            feeds=frozenset(feeds.get(key, ())),
        )
        for key, week in sorted(weeks.items())
        if (first is None or week >= first) and (last is None or week <= last)
    )
    row = conn.execute(
        "SELECT MIN(at) FROM (SELECT MIN(first_at) AS at FROM stories"
        " UNION ALL SELECT MIN(published_at) FROM items) AS firsts"
    ).fetchone()
    first_week = iso_week(stored_datetime(row[0])) if row and row[0] else None
    return RadarRecords(stories=stories, first_week=first_week)
