"""Full text for excerpt-only feeds (`full_text: true`), end to end: `veille fetch` against article pages
served on loopback (a real saved page among them, robots.txt, a 404, an oversize page, a slow one, a
hostile one), then `veille process` with the real model and the digest a reader gets."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from tests.feedserver import FeedServer
from veille.cli import cli

NOW = "2026-11-25T06:00:00Z"
LATER = "2026-11-25T09:00:00Z"
DIGEST_TIME = "2026-12-01T06:00:00Z"
ARTICLES = ROOT / "tests" / "data" / "articles"
REAL_PAGE = "msn.com.university.html"

MOOC_TITLE = "Northfield University opens a new programme for teachers"
MOOC_EXCERPT = "Northfield University announced on Monday a new offer for secondary school teachers."
MOOC_BODY = """
<p>Northfield University announced on Monday a new offer for secondary school teachers.</p>
<p>The programme is a free massive open online course, a MOOC hosted on the edX platform. Over six weeks,
teachers follow short video lectures, answer quizzes and submit peer-graded assignments, at their own pace
and from anywhere.</p>
<p>More than 12,000 learners enrolled in the first session of the MOOC, which is open to anyone without
prerequisites. A certificate of completion is offered to those who pass the final assessment.</p>
<p>The university plans two more online courses next year, on classroom assessment and on inclusive
teaching, both delivered on the same MOOC platform.</p>
"""

HOSTILE_BODY = """
<script>document.write('<p>INJECTED-BY-SCRIPT</p>'); alert('pwned')</script>
<style>p { display: none }</style>
<p onclick="alert('clicked')">Schools in the region will trial a new reading programme for pupils aged seven
to nine, with daily sessions of twenty minutes led by trained teaching assistants.</p>
<p>The trial follows a report on reading levels published last spring, and will be evaluated by an
independent team of researchers from two universities. &lt;img src=x onerror=alert(1)&gt; Parents will be
informed by letter before the start of the school year.</p>
<iframe src="javascript:alert(2)"></iframe>
"""


def page(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{title}</title></head><body><header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header>"
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        "<footer><p>Copyright Example News. All rights reserved.</p></footer></body></html>"
    ).encode()


def rss(
    server: FeedServer, entries: list[tuple[str, str, str]], title: str = "Example News", *, month: int = 11
) -> bytes:
    """A feed whose items give only an excerpt: (title, path of the article page, excerpt)."""
    items = "".join(
        f"<item><title>{t}</title><link>{server.url(path)}</link><guid>{server.url(path)}</guid>"
        f"<pubDate>{format_datetime(datetime(2026, month, 24, 8 + i, tzinfo=UTC))}</pubDate>"
        f"<description>{excerpt}</description></item>"
        for i, (t, path, excerpt) in enumerate(entries)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>{server.url('/')}</link><description>news</description>{items}</channel></rss>"
    ).encode()


ENTRIES = [
    (MOOC_TITLE, "/news/mooc.html", MOOC_EXCERPT),
    ("Members-only briefing on the budget", "/private/briefing.html", "A briefing for members on the budget."),
    ("A story that was taken down", "/news/removed.html", "This story is no longer online."),
    ("The longest page of the week", "/news/big.html", "A very long page."),
    ("A page that takes its time", "/slow", "The server is slow today."),
    ("A page without an article", "/news/empty.html", "Only a menu here."),
    ("Reading programme trial in schools", "/news/hostile.html", "A reading programme will be tried in schools."),
    ("UK student halls too full to be safe", f"/articles/{REAL_PAGE}", "Experts warn about university halls."),
]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer({"articles": ARTICLES}, slow_seconds=3.0) as running:
        running.register("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        running.register("/news/mooc.html", page(MOOC_TITLE, MOOC_BODY), content_type="text/html; charset=utf-8")
        running.register("/news/mooc-b.html", page(MOOC_TITLE, MOOC_BODY), content_type="text/html; charset=utf-8")
        running.register("/private/briefing.html", page("Briefing", MOOC_BODY), content_type="text/html")
        big = page("Long", "<p>" + "A long paragraph about nothing in particular. " * 8000 + "</p>")
        running.register("/news/big.html", big, content_type="text/html")
        running.register("/news/empty.html", page("Menu", "<nav>Home</nav>"), content_type="text/html")
        running.register("/news/hostile.html", page("Reading programme", HOSTILE_BODY), content_type="text/html")
        running.register("/full.xml", rss(running, ENTRIES), content_type="application/rss+xml")
        excerpt_only = [(MOOC_TITLE + " (copy)", "/news/mooc-b.html", MOOC_EXCERPT)]
        running.register("/plain.xml", rss(running, excerpt_only, "Plain"), content_type="application/rss+xml")
        yield running


def write_config(tmp_path: Path, server: FeedServer, extra: str = "") -> Path:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f"""feeds:
  - url: {server.url("/full.xml")}
    name: Full
    full_text: true
  - url: {server.url("/plain.xml")}
    name: Plain
