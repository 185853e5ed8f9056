"""Error rates of the format radar (``veille.core.radar``, scored by the themes' trend rules).

One format's weekly story counts are drawn from a seeded Poisson law, each story carried by one of 20
sources, and the radar scores the last of 14 weeks. Reported, in one run:

* false flags: the share of runs at a constant rate where the format is ``rising`` or ``fading``;
* ramps: the share of runs where a format climbing over its last four weeks is ``rising`` at the end;
* drops: the share of runs where a format falling for its last two weeks is ``fading``.

Usage: ``python bench/radar.py [--runs 1000] [--seed 1]``. Pure Python and numpy; about a minute.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from veille.core.radar import RadarStory, build_radar
from veille.core.weeks import previous_weeks, shift_week

WEEK = "2026-W48"
WEEKS = 14
FEEDS = 20
RATES = (3, 6, 10, 15, 40)
RAMPS = {"12 -> 24 over 4 weeks": (15, 18, 21, 24), "12 -> 28": (16, 20, 24, 28), "12 -> 36": (18, 24, 30, 36)}
DROPS = {"12 -> 4 for 2 weeks": 4, "12 -> 6": 6}


def status(counts: list[int], rng: np.random.Generator) -> str:
    """The radar's status of one format with these weekly counts, the last one scored."""
    weeks = [*previous_weeks(WEEK, len(counts) - 1), WEEK]
    stories = [
        RadarStory(f"{week}-{k}", week, ("video",), 1, frozenset({int(rng.integers(FEEDS))}))
        for week, n in zip(weeks, counts, strict=True)
        for k in range(int(n))
    ]
    radar = build_radar(stories, WEEK, formats=["video"], first_week=shift_week(WEEK, -(WEEKS - 1)), weeks=1)
    return next(t.status.status for t in radar.formats if t.format == "video")


def run(runs: int, seed: int) -> list[tuple[str, str, float]]:
    rows = []
    for rate in RATES:
        rng = np.random.default_rng(seed + rate)
        flags = sum(status(list(rng.poisson(rate, WEEKS)), rng) != "steady" for _ in range(runs))
        rows.append(("false flags", f"constant {rate} stories a week", flags / runs))
    for name, ramp in RAMPS.items():
        rng = np.random.default_rng(seed)
        found = sum(
            status([*rng.poisson(12, WEEKS - len(ramp)), *(rng.poisson(lam) for lam in ramp)], rng) == "rising"
            for _ in range(runs)
        )
        rows.append(("ramp found", name, found / runs))
    for name, low in DROPS.items():
        rng = np.random.default_rng(seed)
        found = sum(status([*rng.poisson(12, WEEKS - 2), *rng.poisson(low, 2)], rng) == "fading" for _ in range(runs))
        rows.append(("drop found", name, found / runs))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"format radar, {args.runs} runs per row, seed {args.seed}")
    print("| measure | series | share of runs |\n|---|---|---|")
    for measure, series, share in run(args.runs, args.seed):
        print(f"| {measure} | {series} | {100 * share:.1f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
