"""``veille eval``: measure veille's grouping and tagging on labelled texts, through the production path.

story level:  embed (the configured model) -> detect languages -> align languages
              -> core.clustering.group_stories with the shipped threshold (every text one item)
theme level:  the story level, then core.clustering.cluster_themes on the story centroids, as
              ``veille process`` does for a window of weeks; an item takes its story's theme
--formats:    the format tagger of ``veille process`` (core.formats) on the same vectors
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from veille.adapters import langid
from veille.adapters.evalset import LabelledText, read_eval_file
from veille.adapters.stopwords import stop_words
from veille.adapters.threads import one_blas_thread
from veille.app import App
from veille.core import clustering
from veille.core.clustering import story_names
from veille.core.formats import OTHER, macro_f1, split_title
from veille.core.metrics import grouping_scores
from veille.core.normalize import detect_language

EVAL_TIME = datetime(2026, 1, 1, tzinfo=UTC)  # eval texts carry no dates: they are one moment's news


@dataclass(frozen=True)
class EvalResult:
    level: str
    assignments: list[int]
    formats: list[list[str]] | None
    scores: dict[str, Any]


def evaluate(app: App, path: Path, *, level: str = "story", with_formats: bool = False) -> EvalResult:
    rows = read_eval_file(path)
    texts = [row.text for row in rows]
    vectors = app.embedder.embed(texts) if texts else np.zeros((0, 0), dtype=np.float32)
    langs = [row.lang or detect_language(row.text, langid.classify) for row in rows]
    predicted: list[list[str]] | None = None
    profiles: np.ndarray | None = None
    if with_formats or level == "theme":
        tagger = app.tagger().tagger
        tags = tagger.classify(texts, vectors, langs)
        predicted = [[tag.format for tag in item_tags] for item_tags in tags]
        keys = [key for key in tagger.taxonomy.keys if key != OTHER]
        profiles = np.zeros((len(texts), len(keys)), dtype=np.float32)
        for row, item_tags in enumerate(tags):
            for tag in item_tags:
                if tag.format != OTHER:
                    profiles[row, keys.index(tag.format)] = tag.score
    titles = [split_title(text)[0] for text in texts]
    assignments = group(vectors, langs, level=level, profiles=profiles, titles=titles)
    scores: dict[str, Any] = {"level": level}
    if rows and all(row.label is not None for row in rows):
        scores.update(grouping_scores([row.label for row in rows], assignments))
    else:
        scores.update(items=len(rows), clusters=len({a for a in assignments if a != -1}))
    if with_formats and predicted is not None:
        scores["formats"] = format_scores(rows, predicted, tagger.taxonomy.keys)
    else:
        predicted = None
    return EvalResult(level=level, assignments=assignments, formats=predicted, scores=scores)


def group(
    vectors: np.ndarray,
    langs: list[str | None],
    *,
    level: str,
    profiles: np.ndarray | None = None,
    titles: list[str] | None = None,
) -> list[int]:
    """Cluster ids per text (-1: unclustered) through the production functions and thresholds.
    ``profiles``: each text's learning-format scores (theme level), averaged per story as in production;
    ``titles``: each text's title, read for the cross-language evidence as ``veille process`` reads it."""
    if len(vectors) == 0:
        return []
    aligned, _ = clustering.align_languages(vectors, langs)
    names = [story_names(title, stop_words()) for title in titles] if titles is not None else None
    stories = clustering.group_stories(aligned, [EVAL_TIME] * len(aligned), names=names, langs=langs, titles=titles)
    story_labels = [int(label) for label in stories.labels]
    if level == "story":
        return story_labels
    centroids = np.vstack([story.centroid for story in stories.stories])
    story_profiles = None
    if profiles is not None:
        story_profiles = np.vstack([profiles[story.members].mean(axis=0) for story in stories.stories])
    with one_blas_thread():
        themes = clustering.cluster_themes(clustering.theme_features(centroids, story_profiles))
    return [int(themes.labels[label]) for label in story_labels]


def format_scores(rows: list[LabelledText], predicted: list[list[str]], keys: tuple[str, ...] | list[str]) -> dict:
    """Per-format and macro precision, recall and F1 of the tagger, on the lines that carry formats."""
    pairs = [(row.formats, p) for row, p in zip(rows, predicted, strict=True) if row.formats is not None]
    if not pairs:
        return {"error": 'no line carries "formats": nothing to score'}
    truth = [list(t or [OTHER]) for t, _ in pairs]
    guess = [p for _, p in pairs]
    labels = list(dict.fromkeys([*keys, OTHER]))
    macro, per = macro_f1(truth, guess, labels)
    return {
        "items": len(pairs),
        "macro_f1": round(macro, 4),
        "per_format": {k: {m: round(v, 4) for m, v in values.items()} for k, values in per.items()},
    }


def write_assignments(path: Path, result: EvalResult) -> None:
    with path.open("w", encoding="utf-8") as out:
        for index, cluster in enumerate(result.assignments):
            line: dict[str, Any] = {"index": index, "cluster": cluster}
            if result.formats is not None:
                line["formats"] = result.formats[index]
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
