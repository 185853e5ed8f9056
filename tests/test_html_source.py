"""Pages without a feed (`type: html` sources read with CSS selectors), end to end: real saved listing pages
(tests/data/pages/listings, see its SOURCES.md) served by the loopback feed server, `veille fetch`,
`feeds list`, `process`, `digest` and `site` on a real SQLite file (and PostgreSQL for the fetch)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.feedserver import FeedServer
from tests.postgres_server import storage_yaml
from tests.storage_support import rss
from veille.cli import cli
from veille.config import load

LISTINGS = Path(__file__).parent / "data" / "pages" / "listings"
NOW = "2026-11-28T06:00:00Z"
LATER = "2026-11-28T09:00:00Z"  # past the default 60-minute interval

#: The selectors a user writes for each real page (feeds.yaml keys), and what they must give.
PAGES: dict[str, dict[str, str]] = {
    "blog.wordpress.com.html": {"item": ".post", "title": "h2", "date": ".date", "summary": ".entrytext"},
    # each article starts with a category link: the article's own link needs `link`
    "la-bas.org.porte.html": {
        "item": "li.xshort article",
        "title": ".entry-title .title",
        "link": "a[rel=bookmark]",
        "summary": ".introduction",
    },
    # no `date`: the item's first <time>, whose title attribute holds the date
    "cric-grenoble.info.radio.html": {
        "item": ".resume_article_simple article",
        "title": "h3",
        "summary": ".introduction",
    },
    "chip.de.tests.html": {"item": "article:has(time)", "title": "p.hl-xs", "summary": "p.copy-md"},
}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer({"listings": LISTINGS}) as running:
        yield running


def source_yaml(url: str, selectors: dict[str, str], name: str | None = None) -> str:
    lines = [f"  - url: {url}"] + ([f"    name: {name}"] if name else []) + ["    type: html"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in selectors.items()]
    return "\n".join(lines) + "\n"


def write_config(folder: Path, entries: list[str], extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "feeds.yaml"
    config.write_text("feeds:\n" + "".join(entries) + extra, encoding="utf-8")
    return config


def run(config: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def items_of(config: Path, url: str) -> list[tuple[str, str, str]]:
    """(title, url, published_at) of the items a source brought, in the page's order."""
    with sqlite3.connect(config.parent / ".veille" / "veille.db") as conn:
        return conn.execute(
            """SELECT i.title, i.url, i.published_at FROM sightings s JOIN feeds f ON f.id = s.feed_id
               JOIN items i ON i.id = s.item_id WHERE f.config_url = ? ORDER BY s.rowid""",
            (url,),
        ).fetchall()


def health(config: Path) -> dict[str, dict[str, object]]:
    code, out, err = run(config, "feeds", "list", "--json")
    assert code == 0, err
    return {row["config_url"]: row for row in map(json.loads, out.splitlines())}


