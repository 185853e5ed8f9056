"""``veille process``: embed what is new, group stories, tag formats, cluster weeks into themes, score trends.

    process(app)
        1. embed      items without an embedding for (model, content hash), in batches; one transaction per
                      batch, so a kill loses at most one batch of work
        2. formats    items not yet tagged with this (model, taxonomy, rules) signature -> core.formats
        3. stories    items not yet in a story, in publication order -> core.clustering.group_stories, against
                      the stories still active (last ``STORY_WINDOW_DAYS``)
        4. themes     each ISO week whose stories changed (signature) -> core.clustering.cluster_themes on the
                      week's stories, c-TF-IDF keywords (core.labels), linked to the persistent themes of
                      the previous weeks and scored (core.trends); later weeks are redone after it, since
                      their history changed

Every step is idempotent: a second run with nothing new changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from veille.adapters.process_store import ItemText, ProcessStore
from veille.adapters.taxonomy import load_taxonomy
from veille.app import App
from veille.core.formats import ClassifierParams, FormatClassifier, Taxonomy

log = logging.getLogger(__name__)

EMBED_BATCH = 256  # items embedded and stored per transaction
SUMMARY_CHARS = 500  # title + the first ~500 characters of the summary (METHODS.md)


@dataclass(frozen=True)
class ProcessReport:
    embedded: int = 0
    classified: int = 0
    stories_new: int = 0
    items_grouped: int = 0
    weeks_clustered: tuple[str, ...] = ()

    def summary(self) -> str:
        weeks = ", ".join(self.weeks_clustered) or "none"
        return (
            f"{self.embedded} item(s) embedded, {self.classified} tagged, {self.items_grouped} grouped into "
            f"{self.stories_new} new story(ies), weeks clustered: {weeks}"
        )


def embedding_text(title: str, summary: str) -> str:
    """What is embedded: the title and the start of the clean summary, cut on a word boundary."""
    summary = summary.strip()
    if len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    title = title.strip()
    if not summary or summary.startswith(title):
        return summary or title
    return f"{title}. {summary}" if title else summary


def embed_new(app: App) -> int:
    """Embed the items that have no embedding for the configured model and their current content."""
    store = ProcessStore(app.store)
    model = app.settings.model.name
    done = 0
    while True:
        batch = store.items_to_embed(model, limit=EMBED_BATCH)
        if not batch:
            return done
        vectors = app.embedder.embed([embedding_text(item.title, item.summary) for item in batch])
        store.save_embeddings(model, batch, vectors)
        done += len(batch)
        log.debug("embedded %d item(s)", done)


# ------------------------------------------------------------------------------------------- formats


def _taxonomy_signature(taxonomy: Taxonomy, model: str, params: ClassifierParams) -> str:
    text = json.dumps(
        [repr(taxonomy), model, repr(params)],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def classifier(app: App) -> tuple[FormatClassifier, str]:
    """The format tagger for the configured taxonomy and model, and its signature.

    The taxonomy's texts are embedded once per (model, taxonomy) and cached under the data folder."""
    taxonomy = load_taxonomy(app.settings.formats_file)
    params = ClassifierParams()
    model = app.settings.model.name
    signature = _taxonomy_signature(taxonomy, model, params)
    cache = app.settings.data_dir / "cache" / f"taxonomy-{signature}.npy"
    texts = [text.text for text in taxonomy.texts()]
    vectors = _load_cached(cache, len(texts))
    if vectors is None:
        vectors = app.embedder.embed(texts)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(cache)
    return FormatClassifier.fit(taxonomy, vectors, params), signature


def _load_cached(path: Path, rows: int) -> NDArray[np.float32] | None:
    try:
        vectors = np.load(path)
    except (OSError, ValueError):
        return None
    return vectors if vectors.shape[0] == rows else None


def classify_new(app: App) -> int:
    """Tag the items not yet tagged with the current (model, taxonomy, rules) signature."""
    store = ProcessStore(app.store)
    tagger, signature = classifier(app)
    todo = store.items_to_classify(signature, app.settings.model.name)
    done = 0
    for start in range(0, len(todo), 2000):
        ids = todo[start : start + 2000]
        items = store.items(ids)
        vectors = store.vectors(ids)
        texts = [f"{item.title}. {item.summary}" for item in items]
        tags = tagger.classify(texts, vectors, [item.lang for item in items])
        store.save_formats(
            signature,
            (
                (item, [(tag.format, tag.score, dict(tag.evidence)) for tag in item_tags])
                for item, item_tags in zip(items, tags, strict=True)
            ),
        )
        done += len(ids)
    return done


def process(app: App) -> ProcessReport:
    """Run every step on whatever is new. Idempotent."""
    embedded = embed_new(app)
    classified = classify_new(app)
    return ProcessReport(embedded=embedded, classified=classified)


__all__ = ["ItemText", "ProcessReport", "classify_new", "embed_new", "embedding_text", "process"]
