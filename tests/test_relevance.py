"""The relevance gate: items that are not about learning get no learning format and stay off the radar."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from veille.adapters.embed import SentenceTransformerEmbedder
from veille.adapters.tagger import taxonomy_vectors
from veille.adapters.taxonomy import load_relevance, load_taxonomy
from veille.core.formats import (
    OTHER,
    FormatClassifier,
    RelevanceRules,
    Taxonomy,
    feed_medians,
    item_feed_relevance,
    split_title,
)
from veille.errors import ConfigError

# --------------------------------------------------------------------------------------- the rules file


def test_the_shipped_rules_have_both_languages_on_both_sides() -> None:
    rules = load_relevance()
    for side in (rules.learning, rules.elsewhere, rules.terms):
        assert side["fr"] and side["en"]
    assert rules.neighbours >= 1 and rules.term_weight >= 0


def test_a_broken_rules_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "relevance.yaml"
    path.write_text("learning: [just a list]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_relevance(path)
    assert str(path) in str(caught.value)


def test_a_change_of_the_rules_retags_the_items() -> None:
    rules = load_relevance()
    assert RelevanceRules(rules.learning, rules.elsewhere, rules.terms, threshold=0.5).signature() != rules.signature()


def test_the_core_sets_no_process_wide_thread_settings() -> None:
    tree = ast.parse((ROOT / "veille" / "core" / "formats.py").read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("threadpoolctl") for m in modules)


# ------------------------------------------------------------------------------ the decision, on vectors


def _toy() -> tuple[Taxonomy, RelevanceRules, np.ndarray, np.ndarray]:
    """The shipped taxonomy on random vectors; learning sentences along one axis, elsewhere along another."""
    taxonomy = load_taxonomy()
    rules = RelevanceRules(
        learning={"en": ("a course for teachers",)},
        elsewhere={"en": ("a football match",)},
        terms={"en": ("teachers",)},
        neighbours=1,
        term_weight=0.5,
        threshold=0.0,
    )
    rng = np.random.default_rng(3)
    tax = rng.normal(size=(len(taxonomy.texts()), 16)).astype(np.float32) * 0.01
    rel = np.zeros((2, 16), np.float32)
    rel[0, 0] = rel[1, 1] = 1.0
    return taxonomy, rules, tax, rel


def test_an_item_near_the_elsewhere_sentences_gets_no_format_at_all() -> None:
    taxonomy, rules, tax, rel = _toy()
    tagger = FormatClassifier.fit(taxonomy, tax, relevance=rules, relevance_vectors=rel)
    vectors = np.zeros((2, 16), np.float32)
    vectors[0, 0] = vectors[1, 1] = 1.0
    tags = tagger.classify(["Webinar on a new course. Details.", "Webinar on the match. Score."], vectors, ["en"] * 2)
    assert tags[0] != [] and tags[1] == []
    ungated = FormatClassifier.fit(taxonomy, tax)
    assert ungated.classify(["Webinar on the match. Score."], vectors[1:], ["en"])[0] != []


def test_a_learning_term_tips_a_doubtful_item_into_learning() -> None:
    taxonomy, rules, tax, rel = _toy()
    tagger = FormatClassifier.fit(taxonomy, tax, relevance=rules, relevance_vectors=rel)
    halfway = np.zeros((2, 16), np.float32)
    halfway[:, 1] = 1.0
    halfway[:, 0] = 0.8  # a little nearer the elsewhere sentence
    scores = tagger.relevance(["A talk. For everyone.", "A talk. For teachers."], halfway, ["en"] * 2)
    assert scores is not None and scores[0] < rules.threshold <= scores[1]


def test_an_item_with_no_format_needs_the_higher_bar_to_count_as_learning_news() -> None:
    """Just past the gate with no format found, an item would show as "other formats" learning news: it
    needs ``other_threshold``. One with a format found keeps it at the gate's own bar."""
    from dataclasses import replace

    taxonomy, rules, tax, rel = _toy()
    item = np.zeros((1, 16), np.float32)
    item[0, 0], item[0, 1] = 0.6, 0.5  # a little nearer the learning sentence: past the gate, barely
    texts = ["A talk on Tuesday. Details."]
    for bar, expected in ((0.0, [OTHER]), (0.9, [])):
        tagger = FormatClassifier.fit(
            taxonomy, tax, relevance=replace(rules, other_threshold=bar), relevance_vectors=rel
        )
        score = tagger.relevance(texts, item, ["en"])
        assert score is not None and rules.threshold <= score[0] < 0.9
        assert [t.format for t in tagger.classify(texts, item, ["en"])[0]] == expected
    assert RelevanceRules(rules.learning, rules.elsewhere, rules.terms, other_threshold=0.5).signature() != (
        RelevanceRules(rules.learning, rules.elsewhere, rules.terms).signature()
    )
    strict = FormatClassifier.fit(taxonomy, tax, relevance=replace(rules, other_threshold=0.9), relevance_vectors=rel)
    webinar = strict.classify(["Webinar: a virtual classroom session. Join online."], item, ["en"])[0]
    assert webinar and webinar[0].format != OTHER  # a format found: the gate's own bar


