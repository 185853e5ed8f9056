"""Everything the static site shows, as frozen view models (no Jinja, no I/O).

``build_site_view`` takes what the database holds (``SiteRecords``, read by ``adapters.site_store``) and
decides every page: home, the weeks index and one page per week since the watch began (its first fetch;
the older items of a feed's backlog go to one archive page per year), one per theme, format and source,
the search index and the Atom feed of the digests. ``adapters.site`` then only renders and writes.

Stories live on their week's page, one full block each under the anchor ``#s<id>`` (``#i<id>`` for an
item not yet grouped into a story), with all the sources that carried them; every other page links
there. A story's week is the week of the digest that showed it, else the week it first appeared.

The formats page is the format radar (``core.radar``) of the last complete week: a heatmap of the
formats' weekly stories shaded by their share of the week (``heatmap_svg``), and each format's status,
reason and sparkline (``sparkline_svg``).

Nothing here depends on the clock except the last week shown, so a rebuild with the same database gives
the same bytes and the writer can skip unchanged pages. Feed text is reduced to plain text and links kept
only when they are http(s): the templates only have to autoescape. Charts are SVG markup built from
numbers and escaped labels only (``bar_chart_svg``).
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from veille.core import i18n, titles
from veille.core import signals as term_signals
from veille.core.digest import OTHER_FORMAT, format_label
from veille.core.radar import (
    MIN_WATCH_WEEKS,
    FormatTrack,
    Radar,
    RadarStory,
    build_radar,
    explain_format,
    story_formats,
)
from veille.core.sanitize import html_to_text, safe_url, truncate_text
from veille.core.site_i18n import RadarStrings, SiteStrings, radar_strings, site_strings
from veille.core.trends import shown_as_trend, volume_label
from veille.core.weeks import iso_week, shift_week, week_bounds, weeks_between

TITLE_CHARS = 200
SUMMARY_CHARS = 320
SEARCH_SUMMARY_CHARS = 140
HOME_TRENDS = 5
STORIES_PER_CARD = 3
RECENT_WEEKS = 8
CHART_MAX_WEEKS = 52
ATOM_ENTRIES = 52
TREND_STATUSES = ("rising", "new")
STATUS_ORDER = ("new", "rising", "steady", "fading")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_SLUG = re.compile(r"[^a-z0-9_-]+")


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
class StoryRecord:
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
class ThemeRecord:
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


@dataclass(frozen=True)
class SignalRecord:
    """A key phrase whose story counts burst in ``week`` (``core.signals``), as ``veille process`` stored it."""

    week: str
    label: str  # its terms, strongest first, comma-separated
    story_keys: tuple[str, ...]  # "s12"
    reason: Mapping[str, int | float] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteRecords:
    feeds: tuple[FeedRecord, ...]
    stories: tuple[StoryRecord, ...]
    themes: tuple[ThemeRecord, ...]
    digests: tuple[DigestRecord, ...]
    # When the watch began (first feed added or item fetched): older weeks go to one archive page per year
    watch_start: datetime | None = None
    radar: tuple[RadarStory, ...] = ()  # every story as the format radar counts it (adapters.radar_store)
    first_week: str | None = None  # the week of the watch's first story
    term_signals: tuple[SignalRecord, ...] = ()  # every week's emerging signals


# --------------------------------------------------------------------------------------------------
# What the templates show (every href is relative to the site root; templates prefix ``root``)


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class CopyView:
    source: Link  # the source's page
    title: str  # the title this source gave
    url: str | None  # http(s) link to the original, else None
    date_label: str


@dataclass(frozen=True)
class StoryView:
    key: str
    href: str  # "weeks/2026-W48.html#s12"
    week: str
    title: str
    url: str | None
    summary: str
    lang: str | None  # set when it differs from the site's language (for screen readers)
    date_label: str
    sources_label: str  # "3 sources"
    n_sources: int
    copies: tuple[CopyView, ...]
    formats: tuple[Link, ...]
    themes: tuple[Link, ...]
    primary_format: str
    in_digest: bool  # shown by the digest of its week


@dataclass(frozen=True)
class StoryGroup:
    """Stories under one heading (a week, a format)."""

    label: str
    href: str | None
    stories: tuple[StoryView, ...]


@dataclass(frozen=True)
class ThemeCard:
    id: int
    label: str
    href: str
    status: str
    status_label: str
    keywords: tuple[str, ...]
    reason: str  # "6 sujets publiés par 5 sources"
    stories: tuple[StoryView, ...] = ()


@dataclass(frozen=True)
class ChartBar:
    label: str  # short week label under the bar: "S48"
    title: str  # the bar in words: "Semaine 48 2026 : 5 sujets, en hausse"
    count: int
    mark: str | None = None  # theme status when it changed that week


@dataclass(frozen=True)
class Chart:
    svg: str  # safe SVG markup: numbers and escaped labels only
    caption: str
    bars: tuple[ChartBar, ...]  # the same numbers as a table
    marks: tuple[tuple[str, str], ...] = ()  # (status, label) used by the chart, for its legend


@dataclass(frozen=True)
class EventView:
    date_label: str
    kind: str
    kind_label: str
    detail: str


@dataclass(frozen=True)
class WeekRow:
    week: str
    label: str
    period: str
    href: str
    stories: int
    digest_subject: str | None


@dataclass(frozen=True)
class BriefView:
    kind_label: str
    label: str
    href: str | None  # the theme, format or story on this site
    sentence: str
    reason: str
    url: str | None  # the original article


@dataclass(frozen=True)
class HomePage:
    week: WeekRow | None
    digest_href: str | None
    trends: tuple[ThemeCard, ...]
    signals: tuple[ThemeCard, ...]
    recent_weeks: tuple[WeekRow, ...]
    themes: tuple[Link, ...]
    formats: tuple[Link, ...]
    sources: tuple[Link, ...]
    empty: bool
    brief: tuple[BriefView, ...] = ()  # the latest digest's essentials, first thing on the page


@dataclass(frozen=True)
class WeekPage:
    week: str
    label: str
    period: str
    summary: tuple[str, ...]
    digest_subject: str | None
    digest_href: str | None
    trends: tuple[ThemeCard, ...]
    signals: tuple[ThemeCard, ...]
    themes: tuple[ThemeCard, ...]  # every theme of the week, trends included
    digest_groups: tuple[StoryGroup, ...]
    other_groups: tuple[StoryGroup, ...]
    health: tuple[tuple[Link, EventView], ...]
    previous: Link | None
    next: Link | None
    emerging: tuple[SignalCard, ...] = ()  # the week's emerging signals, as the digest shows them


@dataclass(frozen=True)
class SignalCard:
    """An emerging signal on a week page: its phrase, its numbers, its stories on this site."""

    label: str
    also: tuple[str, ...]
    reason: str
    stories: tuple[Link, ...]


@dataclass(frozen=True)
class ArchiveRow:
    """One year before the watch began, on the weeks index."""

    year: str
    label: str  # "Archives 2019"
    href: str  # "weeks/archive-2019.html"
    stories: int
    stories_label: str  # "143 sujets"


@dataclass(frozen=True)
class WeeksPage:
    rows: tuple[WeekRow, ...]
    archives: tuple[ArchiveRow, ...] = ()  # newest year first
    archives_intro: str = ""  # "Published before the watch began on 12 Oct 2026 …"


@dataclass(frozen=True)
class ArchivePage:
    """The items of one year published before the watch began (a feed's backlog), by week."""

    year: str
    label: str
    intro: str
    summary: tuple[str, ...]
    weeks: tuple[StoryGroup, ...]  # newest week first; each story under its own anchor
    previous: Link | None
    next: Link | None


@dataclass(frozen=True)
class KeywordRow:
    week: Link
    status: str
    status_label: str
    changed: bool
    stories: int
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ThemePage:
    id: int
    label: str
    status: str
    status_label: str
    keywords: tuple[str, ...]
    first_week: Link
    last_week: Link
    total: str  # "14 sujets"
    chart: Chart
    keyword_rows: tuple[KeywordRow, ...]  # newest first
    story_weeks: tuple[StoryGroup, ...]  # newest first


@dataclass(frozen=True)
class ThemeRow:
    link: Link
    status: str
    status_label: str
    keywords: tuple[str, ...]
    first_week: str
    last_week: str
    stories: int


@dataclass(frozen=True)
class ThemesPage:
    rows: tuple[ThemeRow, ...]


@dataclass(frozen=True)
class FormatPage:
    key: str
    label: str
    total: str
    chart: Chart
    story_weeks: tuple[StoryGroup, ...]
    status: str = "steady"
    status_label: str = ""
    reason: str = ""  # why it has its status, in numbers
    spark: str = ""  # SVG sparkline of the radar's weeks
    themes: tuple[tuple[Link, str], ...] = ()  # the themes carrying it over the radar's weeks, with "4 sujets"
    themes_intro: str = ""
    r: RadarStrings | None = None


@dataclass(frozen=True)
class FormatRow:
    link: Link
    stories: int
    last_week: str


@dataclass(frozen=True)
class HeatCell:
    """One week of one format on the radar's heatmap."""

    count: int
    level: int  # 0 (no story) … 5 (the largest shares of the week)
    title: str  # the cell in words: "IA et apprentissage, semaine 48 : 9 sujets, 28 % des sujets de la semaine"


@dataclass(frozen=True)
class RadarRow:
    key: str
    label: str
    href: str | None  # the format's page (None: it never had a story)
    status: str
    status_label: str
    reason: str
    stories: int  # in the radar's week
    stories_label: str  # "6 sujets"
    share_label: str  # "28 %"
    cells: tuple[HeatCell, ...]  # oldest week first
    spark: str  # SVG sparkline


@dataclass(frozen=True)
class FormatsPage:
    rows: tuple[FormatRow, ...]  # every format with stories, all time
    radar: tuple[RadarRow, ...] = ()  # rising, fading, steady; "other formats" last
    week_labels: tuple[str, ...] = ()  # the heatmap's columns: "S48"
    week_titles: tuple[str, ...] = ()  # the same in words: "Semaine 48 · 2026"
    totals: tuple[int, ...] = ()  # the week's stories, every format together
    heatmap: str = ""  # SVG; empty when the radar's weeks have no story
    intro: str = ""
    too_early: str = ""  # set while the watch is too young for statuses
    r: RadarStrings | None = None


@dataclass(frozen=True)
class SourcePage:
    id: int
    name: str
    url: str | None
    site_url: str | None
    lang: str | None
    state: str
    state_label: str
    facts: tuple[tuple[str, str], ...]  # (label, value) of its health
    counts: str
    events: tuple[EventView, ...]
    total: str
    story_weeks: tuple[StoryGroup, ...]


@dataclass(frozen=True)
class SourceRow:
    link: Link
    state: str
    state_label: str
    last_success: str
    stories: int


@dataclass(frozen=True)
class SourcesPage:
    rows: tuple[SourceRow, ...]


@dataclass(frozen=True)
class SearchEntry:
    title: str
    href: str
    summary: str
    week: str  # "S48 2026"
    formats: tuple[str, ...]
    sources: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class AtomEntry:
    id: str
    title: str
    href: str
    updated: str  # RFC 3339
    summary: str


@dataclass(frozen=True)
class AtomFeed:
    id: str
    title: str
    updated: str
    entries: tuple[AtomEntry, ...]


@dataclass(frozen=True)
class Page:
    """One HTML file: where it goes, which template draws it, and its view."""

    path: str  # relative to the site root: "themes/12.html"
    template: str  # "site/theme.html"
    title: str
    section: str  # nav entry marked current: home | weeks | themes | formats | sources | search
    view: object

    @property
    def root(self) -> str:
        """The relative way back to the site root, so links work from file:// and under any prefix."""
        return "../" * self.path.count("/")


@dataclass(frozen=True)
class SiteView:
    language: str
    title: str
    t: SiteStrings
    d: i18n.Strings
    pages: tuple[Page, ...]
    search: tuple[SearchEntry, ...]
    atom: AtomFeed
    digest_weeks: tuple[str, ...]  # archived digests the site copies as digests/<week>.html


# --------------------------------------------------------------------------------------------------
# Small helpers


@lru_cache(maxsize=1 << 17)
def text(value: str | None) -> str:
    """Feed text as one line of plain text (tags, scripts and entities gone).

    Cached, and plain printable ASCII (most titles) skips the sanitiser: with no markup, entity,
    control character or non-ASCII letter, ``html_to_text`` would only collapse the spaces.
    """
    if value and value.isascii() and value.isprintable() and "<" not in value and "&" not in value:
        return " ".join(value.split())
    return html_to_text(value)


@lru_cache(maxsize=1 << 17)
def web_url(url: str | None) -> str | None:
    """``core.sanitize.safe_url``, cached: a story's lead link is also one of its copies' links."""
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


def _capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


def _plural(count: int, one: str, many: str, language: str) -> str:
    return i18n.plural(count, one, many, language)


def week_range(first: str, last: str) -> list[str]:
    """Every week from ``first`` to ``last`` included (empty when ``last`` comes first)."""
    span = weeks_between(first, last)
    return [shift_week(first, n) for n in range(span + 1)] if span >= 0 else []


# --------------------------------------------------------------------------------------------------
# The chart


_MARK_SHAPES = {"new": "circle", "rising": "up", "steady": "diamond", "fading": "down"}


def bar_chart_svg(bars: Sequence[ChartBar], *, chart_id: str, title: str, desc: str) -> str:
    """An inline SVG bar chart of stories per week, status changes marked above their bar.

    Built from numbers only; every label goes through ``html.escape``, so the markup is safe to insert
    as is. Colours come from the page's CSS classes (light and dark), and each status has its own
    shape (circle, up and down triangles, diamond) so the marks do not rely on colour alone.
    """
    n = max(1, len(bars))
    step = max(16, min(40, 640 // n))  # a few weeks get wide bars, a year fits 900 px
    bar_w, left, top, bottom, right = round(step * 0.7), 30, 18, 20, 8
    plot_h = 110
    width = left + n * step + right
    height = top + plot_h + bottom
    peak = max([b.count for b in bars] + [1])
    every = max(1, math.ceil(30 / step))  # week labels at least 30 px apart
    esc = html.escape
    parts = [
        f'<svg class="chart" id="{esc(chart_id)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{esc(chart_id)}-t {esc(chart_id)}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{esc(chart_id)}-t">{esc(title)}</title>',
        f'<desc id="{esc(chart_id)}-d">{esc(desc)}</desc>',
        f'<line class="axis" x1="{left - 4}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>',
        f'<line class="grid" x1="{left - 4}" y1="{top}" x2="{width - right}" y2="{top}"/>',
        f'<text class="tick" x="{left - 7}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text class="tick" x="{left - 7}" y="{top + plot_h + 4}" text-anchor="end">0</text>',
    ]
    for index, bar in enumerate(bars):
        x = left + index * step
        h = round(plot_h * bar.count / peak) if bar.count else 0
        y = top + plot_h - h
        parts.append(
            f'<rect class="bar" x="{x}" y="{y}" width="{bar_w}" height="{max(h, 1) if bar.count else 0}">'
            f"<title>{esc(bar.title)}</title></rect>"
        )
        if bar.mark in _MARK_SHAPES:
            parts.append(_mark(bar.mark, x + bar_w / 2, y - 8, bar.title))
        if index % every == 0 or index == n - 1:
            parts.append(
                f'<text class="tick" x="{x + bar_w / 2:g}" y="{top + plot_h + 14}" text-anchor="middle">'
                f"{esc(bar.label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _mark(status: str, cx: float, cy: float, title: str) -> str:
    shape = _MARK_SHAPES[status]
    cls = f'class="mark mark-{status}"'
    tip = f"<title>{html.escape(title)}</title>"
    if shape == "circle":
        return f'<circle {cls} cx="{cx:g}" cy="{cy:g}" r="4.5">{tip}</circle>'
    if shape == "up":
        points = f"{cx:g},{cy - 5:g} {cx + 5:g},{cy + 4:g} {cx - 5:g},{cy + 4:g}"
    elif shape == "down":
        points = f"{cx - 5:g},{cy - 4:g} {cx + 5:g},{cy - 4:g} {cx:g},{cy + 5:g}"
    else:
        points = f"{cx:g},{cy - 5:g} {cx + 5:g},{cy:g} {cx:g},{cy + 5:g} {cx - 5:g},{cy:g}"
    return f'<polygon {cls} points="{points}">{tip}</polygon>'


HEAT_SHARES = (0.05, 0.10, 0.20, 0.30)  # share of the week above which a cell is one level darker


def heat_level(count: int, share: float) -> int:
    """0 for no story, then 1 … 5 by the format's share of the week (``HEAT_SHARES``)."""
    return 0 if count <= 0 else 1 + sum(share > bound for bound in HEAT_SHARES)


def heatmap_svg(
    rows: Sequence[tuple[str, Sequence[HeatCell], str, str]],
    columns: Sequence[str],
    *,
    chart_id: str,
    title: str,
    desc: str,
) -> str:
    """An inline SVG heatmap: one row per format (``(label, cells, status, status title)``), one column
    per week, each cell shaded by the format's share of the week and holding its count as text, the
    row's status as a shape at its end (so neither the numbers nor the status rely on colour).

    Built from numbers only; labels go through ``html.escape``.
    """
    esc = html.escape
    longest = max((len(label) for label, _, _, _ in rows), default=8)
    label_w = min(290, max(80, round(6.2 * min(longest, 44)) + 12))
    cell_w, cell_h, top, right = 32, 22, 18, 24
    width = label_w + len(columns) * cell_w + right
    height = top + len(rows) * cell_h + 4
    parts = [
        f'<svg class="chart heatmap" id="{esc(chart_id)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{esc(chart_id)}-t {esc(chart_id)}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{esc(chart_id)}-t">{esc(title)}</title>',
        f'<desc id="{esc(chart_id)}-d">{esc(desc)}</desc>',
    ]
    for index, column in enumerate(columns):
        x = label_w + index * cell_w + cell_w / 2
        parts.append(f'<text class="tick" x="{x:g}" y="{top - 6}" text-anchor="middle">{esc(column)}</text>')
    for row_index, (label, cells, status, status_title) in enumerate(rows):
        y = top + row_index * cell_h
        shown = label if len(label) <= 44 else label[:43].rstrip() + "…"
        parts.append(
            f'<text class="heat-label" x="{label_w - 6}" y="{y + cell_h / 2 + 4:g}" text-anchor="end">'
            f"<title>{esc(label)}</title>{esc(shown)}</text>"
        )
        for index, cell in enumerate(cells):
            x = label_w + index * cell_w
            parts.append(
                f'<g class="heat heat-{cell.level}"><title>{esc(cell.title)}</title>'
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" rx="2"/>'
                f'<text x="{x + cell_w / 2:g}" y="{y + cell_h / 2 + 4:g}" text-anchor="middle">{cell.count}</text></g>'
            )
        if status in _MARK_SHAPES:
            parts.append(_mark(status, label_w + len(columns) * cell_w + 12, y + cell_h / 2, status_title))
    parts.append("</svg>")
    return "".join(parts)


def sparkline_svg(counts: Sequence[int], *, status: str, label: str) -> str:
    """A small SVG line of weekly counts, its last point marked with the format's status shape; the
    numbers are in ``label`` (its accessible name)."""
    width, height, pad = 100, 26, 5
    n = max(len(counts), 1)
    peak = max([*counts, 1])
    step = (width - 2 * pad) / max(n - 1, 1)
    points = [(pad + i * step, height - pad - (height - 2 * pad) * c / peak) for i, c in enumerate(counts)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line class="grid" x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}"/>',
        f'<polyline class="spark-line" points="{line}"/>',
    ]
    if points and status in _MARK_SHAPES:
        x, y = points[-1]
        parts.append(_mark(status, round(x, 1), round(y, 1), label))
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------------
# Building the site


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

    memo: dict[object, str] = field(default_factory=dict)

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


def story_week(story: StoryRecord) -> str:
    """The week whose page holds the story: its digest's week, else the week it first appeared."""
    return story.digest_week or iso_week(story.first_at)


def build_site_view(
    records: SiteRecords,
    *,
    language: str = "fr",
    title: str = "",
    now: datetime,
    format_labels: Mapping[str, str] | None = None,
) -> SiteView:
    """Every page of the site. Pure: the same records and week of ``now`` always give the same site."""
    lang = "en" if language == "en" else "fr"
    t, d = site_strings(lang), i18n.strings(lang)
    site_title = text(title) or d.default_title
    themes = {theme.id: theme for theme in records.themes}
    format_counts: dict[str, int] = defaultdict(int)
    for record in records.stories:
        for fmt in story_formats(fmt for fmt, _ in record.formats):
            format_counts[fmt] += 1
    format_keys = sorted(format_counts, key=lambda k: (k == OTHER_FORMAT, -format_counts[k], k))
    ctx = _Context(
        language=lang,
        t=t,
        d=d,
        format_labels=format_labels,
        feeds={feed.id: feed for feed in records.feeds},
        theme_labels={th.id: _theme_label(th, lang) for th in records.themes},
        format_paths=_format_paths(format_keys),
    )
    current = iso_week(now)
    digests = {dg.week: dg for dg in records.digests if dg.week <= current}
    # Weeks before the watch began (a feed's backlog) are grouped by year; a week with a digest keeps its page.
    starts = ([iso_week(records.watch_start)] if records.watch_start else []) + sorted(digests)[:1]
    ctx.watch_week = min(starts) if starts else None

    # one view per story, shared by every page that lists it
    stories: list[StoryView] = []
    by_week: dict[str, list[StoryView]] = defaultdict(list)
    records_by_key: dict[str, StoryRecord] = {}
    for record in sorted(records.stories, key=lambda s: (s.first_at, s.key)):
        week = story_week(record)
        if week > current:
            continue
        view = _story_view(record, week, ctx)
        stories.append(view)
        by_week[week].append(view)
        records_by_key[record.key] = record

    weeks = sorted(
        set(by_week) | {w.week for th in records.themes for w in th.weeks if w.week <= current} | set(digests)
    )
    archived = [w for w in weeks if ctx.watch_week is not None and w < ctx.watch_week]
    weeks = weeks[len(archived) :]
    if archived and ctx.watch_week is not None and ctx.watch_week <= current and ctx.watch_week not in weeks:
        weeks.insert(0, ctx.watch_week)  # on the first day, a backlog and nothing new yet: the watch's week
    all_weeks = week_range(weeks[0], weeks[-1]) if weeks else []
    theme_weeks: dict[str, list[tuple[ThemeRecord, ThemeWeekRecord]]] = defaultdict(list)
    for theme in records.themes:
        for row in theme.weeks:
            theme_weeks[row.week].append((theme, row))
    # The sources of a week, as the digest counts them: the feeds that published during the week.
    week_feeds: dict[str, set[int]] = defaultdict(set)
    for record in records.stories:
        for copy in record.copies:
            week_feeds[iso_week(copy.published_at)].add(copy.feed_id)
    theme_stories: dict[int, list[StoryView]] = defaultdict(list)
    format_stories: dict[str, list[StoryView]] = defaultdict(list)
    source_stories: dict[int, list[StoryView]] = defaultdict(list)
    for view in stories:
        record = records_by_key[view.key]
        for theme_id in dict.fromkeys(theme_id for _, theme_id in record.themes):
            if theme_id in themes:
                theme_stories[theme_id].append(view)
        for fmt in story_formats(fmt for fmt, _ in record.formats):
            format_stories[fmt].append(view)
        for feed_id in dict.fromkeys(copy.feed_id for copy in record.copies):
            source_stories[feed_id].append(view)

    week_rows = {
        week: WeekRow(
            week=week,
            label=week_label(week, d),
            period=period(week, lang),
            href=week_href(week),
            stories=len(by_week.get(week, ())),
            digest_subject=text(digests[week].subject) if week in digests else None,
        )
        for week in all_weeks
    }
    pages: list[Page] = []

    # before the watch: one archive page per year; the newest leads to the first week of the watch
    archive_pages, archive_rows = _archive_pages(archived, by_week, records, all_weeks[0] if all_weeks else None, ctx)
    pages.extend(archive_pages)
    first_previous = Link(archive_rows[-1].label, archive_rows[-1].href) if archive_rows else None

    def week_link(index: int) -> Link | None:
        if index < 0:
            return first_previous
        if index >= len(all_weeks):
            return None
        return Link(week_label(all_weeks[index], d), week_href(all_weeks[index]))

    # weeks
    story_themes = {story.key: dict(story.themes) for story in records.stories}
    emerging = _signal_cards(records.term_signals, by_week, story_themes, theme_weeks, ctx)
    for index, week in enumerate(all_weeks):
        pages.append(
            _week_page(
                week,
                by_week.get(week, []),
                theme_weeks.get(week, []),
                digests.get(week),
                theme_stories,
                records.feeds,
                len(week_feeds.get(week, ())),
                previous=week_link(index - 1),
                following=week_link(index + 1),
                ctx=ctx,
                emerging=emerging.get(week, ()),
            )
        )
    pages.append(
        Page(
            "weeks/index.html",
            "site/weeks.html",
            t.weeks,
            "weeks",
            WeeksPage(
                tuple(week_rows[w] for w in reversed(all_weeks)),
                archives=tuple(reversed(archive_rows)),
                archives_intro=t.archives_intro.format(date=ctx.date(records.watch_start)) if archive_pages else "",
            ),
        )
    )

    # themes
    theme_rows: list[tuple[str, ThemeRow]] = []
    for theme in records.themes:
        page = _theme_page(theme, theme_stories.get(theme.id, []), all_weeks, ctx)
        pages.append(page)
        latest = theme.weeks[-1] if theme.weeks else None
        theme_rows.append(
            (
                theme.last_week,
                ThemeRow(
                    link=Link(ctx.theme_labels[theme.id], page.path),
                    status=latest.status if latest else "steady",
                    status_label=ctx.status_label(latest.status) if latest else "",
                    keywords=_keywords(latest.keywords) if latest else (),
                    first_week=week_short(theme.first_week, d) + " " + theme.first_week[:4],
                    last_week=week_short(theme.last_week, d) + " " + theme.last_week[:4],
                    stories=len(theme_stories.get(theme.id, ())),
                ),
            )
        )
    theme_rows.sort(key=lambda pair: (pair[0], pair[1].stories, pair[1].link.label), reverse=True)
    pages.append(
        Page("themes/index.html", "site/themes.html", t.themes, "themes", ThemesPage(tuple(r for _, r in theme_rows)))
    )

    # formats: the radar scores the last complete week (a week in progress would look like a fall)
    radar = build_radar(
        records.radar, shift_week(current, -1), formats=list(format_labels or ()), first_week=records.first_week
    )
    tracks = {track.format: track for track in radar.formats}
    format_rows = []
    for key in (k for k in format_keys if format_stories.get(k)):
        page = _format_page(
            key, ctx.format_paths[key], format_stories[key], all_weeks, ctx, tracks.get(key), radar, records_by_key
        )
        pages.append(page)
        format_rows.append(
            FormatRow(
                Link(ctx.format_name(key), page.path),
                len(format_stories[key]),
                week_label(format_stories[key][-1].week, d),
            )
        )
    pages.append(
        Page(
            "formats/index.html",
            "site/formats.html",
            t.formats,
            "formats",
            _formats_page(
                radar, tuple(format_rows), {k: ctx.format_paths[k] for k in format_keys if format_stories.get(k)}, ctx
            ),
        )
    )

    # sources
    source_rows = []
    for feed in sorted(records.feeds, key=lambda f: ctx.feed_name(f.id).lower()):
        page = _source_page(feed, source_stories.get(feed.id, []), ctx)
        pages.append(page)
        state = _feed_state(feed)
        source_rows.append(
            SourceRow(
                link=Link(ctx.feed_name(feed.id), page.path),
                state=state,
                state_label=dict(t.feed_states)[state],
                last_success=ctx.date(feed.last_success_at),
                stories=len(source_stories.get(feed.id, ())),
            )
        )
    pages.append(Page("sources/index.html", "site/sources.html", t.sources, "sources", SourcesPage(tuple(source_rows))))

    # home and search
    pages.insert(0, _home_page(all_weeks, week_rows, digests, theme_weeks, theme_stories, records, format_rows,
                               source_rows, ctx))  # fmt: skip
    pages.append(Page("search.html", "site/search.html", t.search, "search", None))

    search = tuple(_search_entry(view, records_by_key[view.key], ctx) for view in stories)
    return SiteView(
        language=lang,
        title=site_title,
        t=t,
        d=d,
        pages=tuple(pages),
        search=search,
        atom=_atom(site_title, all_weeks, digests, theme_weeks, by_week, ctx),
        digest_weeks=tuple(w for w in all_weeks if w in digests and digests[w].archived),
    )


def _archive_pages(
    weeks: Sequence[str],
    by_week: Mapping[str, Sequence[StoryView]],
    records: SiteRecords,
    first_week: str | None,
    ctx: _Context,
) -> tuple[list[Page], list[ArchiveRow]]:
    """One page per year of the weeks before the watch began, oldest year first, and its row on the
    weeks index: the items a feed's backlog brought, by week, each story under its anchor as on a week
    page."""
    t, lang = ctx.t, ctx.language
    years: dict[str, list[str]] = defaultdict(list)
    for week in weeks:  # a year whose weeks only have theme rows still gets its page: theme pages link there
        years[week[:4]].extend([week] if by_week.get(week) else [])
    order = sorted(years)
    started = ctx.date(records.watch_start)
    pages, rows = [], []
    for index, year in enumerate(order):
        groups = tuple(
            StoryGroup(
                f"{week_label(week, ctx.d)} ({period(week, lang)})",
                None,
                tuple(_sorted_recent(by_week[week])),
            )
            for week in reversed(years[year])
        )
        stories = [story for group in groups for story in group.stories]
        sources = {copy.source.href for story in stories for copy in story.copies}
        label = t.archive_label.format(year=year)
        previous = order[index - 1] if index > 0 else None
        following = order[index + 1] if index + 1 < len(order) else None
        view = ArchivePage(
            year=year,
            label=label,
            intro=t.archive_intro.format(date=started),
            summary=(
                _plural(len(stories), t.story_one, t.story_many, lang),
                _plural(len(sources), ctx.d.source_one, ctx.d.source_many, lang),
            ),
            weeks=groups,
            previous=Link(t.archive_label.format(year=previous), archive_href(previous)) if previous else None,
            next=(
                Link(t.archive_label.format(year=following), archive_href(following))
                if following
                else Link(week_label(first_week, ctx.d), week_href(first_week))
                if first_week
                else None
            ),
        )
        pages.append(Page(archive_href(year), "site/archive.html", label, "weeks", view))
        rows.append(ArchiveRow(year, label, archive_href(year), len(stories), ctx.stories_label(len(stories))))
    return pages, rows


def _format_paths(keys: Sequence[str]) -> dict[str, str]:
    """A distinct file name per format key, even when two keys give the same slug."""
    used: set[str] = set()
    paths = {}
    for key in keys:
        name = slug(key)
        while name in used:
            name += "-"
        used.add(name)
        paths[key] = f"formats/{name}.html"
    return paths


def _theme_label(theme: ThemeRecord, lang: str) -> str:
    """The theme's name: its latest title in ``lang`` (keywords for themes made before titles existed)."""
    titled = [text(titles.in_language(week.titles, lang)) for week in theme.weeks]
    title = next((name for name in reversed(titled) if name), "")
    latest = theme.weeks[-1].keywords if theme.weeks else ()
    return _capitalised(title or text(theme.label) or ", ".join(_keywords(latest)[:3])) or f"#{theme.id}"


def _keywords(keywords: Iterable[str]) -> tuple[str, ...]:
    return tuple(k for k in (text(str(k)) for k in keywords) if k)[:8]


def _feed_state(feed: FeedRecord) -> str:
    if feed.status in ("gone", "removed"):
        return feed.status
    return "stale" if feed.stale else "active"


def _story_view(record: StoryRecord, week: str, ctx: _Context) -> StoryView:
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
    kept = story_formats(fmt for fmt, _ in record.formats)  # "other" only alone, as on the format pages
    ranked = [fmt for fmt, _ in sorted(record.formats, key=lambda pair: (-pair[1], pair[0])) if fmt in kept]
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
        primary_format=ranked[0] if ranked else OTHER_FORMAT,
        in_digest=record.digest_week is not None and record.digest_week == week,
    )


def _sorted_recent(stories: Iterable[StoryView]) -> list[StoryView]:
    return sorted(stories, key=lambda s: (-s.n_sources, s.key))


def _by_week_groups(stories: Sequence[StoryView], ctx: _Context) -> tuple[StoryGroup, ...]:
    """Stories grouped by week, newest week first, most covered first inside a week."""
    groups: dict[str, list[StoryView]] = defaultdict(list)
    for story in stories:
        groups[story.week].append(story)
    return tuple(
        StoryGroup(week_label(week, ctx.d), ctx.week_href(week), tuple(_sorted_recent(groups[week])))
        for week in sorted(groups, reverse=True)
    )


def _by_format_groups(stories: Sequence[StoryView], ctx: _Context) -> tuple[StoryGroup, ...]:
    groups: dict[str, list[StoryView]] = defaultdict(list)
    for story in stories:
        groups[story.primary_format].append(story)
    order = sorted(groups, key=lambda k: (k == OTHER_FORMAT, -len(groups[k]), k))
    return tuple(StoryGroup(ctx.format_name(k), None, tuple(_sorted_recent(groups[k]))) for k in order)


def _theme_card(
    theme: ThemeRecord, row: ThemeWeekRecord, stories: Sequence[StoryView], ctx: _Context, *, with_stories: bool
) -> ThemeCard:
    shown: tuple[StoryView, ...] = ()
    if with_stories:
        shown = tuple(_sorted_recent(s for s in stories if s.week == row.week))[:STORIES_PER_CARD]
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
    rows: Sequence[tuple[ThemeRecord, ThemeWeekRecord]],
    theme_stories: Mapping[int, Sequence[StoryView]],
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

    def cards(pairs: Iterable[tuple[ThemeRecord, ThemeWeekRecord]], stories: bool) -> tuple[ThemeCard, ...]:
        return tuple(_theme_card(th, row, theme_stories.get(th.id, ()), ctx, with_stories=stories) for th, row in pairs)

    return cards(trends, with_stories), cards(signals, with_stories), cards(every, False)


SIGNALS_PER_WEEK = 5
STORIES_PER_SIGNAL_CARD = 3


def _signal_cards(
    records: Sequence[SignalRecord],
    by_week: Mapping[str, Sequence[StoryView]],
    story_themes: Mapping[str, Mapping[str, int]],
    theme_weeks: Mapping[str, Sequence[tuple[ThemeRecord, ThemeWeekRecord]]],
    ctx: _Context,
) -> dict[str, tuple[SignalCard, ...]]:
    """Each week's emerging signals, chosen as the digest chooses them (strongest first, at most 5, none
    whose stories all sit in one theme the week shows as a trend or weak signal), each story linked to
    its entry on this site."""
    views = {story.key: story for stories in by_week.values() for story in stories}
    out: dict[str, list[SignalCard]] = {}
    for record in sorted(records, key=lambda r: (r.week, -float(r.reason.get("z", 0.0)), r.label)):
        cards = out.setdefault(record.week, [])
        stories = sorted(
            (views[key] for key in dict.fromkeys(record.story_keys) if key in views),
            key=lambda s: (-s.n_sources, s.key),
        )
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
                label=written[0][:1].upper() + written[0][1:],
                also=tuple(dict.fromkeys(w for w in written[1:] if w.casefold() != written[0].casefold())),
                reason=term_signals.explain(record.reason, ctx.language),
                stories=tuple(Link(s.title, s.href) for s in stories[:STORIES_PER_SIGNAL_CARD]),
            )
        )
    return {week: tuple(cards) for week, cards in out.items() if cards}


