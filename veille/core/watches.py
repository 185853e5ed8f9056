"""Watches (radar mode): named searches of feeds.yaml followed week after week (pure).

A watch's query (``core.query``) is matched by the storage on every stored item; this module counts its
matches per ISO week as themes are counted — stories (one per story, an item not grouped yet being a
story of its own), items, distinct sources, and the stories of the week's most prolific source — and
scores the week with the very test that flags a rising theme (``core.trends.score_theme``: Poisson
z-score against the trailing weeks, floors on stories and sources, the same without the most prolific
source, sustained and ramp tests). A watch never is "new": its first matches are measured against the
empty weeks before them, as a theme with a prior of nothing. ``burst`` is that test's ``rising``.

The digest shows each watch's matches of the week ("Vos veilles" / "Your watches") and the site gives
each watch a page with its weekly counts and its matches; both get their words here, in the reader's
language.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from veille.core import i18n
from veille.core.query import fold
from veille.core.trends import DEFAULT_RULES, TrendRules, TrendStatus, WeekPoint, explain, score_theme
from veille.core.weeks import iso_week, shift_week, weeks_between

MAX_DIGEST_MATCHES = 5  # stories listed per watch in the digest


def watch_slug(name: str) -> str:
    """A file name for a watch: its folded name, letters and digits joined by ``-`` ("IA générative": ia-generative)."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")


@dataclass(frozen=True)
class WatchMatch:
    """One stored item matching a watch (what the storage returns, engine-neutral)."""

    item_id: int
    story_id: int | None
    feed_id: int  # the feed it was first read from
    published_at: datetime
    feed_ids: tuple[int, ...] = ()  # every feed that carried it (``feed_id`` when not given)

    @property
    def story_key(self) -> str:
        return f"s{self.story_id}" if self.story_id is not None else f"i{self.item_id}"


@dataclass(frozen=True)
class WatchReport:
    """A watch scored in one week: its weekly counts (oldest first), its status, this week's stories."""

    name: str
    query: str
    slug: str
    week: str
    points: tuple[WeekPoint, ...]  # every week from its first match (or the scored window) to ``week``
    status: TrendStatus | None  # None: nothing matched up to ``week``
    week_items: tuple[int, ...]  # one item per story of ``week``, newest first (the story's latest match)
    bursts: tuple[str, ...] = ()  # every week up to ``week`` whose count burst (the same test, week by week)
    story_keys: tuple[str, ...] = ()  # every story matched up to ``week`` ("s<id>", "i<item id>"), oldest first
    burst_status: TrendStatus | None = None  # the status of the latest week that burst (its numbers)

    @property
    def burst(self) -> bool:
        return self.status is not None and self.status.status == "rising"

    @property
    def current(self) -> WeekPoint:
        return self.points[-1] if self.points else WeekPoint(self.week, 0, 0, 0)


def weekly_points(matches: Iterable[WatchMatch], first: str, last: str) -> tuple[WeekPoint, ...]:
    """Counts per ISO week from ``first`` to ``last`` (both included, empty weeks as zeros): stories,
    items, distinct sources (every feed that carried a matching item, as themes count them), and the
    stories of the most prolific source."""
    stories: dict[str, set[str]] = defaultdict(set)
    items: Counter[str] = Counter()
    by_source: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for match in matches:
        week = iso_week(match.published_at)
        stories[week].add(match.story_key)
        items[week] += 1
        for feed in match.feed_ids or (match.feed_id,):
            by_source[week][feed].add(match.story_key)
    points = []
    for k in range(weeks_between(first, last) + 1):
        week = shift_week(first, k)
        sources = by_source.get(week, {})
        top = max((len(keys) for keys in sources.values()), default=0)
        points.append(WeekPoint(week, len(stories.get(week, ())), items[week], len(sources), top))
    return tuple(points)


def watch_report(
    name: str,
    query: str,
    slug: str,
    matches: Sequence[WatchMatch],
    week: str,
    *,
    rules: TrendRules = DEFAULT_RULES,
    history_from: str | None = None,
) -> WatchReport:
    """Score ``week`` for a watch from its matches (any span; those after ``week`` are left out).

    ``history_from``: the first week of the counts (default: the week of the first match, at most
    ``rules.window`` weeks before ``week`` so the scored window is always whole)."""
    kept = [m for m in matches if iso_week(m.published_at) <= week]
    first = min((iso_week(m.published_at) for m in kept), default=week)
    start = min(first, shift_week(week, -(rules.window - 1)))
    if history_from is not None:
        start = min(start, history_from)
    points = weekly_points(kept, start, week)
    status = None
    if any(p.stories for p in points):
        # never "new": the weeks before its first match count as a prior of nothing, so a watch whose
        # subject comes from nowhere is judged by the rising test, as a theme with an empty prior is
        prior = tuple(WeekPoint(p.week, 0, 0, 0) for p in points if p.week < first)
        history = [p for p in points if p.week >= first]
        status = score_theme(history, week, novelty=0.0, rules=rules, recorded_before=True, prior=prior)
    bursts = []
    burst_status = None
    if status is not None:
        for point in points:
            if point.week < first or point.stories == 0:
                continue
            if point.week == week:
                scored = status
            else:
                upto = [p for p in points if first <= p.week <= point.week]
                scored = score_theme(upto, point.week, novelty=0.0, rules=rules, recorded_before=True, prior=prior)
            if scored.status == "rising":
                bursts.append(point.week)
                burst_status = scored
    latest: dict[str, WatchMatch] = {}
    for match in kept:
        if iso_week(match.published_at) == week:
            seen = latest.get(match.story_key)
            if seen is None or (match.published_at, match.item_id) > (seen.published_at, seen.item_id):
                latest[match.story_key] = match
    ordered = sorted(latest.values(), key=lambda m: (m.published_at, m.item_id), reverse=True)
    keys = tuple(dict.fromkeys(m.story_key for m in sorted(kept, key=lambda m: (m.published_at, m.item_id))))
    week_items = tuple(m.item_id for m in ordered)
    return WatchReport(name, query, slug, week, points, status, week_items, tuple(bursts), keys, burst_status)


