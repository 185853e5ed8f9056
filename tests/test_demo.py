"""`veille demo`: the loopback feed server it ships, its folder rules, and the full demo with its outputs checked."""

from __future__ import annotations

import email
import email.policy
import json
import re
import sqlite3
from collections import Counter
from datetime import UTC, date, datetime
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from click.testing import CliRunner

from veille.cli import cli
from veille.config import load
from veille.demo.corpus import load_corpus
from veille.demo.run import (
    MARKER,
    RECIPIENTS,
    DemoFeedServer,
    SimulatedClock,
    prepare_folder,
    run_demo,
    simulated_days,
)
from veille.errors import ConfigError

GOLDEN = Path(__file__).parent / "data" / "golden"
AI_TUTOR_WORDS = {"ia", "ai", "tuteur", "tuteurs", "tutor", "tutors", "assistant", "assistants", "copilote"}


# ------------------------------------------------------------------------------------ fast checks


def test_the_demo_runs_from_the_first_corpus_day_to_the_monday_after_the_last_week() -> None:
    corpus = load_corpus()
    days = simulated_days(corpus)
    assert days[0] == date(2026, 9, 21)
    assert days[-1] == date(2026, 11, 30) and days[-1].weekday() == 0
    assert len(days) == 71
    assert simulated_days(corpus, 8) == days[-8:]


def test_the_feed_server_answers_304_until_the_simulated_day_brings_news() -> None:
    corpus = load_corpus()
    clock = SimulatedClock(datetime(2026, 10, 5, 6, 0, tzinfo=UTC))
    path = corpus.source("mooc-actu").url
    with DemoFeedServer(corpus, clock) as server, httpx.Client(base_url=server.base_url) as client:
        first = client.get(path)
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("application/rss+xml")
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
        assert client.head(path).status_code == 200
        assert client.get("/feeds/nothing-here.xml").status_code == 404

        clock.set(datetime(2026, 10, 19, 6, 0, tzinfo=UTC))  # two weeks later: new items
        later = client.get(path, headers={"If-None-Match": etag})
        assert later.status_code == 200
        assert later.headers["etag"] != etag
        assert len(later.content) > len(first.content)
        old_date = format_datetime(datetime(2026, 10, 1, tzinfo=UTC), usegmt=True)
        assert client.get(path, headers={"If-Modified-Since": old_date}).status_code == 200
    assert server.not_modified == 2


def test_the_demo_refuses_a_folder_it_did_not_write_and_replaces_its_own(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "feeds.yaml").write_text("feeds:\n  - https://example.org/feed.xml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="did not write"):
        prepare_folder(mine)
    assert (mine / "feeds.yaml").exists()

    old = tmp_path / "old-demo"
    (old / ".veille").mkdir(parents=True)
    (old / "outbox").mkdir()
    (old / "outbox" / "2026-W40-x@example.org.eml").write_text("x")
    (old / "feeds.yaml").write_text(MARKER + "\nfeeds: []\n", encoding="utf-8")
    (old / "notes.txt").write_text("kept")
    prepare_folder(old)
    assert sorted(p.name for p in old.iterdir()) == ["notes.txt"]


# ------------------------------------------------------------------------------------ the full demo


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "src"} and value:
                self.links.append(value)


def broken_internal_links(page: Path, site: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    broken = []
    for link in parser.links:
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or not parts.path or link.startswith(("#", "mailto:")):
            continue
        target = (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or site.resolve() not in target.parents:
            broken.append(link)
    return broken


def rising_headers(digest_text: str, rising_word: str) -> list[str]:
    """The trend headers marked rising, each with its keywords line: "## label [en hausse] keywords…".

    Only the trends: the "formats on the move" section after them has rising headers of its own."""
    lines = digest_text.splitlines()
    for heading in ("Formats en mouvement", "Formats on the move"):
        if heading in lines:
            lines = lines[: lines.index(heading)]
    found = []
    for n, line in enumerate(lines):
        if line.startswith("## ") and line.rstrip().endswith(f"[{rising_word}]"):
            found.append(" ".join(lines[n : n + 2]).lower())
    return found


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], int]:
    out = tmp_path_factory.mktemp("demo") / "demo-out"
    lines: list[str] = []
    result = run_demo(out, echo=lines.append)
    return out, lines, result.exit_code