full_text:
  delay_seconds: 0
  read_timeout: 1
  max_bytes: 262144
digest:
  language: en
{extra}""",
        encoding="utf-8",
    )
    return config


def run(config: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def pages(config: Path) -> dict[str, tuple[str, str | None, str]]:
    """Each item's title -> (page status, reason, text), as stored."""
    with sqlite3.connect(config.parent / ".veille" / "veille.db") as conn:
        rows = conn.execute(
            """SELECT i.title, a.status, a.reason, a.text FROM items i
               JOIN item_articles ia ON ia.item_id = i.id JOIN articles a ON a.url = ia.url"""
        ).fetchall()
    return {title: (status, reason, text) for title, status, reason, text in rows}


def test_fetch_reads_article_pages_politely_and_records_each_failure(tmp_path: Path, server: FeedServer) -> None:
    config = write_config(tmp_path, server)
    code, out, err = run(config, "fetch")
    assert code == 0, err  # failed article pages never fail the fetch
    assert "2 feeds polled: 9 new items, 0 failed" in out
    assert "full text: 3 article pages read, 5 without text, 0 from the cache" in out

    found = pages(config)
    assert len(found) == len(ENTRIES)  # every item of the full-text feed, none of the other feed
    status, reason, text = found[MOOC_TITLE]
    assert status == "ok" and reason is None
    assert "12,000 learners enrolled" in text and "Copyright" not in text and "Home" not in text
    real = next(e for e in json.loads((ARTICLES / "manifest.json").read_text()) if e["file"] == REAL_PAGE)
    assert found["UK student halls too full to be safe"][0] == "ok"
    assert all(snippet in found["UK student halls too full to be safe"][2] for snippet in real["with"])
    # one clear reason per failed page
    assert found["Members-only briefing on the budget"][:2] == ("failed", "robots.txt disallows this page")
    assert found["A story that was taken down"][:2] == ("failed", "HTTP 404 Not Found")
    assert found["The longest page of the week"][:2] == ("failed", "page larger than 256 KiB")
    assert found["A page that takes its time"][:2] == ("failed", "timed out after 1 s (read)")
    assert found["A page without an article"][0] == "failed"
    assert found["A page without an article"][1] in {"no main text found in the page"} or found[
        "A page without an article"
    ][1].startswith("main text too short")
    # hostile content: text only, nothing of the scripts, styles or markup
    status, _, text = found["Reading programme trial in schools"]
    assert status == "ok" and "daily sessions of twenty minutes" in text
    for bad in ("INJECTED", "alert", "<img", "<script", "onclick", "display: none", "javascript:"):
        assert bad not in text
    # robots.txt read once for the host, the disallowed page never asked for, the other feed's page neither
    assert server.hits("/robots.txt") == 1
    assert server.hits("/private/briefing.html") == 0
    assert server.hits("/news/mooc-b.html") == 0

    # the feed itself is healthy: its articles' failures are counted beside its health, not as its own
    code, out, _ = run(config, "feeds", "list")
    full_line = next(line for line in out.splitlines() if "/full.xml" in line)
    plain_line = next(line for line in out.splitlines() if "/plain.xml" in line)
    assert "ok, last success" in full_line
    assert "; full text: 3 ok, 5 failed, 1 to try again later (last: " in full_line  # the page that timed out
    assert "full text" not in plain_line
    listed = [json.loads(line) for line in run(config, "feeds", "list", "--json")[1].splitlines()]
    assert [row.get("full_text_failed") for row in listed] == [5, None]

    # the next fetch: the feed changed one item's excerpt, and another feed points at a page already read
    server.reset_counts()
    changed = [(MOOC_TITLE, "/news/mooc.html", MOOC_EXCERPT + " Enrolment is open."), *ENTRIES[1:]]
    server.register("/full.xml", rss(server, changed), content_type="application/rss+xml")
    again = [("Another outlet on Northfield's course", "/news/mooc.html", "Teachers get a new online offer.")]
    server.register("/more.xml", rss(server, again, "More"), content_type="application/rss+xml")
    text = config.read_text().replace(
        "full_text:\n  delay", f"  - url: {server.url('/more.xml')}\n    full_text: true\nfull_text:\n  delay"
    )
    config.write_text(text)
    code, out, err = run(config, "fetch", "--all", now=LATER)
    assert code == 0, err
    # three hours later, the page that timed out is tried again (after 1 h) and times out once more
    assert "full text: 1 article page read, 1 without text, 1 from the cache" in out
    assert server.hits("/slow") == 1
    # the changed item's page is revalidated (304: its text kept), nothing else is asked for again
    assert server.statuses("/news/mooc.html") == [304]
    assert server.body_bytes("/news/mooc.html") == 0
    for path in ("/news/removed.html", "/news/big.html", "/news/empty.html", "/news/hostile.html"):
        assert server.hits(path) == 0, path
    assert server.hits(f"/articles/{REAL_PAGE}") == 0
    found = pages(config)
    assert found[MOOC_TITLE][0] == "ok" and "12,000 learners enrolled" in found[MOOC_TITLE][2]
    assert found["Another outlet on Northfield's course"][2] == found[MOOC_TITLE][2]


