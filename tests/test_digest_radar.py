"""The digest's "Formats en mouvement" / "Formats on the move" section, from a real SQLite file.

The week (tests/test_digest_support.py) has seven earlier weeks of format history: MOOC at 4 stories a
week then 1, then none (fading); AI learning absent for five weeks, then 5 and 4 stories (rising).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.test_digest_support import NOW, WEEK, make_settings, populate, story
from veille.adapters.radar_store import load_radar
from veille.adapters.store import Store
from veille.app import make_app
from veille.core.digest import WeekRecords, build_view
from veille.core.radar import RadarStory, build_radar, radar_span
from veille.core.weeks import shift_week
from veille.jobs.digest import build_digest
from veille.jobs.process import rising_formats

HEADINGS = {
    "fr": ("Tendances", "Formats en mouvement", "Par format d'apprentissage"),
    "en": ("Trends", "Formats on the move", "By learning format"),
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / ".veille" / "veille.db")
    populate(opened)
    yield opened  # type: ignore[misc]
    opened.close()


def section(text: str, language: str) -> str:
    """The section's text, between its heading and the next one (by format)."""
    _, moving, by_format = HEADINGS[language]
    start = text.index(moving)
    return text[start : text.index(by_format, start)]


@pytest.mark.parametrize(
    ("language", "rising", "fading", "steady"),
    [
        (
            "fr",
            "## IA et apprentissage [en hausse]\n4 sujets publiés par 7 sources\u00a0; x3,6 sur les 2 dernières "
            "semaines par rapport aux 6 semaines précédentes",
            "## MOOC [en baisse]\nAucun sujet cette semaine, contre 4,0 par semaine sur les 6 semaines précédentes",
            "Stables (sujets de la semaine) : Microlearning 3, Certifications et",
        ),
        (
            "en",
            "## AI in learning [rising]\n4 stories published by 7 sources; x3.6 over the last 2 weeks against the 6 "
            "weeks before",
            "## MOOC [fading]\nNo story this week, against 4.0 a week over the 6 weeks before",
            "Steady (stories this week): Microlearning 3, Credentials and digital",
        ),
    ],
)
def test_formats_on_the_move_with_reasons_and_the_steady_ones_in_one_line(
    store: Store, tmp_path: Path, language: str, rising: str, fading: str, steady: str
) -> None:
    result = build_digest(make_app(make_settings(tmp_path, language=language), now=NOW, store=store), WEEK)
    text = result.text_path.read_text(encoding="utf-8")
    trends, moving, by_format = HEADINGS[language]
    assert text.index(trends) < text.index(moving) < text.index(by_format)  # after the trends
    part = section(text, language)
    assert rising in part
    assert fading in part
    assert part.index(rising) < part.index(fading)  # rising first
    assert steady in part
    # the AI format's last 8 weeks, numbers in words beside the bars
    assert ("S47: 8, S48: 4" if language == "fr" else "W47: 8, W48: 4") in part
    # its strongest story left after the trends took theirs, and shown nowhere else in the digest
    assert "* Prompting as a workplace skill" in part
    assert text.count("Prompting as a workplace skill") == 1
    html = result.html_path.read_text(encoding="utf-8")
    assert f">{moving}</h2>" in html
    assert ">MOOC <span" in html and ("en baisse" if language == "fr" else "fading") in html


def test_a_young_watch_says_it_is_too_early_and_moves_nothing() -> None:
    """Two weeks of watch: even a format with 9 stories from 9 sources out of nothing is not rising."""
    stories = (
        *(RadarStory(f"s{n}", WEEK, ("ai-learning",), 1, frozenset({n})) for n in range(9)),
        RadarStory("s99", "2026-W47", ("video",), 1, frozenset({1})),
    )
    records = WeekRecords(week=WEEK, items=9, sources=9, new_themes=0, radar_stories=stories, first_week="2026-W47")
    for language, line in (
        ("fr", "Trop tôt pour juger\u00a0: 2 semaines de veille sur 5 nécessaires."),
        ("en", "Too early to tell: 2 weeks of watch of the 5 needed."),
    ):
        view = build_view(records, language=language, format_labels={"ai-learning": "AI", "video": "Video"})
        assert view.moving == ()
        assert view.steady_line == line


def test_no_story_in_the_radar_weeks_means_no_section() -> None:
    view = build_view(WeekRecords(week=WEEK, items=0, sources=0, new_themes=0), language="en")
    assert (view.moving, view.steady_line) == ((), "")


def test_process_finds_the_same_rising_formats_as_the_radar_shows(store: Store) -> None:
    """`veille process` picks the essentials' formats on the move from each week's trailing window only;
    the digest's radar reads its 12 weeks: both say the same formats rise, every week."""
    first = load_radar(store).first_week
    for week in [shift_week(WEEK, -ago) for ago in range(8)]:
        shown = build_radar(load_radar(store, *radar_span(week)).stories, week, first_week=first)
        assert rising_formats(store, week) == [t.format for t in shown.moving if t.status.status == "rising"]
    assert rising_formats(store, WEEK) == ["ai-learning"]


def test_a_format_back_after_quiet_weeks_is_not_young_for_process(store: Store) -> None:
    """Video: 2 stories ten weeks ago, none since, then 1 and 4. The radar knows video from before its
    trend window, so video is not a young format growing every week: not rising. Scoring the week on its
    trailing window alone would call it rising."""
    story_id = 900
    with store.transaction() as conn:
        for ago, count in ((10, 2), (1, 1), (0, 4)):
            monday = datetime.fromisocalendar(*map(int, shift_week(WEEK, -ago).split("-W")), 1)
            for k in range(count):
                story_id += 1
                published = (monday + timedelta(days=k, hours=10)).replace(tzinfo=UTC).isoformat()
                story(conn, story_id, f"Video {ago} {k}", f"https://video.example/{story_id}", "Video.", [1 + k],
                      published, formats=(("video", 0.8),))  # fmt: skip
    shown = build_radar(load_radar(store, *radar_span(WEEK)).stories, WEEK, first_week=load_radar(store).first_week)
    assert "video" not in [t.format for t in shown.moving if t.status.status == "rising"]
    assert rising_formats(store, WEEK) == ["ai-learning"]
