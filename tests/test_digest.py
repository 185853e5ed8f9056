"""The weekly digest built from a real SQLite file: what it shows, in which order, once, in two languages."""

from __future__ import annotations

import email
import email.policy
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from tests.conftest import need_shared
from tests.test_digest_support import NOW, WEEK, make_settings, mark_processed, populate, story, theme
from veille.adapters import digest_store
from veille.adapters.render import render_digest
from veille.adapters.store import Store
from veille.app import make_app
from veille.core import i18n
from veille.core.digest import ThemeRecord, WeekRecords, build_view, subject_line
from veille.core.trends import TrendStatus, explain
from veille.errors import DigestError, RenderError
from veille.jobs.digest import build_digest

GOLDEN = Path(__file__).parent / "data" / "golden"


@pytest.fixture
def week_store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / ".veille" / "veille.db")
    populate(store)
    yield store  # type: ignore[misc]
    store.close()


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------------ what it shows


def test_digest_shows_trends_formats_signals_and_health_in_order(week_store: Store, tmp_path: Path) -> None:
    result = build_digest(make_app(make_settings(tmp_path), now=NOW, store=week_store), WEEK)
    text = text_of(result.text_path)

    assert result.subject == "Veille digital learning — semaine 48 (23–29 nov. 2026)"
    assert result.built and not result.empty
    # sections in reading order
    positions = [
        text.index(h) for h in ("Tendances", "Par format d'apprentissage", "Signaux faibles", "Santé des sources")
    ]
    assert positions == sorted(positions)
    # the rising theme comes first, with its reason in numbers and its best story first (4 sources)
    trends = text[positions[0] : positions[1]]
    assert trends.index("IA générative, tuteurs [en hausse]") < trends.index("Open badges, certification [nouveau]")
    # the reason is the one trend scoring stored, as `veille themes` prints it
    assert "6 sujets publiés par 5 sources, x4,0 par rapport à sa moyenne sur 4 semaines" in trends
    assert trends.index("AI tutors reach 40 community colleges") < trends.index("Tuteurs IA")
    # a story already sent last week and a story of next week are absent; each shown story appears once
    assert "Old news already sent" not in text
    assert "Next week's news" not in text
    # (the week's essentials at the top quote stories; the sections below list each story once in full, an
    #  emerging signal pointing to it by its title and the section that shows it)
    assert text.count("* AI tutors reach 40 community colleges") == 1
    # formats: ranked by number of sources inside a format, untagged stories under "Autres formats" last
    formats = text[positions[1] : positions[2]]
    # (the best microlearning story is listed by the emerging signal "completion", above)
    assert "Microlearning in the flow of work" not in formats and "Le microlearning à l'épreuve" in formats
    assert "- Microlearning in the flow of work" in text[text.index("Signaux émergents") : positions[1]]
    assert formats.rstrip().endswith(
        "Budgets for learning and development in 2027.\n  Lire : https://learningsolutionsmag.com/budgets"
    )
    assert "Autres formats" in formats
    # weak signal, and health with the gone feed first; last week's error is not reported
    assert "Casques VR, soudure [nouveau]" in text[positions[2] : positions[3]]
    health = text[positions[3] :]
    assert health.index("ActuEL RH Formation — supprimé (410)") < health.index("eLearning Industry — en erreur")
    assert "(2 fois)" in health and "last week: not reported" not in health
    # the summary in numbers
    assert "- 12 articles lus, venant de 7 sources" in text and "- 2 nouveaux thèmes" in text