def test_real_pages_give_the_items_a_reader_sees_and_a_second_fetch_is_304(tmp_path: Path, server: FeedServer) -> None:
    urls = {page: server.url(f"/listings/{page}") for page in PAGES}
    feed = server.register("/news.xml", rss("alpha", 3, day=27), content_type="application/rss+xml")
    config = write_config(
        tmp_path, [source_yaml(urls[page], selectors) for page, selectors in PAGES.items()] + [f"  - url: {feed}\n"]
    )
    code, out, err = run(config, "fetch")
    assert code == 0, err
    assert "Traceback" not in err
    assert "5 flux interrogés : 63 nouveaux articles, 0 en échec" in out

    wordpress = items_of(config, urls["blog.wordpress.com.html"])
    assert len(wordpress) == 10
    assert wordpress[0] == (
        "Add A Simple Payment Button To Your WordPress.com Premium Or Business Site",
        "https://en.blog.wordpress.com/2017/08/17/now-add-a-simple-payment-button-to-your-wordpress-com-premium-or-business-site/",
        "2017-08-17T00:00:00+00:00",  # "August 17, 2017"
    )
    labas = items_of(config, urls["la-bas.org.porte.html"])
    assert len(labas) == 15
    # relative links resolved against the page's <base href>, not the category link before them
    assert labas[0][1] == (
        "https://la-bas.org/la-bas-magazine/reportages/"
        "soyez-gentils-pas-de-violences-macron-vous-a-compris-aidez-le-allez-nettoyer"
    )
    assert labas[0][0].startswith("SOYEZ GENTILS, PAS DE VIOLENCES")
    assert labas[0][2] == "2019-09-24T13:34:33+00:00"
    assert all(url.startswith("https://la-bas.org/la-bas-magazine/") for _, url, _ in labas)
    cric = items_of(config, urls["cric-grenoble.info.radio.html"])
    assert len(cric) == 15
    assert cric[1] == (
        "Mise à la rue de jeunes majeurs hébergés au CATALPA",
        "https://cric-grenoble.info/infos-locales/article/mise-a-la-rue-de-jeunes-majeurs-heberges-au-catalpa-1222",
        "2019-08-01T18:32:49+00:00",
    )
    chip = items_of(config, urls["chip.de.tests.html"])
    assert len(chip) == 20  # the 20 dated teasers of 54 articles
    assert chip[0][0] == "Aldi leuchtet: LED-Röhren-Testsieger im Angebot"
    assert chip[0][2] == "2018-11-12T15:58:00+00:00"
    for rows in (wordpress, labas, cric, chip):
        assert all(url.startswith("https://") for _, url, _ in rows)

    with sqlite3.connect(config.parent / ".veille" / "veille.db") as conn:
        langs = dict(
            conn.execute(
                """SELECT f.config_url, MIN(i.lang) FROM sightings s JOIN feeds f ON f.id = s.feed_id
                   JOIN items i ON i.id = s.item_id GROUP BY f.config_url"""
            ).fetchall()
        )
        summary = conn.execute(
            "SELECT summary FROM items WHERE url LIKE '%mise-a-la-rue-de-jeunes-majeurs%'"
        ).fetchone()[0]
    assert langs[urls["la-bas.org.porte.html"]] == "fr" and langs[urls["blog.wordpress.com.html"]] == "en"
    # the page hyphenates with soft hyphens (U+00AD, invisible): the stored text reads as written
    assert summary.startswith("Suite à une décision du financeur, 13 jeunes majeures seront sorties du dispositif")

    rows = health(config)
    assert {rows[url]["type"] for url in urls.values()} == {"html"} and rows[feed]["type"] == "feed"
    assert rows[urls["blog.wordpress.com.html"]]["title"] == "The WordPress.com Blog"
    code, out, _ = run(config, "feeds", "list")
    assert f"{urls['chip.de.tests.html']} [html]" in out

    server.reset_counts()
    code, out, err = run(config, "fetch", now=LATER)
    assert code == 0, err
    assert "0 nouvel article" in out
    for url in urls.values():
        path = url.removeprefix(server.base_url)
        assert server.statuses(path) == [304], path
        assert server.body_bytes(path) == 0
        assert "if-none-match" in {key.lower() for key in server.last_headers(path)}


