"""The demo corpus loads, follows its designed trends, and every source serves a feed a reader can parse."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from html import unescape

import feedparser
import pytest
import yaml

from veille.demo.corpus import (
    FORMAT_KEYS,
    Corpus,
    DemoItem,
    feeds_yaml,
    iso_week,
    load_corpus,
    render_feed,
)

WEEKS = [f"2026-W{n}" for n in range(39, 49)]
ACCENTS = set("éèêàâùûîïôçœÉÈÀÇ")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus()


def _in(corpus: Corpus, week: str, theme: str) -> list[DemoItem]:
    return [item for item in corpus.items_in_week(week) if item.theme == theme]


def test_corpus_spans_ten_iso_weeks_ending_2026_w48(corpus: Corpus) -> None:
    assert corpus.weeks() == WEEKS
    days = corpus.days()
    assert days[0] == date(2026, 9, 21)
    assert days[-1] <= date(2026, 11, 29)
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))]
    assert 320 <= len(corpus.items) <= 380
    for week in WEEKS:
        assert 25 <= len(corpus.items_in_week(week)) <= 45, week


def test_sources_mix_languages_audiences_and_formats(corpus: Corpus) -> None:
    assert 12 <= len(corpus.sources) <= 14
    langs = Counter(source.lang for source in corpus.sources)
    assert abs(langs["fr"] - langs["en"]) <= 1
    assert {source.format for source in corpus.sources} == {"rss2", "atom", "jsonfeed"}
    assert {tag for source in corpus.sources for tag in source.tags} == {"corporate", "higher-ed", "school"}
    for source in corpus.sources:
        assert source.site.startswith("https://") and ".example/" in source.site
    used = {item.source for item in corpus.items}
    assert used == {source.key for source in corpus.sources}, "every source publishes"


def test_items_are_well_formed(corpus: Corpus) -> None:
    links = Counter(item.link for item in corpus.items)
    syndicated = [link for link, count in links.items() if count > 1]
    assert len(syndicated) == 1, "exactly one story is syndicated under the same link"
    copies = [item for item in corpus.items if item.link == syndicated[0]]
    assert len({item.source for item in copies}) == 2
    assert len({(item.title, item.summary) for item in copies}) == 1
    assert sum("utm_" in item.link for item in corpus.items) >= 5
    for item in corpus.items:
        source = corpus.source(item.source)
        host = source.site.rstrip("/")
        assert item.link.startswith(host) or item.link in syndicated, item.link
        assert item.lang == source.lang
        assert item.published.tzinfo is not None
        assert item.published.weekday() < 5 and 7 <= item.published.hour < 18, item
        assert set(item.formats) <= FORMAT_KEYS, item.formats
        assert item.title and len(item.summary) > 80
    html = [item for item in corpus.items if "<p>" in item.summary or "<a href=" in item.summary]
    assert len(html) >= 20
    assert any(corpus.source(item.source).format == "rss2" for item in html)


def test_french_items_are_written_in_french(corpus: Corpus) -> None:
    french = [item for item in corpus.items if item.lang == "fr"]
    assert len(french) >= 120
    accented = [item for item in french if ACCENTS & set(item.title + item.summary)]
    assert len(accented) / len(french) > 0.95
    assert all(not ACCENTS & set(item.title) for item in corpus.items if item.lang == "en")


def test_rising_theme_grows_to_a_dozen_items_from_six_sources(corpus: Corpus) -> None:
    counts = [len(_in(corpus, week, "ai-tutors")) for week in WEEKS]
    assert all(1 <= n <= 2 for n in counts[:4]), counts
    assert counts == sorted(counts), counts
    for week in ("2026-W47", "2026-W48"):
        items = _in(corpus, week, "ai-tutors")
        assert len(items) >= 12 and len({item.source for item in items}) >= 6
        assert all("ai-learning" in item.formats for item in items)


def test_new_theme_appears_only_in_the_last_two_weeks(corpus: Corpus) -> None:
    assert all(not _in(corpus, week, "vr-soft-skills") for week in WEEKS[:-2])
    for week in ("2026-W47", "2026-W48"):
        items = _in(corpus, week, "vr-soft-skills")
        assert len(items) >= 5 and len({item.source for item in items}) >= 3
    earlier = [item for item in corpus.items if iso_week(item.published) < "2026-W47"]
    assert not any("immersive" in item.formats for item in earlier), "no VR before the new theme"


def test_fading_theme_dwindles(corpus: Corpus) -> None:
    counts = [len(_in(corpus, week, "mooc-platforms")) for week in WEEKS]
    assert all(6 <= n <= 8 for n in counts[:4]), counts
    assert all(n <= 1 for n in counts[-2:]), counts
    assert counts == sorted(counts, reverse=True), counts


def test_steady_themes_and_other_news_run_every_week(corpus: Corpus) -> None:
    steady = {
        "lms-migration",
        "microlearning",
        "learning-events",
        "reverse-mentoring",
        "podcasts",
        "credentials",
        "serious-games",
        "blended-learning",
        "virtual-classroom",
        "in-person-training",
    }
    for week in WEEKS:
        themes = Counter(item.theme for item in corpus.items_in_week(week))
        for theme in steady:
            assert 1 <= themes[theme] <= 4, (week, theme)
        assert themes["funding-policy"] >= 2, week
    other = [item for item in corpus.items if item.theme == "funding-policy"]
    assert all(item.formats == ("other",) for item in other)
    used_formats = {key for item in corpus.items for key in item.formats}
    assert used_formats == FORMAT_KEYS, FORMAT_KEYS - used_formats


def test_shared_stories_come_from_several_sources_close_in_time(corpus: Corpus) -> None:
    stories: dict[str, list[DemoItem]] = defaultdict(list)
    for item in corpus.items:
        stories[item.story].append(item)
    shared = {key: items for key, items in stories.items() if len(items) > 1}
    for key, items in shared.items():
        assert 2 <= len(items) <= 5, key
        assert len({item.source for item in items}) == len(items), key
        spread = max(item.published for item in items) - min(item.published for item in items)
        assert spread <= timedelta(days=4), key
        assert len({item.theme for item in items}) == 1, key
    bilingual = [key for key, items in shared.items() if {item.lang for item in items} == {"fr", "en"}]
    assert len(bilingual) >= 15
    for week in WEEKS:
        in_week = {item.story for item in corpus.items_in_week(week) if item.story in shared}
        assert len(in_week) >= 3, week


def _expected(corpus: Corpus, key: str, as_of: datetime, limit: int = 30) -> list[DemoItem]:
    items = [item for item in corpus.items if item.source == key and item.published <= as_of]
    return sorted(items, key=lambda item: (item.published, item.link), reverse=True)[:limit]


@pytest.mark.parametrize("as_of", [datetime(2026, 10, 14, 12, 0, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)])
def test_every_feed_parses_and_serves_exactly_what_was_published(corpus: Corpus, as_of: datetime) -> None:
    for source in corpus.sources:
        body, content_type = render_feed(corpus, source.key, as_of)
        expected = _expected(corpus, source.key, as_of)
        assert expected, source.key
        if source.format == "jsonfeed":
            assert content_type.startswith("application/feed+json")
            document = json.loads(body.decode("utf-8"))
            assert document["version"] == "https://jsonfeed.org/version/1.1"
            got = [(entry["url"], entry["title"], entry["content_html"]) for entry in document["items"]]
            dates = [datetime.fromisoformat(entry["date_published"]) for entry in document["items"]]
            assert got == [(item.link, item.title, item.summary) for item in expected]
        else:
            parsed = feedparser.parse(body)
            assert not parsed.bozo, (source.key, parsed.get("bozo_exception"))
            assert parsed.version == ("rss20" if source.format == "rss2" else "atom10")
            assert parsed.feed.title == source.name
            # feedparser re-serialises the HTML summary (a bare "&" comes back as "&amp;")
            got = [(entry.link, entry.title, unescape(entry.summary)) for entry in parsed.entries]
            assert got == [(item.link, item.title, unescape(item.summary)) for item in expected]
            dates = [datetime(*entry.published_parsed[:6], tzinfo=UTC) for entry in parsed.entries]
            assert all(entry.id for entry in parsed.entries)
        assert dates == [item.published for item in expected]


def test_a_feed_holds_its_latest_items_only(corpus: Corpus) -> None:
    as_of = datetime(2026, 11, 28, tzinfo=UTC)
    body, _ = render_feed(corpus, "formation-digitale", as_of, limit=5)
    parsed = feedparser.parse(body)
    assert [entry.link for entry in parsed.entries] == [
        item.link for item in _expected(corpus, "formation-digitale", as_of, limit=5)
    ]
    empty, _ = render_feed(corpus, "formation-digitale", datetime(2026, 9, 1, tzinfo=UTC))
    assert feedparser.parse(empty).entries == []


def test_entity_laden_french_feed_decodes_to_accented_titles(corpus: Corpus) -> None:
    body, content_type = render_feed(corpus, "ecole-connectee", datetime(2026, 12, 1, tzinfo=UTC))
    assert body.isascii() and b"&#233;" in body and b"&amp;" in body
    assert content_type.startswith("application/rss+xml")
    titles = [entry.title for entry in feedparser.parse(body).entries]
    assert any("é" in title for title in titles)
    assert any("&" in title and "«" in title for title in titles)


def test_rendering_is_deterministic_and_stable_between_new_items(corpus: Corpus) -> None:
    as_of = datetime(2026, 11, 4, 18, 0, tzinfo=UTC)
    reloaded = load_corpus()
    for source in corpus.sources:
        assert render_feed(reloaded, source.key, as_of) == render_feed(corpus, source.key, as_of)
    # nothing is published on Saturday: the feed served Sunday morning is the one served Friday night
    friday, sunday = datetime(2026, 11, 6, 23, tzinfo=UTC), datetime(2026, 11, 8, 8, tzinfo=UTC)
    assert render_feed(corpus, "learning-wire", friday) == render_feed(corpus, "learning-wire", sunday)


def test_feeds_yaml_lists_every_source(corpus: Corpus) -> None:
    text = feeds_yaml(corpus, "http://127.0.0.1:8765/")
    document = yaml.safe_load(text)
    feeds = document["feeds"]
    assert [feed["url"] for feed in feeds] == [f"http://127.0.0.1:8765{s.url}" for s in corpus.sources]
    assert {feed["name"] for feed in feeds} == {source.name for source in corpus.sources}
    assert all(feed["lang"] in {"fr", "en"} and feed["tags"] for feed in feeds)


def test_naive_as_of_is_refused(corpus: Corpus) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_feed(corpus, "mooc-actu", datetime(2026, 11, 1))
