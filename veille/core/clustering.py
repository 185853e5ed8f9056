"""Embeddings → stories and themes, and the cross-lingual alignment both need.

Pure functions of matrices and titles: the pipeline embeds, stores and passes vectors (and the titles the
story grouping reads for names and cognates) in; nothing here reads files or the clock.

Three steps, in the order the pipeline calls them:

1. ``align_languages`` — an English-centric model (all-MiniLM-L6-v2) puts every French text in its own
   corner of the space: on the parallel FR/EN SIB-200 sentences a French sentence is closer to unrelated
   French sentences (mean cosine 0.32) than to its own English translation is to anything (0.006 across
   languages). Subtracting each language's mean vector and renormalising removes that offset: the share of
   FR/EN translation pairs landing in the same theme rises from ~1% to ~75% (bench/cluster.py). An
   orthogonal map learned on parallel pairs did worse than centring even with 350 in-domain pairs, so it
   is not shipped.
2. ``group_stories`` — near-duplicate grouping (same news event, any source or language): single-pass
   assignment of items, in time order, to the most similar active story by average link (mean cosine to
   its items), with a bar that rises with the days between them, as in Miranda et al. 2018
   ("Multilingual Clustering of Streaming News"), then a re-merge of the stories touched by the batch.
   Across languages, where the model is blind, a shared rare name or titles whose word stems overlap
   (names, numbers, cognates: ``translation_links``) and dates a few days apart allow a lower bar.
   Incremental: stories stored earlier are passed in and can gain items.
3. ``cluster_themes`` — a week's stories → themes without a fixed k: spherical k-means into small
   micro-clusters, then centroid-linkage merging while two themes' centroids are closer than a cosine
   threshold; themes smaller than ``min_size`` are dissolved and their stories stay unclustered (-1).

Thresholds are cosine similarities on *aligned* vectors of the default model; they were calibrated on
../eval (themes) and on tests/data/stories_dev.jsonl (stories; the daily decay on the first five weeks of
the demo corpus, bench/stories.py). Recalibrate when the model changes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

FloatMatrix = NDArray[np.float32]
IntArray = NDArray[np.int64]

#: Merge two themes while their (normalised) centroids have at least this cosine similarity.
THEME_THRESHOLD = 0.2
#: Themes with fewer stories than this are dissolved: their stories stay unclustered (-1).
MIN_THEME_SIZE = 3
#: An item joins a story when its mean cosine to the story's items (average link) is at least this.
STORY_THRESHOLD = 0.4
#: A story spans at most this many days from its first item to its last (it can gain items meanwhile).
STORY_WINDOW_DAYS = 14
#: Within one language, the bar rises by this much per day between an item and the story's nearest item:
#: copies of one news event come out within a day or two, while a later article on the same topic that
#: reads alike (cosine ~0.5) is another story.
STORY_DECAY_PER_DAY = 0.06
#: A French item and its English original (or the reverse): the model places them far apart (cosine
#: 0.1-0.4 after centring, while unrelated items of one language on one topic reach 0.5), so a join
#: across languages asks for evidence the model cannot see and a lower cosine: an item may join a story
#: that has no item in its language when they share a rare name (``story_names``), their dates are at
#: most ``CROSS_DAYS`` apart, and the mean cosine is at least this (no decay within those days).
CROSS_THRESHOLD = 0.25
#: Days between an item and the nearest item of a story in another language for the cross-language join.
CROSS_DAYS = 3
#: Titles of two languages read like translations of each other when the cosine of their word stems'
#: TF-IDF vectors is at least this (``translation_links``): evidence for the cross-language join, as a
#: shared rare name is.
LEXICAL_THRESHOLD = 0.1
#: Title words are cut to this many letters before two titles' overlap is measured (``title_stems``).
COGNATE_PREFIX = 5
#: ... and two titles need at least this many stems in common: one shared stem is often a false friend
#: ("contre"/"control", "former" the verb/"former", "formation"/"format").
MIN_SHARED_STEMS = 2
#: Titles with at least this many stems in common are strong evidence ("Thirty European universities pilot
#: a shared wallet for micro-credentials" / "Microcertifications : un portefeuille numérique européen
#: testé par trente universités": "europ", "unive", "micro"): the join then asks only this mean cosine.
#: Chosen on ``demo-early`` (0.15, 0.1 and 0 gave the same stories there; the highest was kept).
STRONG_SHARED_STEMS = 3
STRONG_CROSS_THRESHOLD = 0.15
#: Two items of one feed are one story only when they read nearly alike (a repost, an update): a feed
#: does not publish one piece of news twice, while its next articles on a topic read alike (0.4-0.7: a
#: blog's series, a paper's several pieces on one speech, a quotes site's entries). On the 48 real feeds
#: of ``bench/stories.py``, 122 of the 155 stories of two or more items were such same-feed merges.
SAME_FEED_THRESHOLD = 0.8
#: A name is rare when at most this many stories and new items of the window carry it.
NAME_MAX_SHARE = 4
#: A language mean is shrunk toward the pooled mean as if the pooled mean counted this many items, so a
#: handful of items in a rare language cannot cancel themselves out.
LANGUAGE_PRIOR_ITEMS = 8
#: Weeks with more stories are first compressed into this many spherical k-means micro-clusters.
MICRO_CLUSTERS = 300
#: Key of the mean used for items whose language is unknown.
POOLED = "*"
#: Weight of a story's learning-format profile next to its (unit) meaning vector when clustering themes.
FORMAT_WEIGHT = 0.5
#: Format scores below this are left out of the profile: only confident formats shape themes.
FORMAT_MIN_SCORE = 0.3


def _normalise(rows: NDArray[np.floating]) -> FloatMatrix:
    """Unit-length rows (zero rows stay zero) as float32."""
    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim == 1:
        norm = float(np.linalg.norm(rows))
        return rows / norm if norm > 0 else rows
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (rows / norms).astype(np.float32, copy=False)


# --------------------------------------------------------------------------------------------------
# Cross-lingual alignment


def language_means(
    vectors: NDArray[np.floating], langs: Sequence[str | None], *, prior_items: int = LANGUAGE_PRIOR_ITEMS
) -> dict[str, FloatMatrix]:
    """Each language's mean vector, shrunk toward the pooled mean (key ``POOLED``).

    Why shrink: with few items of a language, its raw mean is mostly those items' own topics, and
    subtracting it would erase them. ``prior_items`` pseudo-items at the pooled mean keep small groups
    close to the pooled centre; with hundreds of items the shrinkage is negligible.
    """
    x = np.asarray(vectors, dtype=np.float64)
    if len(x) == 0:
        return {}
    if len(langs) != len(x):
        raise ValueError(f"{len(langs)} languages for {len(x)} vectors")
    keys = np.array([language_key(lang) for lang in langs])
    sums = {lang: (int((keys == lang).sum()), x[keys == lang].sum(axis=0)) for lang in sorted(set(keys.tolist()))}
    return means_from_sums(sums, prior_items=prior_items)


def means_from_sums(
    sums: Mapping[str, tuple[int, NDArray[np.floating]]], *, prior_items: int = LANGUAGE_PRIOR_ITEMS
) -> dict[str, FloatMatrix]:
    """The shrunk per-language means (see ``language_means``) from (item count, vector sum) per language,
    as the pipeline keeps them running in the database so it never rereads the history."""
    if not sums:
        return {}
    items = sum(count for count, _ in sums.values())
    pooled = np.sum(np.stack([np.asarray(total, dtype=np.float64) for _, total in sums.values()]), axis=0)
    pooled /= max(items, 1)
    means: dict[str, FloatMatrix] = {POOLED: pooled.astype(np.float32)}
    for lang, (count, total) in sums.items():
        if lang != POOLED:
            means[lang] = ((np.asarray(total, dtype=np.float64) + prior_items * pooled) / (count + prior_items)).astype(
                np.float32
            )
    return means


def language_key(lang: str | None) -> str:
    """'fr-FR', 'FR' → 'fr'; unknown → the pooled key."""
    if not lang:
        return POOLED
    return lang.split("-")[0].split("_")[0].strip().lower() or POOLED


def align_languages(
    vectors: NDArray[np.floating],
    langs: Sequence[str | None],
    *,
    means: Mapping[str, NDArray[np.floating]] | None = None,
) -> tuple[FloatMatrix, dict[str, FloatMatrix]]:
    """Per-language centring: subtract each item's language mean, renormalise.

    ``means`` are stored means (from ``language_means`` over the whole stored corpus) so that a week's
    vectors are aligned the same way as the history; a language missing from them (or ``means=None``)
    gets a mean computed from ``vectors`` themselves. Unknown languages use the pooled mean.
    Returns the aligned unit rows and the means used (stable: store them and pass them back).
    """
    x = np.asarray(vectors, dtype=np.float32)
    if len(langs) != len(x):
        raise ValueError(f"{len(langs)} languages for {len(x)} vectors")
    used: dict[str, FloatMatrix] = {k: np.asarray(v, dtype=np.float32) for k, v in (means or {}).items()}
    keys = [language_key(lang) for lang in langs]
    missing = {k for k in keys if k not in used}
    if missing and len(x):
        computed = language_means(x, langs)
        used.setdefault(POOLED, computed[POOLED])
        for key in missing:
            used[key] = computed.get(key, used[POOLED])
    if len(x) == 0:
        return x.reshape(0, x.shape[1] if x.ndim == 2 else 0), used
    offsets = np.stack([used[k] for k in keys])
    return _normalise(x - offsets), used


# --------------------------------------------------------------------------------------------------
# Themes


def theme_features(
    vectors: NDArray[np.floating], profiles: NDArray[np.floating] | None, *, weight: float = FORMAT_WEIGHT
) -> FloatMatrix:
    """What themes are clustered on: each story's unit meaning vector, followed by ``weight`` times its
    unit learning-format profile (its items' format scores of at least ``FORMAT_MIN_SCORE``; a zero row
    when it has no confident format).

    Why: a digital-learning watch is read through its learning formats, and a small English-centric
    model places two stories about AI tutors, one French and one English, barely closer than unrelated
    news (cosine ~0.3). The format profile, from the tagger that reads terms in both languages, pulls
    stories of one format together; stories with no format (``other``, or plain news in ../eval) are
    clustered on meaning alone, since a zero profile adds nothing to the cosine. Measured with the tagger's
    scores (weight 0.5): on a 4-week window of the demo corpus, NMI 0.64 -> 0.79 with a score floor of 0.5
    and 0.92 with none, but then general news suffers (``veille eval --level theme`` on SIB-200 FR+EN: NMI
    0.36 with no floor, 0.43 with 0.3 or 0.5). The floor of 0.3 keeps both: SIB-200 NMI 0.434 / ARI 0.341,
    and the demo's designed rising, new and fading themes all come out (tests/test_process_trends.py)."""
    x = _normalise(np.asarray(vectors, dtype=np.float32))
    if profiles is None or weight <= 0:
        return x
    p = np.asarray(profiles, dtype=np.float32)
    if p.ndim != 2 or len(p) != len(x):
        raise ValueError(f"{len(p)} format profiles for {len(x)} stories")
    p = np.where(p >= FORMAT_MIN_SCORE, p, 0.0)
    norms = np.linalg.norm(p, axis=1, keepdims=True)
    p = np.where(norms > 0, p / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
    return np.hstack([x, weight * p]).astype(np.float32)


@dataclass(frozen=True)
class ThemeClustering:
    """Themes of one window: ``labels[i]`` is story i's theme (0..k-1, biggest first) or -1."""

    labels: IntArray
    centroids: FloatMatrix  # (k, dim), unit rows
    members: tuple[IntArray, ...]  # members[t]: story indices of theme t, most central first

    @property
    def count(self) -> int:
        return len(self.members)


def _group_sums(labels: IntArray, vectors: FloatMatrix, k: int) -> FloatMatrix:
    """Row sums per label (labels in 0..k-1), as one sparse product: np.add.at is ~50x slower."""
    n = len(labels)
    onehot = csr_matrix((np.ones(n, dtype=np.float32), (labels, np.arange(n))), shape=(k, n))
    return np.asarray(onehot @ vectors, dtype=np.float32)


def spherical_kmeans(
    vectors: FloatMatrix, k: int, *, iterations: int = 10, seed: int = 0
) -> tuple[IntArray, FloatMatrix]:
    """Cosine k-means with k-means++ seeding and a fixed iteration budget (deterministic for a seed).

    Used to compress thousands of stories into a few hundred micro-clusters; a few iterations suffice
    for that, and a fixed budget keeps a 5,000-story week well under a second.
    """
    n = len(vectors)
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    centres = np.empty((k, vectors.shape[1]), dtype=np.float32)
    first = int(rng.integers(n))
    centres[0] = vectors[first]
    closest = 1.0 - vectors @ centres[0]
    for c in range(1, k):
        weights = np.clip(closest, 0, None) ** 2
        total = float(weights.sum())
        pick = int(rng.choice(n, p=weights / total)) if total > 0 else int(rng.integers(n))
        centres[c] = vectors[pick]
        closest = np.minimum(closest, 1.0 - vectors @ centres[c])
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        new = np.argmax(vectors @ centres.T, axis=1).astype(np.int64)
        if _ and np.array_equal(new, labels):
            break
        labels = new
        sums = _group_sums(labels, vectors, k)
        empty = ~sums.any(axis=1)
        sums[empty] = centres[empty]
        centres = _normalise(sums)
    return labels, centres


def _centroid_linkage(sums: FloatMatrix, threshold: float) -> IntArray:
    """Greedy merge of groups (given as vector sums) while the best pair's centroid cosine ≥ threshold.

    The similarity matrix is updated one row per merge, so m groups cost O(m² · dim).
    """
    m = len(sums)
    sums = sums.astype(np.float64)
    group = np.arange(m)
    alive = np.ones(m, dtype=bool)
    unit = _normalise(sums).astype(np.float64)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    for _ in range(m - 1):
        flat = int(np.argmax(sim))
        a, b = divmod(flat, m)
        if sim[a, b] < threshold:
            break
        sums[a] += sums[b]
        alive[b] = False
        group[group == b] = a
        sim[b, :] = -np.inf
        sim[:, b] = -np.inf
        unit[a] = _normalise(sums[a])
        row = unit @ unit[a]
        row[~alive] = -np.inf
        row[a] = -np.inf
        sim[a, :] = row
        sim[:, a] = row
    return group


def _micro_count(n: int) -> int:
    """How many micro-clusters to start from: each story its own for small weeks, else MICRO_CLUSTERS."""
    if n <= MICRO_CLUSTERS:
        return n
    return MICRO_CLUSTERS


def cluster_themes(
    vectors: NDArray[np.floating],
    *,
    min_size: int = MIN_THEME_SIZE,
    threshold: float = THEME_THRESHOLD,
    seed: int = 0,
) -> ThemeClustering:
    """Cluster a window's story vectors (aligned, unit rows) into themes, k found from the data.

    Stories are first compressed into ``MICRO_CLUSTERS`` micro-clusters (each its own when fewer),
    which are merged by centroid linkage while the closest two centroids have cosine ≥ ``threshold``.
    Themes with fewer than ``min_size`` stories are dissolved (label -1): a lone story is not a theme.
    Labels are numbered by size, biggest theme first; members are listed most central first.
    The jobs call it under ``adapters.threads.one_blas_thread`` (a process-wide setting, not core's to make).
    """
    x = _normalise(np.asarray(vectors, dtype=np.float32))
    n = len(x)
    if n == 0:
        return ThemeClustering(np.zeros(0, dtype=np.int64), np.zeros((0, x.shape[-1]), np.float32), ())
    m = _micro_count(n)
    if m >= n:
        micro = np.arange(n, dtype=np.int64)
        sums = x.copy()
    else:
        micro, _ = spherical_kmeans(x, m, seed=seed)
        sums = _group_sums(micro, x, m)
        # drop empty micro-clusters (rare with k-means++)
        used = np.unique(micro)
        remap = np.full(m, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        micro, sums = remap[micro], sums[used]
    group = _centroid_linkage(sums, threshold)[micro]
    ids, sizes = np.unique(group, return_counts=True)
    keep = [(int(size), int(g)) for g, size in zip(ids, sizes, strict=True) if size >= max(1, min_size)]
    keep.sort(key=lambda pair: (-pair[0], pair[1]))
    labels = np.full(n, -1, dtype=np.int64)
    centroids = np.zeros((len(keep), x.shape[1]), dtype=np.float32)
    members: list[IntArray] = []
    for theme, (_, g) in enumerate(keep):
        idx = np.flatnonzero(group == g)
        labels[idx] = theme
        centroids[theme] = _normalise(x[idx].sum(axis=0))
        order = np.argsort(-(x[idx] @ centroids[theme]), kind="stable")
        members.append(idx[order].astype(np.int64))
    return ThemeClustering(labels, centroids, tuple(members))


# --------------------------------------------------------------------------------------------------
# Stories


@dataclass(frozen=True)
class ActiveStory:
    """A story stored earlier that new items may still join (its last item is inside the window)."""

    id: int
    centroid: NDArray[np.floating]  # mean of its items' aligned vectors (need not be unit)
    size: int
    last_at: datetime
    first_at: datetime | None = None  # its earliest item (``last_at`` when unknown)
    names: frozenset[str] = frozenset()  # ``story_names`` of its items' titles
    langs: frozenset[str] = frozenset()  # ``language_key`` of its items' languages
    titles: tuple[str, ...] = ()  # its items' titles (read for ``translation_links``)
    feeds: frozenset[int] = frozenset()  # the feeds of its items


@dataclass(frozen=True)
class GroupedStory:
    """One story after grouping: an existing one that gained items, or a new one."""

    existing_id: int | None  # ``ActiveStory.id`` when the new items joined a stored story
    members: IntArray  # indices of the *new* items in it
    centroid: FloatMatrix  # unit mean of all its items (stored and new)
    size: int  # all its items (stored and new)
    last_at: datetime


@dataclass(frozen=True)
class StoryGrouping:
    """``labels[i]`` is the index in ``stories`` of new item i's story."""

    labels: IntArray
    stories: tuple[GroupedStory, ...] = field(default_factory=tuple)


_NAME = re.compile(r"[^\W\d_][\w&'’.-]*", re.UNICODE)
_ELIDED = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?$", re.IGNORECASE)


_WORD = re.compile(r"\w+")


def _fold(text: str) -> str:
    """Accents dropped, lower case: "Université" → "universite"."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def story_names(title: str, stop: frozenset[str]) -> frozenset[str]:
    """The capitalised words of a title, folded ("Brightline", "OpenCourseHub" → "opencoursehub"), stop
    words, French elisions and English possessives left out ("L'Orvane", "Orvane's" → "orvane"): proper
    names mostly, spelled the same in French and English. Common capitalised words ("MOOC", a title's
    first word) are many stories' names, so ``group_stories`` ignores them."""
    out: set[str] = set()
    for word in _NAME.findall(title):
        word = _POSSESSIVE.sub("", _ELIDED.sub("", word).rstrip(".-'’"))
        if len(word) < 3 or not any(c.isupper() for c in word):
            continue
        folded = _fold(word)
        if folded and folded not in stop:
            out.add(folded)
    return frozenset(out)


def title_stems(title: str) -> list[str]:
    """A title's words as ``translation_links`` compares them across languages: folded (``_fold``) and cut
    to their first ``COGNATE_PREFIX`` letters, so cognates meet ("université"/"university" → "unive",
    "technologie"/"technology" → "techn"); words under 3 letters are left out unless they are numbers."""
    return [word[:COGNATE_PREFIX] for word in _WORD.findall(_fold(title)) if len(word) >= 3 or word.isdigit()]


def translation_links(
    item_titles: Sequence[str],
    item_langs: Sequence[str],
    story_titles: Sequence[Sequence[str]],
    story_langs: Sequence[Iterable[str]],
    *,
    linkable: Sequence[bool] | None = None,
    threshold: float = LEXICAL_THRESHOLD,
) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
    """Which titles in another language read like a translation of each new item's title: they have at
    least ``MIN_SHARED_STEMS`` ``title_stems`` in common and the cosine of their TF-IDF vectors of stems
    is at least ``threshold``. Names, numbers and cognates survive translation where an English-centric
    model does not see it.

    ``item_langs`` are ``language_key``s. Returns, per item, the stories (indices into ``story_titles``;
    only stories with no item in the item's language, and only the ``linkable`` ones when given: every
    story's titles weigh the words, the nearer ones are linked) and the other new items (indices; only of
    another known language) it is linked to, each with the most stems a linked title has in common with
    the item's. Nothing is computed when the items and stories share one language."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(item_titles)
    to_stories: list[dict[int, int]] = [{} for _ in range(n)]
    to_items: list[dict[int, int]] = [{} for _ in range(n)]
    langs = sorted({lang for lang in item_langs if lang != POOLED})
    stored_langs = [frozenset(langs_of) for langs_of in story_langs]
    if len(stored_langs) != len(story_titles) or (linkable is not None and len(linkable) != len(story_titles)):
        raise ValueError(f"{len(story_titles)} stories' titles, {len(stored_langs)} languages, linkable {linkable}")
    if not langs or {*langs, *(lang for group in stored_langs for lang in group)} <= {langs[0], POOLED}:
        return to_stories, to_items
    owners = np.array([s for s, titles in enumerate(story_titles) for _ in titles], dtype=np.int64)
    docs = [*item_titles, *(title for titles in story_titles for title in titles)]
    try:
        matrix = TfidfVectorizer(analyzer=title_stems, sublinear_tf=True, dtype=np.float32).fit_transform(docs)
    except ValueError:  # no title has a word
        return to_stories, to_items
    items, stored = matrix[:n], matrix[n:]
    keys = np.array(item_langs)
    reach = np.array(linkable if linkable is not None else [True] * len(stored_langs), dtype=bool)
    for lang in langs:
        cols = np.flatnonzero(keys == lang)
        lacking = reach & np.array([bool(group) and lang not in group for group in stored_langs], dtype=bool)
        stored_rows = np.flatnonzero(lacking[owners])
        other_items = np.flatnonzero((keys != lang) & (keys != POOLED))
        for rows, owner_of, out in (
            (stored[stored_rows], owners[stored_rows], to_stories),
            (items[other_items], other_items, to_items),
        ):
            if rows.shape[0] == 0:
                continue
            sims = (rows @ items[cols].T).tocsr()
            shared = (rows > 0).astype(np.float32) @ (items[cols] > 0).astype(np.float32).T  # stems in common
            sims = sims.multiply(shared >= MIN_SHARED_STEMS).tocoo()
            keep = sims.data >= threshold
            picked = shared.tocsr()[sims.row[keep], sims.col[keep]]
            stems = np.asarray(picked.toarray() if hasattr(picked, "toarray") else picked).ravel().astype(np.int64)
            for r, c, k in zip(
                owner_of[sims.row[keep]].tolist(), cols[sims.col[keep]].tolist(), stems.tolist(), strict=True
            ):
                out[c][r] = max(out[c].get(r, 0), k)
    return to_stories, to_items


@dataclass
class _Story:
    """A story while grouping: running sum of its aligned vectors, its span, languages and rare names."""

    total: NDArray[np.float64]
    size: int
    first: datetime
    last: datetime
    stored_id: int | None = None
    langs: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    feeds: set[int] = field(default_factory=set)
    # stories with a title that reads like a translation of one of its titles -> the most stems they share
    links: dict[int, int] = field(default_factory=dict)


def group_stories(
    vectors: NDArray[np.floating],
    times: Sequence[datetime],
    *,
    threshold: float = STORY_THRESHOLD,
    window_days: float = STORY_WINDOW_DAYS,
    decay_per_day: float = STORY_DECAY_PER_DAY,
    existing: Sequence[ActiveStory] = (),
    names: Sequence[frozenset[str]] | None = None,
    langs: Sequence[str | None] | None = None,
    cross_threshold: float = CROSS_THRESHOLD,
    cross_days: float = CROSS_DAYS,
    titles: Sequence[str] | None = None,
    strong_threshold: float = STRONG_CROSS_THRESHOLD,
    feeds: Sequence[int | None] | None = None,
    same_feed_threshold: float = SAME_FEED_THRESHOLD,
) -> StoryGrouping:
    """Group new items (aligned unit vectors + publication times) into stories.

    Items are taken in time order; each joins the active story (stored in ``existing`` or made earlier
    in this batch) it is most similar to, else it starts a new story. Similarity is average link: the
    item's mean cosine to the story's items (the story's mean vector), so a big story is no easier to
    join than a small one, as it is with the cosine to a normalised centroid. The bar is ``threshold``,
    raised by ``decay_per_day`` per day between the item and the story's nearest item, and a story spans
    at most ``window_days`` from its first item to its last. Both stop chaining: with a flat bar, articles
    on one busy topic join one after another into a "story" that runs for weeks. Then a re-merge pass
    joins stories of the batch that reached the bar after they grew (single-pass is order dependent);
    two stored stories are never merged, so their ids stay stable. A stored story's mean is taken as its
    stored centroid (its items' cohesion is not stored), as before.

    Across languages (``langs``: each item's language) the bar is ``cross_threshold`` instead, with no
    decay, for a story that has no item in the item's language, has an item at most ``cross_days`` from
    it and shares a rare name with it (``names``: each item's ``story_names``; rare: carried by at most
    ``NAME_MAX_SHARE`` stories and items of the window) or has a title that reads like a translation of
    the item's (``titles``: each item's title, ``ActiveStory.titles`` for stored stories; see
    ``translation_links``): the evidence that a French article retells an English one, which an
    English-centric model misses. Titles sharing ``STRONG_SHARED_STEMS`` stems or more ask only
    ``strong_threshold``. An item joins a story holding an item of its own feed (``feeds``: each item's
    feed id; ``ActiveStory.feeds``) only at ``same_feed_threshold``: a feed's next article on a topic is
    another story. Within one language a shared name earns nothing: the model reads the
    name itself, and two stories about one company are still two stories.
    """
    x = _normalise(np.asarray(vectors, dtype=np.float32))
    n = len(x)
    if len(times) != n:
        raise ValueError(f"{len(times)} times for {n} vectors")
    if n == 0:
        return StoryGrouping(np.zeros(0, dtype=np.int64), ())
    item_names = list(names) if names is not None else [frozenset[str]()] * n
    if len(item_names) != n:
        raise ValueError(f"{len(item_names)} name sets for {n} vectors")
    item_feeds = list(feeds) if feeds is not None else [None] * n
    if len(item_feeds) != n:
        raise ValueError(f"{len(item_feeds)} feeds for {n} vectors")
    item_langs = [language_key(lang) for lang in langs] if langs is not None else [POOLED] * n
    if len(item_langs) != n:
        raise ValueError(f"{len(item_langs)} languages for {n} vectors")
    window = timedelta(days=window_days)
    strong_bar = min(strong_threshold, cross_threshold)  # more evidence never asks more
    cross_window = timedelta(days=cross_days)
    share: dict[str, int] = {}
    for group in [*(story.names for story in existing), *item_names]:
        for name in group:
            share[name] = share.get(name, 0) + 1
    rare = [frozenset(name for name in group if share[name] <= NAME_MAX_SHARE) for group in item_names]
    if titles is not None and len(titles) != n:
        raise ValueError(f"{len(titles)} titles for {n} vectors")
    # stored stories (indices) and new items of other languages whose titles read as translated, with the
    # stems they share
    linked_stories: list[dict[int, int]] = [{} for _ in range(n)]
    linked_items: list[dict[int, int]] = [{} for _ in range(n)]
    if titles is not None:
        earliest = min(times) - cross_window
        linked_stories, linked_items = translation_links(
            titles,
            item_langs,
            [story.titles for story in existing],
            [story.langs for story in existing],
            linkable=[story.last_at >= earliest for story in existing],
        )

    stories: list[_Story] = []
    for active in existing:
        centroid = np.asarray(active.centroid, dtype=np.float64)
        stories.append(
            _Story(
                total=centroid / max(float(np.linalg.norm(centroid)), 1e-12) * active.size,
                size=active.size,
                first=active.first_at or active.last_at,
                last=active.last_at,
                stored_id=active.id,
                langs={lang for lang in active.langs if lang != POOLED},
                names={name for name in active.names if share[name] <= NAME_MAX_SHARE},
                feeds=set(active.feeds),
            )
        )
    capacity = len(stories) + n
    mean = np.zeros((capacity, x.shape[1]), dtype=np.float32)  # each story's mean vector (not unit)
    first_seconds = np.full(capacity, np.inf)
    last_seconds = np.full(capacity, -np.inf)
    holders: dict[str, set[int]] = {}  # rare name -> stories carrying it
    for s, known in enumerate(stories):
        mean[s] = known.total / known.size
        first_seconds[s], last_seconds[s] = known.first.timestamp(), known.last.timestamp()
        for name in known.names:
            holders.setdefault(name, set()).add(s)

    def crosses(story: _Story, lang: str, first: datetime, last: datetime) -> bool:
        """Whether items of ``lang`` dated ``first``..``last`` may join ``story`` on the cross-language bar
        (given the evidence: a shared rare name or a title that reads like a translation)."""
        return (
            lang != POOLED
            and bool(story.langs)
            and lang not in story.langs
            and first - story.last <= cross_window
            and story.first - last <= cross_window
        )

    labels = np.full(n, -1, dtype=np.int64)
    window_seconds = window.total_seconds()
    # A story whose last item is further back than this cannot take an item: its similarity is at most 1,
    # so its bar passes 1 after (1 - threshold) / decay days, and the cross-language bar needs 3 days.
    horizon = (
        (max(cross_days, (1.0 - min(threshold, cross_threshold)) / decay_per_day) + 1.0) * 86400.0
        if decay_per_day > 0
        else np.inf
    )
    order = sorted(range(n), key=lambda i: times[i])
    item_seconds = np.array([moment.timestamp() for moment in times], dtype=np.float64)
    slot = np.full(capacity, -1, dtype=np.int64)  # a story's position among the current candidates
    for block_start in range(0, n, _STORY_BLOCK):
        # Items are taken in blocks: their similarities to the stories that existed when the block began
        # are one matrix product; only the stories changed or made during the block are read per item.
        block = order[block_start : block_start + _STORY_BLOCK]
        fixed = len(stories)
        alive = np.flatnonzero(last_seconds[:fixed] >= item_seconds[block[0]] - horizon)
        block_sims = (mean[alive] @ x[block].T).astype(np.float64)  # (alive stories, block items)
        moved: set[int] = set()  # positions in ``alive`` whose mean changed during the block
        for column, i in enumerate(block):
            best = -1
            own = item_feeds[i]
            made = np.arange(fixed, len(stories))
            candidates = np.concatenate([alive, made]) if len(made) else alive
            if len(candidates):
                seconds = item_seconds[i]
                sims = np.empty(len(candidates), dtype=np.float64)
                sims[: len(alive)] = block_sims[:, column]
                if moved:
                    rows = np.fromiter(moved, dtype=np.int64, count=len(moved))
                    sims[rows] = (mean[alive[rows]] @ x[i]).astype(np.float64)
                if len(made):
                    sims[len(alive) :] = (mean[fixed : len(stories)] @ x[i]).astype(np.float64)
                first_c, last_c = first_seconds[candidates], last_seconds[candidates]
                gap_days = np.maximum(np.maximum(first_c - seconds, seconds - last_c), 0) / 86400
                margin = sims - threshold - decay_per_day * gap_days  # how far each story is above its bar
                span = np.maximum(last_c, seconds) - np.minimum(first_c, seconds)
                margin[span > window_seconds] = -np.inf
                slot[candidates] = np.arange(len(candidates))
                # the cross-language bar each story with evidence offers: a shared rare name or a title
                # read as translated, lower when the titles share many stems
                bars = {held: cross_threshold for name in rare[i] for held in holders.get(name, ())}
                for other, stems in _story_links(linked_stories[i], linked_items[i], labels).items():
                    bar = strong_bar if stems >= STRONG_SHARED_STEMS else cross_threshold
                    bars[other] = min(bars.get(other, bar), bar)
                for other, bar in bars.items():
                    p = int(slot[other])
                    if p < 0 or p >= len(candidates) or candidates[p] != other:
                        continue  # beyond the horizon: no bar it could pass
                    if np.isfinite(margin[p]) and crosses(stories[other], item_langs[i], times[i], times[i]):
                        margin[p] = max(margin[p], sims[p] - bar)
                # a story already holding an item of this feed in this language: its next article, unless
                # nearly alike (one feed's French and English versions of a piece are one story). Only the
                # stories the item could join are read: lowering a margin already below 0 changes nothing.
                for q in np.flatnonzero(margin >= 0).tolist() if own is not None else ():
                    held = stories[int(candidates[q])]
                    if own in held.feeds and item_langs[i] in held.langs:
                        margin[q] = min(margin[q], sims[q] - same_feed_threshold)
                cand = int(np.argmax(margin))
                if margin[cand] >= 0:
                    best = int(candidates[cand])
                    if cand < len(alive):
                        moved.add(cand)
            labels[i] = _join(stories, best, i, x, times, item_langs, rare, holders, mean, first_seconds, last_seconds)
            if own is not None:
                stories[int(labels[i])].feeds.add(own)

    # re-merge: stories touched by this batch whose average link now reaches their bar
    parent = {int(s): int(s) for s in set(labels.tolist())}
    for i in range(n):
        story = int(labels[i])
        for end, stems in _story_links(linked_stories[i], linked_items[i], labels).items():
            for one, other in ((story, end), (end, story)):
                stories[one].links[other] = max(stories[one].links.get(other, 0), stems)

    def find(s: int) -> int:
        while parent.get(s, s) != s:
            s = parent[s]
        return s

    def merge_bar(a_root: int, b_root: int) -> float:
        """The average link two stories need to merge: the cross-language bar when each is in languages
        the other lacks and the evidence is there, else the threshold raised by the days between them."""
        a, b = stories[a_root], stories[b_root]
        if (
            a.langs
            and b.langs
            and a.langs.isdisjoint(b.langs)
            and any(crosses(a, lang, b.first, b.last) for lang in b.langs)
        ):
            stems = max((k for s, k in a.links.items() if find(s) == b_root), default=0)
            if stems >= STRONG_SHARED_STEMS:
                return min(threshold, strong_bar)
            if stems or not a.names.isdisjoint(b.names):
                return min(threshold, cross_threshold)
        gap = max(a.first - b.last, b.first - a.last, timedelta(0))
        bar = threshold + decay_per_day * gap.total_seconds() / 86400
        return max(bar, same_feed_threshold) if not a.feeds.isdisjoint(b.feeds) else bar

    floor = min(threshold, cross_threshold, strong_bar)
    while True:
        roots = sorted({find(s) for s in parent})
        if len(roots) < 2:
            break
        mat = mean[roots]
        sim = np.triu(mat @ mat.T, k=1)
        pairs = np.argwhere(sim >= floor)
        if len(pairs) == 0:
            break
        pairs = pairs[np.argsort(-sim[pairs[:, 0], pairs[:, 1]], kind="stable")]
        changed = False
        for a_pos, b_pos in pairs:
            a, b = find(roots[a_pos]), find(roots[b_pos])
            if a == b or (stories[a].stored_id is not None and stories[b].stored_id is not None):
                continue
            sa, sb = stories[a], stories[b]
            if max(sa.last, sb.last) - min(sa.first, sb.first) > window:
                continue
            if float(mean[a] @ mean[b]) < merge_bar(a, b):
                continue
            keep, gone = (a, b) if sb.stored_id is None else (b, a)
            kept, merged = stories[keep], stories[gone]
            kept.total += merged.total
            kept.size += merged.size
            kept.first, kept.last = min(kept.first, merged.first), max(kept.last, merged.last)
            kept.langs |= merged.langs
            kept.names |= merged.names
            kept.feeds |= merged.feeds
            for other, stems in merged.links.items():
                kept.links[other] = max(kept.links.get(other, 0), stems)
            mean[keep] = kept.total / kept.size
            parent[gone] = keep
            parent.setdefault(keep, keep)
            changed = True
        if not changed:
            break

    final = [find(int(s)) for s in labels]
    position: dict[int, int] = {}  # stories numbered by their first item in input order
    for root in final:
        position.setdefault(root, len(position))
    out_labels = np.array([position[root] for root in final], dtype=np.int64)
    by_story = np.argsort(out_labels, kind="stable")
    bounds = np.searchsorted(out_labels[by_story], np.arange(len(position) + 1))
    grouped = tuple(
        GroupedStory(
            existing_id=stories[r].stored_id,
            members=by_story[bounds[p] : bounds[p + 1]].astype(np.int64),
            centroid=_normalise(stories[r].total),
            size=stories[r].size,
            last_at=stories[r].last,
        )
        for r, p in position.items()
    )
    return StoryGrouping(out_labels, grouped)


def _story_links(to_stories: dict[int, int], to_items: dict[int, int], labels: IntArray) -> dict[int, int]:
    """The stories an item's title reads like a translation of, with the most stems a title of each shares
    with the item's: stored ones, and those of the new items already placed (``labels``)."""
    links = dict(to_stories)
    for j, stems in to_items.items():
        if labels[j] >= 0:
            links[int(labels[j])] = max(links.get(int(labels[j]), 0), stems)
    return links


_STORY_BLOCK = 256  # items whose similarities to the stories are computed in one matrix product


def _join(
    stories: list[_Story],
    best: int,
    i: int,
    x: NDArray[np.float32],
    times: Sequence[datetime],
    item_langs: Sequence[str],
    rare: Sequence[frozenset[str]],
    holders: dict[str, set[int]],
    mean: NDArray[np.float32],
    first_seconds: NDArray[np.float64],
    last_seconds: NDArray[np.float64],
) -> int:
    """Add item ``i`` to story ``best`` (a new story when -1); returns the story's index."""
    if best < 0:
        best = len(stories)
        stories.append(_Story(np.zeros(x.shape[1], dtype=np.float64), 0, times[i], times[i]))
    joined = stories[best]
    joined.total += x[i]
    joined.size += 1
    joined.first, joined.last = min(joined.first, times[i]), max(joined.last, times[i])
    if item_langs[i] != POOLED:
        joined.langs.add(item_langs[i])
    joined.names |= rare[i]
    for name in rare[i]:
        holders.setdefault(name, set()).add(best)
    first_seconds[best], last_seconds[best] = joined.first.timestamp(), joined.last.timestamp()
    mean[best] = joined.total / joined.size
    return best
