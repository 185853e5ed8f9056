"""Learning formats: the taxonomy and the tagger that gives each item zero or more formats.

Pure: the taxonomy arrives already loaded (``adapters.taxonomy``) and every text already embedded
(``adapters.embed``); this module only does arithmetic on the vectors and string matching.

How an item is tagged, and why:

1. **What the tagger learns from.** The taxonomy (``veille/data/formats.yaml``: per format a name, a
   description, short example phrases and evidence terms, in French and English) and a labelled corpus
   of news items (``veille/data/formats_corpus.jsonl``: 550 French and 370 English "title. summary"
   items, each with its formats or ``other``, many of them hard cases such as "vidéosurveillance",
   "plateforme de recrutement", "certification ISO"). The corpus teaches the phrasing the short examples
   cannot cover; French gets more of it because the embedding model reads French poorly.
2. **Lexical evidence.** The taxonomy's terms ("MOOC", "classe virtuelle", "réalité virtuelle"…) are
   matched without case or accents, on word boundaries, after French elisions ("l'IA" → "IA"), with
   plural and feminine endings ("présentiel" finds "présentielles").
   Acronyms written in capitals in the taxonomy ("AI", "IA", "VR", "LMS") match in capitals only,
   so French "j'ai" is not artificial intelligence. Terms of both languages count for every item:
   French news writes "blended learning" and "reverse mentoring" in English.
3. **Two small models fitted at run time** (multinomial logistic regression, deterministic, about a
   second): one on the embeddings, centred per language (an English-centric model places French and
   English texts in different regions; subtracting each language's mean vector leaves what a text is
   about), one on words and word pairs (TF-IDF of the folded text) plus every term. The word model
   carries French. Users extend both by adding examples and terms to their taxonomy file.
4. **Decision.** Each format's logit is a per-language weighted sum of the two models' logits, plus a
   bonus when one of its terms is in the title (the first sentence of "title. summary"): a term deep in
   the summary is often a passing mention ("le cours en vidéo") and only counts through the word model.
   A softmax over all formats (``other`` included) turns logits into scores. A format is kept when its
   score reaches its language's threshold, or a lower one when its term is in the title (second formats);
   ``other`` is the answer when no format is kept. Weights and thresholds were calibrated on four
   labelled sets (``bench/formats.py --set dev|test|heldout|demo``); the fresh held-out set
   ``tests/data/formats_heldout2.jsonl`` was scored once, after that.
5. **Relevance first.** With relevance rules (``veille/data/relevance.yaml``), an item is first asked
   whether it is about learning at all (``RelevanceGate``); one that is not gets no format, not even
   ``other`` (calibrated with ``bench/relevance.py``). An item with no format found (``other``) also
   needs a feed that is about learning (``feed_relevance``), and the rules' ``other_threshold`` (now the
   gate's own): general news feeds carry many items that read a little like learning news and none of
   them a format.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

if TYPE_CHECKING:
    from numpy.typing import NDArray

OTHER = "other"
LANGUAGES: tuple[str, ...] = ("fr", "en")
FORMAT_KEYS: tuple[str, ...] = (
    "mooc",
    "video",
    "microlearning",
    "virtual-classroom",
    "blended",
    "face-to-face",
    "reverse-mentoring",
    "social-learning",
    "hackathon",
    "barcamp",
    "serious-games",
    "immersive",
    "ai-learning",
    "podcast",
    "lms-platforms",
    "credentials",
)


# --------------------------------------------------------------------------------------------------
# The taxonomy


@dataclass(frozen=True)
class LearningFormat:
    """One format: names, description, example phrases and evidence terms, per language."""

    key: str
    name: Mapping[str, str]
    description: Mapping[str, str]
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        """The name to print in ``lang``, falling back to the English one, then to any name the format has."""
        return self.name.get(lang) or self.name.get("en") or next(iter(self.name.values()), self.key)


@dataclass(frozen=True)
class TaxonomyText:
    """One text of the taxonomy that the tagger embeds: a description or an example phrase."""

    format: str
    lang: str
    kind: str  # "description" | "example"
    text: str


@dataclass(frozen=True)
class CorpusItem:
    """One labelled news item ("title. summary") that the tagger's two models learn from, beside the
    taxonomy's descriptions and examples: phrasing the short examples cannot cover."""

    text: str
    lang: str
    formats: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    """The learning formats, in the order the digest lists them (``other`` last), and the labelled items
    the tagger also learns from (``corpus``; items whose formats are all unknown here are ignored)."""

    formats: tuple[LearningFormat, ...]
    corpus: tuple[CorpusItem, ...] = ()

    def __post_init__(self) -> None:
        keys = [f.key for f in self.formats]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate format keys in taxonomy: {keys}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.formats)

    def get(self, key: str) -> LearningFormat | None:
        for fmt in self.formats:
            if fmt.key == key:
                return fmt
        return None

    def merged(self, override: Taxonomy) -> Taxonomy:
        """This taxonomy with ``override``'s formats replacing same-key ones and new keys added
        (before ``other``, which stays last)."""
        replaced = {f.key: f for f in override.formats}
        merged = [replaced.pop(f.key, f) for f in self.formats]
        added = [f for f in override.formats if f.key in replaced]
        tail = [f for f in merged if f.key == OTHER]
        head = [f for f in merged if f.key != OTHER]
        return Taxonomy(tuple(head + added + tail), self.corpus + override.corpus)

    def texts(self) -> list[TaxonomyText]:
        """Every description and example, then every corpus item once per known format it carries, in a
        fixed order: the rows ``FormatClassifier.fit`` expects."""
        out: list[TaxonomyText] = []
        for fmt in self.formats:
            for lang in sorted(set(fmt.description) | set(fmt.examples)):
                if fmt.description.get(lang):
                    out.append(TaxonomyText(fmt.key, lang, "description", fmt.description[lang]))
                for example in fmt.examples.get(lang, ()):
                    out.append(TaxonomyText(fmt.key, lang, "example", example))
        keys = set(self.keys)
        for item in self.corpus:
            out += [TaxonomyText(key, item.lang, "corpus", item.text) for key in item.formats if key in keys]
        return out

    def signature(self) -> str:
        """A short hash of everything that affects tagging: a change re-tags the stored items."""
        content = [
            {
                "key": f.key,
                "description": dict(f.description),
                "examples": {k: list(v) for k, v in f.examples.items()},
                "terms": {k: list(v) for k, v in f.terms.items()},
            }
            for f in self.formats
        ]
        corpus = [[item.text, item.lang, list(item.formats)] for item in self.corpus]
        blob = json.dumps([content, corpus] if corpus else content, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------
# Lexical evidence

_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)'", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")  # accents