def _week_page(
    week: str,
    stories: Sequence[StoryView],
    rows: Sequence[tuple[ThemeRecord, ThemeWeekRecord]],
    digest: DigestRecord | None,
    theme_stories: Mapping[int, Sequence[StoryView]],
    feeds: Sequence[FeedRecord],
    sources: int,
    *,
    previous: Link | None,
    following: Link | None,
    ctx: _Context,
    emerging: tuple[SignalCard, ...] = (),
) -> Page:
    d, t, lang = ctx.d, ctx.t, ctx.language
    trends, signals, every = _week_cards(rows, theme_stories, ctx, with_stories=True)
    in_digest = [s for s in stories if s.in_digest]
    claimed = {s.key for s in in_digest}
    others = [s for s in stories if s.key not in claimed]
    start, end = week_bounds(week)
    health = []
    for feed in sorted(feeds, key=lambda f: ctx.feed_name(f.id).lower()):
        for event in feed.events:
            if start <= event.at < end:
                health.append((Link(ctx.feed_name(feed.id), f"sources/{feed.id}.html"), _event_view(event, ctx)))
    new_themes = sum(1 for _, row in rows if row.status == "new")
    summary = (
        _plural(len(stories), t.story_one, t.story_many, lang),
        _plural(sources, d.source_one, d.source_many, lang),
        _plural(new_themes, *_NEW_THEMES[lang], lang),
    )
    view = WeekPage(
        week=week,
        label=week_label(week, d),
        period=period(week, lang),
        summary=summary,
        digest_subject=text(digest.subject) if digest else None,
        digest_href=f"digests/{week}.html" if digest and digest.archived else None,
        trends=trends,
        signals=signals,
        themes=every,
        digest_groups=_by_format_groups(in_digest, ctx),
        other_groups=_by_format_groups(others, ctx),
        health=tuple(health),
        previous=previous,
        next=following,
        emerging=emerging,
    )
    return Page(week_href(week), "site/week.html", f"{week_label(week, d)} ({period(week, lang)})", "weeks", view)


