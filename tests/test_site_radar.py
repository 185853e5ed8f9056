"""The site's format radar: the formats page (heatmap, its table of numbers, one sparkline and status per
format) and each format's page (timeline, status, the themes carrying it), from a real SQLite file, in a
real headless Chromium from file://, and as golden files at a fixed clock.

The site's six weeks (tests/test_site_support.py) make video rise (1 story a week, then 4 and 6 from
every source) and serious games fade (4 a week, then 1, then none).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.test_site_browser import ARTIFACTS, no_horizontal_scroll, open_page
from tests.test_site_browser import browser as browser
from tests.test_site_support import NOW, make_settings, populate
from veille.adapters.store import Store
from veille.app import make_app
from veille.jobs.site import SiteResult, build_site

GOLDEN = Path(__file__).parent / "data" / "golden"


def build(tmp_path: Path, language: str) -> SiteResult:
    settings = make_settings(tmp_path, language=language)
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        return build_site(make_app(settings, now=NOW, store=store))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteResult]:
    yield build(tmp_path_factory.mktemp("radar-site"), "fr")


def main_part(path: Path) -> str:
    """The page's <main>, where the radar lives (the header and footer are tested elsewhere)."""
    text = path.read_text(encoding="utf-8")
    return text[text.index("<main") : text.index("</main>") + len("</main>")]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_formats_page_matches_the_golden_file(tmp_path: Path, language: str) -> None:
    """Fixed clock, fixed data: the same radar on every machine (UPDATE_GOLDEN=1 rewrites)."""
    produced = main_part(build(tmp_path, language).out_dir / "formats" / "index.html")
    golden = GOLDEN / f"site_formats_{language}.html"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8"), f"{golden.name} differs"


def test_the_radar_gives_each_format_its_status_share_and_reason(site: SiteResult) -> None:
    html = (site.out_dir / "formats" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<li class="radar-row">(.*?)</li>', html, re.S)
    heads = [re.sub(r"<[^>]+>", "", re.search(r'radar-head">(.*?)</p>', row, re.S)[1]).strip() for row in rows]  # type: ignore[index]
    assert heads[0] == "Vidéo en hausse"  # rising first
    assert heads[1] == "Serious games et gamification en baisse"
    assert heads[-1] == "Autres formats stable"  # other formats last
    assert len(rows) == 17  # every format of the taxonomy, with or without stories
    video = rows[0]
    # 6 video stories of the 13 stories of week 48 (the site's week page counts them the same way)
    assert ">6 sujets · 46\u00a0%<" in video
    assert "6 sujets publiés par 6 sources\u00a0; x5,0 sur les 2 dernières semaines" in video
    assert 'aria-label="Vidéo, S37 – S48 : 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 4, 6"' in video
    week = (site.out_dir / "weeks" / "2026-W48.html").read_text(encoding="utf-8")
    assert "13 sujets" in week
    assert "Aucun sujet cette semaine, contre 4,0 par semaine" in rows[1]


def test_a_format_page_shows_its_status_timeline_and_the_themes_carrying_it(site: SiteResult) -> None:
    ai = main_part(site.out_dir / "formats" / "ai-learning.html")
    assert "Les thèmes qui le portent" in ai
    assert re.search(r'href="\.\./themes/1\.html">[^<]+</a> <span class="meta">· 6 sujets</span>', ai)
    video = main_part(site.out_dir / "formats" / "video.html")
    assert '<span class="badge status-rising">en hausse</span>' in video
    assert 'class="mark mark-rising"' in video  # the week it started rising is marked on its timeline
    assert "Aucun de ses sujets de ces semaines n&#39;appartient à un thème." in video


@pytest.mark.slow
@pytest.mark.parametrize(("width", "scheme"), [(1024, "light"), (375, "dark")])
def test_the_radar_works_from_file_on_a_desktop_and_a_phone(
    site: SiteResult,
    browser: Any,
    width: int,
    scheme: str,
) -> None:
    page, problems = open_page(browser, (site.out_dir / "formats" / "index.html").as_uri(), width=width, scheme=scheme)
    try:
        heatmap = page.locator("svg#radar-heatmap")
        assert heatmap.get_attribute("role") == "img"
        assert "17 formats sur 12 semaines" in page.locator("#radar-heatmap-d").text_content()
        cells = page.locator("svg#radar-heatmap g.heat")
        assert cells.count() == 17 * 12
        assert page.locator("svg#radar-heatmap g.heat-0").count() > 0
        # the darkest cells are the video weeks with the largest shares, and they hold their number
        assert page.locator("svg#radar-heatmap g.heat-5 text").first.text_content() in {"4", "6"}
        # the numbers behind it: a real table, rows and columns headed, one cell per format and week
        page.locator("details summary").first.click()
        table = page.locator("table.heat-table")
        assert table.is_visible()
        assert table.locator("th[scope=row]").count() == 18  # 17 formats and the week's stories
        assert table.locator("thead th[scope=col]").count() == 1 + 12 + 1
        first_row = [c.inner_text() for c in table.locator("tbody tr").first.locator("td").all()]
        assert first_row == ["0", "0", "0", "0", "0", "0", "1", "1", "1", "1", "4", "6", "en hausse"]
        assert page.locator("svg.spark").count() == 17
        assert page.locator("svg.spark").first.get_attribute("aria-label", timeout=1000).startswith("Vidéo")
        no_horizontal_scroll(page)  # the heatmap scrolls inside its own box on a phone
        box = page.locator(".chart-scroll").first.bounding_box()
        assert box is not None and box["width"] <= width
        page.locator("a", has_text="Vidéo").first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("formats/video.html")
        assert page.locator("h1 .badge").inner_text() == "en hausse"
        no_horizontal_scroll(page)
        page.go_back()
        page.screenshot(path=str(ARTIFACTS / f"formats-radar-{width}-{scheme}.png"), full_page=True)
        assert problems == []
    finally:
        page.close()


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("fr", "Trop tôt pour juger\u00a0: 0 semaine de veille, il en faut 5 pour qu'un statut ait un sens."),
        ("en", "Too early to tell: 0 weeks of watch, 5 are needed before a status means anything."),
    ],
)
def test_a_new_watch_says_it_is_too_early_in_a_real_sentence(tmp_path: Path, language: str, sentence: str) -> None:
    """No "semaine(s)": the language's own plural rule picks the word (French: 0 takes the singular)."""
    settings = make_settings(tmp_path, language=language)
    with Store.open(settings.database) as store:
        site = build_site(make_app(settings, now=NOW, store=store))
    html = (site.out_dir / "formats" / "index.html").read_text(encoding="utf-8")
    reason = re.search(r'<p class="reason">(.*?)</p>', html, re.S)[1]  # type: ignore[index]
    assert unescape(reason.strip()) == sentence