def test_broken_selectors_missing_pages_and_empty_matches_are_one_clear_line_each(
    tmp_path: Path, server: FeedServer
) -> None:
    good = server.url("/listings/blog.wordpress.com.html")
    feed = server.register("/news.xml", rss("alpha", 3, day=27), content_type="application/rss+xml")
    empty_feed = server.register(
        "/empty.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    )
    no_match = server.url("/listings/chip.de.tests.html")
    missing = server.url("/missing")
    no_title = server.url("/listings/la-bas.org.porte.html")
    config = write_config(
        tmp_path,
        [
            source_yaml(good, PAGES["blog.wordpress.com.html"]),
            source_yaml(no_match, {"item": "article.post", "title": "h2"}),  # the site changed its markup
            source_yaml(missing, {"item": "article", "title": "h2"}),
            source_yaml(no_title, {"item": "li.xshort article", "title": "h2.nothing"}),
            f"  - url: {feed}\n",
            f"  - url: {empty_feed}\n",
        ],
    )
    code, out, err = run(config, "fetch")
    assert code == 3  # partial: some sources failed, the others were stored
    assert "Traceback" not in err
    assert "6 flux interrogés : 13 nouveaux articles, 3 en échec" in out
    lines = err.splitlines()
    assert [line for line in lines if no_match in line] == [f"{no_match} : no item matched selector 'article.post'"]
    assert len([line for line in lines if missing in line]) == 1 and "404" in err
    assert [line for line in lines if no_title in line] == [
        f"{no_title} : 15 item(s) matched selector 'li.xshort article' but none had both a"
        " title ('h2.nothing') and an http(s) link ('a[href]')"
    ]
    # a feed with no entries is quiet, not failing; each feed's line in the commands' language
    assert f"{empty_feed} : 0 nouvel article" in err
    rows = health(config)
    assert rows[no_match]["last_error"] == "no item matched selector 'article.post'"
    assert rows[no_match]["consecutive_failures"] == 1 and rows[empty_feed]["consecutive_failures"] == 0
    assert rows[empty_feed]["parse_warning"] == "the feed has no entries"
    assert len(items_of(config, good)) == 10 and len(items_of(config, feed)) == 3
    code, _, err = run(config, "site")  # the site's source pages say it too
    assert code == 0, err
    site = config.parent / ".veille" / "site"
    pages = [path.read_text(encoding="utf-8") for path in (site / "sources").glob("*.html")]
    assert any("no item matched selector &#39;article.post&#39;" in page for page in pages)


def test_a_page_that_breaks_later_keeps_its_items_and_backs_off(tmp_path: Path, server: FeedServer) -> None:
    page = (LISTINGS / "blog.wordpress.com.html").read_bytes()
    url = server.register("/blog/", page, content_type="text/html; charset=utf-8")
    config = write_config(tmp_path, [source_yaml(url, PAGES["blog.wordpress.com.html"], name="WordPress.com")])
    assert run(config, "fetch")[0] == 0
    assert len(items_of(config, url)) == 10

    # a redesign: the posts are now <article class="card">, the configured selectors match nothing
    server.register("/blog/", page.replace(b'class="post', b'class="card'), content_type="text/html; charset=utf-8")
    code, _, err = run(config, "fetch", now=LATER)
    assert code == 3
    assert "no item matched selector '.post'" in err
    assert len(items_of(config, url)) == 10  # nothing lost
    row = health(config)[url]
    assert row["consecutive_failures"] == 1 and row["items"] == 10
    code, out, _ = run(config, "feeds", "list", now=LATER)
    assert "WordPress.com" in out and "no item matched selector '.post'" in out

    server.reset_counts()
    run(config, "fetch", now="2026-11-28T09:10:00Z")  # within the backoff: not fetched again
    assert server.hits("/blog/") == 0


HOSTILE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hostile news</title>
<script>document.write('<h2>Injected by script</h2>')</script></head><body>
<div class="news"><article class="post">
  <h2><a href="/a/microlearning" onclick="steal()">Microlearning at scale<script>alert('t')</script></a></h2>
  <time datetime="2026-11-18T09:00:00Z">18 novembre 2026</time>
  <div class="excerpt"><p onmouseover="steal()">Teams adopt short lessons.</p>
  <a href="javascript:alert(1)">click</a><img src="x.png" onerror="steal()"><iframe src="https://evil.test/"></iframe>
  <script>alert('summary')</script><style>p { display: none }</style></div>
</article>
<article class="post"><h2><a href="javascript:alert(2)">A javascript link only</a></h2></article>
<article class="post"><h2></h2><a href="/a/untitled">untitled</a></article>
<article class="post"><h2><a href="/a/vr">Virtual reality labs open at the university</a></h2>
  <span class="when">Published 19 November 2026</span>
  <div class="excerpt"><p>Students practise in <b>virtual</b> labs.</p></div></article>
</div></body></html>"""


def test_hostile_markup_never_reaches_the_digest_or_the_site_and_html_and_feeds_go_through_process(
    tmp_path: Path, server: FeedServer
) -> None:
    page = server.register("/hostile/news.html", HOSTILE.encode(), content_type="text/html; charset=utf-8")
    feed = server.register("/news.xml", rss("alpha", 4, day=19, words="adaptive learning"))
    real = server.url("/listings/cric-grenoble.info.radio.html")
    config = write_config(
        tmp_path,
        [
            source_yaml(page, {"item": "article.post", "title": "h2", "date": "time, .when", "summary": ".excerpt"}),
            source_yaml(real, PAGES["cric-grenoble.info.radio.html"]),
            f"  - url: {feed}\n",
        ],
        "digest:\n  language: en\n",
    )
    code, out, err = run(config, "fetch")
    assert code == 0, err
    assert "3 feeds polled: 21 new items, 0 failed" in out  # 2 of the hostile page, 15, 4
    hostile = items_of(config, page)
    assert hostile == [
        ("Microlearning at scale", server.url("/a/microlearning"), "2026-11-18T09:00:00+00:00"),
        ("Virtual reality labs open at the university", server.url("/a/vr"), "2026-11-19T00:00:00+00:00"),
    ]
    assert health(config)[page]["parse_warning"] == "2 of 4 item(s) skipped: no title or no http(s) link"

    code, _, err = run(config, "process")
    assert code == 0, err
    code, _, err = run(config, "digest", "--out", str(tmp_path / "digest"))
    assert code == 0, err
    code, _, err = run(config, "site")
    assert code == 0, err
    digest = list((tmp_path / "digest").rglob("*.*"))
    assert "Microlearning at scale" in "".join(path.read_text(encoding="utf-8") for path in digest)
    written = digest + list((tmp_path / ".veille" / "site").rglob("*.html"))
    everything = "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in written)
    assert "Microlearning at scale" in everything and "Virtual reality labs open at the university" in everything
    assert "Mise à la rue de jeunes majeurs hébergés au CATALPA" in everything  # the real page's items too
    for hostile_text in ("steal()", "alert(", "javascript:", "onerror", "onmouseover", "evil.test", "Injected"):
        assert hostile_text not in everything, hostile_text


def test_pages_are_parsed_in_the_worker_processes_as_feeds_are(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ≥ 8 sources parsing runs in worker processes: html sources must store there exactly what they
    store when parsed in the job's own process (the selectors travel to the workers)."""
    from veille.jobs import fetch as fetch_job

    entries = [
        source_yaml(server.url(f"/listings/{page}?copy={copy}"), selectors)
        for copy in (1, 2)
        for page, selectors in PAGES.items()
    ]
    entries.append(source_yaml(server.url("/listings/chip.de.tests.html?copy=3"), {"item": "div.gone", "title": "h2"}))
    entries.append(f"  - url: {server.register('/news.xml', rss('alpha', 5))}\n")
    stored = {}
    for mode, threshold in (("workers", fetch_job.PARALLEL_MIN_FEEDS), ("inline", 10**6)):
        monkeypatch.setattr(fetch_job, "PARALLEL_MIN_FEEDS", threshold)
        config = write_config(tmp_path / mode, entries)
        code, out, err = run(config, "fetch")
        assert code == 3 and "Traceback" not in err
        assert "10 flux interrogés : 65 nouveaux articles, 1 en échec" in out  # the copies meet in one item each
        with sqlite3.connect(config.parent / ".veille" / "veille.db") as conn:
            stored[mode] = conn.execute(
                "SELECT f.config_url, s.entry_key, i.title, i.url, i.published_at, i.lang, i.summary, f.last_error"
                " FROM feeds f LEFT JOIN sightings s ON s.feed_id = f.id LEFT JOIN items i ON i.id = s.item_id"
                " ORDER BY 1, 2"
            ).fetchall()
    assert len(stored["workers"]) == 2 * 60 + 5 + 1
    assert stored["workers"] == stored["inline"]


def test_feeds_add_and_remove_keep_html_sources_as_written(tmp_path: Path, server: FeedServer) -> None:
    url = server.url("/listings/la-bas.org.porte.html")
    config = write_config(tmp_path, ["  # a page without a feed\n", source_yaml(url, PAGES["la-bas.org.porte.html"])])
    before = config.read_text(encoding="utf-8")
    feed = server.register("/news.xml", rss("alpha", 2))
    code, out, err = run(config, "feeds", "add", "--as-is", feed)
    assert code == 0, err
    text = config.read_text(encoding="utf-8")
    assert text.startswith(before)  # the html source and its comment untouched
    settings = load(config)
    assert [source.type for source in settings.feeds] == ["html", "feed"]
    assert settings.feeds[0].selectors is not None and settings.feeds[0].selectors.link == "a[rel=bookmark]"
    code, out, _ = run(config, "opml", "export")
    assert code == 0 and feed in out and url not in out  # a page is no feed for other readers
    code, _, err = run(config, "feeds", "remove", feed)
    assert code == 0, err
    assert config.read_text(encoding="utf-8") == before


def test_html_sources_fetch_the_same_on_each_backend(tmp_path: Path, server: FeedServer, backend: str | None) -> None:
    url = server.url("/listings/blog.wordpress.com.html")
    feed = server.register("/news.xml", rss("alpha", 3))
    broken = server.url("/listings/chip.de.tests.html")
    config = write_config(
        tmp_path,
        [
            source_yaml(url, PAGES["blog.wordpress.com.html"]),
            f"  - url: {feed}\n",
            source_yaml(broken, {"item": "article.post", "title": "h2"}),
        ],
        storage_yaml(backend),
    )
    code, _, err = run(config, "fetch")
    assert code == 3, err
    stats = json.loads(run(config, "stats", "--json")[1])
    assert (stats["feeds"], stats["feeds_failing"], stats["items"]) == (3, 1, 13)
    server.reset_counts()
    code, _, _ = run(config, "fetch", now=LATER)
    assert server.statuses("/listings/blog.wordpress.com.html") == [304]
    assert health(config)[broken]["last_error"] == "no item matched selector 'article.post'"