def test_news_about_something_else_stays_out_of_the_digest_and_the_radar(week_store: Store, tmp_path: Path) -> None:
    """Two stories of general feeds that veille process classified and found about something else (no
    format), and the new theme they make: neither is listed, not even under "Autres formats", nor counted
    by the format radar. A story never classified still shows under "Autres formats", as before."""
    from veille.adapters.radar_store import load_radar
    from veille.core.radar import radar_span, week_points

    elsewhere = {900: "Koike's party wins the Tokyo assembly vote", 901: "Tokyo hotels lure guests with tradition"}
    with week_store.transaction() as conn:
        theme(conn, 950, "Tokyo, assemblée, hôtels", ["tokyo", "assemblée"], {WEEK: (2, 3, "new")})
        for story_id, title in elsewhere.items():
            story(conn, story_id, title, f"https://news.example/{story_id}", "Japan news.", [1, 3, 4],
                  "2026-11-25T09:00:00+00:00", theme=(950, WEEK))  # fmt: skip
            conn.execute("INSERT INTO classified (item_id, signature) VALUES (?, 'sig')", (story_id * 10,))
    mark_processed(week_store)
    text = text_of(build_digest(make_app(make_settings(tmp_path), now=NOW, store=week_store), WEEK).text_path)
    assert not [title for title in elsewhere.values() if title in text]
    assert "Tokyo, assemblée" not in text and "Japan news" not in text
    assert "Autres formats" in text and "Budgets for learning and development in 2027." in text  # never classified
    assert "- 2 nouveaux thèmes" in text  # the hidden one is not counted
    radar = load_radar(week_store, *radar_span(WEEK))
    assert {s.key: s.formats for s in radar.stories if s.key in ("s900", "s901")} == {"s900": (), "s901": ()}
    points, totals = week_points(radar.stories)
    assert totals[WEEK] == sum(1 for s in radar.stories if s.week == WEEK and s.formats)  # counted nowhere
    assert points["other"][WEEK].stories == sum(1 for s in radar.stories if s.week == WEEK and s.formats == ("other",))


def test_a_recorded_digest_is_rewritten_as_it_was_sent_whatever_was_classified_since(
    week_store: Store, tmp_path: Path
) -> None:
    """A digest recorded with a theme is shown with it and its stories again (a lost archive, a mail list),
    though they were classified about something else since: what was sent stays in the archive."""
    with week_store.transaction() as conn:
        theme(conn, 950, "Tokyo, assemblée, hôtels", ["tokyo", "assemblée"], {WEEK: (2, 3, "new")})
        for story_id in (900, 901):
            story(conn, story_id, f"Tokyo news {story_id}", f"https://news.example/{story_id}", "Japan news.",
                  [1, 3, 4], "2026-11-25T09:00:00+00:00", theme=(950, WEEK))  # fmt: skip
    mark_processed(week_store)
    app = make_app(make_settings(tmp_path), now=NOW, store=week_store)
    first = build_digest(app, WEEK)
    sent = text_of(first.text_path)
    assert "Tokyo, assemblée, hôtels [nouveau]" in sent and "Tokyo news 900" in sent  # a trend
    with week_store.transaction() as conn:
        for story_id in (900, 901):
            conn.execute("INSERT INTO classified (item_id, signature) VALUES (?, 'sig')", (story_id * 10,))
    first.text_path.unlink()
    again = text_of(build_digest(app, WEEK).text_path)
    assert "Tokyo, assemblée, hôtels [nouveau]" in again and "Tokyo news 900" in again and "Tokyo news 901" in again


def test_a_bilingual_story_appears_once_with_all_its_sources_and_languages(week_store: Store, tmp_path: Path) -> None:
    """A French and an English item grouped into one story, in the weak signal's theme and tagged with a
    format: one entry, in the first section that takes it (the weak signal), never again under its format."""
    with week_store.transaction() as conn:
        story(
            conn,
            80,
            "Nursing students rehearse difficult patient conversations in VR",
            "https://www.edsurge.com/news/nursing-vr",
            "Headsets let nursing students practise breaking bad news.",
            [1, 4],
            "2026-11-25T09:00:00+00:00",
            formats=(("immersive", 0.95),),
            theme=(3, WEEK),
        )
        conn.execute(  # its French version, from two French feeds, grouped into the same story
            "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, published_at,"
            " first_seen_at, lang, feed_id) VALUES (801, ?, 'hash-801', ?, ?, ?, '', ?, ?, 'fr', 2)",
            (
                "https://cursus.edu/fr/infirmiers-vr",
                "https://cursus.edu/fr/infirmiers-vr",
                "Réalité virtuelle : les étudiants infirmiers s'entraînent aux annonces difficiles",
                "Des casques pour apprendre à annoncer une mauvaise nouvelle.",
                "2026-11-26T10:00:00+00:00",
                "2026-11-26T10:00:00+00:00",
            ),
        )
        for feed_id in (2, 5):
            conn.execute(
                "INSERT INTO sightings VALUES (?, ?, 801, '2026-11-26T10:00:00+00:00', '2026-11-26T10:00:00+00:00')",
                (feed_id, f"fr-{feed_id}"),
            )
        conn.execute("INSERT INTO story_items (item_id, story_id) VALUES (801, 80)")
        conn.execute("INSERT INTO item_formats (item_id, format, score) VALUES (801, 'immersive', 0.9)")
        conn.execute("UPDATE stories SET last_at = '2026-11-26T10:00:00+00:00' WHERE id = 80")
    mark_processed(week_store)
    result = build_digest(make_app(make_settings(tmp_path), now=NOW, store=week_store), WEEK)
    text = text_of(result.text_path)
    signals = text[text.index("Signaux faibles") : text.index("Santé des sources")]
    # the week's essentials point at what matters (this story among them); the sections show it once
    body = text[text.index("La semaine en chiffres") :]

    assert body.count("Nursing students rehearse difficult patient conversations") == 1
    assert "Réalité virtuelle : les étudiants infirmiers" not in text  # one entry, under its lead title
    assert "Nursing students rehearse difficult patient conversations" in signals
    assert "4 sources : EdSurge, Le Café pédagogique, Learning Solutions, Thot Cursus · EN, FR · mer. 25 nov." in (
        " ".join(signals.split())
    )
    html = text_of(result.html_path)
    assert (
        html[html.index("La semaine en chiffres") :].count("Nursing students rehearse difficult patient conversations")
        == 1
    )
    assert "· EN, FR ·" in html
    assert 80 in digest_store.digest_story_ids(week_store, WEEK)
    # a story told in one language says nothing about languages
    assert "AI tutors reach 40 community colleges" in text and "· EN ·" not in text and "· FR ·" not in text


