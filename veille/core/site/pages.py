"""Every page of the site, decided from the records: ``build_site_view``."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial

from veille.core import i18n
from veille.core.digest import OTHER_FORMAT, mostly_elsewhere
from veille.core.radar import (
    MIN_WATCH_WEEKS,
    FormatTrack,
    Radar,
    build_radar,
    explain_format,
)
from veille.core.sanitize import safe_url, truncate_text
from veille.core.site.atom import (
    build_atom,
)
from veille.core.site.charts import (
    _chart,
    _chart_bars,
    heat_level,
    heatmap_svg,
    sparkline_svg,
)
from veille.core.site.common import (
    _LANG,
    CHART_MAX_WEEKS,
    HOME_TRENDS,
    LIST_RECENT_WEEKS,
    RECENT_WEEKS,
    MemoryStories,
    StoryRef,
    _by_format_groups,
    _by_week_groups,
    _Context,
    _feed_state,
    _keywords,
    _plural,
    _signal_cards,
    _sorted_recent,
    _theme_label,
    _week_cards,
    archive_href,
    period,
    slug,
    text,
    web_url,
    week_href,
    week_label,
    week_number,
    week_range,
    week_short,
)
from veille.core.site.records import (
    DigestRecord,
    FeedEventRecord,
    FeedRecord,
    SiteRecords,
    SiteSignal,
    SiteTheme,
    ThemeWeekRecord,
)
from veille.core.site.search import (
    _search_entry,
)
from veille.core.site.views import (
    ArchivePage,
    ArchiveRow,
    BriefView,
    Deferred,
    EventView,
    FormatPage,
    FormatRow,
    FormatsPage,
    HeatCell,
    HomePage,
    KeywordRow,
    Link,
    ListArchivePage,
    Page,
    RadarRow,
    SearchEntry,
    SearchPiece,
    SignalCard,
    SiteView,
    SourcePage,
    SourceRow,
    SourcesPage,
    StoryGroup,
    ThemeCard,
    ThemePage,
    ThemeRow,
    ThemesPage,
    WeekPage,
    WeekRow,
    WeeksPage,
)
from veille.core.site.watch_pages import watch_pages
from veille.core.site_i18n import SiteStrings, radar_strings, site_strings
from veille.core.watches import WatchReport
from veille.core.weeks import iso_week, shift_week, week_bounds


def build_site_view(
    records: SiteRecords,
    *,
    language: str = "fr",
    title: str = "",
    now: datetime,
    format_labels: Mapping[str, str] | None = None,
    watches: Sequence[WatchReport] = (),
) -> SiteView:
    """Every page of the site. Pure: the same records and week of ``now`` always give the same site.
    ``watches``: the watches of feeds.yaml scored in the week of ``now`` (a page each)."""
    lang = i18n.language(language).code  # a language without a catalog: French, as the digest
    t, d = site_strings(lang), i18n.strings(lang)
    site_title = text(title) or d.default_title
    themes = {theme.id: theme for theme in records.themes}
    known = records.index if records.index is not None else MemoryStories(records.stories)
    format_counts: dict[str, int] = defaultdict(int)
    for ref in known.refs:
        for fmt in ref.formats:
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
        index=known,
    )
    current = iso_week(now)
    digests = {dg.week: dg for dg in records.digests if dg.week <= current}
    # Weeks before the watch began (a feed's backlog) are grouped by year; a week with a digest keeps its page.
    starts = ([iso_week(records.watch_start)] if records.watch_start else []) + sorted(digests)[:1]
    ctx.watch_week = min(starts) if starts else None

    # one reference per story; its view is built once, when a page that shows it is rendered
    stories: list[StoryRef] = []
    by_week: dict[str, list[StoryRef]] = defaultdict(list)
    for ref in sorted(known.refs, key=lambda s: (s.first_at, s.key)):
        if ref.week > current:
            continue
        stories.append(ref)
        by_week[ref.week].append(ref)
    refs = {ref.key: ref for ref in stories}
    context = _context_inputs(ctx, records)

    weeks = sorted(
        set(by_week) | {w.week for th in records.themes for w in th.weeks if w.week <= current} | set(digests)
    )
    archived = [w for w in weeks if ctx.watch_week is not None and w < ctx.watch_week]
    weeks = weeks[len(archived) :]
    if archived and ctx.watch_week is not None and ctx.watch_week <= current and ctx.watch_week not in weeks:
        weeks.insert(0, ctx.watch_week)  # on the first day, a backlog and nothing new yet: the watch's week
    all_weeks = week_range(weeks[0], weeks[-1]) if weeks else []
    theme_weeks: dict[str, list[tuple[SiteTheme, ThemeWeekRecord]]] = defaultdict(list)
    for theme in records.themes:
        for row in theme.weeks:
            theme_weeks[row.week].append((theme, row))
    # The sources of a week, as the digest counts them: the feeds that published during the week.
    week_feeds: dict[str, set[int]] = defaultdict(set)
    for ref in known.refs:
        for week, feed_id in ref.sightings:
            week_feeds[week].add(feed_id)
    theme_stories: dict[int, list[StoryRef]] = defaultdict(list)
    format_stories: dict[str, list[StoryRef]] = defaultdict(list)
    source_stories: dict[int, list[StoryRef]] = defaultdict(list)
    elsewhere: Counter[tuple[str, int]] = Counter()  # (week, theme): its stories about something else
    for ref in stories:
        for theme_id in dict.fromkeys(theme_id for _, theme_id in ref.themes):
            if theme_id in themes:
                theme_stories[theme_id].append(ref)
        for fmt in ref.formats:
            format_stories[fmt].append(ref)
        for feed_id in ref.feeds:
            source_stories[feed_id].append(ref)
        if not ref.formats:  # classified, about something else (``core.radar.story_formats``)
            elsewhere.update(ref.themes)
    # a theme's week made mostly of them is not a trend of the watch, as in the digest
    for week, rows in theme_weeks.items():
        rows[:] = [(th, row) for th, row in rows if not mostly_elsewhere(elsewhere[(week, th.id)], row.stories)]

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
    signals: dict[str, list[SiteSignal]] = defaultdict(list)
    for signal in records.term_signals:
        signals[signal.week].append(signal)
    for index, week in enumerate(all_weeks):
        pages.append(
            _deferred_week_page(
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
                signals=signals.get(week, []),
                refs=refs,
                context=context,
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
        page = _deferred(
            f"themes/{theme.id}.html",
            "site/theme.html",
            ctx.theme_labels[theme.id],
            "themes",
            partial(_theme_view, theme, theme_stories.get(theme.id, []), all_weeks, ctx),
            (context, theme, _story_inputs(theme_stories.get(theme.id, [])), all_weeks[-1:]),
            period=theme.first_week,
        )
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
        label = ctx.format_name(key)
        recent, archives = _yearly_archives(ctx.format_paths[key], label, "formats", format_stories[key], all_weeks,
                                            ctx, context)  # fmt: skip
        page = _deferred(
            ctx.format_paths[key],
            "site/format.html",
            label,
            "formats",
            partial(_format_view, key, format_stories[key], recent, archives, all_weeks, ctx, tracks.get(key), radar),
            (context, key, _story_inputs(format_stories[key]), all_weeks[-CHART_MAX_WEEKS:],
             all_weeks[-LIST_RECENT_WEEKS:], tracks.get(key), radar.weeks, [page.path for page in archives]),
        )  # fmt: skip
        pages.append(page)
        pages.extend(archives)
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
        path, own = f"sources/{feed.id}.html", source_stories.get(feed.id, [])
        recent, archives = _yearly_archives(path, ctx.feed_name(feed.id), "sources", own, all_weeks, ctx, context)
        page = _deferred(
            path,
            "site/source.html",
            ctx.feed_name(feed.id),
            "sources",
            partial(_source_view, feed, own, recent, archives, ctx),
            # the weeks its page lists: when they move on, its oldest stories go to the year's page
            (context, feed, _story_inputs(own), all_weeks[-LIST_RECENT_WEEKS:], [page.path for page in archives]),
        )
        pages.append(page)
        pages.extend(archives)
        state = _feed_state(feed)
        source_rows.append(
            SourceRow(
                link=Link(ctx.feed_name(feed.id), page.path),
                state=state,
                state_label=dict(t.feed_states)[state],
                last_success=ctx.date(feed.last_success_at),
                stories=len(source_stories.get(feed.id, ())),
                articles=_article_health(feed, t),
            )
        )
    pages.append(Page("sources/index.html", "site/sources.html", t.sources, "sources", SourcesPage(tuple(source_rows))))

    # watches (radar mode): a page each, when feeds.yaml has some
    watch_list, watch_nav = watch_pages(watches, refs, ctx)
    pages.extend(watch_list)

    # home and search
    pages.insert(0, _home_page(all_weeks, week_rows, digests, theme_weeks, theme_stories, records, format_rows,
                               source_rows, ctx))  # fmt: skip
    pages.append(Page("search.html", "site/search.html", t.search, "search", None))

    search = _search_pieces(stories, ctx, context)
    return SiteView(
        language=lang,
        title=site_title,
        t=t,
        d=d,
        pages=tuple(pages),
        search=search,
        atom=build_atom(
            site_title, all_weeks, digests, theme_weeks, by_week, ctx, since=_watch_began(records, all_weeks, now)
        ),
        digest_weeks=tuple(w for w in all_weeks if w in digests and digests[w].archived),
        watch_nav=watch_nav,
    )


def _watch_began(records: SiteRecords, all_weeks: Sequence[str], now: datetime) -> datetime:
    """When the watch began: its first fetch, else the start of its first week, else of ``now``'s week."""
    if records.watch_start is not None:
        return records.watch_start
    return week_bounds(all_weeks[0] if all_weeks else iso_week(now))[0]