def fold(text: str, *, keep_case: bool = False) -> str:
    """``text`` without accents, French elisions and punctuation, words separated by one space, so
    that "L'IA générative" and "IA generative" compare equal; lowercase unless ``keep_case``."""
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.replace("’", "'").replace("ʼ", "'")))
    text = _ELISION.sub(" ", text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = " ".join(text.split())
    return text if keep_case else text.lower()


def _is_acronym(term: str) -> bool:
    letters = [c for c in term if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters) and " " not in term.strip()


_PLAIN_ENDINGS = ("", "s", "x", "e", "es")  # plural and feminine forms the taxonomy need not spell out
_ACRONYM_ENDINGS = ("", "s")  # "LLMs"


class _TermIndex:
    """Terms as token tuples, indexed by first token: one dictionary look-up per word of a text."""

    def __init__(self, endings: tuple[str, ...]) -> None:
        self.endings = endings
        self.by_first: dict[str, list[tuple[tuple[str, ...], int, str]]] = {}

    def add(self, folded: str, format_index: int, display: str) -> None:
        tokens = tuple(folded.split())
        firsts = [tokens[0] + e for e in self.endings] if len(tokens) == 1 else [tokens[0]]
        for first in firsts:
            self.by_first.setdefault(first, []).append((tokens, format_index, display))

    def find(self, words: list[str], found: list[list[str]]) -> None:
        for i, word in enumerate(words):
            for tokens, k, display in self.by_first.get(word, ()):
                n = len(tokens)
                if n > 1 and not (
                    words[i + 1 : i + n - 1] == list(tokens[1:-1])
                    and i + n <= len(words)
                    and words[i + n - 1] in [tokens[-1] + e for e in self.endings]
                ):
                    continue
                if display not in found[k]:
                    found[k].append(display)


class TermMatcher:
    """Finds the taxonomy's terms in texts, prepared once: a word-by-word dictionary look-up, so the cost
    grows with the text, not with the number of terms."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._prepare(taxonomy.keys, [[t for terms in fmt.terms.values() for t in terms] for fmt in taxonomy.formats])

    @classmethod
    def of_groups(cls, groups: Mapping[str, Sequence[str]]) -> TermMatcher:
        """A matcher of named groups of terms (``match`` returns one list per group, in order)."""
        matcher = cls.__new__(cls)
        matcher._prepare(tuple(groups), [list(terms) for terms in groups.values()])
        return matcher

    def _prepare(self, keys: tuple[str, ...], groups: Sequence[Sequence[str]]) -> None:
        self.keys = keys
        self._plain = _TermIndex(_PLAIN_ENDINGS)
        self._acronyms = _TermIndex(_ACRONYM_ENDINGS)
        for k, terms in enumerate(groups):
            for term in terms:
                if _is_acronym(term):
                    self._acronyms.add(fold(term, keep_case=True), k, term)
                elif fold(term):
                    self._plain.add(fold(term), k, term)

    def match(self, text: str) -> list[list[str]]:
        """For each format (taxonomy order), the terms found in ``text``, as the taxonomy writes them,
        longest first."""
        cased = fold(text, keep_case=True).split()
        found: list[list[str]] = [[] for _ in self.keys]
        self._plain.find([w.lower() for w in cased], found)
        self._acronyms.find(cased, found)
        # "MOOCs" and "MOOC", "IA générative" and "IA": show the longer one only.
        return [
            [t for t in sorted(terms, key=len, reverse=True) if not any(o != t and o.startswith(t) for o in terms)]
            for terms in found
        ]


# --------------------------------------------------------------------------------------------------
# Relevance: is the item about learning at all?


@dataclass(frozen=True)
class RelevanceRules:
    """What decides whether an item is about learning, training or education at all (``veille/data/
    relevance.yaml``, loaded by ``adapters.taxonomy.load_relevance``): sentences written like learning
    news and like the other news general feeds carry, per language, learning terms, and the calibrated
    weights (``bench/relevance.py``)."""

    learning: Mapping[str, tuple[str, ...]]
    elsewhere: Mapping[str, tuple[str, ...]]
    terms: Mapping[str, tuple[str, ...]]
    neighbours: int = 1  # how many best similarities are averaged on each side
    term_weight: float = 0.1  # added per distinct learning term found (at most ``MAX_TERMS``)
    threshold: float = 0.071  # minimum score of a relevant item
    # minimum score of a relevant item given no format but ``other`` (a format found is evidence of its
    # own); once above the gate's, it no longer paid when ``feed_threshold`` came (bench/relevance.py)
    other_threshold: float = 0.071
    # minimum median score of a feed's recent items for its items with no format to be learning news: a
    # general feed's ``other`` items were off-topic items that read a little like learning (a tech blog's
    # "productivity tips", a football club's "training ground"); a learning feed's are its own news
    feed_threshold: float = 0.18

    MAX_TERMS = 2
    FEED_ITEMS = 50  # how many of a feed's latest items its median is taken over
    MIN_FEED_ITEMS = 5  # a feed with fewer scored items is not judged (its items are judged alone)

    def texts(self) -> list[tuple[str, str, str]]:
        """Every sentence as (side, language, text), learning first: the rows ``RelevanceGate.fit``
        expects vectors for."""
        return [
            (side, lang, text)
            for side, sentences in (("learning", self.learning), ("elsewhere", self.elsewhere))
            for lang in sorted(sentences)
            for text in sentences[lang]
        ]

    def signature(self) -> str:
        blob = json.dumps(
            [
                [[side, lang, text] for side, lang, text in self.texts()],
                {k: list(v) for k, v in sorted(self.terms.items())},
                [self.neighbours, self.term_weight, self.threshold, self.other_threshold, self.feed_threshold],
                [self.FEED_ITEMS, self.MIN_FEED_ITEMS],
            ],
            ensure_ascii=False,
        ).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class RelevanceGate:
    """Decides, before any format, whether an item is about learning at all.

    The score of an item is the mean of its ``neighbours`` best cosine similarities to the learning
    sentences (the rules' own and every taxonomy description, example and corpus item that carries a
    format) minus the same mean for the elsewhere sentences, all vectors centred per language like the
    tagger's, plus ``term_weight`` per distinct learning term in its text (at most two). The item is
    about learning when the score reaches ``threshold``. Items that are not get no format, not even
    ``other``: they stay out of the format radar."""

    rules: RelevanceRules
    learning: NDArray[np.float32]  # centred, normalised rows
    elsewhere: NDArray[np.float32]
    matcher: TermMatcher

    def scores(self, texts: Sequence[str], centred: NDArray[np.float32]) -> NDArray[np.float32]:
        """One score per item; ``centred``: the items' vectors centred per language and normalised."""
        if len(texts) == 0:
            return np.zeros(0, dtype=np.float32)
        near = _mean_best(centred @ self.learning.T, self.rules.neighbours)
        far = _mean_best(centred @ self.elsewhere.T, self.rules.neighbours)
        terms = np.array([min(len(self.terms(text)), RelevanceRules.MAX_TERMS) for text in texts], dtype=np.float32)
        return (near - far + self.rules.term_weight * terms).astype(np.float32)

    def terms(self, text: str) -> list[str]:
        """The learning terms found in ``text``."""
        return self.matcher.match(text)[0]


def feed_medians(scores: Mapping[int, Sequence[float]]) -> dict[int, float]:
    """Each feed's median relevance score over its latest items (``scores``: feed -> the gate's scores of
    up to ``RelevanceRules.FEED_ITEMS`` of them); a feed with fewer than ``MIN_FEED_ITEMS`` is left out."""
    return {
        feed: float(np.median(values))
        for feed, values in scores.items()
        if len(values) >= RelevanceRules.MIN_FEED_ITEMS
    }


def item_feed_relevance(feeds: Sequence[Sequence[int]], medians: Mapping[int, float]) -> list[float | None]:
    """Per item, the best median of the feeds that carried it (an item one learning feed carries is
    learning news there); None when none of its feeds is judged."""
    out: list[float | None] = []
    for item_feeds in feeds:
        known = [medians[feed] for feed in item_feeds if feed in medians]
        out.append(max(known) if known else None)
    return out


def _mean_best(similarities: NDArray[np.float32], k: int) -> NDArray[np.float32]:
    k = max(1, min(k, similarities.shape[1]))
    return np.asarray(np.partition(similarities, -k, axis=1)[:, -k:].mean(axis=1), dtype=np.float32)


# --------------------------------------------------------------------------------------------------
# The tagger


@dataclass(frozen=True)
class FormatTag:
    """One format of one item, with the score that decided it and why."""

    format: str
    score: float
    evidence: Mapping[str, object]  # {"closest": text, "terms": [matched terms]}


Weights = Mapping[str, float]  # language -> value; "*" is the value for any other language


def _weights(fr: float, en: float) -> Weights:
    return MappingProxyType({"fr": fr, "en": en, "*": (fr + en) / 2})


@dataclass(frozen=True)
class ClassifierParams:
    """The calibrated knobs (see the module docstring), per language where French and English differ;
    recalibrate them when the model changes (``bench/formats.py --set summary``)."""

    # Calibrated per language (grid search, mean macro-F1 over the dev, test, first held-out and demo
    # sets): the English-centric model reads French poorly, so French leans on the word model more.
    semantic_weight: Weights = field(default_factory=lambda: _weights(0.25, 0.5))  # x embedding-model logit
    lexical_weight: Weights = field(default_factory=lambda: _weights(0.75, 1.0))  # x word-model logit
    term_bonus: Weights = field(default_factory=lambda: _weights(1.0, 0.5))  # a term in the title
    threshold: Weights = field(default_factory=lambda: _weights(0.2, 0.2))  # minimum softmax score
    term_threshold: float = 0.05  # minimum score of a format whose term is in the title (second formats)
    semantic_c: float = 4.0  # inverse regularisation of the embedding model
    lexical_c: float = 16.0  # inverse regularisation of the word model
    centre_languages: bool = True  # subtract each language's mean taxonomy vector

    def knobs(self) -> dict[str, object]:
        """Plain values, for signatures and reports."""
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in self.__dict__.items()}


