"""`veille fetch`, `feeds` and `stats` end to end: a real loopback HTTP server, a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, need_shared
from tests.feedserver import FeedServer
from veille.cli import cli

NOW = "2026-11-28T06:00:00Z"
LATER = "2026-11-28T09:00:00Z"  # past the default 60-minute interval


@pytest.fixture
def server() -> Iterator[FeedServer]:
    roots = {"real": need_shared("feeds", "real"), "edge": need_shared("feeds", "edge")}
    with FeedServer(roots, slow_seconds=3.0) as running:
        yield running


def write_config(tmp_path: Path, urls: list[str], extra: str = "") -> Path:
    lines = ["feeds:"] + [f"  - url: {url}" for url in urls]
    config = tmp_path / "feeds.yaml"
    config.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return config


def run(config: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def stats(config: Path) -> dict[str, object]:
    code, out, _ = run(config, "stats", "--json")
    assert code == 0
    return json.loads(out)


def db(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / ".veille" / "veille.db")


def test_first_fetch_stores_every_feed_and_second_is_all_304(tmp_path: Path, server: FeedServer) -> None:
    paths = server.paths("/real/")
    config = write_config(tmp_path, [server.url(p) for p in paths])
    code, _out, err = run(config, "fetch")
    assert code == 0, err
    assert "Traceback" not in err
    first = stats(config)
    assert first["feeds"] == len(paths)
    assert first["feeds_failing"] == 0
    assert int(first["items"]) > 500  # type: ignore[call-overload]
    with db(config) as conn:
        empty = conn.execute("SELECT config_url FROM feeds WHERE id NOT IN (SELECT feed_id FROM sightings)").fetchall()
    assert empty == []  # every real feed yielded items

    server.reset_counts()
    code, _, err = run(config, "fetch", now=LATER)
    assert code == 0, err
    assert stats(config)["items"] == first["items"]
    for path in paths:
        assert server.statuses(path) == [304], path
        assert server.body_bytes(path) == 0
        sent = server.last_headers(path)
        assert "if-none-match" in {k.lower() for k in sent}


def test_not_due_feeds_are_not_fetched_again_within_the_interval(tmp_path: Path, server: FeedServer) -> None:
    config = write_config(tmp_path, [server.url("/real/techcrunch.xml")])
    assert run(config, "fetch")[0] == 0
    server.reset_counts()
    code, out, _ = run(config, "fetch", now="2026-11-28T06:30:00Z")
    assert code == 0
    assert server.hits("/real/techcrunch.xml") == 0
    assert "0 flux interrogé : 0 nouvel article, 0 en échec" in out  # the configured language (fr)


def test_failures_are_results_with_reasons_and_exit_code_3(tmp_path: Path, server: FeedServer) -> None:
    good = server.url("/real/techcrunch.xml")
    config = write_config(
        tmp_path,
        [
            good,
            server.url("/missing"),
            server.url("/gone"),
            server.url("/error"),
            server.url("/moved-permanently/real/aws_blog.xml"),
            server.url("/edge/nfp_not_a_feed.html"),
        ],
    )
    code, out, err = run(config, "fetch")
    assert code == 3
    assert "Traceback" not in err
    assert "404" in err and "410" in err and "500" in err
    numbers = stats(config)
    assert numbers["feeds_failing"] == 4  # 404, 410, 500, not a feed
    code, out, _ = run(config, "feeds", "list", "--json")
    health = {row["config_url"]: row for row in map(json.loads, out.splitlines())}
    assert health[server.url("/gone")]["status"] == "gone"
    assert "404" in health[server.url("/missing")]["last_error"]
    assert "not a feed" in health[server.url("/edge/nfp_not_a_feed.html")]["last_error"]
    moved = health[server.url("/moved-permanently/real/aws_blog.xml")]
    assert moved["url"] == server.url("/real/aws_blog.xml")
    assert moved["moved_from"] == server.url("/moved-permanently/real/aws_blog.xml")

    # next day: the gone feed is retired, the moved feed is fetched at its new URL, failures backed off
    server.reset_counts()
    code, _, _ = run(config, "fetch", now="2026-11-29T06:00:00Z")
    assert server.hits("/gone") == 0
    assert server.hits("/moved-permanently/real/aws_blog.xml") == 0
    assert server.hits("/real/aws_blog.xml") == 1
    with db(config) as conn:
        failures = conn.execute(
            "SELECT consecutive_failures FROM feeds WHERE config_url = ?", (server.url("/missing"),)
        ).fetchone()[0]
    assert failures == 2


def test_every_edge_feed_ends_in_items_or_a_stored_error(tmp_path: Path, server: FeedServer) -> None:
    paths = server.paths("/edge/")
    config = write_config(tmp_path, [server.url(p) for p in paths])
    code, _, err = run(config, "fetch")
    assert code in (0, 3)
    assert "Traceback" not in err
    with db(config) as conn:
        rows = conn.execute(
            """SELECT config_url, last_error, parse_warning,
                      (SELECT COUNT(*) FROM sightings s WHERE s.feed_id = f.id)
               FROM feeds f"""
        ).fetchall()
    assert len(rows) == len(paths)
    for url, error, warning, count in rows:
        # items; or a stored error; or a valid feed document with no entries, said in its health
        assert count > 0 or (error and len(error) > 5) or warning == "the feed has no entries", url
    assert sum(1 for row in rows if row[3] > 0) > 40
    assert sum(1 for row in rows if row[1]) > 5


def test_same_story_from_two_feeds_is_stored_once_with_both_sightings(tmp_path: Path, server: FeedServer) -> None:
    # daring_fireball.atom and daring_fireball.json carry the same posts
    config = write_config(
        tmp_path, [server.url("/real/daring_fireball.atom"), server.url("/real/daring_fireball.json")]
    )
    assert run(config, "fetch")[0] == 0
    with db(config) as conn:
        shared = conn.execute(
            "SELECT COUNT(*) FROM (SELECT item_id FROM sightings GROUP BY item_id HAVING COUNT(*) = 2)"
        ).fetchone()[0]
    assert shared > 0


def test_stats_is_human_readable_without_json(tmp_path: Path, server: FeedServer) -> None:
    config = write_config(tmp_path, [server.url("/real/techcrunch.xml")])
    run(config, "fetch")
    code, out, _ = run(config, "stats")
    assert code == 0
    assert "articles : 20" in out  # in digest.language, French by default
    config.write_text(config.read_text(encoding="utf-8") + "digest:\n  language: en\n", encoding="utf-8")
    code, out, _ = run(config, "stats")
    assert code == 0
    assert "items: 20" in out and "feeds failing: 0" in out


def test_bad_config_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - url: htp://nope\n", encoding="utf-8")
    code, _out, err = run(config, "fetch")
    assert code == 1
    assert err.count("\n") == 1
    assert "feeds.yaml:2" in err and "url" in err
    assert "Traceback" not in err


def test_a_fetch_killed_mid_run_loses_and_duplicates_nothing(tmp_path: Path, server: FeedServer) -> None:
    paths = server.paths("/real/")
    # each feed answers after 150 ms: the kill lands while some batches are stored and others are not
    urls = [server.url(f"/delay/150{p}") for p in paths]
    config = write_config(tmp_path, urls, "fetch:\n  concurrency: 4\n")
    mark = f"veille-kill-test-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VEILLE_TEST_MARK": mark}
    command = [sys.executable, "-m", "veille.cli", "--config", str(config), "--now", NOW, "fetch"]
    # pipes, as cron or a shell pipeline would read them: the parsing workers must not keep them open
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    database = config.parent / ".veille" / "veille.db"
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and process.poll() is None:
        if database.exists():
            try:
                with sqlite3.connect(database) as conn:
                    stored = conn.execute("SELECT COUNT(DISTINCT feed_id) FROM sightings").fetchone()[0]
            except sqlite3.OperationalError:
                stored = 0
            if stored >= 3:
                break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)  # EOF on both pipes: no worker process holds them
    assert 0 < stored < len(paths), "the kill should land mid-run"
    if sys.platform.startswith("linux"):  # /proc
        assert _processes_marked(mark, within=10.0) == [], "worker processes outlived the killed fetch"

    code, _, err = run(config, "fetch")  # same clock: the feeds not stored yet are still due
    assert code == 0, err
    reference = write_config(tmp_path / "ref", urls) if (tmp_path / "ref").mkdir() is None else None
    assert reference is not None
    assert run(reference, "fetch")[0] == 0
    with db(config) as conn, db(reference) as ref:
        query = "SELECT COUNT(*), COUNT(DISTINCT content_hash) FROM items"
        assert conn.execute(query).fetchone() == ref.execute(query).fetchone()
        sightings = "SELECT COUNT(*) FROM sightings"
        assert conn.execute(sightings).fetchone() == ref.execute(sightings).fetchone()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _processes_marked(mark: str, *, within: float) -> list[int]:
    """Processes whose environment carries ``mark`` (Linux /proc), waiting up to ``within`` seconds for
    them to end."""
    deadline = time.monotonic() + within
    while True:
        alive = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if f"VEILLE_TEST_MARK={mark}".encode() in (entry / "environ").read_bytes():
                        alive.append(int(entry.name))
                except OSError:  # ended meanwhile, or not ours
                    continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _daily_feed(days: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Microlearning note {day}</title><link>https://example.org/{day}</link>"
        f"<guid>https://example.org/{day}</guid><pubDate>{day}</pubDate></item>"
        for day in days
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Quiet feed</title>'
        f"<link>https://example.org/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def test_a_fetch_that_brings_a_new_item_never_marks_its_feed_silent(tmp_path: Path, server: FeedServer) -> None:
    september = [f"{day:02d} Sep 2026 08:00:00 GMT" for day in range(1, 31)]
    server.register("/quiet.xml", _daily_feed(september))
    config = write_config(tmp_path, [server.url("/quiet.xml")])
    assert run(config, "fetch", now="2026-10-01T06:00:00Z")[0] == 0
    # three weeks without anything new for a daily feed: silent, rightly
    assert run(config, "fetch", now="2026-10-22T06:00:00Z")[0] == 0
    _, out, _ = run(config, "feeds", "list", now="2026-10-22T06:00:00Z")
    assert "INACTIF (rien de neuf depuis longtemps)" in out

    # then it publishes again: that fetch stores the item and the feed is not silent any more
    server.register("/quiet.xml", _daily_feed([*september, "Tue, 17 Nov 2026 07:00:00 GMT"]))
    code, out, err = run(config, "fetch", now="2026-11-17T09:00:00Z")
    assert code == 0, err
    assert "1 nouvel article" in out
    _, out, _ = run(config, "feeds", "list", now="2026-11-17T09:00:00Z")
    assert "INACTIF" not in out
    with db(config) as conn:
        kind, status, new_items = conn.execute(
            "SELECT kind, status, new_items FROM feed_events ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert (kind, status, new_items) == ("ok", 200, 1)
    assert run(config, "process", now="2026-11-23T06:00:00Z")[0] == 0  # a digest needs its week processed
    code, out, err = run(config, "digest", "--week", "2026-W47", now="2026-11-23T06:00:00Z")
    assert code == 0, err
    text = Path(out.split("text: ")[1].split()[0]).read_text(encoding="utf-8")
    assert "Santé des sources" not in text and "silencieux" not in text  # no health line about it
    assert "Quiet feed · mar. 17 nov." in text  # its new item is a story of the digest


def test_adding_a_feed_already_listed_says_so_and_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    config = write_config(tmp_path, ["https://example.org/feed.xml"], "# my watch\n")
    before = config.read_text(encoding="utf-8")
    for same in ("https://example.org/feed.xml", "HTTPS://Example.org/feed.xml/"):
        code, out, err = run(config, "feeds", "add", same)
        assert code == 1  # as `feeds remove` of a URL that is not listed
        assert "added" not in out
        assert err.strip() == f"veille: error: {config}: feeds: {same!r} is already listed at line 2"
        assert config.read_text(encoding="utf-8") == before
    code, out, _ = run(config, "feeds", "add", "https://example.org/other.xml")
    assert code == 0
    assert out.startswith("https://example.org/other.xml ajouté à")  # the configured language (fr)
    code, _, err = run(config, "feeds", "remove", "https://example.org/missing.xml")
    assert code == 1 and "is not listed" in err


def test_parsing_on_every_core_stores_exactly_what_parsing_in_one_process_stores(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.jobs import fetch as fetch_job

    paths = server.paths("/real/") + server.paths("/edge/")  # malformed feeds included: their errors too
    stored = {}
    for mode, threshold in (("workers", fetch_job.PARALLEL_MIN_FEEDS), ("inline", 10**6)):
        monkeypatch.setattr(fetch_job, "PARALLEL_MIN_FEEDS", threshold)
        (tmp_path / mode).mkdir()
        config = write_config(tmp_path / mode, [server.url(p) for p in paths])
        code, _out, err = run(config, "fetch")
        assert code == 3 and "Traceback" not in err  # some edge feeds fail, as they should
        with db(config) as conn:
            # which feed brought a story first depends on arrival order, in both modes: compare what
            # each feed's entries became, not which feed owns the merged item
            items = conn.execute(
                "SELECT f.config_url, s.entry_key, i.title, i.url, i.published_at, i.lang, i.content_hash "
                "FROM sightings s JOIN feeds f ON f.id = s.feed_id JOIN items i ON i.id = s.item_id ORDER BY 1, 2"
            ).fetchall()
            errors = conn.execute("SELECT config_url, last_error FROM feeds ORDER BY 1").fetchall()
        stored[mode] = (items, errors)
    assert len(stored["workers"][0]) > 1000
    assert stored["workers"] == stored["inline"]


INVISIBLE_FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Hyphenated</title>'
    "<link>https://h.example.org/</link>"
    # no guids: each entry's key is its link and title, so the title's text is part of its identity
    "<item><title>E-\u00adlear\u00adning for appren\u00adtices</title><link>https://h.example.org/1</link>"
    "<pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate>"
    "<description>Micro\u200blearning \u2066modules\u2069 for the work\u00adplace, \ufeffweekly.</description></item>"
    "<item><title>\u200fحلقة\u200f about blended learning\u200d</title><link>https://h.example.org/2</link>"
    "<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate>"
    "<description>Short &amp;shy;note: le&#173;arning \u202aanalytics\u202c.</description></item>"
    "</channel></rss>"
).encode()
INVISIBLE = ("\u00ad", "\u200b", "\u200d", "\u200f", "\u2066", "\u2069", "\u202a", "\u202c", "\ufeff")


def test_invisible_characters_are_stripped_and_items_stored_before_are_not_stored_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.core import normalize

    def items(config: Path) -> list[tuple[str, str, str]]:
        with db(config) as conn:
            return conn.execute("SELECT title, summary, content_hash FROM items ORDER BY url").fetchall()

    with FeedServer({}) as server:
        server.register("/h.xml", INVISIBLE_FEED, content_type="application/rss+xml")
        # a watch filled by the veille before the stripping (text kept as it came)
        (tmp_path / "before").mkdir()
        before = write_config(tmp_path / "before", [server.url("/h.xml")])
        monkeypatch.setattr(normalize, "strip_invisible", lambda text: text)
        monkeypatch.setattr(normalize, "strip_invisible_markup", lambda markup: markup)
        assert run(before, "fetch")[0] == 0
        monkeypatch.undo()
        stored = items(before)
        assert len(stored) == 2 and "\u00ad" in stored[0][0]

        # the same feed read again by this veille: nothing new, the stored items found by their identity
        code, out, err = run(before, "fetch", "--all", now=LATER)
        assert code == 0, err
        assert "1 flux interrogé : 0 nouvel article, 0 en échec" in out
        assert items(before) == stored
        with db(before) as conn:
            assert conn.execute("SELECT COUNT(*) FROM sightings").fetchone()[0] == 2

        # a new watch stores the text without them, under the same identity
        (tmp_path / "after").mkdir()
        after = write_config(tmp_path / "after", [server.url("/h.xml")])
        assert run(after, "fetch")[0] == 0
    fresh = items(after)
    assert [row[2] for row in fresh] == [row[2] for row in stored]
    assert fresh[0][:2] == (
        "E-learning for apprentices",
        "Micro learning modules for the workplace, weekly.",  # a zero-width space read as a space, as before
    )
    assert fresh[1][:2] == ("حلقة about blended learning", "Short note: learning analytics.")
    assert not any(mark in text for row in fresh for text in row[:2] for mark in INVISIBLE)


def test_each_feeds_line_speaks_the_commands_language() -> None:
    """`veille fetch` writes a line per feed in `digest.language` (a source's own error text as it is)."""
    import logging

    from veille.jobs.fetch import FeedOutcome, log_outcome

    url = "https://example.org/feed%20{x}"  # % and braces in a URL are printed as they are
    outcomes = [
        FeedOutcome(url, None, "ok", new_items=1),
        FeedOutcome(url, None, "ok", new_items=3, stale=True),
        FeedOutcome(url, None, "ok", moved_to="https://example.org/rss"),
        FeedOutcome(url, None, "gone"),
        FeedOutcome(url, None, "not_modified"),
        FeedOutcome(url, None, "error", error="server error (HTTP 503)"),
    ]
    lines: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("veille")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        for language in ("fr", "en"):
            for outcome in outcomes:
                log_outcome(outcome, language)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert lines == [
        f"{url} : 1 nouvel article",
        f"{url} : 3 nouveaux articles (inactif : rien de neuf depuis longtemps)",
        f"{url} : déplacé définitivement vers https://example.org/rss (adresse du flux mise à jour)",
        f"{url} : 0 nouvel article",
        f"{url} : disparu (HTTP 410), retiré : il ne sera plus interrogé",
        f"{url} : pas de changement",
        f"{url} : server error (HTTP 503)",
        f"{url}: 1 new item",
        f"{url}: 3 new items (stale: nothing new for a long time)",
        f"{url}: moved permanently to https://example.org/rss (feed URL updated)",
        f"{url}: 0 new items",
        f"{url}: gone (HTTP 410), retired: it will not be fetched again",
        f"{url}: not modified",
        f"{url}: server error (HTTP 503)",
    ]
