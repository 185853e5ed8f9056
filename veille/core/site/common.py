"""What every page builder shares: text and week helpers, the build context, one view per story, theme
cards."""

from __future__ import annotations

import hashlib
import marshal
import re
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Generic, NamedTuple, Protocol, TypeVar

from veille.core import i18n, titles
from veille.core import signals as term_signals
from veille.core.digest import OFF_TOPIC_FORMAT, OTHER_FORMAT, format_label
from veille.core.radar import (
    story_formats,
)
from veille.core.sanitize import capitalised, html_to_text, safe_url, strip_invisible, truncate_text
from veille.core.site.records import (
    FeedRecord,
    SiteSignal,
    SiteStory,
    SiteTheme,
    ThemeWeekRecord,
)
from veille.core.site.views import (
    CopyView,
    Link,
    SignalCard,
    StoryGroup,
    StoryView,
    ThemeCard,
)
from veille.core.site_i18n import SiteStrings
from veille.core.trends import shown_as_trend, volume_label
from veille.core.weeks import iso_week, shift_week, week_bounds, weeks_between

TITLE_CHARS = 200
SUMMARY_CHARS = 320
SEARCH_SUMMARY_CHARS = 140
HOME_TRENDS = 5
STORIES_PER_CARD = 3
RECENT_WEEKS = 8
CHART_MAX_WEEKS = 52
LIST_RECENT_WEEKS = 12  # a format's or source's page lists these weeks' stories; older ones, a page per year
ATOM_ENTRIES = 52
TREND_STATUSES = ("rising", "new")
STATUS_ORDER = ("new", "rising", "steady", "fading")
#: Stories whose records, views and rendered rows a build keeps at once (the least recently used go
#: first): a large site's memory then stops growing with its history. A story is on four pages or more;
#: one dropped is read and built again when another page lists it.
KEPT_STORIES = 100_000
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_SLUG = re.compile(r"[^a-z0-9_-]+")


# --------------------------------------------------------------------------------------------------
# Small helpers


@lru_cache(maxsize=1 << 17)
def text(value: str | None) -> str:
    """Feed text as one line of plain text (tags, scripts, entities and invisible characters gone: an item
    stored before they were stripped at fetch reads clean too).

    Cached, and plain printable ASCII (most titles) skips the sanitiser: with no markup, entity,
    control character or non-ASCII letter, ``html_to_text`` would only collapse the spaces.
    """
    if value and value.isascii() and value.isprintable() and "<" not in value and "&" not in value:
        return " ".join(value.split())
    return strip_invisible(html_to_text(value))


