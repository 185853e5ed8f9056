"""Audiences: who an item is for — corporate L&D, higher education, school, or everyone (``general``).

Pure: the audiences' texts arrive loaded (``adapters.audiences``) and embedded (``adapters.embed``).

How an item gets its audience, and why:

1. **Its feed's tags, when they name one.** A feed tagged ``[corporate]`` speaks to corporate L&D: its
   items are ``corporate`` without reading them (``source = "feed"``). A feed tagged with several
   audiences (``[higher-ed, school]``) narrows the choice to those, and the text decides among them.
2. **Is it about learning at all?** An item the relevance gate before the learning formats finds
   off-topic (a football match, a phone review: no format, not even ``other``) is ``general``.
3. **Else its text**, as the learning formats are tagged (``core.formats``): two small multinomial
   logistic models fitted at run time on each audience's description, example sentences and terms in
   French and English (``veille/data/audiences.yaml``), one on the embeddings centred per language, one
   on words and word pairs of the folded text; plus a bonus per distinct term of the audience found in
   the text (at most two). A softmax over the four audiences; the best of corporate, higher-ed and
   school is kept when its score reaches the threshold, else the item is ``general``. The knobs were
   calibrated on the calibration half of ``tests/data/audiences_real.jsonl``; the other half is only
   scored (``bench/audiences.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from veille.core.formats import TermMatcher, Weights, _Linear, _normalise, _per_language, _weights, fold
from veille.models import AUDIENCES as MODEL_AUDIENCES

if TYPE_CHECKING:
    from numpy.typing import NDArray

GENERAL = "general"
AUDIENCES: tuple[str, ...] = MODEL_AUDIENCES  # ("corporate", "higher-ed", "school", "general")
MAX_TERMS = 2


def named_audiences(tags: Iterable[str]) -> frozenset[str]:
    """The audiences a feed's tags name (``vendor``, ``fr``… are not audiences); ``general`` counts too."""
    return frozenset(tag.strip().lower() for tag in tags) & frozenset(AUDIENCES)


@dataclass(frozen=True)
class Audience:
    """One audience's names, description, example sentences and terms, per language."""

    key: str
    name: Mapping[str, str]
    description: Mapping[str, str]
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.name.get(lang) or next(iter(self.name.values()), self.key)