_NEW_THEMES = {"fr": ("nouveau thème", "nouveaux thèmes"), "en": ("new theme", "new themes")}


def _chart_bars(
    counts: Mapping[str, int], weeks: Sequence[str], marks: Mapping[str, str], ctx: _Context
) -> tuple[ChartBar, ...]:
    bars = []
    for week in weeks:
        count = counts.get(week, 0)
        words = f"{week_label(week, ctx.d)}{ctx.d.colon}{ctx.stories_label(count)}"
        if week in marks:
            words += f", {ctx.status_label(marks[week])}"
        bars.append(ChartBar(week_short(week, ctx.d), words, count, marks.get(week)))
    return tuple(bars)


def _chart(chart_id: str, bars: tuple[ChartBar, ...], caption: str, ctx: _Context) -> Chart:
    total = sum(b.count for b in bars)
    desc = f"{ctx.stories_label(total)}, {bars[0].label} – {bars[-1].label}" if bars else caption
    used = tuple((s, ctx.status_label(s)) for s in STATUS_ORDER if any(b.mark == s for b in bars))
    return Chart(bar_chart_svg(bars, chart_id=chart_id, title=caption, desc=desc), caption, bars, used)


def _theme_page(theme: ThemeRecord, stories: Sequence[StoryView], all_weeks: Sequence[str], ctx: _Context) -> Page:
    d = ctx.d
    rows = sorted(theme.weeks, key=lambda r: r.week)
    last = all_weeks[-1] if all_weeks else theme.last_week
    span = week_range(theme.first_week, max(theme.last_week, last))[-CHART_MAX_WEEKS:]
    marks: dict[str, str] = {}
    previous_status: str | None = None
    keyword_rows = []
    for row in rows:
        changed = row.status != previous_status
        if changed:
            marks[row.week] = row.status
        keyword_rows.append(
            KeywordRow(
                week=Link(week_label(row.week, d), ctx.week_href(row.week)),
                status=row.status,
                status_label=ctx.status_label(row.status),
                changed=changed,
                stories=row.stories,
                keywords=_keywords(row.keywords),
            )
        )
        previous_status = row.status
    counts = {row.week: row.stories for row in rows}
    latest = rows[-1] if rows else None
    label = ctx.theme_labels[theme.id]
    view = ThemePage(
        id=theme.id,
        label=label,
        status=latest.status if latest else "steady",
        status_label=ctx.status_label(latest.status) if latest else "",
        keywords=_keywords(latest.keywords) if latest else (),
        first_week=Link(week_label(theme.first_week, d), ctx.week_href(theme.first_week)),
        last_week=Link(week_label(theme.last_week, d), ctx.week_href(theme.last_week)),
        total=ctx.stories_label(len(stories)),
        chart=_chart(f"chart-theme-{theme.id}", _chart_bars(counts, span, marks, ctx), ctx.t.timeline, ctx),
        keyword_rows=tuple(reversed(keyword_rows)),
        story_weeks=_by_week_groups(stories, ctx),
    )
    return Page(f"themes/{theme.id}.html", "site/theme.html", label, "themes", view)


