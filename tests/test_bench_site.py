"""bench/site.py in a smoke size: it runs end to end and its rebuilds write what it says (the benchmark's
full size is for `make bench`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import ROOT


def test_the_site_benchmark_runs_small() -> None:
    result = subprocess.run(
        # 800 items: the one-day change adds 800 // 365 = 2 new stories
        [sys.executable, str(ROOT / "bench" / "site.py"), "--items", "800", "--weeks", "3", "--rounds", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert re.search(r"site: 800 items, \d+ stories, \d+ themes, 3 weeks -> \d+ pages", out), out
    assert re.search(r"no-change rebuild\s+[\d.]+\s+[\d.]+\s+[\d.]+%\s+0\n", out), out  # writes nothing
    assert re.search(r"one-day-change rebuild\s+[\d.]+\s+[\d.]+\s+[\d.]+%\s+[1-9]\d*\n", out), out
    assert re.search(r"ratios: no-change / full = [\d.]+, one-day / full = [\d.]+\n", out), out
    assert re.search(r"peak resident memory during the builds: [1-9]\d* MiB", out), out
    assert re.search(r"first search reads \d+ kB .* index in 3 pieces", out), out
