"""The format radar's rules (veille.core.radar): pure functions over plain counts.

Expected values are computed here from the definitions (Poisson floor of the spread, trailing means),
not read back from the code; the statistical checks draw weekly counts from a seeded Poisson process.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from veille.core.radar import (
    MIN_WATCH_WEEKS,
    RadarStory,
    build_radar,
    explain_format,
    radar_json,
    radar_span,
    score_format,
    story_formats,
)
from veille.core.trends import DEFAULT_RULES, WeekPoint
from veille.core.weeks import previous_weeks, shift_week

WEEK = "2026-W48"
FEEDS = 20  # distinct sources a format's stories are drawn from


def points(counts: list[int], *, feeds: int = 8) -> list[WeekPoint]:
    """Weekly points ending at WEEK, each week's stories spread over ``feeds`` sources evenly."""
    weeks = [*previous_weeks(WEEK, len(counts) - 1), WEEK]
    return [
        WeekPoint(w, n, n, min(n, feeds), math.ceil(n / feeds) if n else 0) for w, n in zip(weeks, counts, strict=True)
    ]


def stories_from(series: dict[str, list[int]], rng: np.random.Generator, end: str = WEEK) -> list[RadarStory]:
    """Stories of each format, ``series[format][k]`` of them in the k-th week ending at ``end``, each
    carried by one source drawn among FEEDS."""
    out = []
    for fmt, counts in series.items():
        weeks = [*previous_weeks(end, len(counts) - 1), end]
        for week, n in zip(weeks, counts, strict=True):
            for k in range(int(n)):
                feed = int(rng.integers(FEEDS))
                out.append(RadarStory(f"{fmt}-{week}-{k}", week, (fmt,), 1, frozenset({feed})))
    return out


# ------------------------------------------------------------------------------------------ one format


def test_a_format_doubling_on_a_steady_baseline_is_rising_with_its_numbers() -> None:
    status = score_format(points([10, 10, 10, 10, 10, 10, 10, 25]), WEEK, watch_weeks=12)
    # baseline: the 6 weeks before (trend rules' baseline_weeks), mean 10, sample spread 0, so the
    # Poisson floor sqrt(mean * (1 + 1/6)) is the spread
    z = (25 - 10) / math.sqrt(10 * (1 + 1 / 6))
    assert status.status == "rising"
    assert status.reason["z"] == pytest.approx(round(z, 2))
    assert status.reason["ratio"] == 2.5
    assert status.reason["baseline_mean"] == 10
    assert status.reason["stories"] == 25
    assert "novelty" not in status.reason  # a theme's notion, meaningless for a format
    assert explain_format(status, "en") == "25 stories published by 8 sources, x2.5 against its 6-week average"
    assert (
        explain_format(status, "fr") == "25 sujets publiés par 8 sources, x2,5 par rapport à sa moyenne sur 6 semaines"
    )


def test_a_format_that_dropped_is_fading_with_its_means() -> None:
    status = score_format(points([12, 12, 12, 12, 12, 12, 3, 2]), WEEK, watch_weeks=12)
    assert status.status == "fading"
    assert status.reason["recent_mean"] == 2.5  # (3 + 2) / 2
    assert status.reason["earlier_mean"] == 12
    assert explain_format(status, "en") == "2.5 stories a week over the last 2 weeks, against 12.0 before"


def test_the_same_volume_as_usual_is_steady() -> None:
    status = score_format(points([12, 9, 14, 11, 10, 13, 12, 11]), WEEK, watch_weeks=12)
    assert status.status == "steady"
    mean = (9 + 14 + 11 + 10 + 13 + 12) / 6
    assert status.reason["baseline_mean"] == pytest.approx(round(mean, 2))