def _format_page(
    key: str,
    path: str,
    stories: Sequence[StoryView],
    all_weeks: Sequence[str],
    ctx: _Context,
    track: FormatTrack | None,
    radar: Radar,
    records: Mapping[str, StoryRecord],
) -> Page:
    counts: dict[str, int] = defaultdict(int)
    for story in stories:
        counts[story.week] += 1
    span = list(all_weeks)[-CHART_MAX_WEEKS:]
    label = ctx.format_name(key)
    r = radar_strings(ctx.language)
    marks: dict[str, str] = {}
    previous = "steady"
    for row in track.weeks if track else ():  # status changes over the radar's weeks
        if row.status != previous:
            marks[row.week] = row.status
        previous = row.status
    carried: dict[int, int] = defaultdict(int)
    shown = set(radar.weeks)
    for story in stories:
        if story.week in shown:
            for theme_id in dict.fromkeys(theme_id for _, theme_id in records[story.key].themes):
                if theme_id in ctx.theme_labels:
                    carried[theme_id] += 1
    top = sorted(carried.items(), key=lambda pair: (-pair[1], ctx.theme_labels[pair[0]].lower(), pair[0]))[:8]
    view = FormatPage(
        key=key,
        label=label,
        total=ctx.stories_label(len(stories)),
        chart=_chart(f"chart-format-{slug(key)}", _chart_bars(counts, span, marks, ctx), ctx.t.timeline, ctx),
        story_weeks=_by_week_groups(stories, ctx),
        status=track.status.status if track else "steady",
        status_label=ctx.status_label(track.status.status if track else "steady"),
        reason=explain_format(track.status, ctx.language) if track else "",
        spark=_spark(track, label, ctx) if track else "",
        themes=tuple(
            (Link(ctx.theme_labels[theme_id], f"themes/{theme_id}.html"), ctx.stories_label(n)) for theme_id, n in top
        ),
        themes_intro=r.carried_intro.format(n=len(radar.weeks)),
        r=r,
    )
    return Page(path, "site/format.html", label, "formats", view)


