"""The week's essentials: 3 to 5 lines, each one thing that happened, in a sentence taken from the items.

Extractive and offline (METHODS.md, "Extractive synthesis"): no language model writes anything.

- ``split_sentences``: a careful FR/EN regex splitter (abbreviations, initials, numbers) over the
  already-sanitised clean text of an item;
- ``central_sentences``: the sentences of one theme, story or format ranked by how central they are
  (cosine to the mean of its items' sentence vectors, each item weighing the same), computed by
  ``veille process`` where the embedder is loaded, and stored with their vectors;
- ``select_lines``: the lines of the digest from candidates of several kinds (a new or rising theme, a
  story covered by many sources, a format on the move), ranked by their numbers first, then chosen with
  maximal marginal relevance (MMR) on the stored sentence vectors, so that two lines never say the same
  thing (never the same story, never two sentences closer than ``SAME_COSINE``).

Everything here is a pure function of its inputs; the wording of the reasons lives in ``core.digest``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

MIN_LINES = 3  # a quiet week still gets its three biggest things (``Candidate.spare``)
MAX_LINES = 5
MIN_STORY_SOURCES = 3  # "a story covered by many sources"
MIN_THEME_SOURCES = 2
SAME_COSINE = 0.8  # two sentences at least this close say the same thing: never two lines
MMR_LAMBDA = 0.7  # weight of a candidate's rank against its closeness to the lines already chosen
KIND_WEIGHT = {"theme": 1.0, "story": 0.95, "format": 0.9}

SENTENCE_MIN_CHARS = 40
SENTENCE_MAX_CHARS = 320
SENTENCES_PER_ITEM = 3  # the first sentences of an item carry its news; the rest is often boilerplate


# Words ending with a period that do not end a sentence (lower-cased, without the period).
_ABBREVIATIONS = frozenset(
    {
        "m",
        "mm",
        "mme",
        "mmes",
        "mlle",
        "mlles",
        "dr",
        "pr",
        "prof",
        "st",
        "ste",
        "mr",
        "mrs",
        "ms",
        "jr",
        "sr",
        "vs",
        "etc",
        "cf",
        "p",
        "pp",
        "no",
        "nos",
        "vol",
        "ed",
        "eds",
        "fig",
        "e.g",
        "i.e",
        "ex",
        "env",
        "av",
        "apr",
        "j.-c",
        "chap",
        "art",
        "al",
        "min",
        "max",
        "approx",
        "dept",
        "univ",
        "inc",
        "ltd",
        "co",
        "corp",
        "jan",
        "feb",
        "mar",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "janv",
        "févr",
        "fév",
        "avr",
        "juil",
        "déc",
        "lun",
        "mer",
        "jeu",
        "ven",
        "sam",
        "dim",
    }
)
_BOUNDARY = re.compile(r"(?<=[.!?…])((?:[ \u00a0\u202f]?[\"»”’)\]])*)\s+(?=[«\"“‘(\[]?\s?[A-ZÀ-ÖØ-Þ0-9])")
_LAST_WORD = re.compile(r"(\S+)$")
_BOILERPLATE = re.compile(
    r"appeared first on|est apparu en premier sur|l'article .* est apparu|read more|lire la suite|"
    r"continue reading|cliquez ici|click here|subscribe|abonnez-vous|\[…\]|\[\.\.\.\]",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    """The sentences of one line of clean text, in order.

    A boundary is a ``.``, ``!``, ``?`` or ``…`` (closing quotes or brackets allowed) followed by space
    and a capital, a digit or an opening quote, except after an abbreviation ("M.", "Dr.", "e.g.",
    "janv.") or a single initial ("J. Smith")."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        head = text[start : match.start()]
        word = _LAST_WORD.search(head)
        last = word.group(1).lower().rstrip(".").lstrip('«"“(') if word else ""
        if head.endswith(".") and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
            continue
        sentences.append(text[start : match.end(1)].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def item_sentences(title: str, summary: str) -> list[str]:
    """The candidate sentences of one item: the first sentences of its clean summary that read as news
    (not too short, not too long, no "The post … appeared first on …"), else its title."""
    found: list[str] = []
    for sentence in split_sentences(summary):
        if len(found) >= SENTENCES_PER_ITEM:
            break
        if SENTENCE_MIN_CHARS <= len(sentence) <= SENTENCE_MAX_CHARS and not _BOILERPLATE.search(sentence):
            found.append(sentence)
    if not found:
        title = " ".join(title.split())
        if len(title) >= 20 and not _BOILERPLATE.search(title):
            found.append(title)
    return found


def central_sentences(vectors: NDArray[np.float32], items: Sequence[int], *, top: int = 3) -> list[tuple[int, float]]:
    """The ``top`` most central sentences as ``(row, cosine to the centre)``, most central first.

    ``vectors`` are the L2-normalised sentence vectors and ``items[row]`` the item each sentence comes
    from. The centre is the mean of the items' mean vectors, so a long item weighs no more than a short
    one; a sentence identical to one already ranked is skipped."""
    if len(vectors) == 0:
        return []
    keys = list(dict.fromkeys(items))
    index = np.asarray([keys.index(i) for i in items])
    means = np.vstack([vectors[index == k].mean(axis=0) for k in range(len(keys))])
    centre = means.mean(axis=0)
    centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
    scores = vectors @ centre
    order = sorted(range(len(vectors)), key=lambda r: (-float(scores[r]), r))
    chosen: list[tuple[int, float]] = []
    for row in order:
        if any(float(vectors[row] @ vectors[c]) >= 0.999 for c, _ in chosen):
            continue
        chosen.append((row, round(float(scores[row]), 6)))
        if len(chosen) >= top:
            break
    return chosen


# --------------------------------------------------------------------------------------------------
# Choosing the lines


@dataclass(frozen=True)
class Sentence:
    """A sentence taken from one item, with its vector when one was computed (none for a fallback)."""

    text: str
    url: str | None
    story_id: int | None
    score: float = 0.0  # centrality in its theme, story or format
    vector: NDArray[np.float32] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Candidate:
    """One thing that may have happened this week, with its sentences, most central first."""

    kind: str  # theme | story | format
    key: str  # theme id, story id or format key
    label: str
    reason: str
    sentences: tuple[Sentence, ...]
    rank: int = 0  # its place among the candidates of its kind, by their numbers (0 = strongest)
    spare: bool = False  # said only to reach ``MIN_LINES`` (a steady theme, a story of two sources)
    stories: frozenset[int] = frozenset()  # a theme's or a format's stories this week (see ``SAME_STORIES``)


@dataclass(frozen=True)
class Line:
    kind: str
    key: str
    label: str
    sentence: str
    reason: str
    url: str | None
    story_id: int | None


SAME_STORIES = 0.5  # a theme and a format sharing this share of the smaller one's stories are one surge


def _same_surge(cand: Candidate, said: Sequence[frozenset[int]]) -> bool:
    """Whether ``cand`` (a theme or a format) tells the surge of a theme or format already said: the
    rising theme "AI tutors" and the rising format "AI and learning" counting the same ten stories."""
    mine = cand.stories
    return bool(mine) and any(len(mine & other) >= SAME_STORIES * min(len(mine), len(other)) for other in said)


def select_lines(
    candidates: Sequence[Candidate],
    *,
    min_lines: int = MIN_LINES,
    max_lines: int = MAX_LINES,
    lam: float = MMR_LAMBDA,
    same: float = SAME_COSINE,
) -> tuple[Line, ...]:
    """``min_lines`` to ``max_lines`` lines, by maximal marginal relevance.

    Spare candidates (``Candidate.spare``: the week's other big themes and stories) are taken only while
    the other candidates leave fewer than ``min_lines`` lines, so a quiet week still opens with three
    things; fewer only when the week has fewer things with a sentence to say.

    A candidate's relevance is its kind's weight divided by (1 + its rank among its kind), so the
    strongest theme, story and format come before the second of any kind. Each step takes the
    candidate and sentence maximising ``lam * relevance - (1 - lam) * closeness``, where closeness is
    the highest cosine to a sentence already chosen. A sentence from a story already used, equal to a
    chosen sentence, or at least ``same`` close to one is never taken: two lines never say the same
    thing, and a theme or format whose stories are mostly those of a theme or format already said is
    left out (``SAME_STORIES``). A candidate with no acceptable sentence is left out."""
    chosen: list[Line] = []
    said: list[frozenset[int]] = []
    vectors: list[NDArray[np.float32]] = []
    texts: set[str] = set()
    stories: set[int | None] = set()
    left = list(candidates)
    while left and len(chosen) < max_lines:
        left = [cand for cand in left if not _same_surge(cand, said)]
        best = _best_next(left, vectors, texts, stories, lam, same, spare=False)
        if best is None and len(chosen) < min_lines:
            best = _best_next(left, vectors, texts, stories, lam, same, spare=True)
        if best is None:
            break
        _, index, sentence = best
        cand = left.pop(index)
        chosen.append(
            Line(cand.kind, cand.key, cand.label, sentence.text, cand.reason, sentence.url, sentence.story_id)
        )
        texts.add(sentence.text.casefold())
        if cand.stories:
            said.append(cand.stories)
        if sentence.story_id is not None:
            stories.add(sentence.story_id)
        if sentence.vector is not None:
            vectors.append(sentence.vector)
    return tuple(chosen)


def _best_next(
    left: Sequence[Candidate],
    vectors: Sequence[NDArray[np.float32]],
    texts: set[str],
    stories: set[int | None],
    lam: float,
    same: float,
    *,
    spare: bool,
) -> tuple[float, int, Sentence] | None:
    """The (value, index in ``left``, sentence) MMR takes next among the spare or the other candidates."""
    best: tuple[float, int, Sentence] | None = None
    for index, cand in enumerate(left):
        if cand.spare != spare:
            continue
        relevance = KIND_WEIGHT.get(cand.kind, 0.5) / (1 + cand.rank)
        for sentence in cand.sentences:
            if sentence.text.casefold() in texts or sentence.story_id in stories:
                continue
            closeness = _closeness(sentence.vector, vectors)
            if closeness >= same:
                continue
            value = lam * relevance - (1 - lam) * max(closeness, 0.0)
            if best is None or value > best[0] + 1e-12:
                best = (value, index, sentence)
            break  # a candidate speaks with its most central acceptable sentence
    return best


def _closeness(vector: NDArray[np.float32] | None, chosen: Sequence[NDArray[np.float32]]) -> float:
    if vector is None or not chosen:
        return 0.0
    return float(np.max(np.vstack(chosen) @ vector))
