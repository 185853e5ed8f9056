"""core.themes: which theme a week's clusters continue, which merge, which are new, what each is reported as.

Plain data only (stories as small dataclasses, unit vectors in four dimensions): no database, no model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from veille.core import themes
from veille.core.trends import ThemeRef, WeekPoint

WEEK = "2026-W48"
WINDOW = ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
AI, VR, MOOC = (np.eye(4, dtype=np.float32)[i] for i in range(3))


@dataclass(frozen=True)
class S:
    """A window story: its id, vector, items per week and feeds per week."""

    id: int
    centroid: NDArray[np.float32]
    weeks: Mapping[str, int]
    feeds: Mapping[str, frozenset[int]] = field(default_factory=dict)


def story(sid: int, vector: NDArray[np.float32], *weeks: str, feed: int = 1) -> S:
    return S(sid, vector, {w: 1 for w in weeks}, {w: frozenset({feed}) for w in weeks})


def ref(theme_id: int, vector: NDArray[np.float32], last_week: str = "2026-W47") -> ThemeRef:
    return ThemeRef(id=theme_id, centroid=vector, last_week=last_week)


# ----------------------------------------------------------------------------------------- linking


def test_a_cluster_continues_the_theme_that_held_most_of_its_stories() -> None:
    stories = [story(i, AI, "2026-W47") for i in range(3)] + [story(3, AI, WEEK)]
    held = {0: 7, 1: 7, 2: 9}  # two of its stories were theme 7's, one theme 9's
    links = themes.link_clusters(stories, [[0, 1, 2, 3]], held, WEEK, [ref(7, AI), ref(9, AI)])
    assert links == [7]


def test_a_cluster_sharing_no_story_is_linked_by_centroid_to_a_theme_back_after_a_gap() -> None:
    stories = [story(i, VR, WEEK) for i in range(3)]
    back = ref(4, VR, last_week="2026-W40")
    assert themes.link_clusters(stories, [[0, 1, 2]], {}, WEEK, [back, ref(5, AI)]) == [4]


def test_a_cluster_unlike_every_theme_is_new() -> None:
    stories = [story(i, MOOC, WEEK) for i in range(3)]
    assert themes.link_clusters(stories, [[0, 1, 2]], {}, WEEK, [ref(5, AI), ref(6, VR)]) == [None]


def test_centroid_linking_is_one_to_one_and_skips_themes_claimed_by_shared_stories() -> None:
    stories = [story(i, AI, "2026-W47", WEEK) for i in range(2)] + [story(2 + i, AI, WEEK) for i in range(3)]
    held = {0: 7, 1: 7}
    # the first cluster claims theme 7 by its stories; the second, about the same subject but sharing no
    # story, cannot take theme 7 by its centroid: it is a new theme
    links = themes.link_clusters(stories, [[0, 1], [2, 3, 4]], held, WEEK, [ref(7, AI)])
    assert links == [7, None]


def test_clusters_continuing_one_theme_merge_into_the_biggest_and_take_its_keywords() -> None:
    stories = [story(i, AI, WEEK) for i in range(5)] + [story(5, VR, WEEK)]
    groups = themes.merge_clusters(
        stories,
        [[0, 1, 2], [3, 4], [5]],
        [7, 7, None],
        {0: ["ia", "chatbot"], 1: ["tuteur"], 2: ["vr"]},
    )
    assert [(g.theme_id, g.members, g.keywords) for g in groups] == [
        (7, (0, 1, 2, 3, 4), ("ia", "chatbot")),
        (None, (5,), ("vr",)),
    ]
    assert np.allclose(groups[0].centroid, AI) and np.allclose(groups[1].centroid, VR)  # unit centroids


def test_a_theme_seen_last_week_and_continued_by_no_group_is_gone() -> None:
    groups = themes.theme_groups(
        [story(i, AI, "2026-W47", WEEK) for i in range(3)],
        [[0, 1, 2]],
        {0: 7, 1: 7, 2: 7},
        WEEK,
        [ref(7, AI), ref(8, VR), ref(9, MOOC, last_week="2026-W44")],
        {0: ["ia"]},
    )
    assert [g.theme_id for g in groups] == [7]
    # theme 8 was seen last week and nobody continues it; theme 9 ended weeks ago
    assert themes.gone_themes([ref(7, AI), ref(8, VR), ref(9, MOOC, last_week="2026-W44")], groups, WEEK) == [8]


# --------------------------------------------------------------------------------------- following


def test_the_window_point_counts_stories_items_feeds_and_the_busiest_feed() -> None:
    stories = [
        S(1, AI, {WEEK: 3}, {WEEK: frozenset({1, 2})}),
        S(2, AI, {WEEK: 1}, {WEEK: frozenset({1})}),
        S(3, AI, {"2026-W47": 2}, {"2026-W47": frozenset({3})}),
    ]
    assert themes.window_point(stories, WEEK) == WeekPoint(WEEK, 2, 4, 2, 2)


def test_an_unlinked_group_with_no_story_this_week_is_not_followed() -> None:
    stories = [story(i, AI, "2026-W46") for i in range(3)]
    group = themes.ThemeGroup(None, (0, 1, 2), AI, ("ia",))
    assert themes.follow_groups([group], stories, WINDOW, {}) == []


def test_a_continued_theme_is_scored_on_its_stored_weeks_then_the_window() -> None:
    stories = [story(i, AI, WEEK) for i in range(3)]
    group = themes.ThemeGroup(7, (0, 1, 2), AI, ("ia",))
    stored = {7: [("2026-W44", 2, 2, 1, 2)]}
    (followed,) = themes.follow_groups([group], stories, WINDOW, stored)
    assert [p.week for p in followed.points] == ["2026-W44", *WINDOW]
    assert [p.stories for p in followed.points] == [2, 0, 0, 0, 3]


def test_a_new_theme_whose_stories_are_recent_is_scored_from_its_first_weeks_only() -> None:
    recent = [story(i, AI, WEEK) for i in range(3)] + [story(3, AI, "2026-W45")]
    group = themes.ThemeGroup(None, (0, 1, 2, 3), AI, ("ia",))
    (followed,) = themes.follow_groups([group], recent, WINDOW, {})
    assert [p.week for p in followed.points] == ["2026-W47", WEEK]  # 3 of 4 stories are recent: new


def test_an_old_grouping_that_lost_its_identity_keeps_its_whole_window_as_history() -> None:
    spread = [story(i, AI, w) for i, w in enumerate(WINDOW)]  # an even spread: 1/2 recent, under 2/3
    group = themes.ThemeGroup(None, (0, 1, 2, 3), AI, ("ia",))
    (followed,) = themes.follow_groups([group], spread, WINDOW, {})
    assert [p.week for p in followed.points] == WINDOW


# ----------------------------------------------------------------------------------------- scoring


def test_a_new_theme_with_several_sources_is_reported_new_and_a_quiet_steady_one_is_dropped() -> None:
    fresh = [story(i, VR, WEEK, feed=i) for i in range(4)]
    quiet = [story(10 + i, AI, "2026-W46", feed=1) for i in range(2)]
    stories = [*fresh, *quiet]
    groups = [
        themes.ThemeGroup(None, (0, 1, 2, 3), VR, ("vr",)),
        themes.ThemeGroup(7, (4, 5), AI, ("ia",)),
    ]
    followed = themes.follow_groups(groups, stories, WINDOW, {7: [("2026-W44", 2, 2, 1, 2)]})
    decisions = themes.score_groups(followed, [[], []], WEEK, np.vstack([AI]))
    new, steady = decisions
    assert new is not None and new.status.status == "new"
    assert new.stories == (0, 1, 2, 3) and new.current.sources == 4
    assert steady is None  # quiet this week after a quiet history: nothing to report


def test_a_gone_theme_is_reported_only_when_it_fades() -> None:
    busy = [(w, 4, 4, 3, 2) for w in ("2026-W44", "2026-W45", "2026-W46")]
    faded = themes.fading_themes([8, 9], {8: busy}, {8: [("2026-W47", 1, 1, 1, 1)]}, WEEK)
    assert [(theme_id, status.status) for theme_id, status in faded] == [(8, "fading")]  # 9 has no history


def test_a_theme_growing_from_a_handful_of_stories_keeps_its_id_as_its_centroid_drifts() -> None:
    drifted = unit(AI + 0.6 * VR)  # cosine 0.86 to AI
    # one story of theme 7 last week, five new ones this week around a moved centre
    stories = [story(0, AI, "2026-W47")] + [story(1 + i, drifted, WEEK) for i in range(5)]
    assert themes.link_clusters(stories, [list(range(6))], {0: 7}, WEEK, [ref(7, AI)]) == [7]
    # the same cluster far from the theme's centre: a new theme, not theme 7
    far = [story(0, AI, "2026-W47")] + [story(1 + i, MOOC, WEEK) for i in range(5)]
    assert themes.link_clusters(far, [list(range(6))], {0: 7}, WEEK, [ref(7, AI)]) == [None]
    # and a cluster whose older stories were mostly of no theme is not taken by the one story it shares
    mixed = [story(0, AI, "2026-W47"), story(1, AI, "2026-W47"), story(2, AI, "2026-W46")] + [
        story(3 + i, drifted, WEEK) for i in range(3)
    ]
    assert themes.link_clusters(mixed, [list(range(6))], {0: 7}, WEEK, [ref(7, AI)]) == [None]


def unit(v: NDArray[np.float32]) -> NDArray[np.float32]:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_a_week_is_in_progress_until_the_next_monday_at_midnight_utc_and_fades_nothing_meanwhile() -> None:
    from datetime import UTC, datetime

    from veille.core.trends import TrendStatus

    signatures = {"2026-W47": "a", "2026-W48": "b"}
    sunday_night = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    assert themes.week_signatures(signatures, sunday_night) == {"2026-W47": "a", "2026-W48": "b" + themes.OPEN_MARK}
    assert themes.week_signatures(signatures, monday) == signatures
    fading = TrendStatus("fading", False, {"stories": 1})
    assert themes.settle(fading, in_progress=True).status == "steady"
    assert themes.settle(fading, in_progress=True).reason["week_in_progress"] == 1
    assert themes.settle(fading, in_progress=False) is fading
    rising = TrendStatus("rising", False, {})
    assert themes.settle(rising, in_progress=True) is rising
    assert themes.fading_themes([1], {1: [("2026-W47", 9, 9, 3, 3)]}, {}, "2026-W48", in_progress=True) == []