def _share(share: float, ctx: _Context) -> str:
    percent = round(100 * share)
    return f"{percent}\u00a0%" if ctx.language == "fr" else f"{percent}%"


def _spark(track: FormatTrack, label: str, ctx: _Context) -> str:
    r = radar_strings(ctx.language)
    words = r.spark.format(
        label=label,
        first=week_short(track.weeks[0].week, ctx.d),
        last=week_short(track.weeks[-1].week, ctx.d),
        counts=", ".join(str(n) for n in track.history),
    )
    return sparkline_svg(track.history, status=track.status.status, label=words)


def _formats_page(radar: Radar, rows: tuple[FormatRow, ...], paths: Mapping[str, str], ctx: _Context) -> FormatsPage:
    """The formats page as a radar: the heatmap of the radar's weeks, then one row per format."""
    r, d = radar_strings(ctx.language), ctx.d
    in_words = f"{d.week_word} {week_number(radar.week)} ({period(radar.week, ctx.language)})"
    radar_rows = []
    for track in radar.formats:
        label = ctx.format_name(track.format)
        cells = tuple(
            HeatCell(
                count=w.stories,
                level=heat_level(w.stories, w.share),
                title=f"{label}, {week_label(w.week, d)}{d.colon}{ctx.stories_label(w.stories)}, "
                + r.of_week.format(share=_share(w.share, ctx)),
            )
            for w in track.weeks
        )
        radar_rows.append(
            RadarRow(
                key=track.format,
                label=label,
                href=paths.get(track.format),
                status=track.status.status,
                status_label=ctx.status_label(track.status.status),
                reason=explain_format(track.status, ctx.language),
                stories=track.current.stories,
                stories_label=ctx.stories_label(track.current.stories),
                share_label=_share(track.current.share, ctx),
                cells=cells,
                spark=_spark(track, label, ctx),
            )
        )
    columns = tuple(week_short(w, d) for w in radar.weeks)
    heatmap = ""
    if sum(radar.totals):
        heatmap = heatmap_svg(
            [(row.label, row.cells, row.status, f"{row.label}{d.colon}{row.status_label}") for row in radar_rows],
            columns,
            chart_id="radar-heatmap",
            title=r.heatmap,
            desc=r.heatmap_desc.format(n=len(radar_rows), weeks=len(columns)),
        )
    too_early = ""
    if radar.watch_weeks < MIN_WATCH_WEEKS:
        too_early = r.too_early.format(n=radar.watch_weeks, need=MIN_WATCH_WEEKS)
    return FormatsPage(
        rows=rows,
        radar=tuple(radar_rows),
        week_labels=columns,
        week_titles=tuple(week_label(w, d) for w in radar.weeks),
        totals=radar.totals,
        heatmap=heatmap,
        intro=r.intro.format(n=len(radar.weeks), week=in_words),
        too_early=too_early,
        r=r,
    )


