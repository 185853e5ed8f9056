"""The site's watch pages (pure): ``watches/index.html`` lists the watches of feeds.yaml, and each watch
gets ``watches/<slug>.html`` with its weekly counts over time (the theme pages' chart, a burst marked as a
rising theme's week), its weeks in numbers and every story it matched, newest week first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from veille.core.site.charts import _chart, _chart_bars
from veille.core.site.common import CHART_MAX_WEEKS, StoryRef, _by_week_groups, _Context, week_label
from veille.core.site.views import Chart, Link, Page, StoryGroup
from veille.core.trends import explain
from veille.core.watches import WatchReport, reason, words
from veille.core.weeks import shift_week


@dataclass(frozen=True)
class WatchWeekRow:
    week: Link
    stories: int
    sources: int
    status_label: str  # "en hausse" when the count burst that week, else ""


@dataclass(frozen=True)
class WatchPage:
    name: str
    query: str
    burst: bool  # its count burst this week or the last complete one
    status_label: str
    reason: str
    total: str  # "14 sujets"
    chart: Chart
    rows: tuple[WatchWeekRow, ...]  # newest first, weeks with matches only
    story_weeks: tuple[StoryGroup, ...]
    w: Mapping[str, str]


@dataclass(frozen=True)
class WatchRow:
    link: Link
    query: str
    burst: bool
    status_label: str
    this_week: int
    total: int


@dataclass(frozen=True)
class WatchesPage:
    rows: tuple[WatchRow, ...]
    w: Mapping[str, str]


def watch_pages(
    reports: Sequence[WatchReport], stories: Mapping[str, StoryRef], ctx: _Context
) -> tuple[list[Page], str]:
    """The pages, and the navigation's label for them ("" when feeds.yaml has no watch: no page, no link)."""
    if not reports:
        return [], ""
    w = words(ctx.language)
    rising = ctx.status_label("rising")
    pages: list[Page] = []
    rows = []
    for report in reports:
        path = f"watches/{report.slug}.html"
        # the site's week is in progress: a burst of the last complete week still heads the page
        burst = bool(report.bursts) and report.bursts[-1] >= shift_week(report.week, -1)
        shown = [stories[key] for key in report.story_keys if key in stories]
        weeks = [p.week for p in report.points][-CHART_MAX_WEEKS:]
        counts = {p.week: p.stories for p in report.points}
        marks = {week: "rising" for week in report.bursts}
        week_rows = tuple(
            WatchWeekRow(
                Link(week_label(p.week, ctx.d), ctx.week_href(p.week)),
                p.stories,
                p.sources,
                rising if p.week in report.bursts else "",
            )
            for p in reversed(report.points)
            if p.stories
        )
        view = WatchPage(
            name=report.name,
            query=report.query,
            burst=burst,
            status_label=rising if burst else "",
            reason=(
                f"{week_label(report.bursts[-1], ctx.d)}{ctx.d.colon}{explain(report.burst_status, ctx.language)}"
                if burst and report.burst_status is not None
                else reason(report, ctx.language)
            ),
            total=ctx.stories_label(len(report.story_keys)),
            chart=_chart(f"chart-watch-{report.slug}", _chart_bars(counts, weeks, marks, ctx), w["weekly_counts"], ctx),
            rows=week_rows,
            story_weeks=_by_week_groups(shown, ctx),
            w=w,
        )
        pages.append(Page(path, "site/watch.html", report.name, "watches", view))
        rows.append(
            WatchRow(
                Link(report.name, path),
                report.query,
                burst,
                rising if burst else "",
                report.current.stories,
                len(report.story_keys),
            )
        )
    pages.append(Page("watches/index.html", "site/watches.html", w["watches"], "watches", WatchesPage(tuple(rows), w)))
    return pages, w["watches"]
