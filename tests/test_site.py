"""The static site built from a real SQLite file: pages, links, sanitising, Atom, atomic and incremental writes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser
import pytest

from tests.test_site_browser import browser, reads_well  # noqa: F401 (browser: the fixture)
from tests.test_site_support import HOSTILE, NOW, add_story, add_theme, at, make_settings, populate
from veille.adapters.render import make_environment
from veille.adapters.site import MANIFEST
from veille.adapters.store import Store
from veille.app import make_app
from veille.core.site import ChartBar
from veille.core.site.charts import bar_chart
from veille.errors import RenderError, SiteError
from veille.jobs.site import SiteResult, build_site


@pytest.fixture
def built(tmp_path: Path) -> Iterator[tuple[Store, SiteResult, Path]]:
    settings = make_settings(tmp_path)
    store = Store.open(settings.database)
    populate(store, tmp_path)
    result = build_site(make_app(settings, now=NOW, store=store))
    yield store, result, tmp_path
    store.close()


class _Links(HTMLParser):
    """Collects every href/src and every id of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        if values.get("id"):
            self.ids.add(str(values["id"]))
        for name in ("href", "src"):
            if values.get(name) is not None:
                self.refs.append((tag, str(values[name])))


def parse(path: Path) -> _Links:
    links = _Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def snapshot(site: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(site)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in site.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }


# --------------------------------------------------------------------------------------------------
# What is there