@pytest.mark.slow
def test_the_article_text_feeds_tagging_and_the_digest_shows_the_excerpt(tmp_path: Path, server: FeedServer) -> None:
    config = write_config(tmp_path, server)
    assert run(config, "fetch")[0] == 0
    code, _, err = run(config, "process")
    assert code == 0, err
    with sqlite3.connect(config.parent / ".veille" / "veille.db") as conn:
        tags = dict(
            conn.execute(
                """SELECT i.title, GROUP_CONCAT(f.format) FROM items i
                   LEFT JOIN item_formats f ON f.item_id = i.id GROUP BY i.id"""
            ).fetchall()
        )
    # the same item: tagged a MOOC from its article page, not from the feed's excerpt alone
    assert "mooc" in (tags[MOOC_TITLE] or "")
    assert "mooc" not in (tags[MOOC_TITLE + " (copy)"] or "")

    out_dir = tmp_path / "preview"
    assert run(config, "process", now=DIGEST_TIME)[0] == 0  # the week is over: its complete clustering
    code, _, err = run(config, "digest", "--week", "2026-W48", "--out", str(out_dir), now=DIGEST_TIME)
    assert code == 0, err
    text = next(out_dir.rglob("*.txt")).read_text(encoding="utf-8")
    html = next(out_dir.rglob("*.html")).read_text(encoding="utf-8")
    assert MOOC_EXCERPT in " ".join(text.split())  # the excerpt, as the feed gave it (wrapped in the text part)
    for shown in (text, html):  # the reader sees the excerpt, never the page's text
        assert "12,000 learners enrolled" not in shown
        assert "daily sessions of twenty minutes" not in shown
        assert "INJECTED" not in shown


def test_article_pages_are_fetched_one_at_a_time_per_site_and_robots_read_once_per_site() -> None:
    from veille.adapters.articles import ArticleRequest, fetch_articles_sync
    from veille.models import FullTextSettings

    with FeedServer({"articles": ARTICLES}) as server:
        files = sorted(path for path in server.paths("/articles/") if path.endswith(".html"))[:8]
        requests = [
            ArticleRequest(server.url(f"/delay/50{path}", host=host))
            for path in files
            for host in ("127.0.0.1", "localhost")
        ]
        settings = FullTextSettings(delay_seconds=0)
        pages = fetch_articles_sync(requests, settings)
        assert [page.status for page in pages] == ["ok"] * len(requests)
        assert dict(server.max_in_flight_by_host) == {"127.0.0.1": 1, "localhost": 1}
        assert server.hits("/robots.txt") == 2  # a 404: every page allowed, read once per site

        server.reset_counts()
        pages = fetch_articles_sync(requests, FullTextSettings(delay_seconds=0, per_host=2))
        assert max(server.max_in_flight_by_host.values()) <= 2

        # an unreachable robots.txt forbids the whole site for the run (RFC 9309)
        server.reset_counts()
        server.register("/robots.txt", b"down", content_type="text/plain", status=503)
        pages = fetch_articles_sync(requests[:4], settings)
        assert {page.reason for page in pages} == {"robots.txt unreachable (HTTP 503)"}
        assert server.hits("/robots.txt") == 2 and server.total_requests == 2


