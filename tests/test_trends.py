"""Themes over time: ISO weeks, linking clusters to themes, trend statuses and their sentences."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from veille.core.trends import (
    DEFAULT_RULES,
    ThemeRef,
    TrendStatus,
    WeekCluster,
    WeekPoint,
    explain,
    link_by_stories,
    link_clusters,
    novelty,
    prior_points,
    prior_threshold,
    score_theme,
    shown_as_trend,
    volume_label,
)
from veille.core.weeks import (
    iso_week,
    last_complete_week,
    previous_weeks,
    shift_week,
    week_bounds,
    weeks_between,
)

WEEK = "2026-W48"


def history(stories: list[int], sources: list[int] | None = None, *, end: str = WEEK) -> list[WeekPoint]:
    """Weekly points ending at ``end``, oldest first; items = stories + 1 per week with stories."""
    sources = sources if sources is not None else [min(n, 5) for n in stories]
    weeks = [*previous_weeks(end, len(stories) - 1), end]
    return [
        WeekPoint(week=w, stories=n, items=n + (1 if n else 0), sources=s)
        for w, n, s in zip(weeks, stories, sources, strict=True)
    ]


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def cluster(centroid: np.ndarray, stories: int = 3) -> WeekCluster:
    return WeekCluster(centroid=centroid, story_count=stories, item_count=stories, sources=frozenset({"a", "b"}))


# ------------------------------------------------------------------------------------------ weeks


def test_iso_week_uses_utc_and_iso_year_boundaries() -> None:
    paris = timezone(timedelta(hours=1))
    # Monday 00:30 in Paris is still Sunday in UTC: the item belongs to the week before.
    assert iso_week(datetime(2026, 11, 30, 0, 30, tzinfo=paris)) == "2026-W48"
    assert iso_week(datetime(2026, 11, 30, 1, 30, tzinfo=paris)) == "2026-W49"
    # 1 January 2027 is a Friday: it belongs to the last ISO week of 2026, which is week 53.
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    with pytest.raises(ValueError, match="naive"):
        iso_week(datetime(2026, 11, 30, 12))


def test_week_bounds_previous_weeks_and_last_complete_week() -> None:
    start, end = week_bounds("2026-W48")
    assert start == datetime(2026, 11, 23, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, tzinfo=UTC)
    assert previous_weeks("2027-W02", 3) == ["2026-W52", "2026-W53", "2027-W01"]
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert weeks_between("2026-W50", "2027-W02") == 5
    # A Monday-morning digest reports on the week that ended at midnight.
    assert last_complete_week(datetime(2026, 11, 30, 6, tzinfo=UTC)) == "2026-W48"
    assert last_complete_week(datetime(2026, 11, 29, 23, 59, tzinfo=UTC)) == "2026-W47"
    with pytest.raises(ValueError, match="2025-W53"):
        week_bounds("2025-W53")  # 2025 has 52 ISO weeks
    with pytest.raises(ValueError, match="ISO week"):
        week_bounds("2026-48")


# ------------------------------------------------------------------------------------------ scoring


def test_growing_theme_is_rising_with_matching_numbers() -> None:
    points = history([4, 3, 5, 4, 4, 3, 5, 12], [3, 3, 4, 3, 3, 2, 4, 7])
    status = score_theme(points, WEEK, novelty=0.2)
    baseline = [3, 5, 4, 4, 3, 5]  # the 6 weeks before WEEK
    mean = sum(baseline) / 6
    assert status.status == "rising"
    assert not status.weak_signal
    r = status.reason
    assert (r["stories"], r["items"], r["sources"]) == (12, 13, 7)
    assert r["baseline_weeks"] == 6 and r["weeks_of_history"] == 8
    assert r["baseline_mean"] == pytest.approx(mean, abs=0.01)
    assert r["ratio"] == pytest.approx(12 / mean, abs=0.01)
    # Counts are near-Poisson: the spread is never below sqrt(mean * (1 + 1/weeks)).
    spread = max(float(np.std(baseline, ddof=1)), (mean * (1 + 1 / 6)) ** 0.5)
    assert r["z"] == pytest.approx((12 - mean) / spread, abs=0.01)
    assert r["z"] >= DEFAULT_RULES.rising_z
    assert r["novelty"] == 0.2
    json.dumps(r)  # stored as JSON in theme_weeks.reason
    assert explain(status, "en") == "12 stories published by 7 sources, x3.0 against its 6-week average"
    assert explain(status, "fr-FR") == "12 sujets publiés par 7 sources, x3,0 par rapport à sa moyenne sur 6 semaines"


def test_a_themes_volume_says_how_many_sources_published_its_stories() -> None:
    # "11 sujets de 13 sources" read as "11 out of 13"
    assert volume_label(11, 13, "fr") == "11 sujets publiés par 13 sources"
    assert volume_label(1, 1, "fr-FR") == "1 sujet publié par 1 source"
    assert volume_label(11, 13, "en") == "11 stories published by 13 sources"
    assert volume_label(1, 1, "en") == "1 story published by 1 source"


def test_one_chatty_source_cannot_make_a_trend() -> None:
    # Same jump as the rising theme, but every story comes from one or two feeds.
    status = score_theme(history([4, 3, 5, 4, 4, 3, 5, 12], [3, 3, 4, 3, 3, 2, 4, 2]), WEEK, novelty=0.2)
    assert status.status == "steady"
    assert status.reason["z"] > DEFAULT_RULES.rising_z  # the volume alone would have flagged it


def test_one_feed_burst_in_a_theme_with_many_sources_is_not_rising() -> None:
    # The theme has plenty of sources, but this week's jump is one feed posting 14 times.
    calm = [WeekPoint(w, 4, 6, 4, top_source=1) for w in previous_weeks(WEEK, 7)]
    burst = WeekPoint(WEEK, 18, 20, 5, top_source=14)
    status = score_theme([*calm, burst], WEEK, novelty=0.2)
    assert status.reason["z"] > DEFAULT_RULES.rising_z
    assert status.reason["z_without_top_source"] < 1  # without that feed: 4 stories, as usual
    assert status.status == "steady"
    spread = WeekPoint(WEEK, 18, 24, 9, top_source=3)  # the same volume, carried by nine feeds
    assert score_theme([*calm, spread], WEEK, novelty=0.2).status == "rising"


def test_slow_climb_is_rising_on_the_two_week_test() -> None:
    points = history([3, 2, 3, 2, 3, 3, 7, 8], [3, 2, 3, 2, 3, 3, 5, 6])
    status = score_theme(points, WEEK, novelty=0.2)
    assert status.reason["z"] < DEFAULT_RULES.rising_z  # 8 against a trailing baseline holding the 7
    assert status.status == "rising"
    r = status.reason
    assert r["rising_weeks"] == 2 and r["before_weeks"] == 6
    assert r["sustained_ratio"] == pytest.approx(7.5 / (16 / 6), abs=0.01)
    assert (
        explain(status, "en")
        == "8 stories published by 6 sources; x2.8 over the last 2 weeks against the 6 weeks before"
    )
    assert explain(status, "fr") == (
        "8 sujets publiés par 6 sources\u00a0; x2,8 sur les 2 dernières semaines par rapport aux 6 semaines précédentes"
    )


def test_steady_climb_of_a_small_theme_is_rising_on_the_ramp_test() -> None:
    # The demo's AI-tutor theme: 1-2 stories a week, then a climb. Each week sits within Poisson
    # noise of the weeks before it (one-week z about 2), but the climb over eight weeks does not.
    climb = [1, 2, 2, 1, 3, 4, 6, 7]
    status = score_theme(history(climb, [1, 2, 2, 1, 3, 4, 5, 6]), WEEK, novelty=0.3)
    r = status.reason
    assert r["z"] < DEFAULT_RULES.rising_z
    assert r["trend_z"] >= DEFAULT_RULES.trend_z
    assert status.status == "rising"
    assert (
        explain(status, "en")
        == "7 stories published by 6 sources; x3.0 over the last 2 weeks against the 6 weeks before"
    )
    # The same volumes shuffled are no climb: a ramp needs growth, not a busy week.
    flat = score_theme(history([3, 4, 2, 3, 5, 3, 2, 4, 6], [3, 4, 2, 3, 5, 3, 2, 4, 6]), WEEK, novelty=0.3)
    assert flat.status == "steady" and flat.reason["trend_z"] < 1


def test_climb_carried_by_one_feed_is_not_a_ramp() -> None:
    weeks = [*previous_weeks(WEEK, 7), WEEK]
    counts = [1, 2, 2, 1, 3, 4, 6, 7]
    points = [
        WeekPoint(w, n, n, 3 if n >= 3 else n, top_source=max(0, n - 1)) for w, n in zip(weeks, counts, strict=True)
    ]
    status = score_theme(points, WEEK, novelty=0.3)
    assert status.reason["trend_z"] >= DEFAULT_RULES.trend_z
    assert status.status == "steady"  # without its chatty feed the theme holds one story a week


def test_big_stable_theme_with_a_noisy_week_is_steady() -> None:
    status = score_theme(history([20, 22, 19, 21, 20, 18, 22, 26], [8] * 8), WEEK, novelty=0.1)
    assert status.status == "steady"
    assert explain(status, "en") == "26 stories published by 8 sources, in line with its 6-week average (20.3)"
    assert explain(status, "fr") == "26 sujets publiés par 8 sources, conforme à sa moyenne sur 6 semaines (20,3)"


def test_a_steady_theme_far_from_its_average_says_the_counts_are_too_few_not_in_line() -> None:
    # two stories against 0.2 a week: ten times the average, yet too few for any test to call it a rise
    status = score_theme(history([0, 0, 1, 0, 0, 0, 0, 2], [1, 1, 1, 1, 1, 1, 1, 2]), WEEK, novelty=0.1)
    assert status.status == "steady"
    assert "in line" not in explain(status, "en")
    assert explain(status, "en").endswith(": too few stories to call it a change")
    assert explain(status, "fr").endswith(" : trop peu de sujets pour parler de changement")


def test_brand_new_small_multi_source_novel_theme_is_a_weak_signal() -> None:
    status = score_theme(history([0, 0, 0, 0, 0, 0, 0, 3], [0] * 7 + [2]), WEEK, novelty=0.41)
    assert status.status == "new" and status.weak_signal
    assert status.reason["weeks_of_history"] == 1
    assert explain(status, "en") == (
        "New: 3 stories published by 2 sources this week, far from every earlier theme (novelty 0.41): a weak signal"
    )
    assert "signal faible" in explain(status, "fr") and "0,41" in explain(status, "fr")


@pytest.mark.parametrize(
    ("stories", "sources", "novel"),
    [(3, 2, 0.1), (15, 6, 0.6)],
    ids=["close-to-an-old-theme", "already-big"],
)
def test_new_theme_is_not_a_weak_signal_when_close_single_source_or_big(
    stories: int, sources: int, novel: float
) -> None:
    status = score_theme(history([stories], [sources]), WEEK, novelty=novel)
    assert status.status == "new" and not status.weak_signal


def test_a_theme_of_one_feed_is_not_new() -> None:
    assert score_theme(history([3], [1]), WEEK, novelty=0.6).status == "steady"
    assert score_theme(history([3], [2]), WEEK, novelty=0.6).status == "new"


def test_theme_stays_new_for_its_second_week_then_is_scored() -> None:
    assert score_theme(history([0, 3, 4], [0, 2, 3]), WEEK, novelty=0.3).status == "new"
    assert score_theme(history([0, 3, 4, 4], [0, 2, 3, 3]), WEEK, novelty=0.3).status == "steady"


def test_dying_theme_is_fading() -> None:
    status = score_theme(history([8, 9, 7, 8, 9, 8, 2, 1], [5] * 6 + [2, 1]), WEEK, novelty=0.2)
    assert status.status == "fading"
    r = status.reason
    assert r["recent_mean"] == 1.5 and r["recent_weeks"] == 2
    assert r["earlier_mean"] == pytest.approx(49 / 6, abs=0.01) and r["earlier_weeks"] == 6
    assert explain(status, "en") == "1.5 stories a week over the last 2 weeks, against 8.2 before"
    assert explain(status, "fr") == "1,5 sujet par semaine sur les 2 dernières semaines, contre 8,2 auparavant"


def test_theme_absent_this_week_after_a_real_presence_is_fading() -> None:
    status = score_theme(history([5, 6, 4, 5, 6, 5, 4, 0], [3] * 7 + [0]), WEEK, novelty=0.2)
    assert status.status == "fading"
    assert explain(status, "en").startswith("No story this week, against")


def test_dwindling_theme_fades_on_its_recent_average() -> None:
    # The demo's MOOC theme: about 4 stories a week, then 2 and 1.
    status = score_theme(history([5, 5, 5, 3, 3, 2, 2, 1]), WEEK, novelty=0.2)
    assert status.status == "fading"
    assert explain(status, "en") == "1.5 stories a week over the last 2 weeks, against 3.8 before"
    # One quiet week after a normal one is not the end of a theme.
    assert score_theme(history([4, 5, 4, 5, 4, 5, 4, 1]), WEEK, novelty=0.2).status == "steady"


def test_young_theme_absent_this_week_is_not_fading() -> None:
    # Two weeks of life are no presence to fade from: clusters come and go.
    assert score_theme(history([0, 0, 0, 0, 0, 4, 4, 0]), WEEK, novelty=0.2).status == "steady"


def test_small_flickering_theme_is_not_fading_when_absent() -> None:
    # One story a week or none: an empty week is ordinary, not the end of the theme.
    status = score_theme(history([1, 0, 1, 1, 0, 1, 1, 0], [1, 0, 1, 1, 0, 1, 1, 0]), WEEK, novelty=0.2)
    assert status.status == "steady"
    assert explain(status, "en") == "No story this week, against a 6-week average of 0.7"


def test_scoring_reads_only_the_bounded_window() -> None:
    recent = [4, 3, 5, 4, 4, 3, 5, 12]
    long_ago = [40] * 50  # huge volume a year ago must not change this week's status or numbers
    short = score_theme(history([1, *recent], end=WEEK), WEEK, novelty=0.2)
    long = score_theme(history([*long_ago, 1, *recent], end=WEEK), WEEK, novelty=0.2)
    assert short == long
    assert DEFAULT_RULES.window == 8


def test_scoring_a_theme_never_seen_is_an_error() -> None:
    with pytest.raises(ValueError, match="no story"):
        score_theme(history([0, 0, 0]), WEEK, novelty=1.0)


def test_status_is_comparable_and_reason_is_plain_numbers() -> None:
    status = score_theme(history([3]), WEEK, novelty=0.5)
    assert isinstance(status, TrendStatus)
    assert all(isinstance(v, int | float) for v in status.reason.values())


# ------------------------------------------------------------------------------------------ linking


def test_linking_keeps_ids_for_drifting_centroids_and_opens_a_new_theme_for_an_orthogonal_one() -> None:
    rng = np.random.default_rng(7)
    dim = 64
    themes = {10 + k: unit(rng.normal(size=dim)) for k in range(4)}
    current = dict(themes)
    for n in range(1, 9):  # eight weeks of drift: every week moves each centroid a little
        week = shift_week("2026-W40", n)
        refs = [ThemeRef(id=i, centroid=c, last_week=shift_week(week, -1)) for i, c in current.items()]
        drifted = {i: unit(c + 0.35 * unit(rng.normal(size=dim))) for i, c in current.items()}
        order = [12, 10, 13, 11]  # clusters come in any order
        links = link_clusters(refs, [cluster(drifted[i]) for i in order], threshold=0.6, week=week)
        assert links == order
        current = drifted
    # After eight weeks the centroids have moved far from where they started: links followed the drift.
    assert max(float(themes[i] @ current[i]) for i in themes) < 0.9
    stranger = unit(rng.normal(size=dim))
    stranger -= sum(float(stranger @ c) * c for c in current.values())  # no overlap with any theme
    refs = [ThemeRef(id=i, centroid=c, last_week="2026-W48") for i, c in current.items()]
    assert link_clusters(refs, [cluster(current[11]), cluster(stranger)], threshold=0.6) == [11, None]


def test_linking_is_one_to_one_and_prefers_the_best_total_match() -> None:
    a, b = np.eye(3)[0], np.eye(3)[1]
    refs = [ThemeRef(1, a, "2026-W47"), ThemeRef(2, b, "2026-W47")]
    # Both clusters are closest to theme 1; the second is still close enough to theme 2.
    first = unit(a + 0.1 * b)
    second = unit(a + 0.9 * b)
    assert link_clusters(refs, [cluster(first), cluster(second)], threshold=0.5) == [1, 2]
    # Two copies of one theme: one continues it, the other is a new theme, never both.
    assert sorted(link_clusters(refs[:1], [cluster(a), cluster(a)], threshold=0.5), key=str) == [1, None]


def test_theme_absent_for_a_week_is_picked_up_again_but_not_after_the_gap() -> None:
    a, b = np.eye(4)[0], np.eye(4)[1]
    refs = [ThemeRef(1, a, "2026-W46"), ThemeRef(2, b, "2026-W47")]
    clusters = [cluster(unit(a + 0.2 * np.eye(4)[2])), cluster(b)]
    assert link_clusters(refs, clusters, threshold=0.7, week=WEEK, max_gap_weeks=3) == [1, 2]
    late = [ThemeRef(1, a, "2026-W40"), refs[1]]
    assert link_clusters(late, clusters, threshold=0.7, week=WEEK, max_gap_weeks=3) == [None, 2]


def test_linking_without_previous_themes_or_clusters() -> None:
    assert link_clusters([], [cluster(np.ones(3))], threshold=0.5) == [None]
    assert link_clusters([ThemeRef(1, np.ones(3), WEEK)], [], threshold=0.5) == []
    with pytest.raises(ValueError, match="sizes differ"):
        link_clusters([ThemeRef(1, np.ones(3), WEEK)], [cluster(np.ones(4))], threshold=0.5)


def test_novelty_is_distance_to_the_closest_earlier_theme() -> None:
    a, b = np.eye(3)[0], np.eye(3)[1]
    assert novelty(a, []) == 1.0
    assert novelty(a, [b]) == pytest.approx(1.0)
    assert novelty(unit(a + b), np.vstack([a, b])) == pytest.approx(1 - 2**-0.5)
    assert novelty(a, [a, b]) == pytest.approx(0.0)


def test_clusters_continue_the_theme_holding_most_of_their_stories() -> None:
    # Cluster 0 shares 5 stories with theme 7 and 1 with theme 8; cluster 1 shares 3 with theme 8.
    held = [{7: 5, 8: 1}, {8: 3}, {}]
    assert link_by_stories(held, [6, 4, 0]) == [7, 8, None]


def test_linking_by_stories_is_one_to_one_then_merges_pieces_of_one_theme() -> None:
    # Both clusters hold stories of theme 7; the bigger share wins it, and the other, whose older
    # stories were mostly theme 7 too, is a piece of it: the caller merges the two.
    assert link_by_stories([{7: 6}, {7: 3, 9: 1}], [6, 4]) == [7, 7]
    # A cluster whose older stories are split between themes is no piece of either: a new theme.
    assert link_by_stories([{7: 6}, {7: 2, 9: 2}], [6, 4]) == [7, 9]
    assert link_by_stories([{7: 6}, {7: 2}], [6, 4]) == [7, None]
    # One shared story is no evidence.
    assert link_by_stories([{7: 1}], [1]) == [None]
    with pytest.raises(ValueError, match="clusters"):
        link_by_stories([{7: 2}], [])


def test_only_rising_themes_and_new_themes_of_two_sources_are_shown_as_trends() -> None:
    assert shown_as_trend("rising", 3)
    assert shown_as_trend("new", 2)
    assert not shown_as_trend("new", 1)  # one story from one feed is not a trend
    assert not shown_as_trend("new", 2, weak_signal=True)  # listed under weak signals instead
    assert not shown_as_trend("steady", 9) and not shown_as_trend("fading", 9)


def test_a_theme_recorded_in_an_earlier_week_is_not_new_again() -> None:
    """The demo's VR theme was "new" in W47 and again in W48 (first seen less than two weeks before)."""
    history = [WeekPoint("2026-W47", 4, 5, 5, 1), WeekPoint("2026-W48", 6, 6, 6, 1)]
    assert score_theme(history, "2026-W48", novelty=0.77).status == "new"  # a theme first recorded in W48
    status = score_theme(history, "2026-W48", novelty=0.77, recorded_before=True)
    assert status.status != "new" and not status.weak_signal


