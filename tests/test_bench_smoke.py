"""Every benchmark script runs, at a smoke size, inside `make test`: a benchmark that no longer runs
(an import of a removed function, a schema it no longer matches) fails here instead of rotting.

The figures printed at this size mean nothing; the README's figures come from `make bench`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, need_shared

# script -> (arguments for a small run, a line fragment its report must print)
SMOKE: dict[str, tuple[list[str], str]] = {
    "cluster.py": (["--skip-bertopic", "--limit", "150"], "## Stories"),
    "embed.py": (["--texts", "60", "--rounds", "1"], "rate / torch"),
    "fetch.py": (["--feeds", "12", "--concurrency", "4", "--rounds", "1"], "veille second fetch (conditional)"),
    "formats.py": (["--set", "real-cal"], "TF-IDF + logistic regression anchor"),
    "fulltext.py": (["--limit", "6", "--rounds", "1"], "extraction success rate"),
    "process.py": (["--items", "80", "--week-stories", "80"], "embedding rate ratio"),
    "audiences.py": (["--limit", "20"], "macro-F1 over corporate"),
    "backfill.py": (
        ["--sizes", "600,1200", "--per-week", "300", "--pool-size", "300", "--budget", "600"],
        "items/s ratio 1,200 / 600",
    ),
    "relevance.py": (["--limit", "40"], "share the gate keeps"),
    "search.py": (["--items", "3000", "--rounds", "1", "--cache", "search-cache"], "slowest query median"),
    "stories.py": (["--limit", "120"], "average-link 0.6 (anchor)"),
    "trends.py": (["--runs", "2"], "false/theme-week"),
}

# scripts whose smoke run has a test of its own, which also checks what the run reports
DEDICATED = {
    "site.py": "tests/test_bench_site.py",
    "digest.py": "tests/test_digest.py",
    "radar.py": "tests/test_radar.py",
    "titles.py": "tests/test_titles.py",
    "replay.py": "tests/test_replay_bench.py",
}


def test_every_benchmark_has_a_smoke_run() -> None:
    scripts = {path.name for path in (ROOT / "bench").glob("*.py") if not path.name.startswith("_")}
    assert scripts == set(SMOKE) | set(DEDICATED), "give each bench/ script a smoke-size run in SMOKE"
    assert all((ROOT / test).exists() for test in DEDICATED.values())


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SMOKE))
def test_benchmark_runs_at_smoke_size(script: str, tmp_path: Path) -> None:
    need_shared("eval")
    arguments, expected = SMOKE[script]
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *arguments],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert expected in result.stdout, result.stdout[-3000:]
    assert "Traceback" not in result.stderr


def test_make_bench_runs_every_benchmark() -> None:
    """The README's figures are what ``make bench`` prints: every bench/ script is in its recipe."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    scripts = {path.name for path in (ROOT / "bench").glob("*.py") if not path.name.startswith("_")}
    assert {name for name in scripts if f"bench/{name}" not in recipe} == set()