def _per_language(weights: Weights, langs: Sequence[str | None]) -> NDArray[np.float32]:
    default = weights.get("*", float(np.mean(list(weights.values()))))
    return np.array([weights.get(lang or "*", default) for lang in langs], dtype=np.float32)


@dataclass(frozen=True)
class _Linear:
    """A fitted multinomial logistic model as plain arrays: ``x @ coef.T + intercept`` (one column per
    format), so tagging is one matrix product."""

    coef: NDArray[np.float32] | sparse.csr_matrix
    intercept: NDArray[np.float32]

    @classmethod
    def fit(cls, x: NDArray[np.float32] | sparse.csr_matrix, y: NDArray[np.int64], n: int, c: float) -> _Linear:
        """Fit on rows ``x`` labelled ``y`` (0..n-1). Deterministic (Newton-CG, no random state involved;
        on the word model's 25,000 features x 17 formats it is 5x faster than L-BFGS and converges closer).
        Formats without rows get a very low intercept; a single class gives zeros."""
        coef = np.zeros((n, x.shape[1]), dtype=np.float32)
        intercept = np.full(n, -30.0, dtype=np.float32)
        classes = np.unique(y)
        if classes.size < 2:
            intercept[classes] = 0.0
            return cls(coef, intercept)
        # Callers fit with one BLAS thread (``adapters.threads.one_blas_thread``): these problems are tiny,
        # and on a busy machine threads fight (10x slower). Core does not change process-wide settings.
        model = LogisticRegression(C=c, max_iter=3000, solver="newton-cg").fit(x.astype(np.float32), y)
        rows = model.coef_ if classes.size > 2 else np.vstack([-model.coef_[0], model.coef_[0]]) / 2
        bias = model.intercept_ if classes.size > 2 else np.array([-model.intercept_[0], model.intercept_[0]]) / 2
        coef[classes] = rows
        intercept[classes] = bias
        return cls(coef, intercept)

    def logits(self, x: NDArray[np.float32] | sparse.csr_matrix) -> NDArray[np.float32]:
        return np.asarray(x @ self.coef.T, dtype=np.float32) + self.intercept