# ------------------------------------------------------------------------- prior of a young theme


def prior_of(counts: list[int], *, end: str = WEEK) -> list[WeekPoint]:
    """Estimated counts of a topic in the weeks before ``end`` (oldest first), as process passes them."""
    weeks = previous_weeks(end, len(counts))
    return prior_points(dict(zip(weeks, counts, strict=True)), weeks, scale=1.0)


def test_a_theme_grown_from_nothing_is_rising_the_week_after_it_was_new() -> None:
    # first seen with 4 stories, then 6 then 8: its topic had no story in the six weeks before
    young = history([4, 6, 8], [3, 3, 4])
    # without evidence before, the young theme's own growth makes it rising
    growing = score_theme(young, WEEK, novelty=0.4, recorded_before=True)
    assert growing.status == "rising" and growing.reason["weeks_since_first"] == 2, growing.reason
    before_first = prior_of([0, 0, 0, 0, 0, 0], end=shift_week(WEEK, -2))
    status = score_theme(young, WEEK, novelty=0.4, recorded_before=True, prior=before_first)
    assert status.status == "rising", status.reason
    assert status.reason["prior_mean"] == 0 and status.reason["prior_weeks"] == DEFAULT_RULES.window - 3


def test_a_regrouping_of_news_already_there_is_neither_new_nor_rising() -> None:
    # a cluster cut anew this week out of a topic that had about five stories a week all along
    fresh = history([5], [3])
    assert score_theme(fresh, WEEK, novelty=0.1).status == "new"
    status = score_theme(fresh, WEEK, novelty=0.1, prior=prior_of([5, 4, 6, 5, 5, 4, 5]))
    assert status.status == "steady", status.reason


