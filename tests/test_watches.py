"""Watches (radar mode): named searches of feeds.yaml, in the digest ("Vos veilles") and on the site (a
page per watch with its weekly counts), a burst flagged as a rising theme is.

Real parts: a SQLite file filled as `veille process` leaves it (tests/test_digest_support.py), the
full-text index, `veille digest` and `veille site` through CliRunner; the digest's .html and .txt parts
and the site's pages are read as a reader gets them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from tests.test_digest_support import FEEDS, WEEK, mark_processed, populate, story
from tests.test_site import parse
from veille.adapters.store import Store
from veille.cli import cli
from veille.config import load
from veille.core.watches import WatchMatch, watch_report
from veille.errors import ConfigError

MONDAY = "2026-11-30T07:00:00Z"  # the Monday after WEEK (2026-W48)

WATCHES = """watches:
  - name: Hackathons
    query: hackathon* OR "game jam"
  - name: Podcasts
    query: podcast* -spotify -enseignants
"""

BURST = [  # this week's hackathon stories: five, from five feeds (the digest lists at most five per watch)
    ("Hackathon IA : 48 heures pour réinventer l'onboarding", [2]),
    ("A hackathon for accessible courseware", [3]),
    ("Game jam à l'université : des serious games en un week-end", [4, 7]),
    ("Hackathons internes : ce que les RH en retiennent", [5]),
    ("Corporate hackathons as a learning format", [6]),
]


def write_config(folder: Path, language: str = "fr", extra: str = WATCHES) -> Path:
    config = folder / "feeds.yaml"
    lines = ["feeds:", *(f"  - url: {url}" for _id, _name, url, _lang in FEEDS), f"digest:\n  language: {language}"]
    config.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return config


def fill(folder: Path) -> None:
    """The digest tests' week, plus a watch's story now and then before it and a burst in it."""
    with Store.open(folder / ".veille" / "veille.db") as store:
        populate(store)
        with store.transaction() as conn:
            earlier = [("2026-10-21", "Hackathon de rentrée au campus", 1), ("2026-11-10", "Hackathon RH", 1)]
            for n, (day, title, feed) in enumerate(earlier):
                story(
                    conn, 600 + n, title, f"https://h.example/old/{n}", "Un hackathon.", [feed], f"{day}T09:00:00+00:00"
                )
            story(conn, 620, "Le podcast de la formation", "https://p.example/1", "Épisode 12.", [2],
                  "2026-11-11T09:00:00+00:00")  # fmt: skip
            for n, (title, feeds) in enumerate(BURST):
                day = datetime(2026, 11, 23, 9, tzinfo=UTC) + timedelta(days=n % 5)
                story(
                    conn, 700 + n, title, f"https://h.example/{n}", "Deux jours de prototypes.", feeds, day.isoformat()
                )
            story(conn, 720, "Spotify lance des podcasts de cours", "https://p.example/2", "Audio.", [3],
                  "2026-11-25T09:00:00+00:00")  # fmt: skip
        mark_processed(store)


def run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", MONDAY, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


# ------------------------------------------------------------------------------------------- config


def test_watches_are_read_from_feeds_yaml_with_a_page_name_each(tmp_path: Path) -> None:
    settings = load(write_config(tmp_path, extra=WATCHES + "  - name: IA générative\n    query: '\"ia générative\"'\n"))
    assert [(w.name, w.query, w.slug) for w in settings.watches] == [
        ("Hackathons", 'hackathon* OR "game jam"', "hackathons"),
        ("Podcasts", "podcast* -spotify -enseignants", "podcasts"),
        ("IA générative", '"ia générative"', "ia-generative"),
    ]
    assert load(write_config(tmp_path, extra="")).watches == ()


@pytest.mark.parametrize(
    ("watches", "message"),
    [
        (
            "watches:\n  - name: VR\n    query: '\"réalité virtuelle'\n",
            r"feeds.yaml:\d+: watches\[1\].query: watch 'VR': a phrase is not closed",
        ),
        (
            "watches:\n  - name: Crypto\n    query: -crypto\n",
            r"watches\[1\].query: watch 'Crypto': a query needs at least one word",
        ),
        ("watches:\n  - name: VR\n", r"watches\[1\].query: missing"),
        (
            "watches:\n  - name: VR\n    query: vr\n  - name: vr\n    query: ar\n",
            r"watches\[2\].name: 'vr' is already a watch at line",
        ),
        ("watches:\n  - name: VR\n    query: vr\n    qurey: ar\n", r"watches\[1\]"),
        ("watches: vr\n", r"watches"),
    ],
)
def test_a_bad_watch_stops_the_load_naming_it(tmp_path: Path, watches: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(write_config(tmp_path, extra=watches))


# ------------------------------------------------------------------------------------------- scoring


def test_a_watch_bursts_by_the_rising_theme_test_not_on_one_chatty_feed() -> None:
    def at(week_day: str) -> datetime:
        return datetime.fromisoformat(week_day).replace(tzinfo=UTC)

    quiet = [WatchMatch(i, i, 1, at("2026-10-05") + timedelta(weeks=2 * i)) for i in range(4)]
    spread = [WatchMatch(10 + i, 10 + i, 1 + i % 4, at("2026-11-24")) for i in range(6)]
    report = watch_report("IA", "ia", "ia", quiet + spread, WEEK)
    assert report.burst and report.bursts == (WEEK,)
    assert (report.current.stories, report.current.sources) == (6, 4)
    one_feed = [WatchMatch(10 + i, 10 + i, 1, at("2026-11-24")) for i in range(6)]
    assert not watch_report("IA", "ia", "ia", quiet + one_feed, WEEK).burst  # one chatty feed is no burst
    same_story = [WatchMatch(10 + i, 99, 1 + i % 4, at("2026-11-24")) for i in range(6)]
    assert watch_report("IA", "ia", "ia", quiet + same_story, WEEK).current.stories == 1  # a story counts once


# ------------------------------------------------------------------------------------------- digest


def test_the_digest_lists_each_watch_with_the_weeks_matches_and_flags_the_burst(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill(tmp_path)
    code, _, err = run(config, "digest", "--week", WEEK)
    assert code == 0, err
    folder = tmp_path / ".veille" / "previews" / WEEK
    html = (folder / f"digest-{WEEK}.html").read_text(encoding="utf-8")
    text = (folder / f"digest-{WEEK}.txt").read_text(encoding="utf-8")

    watches = section(html, "Vos veilles</h2>", "</td></tr>")
    hackathons = section(watches, "Hackathons <span", "Podcasts</h3>")
    assert re.search(r"Hackathons <span class=\"badge\"[^>]*>en hausse</span></h3>", hackathons)
    for title, _feeds in BURST:
        assert title in unescape(hackathons)
    assert "Hackathon RH" not in hackathons and "Hackathon de rentrée" not in hackathons  # earlier weeks
    assert "5 sujets publiés par 6 sources" in hackathons  # the game jam was carried by two feeds
    podcasts = watches[watches.index("Podcasts</h3>") :]
    assert "Podcasts</h3>" in watches  # its heading carries no badge: it does not burst
    assert "Rien cette semaine." in podcasts and "Spotify" not in podcasts  # -spotify leaves it out

    watches_text = section(text, "Vos veilles\n-----------", "Santé des sources")
    assert "## Hackathons [en hausse]" in watches_text
    assert "Hackathon IA : 48 heures pour réinventer l'onboarding" in watches_text
    assert "## Podcasts\n" in watches_text and "Rien cette semaine." in watches_text


def test_the_english_digest_says_your_watches_and_a_digest_without_watches_has_no_section(tmp_path: Path) -> None:
    config = write_config(tmp_path, language="en")
    fill(tmp_path)
    assert run(config, "digest", "--week", WEEK)[0] == 0
    folder = tmp_path / ".veille" / "previews" / WEEK
    html = (folder / f"digest-{WEEK}.html").read_text(encoding="utf-8")
    assert "Your watches</h2>" in html and ">rising</span>" in section(html, "Your watches", "Podcasts")
    assert "Your watches" in (folder / f"digest-{WEEK}.txt").read_text(encoding="utf-8")

    write_config(tmp_path, language="en", extra="")
    assert run(config, "digest", "--week", WEEK)[0] == 0
    assert "watches" not in (folder / f"digest-{WEEK}.html").read_text(encoding="utf-8").lower()


LISTS = """mail:
  sender: veille@example.org
  recipients: [all@example.org]
  lists:
    - {name: rh, audience: corporate, recipients: [rh1@example.org, rh2@example.org], language: en}
    - {name: campus, audience: higher-ed, recipients: [campus@example.org], language: fr}