def test_every_week_theme_format_and_source_has_its_page(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    site = result.out_dir
    assert result.index_path == site / "index.html" and result.index_path.is_file()
    for week in ("2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48"):
        assert (site / "weeks" / f"{week}.html").is_file()
    assert not (site / "weeks" / "2026-W49.html").exists()  # nothing published yet this week
    for name in ("themes/1.html", "themes/2.html", "themes/3.html", "formats/ai-learning.html",
                 "formats/mooc.html", "formats/podcast.html", "formats/other.html", "sources/1.html",
                 "sources/6.html", "search.html", "search/index.js", "search/2026-W48.js", "search.js",
                 "style.css", "atom.xml", "digests/2026-W47.html"):  # fmt: skip
        assert (site / name).is_file(), name
    assert result.pages == len(pages(site))
    assert result.written == len([p for p in site.rglob("*") if p.is_file() and p.name != MANIFEST])


def test_news_about_something_else_is_on_its_week_page_apart_and_on_no_format_page(
    built: tuple[Store, SiteResult, Path],
) -> None:
    """A general feed's story that veille process classified and found about something else: its week page
    lists it last, under "Hors apprentissage", and the "Autres formats" page does not (the digest leaves it
    out, the radar counts it nowhere); its theme is shown as no trend. Classifying it is enough for the
    next build to write its pages again."""
    store, _, tmp_path = built
    title = "Koike's party wins the Tokyo assembly vote"
    with store.transaction() as conn:
        add_theme(conn, 980, "Tokyo, assemblée", {"2026-W48": (1, 2, "new", ["tokyo", "assemblée"])})
        add_story(conn, 970, title, "https://news.example/970", "Japan news.", [1], at("2026-W48", 2),
                  theme=(980, "2026-W48"))  # fmt: skip
    site = build_site(make_app(make_settings(tmp_path), now=NOW, store=store)).out_dir
    week = (site / "weeks" / "2026-W48.html").read_text(encoding="utf-8")
    assert "Koike" in week and "Hors apprentissage" not in week  # not classified yet: "other", as before
    card = 'Tokyo, assemblée</a> <span class="badge'  # the theme's card or row, with its status
    assert card in week
    with store.transaction() as conn:  # veille process classifies it (no format): its pages are built again
        conn.execute("INSERT INTO classified (item_id, signature) VALUES (9700, 'sig')")
    result = build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    assert result.written > 0
    week = (site / "weeks" / "2026-W48.html").read_text(encoding="utf-8")
    assert "Hors apprentissage" in week and week.index("Autres formats") < week.index("Hors apprentissage")
    assert week.index("Hors apprentissage") < week.index("Koike")
    assert "Koike" not in (site / "formats" / "other.html").read_text(encoding="utf-8")
    # its theme, made of it alone, is no trend of the watch: not on the week page, not on the home page
    assert card not in week  # (its story still links it)
    assert "Tokyo, assemblée" not in (site / "index.html").read_text(encoding="utf-8")
    assert not (site / "formats" / "off-topic.html").exists()


def test_every_internal_link_and_anchor_resolves(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    site = result.out_dir
    parsed = {path: parse(path) for path in pages(site)}
    checked = 0
    for path, links in parsed.items():
        for tag, ref in links.refs:
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https"):
                continue
            assert parts.scheme in ("", "data"), f"{path.name}: {tag} {ref!r} is neither relative nor web"
            if parts.scheme == "data":
                continue
            assert not ref.startswith("/"), f"{path.name}: absolute path {ref!r} breaks file:// and prefixes"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file(), f"{path.relative_to(site)}: {ref!r} leads nowhere"
            assert site in target.parents, f"{path.relative_to(site)}: {ref!r} leaves the site"
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                assert parts.fragment in ids, f"{path.relative_to(site)}: anchor {ref!r} is missing"
            checked += 1
    assert checked > 500


def test_home_shows_the_latest_digest_trends_and_signals(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    home = result.index_path.read_text(encoding="utf-8")
    assert "Dernier digest" in home and "Semaine 48 · 2026" in home
    assert "IA générative, tuteurs" in home and "en hausse" in home
    assert "Open badges, certification" in home and "nouveau" in home
    assert "Signaux faibles" not in home  # no weak signal in the latest week
    assert home.index("IA générative, tuteurs") < home.index("Open badges, certification")  # biggest trend first


def test_theme_cards_say_how_many_sources_published_the_stories(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    week = (result.out_dir / "weeks" / "2026-W48.html").read_text(encoding="utf-8")
    assert "3 sujets publiés par 4 sources" in week  # not "3 sujets de 4 sources" (3 out of 4?)
    assert re.search(r"\d sujets? de \d", week) is None


def test_home_opens_with_the_digest_essentials_linked_to_their_pages(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    home = result.index_path.read_text(encoding="utf-8")
    assert home.index("L&#39;essentiel de la semaine") < home.index("Dernier digest")
    # each line links its theme, story or format on the site (the link test checks they resolve), and the
    # article it quotes, when that is a web link
    assert '<a href="themes/1.html">IA générative, tuteurs</a>' in home
    assert '<a href="weeks/2026-W48.html#s108">Tuteurs IA à l&#39;université</a>' in home
    assert '<a href="formats/credentials.html">Open badges</a>' in home
    assert '<a href="https://www.edsurge.com/news/ai-3">Lire</a>' in home
    assert "javascript:" not in home and "<img" not in home


def test_page_titles_name_the_site_once(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    home = result.index_path.read_text(encoding="utf-8")
    assert "<title>Veille DLM</title>" in home  # not "Veille digital learning — Veille DLM"
    week = (result.out_dir / "weeks" / "2026-W48.html").read_text(encoding="utf-8")
    assert re.search(r"<title>Semaine 48 · 2026 \([^)]*\) — Veille DLM</title>", week)


def test_a_story_anchor_lists_every_source_that_carried_it(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    week = result.out_dir / "weeks" / "2026-W48.html"
    html = week.read_text(encoding="utf-8")
    block = html[html.index('id="s108"') : html.index("</article>", html.index('id="s108"'))]
    for feed_id, name in ((1, "EdSurge"), (3, "eLearning Industry"), (4, "Learning Solutions"), (6, "Docebo Blog")):
        assert f'href="../sources/{feed_id}.html">{name}</a>' in block
    assert "4 sources" in block
    assert 'href="https://www.edsurge.com/news/ai-3?via=6"' in block
    # the digest's stories come first, under their own heading; the ungrouped item is there too
    assert html.index("Dans le digest") < html.index('id="s108"') < html.index("Tout le reste de la semaine")
    assert 'id="i9001"' in html and "Fresh item not yet processed" in html


def test_hostile_feed_content_never_reaches_a_page(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    site = result.out_dir
    for path in pages(site):
        if path.parent.name == "digests":
            continue  # the digest archive is its own renderer's output, tested there
        links = parse(path)
        scripts = [attrs.get("src") for tag, attrs in links.tags if tag == "script"]
        assert all(src and src.endswith(("search/index.js", "search.js", "audience.js")) for src in scripts), path
        for tag, attrs in links.tags:
            assert not any(name.startswith("on") for name in attrs), f"{path.name}: event handler on <{tag}>"
            for name in ("href", "src"):
                value = attrs.get(name) or ""
                assert not value.lower().startswith(("javascript:", "vbscript:")), path
    week = (site / "weeks" / "2026-W48.html").read_text(encoding="utf-8")
    assert "alert" not in week and "Badges &amp; numériques" in week
    assert all("alert" not in part.read_text(encoding="utf-8") for part in (site / "search").iterdir())
    assert HOSTILE not in week


def test_theme_page_has_a_timeline_with_status_changes_keywords_and_all_stories(
    built: tuple[Store, SiteResult, Path],
) -> None:
    _, result, _ = built
    html = (result.out_dir / "themes" / "1.html").read_text(encoding="utf-8")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count('<rect class="bar"') == 4  # W45 … W48
    assert svg.count('class="mark mark-new"') == 1
    assert svg.count('class="mark mark-steady"') == 1  # steady from W46, not marked again in W47
    assert svg.count('class="mark mark-rising"') == 1
    assert "Semaine 48 · 2026 : 3 sujets, en hausse" in svg
    assert "ia générative, tuteur, évaluation" in html  # latest keywords
    assert "chatbot, onboarding" in html  # keywords of an earlier week
    for title in ("AI tutors reach 40 community colleges", "Chatbots for onboarding: a field report"):
        assert title in html
    # newest week first
    assert html.index("Semaine 48 · 2026</a></h3>") < html.index("Semaine 45 · 2026</a></h3>")


def test_fading_theme_and_format_pages(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    theme = (result.out_dir / "themes" / "3.html").read_text(encoding="utf-8")
    assert 'class="mark mark-fading"' in theme and "en baisse" in theme
    # the chart runs on to the last week of the site, so the fade to nothing is visible
    assert theme.count('<rect class="bar"') == 6
    fmt = (result.out_dir / "formats" / "mooc.html").read_text(encoding="utf-8")
    assert fmt.count('<rect class="bar"') == 6 and "MOOC completion rates, part 4" in fmt
    assert "4 sujets" in fmt


def test_source_pages_show_health_history(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    moved = (result.out_dir / "sources" / "3.html").read_text(encoding="utf-8")
    assert "Déplacé" in moved and "https://elearningindustry.com/feed → https://elearningindustry.com/rss" in moved
    failing = (result.out_dir / "sources" / "4.html").read_text(encoding="utf-8")
    assert "HTTP 503 — server error (HTTP 503)" in failing and "timeout after 30 s" in failing
    assert "Lectures réussies : 6" in failing
    gone = (result.out_dir / "sources" / "6.html").read_text(encoding="utf-8")
    assert "supprimé (410)" in gone and "Fresh item not yet processed" in gone
    index = (result.out_dir / "sources" / "index.html").read_text(encoding="utf-8")
    assert index.index("Docebo Blog") < index.index("EdSurge")  # alphabetical


def test_week_page_links_the_archived_digest_when_it_exists(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    w47 = (result.out_dir / "weeks" / "2026-W47.html").read_text(encoding="utf-8")
    assert 'href="../digests/2026-W47.html"' in w47
    assert "Le digest S47" in (result.out_dir / "digests" / "2026-W47.html").read_text(encoding="utf-8")
    w48 = (result.out_dir / "weeks" / "2026-W48.html").read_text(encoding="utf-8")
    assert "digests/2026-W48.html" not in w48  # its archive is missing: subject only, no dead link
    assert "Veille DLM — semaine 48" in w48


def test_the_atom_feed_parses_and_lists_the_weeks(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    feed = feedparser.parse((result.out_dir / "atom.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    titles = [entry.title for entry in feed.entries]
    assert titles[:2] == ["Veille DLM — semaine 48", "Veille DLM — semaine 47"]
    assert len(feed.entries) == 6
    assert any("Semaine 43 · 2026" in title for title in titles)
    by_id = {entry.id.rsplit(":", 1)[-1]: entry for entry in feed.entries}
    assert by_id["2026-W47"].link.endswith("digests/2026-W47.html")
    assert by_id["2026-W48"].link.endswith("weeks/2026-W48.html")
    assert "MOOC, complétion (stable)" in by_id["2026-W43"].summary  # no digest: the week's top themes
    assert by_id["2026-W47"].updated.startswith("2026-11-23")  # built the Monday after


def test_search_index_is_scripts_in_pieces_with_every_story(built: tuple[Store, SiteResult, Path]) -> None:
    _, result, _ = built
    folder = result.out_dir / "search"

    def payload(script: str, prefix: str) -> dict[str, list[Any]]:
        assert script.startswith(prefix), script[:80]
        loaded: dict[str, list[Any]] = json.loads(script[len(prefix) :].rstrip().rstrip(";"))
        return loaded

    parts = payload((folder / "index.js").read_text(encoding="utf-8"), "window.VEILLE_SEARCH = ")["parts"]
    assert parts[:3] == ["2026-W48", "2026-W47", "2026-W46"]  # newest first: the first search reads these
    assert sorted(p.name for p in folder.iterdir()) == sorted(["index.js", *(f"{name}.js" for name in parts)])
    stories, sources = [], {}
    for name in parts:
        target = f'(window.VEILLE_SEARCH_PARTS = window.VEILLE_SEARCH_PARTS || {{}})["{name}"] = '
        piece = payload((folder / f"{name}.js").read_text(encoding="utf-8"), target)
        for row in piece["stories"]:
            stories.append(row)
            sources[row[0]] = [piece["sources"][i] for i in row[5]]
    titles = [row[0] for row in stories]
    assert len(titles) == 50  # 18 stories, 31 video and serious-game stories (format radar), the ungrouped item
    row = stories[titles.index("Open Badges 3.0 adopted by a European network")]
    assert row[1] == "weeks/2026-W48.html#s112"
    assert sources[row[0]] == ["Le Café pédagogique", "Thot Cursus"]
    assert "Open badges, certification" in row[6]


def test_english_site(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, language="en")
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        result = build_site(make_app(settings, now=NOW, store=store))
    home = result.index_path.read_text(encoding="utf-8")
    assert '<html lang="en">' in home and ">Weeks</a>" in home and "Latest digest" in home
    week = (result.out_dir / "weeks" / "2026-W48.html").read_text(encoding="utf-8")
    assert "23–29 Nov 2026" in week and "Week 48 · 2026" in week and "In the digest" in week
    assert "3 stories published by 4 sources" in week


def test_an_empty_database_gives_a_small_honest_site(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        result = build_site(make_app(settings, now=NOW, store=store))
    assert "La veille est encore vide" in result.index_path.read_text(encoding="utf-8")
    assert feedparser.parse((result.out_dir / "atom.xml").read_bytes()).bozo == 0


# --------------------------------------------------------------------------------------------------
# Incremental and atomic writes


def test_a_rebuild_with_nothing_changed_rewrites_nothing(built: tuple[Store, SiteResult, Path]) -> None:
    store, result, tmp_path = built
    before = snapshot(result.out_dir)
    again = build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    assert again.written == 0 and again.unchanged == len(before) and again.removed == 0
    assert snapshot(result.out_dir) == before


def test_a_changed_story_rewrites_only_the_pages_showing_it(built: tuple[Store, SiteResult, Path]) -> None:
    store, result, tmp_path = built
    before = snapshot(result.out_dir)
    with store.transaction() as conn:  # the source corrected the title of a MOOC story of W45, seen by a fetch
        conn.execute("UPDATE items SET title = 'MOOC completion rates: the corrected figures' WHERE id = 1040")
        conn.execute("INSERT INTO feed_events (feed_id, at, kind, status) VALUES (2, ?, 'ok', 200)", (NOW.isoformat(),))
    again = build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    after = snapshot(result.out_dir)
    rewritten = {path for path in after if after[path] != before.get(path)}
    assert rewritten == {
        "weeks/2026-W45.html",
        "themes/3.html",
        "formats/mooc.html",
        "sources/2.html",
        "search/2026-W45.js",
    }
    assert again.written == len(rewritten)
    assert "the corrected figures" in (result.out_dir / "themes" / "3.html").read_text(encoding="utf-8")


def test_pages_of_things_that_disappeared_are_removed(built: tuple[Store, SiteResult, Path]) -> None:
    store, result, tmp_path = built
    with store.transaction() as conn:
        conn.execute("DELETE FROM themes WHERE id = 3")
    again = build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    assert again.removed == 1
    assert not (result.out_dir / "themes" / "3.html").exists()
    assert "themes/3.html" not in (result.out_dir / "themes" / "index.html").read_text(encoding="utf-8")


def test_the_site_is_swapped_in_whole_and_nothing_is_left_beside_it(built: tuple[Store, SiteResult, Path]) -> None:
    store, result, tmp_path = built
    with store.transaction() as conn:  # a fetch brought a corrected title
        conn.execute("UPDATE items SET title = 'Changed' WHERE id = 1010")
        conn.execute("INSERT INTO feed_events (feed_id, at, kind, status) VALUES (1, ?, 'ok', 200)", (NOW.isoformat(),))
    build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    leftovers = [p.name for p in result.out_dir.parent.iterdir() if p.name.startswith(".site.")]
    assert leftovers == []
    manifest = json.loads((result.out_dir / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == set(snapshot(result.out_dir))


def test_a_build_killed_between_the_two_renames_is_repaired(built: tuple[Store, SiteResult, Path]) -> None:
    store, result, tmp_path = built
    site = result.out_dir
    os.rename(site, site.parent / ".site.old-crashed")  # as if killed right after renaming the old site away
    (site.parent / ".site.new-crashed").mkdir()  # and a half-built staging folder
    again = build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    assert again.written == 0  # the old site was restored, and it was up to date
    assert sorted(p.name for p in site.parent.iterdir() if p.name.startswith(".site")) == []
    assert (site / "index.html").is_file()


def test_a_page_that_fails_to_render_midway_leaves_the_site_as_it_was(
    built: tuple[Store, SiteResult, Path],
) -> None:
    """Files go into the new folder as they are rendered: a template that breaks on a late page (the
    sources come after the weeks, themes and formats) leaves the published site untouched and nothing
    half-written beside it."""
    store, result, tmp_path = built
    before = snapshot(result.out_dir)
    user = tmp_path / "templates" / "site"
    user.mkdir(parents=True)
    (user / "source.html").write_text("{{ view.name.no_such_thing.again }}", encoding="utf-8")
    with pytest.raises(RenderError, match=r"source\.html"):
        build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    assert snapshot(result.out_dir) == before
    assert [p.name for p in result.out_dir.parent.iterdir() if p.name.startswith(".site.")] == []


def test_another_build_in_progress_keeps_its_folder_and_a_dead_one_s_is_tidied(
    built: tuple[Store, SiteResult, Path],
) -> None:
    """A large site takes minutes to fill its new folder: a build started beside it (``veille site`` while
    ``veille run`` builds) must not delete it; a folder left by a build that was killed is removed."""
    store, result, tmp_path = built
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    live = result.out_dir.parent / f".site.new-{os.getppid()}-abc"
    dead = result.out_dir.parent / f".site.new-{int(done.stdout)}-def"
    for folder in (live, dead):
        folder.mkdir()
        (folder / "index.html").write_text("half written", encoding="utf-8")
    with store.transaction() as conn:
        conn.execute("UPDATE items SET title = 'Changed' WHERE id = 1010")
        conn.execute("INSERT INTO feed_events (feed_id, at, kind, status) VALUES (1, ?, 'ok', 200)", (NOW.isoformat(),))
    build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    assert (live / "index.html").read_text(encoding="utf-8") == "half written"
    assert not dead.exists()


def test_a_folder_veille_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    precious = tmp_path / "Documents"
    precious.mkdir()
    (precious / "thesis.odt").write_bytes(b"years of work")
    with Store.open(settings.database) as store, pytest.raises(SiteError, match="did not write"):
        build_site(make_app(settings, now=NOW, store=store), out_dir=precious)
    assert (precious / "thesis.odt").read_bytes() == b"years of work"


def test_a_user_template_overrides_one_page_and_keeps_autoescape(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    user = tmp_path / "templates" / "site"
    user.mkdir(parents=True)
    (user / "source.html").write_text(
        '{% extends "site/base.html" %}{% block main %}<h1 class="mine">{{ view.name }}</h1>{% endblock %}',
        encoding="utf-8",
    )
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        with store.transaction() as conn:
            conn.execute("UPDATE feeds SET name = '<b>Bold</b> & co' WHERE id = 1")
        result = build_site(make_app(settings, now=NOW, store=store))
    page = (result.out_dir / "sources" / "1.html").read_text(encoding="utf-8")
    assert '<h1 class="mine">Bold &amp; co</h1>' in page
    assert "<b>" not in page
    assert 'class="story"' in (result.out_dir / "weeks" / "2026-W48.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# The chart on its own


def test_the_chart_is_built_from_numbers_and_escaped_labels_only() -> None:
    bars = (
        ChartBar("S1", "<script>alert(1)</script>", 3, "new"),
        ChartBar("S2", "two", 0),
        ChartBar("S3", 'q"uote', 6, "fading"),
    )
    frame = bar_chart(bars, chart_id="c1", title="T & <b>", desc="d")
    macros = make_environment(None).get_template("site/macros.html").make_module({"t": None, "d": None, "root": ""})
    svg = str(macros.bar_chart(frame))  # the macro the theme and format pages draw their timeline with
    assert svg.startswith('<svg class="chart" id="c1"') and svg.endswith("</svg>") and "\n" not in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "T &amp; &lt;b&gt;" in svg
    assert re.findall(r'<rect class="bar" x="\d+" y="(\d+)" width="28" height="(\d+)"', svg) == [
        ("73", "55"),
        ("128", "0"),
        ("18", "110"),
    ]
    assert 'aria-labelledby="c1-t c1-d"' in svg and svg.count("<polygon") == 1 and svg.count("<circle") == 1


def test_a_rebuild_with_nothing_new_answers_without_reading_the_history(
    built: tuple[Store, SiteResult, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, result, tmp_path = built
    before = snapshot(result.out_dir)

    def no_history(*args: object, **kwargs: object) -> None:
        raise AssertionError("the history was read although nothing changed")

    with monkeypatch.context() as patch:
        patch.setattr("veille.adapters.site_store.SiteReader.load_site", no_history)
        again = build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    assert (again.written, again.unchanged, again.removed, again.pages) == (0, len(before), 0, result.pages)
    assert snapshot(result.out_dir) == before

    (result.out_dir / "themes" / "3.html").unlink()  # a page lost by hand is rebuilt
    again = build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    assert again.written == 1 and (result.out_dir / "themes" / "3.html").is_file()

    user = tmp_path / "templates" / "site"  # a user template added after the build is used at once
    user.mkdir(parents=True)
    (user / "story_row.html").write_text('<li class="mine">{{ story.title }}</li>\n', encoding="utf-8")
    again = build_site(make_app(make_settings(tmp_path), now=NOW, store=store))
    assert again.written > 0 and 'class="mine"' in (result.out_dir / "themes" / "3.html").read_text(encoding="utf-8")

    # a new week: the radar moves on
    later = build_site(
        make_app(make_settings(tmp_path), now=NOW + timedelta(days=7), store=store)
    )  # a new week: the radar moves on
    assert later.written > 0 and "formats/index.html" in snapshot(result.out_dir)


def test_a_format_s_and_a_source_s_page_list_recent_weeks_and_older_years_on_pages_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long watch: a format's page lists the last weeks' stories and links one page per older year; every
    story is on exactly one of them, and every link of the split pages resolves."""
    import veille.core.site.pages as site_pages

    monkeypatch.setattr(site_pages, "LIST_RECENT_WEEKS", 2)  # the watch of the test data is a few weeks long
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        result = build_site(make_app(settings, now=NOW, store=store))
    site = result.out_dir
    page = (site / "formats" / "mooc.html").read_text(encoding="utf-8")
    assert "Les sujets des 2 dernières semaines" in page and "Sujets plus anciens, par année" in page
    archive = site / "formats" / "mooc-archive-2026.html"
    assert 'href="../formats/mooc-archive-2026.html"' in page
    older = archive.read_text(encoding="utf-8")
    assert "<h1>MOOC · 2026</h1>" in older and 'href="../formats/mooc.html"' in older

    def stories(html: str) -> list[str]:
        return re.findall(r'<li data-audience="[^"]*"><a href="\.\./weeks/[^"#]+#(\w+)"', html)

    listed = stories(page) + stories(older)
    assert len(listed) == len(set(listed)) > 0 and not set(stories(page)) & set(stories(older))
    assert (site / "sources" / "1-archive-2026.html").is_file()
    # MOOCs had no story in the last 2 weeks: the page says so above the links to its older years
    assert not stories(page) and page.index("Aucun sujet ces semaines-là.") < page.index("mooc-archive-2026.html")
    for path in [*site.glob("formats/*archive*.html"), *site.glob("sources/*archive*.html")]:
        for _, ref in parse(path).refs:
            if not urlsplit(ref).scheme and urlsplit(ref).path:
                assert (path.parent / unquote(urlsplit(ref).path)).resolve().is_file(), f"{path.name}: {ref}"


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_a_format_s_yearly_page_reads_well_on_a_phone_and_a_desktop(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    browser: Any,  # noqa: F811 (the fixture of test_site_browser)
    width: int,
) -> None:
    """A format's page with its years' links and the years' pages, in real chromium: no error, no overflow."""
    import veille.core.site.pages as site_pages

    monkeypatch.setattr(site_pages, "LIST_RECENT_WEEKS", 2)
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        site = build_site(make_app(settings, now=NOW, store=store)).out_dir
    for path in ("formats/mooc.html", "formats/mooc-archive-2026.html", "sources/1-archive-2026.html"):
        page = reads_well(browser, site, path, width)
        assert page.locator("h1").count() == 1
        page.close()
