"""Which theme each cluster of a week continues, which clusters merge, which are new, and what each
theme is reported as this week: the decisions of ``veille process``'s theme step, over plain data.

    theme_groups(stories, members, held, week, refs, keywords)     clusters -> ThemeGroup (linked, merged)
        a cluster continues the theme that already held most of its stories (``trends.link_by_stories``),
        also when that is a single story and the cluster's centroid stays close to the theme's (drift);
        a cluster sharing no story with any theme is linked by centroid, one to one, to the themes left
        over (a theme back after a gap); clusters continuing one theme are merged into one group
    gone_themes(refs, groups, week)                                 themes seen last week, continued by none
    follow_groups(groups, stories, window, stored)                  the groups followed as themes, with the
        points they are scored on: an unlinked group with no story this week is dropped (a grouping of
        earlier weeks only); an unlinked group is new when most of its stories are recent
        (``new_theme_points``), scored from its first weeks
    score_groups(followed, priors, week, earlier)                   the status of each followed group;
        a group quiet this week is reported only when it fades
    fading_themes(gone, stored, stored_recent, week)                a gone theme is reported when it fades

The job (``veille.jobs.process``) loads the window's stories and the themes' history, clusters, calls
these, and stores what they decide. Nothing here reads a database or a model: the tests give plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from veille.core import trends
from veille.core.weeks import shift_week, week_bounds

LINK_WEEKS = 12  # a theme unseen for longer than this is over: a similar cluster starts a new theme
THEME_WINDOW_WEEKS = 4  # weeks of stories clustered together to find a week's themes

# An unlinked cluster is a new theme, scored from its first week, when at least this share of its window
# stories came in the last ``new_weeks`` weeks (an even spread over a 4-week window gives 1/2): otherwise
# it is an old grouping that lost its identity, and its whole window is its history.
NEW_SHARE = 2 / 3

HistoryRow = tuple  # (week, stories, items, sources, top_source), as stored with each theme week


class Story(Protocol):
    """A story of the window as the theme decisions read it (``adapters.process_store.WindowStory``)."""

    @property
    def id(self) -> int: ...

    @property
    def centroid(self) -> NDArray[np.float32]: ...

    @property
    def weeks(self) -> Mapping[str, int]: ...  # ISO week -> its items published that week

    @property
    def feeds(self) -> Mapping[str, frozenset[int]]: ...  # ISO week -> the feeds that carried them


@dataclass(frozen=True)
class ThemeGroup:
    """The window stories (indices) that make one theme this week, and the theme they continue."""

    theme_id: int | None
    members: tuple[int, ...]
    centroid: NDArray[np.float32]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Followed:
    """A group followed as a theme this week: its member stories and the points it is scored on."""

    group: ThemeGroup
    stories: tuple[Story, ...]
    points: tuple[trends.WeekPoint, ...]


@dataclass(frozen=True)
class Decision:
    """What one theme is this week: its status and this week's stories (ids) and volume."""

    status: trends.TrendStatus
    stories: tuple[int, ...]
    current: trends.WeekPoint


# --------------------------------------------------------------------------------- linking, merging


def link_clusters(
    stories: Sequence[Story],
    members: Sequence[Sequence[int]],
    held: Mapping[int, int],
    week: str,
    refs: Sequence[trends.ThemeRef],
) -> list[int | None]:
    """The theme each cluster (``members``: indices into ``stories``) continues, or None (a new one).

    ``held`` maps a story id to the theme that held it in an earlier window; ``refs`` are the themes
    seen in the last ``LINK_WEEKS`` weeks."""
    counts = [_count(held[stories[i].id] for i in m if stories[i].id in held) for m in members]
    older = [sum(1 for i in m if any(w < week for w in stories[i].weeks)) for m in members]
    links = trends.link_by_stories(counts, older)
    vectors = np.vstack([s.centroid for s in stories])
    _follow_drift(links, counts, older, [vectors[list(m)].sum(axis=0) for m in members], refs)
    # Clusters sharing no story with any theme: centroid linking, one-to-one, to the themes left over.
    claimed = {t for t in links if t is not None}
    orphans = [c for c, t in enumerate(links) if t is None and not counts[c]]
    if not orphans:
        return links
    fallback = trends.link_clusters(
        [ref for ref in refs if ref.id not in claimed],
        [
            trends.WeekCluster(
                centroid=vectors[list(members[c])].sum(axis=0),
                story_count=len(members[c]),
                item_count=0,
                sources=frozenset(),
            )
            for c in orphans
        ],
        threshold=trends.LINK_THRESHOLD,
    )
    for c, theme_id in zip(orphans, fallback, strict=True):
        links[c] = theme_id
    return links


