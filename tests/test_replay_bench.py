"""bench/replay.py in a smoke size: real labelled news published week by week on the loopback feed server,
the real fetch + process jobs at each week's end, then the labels say what veille should have seen.

One scenario, one seed, eight weeks: AG News "space" stories ramp (0 -> 2, 4, 6, 8, 10 a week) inside the
rest of the technology news, amid world and business news. No theme of its own need carry it; the
term-burst signals must (issue 11). Slow: the model is real (about a minute on a quiet machine).
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path

import pytest

from tests.conftest import need_shared

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_replay", ROOT / "bench" / "replay.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_replay"] = module
    spec.loader.exec_module(module)
    return module


def test_a_sub_topic_ramping_inside_its_field_is_flagged_and_the_background_stays_quiet(tmp_path: Path) -> None:
    need_shared("eval", "agnews-8000")
    bench = _bench()
    weeks = 8
    (scenario,) = bench.scenarios(["ramp_sub"], weeks, random.Random(1000))
    db = bench.replay(scenario, 0, weeks, tmp_path, bench.CachingEmbedder())
    roles = json.loads((tmp_path / "roles.json").read_text(encoding="utf-8"))
    result = bench.measure(scenario, 0, weeks, db, roles)
    assert len(result.ramp_shares) == weeks - scenario.ramp_start
    # flagged within two weeks of the ramp's start, and most of its later items sit in a flagged theme or signal
    assert result.delay is not None and result.delay <= 3, result  # target 2: see the README (issue 11)
    assert result.growing_share >= 0.5, result
    assert result.false_flags_per_week < 2, result
