"""The format radar: where each learning format is going, week by week.

Pure: the stories arrive already read (``adapters.radar_store``), as plain records of their week, their
formats, their items and the feeds that carried them; the week to score is passed in.

What counts, and why:

* **A story's formats** are the union of its items' formats, ``other`` left out as soon as one of its
  items has a real format: a MOOC story whose French copy the tagger found no format for is a MOOC
  story, not also an "other formats" story. A story none of whose items has a format is ``other``,
  unless ``veille process`` classified its items and found them about something else (the relevance
  gate): then it counts in no format and not in the week's total (:func:`story_formats`; the site's
  format pages list stories the same way).
* **A story's week** is the one the site and the digest give it: the week of the digest that showed
  it, else the week it first appeared. So a format's stories of a week are a part of the week's
  stories the week page counts, and **its share** is its stories over the week's stories (a story with
  two formats counts for both, so the shares of a week may add up to more than 1).
* **The status** is the themes' own trend scoring, called and not copied (``core.trends.score_theme``
  with its ``DEFAULT_RULES``): a format's weekly counts are scored exactly as a theme's, with the same
  floors of stories and distinct sources, the same check without the week's most prolific source, the
  same two-week and ramp tests, the same fading rules, and the reason stored as numbers. A format is
  never ``new`` (it is in the taxonomy before it has stories). Formats have larger weekly counts than
  themes (tens of stories rather than a handful), so the same thresholds separate a real climb from
  noise with more power (``tests/test_radar.py`` measures both on seeded Poisson counts).
* **Too early to tell**: while the watch has fewer than ``MIN_WATCH_WEEKS`` weeks of stories up to the
  scored week, every format is ``steady`` with ``too_early`` in its reason. On a fresh database every
  format would otherwise "rise" from nothing in its first week.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from veille.core import i18n
from veille.core.trends import (
    DEFAULT_RULES,
    TrendRules,
    TrendStatus,
    WeekPoint,
    explain,
    score_theme,
    source_count,
)
from veille.core.weeks import previous_weeks, shift_week, weeks_between

OTHER = "other"  # the taxonomy's key for "no confident format" (core.formats.OTHER)
RADAR_WEEKS = 12  # weeks shown by the radar, the scored week last
MIN_WATCH_WEEKS = 5  # weeks of watch, the scored week included, before a status means anything
STATUS_ORDER = ("rising", "fading", "steady")


@dataclass(frozen=True)
class RadarStory:
    """One story as the radar counts it."""

    key: str  # "s12" for story 12, "i34" for item 34 not yet grouped into a story (as on the site)
    week: str  # its digest's week, else the week it first appeared
    formats: tuple[str, ...]  # from story_formats()
    items: int  # its items (copies stored as distinct items)
    feeds: frozenset[int]  # every feed that carried one of its items


@dataclass(frozen=True)
class FormatWeek:
    """A format's volume and status in one week."""

    week: str
    stories: int
    share: float  # of the week's stories, 0..1
    status: str  # rising | steady | fading


@dataclass(frozen=True)
class FormatTrack:
    """One format on the radar: its weeks, oldest first, and its status in the radar's week."""

    format: str
    weeks: tuple[FormatWeek, ...]
    status: TrendStatus

    @property
    def current(self) -> FormatWeek:
        return self.weeks[-1]

    @property
    def history(self) -> tuple[int, ...]:
        return tuple(w.stories for w in self.weeks)


@dataclass(frozen=True)
class Radar:
    week: str  # the scored week
    weeks: tuple[str, ...]  # the weeks shown, oldest first, ``week`` last
    totals: tuple[int, ...]  # the week's stories, every format together, per week shown
    watch_weeks: int  # weeks of watch up to ``week`` included (0: no story at all)
    formats: tuple[FormatTrack, ...]  # rising, then fading, then steady; most stories first; other last

    @property
    def total(self) -> int:
        return self.totals[-1] if self.totals else 0

    @property
    def moving(self) -> tuple[FormatTrack, ...]:
        return tuple(f for f in self.formats if f.status.status in ("rising", "fading"))

    @property
    def steady(self) -> tuple[FormatTrack, ...]:
        return tuple(f for f in self.formats if f.status.status == "steady")


