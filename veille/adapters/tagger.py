"""Fit the format tagger (``core.formats.FormatClassifier``) for a taxonomy and an embedding model.

    fit_tagger(embedder, taxonomy, model_key, cache_dir) -> FittedTagger
        the taxonomy's texts (descriptions, examples, the labelled corpus) as vectors: the shipped ones
        for the default model, else read from <cache_dir>/taxonomy-<key>.npy, else embedded once and
        cached there (temp file + rename) -> FormatClassifier.fit (about a second)

``veille.app.App.tagger`` fits it once per App (and again only when the taxonomy or the model changes),
so ``veille schedule`` and the demo fit it once for the life of the process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from veille.adapters.embed import Embedder, is_default_model
from veille.adapters.taxonomy import load_relevance, shipped_vectors, text_key
from veille.adapters.threads import one_blas_thread
from veille.core.formats import ClassifierParams, FormatClassifier, Taxonomy


@dataclass(frozen=True)
class FittedTagger:
    """A fitted tagger, the (model, taxonomy) key it was fitted for, and the signature stored with each
    tagged item (model + taxonomy + rules: a change of any re-tags the items)."""

    tagger: FormatClassifier
    key: str
    signature: str


def tagger_key(model_key: str, taxonomy: Taxonomy) -> str:
    """What a fitted tagger depends on: the model, the taxonomy and the relevance rules."""
    relevance = load_relevance().signature()
    return hashlib.sha256(f"{model_key}\0{taxonomy.signature()}\0{relevance}".encode()).hexdigest()[:16]


def fit_tagger(embedder: Embedder, taxonomy: Taxonomy, model_key: str, cache_dir: Path) -> FittedTagger:
    """Fit the tagger of ``taxonomy`` on ``embedder``'s vectors (cached under ``cache_dir``)."""
    key = tagger_key(model_key, taxonomy)
    relevance = load_relevance()
    cache = cache_dir / f"taxonomy-{key}.npy"
    texts = [text.text for text in taxonomy.texts()] + [text for _, _, text in relevance.texts()]
    vectors = _load_cached(cache, len(texts))
    if vectors is None:
        vectors = taxonomy_vectors(embedder, texts)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(cache)
    split = len(taxonomy.texts())
    with one_blas_thread():  # the fits are tiny: threads on a busy machine only fight
        tagger = FormatClassifier.fit(taxonomy, vectors[:split], ClassifierParams(), relevance, vectors[split:])
    signature = hashlib.sha256(f"{model_key}\0{tagger.signature}".encode()).hexdigest()[:16]
    return FittedTagger(tagger, key, signature)


def taxonomy_vectors(embedder: Embedder, texts: list[str]) -> NDArray[np.float32]:
    """One vector per text: the shipped ones when the embedder is the default model, the rest embedded."""
    known = shipped_vectors() if is_default_model(embedder) else {}
    missing = [text for text in dict.fromkeys(texts) if text_key(text) not in known]
    if missing:
        known = {**known, **dict(zip(map(text_key, missing), embedder.embed(missing), strict=True))}
    return np.stack([known[text_key(text)] for text in texts]).astype(np.float32)


def _load_cached(path: Path, rows: int) -> NDArray[np.float32] | None:
    try:
        vectors = np.load(path)
    except (OSError, ValueError):
        return None
    return vectors if vectors.shape[0] == rows else None