def _follow_drift(
    links: list[int | None],
    counts: Sequence[Mapping[int, int]],
    older: Sequence[int],
    centroids: Sequence[NDArray[np.floating]],
    refs: Sequence[trends.ThemeRef],
) -> None:
    """Drift: a cluster left unlinked whose older stories were mostly one theme's, too few of them for
    ``link_by_stories`` (a theme growing from a handful of stories is mostly new stories each week), and
    whose centroid is still within ``trends.LINK_THRESHOLD`` of that theme's continues it (in place).
    Without this, a young theme whose centroid moves as it grows was cut off and reported ``new`` again."""
    by_id = {ref.id: ref for ref in refs}
    for c, theme_id in enumerate(links):
        if theme_id is not None or not counts[c]:
            continue
        theme, shared = min(counts[c].items(), key=lambda pair: (-pair[1], pair[0]))
        if theme not in by_id or 2 * shared <= older[c]:
            continue
        a, b = np.asarray(centroids[c], dtype=np.float64), np.asarray(by_id[theme].centroid, dtype=np.float64)
        if float(a @ b) >= trends.LINK_THRESHOLD * max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12):
            links[c] = theme


def merge_clusters(
    stories: Sequence[Story],
    members: Sequence[Sequence[int]],
    links: Sequence[int | None],
    keywords: Mapping[int, Sequence[str]],
) -> list[ThemeGroup]:
    """One group per theme: the clusters linked to one theme merged into the group of the biggest (clusters
    come biggest first), which gives its keywords; an unlinked cluster is a group of its own."""
    by_theme: dict[int, list[int]] = {}
    for c, theme_id in enumerate(links):
        if theme_id is not None:
            by_theme.setdefault(theme_id, []).append(c)
    groups: list[ThemeGroup] = []
    for c, theme_id in enumerate(links):
        parts = by_theme.get(theme_id, [c]) if theme_id is not None else [c]
        if parts[0] != c:
            continue  # merged into the group of its theme's biggest cluster
        idx = tuple(i for part in parts for i in members[part])
        total = np.sum(np.vstack([stories[i].centroid for i in idx]), axis=0)
        centroid = (total / max(float(np.linalg.norm(total)), 1e-12)).astype(np.float32)
        groups.append(ThemeGroup(theme_id, idx, centroid, tuple(keywords.get(parts[0], ()))))
    return groups


def theme_groups(
    stories: Sequence[Story],
    members: Sequence[Sequence[int]],
    held: Mapping[int, int],
    week: str,
    refs: Sequence[trends.ThemeRef],
    keywords: Mapping[int, Sequence[str]],
) -> list[ThemeGroup]:
    """Link each cluster to a theme (``link_clusters``) and merge the clusters of one theme (``merge_clusters``)."""
    return merge_clusters(stories, members, link_clusters(stories, members, held, week, refs), keywords)


def gone_themes(refs: Iterable[trends.ThemeRef], groups: Iterable[ThemeGroup], week: str) -> list[int]:
    """The themes seen last week that no group continues: scored on their stored weeks, kept when fading."""
    continued = {group.theme_id for group in groups if group.theme_id is not None}
    last_week = shift_week(week, -1)
    return [ref.id for ref in refs if ref.id not in continued and ref.last_week == last_week]


# ---------------------------------------------------------------------------------------- following


def window_point(stories: Iterable[Story], week: str) -> trends.WeekPoint:
    """A theme's volume in one week of the window: stories and items that week, distinct feeds, and how
    many of its stories the most prolific single feed carried."""
    active = [s for s in stories if s.weeks.get(week)]
    per_feed: dict[int, int] = {}
    for story in active:
        for feed in story.feeds.get(week, ()):
            per_feed[feed] = per_feed.get(feed, 0) + 1
    return trends.WeekPoint(
        week,
        len(active),
        sum(s.weeks[week] for s in active),
        len(per_feed),
        max(per_feed.values(), default=0),
    )