def test_prior_points_scale_and_count_absent_weeks_as_zero() -> None:
    weeks = ["2026-W40", "2026-W41", "2026-W42"]
    points = prior_points({"2026-W41": 3}, weeks, scale=2.0)
    assert [(p.week, p.stories) for p in points] == [("2026-W40", 0), ("2026-W41", 6), ("2026-W42", 0)]


def test_prior_threshold_is_a_low_quantile_of_the_members_cosines() -> None:
    centroid = np.array([1.0, 0.0])
    members = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0]])
    threshold = prior_threshold(centroid, members)
    assert 0.0 < threshold < 0.8  # three members of four are at least as close


def test_two_stories_that_happen_to_cluster_are_not_a_new_theme_once_the_past_is_known() -> None:
    pair = history([2], [2])
    assert score_theme(pair, WEEK, novelty=0.8).status == "new"  # nothing known before: new, as before
    status = score_theme(pair, WEEK, novelty=0.8, prior=prior_of([0, 0, 0, 1, 0, 0, 0]))
    assert status.status == "steady", status.reason
    assert score_theme(history([3], [2]), WEEK, novelty=0.8, prior=prior_of([0] * 7)).status == "new"


def test_a_theme_from_nothing_is_rising_while_it_grows_a_known_topic_is_not() -> None:
    before_first = prior_of([0, 0, 0, 0, 0, 0], end=shift_week(WEEK, -2))
    growing = score_theme(history([2, 3, 5], [2, 3, 3]), WEEK, novelty=0.5, recorded_before=True, prior=before_first)
    assert growing.status == "rising", growing.reason
    # the same climb for a topic that was already there is no trend
    known = prior_of([3, 2, 4, 3, 3, 2], end=shift_week(WEEK, -2))
    assert (
        score_theme(history([2, 3, 5], [2, 3, 3]), WEEK, novelty=0.5, recorded_before=True, prior=known).status
        == "steady"
    )