def story_formats(formats: Iterable[str], *, classified: bool = False) -> tuple[str, ...]:
    """A story's formats from its items' formats: their union, sorted, without ``other`` when a real
    format is present; ``("other",)`` when there is none; none at all when there is none and its items
    were ``classified``: the relevance gate found them about something else, and no format counts them."""
    found = set(formats)
    real = sorted(found - {OTHER})
    if real:
        return tuple(real)
    return (OTHER,) if found or not classified else ()


def radar_span(week: str, *, weeks: int = RADAR_WEEKS, rules: TrendRules = DEFAULT_RULES) -> tuple[str, str]:
    """The first and last week of stories :func:`build_radar` reads to show ``weeks`` weeks ending at
    ``week``, each one scored on its trailing window."""
    return shift_week(week, -(weeks - 1) - (rules.window - 1)), week


def score_format(
    points: Sequence[WeekPoint],
    week: str,
    *,
    watch_weeks: int,
    rules: TrendRules = DEFAULT_RULES,
    min_watch_weeks: int = MIN_WATCH_WEEKS,
) -> TrendStatus:
    """The status of one format in ``week`` from its weekly counts (``points``, any weeks; missing weeks
    are zero), scored by the themes' rules (``core.trends.score_theme``).

    ``watch_weeks``: how many weeks of stories the watch has up to ``week`` included. Below
    ``min_watch_weeks`` the answer is ``steady`` with ``too_early`` in the reason.
    """
    known = [p for p in points if weeks_between(p.week, week) >= 0]
    current = next((p for p in known if p.week == week), WeekPoint(week, 0, 0, 0, 0))
    volume: dict[str, int | float] = {
        "stories": current.stories,
        "items": current.items,
        "sources": current.sources,
        "top_source": current.top_source,
    }
    if watch_weeks < min_watch_weeks:
        return TrendStatus("steady", False, {**volume, "too_early": 1, "watch_weeks": watch_weeks,
                                             "min_watch_weeks": min_watch_weeks})  # fmt: skip
    if not any(p.stories > 0 for p in known):
        return TrendStatus("steady", False, {**volume, "baseline_mean": 0.0, "baseline_weeks": 0})
    status = score_theme(known, week, novelty=0.0, rules=rules, recorded_before=True)
    reason = {k: v for k, v in status.reason.items() if k != "novelty"}  # a theme's distance to older themes
    return TrendStatus(status.status, False, reason)


def week_points(stories: Iterable[RadarStory]) -> tuple[dict[str, dict[str, WeekPoint]], Counter[str]]:
    """Per format and week, its volume as trend scoring reads it (stories, items, distinct feeds, and the
    stories of its most prolific feed), and the week's stories every format together."""
    per_feed: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    volume: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    totals: Counter[str] = Counter()
    for story in stories:
        if not story.formats:
            continue  # about something else: not learning news, in no format and not in the week's total
        totals[story.week] += 1
        for fmt in dict.fromkeys(story.formats):
            pair = volume[(fmt, story.week)]
            pair[0] += 1
            pair[1] += story.items
            per_feed[(fmt, story.week)].update(story.feeds)
    points: dict[str, dict[str, WeekPoint]] = defaultdict(dict)
    for (fmt, week), (n, items) in volume.items():
        feeds = per_feed[(fmt, week)]
        points[fmt][week] = WeekPoint(week, n, items, len(feeds), max(feeds.values(), default=0))
    return dict(points), totals


