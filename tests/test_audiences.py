"""Audiences: the decision rules, the classifier on the real model, `veille process` storing them, and
the held-out macro-F1 of bench/audiences.py on real items."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, need_shared
from veille.adapters.audiences import load_audiences
from veille.core.audiences import (
    AUDIENCES,
    GENERAL,
    AudienceClassifier,
    AudienceGuess,
    AudienceParams,
    decide,
    for_list,
    named_audiences,
    story_audiences,
)

PARAMS = AudienceParams(threshold=0.4, min_relevance=0.0)


def guess(**scores: float) -> AudienceGuess:
    values = tuple(scores.get(key.replace("-", "_"), 0.0) for key in AUDIENCES)
    return AudienceGuess(values, tuple(() for _ in AUDIENCES))


def test_a_feed_tag_naming_one_audience_decides_without_reading() -> None:
    decision = decide(named_audiences(["corporate", "vendor"]), 0.5, guess(school=0.9), PARAMS)
    assert (decision.audience, decision.source) == ("corporate", "feed")


def test_several_named_audiences_narrow_the_texts_choice() -> None:
    named = named_audiences(["higher-ed", "school", "vendor"])
    assert decide(named, 0.5, guess(corporate=0.8, school=0.15, higher_ed=0.05), PARAMS).audience == GENERAL
    assert decide(named, 0.5, guess(corporate=0.3, school=0.6, higher_ed=0.1), PARAMS).audience == "school"


def test_untagged_items_follow_their_text_threshold_and_relevance() -> None:
    assert decide(frozenset(), 0.5, guess(higher_ed=0.7, general=0.3), PARAMS).audience == "higher-ed"
    assert decide(frozenset(), 0.5, guess(higher_ed=0.35, general=0.65), PARAMS).audience == GENERAL
    off = decide(frozenset(), -0.2, guess(higher_ed=0.9), PARAMS)
    assert (off.audience, off.source) == (GENERAL, "off-topic")


def test_story_audiences_and_mail_lists() -> None:
    assert story_audiences(["general", "school"]) == {"school"}
    assert story_audiences(["general", "general"]) == {GENERAL}
    assert for_list(frozenset({"school"}), "school")
    assert not for_list(frozenset({"school"}), "corporate")
    assert for_list(frozenset({GENERAL}), "corporate")  # general stories go to every list
    assert for_list(frozenset({"corporate"}), GENERAL)


def test_shipped_audiences_have_both_languages() -> None:
    audiences = load_audiences()
    for audience in audiences.audiences:
        assert set(audience.description) == {"fr", "en"}
        assert len(audience.examples["fr"]) >= 8 and len(audience.examples["en"]) >= 8


@pytest.mark.slow
def test_clear_items_get_their_audience_in_french_and_english() -> None:
    from veille.adapters.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    audiences = load_audiences()
    classifier = AudienceClassifier.fit(audiences, embedder.embed([t for _, _, t in audiences.texts()]))
    items = [
        (
            "en",
            "corporate",
            "Bank retrains 2,000 employees in data skills. The HR team built the programme with managers.",
        ),
        (
            "fr",
            "corporate",
            "Une banque forme 2 000 salariés aux données. La DRH a conçu le programme avec les managers.",
        ),
        ("en", "higher-ed", "University students protest tuition rises. Undergraduates marched across the campus."),
        ("fr", "higher-ed", "Les étudiants manifestent contre la hausse des frais d'inscription à l'université."),
        ("en", "school", "Primary school pupils learn to read with a new method. Teachers in 300 classrooms tried it."),
        ("fr", "school", "Les élèves de CP apprennent à lire avec une nouvelle méthode dans 300 écoles."),
    ]
    texts = [text for _, _, text in items]
    guesses = classifier.guess(texts, embedder.embed(texts), [lang for lang, _, _ in items])
    decided = [decide(frozenset(), None, g, audiences.params).audience for g in guesses]
    assert decided == [audience for _, audience, _ in items]


@pytest.mark.slow
def test_process_stores_each_items_audience_from_feed_tags_or_text(tmp_path: Path) -> None:
    from tests.test_process import ITEMS, invoke, store_items

    config = tmp_path / "feeds.yaml"
    feeds = "".join(f"  - url: https://source{i}.example/feed.xml\n" for i in range(6))
    feeds = feeds.replace("source1.example/feed.xml\n", "source1.example/feed.xml\n    tags: [corporate]\n")
    config.write_text("feeds:\n" + feeds, encoding="utf-8")
    store_items(config, background=False)
    # the feed rows carry the tags once feeds.yaml is synced, as every run does
    from datetime import UTC, datetime

    from veille.adapters.store import FeedStore, Store
    from veille.config import load as load_settings

    with Store.open(tmp_path / ".veille" / "veille.db") as store:
        FeedStore(store).sync_feeds(load_settings(config).feeds, datetime(2026, 11, 20, tzinfo=UTC))
    invoke(config, "process")
    database = tmp_path / ".veille" / "veille.db"
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT i.title, a.audience, a.source FROM item_audiences a JOIN items i ON i.id = a.item_id ORDER BY i.id"
        ).fetchall()
    assert len(rows) == len(ITEMS)
    by_title = {title: (audience, source) for title, audience, source in rows}
    # feed 1 is tagged corporate: its items are corporate without reading them
    for feed, _, title, _ in ITEMS:
        if feed == 1:
            assert by_title[title] == ("corporate", "feed")
        else:
            assert by_title[title][1] in {"text", "off-topic"}
    assert by_title["Acme University launches a free MOOC on climate literacy"][0] == "higher-ed"
    with sqlite3.connect(database) as conn:
        before = conn.execute("SELECT * FROM item_audiences ORDER BY item_id").fetchall()
    invoke(config, "process")
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT * FROM item_audiences ORDER BY item_id").fetchall() == before


# measured with bench/audiences.py on the held-out parts (see README); the test fails on a drop of more
# than the margin: the news set (real feeds, AG News, SIB-200) and the real edtech posts and releases
HELDOUT_MACRO_F1 = {
    ("news", "fr"): (1.000, 0.03),
    ("news", "en"): (0.629, 0.03),
    ("real-items", "fr"): (0.734, 0.05),
    ("real-items", "en"): (0.669, 0.05),
}


@pytest.mark.slow
def test_held_out_macro_f1_does_not_drop(tmp_path: Path) -> None:
    need_shared("eval")
    need_shared("feeds", "real")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "audiences.py"), "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    for (name, lang), (floor, margin) in HELDOUT_MACRO_F1.items():
        figures = report[name]["veille"]["heldout"]
        assert figures[lang]["macro_f1"] >= floor - margin, (name, lang, figures)