def _event_view(event: FeedEventRecord, ctx: _Context) -> EventView:
    detail = truncate_text(text(event.detail), 200)
    if event.status is not None:
        detail = f"HTTP {event.status}" + (f" — {detail}" if detail else "")
    return EventView(
        date_label=ctx.date(event.at),
        kind=event.kind,
        kind_label=dict(ctx.t.event_kinds).get(event.kind, event.kind),
        detail=detail,
    )


def _source_page(feed: FeedRecord, stories: Sequence[StoryView], ctx: _Context) -> Page:
    t = ctx.t
    state = _feed_state(feed)
    facts = [
        (t.last_success, ctx.date(feed.last_success_at)),
        (t.last_new_item, ctx.date(feed.last_new_item_at)),
    ]
    if feed.last_error:
        facts.append((t.last_error, f"{ctx.date(feed.last_error_at)} — {truncate_text(text(feed.last_error), 200)}"))
    if feed.consecutive_failures:
        facts.append((t.failures, str(feed.consecutive_failures)))
    if feed.moved_from:
        moved_from = safe_url(feed.moved_from) or text(feed.moved_from)
        facts.append((t.moved, f"{ctx.date(feed.moved_at)} — {moved_from} → {feed.url}"))
    counts = t.event_counts.format(
        ok=feed.event_counts.get("ok", 0),
        nm=feed.event_counts.get("not_modified", 0),
        error=feed.event_counts.get("error", 0),
    )
    name = ctx.feed_name(feed.id)
    view = SourcePage(
        id=feed.id,
        name=name,
        url=safe_url(feed.url),
        site_url=safe_url(feed.site_url),
        lang=feed.lang if feed.lang and _LANG.match(feed.lang) else None,
        state=state,
        state_label=dict(t.feed_states)[state],
        facts=tuple(facts),
        counts=counts,
        events=tuple(_event_view(e, ctx) for e in feed.events),
        total=ctx.stories_label(len(stories)),
        story_weeks=_by_week_groups(stories, ctx),
    )
    return Page(f"sources/{feed.id}.html", "site/source.html", name, "sources", view)


