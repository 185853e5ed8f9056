"""Subscribe by website: `veille feeds add https://site.example` finds the site's feed, on real saved pages
(tests/data/pages, see its SOURCES.md) served by the loopback feed server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import need_shared
from tests.feedserver import FeedServer
from veille.adapters.html import page_links
from veille.cli import cli
from veille.core.discover import feed_links

PAGES = Path(__file__).parent / "data" / "pages"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer({"pages": PAGES}) as running:
        yield running


def feeds_of(name: str, url: str = "http://site.test/post/1.html") -> list[tuple[str, bool]]:
    base, links = page_links((PAGES / name).read_bytes(), url)
    return [(feed.url, feed.comments) for feed in feed_links(links, base)]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (  # Blogger: Atom then RSS of the posts, then one post's comments
            "blog.python.org.html",
            [
                ("http://blog.python.org/feeds/posts/default", False),
                ("http://blog.python.org/feeds/posts/default?alt=rss", False),
                ("http://blog.python.org/feeds/3969073602705017876/comments/default", True),
            ],
        ),
        ("github.blog.spiceland.html", [("https://github.blog/feed/", False)]),  # oEmbed links are not feeds
        ("laviedesidees.fr.evaluation.html", [("http://site.test/post/spip.php?page=backend", False)]),
        (  # French WordPress: "Flux des commentaires" are comments feeds, listed after the site's feed
            "soundofscience.fr.1927.html",
            [
                ("https://www.soundofscience.fr/feed", False),
                ("https://www.soundofscience.fr/comments/feed", True),
                ("https://www.soundofscience.fr/1927/feed", True),
            ],
        ),
        ("theverge.com.ios13.html", [("http://site.test/rss/index.xml", False)]),
        ("psl.eu.luniversite.html", []),  # only a translated page as "alternate"
    ],
)
def test_the_feed_links_of_real_pages_are_found_site_feed_first(page: str, expected: list[tuple[str, bool]]) -> None:
    assert feeds_of(page) == expected


def add(config: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "feeds", "add", *args], input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def listed(config: Path) -> list[str]:
    from veille.config import load

    return [feed.url for feed in load(config).feeds]


def english_config(tmp_path: Path) -> Path:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds: []\ndigest:\n  language: en\n", encoding="utf-8")
    return config


def test_adding_a_website_adds_the_feed_its_page_declares_and_that_feed_fetches(
    tmp_path: Path, server: FeedServer
) -> None:
    real = need_shared("feeds", "real")
    feed = server.register("/pages/spip.php", (real / "carnets_de_la_grange.xml").read_bytes())
    config = english_config(tmp_path)
    page = server.url("/pages/laviedesidees.fr.evaluation.html")
    code, out, err = add(config, page)
    assert code == 0, err
    assert f"{page} is a web page; its feed: {feed}?page=backend (RSS: Syndiquer tout le site)" in out
    assert listed(config) == [f"{feed}?page=backend"]
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", "2026-11-30T06:00:00Z", "fetch"])
    assert result.exit_code == 0 and "1 feed polled: 34 new items, 0 failed" in result.stdout


def test_a_root_relative_feed_link_and_a_feed_url_given_directly(tmp_path: Path, server: FeedServer) -> None:
    real = need_shared("feeds", "real")
    verge = server.register("/rss/index.xml", (real / "the_verge.atom").read_bytes())
    config = english_config(tmp_path)
    assert add(config, server.url("/pages/theverge.com.ios13.html"))[0] == 0
    assert listed(config) == [verge]
    direct = server.register("/direct.xml", (real / "pc_inpact.xml").read_bytes())
    code, out, _ = add(config, direct)
    assert code == 0 and out == f"added {direct} to {config}\n"  # a feed is added as it is, nothing to say
    assert listed(config) == [verge, direct]


def test_a_page_without_feed_links_gets_the_usual_paths_tried_and_none_found_is_an_error(
    tmp_path: Path, server: FeedServer
) -> None:
    config = english_config(tmp_path)
    page = server.url("/pages/psl.eu.luniversite.html")
    code, out, err = add(config, page)
    assert code == 1 and out == ""
    assert err.startswith(f"veille: error: {page}: no feed found")
    assert listed(config) == []
    rss = server.register("/rss.xml", need_shared("feeds", "real", "techcrunch.xml").read_bytes())
    code, out, err = add(config, page)
    assert code == 0, err
    assert f"{page} declares no feed; found one at {rss}" in out
    assert listed(config) == [rss]
    assert server.hits("/feed") == 2 and server.hits("/rss") == 2  # tried first, in order, and missing


def test_choose_lists_every_feed_of_the_page_and_takes_the_one_picked(tmp_path: Path, server: FeedServer) -> None:
    config = english_config(tmp_path)
    page = server.url("/pages/soundofscience.fr.1927.html")
    code, out, _ = add(config, page)
    assert code == 0
    assert "the page offers 2 other feeds (comments…): --choose lists them" in out
    assert listed(config) == ["https://www.soundofscience.fr/feed"]
    code, out, _ = add(config, server.url("/pages/blog.python.org.html"), "--choose", stdin="2\n")
    assert code == 0
    assert "  1. http://blog.python.org/feeds/posts/default  (Atom, Python Insider - Atom)" in out
    assert listed(config)[-1] == "http://blog.python.org/feeds/posts/default?alt=rss"


def test_an_unreachable_address_is_added_as_given_with_a_warning_and_as_is_skips_the_lookup(
    tmp_path: Path, server: FeedServer
) -> None:
    config = english_config(tmp_path)
    down = server.url("/error")
    code, out, err = add(config, down)
    assert code == 0 and err.startswith(f"{down}: not reachable now (HTTP 500")
    assert out == f"added {down} to {config}\n"
    code, out, err = add(config, server.url("/pages/psl.eu.luniversite.html"), "--as-is")
    assert code == 0 and err == "" and out.startswith("added")
    assert server.hits("/pages/psl.eu.luniversite.html") == 0
    assert len(listed(config)) == 2


def test_opml_import_looks_up_the_feed_of_outlines_that_give_only_a_website(tmp_path: Path, server: FeedServer) -> None:
    real = need_shared("feeds", "real")
    verge = server.register("/rss/index.xml", (real / "the_verge.atom").read_bytes())
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>subs</title></head><body>'
        '<outline text="Tech"><outline text="The Verge" htmlUrl="'
        + server.url("/pages/theverge.com.ios13.html")
        + '"/></outline>'
        '<outline text="No feed" htmlUrl="' + server.url("/pages/psl.eu.luniversite.html") + '"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    config = english_config(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(config), "opml", "import", str(opml)])
    assert result.exit_code == 0, result.stderr
    assert "no feed found" in result.stderr  # said, and the rest of the list is imported
    from veille.config import load

    feeds = load(config).feeds
    assert [(feed.url, feed.name, feed.tags) for feed in feeds] == [(verge, "The Verge", ("Tech",))]


@pytest.mark.parametrize("url", ["not-a-url", "htp://x", "ftp://site.test/feed", ""])
def test_an_address_that_is_not_http_is_refused_in_one_line_before_any_lookup(tmp_path: Path, url: str) -> None:
    config = english_config(tmp_path)
    code, out, err = add(config, url)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"veille: error: {url}: not an http(s) address: give a feed's or a website's (https://…)"
    ]
    assert config.read_text(encoding="utf-8") == "feeds: []\ndigest:\n  language: en\n"