def test_english_digest_uses_english_dates_and_headings(week_store: Store, tmp_path: Path) -> None:
    result = build_digest(make_app(make_settings(tmp_path, language="en"), now=NOW, store=week_store), WEEK)
    text = text_of(result.text_path)
    assert result.subject == "Digital learning watch — week 48 (23–29 Nov 2026)"
    assert "6 stories published by 5 sources, x4.0 against its 4-week average" in text
    assert "Tue 24 Nov" in text and "By learning format" in text and "Read: https://" in text
    assert 'lang="en"' in text_of(result.html_path)


def test_the_digest_records_the_stories_it_showed_and_nothing_else(week_store: Store, tmp_path: Path) -> None:
    result = build_digest(make_app(make_settings(tmp_path), now=NOW, store=week_store), WEEK)
    claimed = digest_store.digest_story_ids(week_store, WEEK)
    assert len(claimed) == result.stories == 12
    assert 1 not in claimed and 60 not in claimed  # last week's and next week's


def test_building_twice_keeps_the_first_digest(week_store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = build_digest(make_app(settings, now=NOW, store=week_store), WEEK)
    html_before = first.html_path.read_bytes()
    # a late story arrives for the same week: the built week is not rebuilt with other stories
    with week_store.transaction() as conn:
        story(
            conn,
            70,
            "Late arrival",
            "https://www.edsurge.com/news/late",
            "Late.",
            [1, 2, 3, 4, 5, 6],
            "2026-11-29T20:00:00+00:00",
        )
    again = build_digest(make_app(settings, now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC), store=week_store), WEEK)
    assert not again.built
    assert (again.message_id, again.html_path) == (first.message_id, first.html_path)
    assert first.html_path.read_bytes() == html_before
    assert "Late arrival" not in text_of(again.text_path)
    # the late story is still free: the next week's digest may show it, never the ones already shown;
    # it is built once `veille process` has clustered the late story (its trends build on the week before)
    monday = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    with pytest.raises(DigestError, match=r"week 2026-W49 is not processed yet .*run `veille process` first"):
        build_digest(make_app(settings, now=monday, store=week_store), "2026-W49")
    mark_processed(week_store)
    next_week = build_digest(make_app(settings, now=monday, store=week_store), "2026-W49")
    assert "Late arrival" not in text_of(next_week.text_path)  # published in W48, not active in W49
    assert "Next week's news" in text_of(next_week.text_path)
    assert "AI tutors reach" not in text_of(next_week.text_path)


