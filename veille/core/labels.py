"""Readable labels for themes: c-TF-IDF keywords and representative stories.

Keywords follow BERTopic's class-based TF-IDF (``bertopic/vectorizers/_ctfidf.py``): all texts of a
theme form one document; a term scores ``tf(term, theme) · log(1 + A / f(term))`` where ``tf`` is the
term's share of the theme's words, ``A`` the average number of words per theme and ``f`` the term's
frequency over every theme. French and English stop words are removed (the caller passes them in:
``adapters.stopwords`` loads the package's lists, the core reads no file), as are tokens with digits;
unigrams and bigrams are both candidates, accents are kept, and a keyword is shown in its most frequent
spelling (``Moodle``, ``IA``) so labels read naturally.

An optional MMR step (maximal marginal relevance, as in BERTopic ``representation/_mmr.py``) diversifies
keywords when the caller has embedded the candidates; without it, a cheap lexical rule keeps a unigram
out of the list once a chosen bigram contains it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

#: Letters (any script, accents included), with inner hyphens: "e-learning", "présentiel".
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", re.UNICODE)
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_PUNCTUATION = re.compile(r'[.,;:!?()\[\]{}«»"|/–—]')
_DIGIT_OR_UNDERSCORE = re.compile(r"[\d_]")


#: A token or one punctuation mark (the marks become breaks); tokens touching a digit ("2024", "covid19",
#: "4.1") are dropped whole.
_PIECE = re.compile(r"[\w'’-]+|" + _PUNCTUATION.pattern)
_FORMS: dict[frozenset[str], dict[str, str | None]] = {}
_FORMS_MAX = 200_000  # pieces remembered per stop list (about 16 MB), then forgotten at once


def tokens(text: str, stops: frozenset[str]) -> list[str | None]:
    """Word tokens in their surface form; ``None`` marks a break (stop word, number, punctuation) bigrams skip.

    Elisions are split off (``l'école`` → ``école``) and possessive ``'s`` dropped. Each distinct piece
    of text is read once and its form remembered: the themes and signals of every week read the same
    stories' texts again.
    """
    forms = _FORMS.get(stops)
    if forms is None or len(forms) > _FORMS_MAX:
        if forms is None and len(_FORMS) >= 4:
            _FORMS.clear()  # one stop list in a run; tests make more
        forms = _FORMS[stops] = {}
    out: list[str | None] = []
    for piece in _PIECE.findall(text):
        try:
            out.append(forms[piece])
        except KeyError:
            out.append(forms.setdefault(piece, _form(piece, stops)))
    return out


def _form(piece: str, stops: frozenset[str]) -> str | None:
    """The token one piece of text gives (its surface form), or ``None`` for a break."""
    if _PUNCTUATION.fullmatch(piece):
        return None  # punctuation: no bigram across it
    raw = piece.replace("’", "'")
    if _DIGIT_OR_UNDERSCORE.search(raw):
        return None
    raw = _ELISION.sub("", raw)
    if raw.lower().endswith("'s"):
        raw = raw[:-2]
    raw = raw.strip("'-")
    if not _WORD.fullmatch(raw):
        return None
    word = raw.lower()
    if len(word) < 2 or word in stops:
        return None
    return raw


def _terms(text: str, stops: frozenset[str], bigrams: bool) -> list[str]:
    """Surface forms of the unigrams and (when asked) bigrams of one text."""
    toks = tokens(text, stops)
    terms = [t for t in toks if t is not None]
    if bigrams:
        terms += [f"{a} {b}" for a, b in itertools.pairwise(toks) if a is not None and b is not None]
    return terms


def keywords(
    texts: Sequence[str],
    labels: Sequence[int] | NDArray[np.integer],
    *,
    top_n: int = 8,
    bigrams: bool = True,
    min_count: int = 2,
    stops: Iterable[str],
) -> dict[int, list[tuple[str, float]]]:
    """c-TF-IDF keywords per theme: ``{theme: [(keyword, score), …]}``, best first.

    ``texts[i]`` is the text of story i (title + summary) and ``labels[i]`` its theme; stories labelled
    -1 count in the term frequencies over all themes (so words common everywhere stay low) but get no
    keywords. A term must occur at least ``min_count`` times in the theme (1 for themes of one or two
    texts) so a single odd word does not label a theme.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(labels)} labels for {len(texts)} texts")
    stop_set = frozenset(w.lower() for w in stops)
    per_theme: dict[int, Counter[str]] = {}
    spellings: Counter[tuple[str, str]] = Counter()
    sizes: Counter[int] = Counter()
    for text, label in zip(texts, labels, strict=True):
        counter = per_theme.setdefault(int(label), Counter())
        sizes[int(label)] += 1
        for surface in _terms(text or "", stop_set, bigrams):
            key = surface.lower()
            counter[key] += 1
            spellings[(key, surface)] += 1
    overall: Counter[str] = Counter()
    for counter in per_theme.values():
        overall.update(counter)
    if not overall:
        return {label: [] for label in per_theme if label >= 0}
    average_words = sum(overall.values()) / len(per_theme)
    best_spelling: dict[str, tuple[int, str]] = {}
    for (key, surface), count in spellings.items():
        if key not in best_spelling or count > best_spelling[key][0]:
            best_spelling[key] = (count, surface)
    result: dict[int, list[tuple[str, float]]] = {}
    for label, counter in per_theme.items():
        if label < 0:
            continue
        total = sum(counter.values()) or 1
        floor = min_count if sizes[label] > 2 else 1
        scored = [
            (key, (count / total) * math.log(1 + average_words / overall[key]))
            for key, count in counter.items()
            if count >= floor
        ]
        # equal scores: a bigram says more than a single word
        scored.sort(key=lambda pair: (-round(pair[1], 9), -pair[0].count(" "), pair[0]))
        chosen: list[tuple[str, float]] = []
        for key, score in scored:
            parts = key.split(" ")
            if len(parts) == 1 and any(key in c.split(" ") for c, _ in chosen):
                continue  # "moodle" after "moodle release" adds nothing
            if len(parts) == 2 and parts[0] == parts[1]:
                continue
            chosen.append((key, score))
            if len(chosen) == top_n:
                break
        # a bigram chosen after its unigrams supersedes them
        bigram_words = {w for c, _ in chosen if " " in c for w in c.split(" ")}
        chosen = [(c, s) for c, s in chosen if " " in c or c not in bigram_words]
        result[label] = [(best_spelling[c][1], round(float(s), 6)) for c, s in chosen]
    return result