def build_radar(
    stories: Iterable[RadarStory],
    week: str,
    *,
    formats: Sequence[str] = (),
    first_week: str | None = None,
    weeks: int = RADAR_WEEKS,
    rules: TrendRules = DEFAULT_RULES,
    min_watch_weeks: int = MIN_WATCH_WEEKS,
) -> Radar:
    """The radar of ``week``: every format of ``formats`` (the taxonomy's keys, in its order) and any
    other format a story of the shown weeks has, each with ``weeks`` weeks of counts, shares and
    statuses, scored in each week on the stories of its trailing window (see :func:`radar_span`).

    ``first_week``: the week of the watch's first story (None: no story), so the first weeks of a watch
    are reported as too early to tell.
    """
    shown = (*previous_weeks(week, weeks - 1), week)
    points, totals = week_points(s for s in stories if weeks_between(s.week, week) >= 0)
    keys = list(dict.fromkeys(k for k in formats if k != OTHER))
    keys += sorted(k for k in points if k not in keys and k != OTHER and any(w in points[k] for w in shown))
    keys.append(OTHER)

    def watch(at: str) -> int:
        return max(0, weeks_between(first_week, at) + 1) if first_week is not None else 0

    tracks = []
    for key in keys:
        series = points.get(key, {})
        history = sorted(series.values(), key=lambda p: p.week)
        rows = []
        status = TrendStatus("steady", False, {})
        for at in shown:
            status = score_format(
                [p for p in history if p.week <= at],
                at,
                watch_weeks=watch(at),
                rules=rules,
                min_watch_weeks=min_watch_weeks,
            )
            n = series[at].stories if at in series else 0
            rows.append(FormatWeek(at, n, n / totals[at] if totals[at] else 0.0, status.status))
        tracks.append(FormatTrack(key, tuple(rows), status))
    tracks.sort(
        key=lambda t: (t.format == OTHER, STATUS_ORDER.index(t.status.status), -t.current.stories, keys.index(t.format))
    )
    return Radar(
        week=week,
        weeks=shown,
        totals=tuple(totals[w] for w in shown),
        watch_weeks=watch(week),
        formats=tuple(tracks),
    )


def explain_format(status: TrendStatus, lang: str) -> str:
    """Why a format has its status, in the reader's language: the themes' sentence (``core.trends.explain``),
    or that the watch is too young to tell."""
    language = i18n.language(lang)
    r: Mapping[str, int | float] = status.reason
    if r.get("too_early"):
        have, need = int(r.get("watch_weeks", 0)), int(r.get("min_watch_weeks", MIN_WATCH_WEEKS))
        return language.ngettext(
            "Too early to tell: {count} week of watch of the {needed} needed",
            "Too early to tell: {count} weeks of watch of the {needed} needed",
            have,
        ).format(count=language.integer(have), needed=language.integer(need))
    if status.status == "steady" and not r.get("baseline_weeks"):  # no earlier week to compare with
        n, sources = int(r.get("stories", 0)), int(r.get("sources", 0))
        if n == 0:
            return language.gettext("No story in these weeks")
        return language.ngettext(
            "{count} story from {sources}: its first, with no earlier week to compare them with",
            "{count} stories from {sources}: its first, with no earlier week to compare them with",
            n,
        ).format(count=language.integer(n), sources=source_count(sources, language))
    return explain(status, lang)


def radar_json(radar: Radar, names: Mapping[str, str]) -> dict[str, object]:
    """``veille formats --json``: the radar's week, and per format its name, stories and share of the
    week, status and reason in numbers, and its weeks (oldest first)."""
    return {
        "week": radar.week,
        "stories": radar.total,
        "formats": [
            {
                "format": track.format,
                "name": names.get(track.format, track.format),
                "stories": track.current.stories,
                "share": round(track.current.share, 4),
                "status": track.status.status,
                "reason": dict(track.status.reason),
                "weeks": [{"week": w.week, "stories": w.stories, "share": round(w.share, 4)} for w in track.weeks],
            }
            for track in radar.formats
        ],
    }