def test_a_lost_archive_is_rewritten_with_the_same_stories(week_store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = build_digest(make_app(settings, now=NOW, store=week_store), WEEK)
    titles = ("AI tutors reach 40 community colleges", "Des casques VR pour apprendre la soudure", "Podcast : la")
    for path in (first.html_path, first.text_path, first.eml_path):
        path.unlink()
    with week_store.transaction() as conn:
        story(
            conn,
            71,
            "Another late one",
            "https://www.edsurge.com/news/late2",
            "Late.",
            [1, 2, 3],
            "2026-11-29T21:00:00+00:00",
        )
    again = build_digest(make_app(settings, now=datetime(2026, 12, 2, tzinfo=UTC), store=week_store), WEEK)
    text = text_of(again.text_path)
    assert all(title in text for title in titles)
    assert "Another late one" not in text
    assert again.message_id == first.message_id and again.stories == first.stories
    msg = email.message_from_bytes(again.eml_path.read_bytes(), policy=email.policy.default)
    assert msg["Date"] == "Mon, 30 Nov 2026 07:00:00 +0000"  # built then, not now


def test_out_dir_gets_a_copy_of_the_same_digest(week_store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = build_digest(make_app(settings, now=NOW, store=week_store), WEEK)
    copy = build_digest(make_app(settings, now=NOW, store=week_store), WEEK, out_dir=tmp_path / "elsewhere")
    assert copy.text_path == tmp_path / "elsewhere" / WEEK / f"digest-{WEEK}.txt"
    assert text_of(copy.text_path) == text_of(first.text_path)


def test_an_empty_week_gives_a_short_honest_digest(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        result = build_digest(make_app(settings, now=datetime(2026, 3, 9, 7, tzinfo=UTC), store=store), "2026-W10")
    text = text_of(result.text_path)
    assert result.empty and result.stories == 0
    assert "Semaine calme" in text and "Aucun nouveau sujet" in text
    assert "- 0 article lu, venant de 0 source" in text
    assert "Tendances" not in text
    assert "Semaine calme" in text_of(result.html_path)


def test_the_eml_is_a_complete_multipart_message(week_store: Store, tmp_path: Path) -> None:
    result = build_digest(make_app(make_settings(tmp_path), now=NOW, store=week_store), WEEK)
    msg = email.message_from_bytes(result.eml_path.read_bytes(), policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == result.subject
    assert msg["Message-ID"] == result.message_id
    assert msg["Date"] == "Mon, 30 Nov 2026 07:00:00 +0000"
    plain = msg.get_body(("plain",))
    rich = msg.get_body(("html",))
    assert plain is not None and rich is not None
    assert "AI tutors reach 40 community colleges" in plain.get_content()
    assert 'href="https://www.edsurge.com/news/ai-tutors-colleges"' in rich.get_content()


# ------------------------------------------------------------------------------------------------ golden files


# (tests/test_brief.py compares the digest and the site's home page with them: their first lines are
#  sentences chosen with the real model)


# ------------------------------------------------------------------------------------------------ hostile content


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"{tag} {name}")
            if name in ("href", "src") and not (value or "").startswith(("https://", "http://")):
                self.bad.append(f"{tag} {name}={value}")


def test_hostile_feed_content_never_reaches_the_digest_unsanitised(tmp_path: Path) -> None:
    feed = need_shared("feeds", "edge", "fp_title_script_injection.xml")
    parsed = feedparser.parse(feed.read_bytes())
    hostile_title = parsed.entries[0].title
    assert "<script>" in hostile_title  # what a careless ingestion would store
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store, hostile_title=hostile_title)
        result = build_digest(make_app(settings, now=NOW, store=store), WEEK)
    page = text_of(result.html_path)
    text = text_of(result.text_path)

    parser = _Tags()
    parser.feed(page)
    assert parser.bad == []
    assert parser.tags <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "table",
        "tr",
        "td",
        "h1",
        "h2",
        "h3",
        "p",
        "ul",
        "li",
        "a",
        "div",
        "span",
        "strong",
        "br",
        "tbody",
    }
    for rendering in (page, text):
        lowered = rendering.lower()
        assert "<script" not in lowered and "javascript:" not in lowered and "alert(" not in lowered
    # the story is still there, as plain words, and without its javascript: link
    assert "Crazy HTML -- Can Your Regex Parse This?" in text
    assert "Broken HTML click" in text


# ------------------------------------------------------------------------------------------------ templates


def test_a_user_template_overrides_one_file_only(week_store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    user = settings.config_path.parent / "templates"
    user.mkdir(parents=True)
    (user / "digest.txt").write_text("{{ digest.subject }} & {{ digest.trends | length }} trends\n")
    result = build_digest(make_app(settings, now=NOW, store=week_store), WEEK)
    assert text_of(result.text_path) == "Veille digital learning — semaine 48 (23–29 nov. 2026) & 2 trends\n"
    assert "Tendances" in text_of(result.html_path)  # the shipped HTML template is still used


def test_a_broken_user_template_is_a_render_error_naming_it(tmp_path: Path) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "digest.html").write_text("<p>{% for x in %}</p>")
    view = build_view(WeekRecords(week=WEEK, items=0, sources=0, new_themes=0))
    with pytest.raises(RenderError, match=r"digest\.html:1"):
        render_digest(view, templates_dir=user)
    (user / "digest.html").write_text("<p>{{ digest.no_such_field }}</p>")
    with pytest.raises(RenderError, match="no_such_field"):
        render_digest(view, templates_dir=user)


def test_feed_text_is_escaped_in_a_user_html_template(tmp_path: Path) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "digest.html").write_text("<h1>{{ digest.title }}</h1>")
    view = build_view(WeekRecords(week=WEEK, items=0, sources=0, new_themes=0), title="R&D <b>")
    assert "<h1>R&amp;D</h1>" in render_digest(view, templates_dir=user).html


