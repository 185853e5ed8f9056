"""Everything the weekly digest shows, as a frozen view model (no Jinja, no I/O).

``build_view`` takes what the database holds about one ISO week (``WeekRecords``, read by
``adapters.digest_store``) and decides what the reader sees:

- the week's essentials (``brief``): 3 to 5 lines, each one thing that happened (a new or rising theme,
  a story covered by many sources, a format on the move) in one sentence taken from the items, chosen by
  ``core.brief.select_lines``, with the reason in numbers and the link;
- trends: the top rising and new themes, with keywords, a week-by-week bar, the reason in numbers and
  their best stories;
- by learning format: the best remaining stories of each format, ranked by number of sources, then trend
  membership, then recency;
- formats on the move: the learning formats the format radar (``core.radar``) finds rising or fading,
  with the reason in numbers, their last weeks and their best stories; the steady ones in one line;
- emerging signals (right after the trends): key phrases whose weekly story counts burst
  (``core.signals``), with the numbers and up to three of their stories each; a signal whose stories all
  sit in one theme shown above says nothing that theme does not, and is left out;
- weak signals: new, small themes seen in at least two sources;
- source health: feeds that failed, moved, went gone or stale during the week.

A story is shown once per digest, in the first place that takes it (trends, then weak signals, then
formats on the move, then emerging signals, then its format), with every source and language of its items
(a French and an English item grouped into one story are one entry), and the caller records the shown ids
so that no later digest shows it again. An emerging signal lists its stories one line each: a story that
a theme or a format on the move already shows names that section ("voir « Tuteur IA »") instead of being
repeated; the others are the signal's own. All
feed text is reduced to plain text here and links kept only when they are http(s): the HTML template
then only has to autoescape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import cast

from veille.core import brief as brief_lines
from veille.core import i18n, titles
from veille.core import signals as term_signals
from veille.core.radar import MIN_WATCH_WEEKS, FormatTrack, RadarStory, build_radar, explain_format, story_formats
from veille.core.sanitize import capitalised, html_to_text, safe_url, strip_invisible, truncate_text
from veille.core.trends import STATUSES, Status, TrendStatus, explain, shown_as_trend, volume_label
from veille.core.watches import WatchesSection
from veille.core.weeks import previous_weeks, week_bounds

HISTORY_WEEKS = 8  # bars drawn per trend, this week included
STORIES_PER_TREND = 3
STORIES_PER_SIGNAL = 2
STORIES_PER_MOVING_FORMAT = 2
MAX_TERM_SIGNALS = 5
STORIES_PER_TERM_SIGNAL = 3
SIGNAL_SUMMARY_CHARS = 160
SUMMARY_CHARS = 280
TITLE_CHARS = 200
BAR_MAX_PX = 32
SPARK = "▁▂▃▄▅▆▇█"
TREND_STATUSES = ("rising", "new")

OTHER_FORMAT = "other"
OFF_TOPIC_FORMAT = "off-topic"  # not a format: where the site's week pages list news about something else


# --------------------------------------------------------------------------------------------------
# What the database gives


@dataclass(frozen=True)
class StoryRecord:
    """One story active during the week and not yet shown by another digest."""

    id: int
    title: str  # of its lead item, as stored (may still hold markup from a careless feed)
    url: str | None
    summary: str
    sources: tuple[str, ...]  # names of the distinct feeds that carried it
    first_at: datetime
    last_at: datetime
    formats: tuple[tuple[str, float], ...] = ()  # (format, best score over its items)
    theme_id: int | None = None  # its theme this week
    languages: tuple[str, ...] = ()  # the languages of its items ("en", "fr"), the lead item's first
    off_topic: bool = False  # classified, and none of its items about learning (the relevance gate's "no format")


@dataclass(frozen=True)
class ThemeRecord:
    """A theme's row of ``theme_weeks`` for the digest's week, with its story counts of earlier weeks."""

    id: int
    label: str
    keywords: tuple[str, ...]
    status: str  # new | rising | steady | fading
    stories: int
    items: int
    sources: int
    weak_signal: bool
    history: tuple[int, ...] = ()  # stories per week, oldest first, HISTORY_WEEKS long, this week last
    reason: Mapping[str, int | float] = field(default_factory=dict)  # the numbers trend scoring stored
    titles: Mapping[str, str] = field(default_factory=dict)  # the theme's title this week: {"fr": …, "en": …}
    off_topic: int = 0  # of its stories this week, those about something else (``StoryRecord.off_topic``)


@dataclass(frozen=True)
class HealthRecord:
    """What went wrong with one feed during the week (its most serious event)."""

    feed: str
    url: str
    kind: str  # gone | moved | error | stale
    at: datetime
    detail: str | None = None
    count: int = 1  # events of that kind in the week


@dataclass(frozen=True)
class BriefLine:
    """One line of the week's essentials."""

    kind: str  # theme | story | format
    key: str  # theme id, story id or format key
    kind_label: str  # "En hausse", "Nouveau thème", "Très repris", "Format en mouvement"
    label: str  # the theme's name, the story's title, the format's name
    sentence: str  # taken from an item, plain text
    reason: str  # in numbers
    url: str | None  # the item the sentence comes from (http(s) only)