def reason(report: WatchReport, lang: str) -> str:
    """The watch's week in one sentence: its volume, and why it bursts (the theme's wording)."""
    if report.status is None:
        return words(lang)["nothing_yet"]
    return explain(report.status, lang)


# ------------------------------------------------------------------------------------------- words


def _text(lang: i18n.Language) -> dict[str, str]:
    _ = lang.gettext
    return {
        "heading": _("Your watches"),
        "intro": _("This week's stories matching the searches saved in feeds.yaml."),
        "none_this_week": _("Nothing this week."),
        "nothing_yet": _("No match yet."),
        "query": _("Query"),
        "watches": _("Watches"),
        "watch": _("Watch"),
        "weekly_counts": _("Stories per week"),
        "matches": _("Matches"),
        "weeks_table": _("Weeks"),
        "watches_intro": _(
            "Each watch is a search saved in feeds.yaml, matched on everything veille stored; "
            "a watch whose weekly count bursts is flagged, as a rising theme is."
        ),
    }


def words(lang: str) -> dict[str, str]:
    """The watches' fixed words in ``lang`` (``fr`` or ``en``)."""
    return i18n.table("watches", lang, _text)


# ------------------------------------------------------------------------------------------ digest


@dataclass(frozen=True)
class MatchShown:
    """A matched item as the digest lists it (the storage's search hit, engine-neutral)."""

    item_id: int
    title: str
    url: str | None
    summary: str
    published_at: datetime
    sources: tuple[str, ...]


@dataclass(frozen=True)
class WatchStoryView:
    title: str
    url: str | None
    meta: str  # "mar. 24 nov. · Alpha, Beta"
    summary: str


@dataclass(frozen=True)
class WatchView:
    name: str
    query: str
    burst: bool
    badge: str  # "en hausse" when it bursts, else ""
    reason: str  # its week in numbers ("6 sujets publiés par 4 sources, x6,0 …")
    stories: tuple[WatchStoryView, ...]
    more: str  # "et 3 autres sujets" when it matched more than listed, else ""
    spark: str  # its last weeks in block characters, for the text part


@dataclass(frozen=True)
class WatchesSection:
    """The digest's "Vos veilles" / "Your watches" section."""

    heading: str
    intro: str
    none_this_week: str
    watches: tuple[WatchView, ...]


def spark(counts: Sequence[int]) -> str:
    top = max(counts, default=0)
    return "".join("▁▂▃▄▅▆▇█"[min(7, round(7 * n / top))] if top else "▁" for n in counts)


def digest_section(
    reports: Sequence[WatchReport],
    shown: dict[int, MatchShown],
    lang: str,
    *,
    limit: int = MAX_DIGEST_MATCHES,
    safe_url: Callable[[str | None], str | None] = lambda url: url,
    shorten: Callable[[str], str] = lambda text: text,
) -> WatchesSection | None:
    """The section, one block per watch in feeds.yaml's order (bursting or not: a DLM reads all of
    them); None when feeds.yaml has no watch."""
    if not reports:
        return None
    lang = i18n.language(lang).code  # a language without a catalog: French, as the digest
    w, d = words(lang), i18n.strings(lang)
    views = []
    for report in reports:
        stories = []
        for item_id in report.week_items[:limit]:
            match = shown.get(item_id)
            if match is None:
                continue
            meta = i18n.day_label(match.published_at.date(), lang)
            if match.sources:
                meta += " · " + ", ".join(match.sources[:3]) + (" …" if len(match.sources) > 3 else "")
            stories.append(WatchStoryView(match.title, safe_url(match.url), meta, shorten(match.summary)))
        extra = len(report.week_items) - len(stories)
        more = d.and_more.format(more=i18n.plural(extra, *d.signal_more, lang)) if extra > 0 else ""
        views.append(
            WatchView(
                name=report.name,
                query=report.query,
                burst=report.burst,
                badge=d.status_rising if report.burst else "",
                reason=reason(report, lang) if report.current.stories else w["none_this_week"],
                stories=tuple(stories),
                more=more,
                spark=spark([p.stories for p in report.points[-8:]]),
            )
        )
    return WatchesSection(w["heading"], w["intro"], w["none_this_week"], tuple(views))