# An http(s) link with a plain host and nothing but printable ASCII after it: ``safe_url`` would return it
# unchanged (no blank or control character to remove, a scheme it allows, a host, a netloc urlsplit accepts)
_PLAIN_WEB_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:[/?#][\x21-\x7e]*)?")


@lru_cache(maxsize=1 << 17)
def web_url(url: str | None) -> str | None:
    """``core.sanitize.safe_url``, cached (a story's lead link is also one of its copies' links), and
    without parsing the plain links most feeds give (a third of the site's story views' time)."""
    if url and _PLAIN_WEB_URL.fullmatch(url):
        return url
    return safe_url(url)


def week_number(week: str) -> int:
    return int(week[-2:])


def week_label(week: str, t: i18n.Strings) -> str:
    """``Semaine 48 · 2026``."""
    return f"{t.week_heading} {week_number(week)} · {week[:4]}"


def week_short(week: str, t: i18n.Strings) -> str:
    """``S48`` / ``W48``: under a chart's bars."""
    return f"{t.week_abbrev}{week_number(week)}"


def period(week: str, language: str) -> str:
    start, _ = week_bounds(week)
    monday = start.date()
    return i18n.period_label(monday, monday + timedelta(days=6), language)


def slug(key: str) -> str:
    """A file name for a format key: lower case letters, digits, ``-`` and ``_`` only."""
    return _SLUG.sub("-", key.lower()).strip("-") or "format"


def week_href(week: str) -> str:
    return f"weeks/{week}.html"


def archive_href(year: str) -> str:
    return f"weeks/archive-{year}.html"


def rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _plural(count: int, one: str, many: str, language: str) -> str:
    return i18n.plural(count, one, many, language)


def week_range(first: str, last: str) -> list[str]:
    """Every week from ``first`` to ``last`` included (empty when ``last`` comes first)."""
    span = weeks_between(first, last)
    return [shift_week(first, n) for n in range(span + 1)] if span >= 0 else []


# --------------------------------------------------------------------------------------------------
# Building the site


K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """A mapping of at most ``size`` entries: adding one more drops the least recently used."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def values(self) -> Iterable[V]:
        return self._entries.values()


@dataclass
class _Context:
    language: str
    t: SiteStrings
    d: i18n.Strings
    format_labels: Mapping[str, str] | None
    feeds: dict[int, FeedRecord]
    theme_labels: dict[int, str]
    format_paths: dict[str, str]
    watch_week: str | None = None  # weeks before it have no page of their own: see ``week_href``
    index: StoryIndex = field(default_factory=lambda: MemoryStories(()))  # the stories' records, on demand

    memo: dict[object, str] = field(default_factory=dict)
    # built when a page needs them (a page kept as written needs none), the last ``KEPT_STORIES`` kept
    story_views: Recent[str, StoryView] = field(default_factory=lambda: Recent(KEPT_STORIES))

    def views(self, stories: Iterable[StoryRef]) -> tuple[StoryView, ...]:
        """Each story's view; the records of those not built yet (or dropped since) are read at once."""
        stories = tuple(stories)
        views = {story.key: view for story in stories if (view := self.story_views.get(story.key)) is not None}
        missing = [story.key for story in stories if story.key not in views]
        records = self.index.records(missing) if missing else {}
        for story in stories:
            if story.key not in views:
                views[story.key] = self.story_views[story.key] = _story_view(records[story.key], story.week, self)
        return tuple(views[story.key] for story in stories)

    def prefetch(self, stories: Iterable[StoryRef]) -> tuple[StoryRef, ...]:
        """Asks for the records of the stories a page is about to show at once, when they are few enough to
        be kept together (``KEPT_STORIES``); more are read group by group as the page asks (``views``)."""
        stories = tuple(stories)
        missing = [story.key for story in stories if story.key not in self.story_views]
        if len(missing) <= KEPT_STORIES:
            self.index.records(missing)
        return stories

    def week_href(self, week: str) -> str:
        """A week's page, or for a week before the watch began, its year's archive page."""
        if self.watch_week is not None and week < self.watch_week:
            return archive_href(week[:4])
        return week_href(week)

    def feed_name(self, feed_id: int) -> str:
        name = self.memo.get(("feed", feed_id))
        if name is None:
            feed = self.feeds.get(feed_id)
            name = self.memo[("feed", feed_id)] = (text(feed.name) or feed.url) if feed else f"#{feed_id}"
        return name

    def format_name(self, key: str) -> str:
        name = self.memo.get(("format", key))
        if name is None:
            name = self.memo[("format", key)] = format_label(key, self.language, self.format_labels)
        return name

    def status_label(self, status: str) -> str:
        return dict(self.t.status_labels).get(status, status)

    def date(self, moment: datetime | None) -> str:
        if moment is None:
            return self.t.never
        day = moment.date()
        label = self.memo.get(day)
        if label is None:
            label = self.memo[day] = i18n.date_label(day, self.language)
        return label

    def stories_label(self, count: int) -> str:
        return _plural(count, self.t.story_one, self.t.story_many, self.language)


@lru_cache(maxsize=4096)
def kept_formats(formats: tuple[str, ...], classified: bool = False) -> tuple[str, ...]:
    """``core.radar.story_formats``, remembered: a site's stories share a few hundred combinations."""
    return story_formats(formats, classified=classified)


def primary_format(record: SiteStory, ranked: Sequence[str]) -> str:
    """The format a story is shown under first: its best one; ``other`` without one; ``OFF_TOPIC_FORMAT``
    when its items were classified and found about something else (no format page lists it)."""
    if ranked:
        return ranked[0]
    return OFF_TOPIC_FORMAT if record.classified and not record.formats else OTHER_FORMAT


def story_week(story: SiteStory) -> str:
    """The week whose page holds the story: its digest's week, else the week it first appeared."""
    return story.digest_week or iso_week(story.first_at)


def _theme_label(theme: SiteTheme, lang: str) -> str:
    """The theme's name: its latest title in ``lang`` (keywords for themes made before titles existed)."""
    titled = [text(titles.in_language(week.titles, lang)) for week in theme.weeks]
    title = next((name for name in reversed(titled) if name), "")
    latest = theme.weeks[-1].keywords if theme.weeks else ()
    return capitalised(title or text(theme.label) or ", ".join(_keywords(latest)[:3])) or f"#{theme.id}"


def _keywords(keywords: Iterable[str]) -> tuple[str, ...]:
    return tuple(k for k in (text(str(k)) for k in keywords) if k)[:8]


def _feed_state(feed: FeedRecord) -> str:
    if feed.status in ("gone", "removed"):
        return feed.status
    return "stale" if feed.stale else "active"


class StoryRef(NamedTuple):
    """A story as the pages sort, group and fingerprint it, without its text: its page's week, when it first
    appeared, the digest of its record (``record_digest``) and what decides the pages that list it (its
    formats, themes and sources). Plain values only, so ``adapters.site_store`` keeps them from one build
    to the next (a tuple: made again from what is kept at little cost); the record itself is read only for
    a page computed again (``_Context.views``)."""

    key: str
    week: str  # the week whose page holds it (``story_week``)
    first_at: float  # its first appearance (a timestamp): stories are listed in that order
    digest: bytes  # ``record_digest``: what a page's inputs say of this story
    formats: tuple[str, ...]  # the formats whose pages list it (``kept_formats``)
    primary_format: str  # its best format, as its view shows it first
    themes: tuple[tuple[str, int], ...]  # (week, theme id), as its record has them
    feeds: tuple[int, ...]  # the feeds of its copies, in their order
    sightings: tuple[tuple[str, int], ...]  # (week, feed id) of each copy: the sources of a week
    in_digest: bool  # shown by the digest of its page's week

    @property
    def n_sources(self) -> int:
        return len(self.feeds)


def story_ref(record: SiteStory) -> StoryRef:
    week = story_week(record)
    ranked = _ranked_formats(record)
    return StoryRef(
        key=record.key,
        week=week,
        first_at=record.first_at.timestamp(),
        digest=record_digest(record, week),
        formats=kept_formats(tuple(fmt for fmt, _ in record.formats), record.classified),
        primary_format=primary_format(record, ranked),
        themes=record.themes,
        feeds=tuple(dict.fromkeys(copy.feed_id for copy in record.copies)),
        sightings=tuple(dict.fromkeys((iso_week(copy.published_at), copy.feed_id) for copy in record.copies)),
        in_digest=record.digest_week is not None and record.digest_week == week,
    )


class StoryIndex(Protocol):
    """Every story's ``StoryRef``, and their records on demand: all in memory (``MemoryStories``), or read
    from the database as the pages computed again ask for them (``adapters.site_store.KeptStories``)."""

    @property
    def refs(self) -> Sequence[StoryRef]: ...

    def records(self, keys: Iterable[str]) -> Mapping[str, SiteStory]: ...


class MemoryStories:
    """A ``StoryIndex`` over records already in memory."""

    def __init__(self, records: Iterable[SiteStory]) -> None:
        self._records = {record.key: record for record in records}
        self.refs = tuple(story_ref(record) for record in self._records.values())

    def records(self, keys: Iterable[str]) -> Mapping[str, SiteStory]:
        return self._records


def record_digest(r: SiteStory, week: str) -> bytes:
    """A story's record and page week in 16 bytes: equal digests, equal views (the rest of what a view reads
    is the site's context, ``_Context``, which every page's inputs carry). A field added to ``SiteStory`` or
    ``CopyRecord`` must be added here: a test changes each field alone and expects another digest.

    Written with ``marshal`` version 0 (no references between objects, no interning: the same values give
    the same bytes in every process), each date as its instant and its offset: twice as fast as ``repr``
    on the 50,000 stories a new day digests."""
    copies = tuple((c.feed_id, c.title, c.url, c.published_at.timestamp(), _offset(c.published_at)) for c in r.copies)
    plain = (r.key, r.title, r.url, r.summary, r.lang, r.first_at.timestamp(), _offset(r.first_at),
             r.last_at.timestamp(), _offset(r.last_at), copies, r.formats, r.themes, r.digest_week, r.audiences,
             r.classified, week)  # fmt: skip
    return hashlib.sha256(marshal.dumps(plain, 0)).digest()[:16]


def _offset(moment: datetime) -> float:
    offset = moment.utcoffset()
    return offset.total_seconds() if offset is not None else -86400.0  # naive: no offset a real zone has


def _ranked_formats(record: SiteStory) -> list[str]:
    """The story's formats, best score first, "other" only alone (as on the format pages)."""
    kept = kept_formats(tuple(fmt for fmt, _ in record.formats), record.classified)
    return [fmt for fmt, _ in sorted(record.formats, key=lambda pair: (-pair[1], pair[0])) if fmt in kept]


def _story_view(record: SiteStory, week: str, ctx: _Context) -> StoryView:
    seen: dict[tuple[int, str], CopyView] = {}
    # the source of the item shown first, then the others as they published it
    for copy in sorted(record.copies, key=lambda c: (c.url != record.url, c.published_at, c.feed_id)):
        url = web_url(copy.url)
        key = (copy.feed_id, url or copy.title)
        if key not in seen:
            seen[key] = CopyView(
                source=Link(ctx.feed_name(copy.feed_id), f"sources/{copy.feed_id}.html"),
                title=truncate_text(text(copy.title), TITLE_CHARS),
                url=url,
                date_label=ctx.date(copy.published_at),
            )
    copies = tuple(seen.values())
    n_sources = len({copy.source.href for copy in copies})
    ranked = _ranked_formats(record)
    formats = tuple(Link(ctx.format_name(fmt), ctx.format_paths[fmt]) for fmt in dict.fromkeys(ranked))
    theme_ids = dict.fromkeys(theme_id for _, theme_id in sorted(record.themes) if theme_id in ctx.theme_labels)
    lang = record.lang if record.lang and _LANG.match(record.lang) and record.lang != ctx.language else None
    return StoryView(
        key=record.key,
        href=f"{ctx.week_href(week)}#{record.key}",
        week=week,
        title=truncate_text(text(record.title), TITLE_CHARS) or "—",
        url=web_url(record.url),
        summary=truncate_text(text(record.summary), SUMMARY_CHARS),
        lang=lang,
        date_label=ctx.date(record.first_at),
        sources_label=_plural(n_sources, ctx.d.source_one, ctx.d.source_many, ctx.language),
        n_sources=n_sources,
        copies=copies,
        formats=formats,
        themes=tuple(Link(ctx.theme_labels[i], f"themes/{i}.html") for i in theme_ids),
        primary_format=primary_format(record, ranked),
        in_digest=record.digest_week is not None and record.digest_week == week,
        audience=" ".join(record.audiences) or "general",
        audience_label=", ".join(dict(ctx.t.audience_labels).get(a, a) for a in record.audiences),
    )


def _sorted_recent(stories: Iterable[StoryRef]) -> list[StoryRef]:
    return sorted(stories, key=lambda s: (-s.n_sources, s.key))


def _by_week_groups(stories: Sequence[StoryRef], ctx: _Context) -> tuple[StoryGroup, ...]:
    """Stories grouped by week, newest week first, most covered first inside a week."""
    groups: dict[str, list[StoryRef]] = defaultdict(list)
    for story in ctx.prefetch(stories):
        groups[story.week].append(story)
    return tuple(
        StoryGroup(week_label(week, ctx.d), ctx.week_href(week), ctx.views(_sorted_recent(groups[week])))
        for week in sorted(groups, reverse=True)
    )


def _by_format_groups(stories: Sequence[StoryRef], ctx: _Context) -> tuple[StoryGroup, ...]:
    groups: dict[str, list[StoryRef]] = defaultdict(list)
    for story in ctx.prefetch(stories):
        groups[story.primary_format].append(story)
    order = sorted(groups, key=lambda k: (k == OFF_TOPIC_FORMAT, k == OTHER_FORMAT, -len(groups[k]), k))
    return tuple(StoryGroup(ctx.format_name(k), None, ctx.views(_sorted_recent(groups[k]))) for k in order)


def _theme_card(
    theme: SiteTheme, row: ThemeWeekRecord, stories: Sequence[StoryRef], ctx: _Context, *, with_stories: bool
) -> ThemeCard:
    shown: tuple[StoryView, ...] = ()
    if with_stories:
        shown = ctx.views(_sorted_recent(s for s in stories if s.week == row.week)[:STORIES_PER_CARD])
    return ThemeCard(
        id=theme.id,
        label=ctx.theme_labels[theme.id],
        href=f"themes/{theme.id}.html",
        status=row.status,
        status_label=ctx.status_label(row.status),
        keywords=_keywords(row.keywords),
        reason=volume_label(row.stories, row.sources, ctx.language),
        stories=shown,
    )


def _week_cards(
    rows: Sequence[tuple[SiteTheme, ThemeWeekRecord]],
    theme_stories: Mapping[int, Sequence[StoryRef]],
    ctx: _Context,
    *,
    with_stories: bool,
) -> tuple[tuple[ThemeCard, ...], tuple[ThemeCard, ...], tuple[ThemeCard, ...]]:
    """(trends, weak signals, all themes) of one week, in the digest's order."""
    trends = sorted(
        ((th, row) for th, row in rows if shown_as_trend(row.status, row.sources, weak_signal=row.weak_signal)),
        key=lambda p: (-p[1].stories, -p[1].sources, TREND_STATUSES.index(p[1].status), p[0].id),
    )
    signals = sorted(((th, row) for th, row in rows if row.weak_signal), key=lambda p: (-p[1].sources, p[0].id))
    every = sorted(rows, key=lambda p: (STATUS_ORDER.index(p[1].status) if p[1].status in STATUS_ORDER else 9,
                                        -p[1].stories, p[0].id))  # fmt: skip

    def cards(pairs: Iterable[tuple[SiteTheme, ThemeWeekRecord]], stories: bool) -> tuple[ThemeCard, ...]:
        return tuple(_theme_card(th, row, theme_stories.get(th.id, ()), ctx, with_stories=stories) for th, row in pairs)

    return cards(trends, with_stories), cards(signals, with_stories), cards(every, False)


SIGNALS_PER_WEEK = 5
STORIES_PER_SIGNAL_CARD = 3


def _signal_cards(
    records: Sequence[SiteSignal],
    views: Mapping[str, StoryRef],
    story_themes: Mapping[str, Mapping[str, int]],
    theme_weeks: Mapping[str, Sequence[tuple[SiteTheme, ThemeWeekRecord]]],
    ctx: _Context,
) -> dict[str, tuple[SignalCard, ...]]:
    """Each week's emerging signals, chosen as the digest chooses them (strongest first, at most 5, none
    whose stories all sit in one theme the week shows as a trend or weak signal), each story linked to
    its entry on this site."""
    out: dict[str, list[SignalCard]] = {}
    for record in sorted(records, key=lambda r: (r.week, -float(r.reason.get("z", 0.0)), r.label)):
        cards = out.setdefault(record.week, [])
        refs = sorted(
            (views[key] for key in dict.fromkeys(record.story_keys) if key in views),
            key=lambda s: (-s.n_sources, s.key),
        )
        stories = ctx.views(refs) if len(cards) < SIGNALS_PER_WEEK else ()
        if len(cards) >= SIGNALS_PER_WEEK or not stories:
            continue
        shown = {
            th.id
            for th, row in theme_weeks.get(record.week, ())
            if row.weak_signal or shown_as_trend(row.status, row.sources, weak_signal=row.weak_signal)
        }
        homes = {story_themes.get(s.key, {}).get(record.week) for s in stories}
        if len(homes) == 1 and homes <= shown:
            continue  # all in one theme the week page shows above: the signal says nothing it does not
        terms = [t for t in (text(term) for term in record.label.split(",")) if t]
        if not terms:
            continue
        written = [term_signals.display_term(term, [s.summary for s in stories], [s.title for s in stories])
                   for term in terms]  # fmt: skip
        cards.append(
            SignalCard(
                label=capitalised(written[0]),
                also=tuple(dict.fromkeys(w for w in written[1:] if w.casefold() != written[0].casefold())),
                reason=term_signals.explain(record.reason, ctx.language),
                stories=tuple(Link(s.title, s.href) for s in stories[:STORIES_PER_SIGNAL_CARD]),
            )
        )
    return {week: tuple(cards) for week, cards in out.items() if cards}
