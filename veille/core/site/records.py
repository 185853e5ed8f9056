"""What the database gives the site (read by ``adapters.site_store``): plain frozen records.

``SiteStory``, ``SiteTheme`` and ``SiteSignal`` are not ``core.digest``'s ``StoryRecord``,
``ThemeRecord`` and ``SignalRecord``: the digest reads one week (a story by its id, its sources' names and
its theme that week; a theme's row of that week with its recent history), the site a story's whole life
(every feed's copy, its theme in each week, the digest that showed it, items not yet grouped as ``i34``)
and a theme's every week — different data, so different types with different names. Text helpers are
shared (``core.sanitize.capitalised``, ``core.i18n``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from veille.core.fulltext import ArticleCounts
from veille.core.radar import (
    RadarStory,
)

if TYPE_CHECKING:
    from veille.core.site.common import StoryIndex

# --------------------------------------------------------------------------------------------------
# What the database gives


@dataclass(frozen=True)
class CopyRecord:
    """One feed's copy of a story: the item it published and when."""

    feed_id: int
    title: str
    url: str | None
    published_at: datetime


@dataclass(frozen=True)
class SiteStory:
    key: str  # "s12" for story 12, "i34" for item 34 not yet grouped into a story
    title: str  # of its lead item
    url: str | None
    summary: str
    lang: str | None
    first_at: datetime
    last_at: datetime
    copies: tuple[CopyRecord, ...] = ()
    formats: tuple[tuple[str, float], ...] = ()  # (format, best score over its items)
    themes: tuple[tuple[str, int], ...] = ()  # (week, theme id)
    digest_week: str | None = None  # the digest that showed it
    audiences: tuple[str, ...] = ()  # its items' audiences but general (core.audiences); () : for everyone
    classified: bool = False  # veille process classified its items: without a format, it is about something else


@dataclass(frozen=True)
class ThemeWeekRecord:
    week: str
    stories: int
    items: int
    sources: int
    keywords: tuple[str, ...]
    status: str
    weak_signal: bool
    titles: Mapping[str, str] = field(default_factory=dict)  # the theme's title that week: {"fr": …, "en": …}


@dataclass(frozen=True)
class SiteTheme:
    id: int
    label: str
    first_week: str
    last_week: str
    weeks: tuple[ThemeWeekRecord, ...]  # oldest first


@dataclass(frozen=True)
class FeedEventRecord:
    at: datetime
    kind: str  # error | moved | gone | stale (ok and not_modified are only counted)
    status: int | None
    detail: str | None


@dataclass(frozen=True)
class FeedRecord:
    id: int
    name: str
    url: str
    site_url: str | None
    lang: str | None
    status: str  # active | gone | removed
    stale: bool
    last_success_at: datetime | None
    last_new_item_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    moved_from: str | None
    moved_at: datetime | None
    events: tuple[FeedEventRecord, ...] = ()  # problems, newest first
    event_counts: Mapping[str, int] = field(default_factory=dict)  # kind -> count, all time
    articles: ArticleCounts | None = None  # its items' article pages (full_text feeds), None: never fetched


@dataclass(frozen=True)
class BriefRecord:
    """One line of the week's essentials, as the digest showed it (``core.digest.BriefLine``)."""

    kind: str  # theme | story | format
    ref: str  # theme id, story id or format key
    kind_label: str
    label: str
    sentence: str
    reason: str
    url: str | None


@dataclass(frozen=True)
class DigestRecord:
    week: str
    subject: str
    built_at: datetime
    archived: bool  # its HTML archive exists and is copied into the site as digests/<week>.html
    brief: tuple[BriefRecord, ...] = ()  # the lines the digest opened with
    language: str = ""  # the digest's language, which its essentials are written in


@dataclass(frozen=True)
class SiteSignal:
    """A key phrase whose story counts burst in ``week`` (``core.signals``), as ``veille process`` stored it."""

    week: str
    label: str  # its terms, strongest first, comma-separated
    story_keys: tuple[str, ...]  # "s12"
    reason: Mapping[str, int | float] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteRecords:
    feeds: tuple[FeedRecord, ...]
    stories: tuple[SiteStory, ...]
    themes: tuple[SiteTheme, ...]
    digests: tuple[DigestRecord, ...]
    # When the watch began (first feed added or item fetched): older weeks go to one archive page per year
    watch_start: datetime | None = None
    radar: tuple[RadarStory, ...] = ()  # the radar's weeks' stories as it counts them (adapters.radar_store)
    first_week: str | None = None  # the week of the watch's first story
    term_signals: tuple[SiteSignal, ...] = ()  # every week's emerging signals
    # the stories' references and records on demand (``common.StoryIndex``), instead of ``stories`` all
    # read: ``adapters.site_store`` reads again only what changed since the last build
    index: StoryIndex | None = None