@dataclass(frozen=True)
class SignalRecord:
    """A key phrase whose story counts burst this week (a row of ``signals``, ``core.signals``)."""

    label: str  # its terms, strongest first, comma-separated, lower case
    story_ids: tuple[int, ...]  # the week's stories carrying it
    sources: int
    reason: Mapping[str, int | float] = field(default_factory=dict)  # the numbers detection stored


@dataclass(frozen=True)
class WeekRecords:
    """What the database holds about one week.

    The stories *of the week* are counted as the site's week page counts them: each story belongs to
    one week, the week whose digest showed it, else (never shown) the week it first appeared. So
    ``week_story_ids`` holds the stories already claimed by this week's digest and those first seen
    this week that no digest showed; the digest adds the ones it shows. ``loose_items`` are items of
    the week not yet grouped into a story (each one is a story of its own on the site).
    The sources of the week are the feeds that published during the week.
    """

    week: str
    items: int  # items published during the week
    sources: int  # feeds that published during the week
    new_themes: int
    story_records: tuple[StoryRecord, ...] = ()
    themes: tuple[ThemeRecord, ...] = ()
    health: tuple[HealthRecord, ...] = ()
    week_story_ids: frozenset[int] = frozenset()
    loose_items: int = 0
    radar_stories: tuple[RadarStory, ...] = ()  # the format radar's weeks (core.radar.radar_span)
    first_week: str | None = None  # the week of the watch's first story
    # the central sentences ``veille process`` chose, per (kind, ref): most central first
    sentences: Mapping[tuple[str, str], tuple[brief_lines.Sentence, ...]] = field(default_factory=dict)
    # the essentials a digest already recorded for this week: a rebuilt archive shows them again
    recorded_brief: tuple[BriefLine, ...] = ()
    term_signals: tuple[SignalRecord, ...] = ()  # key phrases that burst this week, strongest first


# --------------------------------------------------------------------------------------------------
# What the templates show


@dataclass(frozen=True)
class StoryView:
    id: int
    title: str
    url: str | None  # http(s) only, else None (the title is then shown without a link)
    summary: str
    sources_label: str  # "3 sources : EdSurge, Thot Cursus, eLearning Industry"
    n_sources: int
    date_label: str
    languages_label: str = ""  # "EN, FR" when its items are in several languages, else empty


@dataclass(frozen=True)
class BarView:
    week_label: str  # "S47"
    count: int
    height: int  # pixels, at least 2 so an empty week still draws a baseline
    current: bool


@dataclass(frozen=True)
class ThemeView:
    """A trend or a weak signal."""

    id: int
    label: str
    keywords: tuple[str, ...]
    status: str
    status_label: str
    reason: str
    bars: tuple[BarView, ...]
    bars_alt: str  # the bar chart in words, for screen readers and text mail
    spark: str  # the bar chart in block characters, for the text part
    stories: tuple[StoryView, ...]


@dataclass(frozen=True)
class SignalItemView:
    """One story of an emerging signal, on one line."""

    id: int
    title: str
    url: str | None
    meta: str  # "2 sources : EdSurge, Thot Cursus · mer. 25 nov.", or ``seen_in`` when shown elsewhere
    seen_in: str  # where the digest shows it in full ("voir « Tuteur IA »"), "" when listed only here
    summary: str = ""  # its summary's start when listed only here, else ""