def test_in_a_general_feed_an_item_with_no_format_is_off_topic_and_one_with_a_format_keeps_it() -> None:
    """A general news feed (the median of its latest items' scores below ``feed_threshold``) carries
    items that read a little like learning news and none of them a format: there they get no format at
    all. The same item in a learning feed, or in a feed too small to judge (None), is ``other``."""
    taxonomy, rules, tax, rel = _toy()
    tagger = FormatClassifier.fit(taxonomy, tax, relevance=rules, relevance_vectors=rel)
    item = np.zeros((1, 16), np.float32)
    item[0, 0], item[0, 1] = 0.6, 0.5  # past the gate, no format found
    texts = ["A talk on Tuesday. Details."]
    shown = {
        feed: [t.format for t in tagger.classify(texts, item, ["en"], feed_relevance=[feed])[0]]
        for feed in (rules.feed_threshold - 0.01, rules.feed_threshold, None)
    }
    assert shown == {rules.feed_threshold - 0.01: [], rules.feed_threshold: [OTHER], None: [OTHER]}
    webinar = tagger.classify(
        ["Webinar: a virtual classroom session. Join online."], item, ["en"], feed_relevance=[-1.0]
    )[0]
    assert webinar and webinar[0].format != OTHER  # a format found is evidence of its own
    with pytest.raises(ValueError, match="feed_relevance"):
        tagger.classify(texts, item, ["en"], feed_relevance=[0.5, 0.5])
    assert replace(rules, feed_threshold=0.3).signature() != rules.signature()  # a new bar re-tags


def test_a_feed_is_judged_on_enough_items_and_an_item_by_its_most_learning_feed() -> None:
    few = [0.9] * (RelevanceRules.MIN_FEED_ITEMS - 1)
    medians = feed_medians({1: [0.0, 0.1, 0.5, 0.6, 0.05], 2: [0.3] * RelevanceRules.MIN_FEED_ITEMS, 3: few})
    assert medians == {1: pytest.approx(0.1), 2: pytest.approx(0.3)}  # feed 3 is too small to judge
    assert item_feed_relevance([[1], [1, 2], [3], []], medians) == [
        pytest.approx(0.1),
        pytest.approx(0.3),
        None,
        None,
    ]


def test_without_rules_every_item_is_taken_to_be_about_learning() -> None:
    taxonomy, _, tax, _ = _toy()
    tagger = FormatClassifier.fit(taxonomy, tax)
    assert tagger.gate is None and tagger.relevance(["x"], np.ones((1, 16)), ["en"]) is None


# ---------------------------------------------------------------------------------------- real model

OFF_TOPIC = [
    ("en", "Every Mainline Yakuza Game, Ranked. From Yakuza 0 to Infinite Wealth, the series at its best."),
    ("en", "Tottenham v Manchester United – live! Minute-by-minute report of the Premier League match."),
    ("en", "Oil prices climb as producers agree to extend output cuts into next year."),
    ("en", "Senate passes the spending bill hours before the government shutdown deadline."),
    ("fr", "Ligue 1 : le PSG s'impose à Marseille dans un Classique tendu. Deux buts en fin de match."),
    ("fr", "La Bourse de Paris termine en baisse, plombée par les valeurs du luxe."),
    ("fr", "Le gouvernement présente son projet de budget pour 2027 en Conseil des ministres."),
]

LEARNING = [
    ("en", "Webinar on Tuesday at 10 am: running virtual classrooms with remote participants.", "virtual-classroom"),
    ("en", "A new free MOOC on emotional intelligence opens to everyone on FutureLearn next month.", "mooc"),
    (
        "fr",
        "Les formations en présentiel reprennent au centre de Lyon avec des groupes de huit personnes.",
        "face-to-face",
    ),
    ("fr", "Trois minutes par jour sur smartphone : le microlearning gagne les équipes en magasin.", "microlearning"),
]


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def gated(embedder: SentenceTransformerEmbedder) -> FormatClassifier:
    """The tagger with the shipped gate, fitted as ``veille process`` fits it."""
    taxonomy, rules = load_taxonomy(), load_relevance()
    return FormatClassifier.fit(
        taxonomy,
        taxonomy_vectors(embedder, [t.text for t in taxonomy.texts()]),
        relevance=rules,
        relevance_vectors=taxonomy_vectors(embedder, [text for _, _, text in rules.texts()]),
    )


@pytest.mark.slow
def test_news_about_games_football_oil_and_budgets_gets_no_learning_format(gated, embedder) -> None:
    texts = [text for _, text in OFF_TOPIC]
    tags = gated.classify(texts, embedder.embed(texts), [lang for lang, _ in OFF_TOPIC])
    given = [(text, [t.format for t in item]) for text, item in zip(texts, tags, strict=True)]
    assert [g for g in given if any(f != OTHER for f in g[1])] == []


