"""What the templates show: frozen view models, every href relative to the site root (templates prefix
``root``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from veille.core import i18n
from veille.core.site_i18n import RadarStrings, SiteStrings

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
    audience: str = "general"  # space-separated audiences (the site's filter reads it): "corporate school"
    audience_label: str = ""  # "Entreprise, École"; "" for everyone


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
class BarShape:
    """One bar as drawn: its rectangle, its status mark above it, its week label under it (numbers only)."""

    bar: ChartBar
    x: int
    y: int
    height: int
    center: float  # x of the bar's middle: the mark and the week label
    mark_shape: str | None = None  # circle | up | down | diamond (``charts.MARK_SHAPES``)
    mark_points: tuple[tuple[float, float], ...] = ()  # the polygon's corners (a circle: its centre)
    labelled: bool = False  # its week label is written under it (at least 30 px apart)


@dataclass(frozen=True)
class ChartFrame:
    """A bar chart's geometry, drawn as inline SVG by the ``chart`` macro of ``site/macros.html``."""

    id: str
    width: int
    height: int
    left: int
    top: int
    plot_height: int
    right: int
    bar_width: int
    peak: int
    title: str
    desc: str
    bars: tuple[BarShape, ...]


@dataclass(frozen=True)
class Chart:
    frame: ChartFrame  # the SVG bar chart's geometry
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
    recent_intro: str = ""  # said when older stories are on yearly pages (``archives``)
    archives: tuple[Link, ...] = ()  # its stories before the recent weeks: one page per year, newest first


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
    heat_key: tuple[str, ...] = ()  # the heatmap legend's steps in the reader's typography: "5 %", "10 %"…


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
    recent_intro: str = ""
    archives: tuple[Link, ...] = ()


@dataclass(frozen=True)
class ListArchivePage:
    """One year of a format's or a source's stories older than the weeks its own page lists."""

    label: str
    parent: Link  # the format's or source's page
    total: str
    years: tuple[Link, ...]  # every year of its archive, newest first (this one without a link)
    story_weeks: tuple[StoryGroup, ...]


@dataclass(frozen=True)
class SourceRow:
    link: Link
    state: str
    state_label: str
    last_success: str
    stories: int
    articles: tuple[str, ...] = ()  # its article pages' health, in words (full_text feeds): "3 read", …


@dataclass(frozen=True)
class SourcesPage:
    rows: tuple[SourceRow, ...]

    @property
    def articles(self) -> bool:
        """Whether a source fetches article pages (the page then has a column for their health)."""
        return any(row.articles for row in self.rows)


@dataclass(frozen=True)
class SearchEntry:
    title: str
    href: str
    summary: str
    week: str  # "S48 2026"
    formats: tuple[str, ...]
    sources: tuple[str, ...]
    keywords: tuple[str, ...]
    audience: str = "general"  # as StoryView.audience: the site's audience filter reads it


@dataclass(frozen=True)
class Deferred:
    """A view computed only when its page is rendered: a page whose ``inputs`` did not change since it was
    written is kept as it is, and its view (and its stories' views) never computed."""

    build: Callable[[], object]


@dataclass(frozen=True)
class SearchPiece:
    """One piece of the search index (a week, a year of the archive): its stories' entries, newest first,
    computed only when the piece is written again (``inputs`` changed)."""

    name: str  # "2026-W48", "archive-2019"
    inputs: str
    entries: Callable[[], tuple[SearchEntry, ...]]
    period: str = ""  # the week or year of its stories, as ``Page.period``


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
    view: object  # a view model, or ``Deferred`` when ``inputs`` says what it is computed from
    inputs: str | None = None  # a digest of everything the view is computed from, beside the site's context
    # the week or year whose stories it lists ("" for a page of the whole site): the renderer computes the
    # pages of one period together, so a story's view is mostly built once for the pages of its period
    period: str = ""

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
    search: tuple[SearchPiece, ...]  # newest first
    atom: AtomFeed
    digest_weeks: tuple[str, ...]  # archived digests the site copies as digests/<week>.html
    watch_nav: str = ""  # the navigation's link to watches/index.html ("" when feeds.yaml has no watch)
