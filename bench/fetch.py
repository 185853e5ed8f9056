"""Fetch benchmark: veille's fetcher against lemon24's ``reader`` on the same ≥ 200 loopback feeds.

The shared real feeds are served by ``tests/feedserver.py`` in a separate process (so the server does
not share the GIL with the clients), each file under several URLs (``?copy=N``) to reach at least 200
feeds. Measured in one run, same machine, same server:

* veille first fetch: every feed fetched and parsed (``veille.adapters.parse.parse_feed`` when present,
  else ``feedparser.parse``; the table says which), parsing done in ``on_result`` as the pipeline does;
* veille first fetch again without parsing (what the fetcher itself costs);
* veille second fetch: with the validators of the first (every answer should be 304, zero body bytes);
* reader (``make_reader`` on a temporary SQLite file, ``update_feeds(workers=N)``) first and second
  update with the same concurrency. Note that reader also stores the entries in its database.

The end-to-end runs (``veille fetch`` with parsing in worker processes, the same with parsing in one
process, reader) are repeated ``--rounds`` times, the three taking turns going first; the table gives
the median seconds and the median of the per-round ratios.

Usage: ``python bench/fetch.py [--feeds 200] [--concurrency 16] [--rounds 3]``. Prints one table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_REAL = ROOT.parent / "shared" / "feeds" / "real"
sys.path.insert(0, str(ROOT))

from veille.adapters.http import fetch_feeds_sync  # noqa: E402
from veille.models import FeedState, FetchResult, FetchSettings  # noqa: E402


def load_parser() -> tuple[str, Callable[[bytes, str, dict[str, str]], int]]:
    """veille's parser when it exists, else feedparser; returns (name, parse → number of items)."""
    try:
        from veille.adapters.parse import parse_feed
    except ImportError:
        import feedparser

        def parse_with_feedparser(body: bytes, url: str, headers: dict[str, str]) -> int:
            return len(feedparser.parse(body, response_headers=headers).entries)

        return "feedparser.parse (veille.adapters.parse absent)", parse_with_feedparser

    from veille.errors import ParseError

    def parse_with_veille(body: bytes, url: str, headers: dict[str, str]) -> int:
        try:
            return len(parse_feed(body, url, headers).items)
        except ParseError:
            return 0

    return "veille.adapters.parse.parse_feed", parse_with_veille