@pytest.mark.slow
def test_the_full_demo_runs_cleanly_and_says_where_everything_is(demo_run: tuple[Path, list[str], int]) -> None:
    out, lines, exit_code = demo_run
    text = "\n".join(lines)
    assert exit_code == 0, text
    weeks = [line.split()[0] for line in lines if re.match(r"^\d{4}-W\d{2}\s", line)]
    assert weeks == [f"2026-W{n}" for n in range(39, 50)], text  # one progress line per simulated week
    assert f"site:     {out / '.veille' / 'site' / 'index.html'}" in lines
    assert "answered 304 Not Modified" in text
    assert "problems:" not in text
    assert "(s)" not in text  # "10 weeks", "1 day": real plurals, not "week(s)"
    assert re.search(r"\(1\d weeks\)", text), text


@pytest.mark.slow
def test_the_outbox_holds_one_digest_per_corpus_week_per_recipient(demo_run: tuple[Path, list[str], int]) -> None:
    out, _lines, _code = demo_run
    sent = Counter()
    for path in sorted((out / "outbox").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        week = re.search(r"digest-(\d{4}-W\d{2})", str(msg["Message-ID"]))
        assert week is not None, path.name
        recipient = next(r for r in RECIPIENTS if path.name.startswith(f"{week.group(1)}-{r}"))
        sent[(week.group(1), recipient)] += 1
    corpus_weeks = load_corpus().weeks()
    assert corpus_weeks == [f"2026-W{n}" for n in range(39, 49)]
    expected = {(week, r): 1 for week in corpus_weeks for r in RECIPIENTS}
    assert dict(sent) == expected  # one per week and recipient: no double send, no empty week before the corpus


@pytest.mark.slow
def test_the_demo_site_links_resolve(demo_run: tuple[Path, list[str], int]) -> None:
    out, _lines, _code = demo_run
    site = out / ".veille" / "site"
    index = site / "index.html"
    assert index.is_file()
    pages = [index, *sorted(site.glob("*/index.html"))[:3], *sorted(site.glob("digests/*.html"))[-2:]]
    pages += sorted(site.glob("formats/*.html"))[:2] + sorted(site.glob("themes/*.html"))[:2]
    checked = [page for page in pages if page.is_file()]
    assert len(checked) >= 4
    for page in checked:
        assert broken_internal_links(page, site) == [], page.relative_to(site)


@pytest.mark.slow
def test_the_demo_reports_the_ai_tutors_theme_rising(demo_run: tuple[Path, list[str], int]) -> None:
    out, _lines, _code = demo_run
    settings = load(out / "feeds.yaml")
    assert settings.digest.archive_dir is not None
    rising = []
    for week in ("2026-W47", "2026-W48"):
        text = (settings.digest.archive_dir / week / f"digest-{week}.txt").read_text(encoding="utf-8")
        rising += rising_headers(text, "en hausse" if settings.digest.language == "fr" else "rising")
    ai = [header for header in rising if AI_TUTOR_WORDS & set(re.findall(r"\w+", header))]
    assert ai, f"no rising AI-tutor theme in the W47/W48 digests; rising: {rising}"


def digest_entries(digest_text: str) -> list[str]:
    """The story entries of a text digest, each as one line: "* title … sources · languages · date …"."""
    entries: list[str] = []
    for line in digest_text.splitlines():
        if line.startswith("* "):
            entries.append(line[2:])
        elif line.startswith("  ") and entries and line.strip():
            entries[-1] += " " + line.strip()
        elif not line.strip() and entries:
            entries.append("")  # a blank line ends an entry
    return [entry for entry in entries if entry]


@pytest.mark.slow
def test_a_story_told_in_french_and_english_appears_once_with_both_sources(
    demo_run: tuple[Path, list[str], int],
) -> None:
    """The English "Brightline trains store staff to calm angry customers in VR" (25 Nov) and its French
    version the next day are one story of the corpus: the W48 digest shows it once, with both sources
    and both languages (it showed it twice, once per language, when the model's low cosine across
    languages kept them apart)."""
    out, _lines, _code = demo_run
    corpus = load_corpus()
    versions = [item for item in corpus.items if item.story == "brightline-vr-customers"]
    assert {item.lang for item in versions} == {"en", "fr"}
    settings = load(out / "feeds.yaml")
    assert settings.digest.archive_dir is not None
    text = (settings.digest.archive_dir / "2026-W48" / "digest-2026-W48.txt").read_text(encoding="utf-8")
    shown = [entry for entry in digest_entries(text) if any(entry.startswith(v.title) for v in versions)]
    assert len(shown) == 1, f"the story is shown {len(shown)} times: {shown}"
    for source in {corpus.source(item.source).name for item in versions}:
        assert source in shown[0], (source, shown[0])
    assert re.search(r"\bEN, FR\b|\bFR, EN\b", shown[0]), shown[0]


@pytest.mark.slow
def test_other_commands_work_on_the_demo_folder_afterwards(demo_run: tuple[Path, list[str], int]) -> None:
    out, _lines, _code = demo_run
    result = CliRunner().invoke(cli, ["--config", str(out / "feeds.yaml"), "stats", "--json"])
    assert result.exit_code == 0, result.output
    numbers = json.loads(result.stdout)
    assert numbers["feeds"] == 13
    assert numbers["feeds_failing"] == 0
    corpus = load_corpus()
    assert numbers["items"] == len({item.link for item in corpus.items})  # a syndicated copy is one item ...
    with sqlite3.connect(out / ".veille" / "veille.db") as conn:
        sightings = conn.execute("SELECT COUNT(*) FROM sightings").fetchone()[0]
    assert sightings == len(corpus.items)  # ... seen in each feed that carried it: nothing lost


@pytest.mark.slow
def test_every_demo_digest_opens_with_three_to_five_essentials(demo_run: tuple[Path, list[str], int]) -> None:
    """The week's essentials: 3 to 5 lines in every digest the demo sent (fewer only in a week that has
    fewer than three themes to speak for it), each with a sentence, a reason in numbers and a link."""
    out, _lines, _code = demo_run
    with sqlite3.connect(out / ".veille" / "veille.db") as conn:
        weeks = [row[0] for row in conn.execute("SELECT week FROM digests ORDER BY week")]
        assert len(weeks) >= 10
        for week in weeks:
            lines = conn.execute("SELECT sentence, reason, url FROM digest_brief WHERE week = ?", (week,)).fetchall()
            themes = conn.execute(
                "SELECT COUNT(*) FROM theme_weeks WHERE week = ? AND stories > 0 AND sources >= 2", (week,)
            ).fetchone()[0]
            assert min(3, themes) <= len(lines) <= 5, (week, themes, lines)
            for sentence, reason, url in lines:
                assert sentence and re.search(r"\d", reason) and url.startswith("http"), (week, sentence, reason, url)


def theme_titles_by_week(database: Path, lang: str) -> str:
    """Each demo week's themes, biggest first: "2026-W47" then one indented title per theme."""
    lines: list[str] = []
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            f"""SELECT week, title_{lang}, stories, status FROM theme_weeks
                ORDER BY week, stories DESC, title_{lang}"""  # lang is "fr" or "en"
        ).fetchall()
    for week, title, stories, status in rows:
        if week not in {line for line in lines if not line.startswith(" ")}:
            lines.append(week)
        lines.append(f"  {title}  ({status}, {stories})")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_demo_theme_titles_match_the_golden_files(demo_run: tuple[Path, list[str], int], lang: str) -> None:
    """The titles the daily job gave each demo week's themes (UPDATE_GOLDEN=1 rewrites the files; review
    the diff as a reader would): short phrases, one per theme, never twice in a week."""
    import os

    out, _lines, _code = demo_run
    produced = theme_titles_by_week(out / ".veille" / "veille.db", lang)
    golden = GOLDEN / f"theme_titles_{lang}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    weeks: dict[str, list[str]] = {}
    current = ""
    for line in produced.splitlines():
        if line.startswith("  "):
            weeks[current].append(line.strip().rsplit("  (", 1)[0])
        else:
            current = line
            weeks[current] = []
    assert len(weeks) >= 10
    for week, names in weeks.items():
        assert all(names) and len(set(names)) == len(names), (week, names)
        assert all(len(name) <= 50 and len(name.split()) <= 6 and "," not in name for name in names), names
    assert produced == golden.read_text(encoding="utf-8"), f"{golden.name} differs (UPDATE_GOLDEN=1 rewrites it)"
