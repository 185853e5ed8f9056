"""The site's audience filter in a real headless Chromium, from file://: rows and articles of other
audiences are hidden, general ones stay, the audience is shown on rows, and the choice follows the reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_site_browser import ARTIFACTS, browser, open_page
from tests.test_site_support import NOW, make_settings, populate
from veille.adapters.store import Store
from veille.app import make_app
from veille.jobs.site import build_site

__all__ = ["browser"]  # the fixture used below

AUDIENCES = {
    "AI tutors reach 40 community colleges": "higher-ed",
    "Generative AI coaches for sales onboarding": "corporate",
    "Chatbots for onboarding: a field report": "corporate",
}


@pytest.mark.slow
def test_the_audience_filter_hides_other_audiences_on_every_page_from_file(tmp_path: Path, browser: Any) -> None:
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        with store.transaction() as conn:
            for title, audience in AUDIENCES.items():
                conn.execute(
                    "INSERT INTO item_audiences (item_id, audience, source, score, signature)"
                    " SELECT id, ?, 'feed', 1.0, 's' FROM items WHERE title = ?",
                    (audience, title),
                )
        site = build_site(make_app(settings, now=NOW, store=store))

    theme, problems = open_page(browser, (site.out_dir / "themes" / "1.html").as_uri())
    assert problems == []

    def row(title: str) -> Any:
        return theme.locator("li[data-audience]", has_text=title)

    college, sales = row("AI tutors reach 40 community colleges"), row("Generative AI coaches for sales onboarding")
    general = row("Tuteurs IA : ce que change l'évaluation formative")
    assert college.get_attribute("data-audience") == "higher-ed" and "Enseignement supérieur" in college.inner_text()
    assert sales.get_attribute("data-audience") == "corporate" and "Entreprise" in sales.inner_text()
    assert general.get_attribute("data-audience") == "general"
    assert college.is_visible() and sales.is_visible() and general.is_visible()  # all audiences at first

    theme.select_option("#audience-filter", "corporate")
    assert sales.is_visible() and general.is_visible()  # general stories are for every audience
    assert not college.is_visible()
    theme.screenshot(path=str(ARTIFACTS / "audience-filter.png"), full_page=True)

    # the choice follows the reader to another page (a week page, its stories as articles)
    href = college.locator("a").get_attribute("href")  # "../weeks/2026-W47.html#s10": its week's page
    week = theme
    week.goto((site.out_dir / "themes" / href.split("#")[0]).resolve().as_uri())
    week.wait_for_load_state("load")
    assert week.locator("#audience-filter").input_value() == "corporate"
    articles = week.locator("article[data-audience]")
    assert articles.count() > 3
    hidden = week.locator("article[data-audience='higher-ed']")
    assert hidden.count() >= 1 and not hidden.first.is_visible()
    shown = week.locator("article[data-audience]:visible")
    assert shown.count() == articles.count() - hidden.count() > 0  # every other story stays

    # search results are filtered too
    week.goto((site.out_dir / "search.html").as_uri())
    week.get_by_label("Rechercher dans la veille").fill("onboarding")
    found = week.locator("#search-results li", has_text="Chatbots for onboarding: a field report")
    found.wait_for(timeout=5000)
    assert found.get_attribute("data-audience") == "corporate"
    week.get_by_label("Rechercher dans la veille").fill("community colleges")
    tutors = week.locator("#search-results li", has_text="AI tutors reach 40 community colleges")
    tutors.wait_for(state="attached", timeout=5000)
    assert tutors.get_attribute("data-audience") == "higher-ed" and not tutors.is_visible()
    week.select_option("#audience-filter", "")
    assert tutors.is_visible()
    week.close()
    assert problems == []
