"""The built site in a real headless Chromium, from file://: no console error, search works, keyboard and phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, need_real_part
from tests.test_site_support import NOW, make_settings, populate
from veille.adapters.store import Store
from veille.site_job import SiteResult, build_site

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
        return build_site(store, settings, NOW)


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
def test_a_query_in_the_address_fills_the_search_from_file(site: SiteResult, browser: Any) -> None:
    page, problems = open_page(browser, (site.out_dir / "search.html").as_uri() + "?q=chatbots")
    page.locator("#search-results a", has_text="Chatbots for onboarding: a field report").wait_for(timeout=5000)
    assert page.get_by_label("Rechercher dans la veille").input_value() == "chatbots"
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
    assert page.url.endswith("#main")
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