_FIRST_SENTENCE = re.compile(r"(?<=[.?!])\s")


def split_title(text: str) -> tuple[str, str]:
    """``"Title. Summary"`` (what ``veille process`` tags) as (title, rest): the first sentence stands for
    the title. A term in the title says what the item is about; the same term deep in the summary is
    often a passing mention ("le cours en vidéo", "a certificate renewal")."""
    parts = _FIRST_SENTENCE.split(text.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True)
class FormatClassifier:
    """Models and term patterns prepared once from an embedded taxonomy; tags many items fast."""

    taxonomy: Taxonomy
    params: ClassifierParams
    centres: Mapping[str, NDArray[np.float32]]  # lang -> (dim,), the language's mean taxonomy vector
    text_vectors: NDArray[np.float32]  # centred per text's language, normalised: for "closest"
    texts: tuple[TaxonomyText, ...]
    matcher: TermMatcher
    semantic: _Linear  # on centred item vectors
    lexical: _Linear  # on TF-IDF word and word-pair features of the folded text
    vocabulary: TfidfVectorizer
    gate: RelevanceGate | None = None  # None: every item is taken to be about learning

    @classmethod
    def fit(
        cls,
        taxonomy: Taxonomy,
        example_vectors: NDArray[np.floating],
        params: ClassifierParams | None = None,
        relevance: RelevanceRules | None = None,
        relevance_vectors: NDArray[np.floating] | None = None,
    ) -> FormatClassifier:
        """Prepare the tagger. ``example_vectors`` holds one embedding per ``taxonomy.texts()`` row;
        with ``relevance`` rules, ``relevance_vectors`` one per ``relevance.texts()`` row, and items the
        gate finds off-topic get no format.

        Two small logistic models are fitted here, from the taxonomy alone (a user's examples and terms
        count at once): one on the centred embeddings of the descriptions and examples, one on their
        words and the format terms. Both are deterministic and take well under a second."""
        params = params or ClassifierParams()
        texts = tuple(taxonomy.texts())
        vectors = np.asarray(example_vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"expected {len(texts)} taxonomy vectors, got array of shape {vectors.shape}")
        langs = sorted({t.lang for t in texts})
        dim = vectors.shape[1]
        centres: dict[str, NDArray[np.float32]] = {}
        for lang in langs:
            rows = vectors[[i for i, t in enumerate(texts) if t.lang == lang]]
            centres[lang] = rows.mean(axis=0) if params.centre_languages else np.zeros(dim, np.float32)
        text_lang = [t.lang for t in texts]
        centred = _normalise(vectors - np.stack([centres[lang] for lang in text_lang]))
        keys = taxonomy.keys
        labels = np.array([keys.index(t.format) for t in texts], dtype=np.int64)
        semantic = _Linear.fit(centred, labels, len(keys), params.semantic_c)
        # The word model reads the examples and descriptions plus every term as a one-line document.
        word_docs = [fold(t.text) for t in texts]
        word_labels = list(labels)
        for k, fmt in enumerate(taxonomy.formats):
            for terms in fmt.terms.values():
                word_docs += [fold(term) for term in terms]
                word_labels += [k] * len(terms)
        vocabulary = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
        word_x = vocabulary.fit_transform(word_docs)
        lexical = _Linear.fit(word_x, np.array(word_labels, dtype=np.int64), len(keys), params.lexical_c)
        gate = None
        if relevance is not None:
            sentences = relevance.texts()
            rel = np.asarray(relevance_vectors if relevance_vectors is not None else [], dtype=np.float32)
            if rel.ndim != 2 or rel.shape[0] != len(sentences):
                raise ValueError(f"expected {len(sentences)} relevance vectors, got array of shape {rel.shape}")
            mean_centre: NDArray[np.float32] = np.mean(list(centres.values()), axis=0).astype(np.float32)
            rel = _normalise(rel - np.stack([centres.get(lang, mean_centre) for _, lang, _ in sentences]))
            side = np.array([s == "learning" for s, _, _ in sentences], dtype=bool)
            # the taxonomy's texts of a format (``other``'s descriptions and examples: edtech news without
            # a format) are learning sentences too; corpus items labelled ``other`` are left out (many
            # are hard negatives: "vidéosurveillance", "plateforme de recrutement")
            taught = [i for i, t in enumerate(texts) if t.format != OTHER or t.kind != "corpus"]
            gate = RelevanceGate(
                rules=relevance,
                learning=np.vstack([rel[side], centred[taught]]),
                elsewhere=rel[~side],
                matcher=TermMatcher.of_groups({"learning": [t for terms in relevance.terms.values() for t in terms]}),
            )
        return cls(
            taxonomy=taxonomy,
            params=params,
            centres=centres,
            text_vectors=centred,
            texts=texts,
            matcher=TermMatcher(taxonomy),
            semantic=semantic,
            lexical=lexical,
            vocabulary=vocabulary,
            gate=gate,
        )

    @property
    def signature(self) -> str:
        """The taxonomy's signature and the calibrated knobs: what ``classified.signature`` stores (with the
        model name) so that a change of either re-tags the items."""
        knobs = json.dumps(self.params.knobs(), sort_keys=True)
        gate = f"-{self.gate.rules.signature()[:8]}" if self.gate is not None else ""
        return f"{self.taxonomy.signature()}-{hashlib.sha256(knobs.encode()).hexdigest()[:8]}{gate}"

    def _centred(self, vectors: NDArray[np.floating], langs: Sequence[str | None]) -> NDArray[np.float32]:
        """Item vectors minus their language's taxonomy centre (the mean centre for other languages)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        mean_centre = np.mean(list(self.centres.values()), axis=0)
        centres = np.stack([self.centres.get(lang or "", mean_centre) for lang in langs]) if len(langs) else 0
        return _normalise(vectors - centres)

    def relevance(
        self, texts: Sequence[str], vectors: NDArray[np.floating], langs: Sequence[str | None]
    ) -> NDArray[np.float32] | None:
        """The relevance gate's score per item (about learning when it reaches the rules' threshold);
        None without a gate."""
        if self.gate is None:
            return None
        if not (len(texts) == len(langs) == len(vectors)):
            raise ValueError("texts, vectors and langs must have the same length")
        return self.gate.scores(texts, self._centred(vectors, langs))

    def _other_is_off_topic(
        self,
        relevance: NDArray[np.float32] | None,
        feed_relevance: Sequence[float | None] | None,
        i: int,
        other_threshold: float,
    ) -> bool:
        """Whether item ``i``, given no format, is off-topic rather than ``other`` learning news."""
        if relevance is None or self.gate is None:
            return False
        feed = feed_relevance[i] if feed_relevance is not None else None
        return bool(relevance[i] < other_threshold) or (feed is not None and feed < self.gate.rules.feed_threshold)

    def scores(
        self, texts: Sequence[str], vectors: NDArray[np.floating], langs: Sequence[str | None]
    ) -> tuple[NDArray[np.float32], list[list[list[str]]], NDArray[np.bool_]]:
        """Softmax scores (items x formats); per item and format the matched terms (whole text); and
        which formats have a term in the title."""
        if not (len(texts) == len(langs) == len(vectors)):
            raise ValueError("texts, vectors and langs must have the same length")
        p = self.params
        titles = [split_title(text)[0] for text in texts]
        folded = [fold(text) for text in texts]
        semantic = self.semantic.logits(self._centred(vectors, langs))
        lexical = self.lexical.logits(self.vocabulary.transform(folded))
        terms = [self.matcher.match(text) for text in texts]
        in_title = np.array([[bool(t) for t in self.matcher.match(title)] for title in titles], dtype=bool)
        in_title = in_title.reshape(semantic.shape)
        logits = (
            _per_language(p.semantic_weight, langs)[:, None] * semantic
            + _per_language(p.lexical_weight, langs)[:, None] * lexical
            + _per_language(p.term_bonus, langs)[:, None] * in_title
        )
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs.astype(np.float32), terms, in_title

    def classify(
        self,
        texts: Sequence[str],
        vectors: NDArray[np.floating],
        langs: Sequence[str | None],
        *,
        gate_texts: Sequence[str] | None = None,
        feed_relevance: Sequence[float | None] | None = None,
    ) -> list[list[FormatTag]]:
        """Zero or more formats per item, best first; ``[other]`` when no format is confident; ``[]`` (no
        format at all) when the relevance gate finds the item is not about learning, or finds no format
        and scores it below ``RelevanceRules.other_threshold``, or finds no format and its feeds'
        ``feed_relevance`` (``item_feed_relevance``; None: not judged) is below
        ``RelevanceRules.feed_threshold``: a general feed. ``gate_texts``, when
        given, are the texts whose learning terms the gate counts instead of ``texts`` (an item's title and
        excerpt when ``texts`` go on with its article page: a long page names learning words in passing,
        measured in bench/fulltext.py)."""
        if len(texts) == 0:
            return []
        if feed_relevance is not None and len(feed_relevance) != len(texts):
            raise ValueError("texts and feed_relevance must have the same length")
        relevance = self.relevance(texts if gate_texts is None else gate_texts, vectors, langs)
        gate_threshold = self.gate.rules.threshold if self.gate is not None else 0.0
        other_threshold = max(gate_threshold, self.gate.rules.other_threshold) if self.gate is not None else 0.0
        probs, terms, in_title = self.scores(texts, vectors, langs)
        keys = self.taxonomy.keys
        other_index = keys.index(OTHER) if OTHER in keys else -1
        threshold = _per_language(self.params.threshold, langs)[:, None]
        kept = (probs >= threshold) | (in_title & (probs >= self.params.term_threshold))
        if other_index >= 0:
            kept[:, other_index] = False
        closest = self._closest(np.asarray(vectors, dtype=np.float32), langs)
        result: list[list[FormatTag]] = []
        for i in range(len(texts)):
            if relevance is not None and relevance[i] < gate_threshold:
                result.append([])
                continue
            chosen = sorted(np.flatnonzero(kept[i]), key=lambda k: -probs[i, k])
            tags = [
                FormatTag(
                    format=keys[k],
                    score=round(float(probs[i, k]), 4),
                    evidence={"closest": closest[i].get(keys[k], ""), "terms": terms[i][k]},
                )
                for k in chosen
            ]
            if not tags and self._other_is_off_topic(relevance, feed_relevance, i, other_threshold):
                result.append([])  # no format found, and not clearly about learning: off-topic
                continue
            if not tags:
                other_score = float(probs[i, other_index]) if other_index >= 0 else 1.0 - float(probs[i].max())
                tags = [
                    FormatTag(
                        format=OTHER,
                        score=round(other_score, 4),
                        evidence={"closest": closest[i].get(OTHER, ""), "terms": []},
                    )
                ]
            result.append(tags)
        return result

    def _closest(self, vectors: NDArray[np.float32], langs: Sequence[str | None]) -> list[dict[str, str]]:
        """Per item, for each format, the taxonomy text (of the item's language when there is one)
        nearest to it: what a reader is shown as the reason for a tag."""
        out: list[dict[str, str]] = [{} for _ in range(vectors.shape[0])]
        for lang in [*self.centres, None]:
            rows = [
                i for i, item_lang in enumerate(langs) if (item_lang if item_lang in self.centres else None) == lang
            ]
            if not rows:
                continue
            cols = [j for j, t in enumerate(self.texts) if t.kind != "corpus" and (lang is None or t.lang == lang)]
            centre = self.centres[lang] if lang is not None else np.mean(list(self.centres.values()), axis=0)
            sims = _normalise(vectors[rows] - centre) @ self.text_vectors[cols].T
            formats = np.array([self.texts[j].format for j in cols], dtype=object)
            for key in self.taxonomy.keys:
                mask = formats == key
                if not mask.any():
                    continue
                best = np.argmax(np.where(mask, sims, -np.inf), axis=1)
                for r, row in enumerate(rows):
                    out[row][key] = self.texts[cols[best[r]]].text
        return out


def _normalise(matrix: NDArray[np.floating]) -> NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def macro_f1(
    truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], labels: Sequence[str]
) -> tuple[float, dict[str, dict[str, float]]]:
    """Macro-averaged F1 over ``labels`` (multi-label), and precision/recall/F1/support per label.

    A label with no true and no predicted item is left out of the average (it says nothing)."""
    per: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if label in t and label in p)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if label not in t and label in p)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if label in t and label not in p)
        if tp + fp + fn == 0:
            continue
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[label] = {"precision": precision, "recall": recall, "f1": f1, "support": float(tp + fn)}
    macro = float(np.mean([v["f1"] for v in per.values()])) if per else 0.0
    return macro, per
