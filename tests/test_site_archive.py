"""A feed's backlog on the site: weeks before the watch began get one archive page per year, not a page each.

End to end: a real loopback HTTP server serves a feed whose backlog goes back to 2007 (one post a month)
beside a feed with only recent posts; ``veille fetch`` stores them in a real SQLite file on the first day
of the watch and again later, then ``veille site`` builds the site. The site used to write one page for
every week back to 2007 (about 1,000 pages, nearly all empty).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from tests.feedserver import FeedServer
from tests.test_site import pages, parse
from tests.test_site_browser import browser, reads_well  # noqa: F401 (browser: the fixture)
from veille.adapters import site_store
from veille.adapters.store import Store
from veille.cli import cli
from veille.core.site import ArchivePage, WeeksPage, build_site_view

WATCH_START = "2026-11-02T06:00:00Z"  # Monday of 2026-W45: the first fetch
LATER = "2026-11-20T06:00:00Z"
NOW = "2026-11-30T06:00:00Z"  # Monday of 2026-W49
BACKLOG_YEARS = range(2007, 2027)


def rss(title: str, posts: list[tuple[str, datetime]]) -> bytes:
    items = "".join(
        f"<item><title>{name}</title><link>https://example.org/{slug(name)}</link>"
        f"<guid>https://example.org/{slug(name)}</guid>"
        f"<pubDate>{moment.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>"
        f"<description>{name}: what the post says.</description></item>"
        for name, moment in posts
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.org/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def backlog() -> list[tuple[str, datetime]]:
    """One post on the 15th of every month from January 2007 to October 2026, before the watch."""
    posts = []
    for year in BACKLOG_YEARS:
        for month in range(1, 13):
            moment = datetime(year, month, 15, 9, tzinfo=UTC)
            if moment < datetime(2026, 11, 1, tzinfo=UTC):
                posts.append((f"Archive post {year}-{month:02d}", moment))
    return posts


def fresh(days: int) -> list[tuple[str, datetime]]:
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    return [(f"Weekly note {n + 1}", start + timedelta(days=2 * n)) for n in range(days)]


def run(config: Path, now: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp_path = tmp_path_factory.mktemp("archive")
    with FeedServer({}) as server:
        server.register("/backlog.xml", rss("Old blog", backlog()))
        server.register("/fresh.xml", rss("Fresh news", fresh(3)))
        config = tmp_path / "feeds.yaml"
        config.write_text(
            f"feeds:\n  - url: {server.url('/backlog.xml')}\n  - url: {server.url('/fresh.xml')}\n", encoding="utf-8"
        )
        run(config, WATCH_START, "fetch")
        # the watch goes on: the fresh feed publishes over the next weeks
        server.register("/fresh.xml", rss("Fresh news", fresh(12)))
        run(config, LATER, "fetch")
    run(config, NOW, "site", "--out", str(tmp_path / "site"))
    yield tmp_path / "site"


def test_weeks_before_the_watch_are_grouped_by_year_not_one_page_each(site: Path) -> None:
    weeks = sorted(p.stem for p in (site / "weeks").glob("????-W??.html"))
    # the watch began in W45; its last post (22 Nov) is in W47: three week pages, not ~1,000
    assert weeks == ["2026-W45", "2026-W46", "2026-W47"]
    archives = sorted(p.stem for p in (site / "weeks").glob("archive-*.html"))
    assert archives == [f"archive-{year}" for year in BACKLOG_YEARS]
    assert len(pages(site)) < 60


def test_an_archive_page_lists_its_years_items_by_week(site: Path) -> None:
    page = (site / "weeks" / "archive-2012.html").read_text(encoding="utf-8")
    assert "<h1>Archives 2012</h1>" in page
    assert "12 sujets" in page
    titles = re.findall(r"Archive post (\d{4}-\d{2})", page)
    assert sorted(set(titles)) == [f"2012-{month:02d}" for month in range(1, 13)]
    assert page.index("Archive post 2012-12") < page.index("Archive post 2012-01")  # newest week first
    assert "Semaine 24 · 2012" in page  # 15 June 2012 is in ISO week 24
    assert "2 nov. 2026" in page  # when the watch began
    # October 2026 predates the watch too: it is archived, not given a week page
    this_year = (site / "weeks" / "archive-2026.html").read_text(encoding="utf-8")
    assert "Archive post 2026-10" in this_year and "Weekly note" not in this_year
    assert 'rel="next" href="../weeks/2026-W45.html"' in this_year  # the newest archive leads to the watch's first week
    first_week = (site / "weeks" / "2026-W45.html").read_text(encoding="utf-8")
    assert 'rel="prev" href="../weeks/archive-2026.html"' in first_week


def test_the_weeks_index_links_every_archive_year(site: Path) -> None:
    index = (site / "weeks" / "index.html").read_text(encoding="utf-8")
    assert "Avant le début de la veille" in index
    assert "La veille a commencé le 2 nov. 2026" in index
    for year in BACKLOG_YEARS:
        assert f'href="../weeks/archive-{year}.html"' in index
    assert index.index("archive-2026.html") < index.index("archive-2007.html")  # newest year first
    assert 'Archives 2026</a> <span class="meta">· 10 sujets' in index


def test_links_to_archived_stories_resolve(site: Path) -> None:
    """Source pages, format pages and the search index send readers to the archive page's anchors."""
    parsed = {path: parse(path) for path in pages(site)}
    archived = 0
    for path, links in parsed.items():
        for _, ref in links.refs:
            parts = urlsplit(ref)
            if parts.scheme or not parts.path:
                continue
            target = (path.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{path.relative_to(site)}: {ref!r} leads nowhere"
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in parsed[target].ids, f"{path.relative_to(site)}: {ref!r} anchor missing"
                archived += target.name.startswith("archive-")
    assert archived >= len(backlog())  # the old blog's source page links each of its posts
    index = (site / "search" / "archive-2012.js").read_text(encoding="utf-8")  # the archive year's piece
    assert "weeks/archive-2012.html#" in index


def test_on_the_first_day_a_backlog_alone_gives_the_watchs_first_week_and_the_archives(tmp_path: Path) -> None:
    with FeedServer({}) as server:
        server.register("/backlog.xml", rss("Old blog", backlog()))
        config = tmp_path / "feeds.yaml"
        config.write_text(f"feeds:\n  - url: {server.url('/backlog.xml')}\n", encoding="utf-8")
        run(config, WATCH_START, "fetch")
    run(config, WATCH_START, "site", "--out", str(tmp_path / "site"))
    site = tmp_path / "site"
    assert sorted(p.stem for p in (site / "weeks").glob("????-W??.html")) == ["2026-W45"]
    week = (site / "weeks" / "2026-W45.html").read_text(encoding="utf-8")
    assert "Aucun sujet cette semaine" in week and 'href="../weeks/archive-2026.html"' in week
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "La veille est encore vide" not in home and "Semaine 45 · 2026" in home
    assert len(list((site / "weeks").glob("archive-*.html"))) == len(BACKLOG_YEARS)


def test_the_archive_speaks_english_too(site: Path) -> None:
    with Store.open(site.parent / ".veille" / "veille.db") as store:
        records = site_store.load_site(store)
    view = build_site_view(records, language="en", now=datetime(2026, 11, 30, 6, tzinfo=UTC))
    pages_by_path = {page.path: page.view for page in view.pages}
    archive = pages_by_path["weeks/archive-2012.html"]
    assert isinstance(archive, ArchivePage)
    assert archive.label == "Archive 2012" and "before the watch began (on 2 Nov 2026)" in archive.intro
    assert archive.summary == ("12 stories", "1 source")
    index = pages_by_path["weeks/index.html"]
    assert isinstance(index, WeeksPage)
    assert index.archives_intro.startswith("The watch began on 2 Nov 2026.")
    assert [row.stories_label for row in index.archives][:2] == ["10 stories", "12 stories"]


# Last in the module: the browser holds playwright's event loop until the module ends, and `veille fetch`
# above runs its own.
@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_archive_pages_read_well_on_a_phone_and_a_desktop(
    site: Path,
    browser: Any,  # noqa: F811 (the fixture of test_site_browser)
    width: int,
) -> None:
    for path in ("weeks/archive-2012.html", "weeks/index.html"):
        page = reads_well(browser, site, path, width)
        assert page.locator("h1").count() == 1
        page.close()
