"""Quality measures of a grouping against labels, and of the format tagger (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

from sklearn import metrics


def bcubed(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin 1998). Each unclustered item (label -1 in
    ``predicted``) counts as a cluster of its own, so leaving items out never looks like precision."""
    n = len(truth)
    if n == 0:
        return 0.0, 0.0, 0.0
    predicted = [p if p != -1 else ("single", i) for i, p in enumerate(predicted)]
    pair_counts = Counter(zip(truth, predicted, strict=True))
    truth_sizes, predicted_sizes = Counter(truth), Counter(predicted)
    precision = sum(count * count / predicted_sizes[p] for (_, p), count in pair_counts.items()) / n
    recall = sum(count * count / truth_sizes[t] for (t, _), count in pair_counts.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def grouping_scores(truth: Sequence[Hashable], predicted: Sequence[int]) -> dict[str, float | int]:
    """NMI, ARI, V-measure and B-cubed of ``predicted``.

    Unclustered items (-1) form one label of their own for NMI, ARI and V-measure, as BERTopic counts its
    outliers, so the anchors and veille are scored alike; B-cubed counts them as singletons."""
    truth_codes = [str(t) for t in truth]
    precision, recall, f1 = bcubed(truth, list(predicted))
    return {
        "items": len(truth),
        "labels": len(set(truth)),
        "clusters": len({p for p in predicted if p != -1}),
        "unclustered": sum(1 for p in predicted if p == -1),
        "nmi": round(float(metrics.normalized_mutual_info_score(truth_codes, predicted)), 4),
        "ari": round(float(metrics.adjusted_rand_score(truth_codes, predicted)), 4),
        "v_measure": round(float(metrics.v_measure_score(truth_codes, predicted)), 4),
        "bcubed_precision": round(precision, 4),
        "bcubed_recall": round(recall, 4),
        "bcubed_f1": round(f1, 4),
    }