def test_full_text_behaves_the_same_on_each_backend(tmp_path: Path, server: FeedServer, backend: str | None) -> None:
    from tests.postgres_server import storage_yaml

    config = write_config(tmp_path, server, storage_yaml(backend))
    code, out, err = run(config, "fetch")
    assert code == 0, err
    assert "full text: 3 article pages read, 5 without text, 0 from the cache" in out
    listed = [json.loads(line) for line in run(config, "feeds", "list", "--json")[1].splitlines()]
    assert [(row.get("full_text_ok"), row.get("full_text_failed")) for row in listed] == [(3, 5), (None, None)]
    assert listed[0]["full_text_retrying"] == 1
    server.reset_counts()
    changed = [(MOOC_TITLE, "/news/mooc.html", MOOC_EXCERPT + " Enrolment is open."), *ENTRIES[1:]]
    server.register("/full.xml", rss(server, changed), content_type="application/rss+xml")
    code, out, err = run(config, "fetch", "--all", now=LATER)
    assert code == 0, err
    assert server.statuses("/news/mooc.html") == [304]
    assert server.hits("/news/hostile.html") == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "feeds:\n  - url: https://a.example/feed\n    full_text: maybe\n",
            "feeds[1].full_text: expected true or false",
        ),
        ("feeds: [https://a.example/f]\nfull_text:\n  enable: true\n", "full_text.enable: unknown setting; did"),
        ("feeds: [https://a.example/f]\nfull_text: 3\n", "full_text: expected true or false, got '3'"),
        ("feeds: [https://a.example/f]\nfull_text:\n  delay_seconds: -1\n", "full_text.delay_seconds: expected a"),
        ("feeds: [https://a.example/f]\nfull_text:\n  max_bytes: 0\n", "full_text.max_bytes: 0 is out of range"),
    ],
)
def test_a_bad_full_text_setting_names_its_key(tmp_path: Path, text: str, message: str) -> None:
    from veille.config import loads
    from veille.errors import ConfigError

    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        loads(text, tmp_path / "feeds.yaml")


def test_full_text_is_off_unless_a_feed_or_the_default_says_so(tmp_path: Path) -> None:
    from veille.config import loads
    from veille.core.fulltext import wants_full_text

    settings = loads(
        "feeds:\n  - url: https://a.example/f\n    full_text: true\n  - https://b.example/f\n"
        "  - url: https://c.example/f\n    full_text: no\n",
        tmp_path / "feeds.yaml",
    )
    assert settings.full_text.enabled is False
    assert [wants_full_text(f.full_text, settings.full_text.enabled) for f in settings.feeds] == [True, False, False]
    on = loads("feeds: [https://a.example/f]\nfull_text: true\n", tmp_path / "feeds.yaml")
    assert on.full_text.enabled and wants_full_text(None, on.full_text.enabled)


def test_a_feed_added_with_its_archive_gets_no_page_fetched(tmp_path: Path, server: FeedServer) -> None:
    server.register("/full.xml", rss(server, ENTRIES, month=9), content_type="application/rss+xml")
    config = write_config(tmp_path, server)
    code, out, err = run(config, "fetch")
    assert code == 0, err
    assert "9 new items" in out and "full text" not in out
    assert server.hits("/news/mooc.html") == 0 and server.hits("/robots.txt") == 0