@pytest.mark.slow
def test_learning_news_keeps_its_format_in_both_languages(gated, embedder) -> None:
    texts = [text for _, text, _ in LEARNING]
    tags = gated.classify(texts, embedder.embed(texts), [lang for lang, _, _ in LEARNING])
    assert [[t.format for t in item][:1] for item in tags] == [[key] for _, _, key in LEARNING]


NOW = "2026-11-20T06:00:00Z"


def process_feeds(folder: Path, carried: dict[str, list[tuple[str, str]]]) -> tuple[Path, Path]:
    """Feeds (url -> their items as (language, "title. summary"), an hour apart) stored as ``veille fetch``
    stores them, then ``veille process`` through the real command: (config, database)."""
    from datetime import UTC, datetime, timedelta

    from click.testing import CliRunner

    from veille.adapters.store import FeedStore, Store
    from veille.cli import cli
    from veille.core.normalize import content_hash
    from veille.models import FeedConfig, NewItem

    start = datetime(2026, 11, 16, 8, tzinfo=UTC)
    config, database = folder / "feeds.yaml", folder / ".veille" / "veille.db"
    config.write_text("feeds:\n" + "".join(f"  - url: {url}\n" for url in carried), encoding="utf-8")
    with Store.open(database) as store:
        feeds = FeedStore(store)
        feeds.sync_feeds([FeedConfig(url=url) for url in carried], start)
        states = {state.url: state for state in feeds.feed_states()}
        with store.transaction():
            for feed, texts in carried.items():
                for index, (lang, text) in enumerate(texts):
                    title, summary = split_title(text)
                    url = f"{feed.removesuffix('feed.xml')}{index}"
                    published = start + timedelta(hours=index)
                    hashed = content_hash(title, summary, url)
                    item = NewItem(url, url, url, title, summary, summary, None, (), published, lang, hashed)
                    feeds._store_items(states[feed].id, [item], published)
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", NOW, "process"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return config, database


@pytest.mark.slow
def test_veille_process_leaves_off_topic_items_without_any_format(tmp_path: Path) -> None:
    """Through the real command: the football match and the game ranking are classified (not re-tagged on
    every run) but carry no format row, so neither the formats nor the radar count them."""
    import json
    import sqlite3

    from click.testing import CliRunner

    from veille.cli import cli

    texts = [(lang, text) for lang, text in OFF_TOPIC] + [(lang, text) for lang, text, _ in LEARNING]
    titles = [split_title(text)[0] for _, text in texts]
    config, database = process_feeds(tmp_path, {"https://source.example/feed.xml": texts})
    with sqlite3.connect(database) as conn:
        tagged = dict(
            conn.execute(
                "SELECT i.title, COUNT(f.format) FROM items i "
                "LEFT JOIN item_formats f ON f.item_id = i.id GROUP BY i.id"
            )
        )
        classified = conn.execute("SELECT COUNT(*) FROM classified").fetchone()[0]
    assert classified == len(texts)
    assert [title for title in titles[: len(OFF_TOPIC)] if tagged[title]] == []
    assert all(tagged[title] for title in titles[len(OFF_TOPIC) :])
    stats = CliRunner().invoke(cli, ["--config", str(config), "--now", NOW, "stats", "--json"])
    assert sum(json.loads(stats.stdout)["formats"].values()) == sum(tagged.values())
    assert json.loads(stats.stdout)["off_topic"] == len(OFF_TOPIC)  # classified, and told apart


LEADERS = (
    "Three traits that separate the best leaders from average ones. A survey of managers finds a mix of qualities."
)


@pytest.mark.slow
def test_veille_process_shows_a_general_feeds_item_without_format_only_from_a_learning_feed(tmp_path: Path) -> None:
    """Through the real command, two feeds carry the same management piece (no learning format found):
    from the general news feed it is off-topic, from the learning blog it is learning news (``other``)."""
    import sqlite3

    general, learning = "https://news.example/feed.xml", "https://ld-blog.example/feed.xml"
    extra = "Onboarding in the first week. Our training team pairs every new hire with a mentor and short courses."
    _, database = process_feeds(
        tmp_path,
        {
            general: [*OFF_TOPIC, ("en", LEADERS)],
            learning: [(lang, text) for lang, text, _ in LEARNING] + [("en", extra), ("en", LEADERS)],
        },
    )
    with sqlite3.connect(database) as conn:
        leaders = dict(
            conn.execute(
                "SELECT f.url, GROUP_CONCAT(t.format) FROM items i JOIN feeds f ON f.id = i.feed_id "
                "LEFT JOIN item_formats t ON t.item_id = i.id WHERE i.title = ? GROUP BY i.id",
                (split_title(LEADERS)[0],),
            )
        )
    assert leaders == {general: None, learning: OTHER}