def _home_page(
    all_weeks: Sequence[str],
    week_rows: Mapping[str, WeekRow],
    digests: Mapping[str, DigestRecord],
    theme_weeks: Mapping[str, Sequence[tuple[ThemeRecord, ThemeWeekRecord]]],
    theme_stories: Mapping[int, Sequence[StoryView]],
    records: SiteRecords,
    format_rows: Sequence[FormatRow],
    source_rows: Sequence[SourceRow],
    ctx: _Context,
) -> Page:
    # the latest digest's week; without any digest, the latest week that has themes, else the latest week
    week = max(digests) if digests else None
    if week is None:
        with_themes = [w for w in all_weeks if theme_weeks.get(w)]
        week = with_themes[-1] if with_themes else (all_weeks[-1] if all_weeks else None)
    trends: tuple[ThemeCard, ...] = ()
    signals: tuple[ThemeCard, ...] = ()
    if week is not None:
        trends, signals, _ = _week_cards(theme_weeks.get(week, ()), theme_stories, ctx, with_stories=True)
    digest = digests.get(week) if week else None
    themes = sorted(records.themes, key=lambda th: (th.last_week, len(theme_stories.get(th.id, ()))), reverse=True)
    view = HomePage(
        week=week_rows.get(week) if week else None,
        digest_href=f"digests/{week}.html" if digest and digest.archived else None,
        trends=trends[:HOME_TRENDS],
        signals=signals[:HOME_TRENDS],
        recent_weeks=tuple(week_rows[w] for w in reversed(all_weeks[-RECENT_WEEKS:])),
        themes=tuple(Link(ctx.theme_labels[th.id], f"themes/{th.id}.html") for th in themes[:12]),
        formats=tuple(row.link for row in format_rows),
        sources=tuple(row.link for row in source_rows),
        empty=not all_weeks,
        brief=_brief_views(digest, records, format_rows, ctx),
    )
    return Page("index.html", "site/home.html", ctx.d.default_title, "home", view)