def mmr(
    topic_vector: NDArray[np.floating],
    candidate_vectors: NDArray[np.floating],
    candidates: Sequence[str],
    *,
    top_n: int = 8,
    diversity: float = 0.3,
) -> list[str]:
    """Maximal marginal relevance: pick keywords close to the theme but not to each other.

    Vectors are unit rows from the same embedder. ``diversity`` 0 keeps relevance order, 1 maximises
    spread. Used when the pipeline embeds the c-TF-IDF candidates of a theme.
    """
    if not candidates:
        return []
    cand = np.asarray(candidate_vectors, dtype=np.float64)
    relevance = cand @ np.asarray(topic_vector, dtype=np.float64)
    pairwise = cand @ cand.T
    chosen = [int(np.argmax(relevance))]
    rest = [i for i in range(len(candidates)) if i != chosen[0]]
    while rest and len(chosen) < top_n:
        redundancy = pairwise[np.ix_(rest, chosen)].max(axis=1)
        score = (1 - diversity) * relevance[rest] - diversity * redundancy
        pick = rest[int(np.argmax(score))]
        chosen.append(pick)
        rest.remove(pick)
    return [candidates[i] for i in chosen]


def representatives(
    members: Sequence[int] | NDArray[np.integer],
    vectors: NDArray[np.floating],
    source_counts: Mapping[int, int] | Sequence[int] | NDArray[np.integer],
    k: int = 3,
) -> list[int]:
    """The ``k`` stories that best represent a theme: most central first, most sources breaking ties.

    ``members`` index rows of ``vectors`` (unit story vectors) and ``source_counts`` (how many feeds
    covered each story). Centrality is the cosine to the theme's centroid, rounded to 0.02 so that a
    story covered by five sources beats an equally central one covered by a single feed.
    """
    idx = [int(i) for i in members]
    if not idx or k <= 0:
        return []
    rows = np.asarray(vectors, dtype=np.float64)[idx]
    centre = rows.sum(axis=0)
    norm = float(np.linalg.norm(centre))
    if norm > 0:
        centre /= norm
    centrality = rows @ centre
    ranked = sorted(
        range(len(idx)),
        key=lambda p: (-round(float(centrality[p]) / 0.02), -int(source_counts[idx[p]]), idx[p]),
    )
    return [idx[p] for p in ranked[:k]]