def test_one_chatty_source_does_not_make_a_format_rise() -> None:
    # 25 stories, 21 of them from one feed: without it the week is at its usual level
    climb = [*points([4, 4, 4, 4, 4, 4, 4]), WeekPoint(WEEK, 25, 25, 4, 21)]
    assert score_format(climb, WEEK, watch_weeks=12).status == "steady"


def test_a_young_watch_is_too_early_to_tell() -> None:
    status = score_format(points([0, 0, 0, 0, 0, 0, 0, 30]), WEEK, watch_weeks=MIN_WATCH_WEEKS - 1)
    assert status.status == "steady"
    assert status.reason["too_early"] == 1
    assert explain_format(status, "en") == f"Too early to tell: {MIN_WATCH_WEEKS - 1} weeks of watch of the 5 needed"
    assert explain_format(status, "fr").startswith("Trop tôt pour juger")


def test_a_format_without_any_story_is_steady_at_zero() -> None:
    status = score_format([], WEEK, watch_weeks=12)
    assert (status.status, status.reason["stories"]) == ("steady", 0)
    assert explain_format(status, "en") == "No story in these weeks"
    assert explain_format(status, "fr") == "Aucun sujet sur ces semaines"


def test_a_format_first_seen_this_week_says_there_is_nothing_to_compare_with() -> None:
    status = score_format(points([0, 0, 0, 0, 0, 0, 0, 2]), WEEK, watch_weeks=12)
    assert status.status == "steady" and status.reason["baseline_weeks"] == 0
    assert (
        explain_format(status, "en") == "2 stories from 2 sources: its first, with no earlier week to compare them with"
    )


# ------------------------------------------------------------------------------------------ the radar


def test_a_story_counts_for_the_union_of_its_items_formats_other_only_alone() -> None:
    assert story_formats(["video", "mooc", "other", "mooc"]) == ("mooc", "video")
    assert story_formats(["other"]) == ("other",)
    assert story_formats([]) == ("other",)


def test_shares_are_the_formats_stories_over_the_weeks_stories() -> None:
    week_stories = [
        RadarStory("s1", WEEK, ("mooc",), 2, frozenset({1, 2})),
        RadarStory("s2", WEEK, ("mooc", "video"), 1, frozenset({3})),
        RadarStory("s3", WEEK, ("other",), 1, frozenset({1})),
        RadarStory("s4", WEEK, ("video",), 1, frozenset({2})),
        RadarStory("s5", shift_week(WEEK, -1), ("mooc",), 1, frozenset({2})),
        RadarStory("s6", shift_week(WEEK, 1), ("mooc",), 1, frozenset({2})),  # after the week: not read
    ]
    radar = build_radar(week_stories, WEEK, formats=["mooc", "video", "podcast"], first_week=shift_week(WEEK, -1))
    by_key = {t.format: t for t in radar.formats}
    assert radar.total == 4
    assert radar.weeks[-1] == WEEK and len(radar.weeks) == 12
    assert by_key["mooc"].current.stories == 2 and by_key["mooc"].current.share == 0.5
    assert by_key["video"].current.share == 0.5
    assert by_key["podcast"].current.stories == 0  # every format of the taxonomy is on the radar
    assert by_key["mooc"].history[-2:] == (1, 2)
    assert by_key["mooc"].status.reason["sources"] == 3  # feeds 1, 2, 3
    assert by_key["mooc"].status.reason["items"] == 3
    assert radar.formats[-1].format == "other"
    assert radar.watch_weeks == 2
    assert all(t.status.reason.get("too_early") for t in radar.formats)
    data = radar_json(radar, {"mooc": "MOOC"})
    assert data["week"] == WEEK
    first = {f["format"]: f for f in data["formats"]}["mooc"]  # type: ignore[union-attr, index]
    assert (first["name"], first["stories"], first["share"], first["status"]) == ("MOOC", 2, 0.5, "steady")


def test_the_span_read_covers_every_shown_weeks_window() -> None:
    first, last = radar_span(WEEK)
    assert last == WEEK
    assert first == shift_week(WEEK, -(12 - 1) - (DEFAULT_RULES.window - 1))