@pytest.mark.slow
def test_turning_full_text_on_later_tags_the_items_already_processed_again(tmp_path: Path, server: FeedServer) -> None:
    config = write_config(tmp_path, server)
    config.write_text(config.read_text().replace("    full_text: true\n", ""))
    assert run(config, "fetch")[0] == 0
    assert run(config, "process")[0] == 0

    def mooc_formats() -> str:
        with sqlite3.connect(config.parent / ".veille" / "veille.db") as conn:
            row = conn.execute(
                """SELECT GROUP_CONCAT(f.format) FROM items i LEFT JOIN item_formats f ON f.item_id = i.id
                   WHERE i.title = ?""",
                (MOOC_TITLE,),
            ).fetchone()
        return row[0] or ""

    assert "mooc" not in mooc_formats()  # the excerpt alone says nothing of a MOOC
    config.write_text(config.read_text().replace("    name: Full\n", "    name: Full\n    full_text: true\n"))
    code, out, err = run(config, "fetch", "--all", now=LATER)
    assert code == 0, err
    assert "full text: 3 article pages read" in out
    code, out, err = run(config, "process", now=LATER)
    assert code == 0, err
    assert "mooc" in mooc_formats()  # embedded and tagged again with its page's text


BUSY = "Busy server, then back"
DOWN = "Server down for days"
GONE = "A page that is gone"
RETRY_ENTRIES = [
    (BUSY, "/news/busy.html", "The server is busy."),
    (DOWN, "/news/down.html", "The server is down."),
    (GONE, "/news/gone.html", "Not there."),
]


def test_a_page_the_server_could_not_give_is_tried_again_later_then_given_up(
    tmp_path: Path, server: FeedServer, backend: str | None
) -> None:
    from tests.postgres_server import storage_yaml

    server.register("/full.xml", rss(server, RETRY_ENTRIES), content_type="application/rss+xml")
    server.register("/news/busy.html", b"busy", content_type="text/plain", status=503)
    server.register("/news/down.html", b"down", content_type="text/plain", status=500)
    config = write_config(tmp_path, server, storage_yaml(backend))

    def fetch_at(now: str) -> str:
        code, out, err = run(config, "fetch", "--all", now=now)
        assert code == 0, err
        return out

    def hits() -> tuple[int, int, int]:
        return server.hits("/news/busy.html"), server.hits("/news/down.html"), server.hits("/news/gone.html")

    def full_line() -> str:
        return next(line for line in run(config, "feeds", "list", now=NOW)[1].splitlines() if "/full.xml" in line)

    fetch_at("2026-11-25T06:00:00Z")
    assert hits() == (1, 1, 1)
    assert "; full text: 0 ok, 3 failed, 2 to try again later (last: " in full_line()
    # the site's sources page shows the same, per source
    assert run(config, "site", "--out", str(tmp_path / "site"), now="2026-11-25T06:10:00Z")[0] == 0
    sources = (tmp_path / "site" / "sources" / "index.html").read_text(encoding="utf-8")
    assert "Article pages" in sources and "0 read, 3 failed, 2 to try again later" in sources

    fetch_at("2026-11-25T06:50:00Z")  # before the hour: nothing asked again
    assert hits() == (1, 1, 1)
    fetch_at("2026-11-25T07:01:00Z")  # an hour after: the two busy servers, not the 404
    assert hits() == (2, 2, 1)
    server.register("/news/busy.html", page(MOOC_TITLE, MOOC_BODY), content_type="text/html; charset=utf-8")
    fetch_at("2026-11-25T12:00:00Z")  # 5 h after the second failure: not yet (6 h)
    assert hits() == (2, 2, 1)
    out = fetch_at("2026-11-25T13:02:00Z")
    assert "full text: 1 article page read, 1 without text" in out
    assert hits() == (3, 3, 1)
    if backend is None:
        found = pages(config)
        assert found[BUSY][0] == "ok" and "12,000 learners enrolled" in found[BUSY][2]
        assert found[DOWN][:2] == ("failed", "HTTP 500 Internal Server Error")
        assert found[GONE][:2] == ("failed", "HTTP 404 Not Found")
    assert "; full text: 1 ok, 2 failed, 1 to try again later (last: " in full_line()
    fetch_at("2026-11-26T13:03:00Z")  # 24 h after the third failure: the fourth, the last
    assert hits() == (3, 4, 1)
    assert "; full text: 1 ok, 2 failed (last: " in full_line()  # given up
    fetch_at("2026-11-28T13:03:00Z")
    assert hits() == (3, 4, 1)


