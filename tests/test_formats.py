"""Learning-format taxonomy and tagger: what a DLM sees on each item, in French and in English."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veille.adapters.embed import SentenceTransformerEmbedder
from veille.adapters.tagger import taxonomy_vectors
from veille.adapters.taxonomy import SHIPPED, load_taxonomy, read_corpus, read_taxonomy, shipped_vectors
from veille.core.formats import FORMAT_KEYS, OTHER, FormatClassifier, Taxonomy, TermMatcher, fold
from veille.errors import ConfigError

# One clear, new item per format and language (not in the taxonomy examples nor in the labelled set).
CLEAR: dict[str, tuple[str, str]] = {
    "mooc": (
        "L'université de Lille publie un nouveau MOOC gratuit sur l'intelligence émotionnelle, ouvert à tous.",
        "A new free MOOC on emotional intelligence opens to everyone on FutureLearn next month.",
    ),
    "video": (
        "Nos formateurs tournent désormais des vidéos pédagogiques de quatre minutes pour chaque procédure.",
        "Our trainers now record four-minute instructional videos for every procedure.",
    ),
    "microlearning": (
        "Trois minutes par jour sur smartphone : le microlearning gagne les équipes en magasin.",
        "Three minutes a day on a phone: microlearning wins over store teams.",
    ),
    "virtual-classroom": (
        "Webinaire mardi 10 h : réussir ses classes virtuelles avec des participants à distance.",
        "Webinar on Tuesday at 10 am: running virtual classrooms with remote participants.",
    ),
    "blended": (
        "La classe inversée arrive en BTS : les étudiants préparent chez eux et pratiquent en cours.",
        "The flipped classroom reaches vocational colleges: students prepare at home and practise in class.",
    ),
    "face-to-face": (
        "Les formations en présentiel reprennent au centre de Lyon avec des groupes de huit personnes.",
        "In-person training resumes at the Lyon centre with groups of eight people.",
    ),
    "reverse-mentoring": (
        "Mentorat inversé : des apprentis accompagnent les directeurs d'usine sur les outils numériques.",
        "Reverse mentoring: apprentices coach plant directors on digital tools.",
    ),
    "social-learning": (
        "Une communauté de pratique des formateurs internes partage ses ressources entre pairs.",
        "A community of practice of in-house trainers shares resources through peer learning.",
    ),
    "hackathon": (
        "Hackathon de la formation professionnelle : vingt équipes codent pendant 48 heures à Nantes.",
        "Vocational training hackathon: twenty teams code for 48 hours in Nantes.",
    ),
    "barcamp": (
        "Un barcamp de la pédagogie numérique se tient samedi ; chacun peut proposer un atelier sur place.",
        "A digital pedagogy barcamp takes place on Saturday; anyone can propose a session on the spot.",
    ),
    "serious-games": (
        "Un serious game apprend aux agents d'accueil à gérer les situations de tension.",
        "A serious game teaches front-desk staff to handle tense situations.",
    ),
    "immersive": (
        "Les caristes s'entraînent avec un casque de réalité virtuelle avant de conduire en entrepôt.",
        "Forklift drivers train with a virtual reality headset before driving in the warehouse.",
    ),
    "ai-learning": (
        "Un tuteur fondé sur l'IA générative corrige les exercices de programmation des étudiants.",
        "A generative AI tutor grades students' programming exercises.",
    ),
    "podcast": (
        "Notre podcast formation publie un épisode par semaine sur le management à distance.",
        "Our training podcast releases one episode a week on managing remote teams.",
    ),
    "lms-platforms": (
        "Le groupe remplace son LMS par une plateforme de formation plus simple pour les managers.",
        "The group replaces its LMS with a simpler learning platform for managers.",
    ),
    "credentials": (
        "Les salariés reçoivent un badge numérique à la fin de chaque parcours certifiant.",
        "Employees receive a digital badge at the end of every certification path.",
    ),
}

OFF_TOPIC = [
    ("fr", "La mairie annonce des travaux de voirie sur le boulevard pendant tout le mois d'août."),
    ("en", "The city council announces road works on the boulevard throughout August."),
    ("en", "Quarterly results: the carmaker's profit falls as steel prices rise."),
]


# ---------------------------------------------------------------------------------------- no model


def test_shipped_taxonomy_has_every_format_in_both_languages() -> None:
    taxonomy = load_taxonomy()
    assert set(taxonomy.keys) == {*FORMAT_KEYS, OTHER}
    assert taxonomy.keys[-1] == OTHER
    for fmt in taxonomy.formats:
        for lang in ("fr", "en"):
            assert fmt.name[lang] and fmt.description[lang]
            assert 5 <= len(fmt.examples[lang]) <= 15, (fmt.key, lang)
            if fmt.key != OTHER:
                assert fmt.terms.get(lang), (fmt.key, lang)


def test_terms_match_across_accents_case_elisions_and_plurals() -> None:
    taxonomy = load_taxonomy()
    matcher = TermMatcher(taxonomy)

    def found(text: str) -> dict[str, list[str]]:
        return {k: terms for k, terms in zip(taxonomy.keys, matcher.match(text), strict=True) if terms}

    assert "ai-learning" in found("Ce que l'IA generative change pour les formateurs")
    assert found("La REALITE VIRTUELLE au lycée")["immersive"] == ["réalité virtuelle"]
    assert "face-to-face" in found("Des sessions présentielles pour les nouveaux")
    assert "virtual-classroom" in found("Nos classes virtuelles du jeudi")
    # Acronyms match in capitals only and on word boundaries: French "j'ai" is not AI, "said" is not AI.
    assert "ai-learning" not in found("J'ai suivi la formation, said the trainer, sans aide")
    assert "lms-platforms" not in found("Les almsgivers")
    assert fold("L’Éducation à l'ère de l'IA") == "education a ere de ia"


def test_taxonomy_errors_name_file_line_and_field(tmp_path: Path) -> None:
    cases = {
        "formats:\n  mooc:\n    name: {fr: MOOC, en: MOOC}\n    examples: {fr: [a]}\n": (
            3,
            "formats.mooc.description",
            "missing",
        ),
        "formats:\n  mooc:\n    name: {fr: MOOC}\n    description: {fr: x}\n    examples:\n"
        "      fr:\n        - un\n        - deux: trois\n": (8, "formats.mooc.examples.fr[1]", "expected text"),
        "formats:\n  mooc:\n    name: {francais: MOOC}\n    description: {fr: x}\n": (
            3,
            "formats.mooc.name.francais",
            "language code",
        ),
        "formats:\n  Mooc Actu:\n    name: {fr: x}\n    description: {fr: x}\n": (3, "formats.Mooc Actu", "lowercase"),
        "formats:\n  mooc:\n    name: {fr: x}\n    description: {fr: x}\n    colour: red\n": (
            5,
            "formats.mooc.colour",
            "unknown field",
        ),
        "formats:\n  mooc: [\n": (3, None, "invalid YAML"),
    }
    for i, (text, (line, field, words)) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_taxonomy(path)
        message = str(caught.value)
        assert str(path) in message and f":{line}" in message and words in message, message
        if field:
            assert field in message, message
        assert caught.value.line == line


def test_missing_user_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read taxonomy file"):
        load_taxonomy(tmp_path / "nowhere.yaml")


def test_shipped_file_must_stay_complete(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace("  other:\n", "  autre:\n")
    path = tmp_path / "formats.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="'other' format is missing"):
        read_taxonomy(path, require_complete=True)


def test_shipped_corpus_teaches_every_format_in_both_languages() -> None:
    """The labelled items the tagger learns from cover each format, and ``other``, in French and English."""
    taxonomy = load_taxonomy()
    for lang in ("fr", "en"):
        counts = {
            key: sum(key in item.formats for item in taxonomy.corpus if item.lang == lang) for key in taxonomy.keys
        }
        assert min(counts.values()) >= 20, (lang, counts)
    assert {t.kind for t in taxonomy.texts()} == {"description", "example", "corpus"}


def test_a_corpus_line_with_an_unknown_format_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        '{"text": "Un MOOC de plus.", "lang": "fr", "formats": ["mooc"]}\n'
        '{"text": "A webinar.", "lang": "en", "formats": ["webinar"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        read_corpus(path, load_taxonomy().keys)
    assert str(path) in str(error.value) and ":2" in str(error.value) and "'webinar'" in str(error.value)
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected"):
        read_corpus(path, load_taxonomy().keys)


def test_a_change_in_the_corpus_changes_the_signature_so_items_are_tagged_again() -> None:
    taxonomy = load_taxonomy()
    fewer = Taxonomy(taxonomy.formats, taxonomy.corpus[1:])
    assert fewer.signature() != taxonomy.signature()
    assert Taxonomy(taxonomy.formats, taxonomy.corpus).signature() == taxonomy.signature()


def test_ten_thousand_items_are_tagged_in_one_call() -> None:
    """10,000 items in one call, each with its tags (the tagger's speed is measured by bench/process.py)."""
    taxonomy = load_taxonomy()
    rng = np.random.default_rng(0)
    classifier = FormatClassifier.fit(taxonomy, rng.normal(size=(len(taxonomy.texts()), 384)))
    texts = [fr for fr, _ in CLEAR.values()] * 625
    vectors = rng.normal(size=(len(texts), 384)).astype(np.float32)
    tags = classifier.classify(texts, vectors, ["fr", "en"] * (len(texts) // 2))
    assert len(tags) == 10_000 and all(tags)


# ---------------------------------------------------------------------------------------- real model


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def fitted(embedder: SentenceTransformerEmbedder, taxonomy: Taxonomy) -> FormatClassifier:
    """The tagger as ``veille process`` fits it: shipped vectors for the shipped texts, the rest embedded."""
    return FormatClassifier.fit(taxonomy, taxonomy_vectors(embedder, [t.text for t in taxonomy.texts()]))


@pytest.mark.slow
def test_shipped_vectors_are_the_default_models_vectors_of_every_shipped_text(embedder) -> None:
    """veille/data/formats_vectors.npz spares a first run embedding the taxonomy: it must hold every text
    of the shipped taxonomy (rebuild it with `make taxonomy-vectors` after an edit), as the model embeds it."""
    texts = list(dict.fromkeys(t.text for t in load_taxonomy().texts()))
    shipped = shipped_vectors()
    assert len(shipped) == len(texts), "run `make taxonomy-vectors`: the shipped vectors are out of date"
    stored = taxonomy_vectors(embedder, texts)
    sample = texts[:: max(1, len(texts) // 40)]
    fresh = embedder.embed(sample)
    rows = [texts.index(text) for text in sample]
    assert np.allclose(stored[rows], fresh, atol=1e-4)


@pytest.fixture(scope="module")
def classifier(embedder: SentenceTransformerEmbedder) -> FormatClassifier:
    return fitted(embedder, load_taxonomy())


def tag(classifier: FormatClassifier, embedder: SentenceTransformerEmbedder, items: list[tuple[str, str]]):
    texts = [text for _, text in items]
    return classifier.classify(texts, embedder.embed(texts), [lang for lang, _ in items])


@pytest.mark.slow
def test_clear_items_get_their_format_in_french_and_english(classifier, embedder) -> None:
    items = [(lang, text) for fr, en in CLEAR.values() for lang, text in (("fr", fr), ("en", en))]
    expected = [key for key in CLEAR for _ in (0, 1)]
    misses = [
        (key, text, [t.format for t in tags])
        for key, (_, text), tags in zip(expected, items, tag(classifier, embedder, items), strict=True)
        if tags[0].format != key
    ]
    assert not misses, misses


@pytest.mark.slow
def test_a_french_item_and_its_translation_get_the_same_formats(classifier, embedder) -> None:
    items = [(lang, text) for fr, en in CLEAR.values() for lang, text in (("fr", fr), ("en", en))]
    tags = tag(classifier, embedder, items)
    for i in range(0, len(items), 2):
        assert {t.format for t in tags[i]} == {t.format for t in tags[i + 1]}, (items[i], tags[i], tags[i + 1])


@pytest.mark.slow
def test_tags_carry_score_and_evidence(classifier, embedder) -> None:
    (tags,) = tag(classifier, embedder, [("fr", CLEAR["immersive"][0])])
    first = tags[0]
    assert first.format == "immersive" and 0.25 <= first.score <= 1
    assert first.evidence["terms"][0] == "casque de réalité virtuelle"
    assert first.evidence["closest"] in load_taxonomy().get("immersive").examples["fr"] + (  # type: ignore[union-attr]
        load_taxonomy().get("immersive").description["fr"],  # type: ignore[union-attr]
    )


@pytest.mark.slow
def test_off_topic_items_are_other(classifier, embedder) -> None:
    for tags in tag(classifier, embedder, OFF_TOPIC):
        assert [t.format for t in tags] == [OTHER], tags


@pytest.mark.slow
def test_user_file_overrides_one_format_and_adds_another(embedder, tmp_path: Path) -> None:
    user = tmp_path / "my-formats.yaml"
    user.write_text(
        """
formats:
  podcast:
    name: {fr: Audio et radio, en: Audio and radio}
    description: {fr: Apprendre en écoutant la radio ou des émissions audio., en: Learning by listening to radio.}
    examples:
      fr: [Une émission de radio forme les agriculteurs aux nouvelles pratiques]
      en: [A radio show trains farmers in new practices]
    terms: {fr: [radio, émission], en: [radio, show]}
  bootcamp:
    name: {fr: Bootcamp, en: Bootcamp}
    description: {fr: Formations intensives de reconversion en quelques semaines., en: Intensive career-change courses.}
    examples:
      fr: [Un bootcamp de douze semaines pour devenir développeur web]
      en: [A twelve-week coding bootcamp to become a web developer]
    terms: {fr: [bootcamp], en: [bootcamp, bootcamps]}
""",
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(user)
    assert taxonomy.get("podcast").label("fr") == "Audio et radio"  # type: ignore[union-attr]
    assert taxonomy.keys[-2:] == ("bootcamp", OTHER)
    assert taxonomy.get("mooc") == load_taxonomy().get("mooc")
    assert taxonomy.signature() != load_taxonomy().signature()
    classifier = fitted(embedder, taxonomy)
    items = [
        ("fr", "Un bootcamp intensif forme 30 demandeurs d'emploi au métier de data analyst en dix semaines."),
        ("en", "A community radio station trains farmers in soil conservation every Sunday morning."),
    ]
    tags = tag(classifier, embedder, items)
    assert tags[0][0].format == "bootcamp", tags[0]
    assert tags[1][0].format == "podcast", tags[1]


@pytest.mark.slow
def test_a_term_in_the_title_counts_more_than_a_passing_mention(classifier, embedder) -> None:
    """ "Vidéo" in a headline about video is evidence; the same word in passing, deep in a story about a
    budget, is not (the demo corpus had 19 such false positives)."""
    items = [
        ("fr", "Vidéos pédagogiques : un lycée tourne ses propres tutoriels. Les élèves filment les expériences."),
        (
            "fr",
            "Le budget des universités voté sans surprise. Les présidents regrettent la baisse des dotations, "
            "et une vidéo du ministre a circulé sur les réseaux sociaux.",
        ),
    ]
    tags = tag(classifier, embedder, items)
    assert tags[0][0].format == "video", tags[0]
    assert [t.format for t in tags[1]] == [OTHER], tags[1]


HELDOUT = Path(__file__).parent / "data" / "formats_heldout2.jsonl"


def labelled_rows(path: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def macro_f1_per_language(rows: list[dict], classifier, embedder) -> dict[str, float]:
    """The tagger's macro-F1 on ``rows`` (text, lang, formats), French and English apart."""
    from veille.core.formats import macro_f1

    texts = [r["text"] for r in rows]
    tags = classifier.classify(texts, embedder.embed(texts), [r["lang"] for r in rows])
    scores = {}
    for lang in ("fr", "en"):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        scores[lang], _ = macro_f1(
            [rows[i]["formats"] for i in idx], [[t.format for t in tags[i]] for i in idx], load_taxonomy().keys
        )
    return scores


@pytest.mark.slow
def test_tagging_quality_on_the_held_out_set_meets_the_target_in_both_languages(classifier, embedder) -> None:
    """Macro-F1 per language on 372 items written before the training corpus and the knobs existed
    (bench/formats.py --set heldout2 prints the full table): the target is 0.85 in both languages with
    French within 0.05 of English."""
    rows = labelled_rows(HELDOUT)
    assert sum(r["lang"] == "fr" for r in rows) >= 150 and sum(r["lang"] == "en" for r in rows) >= 150
    scores = macro_f1_per_language(rows, classifier, embedder)
    assert scores["fr"] >= 0.85 and scores["en"] >= 0.85, scores
    assert abs(scores["fr"] - scores["en"]) <= 0.05, scores


REAL = Path(__file__).parent / "data" / "formats_real.jsonl"


def test_real_set_is_split_by_source_and_labelled_with_known_formats() -> None:
    """One blog never sits on both sides of the real set, and every label is a shipped format."""
    rows = labelled_rows(REAL)
    shipped = set(load_taxonomy().keys)
    sides: dict[str, set[str]] = {}
    for r in rows:
        sides.setdefault(r["source"], set()).add(r["split"])
        assert r["formats"] and set(r["formats"]) <= shipped, r
        assert r["formats"] == [OTHER] or OTHER not in r["formats"], r
    assert all(len(s) == 1 for s in sides.values()), sides
    assert sum(r["lang"] == "en" for r in rows) >= 150 and sum(r["lang"] == "fr" for r in rows) >= 100


@pytest.mark.slow
def test_tagging_quality_on_real_held_out_items_holds(classifier, embedder) -> None:
    """Macro-F1 per language on the held-out part of the real items (273 real blog posts and press
    releases, title + first sentence; bench/formats.py --set real prints the full table). Measured: 0.822
    FR, 0.611 EN (below the 0.85 target); this keeps it from falling by more than 0.05."""
    rows = [r for r in labelled_rows(REAL) if r["split"] == "heldout"]
    scores = macro_f1_per_language(rows, classifier, embedder)
    assert scores["fr"] >= 0.77 and scores["en"] >= 0.56, scores