def history_points(rows: Iterable[HistoryRow]) -> list[trends.WeekPoint]:
    """Stored theme weeks (week, stories, items, sources, top source) as points."""
    return [trends.WeekPoint(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]


def new_theme_points(points: Sequence[trends.WeekPoint]) -> list[trends.WeekPoint]:
    """The points a theme that continues no earlier theme is scored on: only its last ``new_weeks``
    weeks when most of its stories are that recent (it is new), else all of them."""
    recent = list(points[-trends.DEFAULT_RULES.new_weeks :])
    if sum(p.stories for p in recent) >= NEW_SHARE * sum(p.stories for p in points):
        return recent
    return list(points)


def follow_groups(
    groups: Iterable[ThemeGroup],
    stories: Sequence[Story],
    window: Sequence[str],
    stored: Mapping[int, Sequence[HistoryRow]],
) -> list[Followed]:
    """The groups followed as themes, each with its points: the stored weeks of the theme it continues
    (``stored``: before the window), then the window's weeks. An unlinked group without a story in the
    window's last week is dropped (a grouping of earlier weeks only, never seen as a theme); an unlinked
    group is scored on ``new_theme_points``."""
    followed: list[Followed] = []
    for group in groups:
        members = tuple(stories[i] for i in group.members)
        older = history_points(stored.get(group.theme_id, [])) if group.theme_id is not None else []
        points = [*older, *(window_point(members, w) for w in window)]
        if group.theme_id is None:
            if points[-1].stories == 0:
                continue
            points = new_theme_points(points)
        followed.append(Followed(group, members, tuple(points)))
    return followed


# ------------------------------------------------------------------------------------------ scoring


def score_groups(
    followed: Sequence[Followed],
    priors: Sequence[Sequence[trends.WeekPoint]],
    week: str,
    earlier: Sequence[NDArray[np.floating]] | NDArray[np.floating],
    *,
    in_progress: bool = False,
) -> list[Decision | None]:
    """Each followed group's status in ``week`` (``trends.score_theme``; novelty against ``earlier``
    themes' centroids; ``priors``: the estimated counts before a young theme's first story). None for a
    group quiet this week that is not fading: nothing to report about it. While ``week`` is
    ``in_progress`` nothing fades (``settle``)."""
    decisions: list[Decision | None] = []
    for item, prior in zip(followed, priors, strict=True):
        group, points = item.group, list(item.points)
        current = points[-1]
        novelty = trends.novelty(group.centroid, list(earlier)) if len(earlier) else 1.0
        status = settle(
            trends.score_theme(points, week, novelty=novelty, recorded_before=group.theme_id is not None, prior=prior),
            in_progress,
        )
        if current.stories == 0 and status.status != "fading":
            decisions.append(None)
            continue
        this_week = tuple(s.id for s in item.stories if s.weeks.get(week))
        decisions.append(Decision(status, this_week, current))
    return decisions


OPEN_MARK = "+open"  # a clustered week's signature ends so while the week is in progress


def week_signatures(signatures: Mapping[str, str], now: datetime) -> dict[str, str]:
    """What each week's clustering must have been made from (``signatures``: its stories'), a week still
    in progress at ``now`` marked so: once it is over it is clustered again, complete, and its themes may
    fade (``settle``)."""
    return {week: f"{sig}{OPEN_MARK}" if week_bounds(week)[1] > now else sig for week, sig in signatures.items()}


def settle(status: trends.TrendStatus, in_progress: bool) -> trends.TrendStatus:
    """A theme's status in a week still in progress: its counts so far are partial (a Monday morning
    holds a few stories of each theme), so it cannot be fading yet; ``steady`` until the week is over,
    with ``week_in_progress`` in its reason. New and rising stand: partial counts only understate them."""
    if not in_progress or status.status != "fading":
        return status
    return trends.TrendStatus("steady", False, {**status.reason, "week_in_progress": 1})


def fading_themes(
    gone: Iterable[int],
    stored: Mapping[int, Sequence[HistoryRow]],
    stored_recent: Mapping[int, Sequence[HistoryRow]],
    week: str,
    *,
    in_progress: bool = False,
) -> list[tuple[int, trends.TrendStatus]]:
    """The gone themes (seen last week, continued by no cluster) to report this week: those fading, scored
    on their stored weeks (``stored``: before the window, ``stored_recent``: in it) and a quiet ``week``.
    None while ``week`` is in progress: on a Monday morning every theme is quiet so far."""
    out: list[tuple[int, trends.TrendStatus]] = []
    if in_progress:
        return out
    for theme_id in gone:
        points = [*history_points(stored.get(theme_id, [])), *history_points(stored_recent.get(theme_id, []))]
        points.append(trends.WeekPoint(week, 0, 0, 0, 0))
        if any(p.stories for p in points):
            status = trends.score_theme(points, week, novelty=0.0)
            if status.status == "fading":
                out.append((theme_id, status))
    return out


def _count(theme_ids: Iterable[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for theme_id in theme_ids:
        counts[theme_id] = counts.get(theme_id, 0) + 1
    return counts