def _brief_views(
    digest: DigestRecord | None, records: SiteRecords, format_rows: Sequence[FormatRow], ctx: _Context
) -> tuple[BriefView, ...]:
    """The digest's essentials, each linked to its theme, format or story on this site when it has a page."""
    if digest is None:
        return ()
    themes = {str(theme.id) for theme in records.themes}
    formats = {row.link.href for row in format_rows}
    stories = {story.key: story for story in records.stories}
    lines = []
    for line in digest.brief:
        href = None
        if line.kind == "theme" and line.ref in themes:
            href = f"themes/{line.ref}.html"
        elif line.kind == "format" and ctx.format_paths.get(line.ref) in formats:
            href = ctx.format_paths[line.ref]
        elif line.kind == "story" and (story := stories.get(f"s{line.ref}")) is not None:
            href = f"{week_href(story_week(story))}#s{line.ref}"
        lines.append(
            BriefView(
                kind_label=text(line.kind_label),
                label=text(line.label),
                href=href,
                sentence=text(line.sentence),
                reason=text(line.reason),
                url=web_url(line.url),
            )
        )
    return tuple(lines)


def _search_entry(view: StoryView, record: StoryRecord, ctx: _Context) -> SearchEntry:
    keywords = [ctx.theme_labels[theme_id] for _, theme_id in record.themes if theme_id in ctx.theme_labels]
    return SearchEntry(
        title=view.title,
        href=view.href,
        summary=truncate_text(view.summary, SEARCH_SUMMARY_CHARS),
        week=f"{week_short(view.week, ctx.d)} {view.week[:4]}",
        formats=tuple(f.label for f in view.formats),
        sources=tuple(dict.fromkeys(c.source.label for c in view.copies)),
        keywords=tuple(dict.fromkeys(keywords)),
    )


def _atom(
    title: str,
    all_weeks: Sequence[str],
    digests: Mapping[str, DigestRecord],
    theme_weeks: Mapping[str, Sequence[tuple[ThemeRecord, ThemeWeekRecord]]],
    by_week: Mapping[str, Sequence[StoryView]],
    ctx: _Context,
) -> AtomFeed:
    """One entry per week, newest first: the digest when one was built, else the week's top themes."""
    d, lang = ctx.d, ctx.language
    entries = []
    feed_id = f"tag:veille,2026:{slug(title)}"
    for week in list(reversed(all_weeks))[:ATOM_ENTRIES]:
        digest = digests.get(week)
        rows = theme_weeks.get(week, ())
        trends, signals, every = _week_cards(rows, {}, ctx, with_stories=False)
        top = (trends + signals + every)[:5]
        seen: set[int] = set()
        parts = []
        for card in top:
            if card.id not in seen:
                seen.add(card.id)
                parts.append(f"{card.label} ({card.status_label})")
        n = ctx.stories_label(len(by_week.get(week, ())))
        summary = f"{n}. {ctx.t.themes}{d.colon}{', '.join(parts)}." if parts else f"{n}."
        start, _ = week_bounds(week)
        updated = digest.built_at if digest else start
        entries.append(
            AtomEntry(
                id=f"{feed_id}:{week}",
                title=text(digest.subject) if digest else f"{title} — {week_label(week, d)} ({period(week, lang)})",
                href=f"digests/{week}.html" if digest and digest.archived else week_href(week),
                updated=rfc3339(updated),
                summary=summary,
            )
        )
    newest = max((e.updated for e in entries), default="2026-01-01T00:00:00Z")
    return AtomFeed(id=feed_id, title=title, updated=newest, entries=tuple(entries))
