"""Learning formats: the taxonomy and the tagger that gives each item zero or more formats.

Pure: the taxonomy arrives already loaded (``adapters.taxonomy``) and every text already embedded
(``adapters.embed``); this module only does arithmetic on the vectors and string matching.

How an item is tagged, and why:

1. **Semantic evidence.** Each format has a prototype per language, the normalised mean of its example
   phrases and its description in that language. An English-centric model places French and English
   texts in different regions of the space, so an item is compared with the prototypes of its own
   language (both languages averaged when the language is unknown), after subtracting that language's
   mean taxonomy vector: what remains is what the text is about, not which language it is in.
2. **Lexical evidence.** The taxonomy's terms ("MOOC", "classe virtuelle", "réalité virtuelle"…) are
   matched without case or accents, on word boundaries, after French elisions ("l'IA" → "IA"), with
   plural and feminine endings ("présentiel" finds "présentielles").
   Acronyms written in capitals in the taxonomy ("AI", "IA", "VR", "LMS") match in capitals only,
   so French "j'ai" is not artificial intelligence. Terms of both languages count for every item:
   French news writes "blended learning" and "reverse mentoring" in English.
3. **Decision.** Each format's logit is its centred cosine over a temperature, plus a bonus when one
   of its terms is present; a softmax over all formats (``other`` included, learned from its examples
   of format-less edtech and general news) turns logits into scores. A format is kept when its score
   reaches the threshold; ``other`` is the answer when no format is kept. The temperature, bonus and
   threshold were calibrated on the development half of ``tests/data/formats_labelled.jsonl``
   (``bench/formats.py`` reports the held-out half).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

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
        """The name to print in ``lang``, falling back to any name the format has."""
        return self.name.get(lang) or next(iter(self.name.values()), self.key)


@dataclass(frozen=True)
class TaxonomyText:
    """One text of the taxonomy that the tagger embeds: a description or an example phrase."""

    format: str
    lang: str
    kind: str  # "description" | "example"
    text: str


@dataclass(frozen=True)
class Taxonomy:
    """The learning formats, in the order the digest lists them (``other`` last)."""

    formats: tuple[LearningFormat, ...]

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
        return Taxonomy(tuple(head + added + tail))

    def texts(self) -> list[TaxonomyText]:
        """Every description and example, in a fixed order: the rows ``FormatClassifier.fit`` expects."""
        out: list[TaxonomyText] = []
        for fmt in self.formats:
            for lang in sorted(set(fmt.description) | set(fmt.examples)):
                if fmt.description.get(lang):
                    out.append(TaxonomyText(fmt.key, lang, "description", fmt.description[lang]))
                for example in fmt.examples.get(lang, ()):
                    out.append(TaxonomyText(fmt.key, lang, "example", example))
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
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True).encode()
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
        self.keys = taxonomy.keys
        self._plain = _TermIndex(_PLAIN_ENDINGS)
        self._acronyms = _TermIndex(_ACRONYM_ENDINGS)
        for k, fmt in enumerate(taxonomy.formats):
            for terms in fmt.terms.values():
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
# The tagger


@dataclass(frozen=True)
class FormatTag:
    """One format of one item, with the score that decided it and why."""

    format: str
    score: float
    evidence: Mapping[str, object]  # {"closest": text, "terms": [matched terms]}


@dataclass(frozen=True)
class ClassifierParams:
    """The calibrated knobs (see the module docstring); recalibrate them when the model changes."""

    temperature: float = 0.16  # cosine units per logit unit
    term_bonus: float = 4.0  # logit added when one of a format's terms is found
    threshold: float = 0.25  # minimum softmax score to keep a format
    term_threshold: float = 0.05  # minimum score of a format whose terms are present (second formats)
    description_weight: float = 1.0  # weight of the description among the examples in a prototype
    centre_languages: bool = True  # subtract each language's mean taxonomy vector


@dataclass(frozen=True)
class FormatClassifier:
    """Prototypes and term patterns prepared once from an embedded taxonomy; tags many items fast."""

    taxonomy: Taxonomy
    params: ClassifierParams
    prototypes: Mapping[str, NDArray[np.float32]]  # lang -> (n_formats, dim), rows normalised
    centres: Mapping[str, NDArray[np.float32]]  # lang -> (dim,), the language's mean taxonomy vector
    text_vectors: NDArray[np.float32]  # centred per text's language, normalised: for "closest"
    texts: tuple[TaxonomyText, ...]
    matcher: TermMatcher

    @classmethod
    def fit(
        cls,
        taxonomy: Taxonomy,
        example_vectors: NDArray[np.floating],
        params: ClassifierParams | None = None,
    ) -> FormatClassifier:
        """Prepare the tagger. ``example_vectors`` holds one embedding per ``taxonomy.texts()`` row."""
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
        prototypes: dict[str, NDArray[np.float32]] = {}
        for lang in langs:
            proto = np.zeros((len(keys), dim), dtype=np.float32)
            for k, key in enumerate(keys):
                weights = np.array(
                    [
                        (params.description_weight if t.kind == "description" else 1.0)
                        if (t.format == key and t.lang == lang)
                        else 0.0
                        for t in texts
                    ],
                    dtype=np.float32,
                )
                if weights.sum() == 0:  # no text in this language: borrow the other languages'
                    weights = np.array([1.0 if t.format == key else 0.0 for t in texts], dtype=np.float32)
                proto[k] = weights @ centred
            prototypes[lang] = _normalise(proto)
        return cls(
            taxonomy=taxonomy,
            params=params,
            prototypes=prototypes,
            centres=centres,
            text_vectors=centred,
            texts=texts,
            matcher=TermMatcher(taxonomy),
        )

    @property
    def signature(self) -> str:
        """The taxonomy's signature and the calibrated knobs: what ``classified.signature`` stores (with the
        model name) so that a change of either re-tags the items."""
        knobs = json.dumps(self.params.__dict__, sort_keys=True)
        return f"{self.taxonomy.signature()}-{hashlib.sha256(knobs.encode()).hexdigest()[:8]}"

    def similarities(self, vectors: NDArray[np.floating], langs: Sequence[str | None]) -> NDArray[np.float32]:
        """Centred cosine of each item to each format's prototype of the item's language."""
        vectors = np.asarray(vectors, dtype=np.float32)
        out = np.zeros((vectors.shape[0], len(self.taxonomy.formats)), dtype=np.float32)
        known = list(self.prototypes)
        lang_arr = np.array([lang if lang in self.prototypes else "" for lang in langs], dtype=object)
        for lang in known:
            rows = np.flatnonzero(lang_arr == lang)
            if rows.size:
                out[rows] = _normalise(vectors[rows] - self.centres[lang]) @ self.prototypes[lang].T
        rows = np.flatnonzero(lang_arr == "")
        if rows.size:  # unknown language: average over the taxonomy's languages
            for lang in known:
                out[rows] += _normalise(vectors[rows] - self.centres[lang]) @ self.prototypes[lang].T
            out[rows] /= len(known)
        return out

    def scores(
        self, texts: Sequence[str], vectors: NDArray[np.floating], langs: Sequence[str | None]
    ) -> tuple[NDArray[np.float32], list[list[list[str]]]]:
        """Softmax scores (items x formats) and, per item and format, the matched terms."""
        if not (len(texts) == len(langs) == len(vectors)):
            raise ValueError("texts, vectors and langs must have the same length")
        sims = self.similarities(vectors, langs)
        terms = [self.matcher.match(text) for text in texts]
        has_term = np.array([[bool(t) for t in row] for row in terms], dtype=np.float32).reshape(sims.shape)
        logits = sims / self.params.temperature + self.params.term_bonus * has_term
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs.astype(np.float32), terms

    def classify(
        self, texts: Sequence[str], vectors: NDArray[np.floating], langs: Sequence[str | None]
    ) -> list[list[FormatTag]]:
        """Zero or more formats per item, best first; ``[other]`` when no format is confident."""
        if len(texts) == 0:
            return []
        probs, terms = self.scores(texts, vectors, langs)
        keys = self.taxonomy.keys
        other_index = keys.index(OTHER) if OTHER in keys else -1
        has_term = np.array([[bool(t) for t in row] for row in terms], dtype=bool).reshape(probs.shape)
        kept = (probs >= self.params.threshold) | (has_term & (probs >= self.params.term_threshold))
        if other_index >= 0:
            kept[:, other_index] = False
        closest = self._closest(np.asarray(vectors, dtype=np.float32), langs)
        result: list[list[FormatTag]] = []
        for i in range(len(texts)):
            chosen = sorted(np.flatnonzero(kept[i]), key=lambda k: -probs[i, k])
            tags = [
                FormatTag(
                    format=keys[k],
                    score=round(float(probs[i, k]), 4),
                    evidence={"closest": closest[i].get(keys[k], ""), "terms": terms[i][k]},
                )
                for k in chosen
            ]
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
        for lang in [*self.prototypes, None]:
            rows = [
                i for i, item_lang in enumerate(langs) if (item_lang if item_lang in self.prototypes else None) == lang
            ]
            if not rows:
                continue
            cols = [j for j, t in enumerate(self.texts) if lang is None or t.lang == lang]
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