def test_ramping_rising_dropped_fading_stationary_steady_on_one_radar() -> None:
    rng = np.random.default_rng(7)
    stationary = list(rng.poisson(15, 20))
    ramp = [10, 9, 11, 10, 12, 8, 10, 11, 9, 10, 12, 10, 9, 11, 14, 18, 23, 28, 34, 40]  # a climb from 10 to 40
    dropped = [*rng.poisson(15, 18), *rng.poisson(3, 2)]
    stories = stories_from({"video": stationary, "ai-learning": ramp, "mooc": dropped}, rng)
    radar = build_radar(stories, WEEK, formats=["mooc", "video", "ai-learning"], first_week=shift_week(WEEK, -19))
    status = {t.format: t.status.status for t in radar.formats}
    assert status == {"ai-learning": "rising", "mooc": "fading", "video": "steady", "other": "steady"}
    assert [t.format for t in radar.formats] == ["ai-learning", "mooc", "video", "other"]  # rising, fading, steady
    assert [t.format for t in radar.moving] == ["ai-learning", "mooc"]


# ------------------------------------------------------------------------------------------ error rates


def _series_status(counts: list[int], rng: np.random.Generator) -> str:
    radar = build_radar(stories_from({"video": counts}, rng), WEEK, formats=["video"],
                        first_week=shift_week(WEEK, -(len(counts) - 1)), weeks=1)  # fmt: skip
    return next(t.status.status for t in radar.formats if t.format == "video")


@pytest.mark.parametrize(("rate", "bound"), [(10, 0.03), (15, 0.015), (40, 0.015)])
def test_stationary_formats_are_rarely_flagged(rate: int, bound: float) -> None:
    """Poisson counts at a constant rate, 400 seeded runs: a flag (rising or fading) is a false alarm.
    (bench/radar.py, 1,000 runs: 1.4 % at 10 stories a week, 0.5 % at 15, 0.0 % at 40; below 10 a week
    the themes' fading rule flags more often, 4.7 % at 6 and 11.5 % at 3: see the README.)"""
    rng = np.random.default_rng(rate)
    flags = sum(_series_status(list(rng.poisson(rate, 14)), rng) != "steady" for _ in range(400))
    assert flags / 400 <= bound, f"{flags} false flags in 400 stationary weeks at {rate} stories a week"


def test_ramps_and_drops_are_found_almost_always() -> None:
    """A format tripling over four weeks (12 to 36 stories a week) is rising at the end of the climb,
    and a fall from 12 to 4 a week is fading, in most seeded runs (bench/radar.py, 1,000 runs: 90 % and
    90 %; a doubling over four weeks, 12 to 24, only 40 %: the themes' thresholds are strict)."""
    rng = np.random.default_rng(2026)
    rising = fading = 0
    for _ in range(200):
        ramp = [*rng.poisson(12, 10), *(rng.poisson(lam) for lam in (18, 24, 30, 36))]
        rising += _series_status(ramp, rng) == "rising"
        drop = [*rng.poisson(12, 12), *rng.poisson(4, 2)]
        fading += _series_status(drop, rng) == "fading"
    assert rising / 200 >= 0.8, f"ramp found in {rising} of 200 runs"
    assert fading / 200 >= 0.85, f"drop found in {fading} of 200 runs"


def test_the_radar_benchmark_runs_small(capsys: pytest.CaptureFixture[str]) -> None:
    """bench/radar.py at a smoke size: every row of its table, shares between 0 and 100 %."""
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("bench_radar", ROOT / "bench" / "radar.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--runs", "5"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "%" in line]
    assert len(rows) == len(bench.RATES) + len(bench.RAMPS) + len(bench.DROPS)
    assert all(0 <= float(row.split("|")[3].strip(" %")) <= 100 for row in rows)