@dataclass(frozen=True)
class TermSignalView:
    """An emerging signal: a key phrase, the numbers behind it, its stories."""

    label: str  # "Tuteur IA", as the items write it
    also: tuple[str, ...]  # its other terms, carried by mostly the same stories
    reason: str
    items: tuple[SignalItemView, ...]
    more: str  # "et 2 autres sujets" when it has more stories than listed, else ""


@dataclass(frozen=True)
class FormatView:
    format: str
    label: str
    stories: tuple[StoryView, ...]


@dataclass(frozen=True)
class MovingFormatView:
    """A learning format the radar finds rising or fading this week."""

    format: str
    label: str
    status: str
    status_label: str
    reason: str
    bars: tuple[BarView, ...]
    bars_alt: str
    spark: str
    stories: tuple[StoryView, ...]


@dataclass(frozen=True)
class HealthView:
    feed: str
    url: str | None
    kind: str
    kind_label: str
    detail: str
    date_label: str


@dataclass(frozen=True)
class DigestView:
    week: str
    language: str
    title: str
    subject: str
    week_label: str  # "Semaine 48"
    period: str  # "23–29 nov. 2026"
    summary: tuple[str, ...]  # the three lines in numbers
    brief: tuple[BriefLine, ...]  # the week's essentials, first thing in the digest
    trends: tuple[ThemeView, ...]
    formats: tuple[FormatView, ...]
    signals: tuple[ThemeView, ...]
    health: tuple[HealthView, ...]
    empty: bool
    t: i18n.Strings
    moving: tuple[MovingFormatView, ...] = ()  # formats on the move, rising first
    steady_line: str = ""  # the other formats in one line ("" when the radar has nothing to say)
    story_ids: tuple[int, ...] = field(default=())  # every story shown, to record in digest_stories
    emerging: tuple[TermSignalView, ...] = ()  # key phrases that burst, after the trends
    watches: WatchesSection | None = None  # the watches of feeds.yaml and their week (core.watches)


# --------------------------------------------------------------------------------------------------
# Text hygiene (the digest never trusts what a feed sent: ``core.sanitize`` is the one sanitiser)


def plain_text(text: str | None) -> str:
    """Feed text as one line of plain text: tags, scripts and entities gone (double-escaped ones too), and
    invisible characters (an item stored before they were stripped at fetch reads clean too)."""
    return strip_invisible(html_to_text(text))