class ServerProcess:
    """``tests/feedserver.py`` serving a folder in its own process."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "feedserver.py"), str(root)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.process.kill()
            raise SystemExit("the feed server did not start")

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(self.base_url + "/_stats") as response:
            return dict(json.load(response))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def run_veille(
    urls: list[str],
    settings: FetchSettings,
    parse: Callable[[bytes, str, dict[str, str]], int],
    server: ServerProcess,
) -> tuple[float, float, list[FetchResult], list[FetchResult], int, int]:
    """First fetch + parse, then the conditional second fetch.

    Returns both timings, both result lists, the items parsed and the body bytes the server sent for
    the second fetch.
    """
    items = 0

    def parse_now(result: FetchResult) -> None:
        nonlocal items
        if result.body is not None:
            items += parse(result.body, result.final_url, result.headers)

    feeds = [(FeedState(id=i, url=u, config_url=u), settings) for i, u in enumerate(urls)]
    started = time.perf_counter()
    first = fetch_feeds_sync(feeds, on_result=parse_now)
    first_seconds = time.perf_counter() - started

    again = [
        (
            FeedState(
                id=r.feed_id,
                url=r.final_url,
                config_url=r.requested_url,
                etag=r.etag,
                last_modified=r.last_modified,
            ),
            settings,
        )
        for r in first
    ]
    before = server.stats()["body_bytes"]
    started = time.perf_counter()
    second = fetch_feeds_sync(again, on_result=parse_now)
    second_seconds = time.perf_counter() - started
    second_bytes = server.stats()["body_bytes"] - before
    return first_seconds, second_seconds, first, second, items, second_bytes


def run_fetch_only(urls: list[str], settings: FetchSettings) -> float:
    """The same first fetch without parsing: what the fetcher itself costs."""
    feeds = [(FeedState(id=i, url=u, config_url=u), settings) for i, u in enumerate(urls)]
    started = time.perf_counter()
    fetch_feeds_sync(feeds)
    return time.perf_counter() - started


def run_reader(urls: list[str], workers: int, folder: Path, server: ServerProcess) -> tuple[float, float, int, int]:
    """reader's first update (fetch, parse, store) and its second (conditional) one.

    Returns both timings, the entries stored and the body bytes the server sent for the second update.
    """
    from reader import make_reader

    reader = make_reader(str(folder / "reader.sqlite"))
    try:
        for url in urls:
            reader.add_feed(url)
        started = time.perf_counter()
        reader.update_feeds(workers=workers)
        first_seconds = time.perf_counter() - started
        entries = reader.get_entry_counts().total
        before = server.stats()["body_bytes"]
        started = time.perf_counter()
        reader.update_feeds(workers=workers, scheduled=False)
        second_seconds = time.perf_counter() - started
        second_bytes = server.stats()["body_bytes"] - before
    finally:
        reader.close()
    return first_seconds, second_seconds, entries or 0, second_bytes


def run_pipeline(urls: list[str], concurrency: int, folder: Path, *, workers: bool = True) -> tuple[float, int]:
    """What ``veille fetch`` does, end to end: fetch, parse, normalise and store in a fresh SQLite file;
    ``workers=False`` keeps parsing in this process (as before the worker pool), for comparison."""
    from datetime import UTC, datetime

    from veille.app import make_app
    from veille.config import loads
    from veille.jobs import fetch as fetch_job

    config = folder / "feeds.yaml"
    text = f"fetch:\n  concurrency: {concurrency}\n  per_host: {concurrency}\nfeeds:\n"
    text += "".join(f"  - url: {url}\n" for url in urls)
    config.write_text(text, encoding="utf-8")
    app = make_app(loads(text, config), now=datetime.now(UTC))
    threshold = fetch_job.PARALLEL_MIN_FEEDS
    fetch_job.PARALLEL_MIN_FEEDS = threshold if workers else len(urls) + 1
    try:
        began = time.perf_counter()
        report = fetch_job.fetch(app)
        seconds = time.perf_counter() - began
    finally:
        fetch_job.PARALLEL_MIN_FEEDS = threshold
    items = app.feeds.counts()["items"]
    app.close()
    assert not report.failed, [o.error for o in report.failed]
    return seconds, items


def main(argv: list[str] | None = None) -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--feeds", type=int, default=200, help="at least this many feeds (default 200)")
    options.add_argument("--concurrency", type=int, default=16, help="global cap, and reader's workers")
    options.add_argument("--rounds", type=int, default=3, help="rounds of the end-to-end runs (median reported)")
    args = options.parse_args(argv)
    if not SHARED_REAL.is_dir():
        raise SystemExit(f"{SHARED_REAL} is absent: the shared feeds must sit next to the project")

    parser_name, parse = load_parser()
    import feedparser  # noqa: F401 - imported before timing, as reader imports it too
    import reader  # noqa: F401

    files = sorted(p.name for p in SHARED_REAL.iterdir() if p.is_file() and not p.name.endswith(".md"))
    copies = math.ceil(args.feeds / len(files))
    server = ServerProcess(SHARED_REAL)
    try:
        urls = [f"{server.base_url}/real/{name}?copy={c}" for c in range(copies) for name in files]
        urls = urls[: args.feeds]
        # One host on loopback: the per-host cap is lifted to the global cap so both clients may use
        # the same number of simultaneous requests.
        settings = FetchSettings(concurrency=args.concurrency, per_host=args.concurrency)
        v_first, v_second, first, second, v_items, v_second_bytes = run_veille(urls, settings, parse, server)
        v_fetch_only = run_fetch_only(urls, settings)
        # end to end, in rounds; the contenders take turns going first (order rotates each round)
        timings: dict[str, list[float]] = {"workers": [], "inline": [], "reader": []}
        r_seconds: list[float] = []
        contenders = list(timings)
        for round_ in range(args.rounds):
            order = contenders[round_ % 3 :] + contenders[: round_ % 3]
            for name in order:
                with tempfile.TemporaryDirectory() as folder:
                    if name == "reader":
                        r_first, r_second, r_entries, r_second_bytes = run_reader(
                            urls, args.concurrency, Path(folder), server
                        )
                        timings[name].append(r_first)
                        r_seconds.append(r_second)
                    else:
                        seconds, v_stored = run_pipeline(
                            urls, args.concurrency, Path(folder), workers=name == "workers"
                        )
                        timings[name].append(seconds)
    finally:
        server.stop()
    ratios = {
        name: [t / r for t, r in zip(timings[name], timings["reader"], strict=True)] for name in ("workers", "inline")
    }
    v_pipeline, v_inline = statistics.median(timings["workers"]), statistics.median(timings["inline"])
    r_first, r_second = statistics.median(timings["reader"]), statistics.median(r_seconds)
    gain = statistics.median(w / i for w, i in zip(timings["workers"], timings["inline"], strict=True))

    v_errors = sum(r.error is not None for r in first)
    v_not_modified = sum(r.not_modified for r in second)
    first_bytes = sum(len(r.body or b"") for r in first)
    rows = [
        (
            "veille fetch (fetch+parse+normalise+store)",
            v_pipeline,
            f"{statistics.median(ratios['workers']):.2f}",
            "",
            f"{v_stored} distinct items stored (copies merged); parsing on {os.cpu_count()} cores",
        ),
        (
            "the same, parsing in one process",
            v_inline,
            f"{statistics.median(ratios['inline']):.2f}",
            "",
            f"workers / one process: {gain:.2f}",
        ),
        (
            "veille first fetch + parse",
            v_first,
            f"{v_first / r_first:.2f}",
            "",
            f"{v_items} items, {v_errors} errors, {first_bytes} body bytes",
        ),
        (
            "veille first fetch only (no parse)",
            v_fetch_only,
            f"{v_fetch_only / r_first:.2f}",
            "",
            "the fetcher alone",
        ),
        (
            "veille second fetch (conditional)",
            v_second,
            f"{v_second / r_second:.2f}",
            f"{v_second / v_first:.3f}",
            f"{v_not_modified}/{len(urls)} answered 304, {v_second_bytes} body bytes",
        ),
        ("reader first update (fetch+parse+store)", r_first, "", "", f"{r_entries} entries stored"),
        ("reader second update", r_second, "", f"{r_second / r_first:.3f}", f"{r_second_bytes} body bytes"),
    ]
    print(f"fetch benchmark: {len(urls)} feeds ({len(files)} real files, up to {copies} URLs each),")
    print(f"loopback server in its own process, concurrency {args.concurrency}; veille parser: {parser_name}")
    print(f"end-to-end rows: median of {args.rounds} round(s), the three contenders taking turns going first")
    print()
    print(f"| {'run':42} | {'seconds':>8} | {'veille/reader':>13} | {'second/first':>12} | notes")
    print(f"|{'-' * 44}|{'-' * 10}|{'-' * 15}|{'-' * 14}|{'-' * 50}")
    for name, seconds, ratio, second_ratio, notes in rows:
        print(f"| {name:42} | {seconds:8.2f} | {ratio:>13} | {second_ratio:>12} | {notes}")
    print()
    print("targets: veille/reader <= 1.0 (aim 0.5); second/first <= 0.10; body bytes on the second fetch = 0")


if __name__ == "__main__":
    main()