def _archive_pages(
    weeks: Sequence[str],
    by_week: Mapping[str, Sequence[StoryRef]],
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
    ctx.prefetch(story for week in weeks for story in by_week.get(week, ()))
    order = sorted(years)
    started = ctx.date(records.watch_start)
    pages, rows = [], []
    for index, year in enumerate(order):
        groups = tuple(
            StoryGroup(
                f"{week_label(week, ctx.d)} ({period(week, lang)})",
                None,
                ctx.views(_sorted_recent(by_week[week])),
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
        pages.append(Page(archive_href(year), "site/archive.html", label, "weeks", view, period=year))
        rows.append(ArchiveRow(year, label, archive_href(year), len(stories), ctx.stories_label(len(stories))))
    return pages, rows


def _inputs(parts: object) -> str:
    """What a page is computed from, in 32 hex digits (``repr`` of plain records, digests and strings)."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _context_inputs(ctx: _Context, records: SiteRecords) -> str:
    """What every story's view reads besides its record: the sources' names, the themes' labels, the
    formats' names and pages, where the watch began (and the language, title and strings, which the
    renderer adds to every page's fingerprint)."""
    return _inputs(
        (
            ctx.language,
            [(feed.id, ctx.feed_name(feed.id)) for feed in records.feeds],
            sorted(ctx.theme_labels.items()),
            sorted(ctx.format_paths.items()),
            sorted((ctx.format_labels or {}).items()),
            ctx.watch_week,
        )
    )


def _story_inputs(stories: Sequence[StoryRef]) -> bytes:
    return b"".join([story.digest for story in stories])


def _deferred(
    path: str,
    template: str,
    title: str,
    section: str,
    build: Callable[[], object],
    inputs: object,
    *,
    period: str = "",
) -> Page:
    """A page whose view is computed only if it has to be rendered again (its ``inputs`` changed)."""
    return Page(path, template, title, section, Deferred(build), inputs=_inputs((path, inputs)), period=period)


def _yearly_archives(
    path: str,
    title: str,
    section: str,
    stories: Sequence[StoryRef],
    all_weeks: Sequence[str],
    ctx: _Context,
    context: str,
) -> tuple[list[StoryRef] | None, list[Page]]:
    """A format's or source's page lists the stories of the last ``LIST_RECENT_WEEKS`` weeks; the older
    ones go to one page per year (``formats/video-archive-2025.html``), newest year first, linked from it.
    A page that size stays readable, and a new day leaves the past years' pages as they were.
    Returns the stories its own page lists (None: all of them, no archive) and the archive pages."""
    if len(all_weeks) < LIST_RECENT_WEEKS:
        return None, []
    cutoff = all_weeks[-LIST_RECENT_WEEKS]
    years: dict[str, list[StoryRef]] = defaultdict(list)
    for story in stories:
        if story.week < cutoff:
            years[story.week[:4]].append(story)
    if not years:
        return None, []
    base = path.removesuffix(".html")
    links = tuple(Link(year, f"{base}-archive-{year}.html") for year in sorted(years, reverse=True))
    parent = Link(title, path)
    pages = []
    for link in links:
        years_row = tuple(other if other is not link else Link(link.label, "") for other in links)
        pages.append(
            _deferred(
                link.href,
                "site/list_archive.html",
                f"{title} · {link.label}",
                section,
                partial(_list_archive_view, f"{title} · {link.label}", parent, years_row, years[link.label], ctx),
                (context, parent, years_row, _story_inputs(years[link.label])),
                period=link.label,
            )
        )
    return [story for story in stories if story.week >= cutoff], pages


def _list_archive_view(
    label: str, parent: Link, years: tuple[Link, ...], stories: Sequence[StoryRef], ctx: _Context
) -> ListArchivePage:
    return ListArchivePage(
        label=label,
        parent=parent,
        total=ctx.stories_label(len(stories)),
        years=years,
        story_weeks=_by_week_groups(stories, ctx),
    )


def _with_recent(
    view: FormatPage | SourcePage, recent: Sequence[StoryRef] | None, archives: Sequence[Page], ctx: _Context
) -> FormatPage | SourcePage:
    """The page's view saying it lists its recent weeks' stories, and linking its yearly archive pages."""
    if recent is None:
        return view
    return replace(
        view,
        recent_intro=ctx.t.recent_intro.format(n=LIST_RECENT_WEEKS),
        archives=tuple(Link(page.path.removesuffix(".html")[-4:], page.path) for page in archives),
    )


def _theme_view(theme: SiteTheme, stories: Sequence[StoryRef], all_weeks: Sequence[str], ctx: _Context) -> object:
    return _theme_page(theme, stories, all_weeks, ctx).view


def _format_view(
    key: str,
    stories: Sequence[StoryRef],
    recent: Sequence[StoryRef] | None,
    archives: Sequence[Page],
    all_weeks: Sequence[str],
    ctx: _Context,
    track: FormatTrack | None,
    radar: Radar,
) -> object:
    view = _format_page(key, ctx.format_paths[key], stories if recent is None else recent, stories, all_weeks, ctx,
                        track, radar).view  # fmt: skip
    assert isinstance(view, FormatPage)
    return _with_recent(view, recent, archives, ctx)


def _source_view(
    feed: FeedRecord,
    stories: Sequence[StoryRef],
    recent: Sequence[StoryRef] | None,
    archives: Sequence[Page],
    ctx: _Context,
) -> object:
    view = _source_page(feed, stories if recent is None else recent, stories, ctx).view
    assert isinstance(view, SourcePage)
    return _with_recent(view, recent, archives, ctx)


def _search_pieces(stories: Sequence[StoryRef], ctx: _Context, context: str) -> tuple[SearchPiece, ...]:
    """The search index's pieces, one per page holding stories (a week, a year of the archive), newest
    first, each piece's entries newest first and computed only when the piece is written again."""
    pieces: dict[str, list[StoryRef]] = {}
    names: dict[str, str] = {}  # week -> its page's name
    for story in reversed(stories):
        name = names.get(story.week)
        if name is None:
            name = names[story.week] = ctx.week_href(story.week).rsplit("/", 1)[-1].removesuffix(".html")
        pieces.setdefault(name, []).append(story)
    return tuple(
        SearchPiece(
            name,
            _inputs((context, name, _story_inputs(members))),
            partial(_search_entries, members, ctx),
            period=name.removeprefix("archive-"),
        )
        for name, members in pieces.items()
    )


def _search_entries(stories: Sequence[StoryRef], ctx: _Context) -> tuple[SearchEntry, ...]:
    views = ctx.views(stories)
    return tuple(_search_entry(view, story.themes, ctx) for view, story in zip(views, stories, strict=True))


def _deferred_week_page(
    week: str,
    stories: Sequence[StoryRef],
    rows: Sequence[tuple[SiteTheme, ThemeWeekRecord]],
    digest: DigestRecord | None,
    theme_stories: Mapping[int, Sequence[StoryRef]],
    feeds: Sequence[FeedRecord],
    sources: int,
    *,
    previous: Link | None,
    following: Link | None,
    ctx: _Context,
    signals: Sequence[SiteSignal],
    refs: Mapping[str, StoryRef],
    context: str,
) -> Page:
    """A week's page, computed only when what it shows changed: its stories, its themes' rows, its digest,
    the feeds' troubles during the week, its neighbours, its emerging signals and their stories."""
    start, end = week_bounds(week)
    events = [(feed.id, event) for feed in feeds for event in feed.events if start <= event.at < end]
    signal_stories = [(key, refs[key].digest if key in refs else None) for sg in signals for key in sg.story_keys]
    story_themes = {key: dict(refs[key].themes) for key, known in signal_stories if known is not None}

    def build() -> object:
        emerging = _signal_cards(signals, refs, story_themes, {week: rows}, ctx).get(week, ())
        page = _week_page(week, stories, rows, digest, theme_stories, feeds, sources, previous=previous,
                          following=following, ctx=ctx, emerging=emerging)  # fmt: skip
        return page.view

    label = f"{week_label(week, ctx.d)} ({period(week, ctx.language)})"
    inputs = (context, week, _story_inputs(stories), [(theme.id, row) for theme, row in rows], digest, events,
              sources, previous, following, signals, signal_stories)  # fmt: skip
    return _deferred(week_href(week), "site/week.html", label, "weeks", build, inputs, period=week)


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


def _week_page(
    week: str,
    stories: Sequence[StoryRef],
    rows: Sequence[tuple[SiteTheme, ThemeWeekRecord]],
    digest: DigestRecord | None,
    theme_stories: Mapping[int, Sequence[StoryRef]],
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
        _plural(new_themes, *d.new_themes, lang),
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


def _theme_page(theme: SiteTheme, stories: Sequence[StoryRef], all_weeks: Sequence[str], ctx: _Context) -> Page:
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
    shown: Sequence[StoryRef],
    stories: Sequence[StoryRef],
    all_weeks: Sequence[str],
    ctx: _Context,
    track: FormatTrack | None,
    radar: Radar,
) -> Page:
    """A format's page: ``stories`` all of them (its counts), ``shown`` those it lists."""
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
    radar_weeks = set(radar.weeks)
    for story in stories:
        if story.week in radar_weeks:
            for theme_id in dict.fromkeys(theme_id for _, theme_id in story.themes):
                if theme_id in ctx.theme_labels:
                    carried[theme_id] += 1
    top = sorted(carried.items(), key=lambda pair: (-pair[1], ctx.theme_labels[pair[0]].lower(), pair[0]))[:8]
    view = FormatPage(
        key=key,
        label=label,
        total=ctx.stories_label(len(stories)),
        chart=_chart(f"chart-format-{slug(key)}", _chart_bars(counts, span, marks, ctx), ctx.t.timeline, ctx),
        story_weeks=_by_week_groups(shown, ctx),
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
    return i18n.percent(percent, ctx.language)


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
        one, many = r.too_early
        sentence = one if i18n.language_of(ctx.language).singular(radar.watch_weeks) else many
        too_early = sentence.format(n=radar.watch_weeks, need=MIN_WATCH_WEEKS)
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
        heat_key=tuple(i18n.percent(n, ctx.language) for n in HEAT_KEY),
    )


HEAT_KEY = (5, 10, 20, 30)  # the heatmap legend's steps, in percent of the week's stories


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


def _source_page(feed: FeedRecord, shown: Sequence[StoryRef], stories: Sequence[StoryRef], ctx: _Context) -> Page:
    """A source's page: ``stories`` all of them (its count), ``shown`` those it lists."""
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
        story_weeks=_by_week_groups(shown, ctx),
    )
    return Page(f"sources/{feed.id}.html", "site/source.html", name, "sources", view)


def _home_page(
    all_weeks: Sequence[str],
    week_rows: Mapping[str, WeekRow],
    digests: Mapping[str, DigestRecord],
    theme_weeks: Mapping[str, Sequence[tuple[SiteTheme, ThemeWeekRecord]]],
    theme_stories: Mapping[int, Sequence[StoryRef]],
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
    shown = {theme.id for rows in theme_weeks.values() for theme, _ in rows}  # not those about something else
    themes = sorted(
        (th for th in records.themes if th.id in shown),
        key=lambda th: (th.last_week, len(theme_stories.get(th.id, ()))),
        reverse=True,
    )
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
    weeks = {story.key: story.week for story in ctx.index.refs}
    lines = []
    for line in digest.brief:
        href = None
        if line.kind == "theme" and line.ref in themes:
            href = f"themes/{line.ref}.html"
        elif line.kind == "format" and ctx.format_paths.get(line.ref) in formats:
            href = ctx.format_paths[line.ref]
        elif line.kind == "story" and (week := weeks.get(f"s{line.ref}")) is not None:
            href = f"{week_href(week)}#s{line.ref}"
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


def _article_health(feed: FeedRecord, t: SiteStrings) -> tuple[str, ...]:
    """A source's article pages in words ("3 read", "2 failed", "1 to try again later"); () when it never
    fetched one."""
    found = feed.articles
    if found is None or not (found.ok or found.failed):
        return ()
    parts = [t.articles_read.format(count=found.ok), t.articles_failed.format(count=found.failed)]
    if found.retrying:
        parts.append(t.articles_retrying.format(count=found.retrying))
    return tuple(parts)
