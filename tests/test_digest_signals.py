"""Emerging signals in the digest: key phrases whose story counts burst, with their numbers and stories,
each story shown once in full (a signal points to the section that shows it), from a real SQLite file."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.test_digest_support import NOW, WEEK, make_settings, mark_processed, populate, story, term_signal
from veille.adapters.store import Store
from veille.app import make_app
from veille.core.digest import MAX_TERM_SIGNALS, STORIES_PER_TERM_SIGNAL, SignalRecord, WeekRecords, build_view
from veille.core.digest import StoryRecord as Story
from veille.jobs.digest import build_digest
from veille.jobs.site import build_site

RAMP = {"weeks": 2, "count": 9, "this_week": 6, "expected": 1.26, "baseline_weeks": 6}


def section(text: str, heading: str, after: str) -> str:
    start = text.index(heading)
    return text[start : text.index(after, start)]


def claimed(database: Path) -> set[int]:
    with sqlite3.connect(database) as conn:
        return {row[0] for row in conn.execute("SELECT story_id FROM digest_stories WHERE week = ?", (WEEK,))}


def add_space_stories(conn: sqlite3.Connection) -> None:
    """Stories of the week about a space station that no section of the digest takes in full."""
    for n, (title, feeds) in enumerate(
        (
            ("A VR space station for astronaut training", [1, 3]),
            ("La station spatiale en réalité virtuelle au collège", [2]),
            ("Space station lessons streamed to 300 schools", [4]),
            ("Inside the space station simulator of a flight school", [6]),
        )
    ):
        story(
            conn,
            70 + n,
            title,
            f"https://example.org/space-{n}",
            "The space station opens its training modules to NASA partners.",
            feeds,
            f"2026-11-2{4 + n}T10:00:00+00:00",
        )


@pytest.mark.parametrize(
    ("language", "heading", "after", "reason", "seen"),
    [
        (
            "fr",
            "Signaux émergents",
            "Formats en mouvement",
            "9 sujets en 2 semaines, dont 6 cette semaine publiés par 5 sources, contre 1,3 attendu au rythme des "
            "6 semaines d'avant",
            "voir «\u00a0IA générative, tuteurs\u00a0»",
        ),
        (
            "en",
            "Emerging signals",
            "Formats on the move",
            "9 stories in 2 weeks, 6 of them this week from 5 sources, against 1.3 expected at the pace of the 6 "
            "weeks before",
            "see “IA générative, tuteurs”",
        ),
    ],
)
def test_a_term_that_bursts_is_shown_with_its_numbers_and_its_stories(
    tmp_path: Path, language: str, heading: str, after: str, reason: str, seen: str
) -> None:
    settings = make_settings(tmp_path, language=language)
    with Store.open(settings.database) as store:
        populate(store)
        with store.transaction() as conn:
            add_space_stories(conn)
            term_signal(conn, "space station, nasa", [70, 71, 72, 73, 10], RAMP)
            # stories with no learning format every week before: "other formats" stays steady, so the
            # space stories are left to the signal and their format's section
            for n in range(24):
                day = f"2026-{(datetime(2026, 11, 16) - timedelta(days=7 * (n // 4) - n % 4)):%m-%d}"
                story(
                    conn, 200 + n, f"Earlier untagged story {n}", None, "Budgets.", [1 + n % 7], f"{day}T10:00:00+00:00"
                )
        mark_processed(store)
        result = build_digest(make_app(settings, now=NOW, store=store), WEEK)
    text = result.text_path.read_text(encoding="utf-8")
    html = result.html_path.read_text(encoding="utf-8")

    # right after the trends, before the formats
    assert text.index("\n" + heading) < text.index(after)
    assert "## Space station\n" in section(text, "\n" + heading, after)
    part = section(text, "## Space station\n", after)
    # the phrase as the items write it, its other term, the numbers behind it
    assert "NASA" in part  # "nasa" is written NASA by the items
    assert " ".join(reason.split()) in " ".join(part.split())
    # at most three stories, the best covered first; the rest counted
    assert part.count("\n- ") == STORIES_PER_TERM_SIGNAL
    assert part.index("AI tutors reach 40 community colleges") < part.index("A VR space station for astronaut")
    assert ("et 2 autres sujets" if language == "fr" else "and 2 more stories") in part
    # a story a trend shows in full is pointed to, not repeated; one shown nowhere else has its sources here
    assert seen in part
    assert text.count("* AI tutors reach 40 community colleges") == 1
    assert "2 sources : EdSurge, eLearning Industry" in part or "2 sources: EdSurge, eLearning Industry" in part
    assert "https://example.org/space-0" in part
    assert "Inside the space station simulator" in part  # the most recent of the one-source stories
    # the HTML has the same section, the titles linked to the articles
    assert f">{heading}</h2>" in html and ">Space station</h3>" in html
    assert 'href="https://example.org/space-0"' in html and ">A VR space station for astronaut training</a>" in html
    # the stories it did not list are in their format's section, each story of the digest in one place
    rest = text[text.index(after) :]
    assert "La station spatiale en réalité virtuelle" in rest and "A VR space station" not in rest
    assert {10, 70, 71, 72, 73} <= claimed(settings.database)


def test_no_term_bursts_no_section(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store)
        with store.transaction() as conn:
            conn.execute("DELETE FROM signal_stories")
            conn.execute("DELETE FROM signals")
        result = build_digest(make_app(settings, now=NOW, store=store), WEEK)
    assert "Signaux émergents" not in result.text_path.read_text(encoding="utf-8")
    assert "Signaux émergents" not in result.html_path.read_text(encoding="utf-8")
    assert "Tendances" in result.text_path.read_text(encoding="utf-8")  # the rest of the digest is there


def test_a_signal_whose_stories_all_sit_in_one_trend_is_left_out(tmp_path: Path) -> None:
    """ "tuteurs" carried only by the stories of the rising theme "IA générative, tuteurs": the theme says it."""
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store)
        with store.transaction() as conn:
            conn.execute("DELETE FROM signal_stories")
            conn.execute("DELETE FROM signals")
            term_signal(conn, "tuteurs", [10, 11, 12], RAMP)
        result = build_digest(make_app(settings, now=NOW, store=store), WEEK)
    assert "Signaux émergents" not in result.text_path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------------ pure view


def _story(story_id: int, title: str, sources: tuple[str, ...] = ("A", "B")) -> Story:
    from datetime import UTC, datetime

    at = datetime(2026, 11, 25, 9, tzinfo=UTC)
    return Story(story_id, title, f"https://example.org/{story_id}", "A summary.", sources, at, at)


def test_signals_are_capped_strongest_first_and_each_story_is_listed_once() -> None:
    stories = tuple(_story(i, f"Story {i}") for i in range(1, 41))
    term_signals = (
        *(
            SignalRecord(f"term{k}", tuple(range(5 * k + 1, 5 * k + 6)), 2, {"z": 4.0 + k, "count": 5})
            for k in range(7)
        ),
        SignalRecord("overlap", (1, 2, 3), 2, {"z": 99.0, "count": 3}),
    )
    view = build_view(
        WeekRecords(WEEK, items=40, sources=2, new_themes=0, story_records=stories, term_signals=term_signals),
        max_per_format=0,
    )
    assert len(view.emerging) == MAX_TERM_SIGNALS
    assert [s.label for s in view.emerging][:3] == ["Overlap", "Term6", "Term5"]
    assert all(len(s.items) <= STORIES_PER_TERM_SIGNAL for s in view.emerging)
    # "overlap" took stories 1-3 (the format section shows at most one story here: max_per_format=0 → 1)
    # a story listed by two signals is listed in full once, then pointed to
    listed = [(item.id, item.seen_in) for s in view.emerging for item in s.items]
    firsts = [i for i, seen in listed if not seen]
    assert len(firsts) == len(set(firsts))
    assert set(view.story_ids) >= set(firsts)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.bad.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (name == "href" and not (value or "").startswith(("http://", "https://"))):
                self.bad.append(f"{tag} {name}={value}")


def test_hostile_text_in_a_signal_never_reaches_the_digest(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store)
        with store.transaction() as conn:
            story(
                conn,
                90,
                '<img src=x onerror="alert(1)">Space <script>alert(2)</script>station news',
                "javascript:alert(3)",
                "<b>space station</b>",
                [1, 2, 3],
                "2026-11-25T10:00:00+00:00",
            )
            term_signal(conn, "<script>alert(4)</script>space station", [90, 40], RAMP)
        mark_processed(store)
        result = build_digest(make_app(settings, now=NOW, store=store), WEEK)
    html = result.html_path.read_text(encoding="utf-8")
    text = result.text_path.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)
    assert parser.bad == []
    for rendering in (html, text):
        assert "alert(" not in rendering and "javascript:" not in rendering
    assert "Space station news" in text  # the story is still there, as plain words, without its link


# ------------------------------------------------------------------------------------------------ the site


def test_the_week_page_shows_the_emerging_signals_with_links_to_their_stories(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, language="en")
    with Store.open(settings.database) as store:
        populate(store)
        with store.transaction() as conn:
            add_space_stories(conn)
            term_signal(conn, "space station, nasa", [70, 71, 72, 73], RAMP)
            term_signal(conn, "tuteurs", [10, 11, 12], RAMP)  # all in the rising AI theme: left out
        mark_processed(store)
        site = build_site(make_app(settings, now=NOW, store=store))
    page = (site.out_dir / "weeks" / f"{WEEK}.html").read_text(encoding="utf-8")
    part = page[page.index(">Emerging signals</h2>") :]
    part = part[: part.index("</section>")]
    assert ">Space station</h3>" in part and "NASA" in part
    assert "9 stories in 2 weeks, 6 of them this week from" in part
    space = part[part.index(">Space station</h3>") : part.index("</ul>", part.index(">Space station</h3>"))]
    assert space.count("<li>") == STORIES_PER_TERM_SIGNAL
    assert f'href="../weeks/{WEEK}.html#s70"' in space  # each story's entry on the site
    assert ">Completion</h3>" in part  # the week's other signal
    assert "Tuteurs" not in part
    # a week without signals has no such section
    other = (site.out_dir / "weeks" / "2026-W47.html").read_text(encoding="utf-8")
    assert "Emerging signals" not in other