def safe_link(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None: no javascript:, data: or junk."""
    return safe_url(url)


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis."""
    return truncate_text(text, limit)


# --------------------------------------------------------------------------------------------------
# Building the view


def week_dates(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week."""
    start, _ = week_bounds(week)
    return start.date(), start.date() + timedelta(days=6)


def subject_line(title: str, week: str, language: str) -> str:
    """``Veille digital learning — semaine 48 (23–29 nov. 2026)``."""
    t = i18n.strings(language)
    first, last = week_dates(week)
    return f"{title} — {t.week_word} {int(week[-2:])} ({i18n.period_label(first, last, language)})"


def format_label(fmt: str, language: str, labels: Mapping[str, str] | None = None) -> str:
    """The format's name from the taxonomy (``labels``); a key the taxonomy no longer has is humanised."""
    if fmt == OTHER_FORMAT:
        return i18n.strings(language).other_format
    if fmt == OFF_TOPIC_FORMAT:
        return i18n.strings(language).off_topic_format
    if labels and fmt in labels:
        return labels[fmt]
    return fmt.replace("_", " ").replace("-", " ").strip().capitalize() or fmt


def rank_key(story: StoryRecord, trend_ids: frozenset[int]) -> tuple[float, ...]:
    """Most sources first, then stories of a trend, then the most recent; the id keeps ties stable."""
    in_trend = 1 if story.theme_id is not None and story.theme_id in trend_ids else 0
    return (-len(story.sources), -in_trend, -story.last_at.timestamp(), story.id)


def primary_format(story: StoryRecord) -> str:
    """The format a story is listed under: its best-scored one, 'other' when it has none."""
    if not story.formats:
        return OTHER_FORMAT
    return min(story.formats, key=lambda pair: (-pair[1], pair[0]))[0]


def mostly_elsewhere(off_topic: int, stories: int) -> bool:
    """Whether a theme's week of ``stories`` is made mostly of news about something else (``off_topic`` of
    them, half or more): the digest and the site do not show it as a theme of the watch."""
    return off_topic * 2 >= max(stories, 1)


def learning_news(records: WeekRecords) -> WeekRecords:
    """The week as a digest tells it: learning news only. Stories about something else (a general feed's
    politics, sport, gadgets: classified by ``veille process``, none of their items about learning) are
    left out, with the sentences quoting them, and so are the themes made mostly of them (half their
    stories or more), which the count of new themes then leaves out too: a watch that follows general
    feeds beside edtech ones otherwise reads "New theme: Japan" and sees them counted as "other
    formats"."""
    elsewhere = {s.id for s in records.story_records if s.off_topic}
    themes = tuple(th for th in records.themes if not mostly_elsewhere(th.off_topic, th.stories))
    hidden_new = sum(1 for th in records.themes if th.status == "new" and th not in themes)
    if not elsewhere and not hidden_new and len(themes) == len(records.themes):
        return records
    return replace(
        records,
        story_records=tuple(s for s in records.story_records if s.id not in elsewhere),
        themes=themes,
        new_themes=max(0, records.new_themes - hidden_new),
        sentences={
            key: tuple(line for line in lines if line.story_id not in elsewhere)
            for key, lines in records.sentences.items()
        },
    )


def build_view(
    records: WeekRecords,
    *,
    language: str = "fr",
    title: str = "",
    max_per_format: int = 5,
    max_trends: int = 5,
    format_labels: Mapping[str, str] | None = None,
) -> DigestView:
    """The digest of ``records.week``: pure, so the same records always give the same digest."""
    records = learning_news(records)
    lang = i18n.language(language).code
    t = i18n.strings(lang)
    title = plain_text(title) or t.default_title
    first, last = week_dates(records.week)
    period = i18n.period_label(first, last, lang)

    themes_by_id = {theme.id: theme for theme in records.themes}
    trend_themes = sorted(
        (th for th in records.themes if shown_as_trend(th.status, th.sources, weak_signal=th.weak_signal)),
        key=lambda th: (-th.stories, -th.sources, TREND_STATUSES.index(th.status), th.id),
    )[: max(0, max_trends)]
    signal_themes = sorted(
        (
            th
            for th in records.themes
            if th.weak_signal and th.sources >= 2 and th.id not in {tt.id for tt in trend_themes}
        ),
        key=lambda th: (-th.sources, -th.stories, th.id),
    )[: max(0, max_trends)]
    trend_ids = frozenset(th.id for th in trend_themes)

    ranked = sorted(records.story_records, key=lambda s: rank_key(s, trend_ids))
    shown: list[int] = []
    used: set[int] = set()
    places: dict[int, str] = {}  # story id -> the name of the section that shows it

    def take(candidates: Iterable[StoryRecord], limit: int, place: str) -> tuple[StoryView, ...]:
        views: list[StoryView] = []
        for story in candidates:
            if len(views) >= limit:
                break
            if story.id in used:
                continue
            used.add(story.id)
            shown.append(story.id)
            places[story.id] = place
            views.append(_story_view(story, lang, t))
        return tuple(views)

    by_theme: dict[int, list[StoryRecord]] = {}
    for story in ranked:
        if story.theme_id is not None and story.theme_id in themes_by_id:
            by_theme.setdefault(story.theme_id, []).append(story)

    trends = tuple(
        _theme_view(th, records.week, take(by_theme.get(th.id, ()), STORIES_PER_TREND, theme_name(th, lang)), lang, t)
        for th in trend_themes
    )
    signals = tuple(
        _theme_view(th, records.week, take(by_theme.get(th.id, ()), STORIES_PER_SIGNAL, theme_name(th, lang)), lang, t)
        for th in signal_themes
    )

    radar = build_radar(
        records.radar_stories, records.week, formats=list(format_labels or ()), first_week=records.first_week
    )
    moving = tuple(
        _moving_view(
            track,
            take(
                (s for s in ranked if track.format in story_formats(f for f, _ in s.formats)),
                STORIES_PER_MOVING_FORMAT,
                format_label(track.format, lang, format_labels),
            ),
            lang,
            t,
            format_labels,
        )
        for track in radar.moving
    )

    shown_themes = {th.id for th in (*trend_themes, *signal_themes)}
    emerging: list[TermSignalView] = []
    by_id = {story.id: story for story in ranked}
    for record in sorted(records.term_signals, key=lambda r: (-float(r.reason.get("z", 0.0)), r.label)):
        if len(emerging) >= MAX_TERM_SIGNALS:
            break
        carried = sorted((by_id[i] for i in set(record.story_ids) if i in by_id), key=lambda s: rank_key(s, trend_ids))
        if not carried:
            continue  # its stories were all shown by earlier digests
        if len({s.theme_id for s in carried}) == 1 and carried[0].theme_id in shown_themes:
            continue  # all in one theme shown above: the signal says nothing that theme does not
        items = []
        for story in carried[:STORIES_PER_TERM_SIGNAL]:
            place = places.get(story.id, "")
            seen_in = t.signal_seen_in.format(place=place) if place else ""
            if story.id not in used:
                used.add(story.id)
                shown.append(story.id)
            items.append(_signal_item(story, seen_in, lang, t))
        label, also = _signal_terms(record.label, carried)
        for item in items:
            places.setdefault(item.id, label)
        rest = len(carried) - len(items)
        emerging.append(
            TermSignalView(
                label=label,
                also=also,
                reason=term_signals.explain(record.reason, lang),
                items=tuple(items),
                more=t.and_more.format(more=i18n.plural(rest, *t.signal_more, lang)) if rest > 0 else "",
            )
        )

    groups: dict[str, list[StoryRecord]] = {}
    for story in ranked:
        if story.id not in used:
            groups.setdefault(primary_format(story), []).append(story)
    order = sorted(groups, key=lambda fmt: (fmt == OTHER_FORMAT, -len(groups[fmt]), fmt))
    formats = tuple(
        FormatView(
            fmt,
            format_label(fmt, lang, format_labels),
            take(groups[fmt], max(1, max_per_format), format_label(fmt, lang, format_labels)),
        )
        for fmt in order
    )

    n_stories = len(records.week_story_ids | set(shown)) + records.loose_items
    stories_line = i18n.plural(n_stories, *t.distinct_stories, lang)
    if len(shown) < n_stories:
        stories_line += t.shown_in_digest.format(n=len(shown))
    summary = (
        f"{i18n.plural(records.items, *t.items_read, lang)}, "
        + t.from_sources.format(sources=i18n.plural(records.sources, t.source_one, t.source_many, lang)),
        stories_line,
        i18n.plural(records.new_themes, *t.new_themes, lang),
    )
    return DigestView(
        week=records.week,
        language=lang,
        title=title,
        subject=subject_line(title, records.week, lang),
        week_label=f"{t.week_heading} {int(records.week[-2:])}",
        period=period,
        summary=summary,
        brief=records.recorded_brief or week_brief(records, lang, format_labels, radar=radar.moving),
        trends=trends,
        formats=formats,
        signals=signals,
        health=tuple(_health_view(h, lang, t) for h in _health_order(records.health)),
        empty=not shown and not trends and not signals and not emerging,
        t=t,
        story_ids=tuple(shown),
        emerging=tuple(emerging),
        moving=moving,
        steady_line=_steady_line(radar.steady, radar.watch_weeks, lang, t, format_labels) if radar.total else "",
    )


# --------------------------------------------------------------------------------------------------
# The week's essentials

BRIEF_STORY_CANDIDATES = 8
BRIEF_LABEL_CHARS = 90


def theme_name(theme: ThemeRecord, lang: str) -> str:
    """The theme's display name: its title in ``lang`` (``core.titles``), else its label, else its first
    keywords (weeks clustered before titles existed)."""
    keywords = [k for k in (plain_text(k) for k in theme.keywords) if k]
    return capitalised(
        plain_text(titles.in_language(theme.titles, lang)) or plain_text(theme.label) or ", ".join(keywords[:3])
    )


def essentials(
    records: WeekRecords, language: str, format_labels: Mapping[str, str] | None = None
) -> tuple[BriefLine, ...]:
    """The week's essentials said in ``language``, chosen again from ``records`` (never the recorded ones,
    which are in the language the digest was sent in)."""
    radar = build_radar(
        records.radar_stories, records.week, formats=list(format_labels or ()), first_week=records.first_week
    )
    return week_brief(records, i18n.language(language).code, format_labels, radar=radar.moving)


def week_brief(
    records: WeekRecords,
    language: str,
    format_labels: Mapping[str, str] | None = None,
    *,
    radar: Sequence[FormatTrack] = (),
) -> tuple[BriefLine, ...]:
    """The week's essentials: candidates ranked by their numbers within each kind, then chosen by MMR.

    A theme speaks with the reason trend scoring stored and a format on the move is one the format radar
    (``radar``: its moving tracks) finds rising, with the radar's reason: the essentials never give
    another reason than the sections below them."""
    records = learning_news(records)
    lang = i18n.language(language).code
    t = i18n.strings(lang)
    candidates: list[brief_lines.Candidate] = []
    kind_labels: dict[tuple[str, str], str] = {}

    themes = sorted(
        (
            th
            for th in records.themes
            if th.status in TREND_STATUSES
            and th.sources >= brief_lines.MIN_THEME_SOURCES
            and shown_as_trend(th.status, th.sources, weak_signal=th.weak_signal)
        ),
        key=lambda th: (-th.stories, -th.sources, TREND_STATUSES.index(th.status), th.id),
    )

    def add_theme(th: ThemeRecord, rank: int, label: str, *, spare: bool = False) -> None:
        key = str(th.id)
        sentences = records.sentences.get(("theme", key)) or tuple(
            _title_sentence(story) for story in _best(s for s in records.story_records if s.theme_id == th.id)
        )
        members = frozenset(s.id for s in records.story_records if s.theme_id == th.id)
        candidates.append(
            brief_lines.Candidate(
                "theme", key, theme_name(th, lang), _reason(th, lang), sentences, rank, spare=spare, stories=members
            )
        )
        kind_labels[("theme", key)] = label

    for rank, th in enumerate(themes):
        add_theme(th, rank, t.brief_new_theme if th.status == "new" else t.brief_rising_theme)

    # the week's other big themes: said only when fewer than three things above have a line
    listed = {th.id for th in themes}
    spare = sorted(
        (
            th
            for th in records.themes
            if th.id not in listed and th.stories > 0 and th.sources >= brief_lines.MIN_THEME_SOURCES
        ),
        key=lambda th: (-th.stories, -th.sources, th.id),
    )[: brief_lines.MAX_LINES]
    for rank, th in enumerate(spare):
        add_theme(th, rank, t.brief_theme, spare=True)

    covered = sorted(
        (
            s
            for s in records.story_records
            if len(s.sources) >= brief_lines.MIN_STORY_SOURCES and _n_sources(s) >= brief_lines.MIN_STORY_SOURCES
        ),
        key=lambda s: (-_n_sources(s), -s.last_at.timestamp(), s.id),
    )[:BRIEF_STORY_CANDIDATES]
    for rank, story in enumerate(covered):
        key = str(story.id)
        sentences = records.sentences.get(("story", key)) or (_title_sentence(story),)
        reason = t.brief_story_reason.format(sources=i18n.plural(_n_sources(story), t.source_one, t.source_many, lang))
        label = shorten(plain_text(story.title), BRIEF_LABEL_CHARS)
        candidates.append(brief_lines.Candidate("story", key, label, reason, sentences, rank))
        kind_labels[("story", key)] = t.brief_story

    for rank, track in enumerate(track for track in radar if track.status.status == "rising"):
        sentences = records.sentences.get(("format", track.format), ())
        reason = explain_format(track.status, lang)
        label = format_label(track.format, lang, format_labels)
        members = frozenset(s.id for s in records.story_records if any(f == track.format for f, _ in s.formats))
        candidates.append(
            brief_lines.Candidate("format", track.format, label, reason, sentences, rank, stories=members)
        )
        kind_labels[("format", track.format)] = t.brief_format

    lines = []
    for line in brief_lines.select_lines(candidates):
        sentence = plain_text(line.sentence)
        if not sentence:
            continue
        label = "" if plain_text(line.label).casefold() == sentence.casefold() else plain_text(line.label)
        lines.append(
            BriefLine(
                kind=line.kind,
                key=line.key,
                kind_label=kind_labels[(line.kind, line.key)],
                label=label,
                sentence=shorten(sentence, brief_lines.SENTENCE_MAX_CHARS),
                reason=line.reason,
                url=safe_link(line.url),
            )
        )
    return tuple(lines)


def _n_sources(story: StoryRecord) -> int:
    return len({name for name in (plain_text(s) for s in story.sources) if name})


def _best(stories: Iterable[StoryRecord]) -> list[StoryRecord]:
    return sorted(stories, key=lambda s: (-_n_sources(s), -s.last_at.timestamp(), s.id))[:3]


def _title_sentence(story: StoryRecord) -> brief_lines.Sentence:
    """A story's title as its sentence, when ``veille process`` chose none (no vector: MMR only checks
    that no other line comes from the same story or repeats the text)."""
    return brief_lines.Sentence(plain_text(story.title), story.url, story.id)


_HEALTH_ORDER = ("gone", "moved", "error", "stale")


def _story_view(story: StoryRecord, lang: str, t: i18n.Strings) -> StoryView:
    sources = tuple(dict.fromkeys(name for name in (plain_text(s) for s in story.sources) if name))
    n = len(sources)
    label = i18n.plural(n, t.source_one, t.source_many, lang) if n != 1 else ""
    listed = ", ".join(sources[:4]) + (" …" if n > 4 else "")
    return StoryView(
        id=story.id,
        title=shorten(plain_text(story.title), TITLE_CHARS) or "—",
        url=safe_link(story.url),
        summary=shorten(plain_text(story.summary), SUMMARY_CHARS),
        sources_label=f"{label}{t.colon}{listed}" if label else listed,
        n_sources=n,
        date_label=i18n.day_label(story.first_at.date(), lang),
        languages_label=languages_label(story.languages),
    )


def _signal_item(story: StoryRecord, seen_in: str, lang: str, t: i18n.Strings) -> SignalItemView:
    """A signal's story in a line or two: with its sources, date, summary and link when the signal is where
    it is listed, else with the section that shows it in full (the templates then leave out its link: each
    story's link appears once per digest)."""
    view = _story_view(story, lang, t)
    meta = " · ".join(part for part in (view.sources_label, view.languages_label, view.date_label) if part)
    summary = "" if seen_in else shorten(plain_text(story.summary), SIGNAL_SUMMARY_CHARS)
    return SignalItemView(
        id=story.id, title=view.title, url=view.url, meta=seen_in or meta, seen_in=seen_in, summary=summary
    )


def _signal_terms(label: str, stories: Sequence[StoryRecord]) -> tuple[str, tuple[str, ...]]:
    """The signal's first term as its name (capitalised, as its items write it) and its other terms."""
    summaries = [plain_text(s.summary) for s in stories]
    heads = [plain_text(s.title) for s in stories]
    terms = [t for t in (plain_text(term) for term in label.split(",")) if t]
    if not terms:
        return "—", ()
    shown = [term_signals.display_term(term, summaries, heads) for term in terms]
    return capitalised(shown[0]), tuple(dict.fromkeys(x for x in shown[1:] if x.casefold() != shown[0].casefold()))


def languages_label(languages: Iterable[str]) -> str:
    """``EN, FR`` for a story told in several languages (each code once, as given), else empty."""
    codes = tuple(dict.fromkeys(code.strip().upper() for code in languages if code and code.strip()))
    return ", ".join(codes) if len(codes) > 1 else ""


def _bars(history: Sequence[int], week: str, t: i18n.Strings) -> tuple[tuple[BarView, ...], str, str]:
    """Bars of weekly counts (oldest first, ``week`` last), the same in words and in block characters."""
    peak = max(max(history), 1)
    weeks = [*previous_weeks(week, len(history) - 1), week]
    bars = tuple(
        BarView(
            week_label=f"{t.week_abbrev}{int(name[-2:])}",
            count=count,
            height=max(2, round(BAR_MAX_PX * count / peak)),
            current=index == len(history) - 1,
        )
        for index, (name, count) in enumerate(zip(weeks, history, strict=True))
    )
    spark = "".join(SPARK[min(len(SPARK) - 1, round((len(SPARK) - 1) * c / peak))] for c in history)
    return bars, ", ".join(f"{b.week_label}: {b.count}" for b in bars), spark


def _theme_view(theme: ThemeRecord, week: str, stories: tuple[StoryView, ...], lang: str, t: i18n.Strings) -> ThemeView:
    history = list(theme.history[-HISTORY_WEEKS:]) if theme.history else [theme.stories]
    history[-1] = theme.stories  # the row of this week is the truth for this week
    bars, bars_alt, spark = _bars(history, week, t)
    keywords = tuple(k for k in (plain_text(k) for k in theme.keywords) if k)[:6]
    return ThemeView(
        id=theme.id,
        label=theme_name(theme, lang),
        keywords=keywords,
        status=theme.status,
        status_label=t.status_new if theme.status == "new" else t.status_rising,
        reason=_reason(theme, lang),
        bars=bars,
        bars_alt=bars_alt,
        spark=spark,
        stories=stories,
    )


def _moving_view(
    track: FormatTrack,
    stories: tuple[StoryView, ...],
    lang: str,
    t: i18n.Strings,
    labels: Mapping[str, str] | None,
) -> MovingFormatView:
    bars, bars_alt, spark = _bars(track.history[-HISTORY_WEEKS:], track.current.week, t)
    return MovingFormatView(
        format=track.format,
        label=format_label(track.format, lang, labels),
        status=track.status.status,
        status_label=t.status_rising if track.status.status == "rising" else t.status_fading,
        reason=explain_format(track.status, lang),
        bars=bars,
        bars_alt=bars_alt,
        spark=spark,
        stories=stories,
    )


def _steady_line(
    steady: Sequence[FormatTrack], watch_weeks: int, lang: str, t: i18n.Strings, labels: Mapping[str, str] | None
) -> str:
    """``Stables (sujets de la semaine) : Microlearning 3, Podcast 1`` — or why nothing can move yet."""
    if watch_weeks < MIN_WATCH_WEEKS and steady:
        return explain_format(steady[0].status, lang) + "."
    listed = ", ".join(
        f"{format_label(f.format, lang, labels)} {f.current.stories}" for f in steady if f.current.stories
    )
    return f"{t.steady_formats}{t.colon}{listed}" if listed else ""


def _reason(theme: ThemeRecord, lang: str) -> str:
    """``12 sujets publiés par 7 sources, x3 par rapport à sa moyenne sur 6 semaines`` — the status in numbers.

    The sentence is the trend scoring's own (``core.trends.explain`` of the stored reason), so the digest,
    the site and ``veille themes`` give one reason for one status. A row without a stored reason (written
    before reasons were kept) only states its volume.
    """
    if theme.reason and theme.status in STATUSES:
        status = cast(Status, theme.status)
        return explain(TrendStatus(status, theme.weak_signal, dict(theme.reason)), lang)
    return volume_label(theme.stories, theme.sources, lang)


def _health_order(records: Sequence[HealthRecord]) -> list[HealthRecord]:
    return sorted(
        records,
        key=lambda h: (_HEALTH_ORDER.index(h.kind) if h.kind in _HEALTH_ORDER else 9, h.feed.lower()),
    )


def _health_view(record: HealthRecord, lang: str, t: i18n.Strings) -> HealthView:
    kinds = dict(t.health_kinds)
    detail = shorten(plain_text(record.detail), 160)
    if record.count > 1:
        times = t.times.format(n=record.count)
        detail = f"{detail} ({times})" if detail else times
    return HealthView(
        feed=plain_text(record.feed) or record.url,
        url=safe_link(record.url),
        kind=record.kind,
        kind_label=kinds.get(record.kind, record.kind),
        detail=detail,
        date_label=i18n.day_label(record.at.date(), lang),
    )