def test_retries_wait_1_6_then_24_hours_and_only_for_passing_failures() -> None:
    from datetime import timedelta

    from veille.core.fulltext import Attempt, next_attempt, passing_failure

    now = datetime(2026, 11, 25, 6, tzinfo=UTC)
    assert [passing_failure(status, False) for status in (500, 503, 429, 404, 403, 200, None)] == [
        True, True, True, False, False, False, False,
    ]  # fmt: skip
    assert passing_failure(None, True)  # timed out
    waits = [next_attempt(True, True, before, now).retry_after for before in range(4)]
    assert waits == [now + timedelta(hours=1), now + timedelta(hours=6), now + timedelta(hours=24), None]
    assert next_attempt(True, False, 2, now) == Attempt()  # a 404 after two busy answers: never again
    assert next_attempt(False, True, 2, now) == Attempt()  # read at last


def test_a_page_that_failed_on_a_busy_server_before_retries_existed_is_tried_once_more(
    tmp_path: Path, server: FeedServer, backend: str | None
) -> None:
    from tests.postgres_server import storage_yaml
    from veille.adapters.schema import MIGRATIONS
    from veille.adapters.storage import open_storage
    from veille.config import load

    server.register("/full.xml", rss(server, RETRY_ENTRIES), content_type="application/rss+xml")
    server.register("/news/busy.html", b"busy", content_type="text/plain", status=503)
    server.register("/news/down.html", b"down", content_type="text/plain", status=500)
    config = write_config(tmp_path, server, storage_yaml(backend))
    assert run(config, "fetch")[0] == 0
    # the database as the veille before retries left it: no retry columns, its migrations stop before them
    before = next(i for i, sql in enumerate(MIGRATIONS) if "ADD COLUMN retry_after" in sql)
    store = open_storage(load(config))
    try:
        with store.transaction() as conn:
            conn.execute("ALTER TABLE articles DROP COLUMN retry_after")
            conn.execute("ALTER TABLE articles DROP COLUMN failures")
            if backend is None:
                conn.execute(f"PRAGMA user_version = {before}")
            else:
                conn.execute("UPDATE veille_schema SET version = ?", (before,))
    finally:
        store.close()
    server.register("/news/busy.html", page(MOOC_TITLE, MOOC_BODY), content_type="text/html; charset=utf-8")
    code, out, err = run(config, "fetch", "--all", now=LATER)  # the migration, then the next fetch
    assert code == 0, err
    assert "full text: 1 article page read, 1 without text" in out
    assert (server.hits("/news/busy.html"), server.hits("/news/down.html"), server.hits("/news/gone.html")) == (2, 2, 1)
    line = next(line for line in run(config, "feeds", "list", now=LATER)[1].splitlines() if "/full.xml" in line)
    assert "; full text: 1 ok, 2 failed, 1 to try again later (last: " in line


def test_a_page_due_again_is_tried_even_when_its_item_has_grown_older_than_max_age_days(
    tmp_path: Path, server: FeedServer
) -> None:
    server.register("/full.xml", rss(server, RETRY_ENTRIES), content_type="application/rss+xml")
    server.register("/news/busy.html", b"busy", content_type="text/plain", status=503)
    server.register("/news/down.html", b"down", content_type="text/plain", status=500)
    config = write_config(tmp_path, server)
    config.write_text(config.read_text().replace("full_text:\n", "full_text:\n  max_age_days: 1\n"))
    for now in ("2026-11-25T06:00:00Z", "2026-11-25T07:01:00Z", "2026-11-25T13:02:00Z"):
        assert run(config, "fetch", "--all", now=now)[0] == 0
    assert (server.hits("/news/busy.html"), server.hits("/news/down.html")) == (3, 3)
    # the third try's 24 h end past the items' day of full text: the last try still happens
    assert run(config, "fetch", "--all", now="2026-11-26T13:03:00Z")[0] == 0
    assert (server.hits("/news/busy.html"), server.hits("/news/down.html")) == (4, 4)
    line = next(line for line in run(config, "feeds", "list")[1].splitlines() if "/full.xml" in line)
    assert "; full text: 0 ok, 3 failed (last: " in line  # given up: none left to try again