@dataclass(frozen=True)
class AudienceParams:
    """The calibrated knobs (``bench/audiences.py --calibrate``), per language where they differ."""

    semantic_weight: Weights = field(default_factory=lambda: _weights(0.5, 1.0))
    lexical_weight: Weights = field(default_factory=lambda: _weights(1.0, 1.0))
    term_weight: float = 1.0
    threshold: float = 0.45
    min_relevance: float = 0.2  # an item whose relevance score (core.formats.RelevanceGate) is lower is general
    semantic_c: float = 4.0
    lexical_c: float = 16.0

    def knobs(self) -> dict[str, object]:
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class AudienceSet:
    """The four audiences in order (``general`` last) and the rules that decide between them."""

    audiences: tuple[Audience, ...]
    params: AudienceParams = field(default_factory=AudienceParams)

    def __post_init__(self) -> None:
        if tuple(a.key for a in self.audiences) != AUDIENCES:
            raise ValueError(f"expected the audiences {AUDIENCES}, got {[a.key for a in self.audiences]}")

    def get(self, key: str) -> Audience:
        return self.audiences[AUDIENCES.index(key)]

    def texts(self) -> list[tuple[str, str, str]]:
        """Every description and example as (audience, language, text): the rows ``fit`` expects vectors for."""
        out: list[tuple[str, str, str]] = []
        for audience in self.audiences:
            for lang in sorted(set(audience.description) | set(audience.examples)):
                if audience.description.get(lang):
                    out.append((audience.key, lang, audience.description[lang]))
                out += [(audience.key, lang, text) for text in audience.examples.get(lang, ())]
        return out

    def signature(self) -> str:
        """A short hash of everything that affects the decision: a change re-decides the stored items."""
        blob = json.dumps(
            [
                [[a.key, dict(a.description), {k: list(v) for k, v in a.examples.items()}] for a in self.audiences],
                [{k: list(v) for k, v in a.terms.items()} for a in self.audiences],
                self.params.knobs(),
            ],
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class AudienceGuess:
    """What the text says: a score per audience (``AUDIENCES`` order) and the terms found per audience."""

    scores: tuple[float, ...]
    terms: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class AudienceDecision:
    """An item's audience, where it came from (``feed`` tags, the ``text``, or ``off-topic``: not about
    learning) and its evidence (score, terms)."""

    audience: str
    source: str
    score: float
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class AudienceClassifier:
    """The two models and the term matcher, prepared once from the embedded audience texts."""

    audiences: AudienceSet
    centres: Mapping[str, NDArray[np.float32]]
    semantic: _Linear
    lexical: _Linear
    vocabulary: TfidfVectorizer
    matcher: TermMatcher

    @classmethod
    def fit(cls, audiences: AudienceSet, vectors: NDArray[np.floating]) -> AudienceClassifier:
        """``vectors``: one embedding per ``audiences.texts()`` row. Deterministic, well under a second."""
        texts = audiences.texts()
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim != 2 or x.shape[0] != len(texts):
            raise ValueError(f"expected {len(texts)} audience vectors, got array of shape {x.shape}")
        langs = [lang for _, lang, _ in texts]
        centres = {lang: x[[i for i, lg in enumerate(langs) if lg == lang]].mean(axis=0) for lang in sorted(set(langs))}
        centred = _normalise(x - np.stack([centres[lang] for lang in langs]))
        labels = np.array([AUDIENCES.index(key) for key, _, _ in texts], dtype=np.int64)
        semantic = _Linear.fit(centred, labels, len(AUDIENCES), audiences.params.semantic_c)
        docs = [fold(text) for _, _, text in texts]
        word_labels = list(labels)
        for k, audience in enumerate(audiences.audiences):
            for terms in audience.terms.values():
                docs += [fold(term) for term in terms]
                word_labels += [k] * len(terms)
        vocabulary = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
        lexical = _Linear.fit(
            vocabulary.fit_transform(docs),
            np.array(word_labels, dtype=np.int64),
            len(AUDIENCES),
            audiences.params.lexical_c,
        )
        groups = {a.key: [t for terms in a.terms.values() for t in terms] for a in audiences.audiences}
        return cls(audiences, centres, semantic, lexical, vocabulary, TermMatcher.of_groups(groups))

    @property
    def signature(self) -> str:
        return self.audiences.signature()

    def guess(
        self,
        texts: Sequence[str],
        vectors: NDArray[np.floating],
        langs: Sequence[str | None],
        params: AudienceParams | None = None,
    ) -> list[AudienceGuess]:
        """What each text says about its audience (``params``: other knobs, for calibration)."""
        return self.combine(self.evidence(texts, vectors, langs), langs, params)

    def evidence(
        self, texts: Sequence[str], vectors: NDArray[np.floating], langs: Sequence[str | None]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32], list[list[list[str]]]]:
        """The two models' logits and the terms found per audience, before any knob applies."""
        if not (len(texts) == len(vectors) == len(langs)):
            raise ValueError("texts, vectors and langs must have the same length")
        if len(texts) == 0:
            empty = np.zeros((0, len(AUDIENCES)), dtype=np.float32)
            return empty, empty, []
        x = np.asarray(vectors, dtype=np.float32)
        mean_centre = np.mean(list(self.centres.values()), axis=0)
        centred = _normalise(x - np.stack([self.centres.get(lang or "", mean_centre) for lang in langs]))
        semantic = self.semantic.logits(centred)
        lexical = self.lexical.logits(self.vocabulary.transform([fold(text) for text in texts]))
        return semantic, lexical, [self.matcher.match(text) for text in texts]

    def combine(
        self,
        evidence: tuple[NDArray[np.float32], NDArray[np.float32], list[list[list[str]]]],
        langs: Sequence[str | None],
        params: AudienceParams | None = None,
    ) -> list[AudienceGuess]:
        """The knobs applied to ``evidence``: a softmax score per audience."""
        semantic, lexical, found = evidence
        if not found:
            return []
        p = params or self.audiences.params
        counts = np.array([[min(len(t), MAX_TERMS) for t in terms] for terms in found], dtype=np.float32)
        logits = (
            _per_language(p.semantic_weight, langs)[:, None] * semantic
            + _per_language(p.lexical_weight, langs)[:, None] * lexical
            + p.term_weight * counts.reshape(semantic.shape)
        )
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return [
            AudienceGuess(tuple(round(float(v), 4) for v in row), tuple(tuple(t) for t in terms))
            for row, terms in zip(probs, found, strict=True)
        ]


def decide(
    feed_audiences: frozenset[str],
    relevance: float | None,
    guess: AudienceGuess | None,
    params: AudienceParams,
) -> AudienceDecision:
    """An item's audience from its feeds' named audiences, its relevance score and its text.

    One named audience wins outright. Several narrow the text's choice to them. An item whose relevance
    score (how much it is about learning; None: not known, taken as relevant) is below
    ``params.min_relevance`` is ``general``. Otherwise the best non-general audience (among the named
    ones, if any) whose score reaches ``params.threshold``, else ``general``."""
    named = feed_audiences & frozenset(AUDIENCES)
    if len(named) == 1:
        return AudienceDecision(next(iter(named)), "feed", 1.0)
    if (relevance is not None and relevance < params.min_relevance) or guess is None:
        return AudienceDecision(GENERAL, "off-topic", 0.0)
    threshold = params.threshold
    allowed = [k for k in AUDIENCES if k != GENERAL and (not named or k in named)]
    best = max(allowed, key=lambda k: guess.scores[AUDIENCES.index(k)]) if allowed else GENERAL
    score = guess.scores[AUDIENCES.index(best)]
    if best == GENERAL or score < threshold:
        return AudienceDecision(GENERAL, "text", guess.scores[AUDIENCES.index(GENERAL)])
    return AudienceDecision(best, "text", score, guess.terms[AUDIENCES.index(best)])


def story_audiences(item_audiences: Iterable[str]) -> frozenset[str]:
    """A story's audiences: those of its items; a story whose items are all ``general`` is for everyone."""
    found = frozenset(item_audiences) & frozenset(AUDIENCES)
    return found - {GENERAL} or frozenset({GENERAL})


def for_list(story: frozenset[str], list_audience: str) -> bool:
    """Whether a story goes to a mail list of ``list_audience``: its own audience's and general stories;
    a list of ``general`` gets every story."""
    return list_audience == GENERAL or GENERAL in story or list_audience in story


__all__ = [
    "AUDIENCES",
    "GENERAL",
    "Audience",
    "AudienceClassifier",
    "AudienceDecision",
    "AudienceGuess",
    "AudienceParams",
    "AudienceSet",
    "decide",
    "for_list",
    "named_audiences",
    "story_audiences",
]