"""


def test_each_mail_list_digest_has_the_watches_and_a_dry_run_writes_it_beside_the_main_one(tmp_path: Path) -> None:
    config = write_config(tmp_path, language="fr", extra=WATCHES + LISTS)
    fill(tmp_path)
    code, out, err = run(config, "digest", "--week", WEEK, "--dry-run")
    assert code == 0, err
    folder = tmp_path / ".veille" / "previews" / WEEK
    assert f"liste rh : son digest écrit dans {folder / f'digest-{WEEK}-rh.eml'} (et .html, .txt)" in out
    assert "--send l'enverrait à 2 destinataires" in out
    assert f"liste campus : son digest écrit dans {folder / f'digest-{WEEK}-campus.eml'}" in out
    english = (folder / f"digest-{WEEK}-rh.html").read_text(encoding="utf-8")
    french = (folder / f"digest-{WEEK}-campus.txt").read_text(encoding="utf-8")
    assert "Your watches</h2>" in english and ">rising</span>" in section(english, "Your watches", "Podcasts")
    assert "Vos veilles" in french and "Hackathons" in section(french, "Vos veilles", "Podcasts")
    assert "Corporate hackathons as a learning format" in section(english, "Your watches", "Podcasts")
    assert (folder / f"digest-{WEEK}-rh.eml").read_bytes().count(b"To: rh1@example.org, rh2@example.org") == 1
    # a dry run records nothing: no list digest in the archive, nothing queued
    assert not (tmp_path / ".veille" / "digests").exists()


# --------------------------------------------------------------------------------------------- site


def test_the_site_gives_each_watch_a_page_with_its_weeks_and_its_matches(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill(tmp_path)
    code, _, err = run(config, "site")
    assert code == 0, err
    site = tmp_path / ".veille" / "site"
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="watches/index.html"' in home and ">Veilles</a>" in home

    index = (site / "watches" / "index.html").read_text(encoding="utf-8")
    assert 'href="../watches/hackathons.html">Hackathons</a>' in index
    assert 'href="../watches/podcasts.html">Podcasts</a>' in index

    page = (site / "watches" / "hackathons.html").read_text(encoding="utf-8")
    assert re.search(r"<h1>Hackathons <span class=\"badge status-rising\">en hausse</span></h1>", page)
    assert "Semaine 48 · 2026 : 5 sujets publiés par 6 sources, x" in page  # why it is flagged
    assert 'id="chart-watch-hackathons"' in page  # the theme pages' chart
    weeks = section(page, '<table class="watch-weeks">', "</table>")
    rows = re.findall(r"<tr><td><a [^>]*>([^<]+)</a></td><td>(\d+)</td><td>(\d+)</td><td>(.*?)</td></tr>", weeks)
    assert [(label, int(n), int(s), "en hausse" in status) for label, n, s, status in rows] == [
        ("Semaine 48 · 2026", 5, 6, True),
        ("Semaine 46 · 2026", 1, 1, False),
        ("Semaine 43 · 2026", 1, 1, False),
    ]
    for title in ("Hackathon RH", "Hackathon de rentrée au campus", "Corporate hackathons as a learning format"):
        assert title in page
    assert "Spotify" not in (site / "watches" / "podcasts.html").read_text(encoding="utf-8")
    for path in (site / "watches").glob("*.html"):  # every link of the watch pages leads to a page
        for _tag, ref in parse(path).refs:
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https", "data") or not parts.path:
                continue
            assert (path.parent / unquote(parts.path)).resolve().is_file(), f"{path.name}: {ref!r} leads nowhere"