# ------------------------------------------------------------------------------------------------ dates and words


def test_periods_and_subjects_read_naturally_in_both_languages() -> None:
    assert i18n.period_label(date(2026, 11, 30), date(2026, 12, 6), "fr") == "30 nov. – 6 déc. 2026"
    assert i18n.period_label(date(2026, 12, 28), date(2027, 1, 3), "en") == "28 Dec 2026 – 3 Jan 2027"
    assert subject_line("Veille", "2027-W01", "fr") == "Veille — semaine 1 (4–10 janv. 2027)"
    assert i18n.plural(0, "thème", "thèmes", "fr") == "0 thème"
    assert i18n.plural(0, "theme", "themes", "en") == "0 themes"
    assert i18n.number(2.5, "fr") == "2,5" and i18n.number(3.0, "en") == "3"


def test_reading_a_broken_database_is_a_storage_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        store.conn.execute("DROP TABLE story_themes")
        with pytest.raises(Exception) as info:
            digest_store.load_week(store, WEEK)
    assert type(info.value).__name__ == "StorageError"
    assert isinstance(info.value.__cause__, sqlite3.Error)


def test_a_trend_gives_the_reason_trend_scoring_stored_as_veille_themes_does() -> None:
    """The digest used to recompute its own ratio over 4 weeks ("x1,9 par rapport à sa moyenne sur 4
    semaines") while `veille themes` printed the stored one ("x2,8 sur les 2 dernières semaines…")."""
    reason: dict[str, int | float] = {
        "stories": 10,
        "sources": 13,
        "baseline_mean": 4.5,
        "baseline_weeks": 6,
        "ratio": 2.22,
        "rising_weeks": 2,
        "sustained_ratio": 2.8,
        "before_weeks": 6,
    }
    theme = ThemeRecord(
        id=1,
        label="assistant, tuteur IA",
        keywords=("assistant", "tuteur IA"),
        status="rising",
        stories=10,
        items=12,
        sources=13,
        weak_signal=False,
        history=(3, 4, 5, 5, 4, 6, 9, 10),
        reason=reason,
    )
    records = WeekRecords(week=WEEK, items=12, sources=13, new_themes=0, themes=(theme,))
    view = build_view(records, language="fr")
    stored = explain(TrendStatus("rising", False, reason), "fr")
    assert stored == (
        "10 sujets publiés par 13 sources\u00a0; x2,8 sur les 2 dernières semaines "
        "par rapport aux 6 semaines précédentes"
    )
    assert [t.reason for t in view.trends] == [stored]


def _new_theme(theme_id: int, label: str, stories: int, sources: int) -> ThemeRecord:
    reason: dict[str, int | float] = {"stories": stories, "sources": sources, "novelty": 0.7}
    return ThemeRecord(theme_id, label, (label,), "new", stories, stories, sources, False, (stories,), reason)


def test_a_new_theme_from_a_single_source_is_not_shown_as_a_trend() -> None:
    """W48 of the demo showed "Minute, regardent, sécurité, séquences [nouveau]: 1 sujet de 1 source"."""
    themes = (_new_theme(1, "minute, sécurité", 1, 1), _new_theme(2, "réalité virtuelle", 3, 2))
    records = WeekRecords(week=WEEK, items=4, sources=3, new_themes=2, themes=themes)
    for language in ("fr", "en"):
        view = build_view(records, language=language)
        assert [t.label for t in view.trends] == ["Réalité virtuelle"]
        assert not view.signals


def test_the_digest_benchmark_runs_in_a_smoke_size() -> None:
    """bench/digest.py end to end on 200 stories: it builds, records and prints its table (no timing checked)."""
    bench = Path(__file__).parent.parent / "bench" / "digest.py"
    done = subprocess.run([sys.executable, str(bench), "--stories", "200"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("digest of 200 stories")
    assert "build_digest end to end (+ .eml, write, record)" in done.stdout
