"""The digest's HTML in a real headless Chromium: readable on a phone and a desktop, nothing sticks out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, need_real_part
from tests.test_digest_support import NOW, WEEK, make_settings, populate
from tests.test_site_browser import BROKEN_WORDS
from veille.adapters.store import Store
from veille.app import make_app
from veille.jobs.digest import build_digest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


@pytest.mark.slow
def test_digest_fits_phone_and_desktop_widths_without_horizontal_scroll(tmp_path: Path) -> None:
    need_real_part(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        # a hostile title with long unbroken text is the usual cause of overflow on a phone
        populate(store, hostile_title="Supercalifragilistic" * 8 + " <script>alert(1)</script>")
        result = build_digest(make_app(settings, now=NOW, store=store), WEEK)
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            for width, scheme in ((320, "light"), (375, "light"), (375, "dark"), (1024, "light")):
                page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
                page.goto(result.html_path.as_uri())
                scroll, client = page.evaluate(
                    "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                )
                assert scroll <= client, f"horizontal overflow at {width}px: {scroll} > {client}"
                assert page.evaluate(BROKEN_WORDS) == [], f"words broken across lines at {width}px"
                # the heading and the top story are visible, in a readable size
                assert page.get_by_role("heading", name="Tendances").is_visible()
                link = page.get_by_role("link", name="AI tutors reach 40 community colleges")
                assert link.get_attribute("href") == "https://www.edsurge.com/news/ai-tutors-colleges"
                size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.summary')).fontSize)")
                assert size >= 14
                suffix = "" if scheme == "light" else "-dark"
                page.screenshot(path=str(ARTIFACTS / f"digest-{width}{suffix}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert (ARTIFACTS / "digest-375.png").stat().st_size > 10_000