# ------------------------------------------------------------------------- young growth


def test_a_young_theme_growing_every_week_is_rising_with_its_reason() -> None:
    # first seen two weeks ago with 4 stories, then 6, then 9, from three and four feeds: too few weeks
    # for any baseline test, but it grew every week since it appeared
    status = score_theme(
        [
            WeekPoint(shift_week(WEEK, -2), 4, 5, 3, 2),
            WeekPoint(shift_week(WEEK, -1), 6, 7, 3, 2),
            WeekPoint(WEEK, 9, 10, 4, 3),
        ],
        WEEK,
        novelty=0.4,
        recorded_before=True,
    )
    assert status.status == "rising", status.reason
    assert status.reason["weeks_since_first"] == 2 and status.reason["first_stories"] == 4
    assert explain(status, "en") == "9 stories published by 4 sources; up since it appeared 2 weeks ago, from 4"
    assert explain(status, "fr") == (
        "9 sujets publiés par 4 sources ; en hausse depuis son apparition il y a 2 semaines, partie de 4"
    )


def test_a_young_theme_grown_by_one_feed_is_not_rising() -> None:
    one_feed = [
        WeekPoint(shift_week(WEEK, -1), 3, 3, 2, 2),
        WeekPoint(WEEK, 9, 9, 2, 8),  # one feed posted 8 of the 9 stories
    ]
    assert score_theme(one_feed, WEEK, novelty=0.4, recorded_before=True).status == "steady"
    alone = [WeekPoint(shift_week(WEEK, -1), 3, 3, 1, 3), WeekPoint(WEEK, 8, 8, 1, 8)]
    assert score_theme(alone, WEEK, novelty=0.4, recorded_before=True).status == "steady"


def test_a_young_theme_that_stops_growing_or_an_old_steady_one_is_not_rising() -> None:
    flat = history([5, 7, 6], [3, 3, 3])  # first seen two weeks ago, then down a story
    assert score_theme(flat, WEEK, novelty=0.4, recorded_before=True).status != "rising"
    # a background theme of about 5 stories a week, a little up three weeks in a row: not young, not rising
    background = history([5, 6, 4, 5, 5, 4, 5, 6], [3] * 8)
    assert score_theme(background, WEEK, novelty=0.1, recorded_before=True).status == "steady"
    # and the same numbers on a young theme cut out of that background: its prior says it was there
    known = prior_of([5, 4, 6, 5, 5], end=shift_week(WEEK, -2))
    regrouped = history([4, 5, 6], [3, 3, 3])
    assert score_theme(regrouped, WEEK, novelty=0.1, recorded_before=True, prior=known).status == "steady"
