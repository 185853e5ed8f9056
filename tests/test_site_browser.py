"""The built site in a real headless Chromium, from file://: no console error, search works, keyboard and phone."""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, need_real_part
from tests.test_site_support import NOW, make_settings, populate
from veille.adapters.store import Store
from veille.app import make_app
from veille.jobs.site import SiteResult, build_site

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "site"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> SiteResult:
    tmp_path = tmp_path_factory.mktemp("site-browser")
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        return build_site(make_app(settings, now=NOW, store=store))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    need_real_part(CHROMIUM.exists(), f"Debian chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser: Any, url: str, *, width: int = 1024, scheme: str = "light") -> tuple[Any, list[str]]:
    """A page at ``url`` with every console error, page error and failed request collected."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, problems


def no_horizontal_scroll(page: Any) -> None:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, f"horizontal overflow: {scroll} > {client}"


# Every word of the page (letters and digits, 2 to 24 characters: not a URL) drawn on one line: a word
# whose pieces sit on two lines was broken mid-word ("Sujet s" in a table header, "nouvea u" in a badge).
BROKEN_WORDS = r"""() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('svg, script, .visually-hidden, .skip') || !el.getClientRects().length) continue;
    const words = /\S+/g;
    for (let m = words.exec(node.data); m !== null; m = words.exec(node.data)) {
      const lead = m[0].match(/^[^\p{L}\p{N}]*/u)[0].length;
      const word = m[0].slice(lead).replace(/[^\p{L}\p{N}]+$/u, '');
      if (word.length < 2 || word.length > 24 || !/^[\p{L}\p{N}'’]+$/u.test(word)) continue;
      range.setStart(node, m.index + lead);
      range.setEnd(node, m.index + lead + word.length);
      const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
      if (rects.some(r => r.top > rects[0].top + 1)) {
        broken.push(`"${word}" in <${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}>`);
      }
    }
  }
  return broken;
}"""

# Text that spills out of its box onto its neighbour: a cell, badge or heading wider inside than outside,
# a badge sticking out of its cell or heading, two cells of a table row over each other.
OVERLAPS = """() => {
  const found = [];
  const name = el => `<${el.tagName.toLowerCase()}> ${el.textContent.trim().slice(0, 40)}`;
  for (const el of document.querySelectorAll('th, td, .badge, .card, h1, h2, h3, h4')) {
    if (el.scrollWidth > el.clientWidth + 1) found.push(`spills: ${name(el)}`);
  }
  for (const badge of document.querySelectorAll('.badge')) {
    const box = badge.parentElement.getBoundingClientRect(), r = badge.getBoundingClientRect();
    if (r.left < box.left - 1 || r.right > box.right + 1) found.push(`sticks out: ${name(badge)}`);
  }
  for (const row of document.querySelectorAll('tr')) {
    const cells = Array.from(row.children).map(c => c.getBoundingClientRect());
    for (let i = 1; i < cells.length; i++) {
      if (cells[i].left < cells[i - 1].right - 1) found.push(`cells overlap: ${name(row)}`);
    }
  }
  return found;
}"""


def reads_well(browser: Any, site: Path, path: str, width: int) -> Any:
    """The page ``path`` of the site opened from file:// at ``width`` pixels, checked as a reader would:
    no console error or failed load, no horizontal scroll, no word broken across lines, no text overlapping
    its neighbour. Returns the open page (the caller closes it)."""
    page, problems = open_page(browser, (site / path).as_uri(), width=width)
    assert problems == [], path
    no_horizontal_scroll(page)
    assert page.evaluate(BROKEN_WORDS) == [], f"{path} at {width}px: words broken across lines"
    assert page.evaluate(OVERLAPS) == [], f"{path} at {width}px: text overlaps"
    return page


@pytest.mark.slow
def test_home_theme_format_and_search_load_from_file_without_errors(site: SiteResult, browser: Any) -> None:
    root = site.out_dir
    for name, path in (
        ("home", "index.html"),
        ("theme", "themes/1.html"),
        ("format", "formats/ai-learning.html"),
        ("source", "sources/3.html"),
        ("week", "weeks/2026-W48.html"),
        ("search", "search.html"),
    ):
        page, problems = open_page(browser, (root / path).as_uri())
        assert problems == [], f"{path}: {problems}"
        assert page.locator("h1").count() == 1, path
        assert page.locator("main").count() == 1 and page.locator("nav").count() >= 1
        if name == "theme":
            chart = page.locator("svg.chart")
            assert chart.is_visible() and chart.bounding_box()["height"] > 80
            assert page.locator("svg.chart rect.bar").count() == 4
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        page.close()
    assert (ARTIFACTS / "home.png").stat().st_size > 10_000


@pytest.mark.slow
def test_typing_a_query_shows_the_expected_story_and_leads_to_it(site: SiteResult, browser: Any) -> None:
    page, problems = open_page(browser, (site.out_dir / "search.html").as_uri())
    page.get_by_label("Rechercher dans la veille").fill("open badges EUROPÉAN")  # accents and case do not matter
    result = page.locator("#search-results a", has_text="Open Badges 3.0 adopted by a European network")
    result.wait_for(timeout=5000)
    assert page.locator("#search-results li").count() == 1
    assert "1 sujet trouvé" in page.locator("#search-status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)

    # a source name and a format name find stories too
    page.get_by_label("Rechercher dans la veille").fill("Learning Solutions podcast")
    page.locator("#search-status", has_text="6 sujets trouvés").wait_for(timeout=5000)

    page.get_by_label("Rechercher dans la veille").fill("open badges EUROPÉAN")
    result.wait_for(timeout=5000)
    result.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("weeks/2026-W48.html#s112")
    story = page.locator("#s112")
    assert story.is_visible() and story.evaluate("el => el.matches(':target')")
    assert problems == []
    page.close()


@pytest.mark.slow
def test_the_site_search_reads_the_query_language_of_veille_search(site: SiteResult, browser: Any) -> None:
    """Whole words ("ia" is not found inside "social"), prefixes, phrases, OR and words left out, as
    `veille search` reads them; a query being typed (a phrase not closed yet) shows results, no error."""
    page, problems = open_page(browser, (site.out_dir / "search.html").as_uri())
    box = page.get_by_label("Rechercher dans la veille")
    status = page.locator("#search-status")

    def results(query: str) -> list[str]:
        status.evaluate("el => { el.textContent = ''; }")
        box.fill(query)
        page.wait_for_function("() => document.querySelector('#search-status').textContent !== ''", timeout=5000)
        return [text.lower() for text in page.locator("#search-results li").all_inner_texts()]

    badges = results("badges")
    assert badges and all("badges" in text for text in badges)
    assert results("badge") == [] or len(results("badge")) < len(results("badge*"))
    assert len(results("badge*")) >= len(badges)
    european = "open badges 3.0 adopted by a european network"
    assert any(european in text for text in results('"open badges"'))
    assert not any(european in text for text in results("badges -european"))
    assert len(results("badges -european")) == len(badges) - sum(european in text for text in badges)
    either = results("chatbots OR podcast")
    assert len(either) >= max(len(results("chatbots")), len(results("podcast"))) > 0
    ia = results("ia")
    assert ia  # the word, never a part of another one ("social", "média")
    for text in ia:
        assert " ia " in f" {' '.join(''.join(c if c.isalnum() else ' ' for c in text).split())} ", text
    # the French "j'ai" is one word: "ai" finds AI, not every French first person
    learned = "ce que j'ai appris"
    assert not any(learned in text for text in results('"ai appris"'))
    assert any(learned in text for text in results('"j’ai appris"'))
    assert results('"open bad') != []  # being typed
    # a word left out is no side of an OR: still left out; a stray ")" does not end the query
    assert not any(european in text for text in results("badges OR -european"))
    assert results("badges ) -european") == results("badges -european")
    assert results("-badges") == [] and "Ajoutez un mot" in status.inner_text()
    assert problems == []
    page.close()


@pytest.mark.slow
def test_a_query_in_the_address_fills_the_search_from_file(site: SiteResult, browser: Any) -> None:
    page, problems = open_page(browser, (site.out_dir / "search.html").as_uri() + "?q=chatbots")
    page.locator("#search-results a", has_text="Chatbots for onboarding: a field report").wait_for(timeout=5000)
    assert page.get_by_label("Rechercher dans la veille").input_value() == "chatbots"
    assert problems == []
    page.close()


@pytest.mark.slow
def test_the_first_search_on_a_large_site_reads_only_the_newest_weeks(tmp_path: Path, browser: Any) -> None:
    """A year of a big watch: a common word stops after the newest weeks with a hundred results; a word
    found nowhere reads every week before saying so; both from file://."""
    spec = importlib.util.spec_from_file_location("bench_site", ROOT / "bench" / "site.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        bench.populate(store, 6000, 12, random.Random(7))
        site = build_site(make_app(settings, now=datetime(2026, 11, 30, 6, 0, tzinfo=UTC), store=store))
    pieces = sorted((site.out_dir / "search").glob("*-W*.js"))
    assert len(pieces) == 12
    page, problems = open_page(browser, (site.out_dir / "search.html").as_uri())
    page.get_by_label("Rechercher dans la veille").fill("learning")
    page.locator("#search-status", has_text="100+ sujets trouvés. Les 100 plus récents sont affichés.").wait_for(
        timeout=10000
    )
    assert page.locator("#search-results li").count() == 100
    read = page.evaluate("Object.keys(window.VEILLE_SEARCH_PARTS)")
    assert read == ["2026-W48"]  # one week of twelve
    size = (site.out_dir / "search" / "2026-W48.js").stat().st_size
    assert size < sum(piece.stat().st_size for piece in pieces) / 8

    page.get_by_label("Rechercher dans la veille").fill("zzzz")
    page.locator("#search-status", has_text="Aucun sujet ne correspond.").wait_for(timeout=10000)
    assert len(page.evaluate("Object.keys(window.VEILLE_SEARCH_PARTS)")) == 12
    assert problems == []
    page.close()

    # a second search starting while the first still waits for a piece: each piece read once, none skipped
    page, problems = open_page(browser, (site.out_dir / "search.html").as_uri())
    page.evaluate(
        """() => {
            const input = document.querySelector('#search-form input');
            input.value = 'zzzz';
            for (const _ of [1, 2]) { input.form.requestSubmit(); }
        }"""
    )
    page.locator("#search-status", has_text="Aucun sujet ne correspond.").wait_for(timeout=10000)
    sources = page.evaluate("[...document.scripts].map(s => s.getAttribute('src')).filter(s => s && s.includes('-W'))")
    assert len(sources) == len(set(sources)) == 12, sources
    assert problems == []
    page.close()


@pytest.mark.slow
def test_keyboard_reaches_the_content_with_a_visible_focus(site: SiteResult, browser: Any) -> None:
    page, _ = open_page(browser, (site.out_dir / "index.html").as_uri())
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible() and skip.bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#main'", timeout=5000)  # the jump is not instant under load
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "the focused link shows no outline"
    page.close()


@pytest.mark.slow
@pytest.mark.parametrize(("width", "scheme"), [(320, "light"), (375, "dark"), (1280, "light")])
def test_pages_fit_a_phone_and_follow_the_colour_scheme(
    site: SiteResult, browser: Any, width: int, scheme: str
) -> None:
    for path in ("index.html", "weeks/2026-W48.html", "themes/1.html", "sources/3.html"):
        page, problems = open_page(browser, (site.out_dir / path).as_uri(), width=width, scheme=scheme)
        assert problems == []
        no_horizontal_scroll(page)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(17, 24, 39)") == (scheme == "dark"), background
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16
        if path == "weeks/2026-W48.html":
            page.screenshot(path=str(ARTIFACTS / f"week-{width}-{scheme}.png"), full_page=True)
        page.close()


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_words_stay_whole_and_no_text_overlaps_on_a_phone_and_a_desktop(
    site: SiteResult, browser: Any, width: int
) -> None:
    """Table headers and badges used to break mid-word on a phone ("Sujet s", "nouvea u")."""
    for path in (
        "index.html",
        "weeks/2026-W48.html",
        "weeks/index.html",
        "themes/index.html",
        "themes/1.html",
        "formats/index.html",
        "formats/ai-learning.html",
        "sources/index.html",
        "sources/3.html",
    ):
        page = reads_well(browser, site.out_dir, path, width)
        name = path.replace("/", "-").removesuffix(".html")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        page.close()
