"""Injection benchmark for trend detection (``veille.core.trends.score_theme``).

Replays a synthetic background of themes for 30 weeks — weekly story counts drawn from a Poisson law
whose rate wobbles from week to week (negative binomial), stories spread over the theme's usual feeds,
plus occasional bursts where one chatty feed posts many stories alone — and injects a labelled theme
that lives at a low level and then grows on a known ramp. For each rule set it reports, in one run:

* the false-alarm rate: ``rising`` flags on background themes per theme-week, on runs *without*
  injection, and how many false trends a 25-theme digest shows per week;
* the share of one-feed bursts flagged ``rising`` (should be zero: one chatty feed is not a trend);
* (rule sets with a ramp test also flag a theme whose whole 8-week window climbs: ``TrendRules.trend_z``)
* for each ramp, the share of runs where the injected theme is flagged within 8 weeks and the median
  delay (weeks after the ramp starts) to its first ``rising`` flag.

Usage: ``python bench/trends.py [--runs 100] [--seed 1] [--rules TEXT]``. Pure numpy; about 20 s per rule set.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from veille.core.trends import DEFAULT_RULES, TrendRules, WeekPoint, score_theme
from veille.core.weeks import shift_week

WEEKS = 30
THEMES = 25
FEEDS = 40
FIRST_SCORED = 8  # weeks before this one only build the baseline
RAMP_START = 16
HORIZON = 8  # weeks after the ramp start in which a flag counts as a detection
START_WEEK = "2026-W01"
WEEK_NAMES = [shift_week(START_WEEK, k) for k in range(WEEKS)]


@dataclass(frozen=True)
class ThemeWeeks:
    """One simulated theme: its weekly points, and which weeks hold a one-feed burst."""

    points: list[WeekPoint]
    chatty: set[int]


def _week_point(rng: np.random.Generator, week: int, stories: int, feeds: np.ndarray, *, chatty: int = 0) -> WeekPoint:
    """Stories of one week covered by 1 + Poisson(0.5) feeds each, drawn from the theme's feed mix.

    ``chatty`` extra stories come from one feed alone (drawn from the same mix), as when a vendor
    blog posts ten times about its own product.
    """
    copies = stories + int(rng.poisson(0.5 * stories)) if stories else 0
    per_feed = rng.multinomial(copies, feeds) if copies else np.zeros(FEEDS, dtype=np.int64)
    per_feed = np.minimum(per_feed, stories)  # a feed carries a story once
    if chatty:
        per_feed[rng.choice(FEEDS, p=feeds)] += chatty
    return WeekPoint(
        week=WEEK_NAMES[week],
        stories=stories + chatty,
        items=copies + chatty,
        sources=int(np.count_nonzero(per_feed)),
        top_source=int(per_feed.max()),
    )


def background_theme(rng: np.random.Generator, *, chatty_rate: float, dispersion: float) -> ThemeWeeks:
    """A theme with a constant mean rate (log-uniform 1–10 stories a week): any ``rising`` is false."""
    rate = math.exp(rng.uniform(math.log(1.0), math.log(10.0)))
    feeds = rng.dirichlet(np.full(FEEDS, 0.3))
    points: list[WeekPoint] = []
    chatty: set[int] = set()
    for week in range(WEEKS):
        weekly = rate * (rng.gamma(dispersion, 1.0 / dispersion) if dispersion else 1.0)
        burst = 6 + int(rng.poisson(6)) if rng.random() < chatty_rate else 0
        if burst:
            chatty.add(week)
        points.append(_week_point(rng, week, int(rng.poisson(weekly)), feeds, chatty=burst))
    return ThemeWeeks(points, chatty)


Ramp = Callable[[int], float]
RAMPS: dict[str, Ramp] = {
    "fast x2/week": lambda t: 1.5 * 2.0**t,
    "medium x1.5/week": lambda t: 1.5 * 1.5**t,
    "slow +1/week": lambda t: 1.5 + 1.0 * t,
}


def injected_theme(rng: np.random.Generator, ramp: Ramp) -> list[WeekPoint]:
    """A theme at 1.5 stories a week that starts growing at RAMP_START, capped at 40 a week."""
    feeds = rng.dirichlet(np.full(FEEDS, 1.0))
    points = []
    for week in range(WEEKS):
        rate = 1.5 if week < RAMP_START else min(40.0, ramp(week - RAMP_START + 1))
        points.append(_week_point(rng, week, int(rng.poisson(rate)), feeds))
    return points


def rising_weeks(points: list[WeekPoint], rules: TrendRules) -> list[int]:
    """Weeks (from FIRST_SCORED on) where the theme is scored ``rising``, given only its window."""
    flagged = []
    for week in range(FIRST_SCORED, WEEKS):
        so_far = points[: week + 1]
        if not any(p.stories for p in so_far):
            continue
        if score_theme(so_far, WEEK_NAMES[week], novelty=0.0, rules=rules).status == "rising":
            flagged.append(week)
    return flagged


@dataclass(frozen=True)
class Scenarios:
    """Every simulated stream of one seed, shared by all rule sets so they are compared on the same data."""

    background: list[list[ThemeWeeks]]  # runs x themes, no injection
    injected: dict[str, list[list[WeekPoint]]]  # ramp name -> one injected theme per run


def simulate(*, runs: int, seed: int, dispersion: float) -> Scenarios:
    rng = np.random.default_rng(seed)
    background = [
        [background_theme(rng, chatty_rate=0.03, dispersion=dispersion) for _ in range(THEMES)] for _ in range(runs)
    ]
    injected = {name: [injected_theme(rng, ramp) for _ in range(runs)] for name, ramp in RAMPS.items()}
    return Scenarios(background, injected)


def evaluate(rules: TrendRules, scenarios: Scenarios) -> dict[str, float]:
    """False alarms on background-only runs, then detection of each ramp, for one rule set."""
    false_flags = theme_weeks = chatty_flags = chatty_weeks = 0
    digests_with_false = 0
    for run in scenarios.background:
        per_week = np.zeros(WEEKS, dtype=int)
        for theme in run:
            flagged = rising_weeks(theme.points, rules)
            scored_chatty = {w for w in theme.chatty if w >= FIRST_SCORED}
            false_flags += len(set(flagged) - scored_chatty)
            theme_weeks += WEEKS - FIRST_SCORED - len(scored_chatty)
            chatty_flags += len(set(flagged) & scored_chatty)
            chatty_weeks += len(scored_chatty)
            for w in flagged:
                per_week[w] += 1
        digests_with_false += int(np.count_nonzero(per_week[FIRST_SCORED:]))
    runs = len(scenarios.background)
    result = {
        "fa_rate": false_flags / max(theme_weeks, 1),
        "digests_with_false": digests_with_false / (runs * (WEEKS - FIRST_SCORED)),
        "chatty_flagged": chatty_flags / max(chatty_weeks, 1),
    }
    for name, themes in scenarios.injected.items():
        delays = []
        for points in themes:
            flagged = [w for w in rising_weeks(points, rules) if w >= RAMP_START]
            if flagged and flagged[0] - RAMP_START < HORIZON:
                delays.append(flagged[0] - RAMP_START + 1)  # 1: flagged in the ramp's first week
        result[f"{name} detected"] = len(delays) / len(themes)
        result[f"{name} delay"] = float(np.median(delays)) if delays else float("nan")
    return result


_FLOORS_OFF = {
    "min_stories": 0,
    "min_sources": 0,
    "rising_ratio": 0.0,
    "without_top_source": False,
    "sustained_weeks": 0,
    "trend_z": math.inf,
}
VARIANTS: dict[str, TrendRules] = {
    "z>=2 only (no floors)": replace(DEFAULT_RULES, rising_z=2.0, **_FLOORS_OFF),  # type: ignore[arg-type]
    "z>=2 + stories, sources, ratio": replace(
        DEFAULT_RULES, rising_z=2.0, without_top_source=False, sustained_weeks=0, trend_z=math.inf
    ),
    "z>=2 + all floors + without top": replace(DEFAULT_RULES, rising_z=2.0, sustained_weeks=0, trend_z=math.inf),
    "z>=2.5 + all floors": replace(DEFAULT_RULES, rising_z=2.5, sustained_weeks=0, trend_z=math.inf),
    "z>=3 + all floors": replace(DEFAULT_RULES, rising_z=3.0, sustained_weeks=0, trend_z=math.inf),
    "z>=3.5 + all floors": replace(DEFAULT_RULES, rising_z=3.5, sustained_weeks=0, trend_z=math.inf),
    "z>=3 + all floors, 4-week baseline": replace(
        DEFAULT_RULES, rising_z=3.0, baseline_weeks=4, sustained_weeks=0, trend_z=math.inf
    ),
    "z>=3 + all floors + 2-week test": replace(DEFAULT_RULES, rising_z=3.0, sustained_weeks=2, trend_z=math.inf),
    "z>=3.5 + all floors + 2-week test": replace(DEFAULT_RULES, rising_z=3.5, sustained_weeks=2, trend_z=math.inf),
    "z>=3 + all floors + 3-week test": replace(DEFAULT_RULES, rising_z=3.0, sustained_weeks=3, trend_z=math.inf),
    "z>=3.5 + 2-week test, no ramp (before)": replace(DEFAULT_RULES, trend_z=math.inf),
    "z>=3.5 + 2-week test + ramp z>=2.5": replace(DEFAULT_RULES, trend_z=2.5),
    "z>=3.5 + 2-week test + ramp z>=3.5": replace(DEFAULT_RULES, trend_z=3.5),
    f"default: z>={DEFAULT_RULES.rising_z:g} + 2-week test + ramp z>={DEFAULT_RULES.trend_z:g}": DEFAULT_RULES,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="simulated runs per rule set and ramp")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rules", default="", help="only the rule sets whose name contains this text")
    args = parser.parse_args()
    for label, dispersion in (("Poisson background", 0.0), ("overdispersed background (gamma k=8)", 8.0)):
        print(f"\n## {label}: {args.runs} runs x {THEMES} themes x {WEEKS} weeks, ramp starts week {RAMP_START}")
        head = ["rules", "false/theme-week", "digests w/ false", "1-feed bursts"]
        for name in RAMPS:
            head += [f"{name} found", "delay"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        scenarios = simulate(runs=args.runs, seed=args.seed, dispersion=dispersion)
        for name, rules in VARIANTS.items():
            if args.rules not in name:
                continue
            r = evaluate(rules, scenarios)
            cells = [
                name,
                f"{r['fa_rate']:.2%}",
                f"{r['digests_with_false']:.1%}",
                f"{r['chatty_flagged']:.1%}",
            ]
            for ramp in RAMPS:
                cells += [f"{r[f'{ramp} detected']:.0%}", f"{r[f'{ramp} delay']:.1f}"]
            print("| " + " | ".join(cells) + " |", flush=True)
    print(
        "\nfalse/theme-week: share of background theme-weeks flagged rising (one-feed bursts excluded);"
        "\ndigests w/ false: share of weekly digests (25 themes) showing at least one false trend;"
        "\ndelay: median weeks from the ramp start to the first rising flag (1 = its first week)."
    )


if __name__ == "__main__":
    main()
