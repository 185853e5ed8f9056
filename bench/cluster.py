"""Theme clustering and story grouping quality, against anchors computed in the same run.

Usage: python bench/cluster.py [--skip-bertopic] [--limit N]

Theme level, on ../shared/eval/agnews-8000 (English, 4 topics) and ../shared/eval/sib200-train (701
parallel FR/EN sentences, 7 topics, 1,402 texts), all on the same language-aligned embeddings:
veille's ``cluster_themes`` (no k given), k-means with the true k, and BERTopic's default pipeline
(UMAP 5-d + HDBSCAN, outliers as their own label). Prints NMI, ARI, number of clusters and, for sib200,
the share of FR/EN translation pairs in the same cluster; then the cross-lingual remedies; then story
grouping on tests/data/stories_dev.jsonl (B-cubed and ARI per threshold); then a timing row.

Embeddings are cached under the system temp directory (keyed by model and texts).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import json
import re
import sys
import tempfile
import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veille.adapters.embed import DEFAULT_MODEL, SentenceTransformerEmbedder  # noqa: E402
from veille.adapters.threads import one_blas_thread  # noqa: E402
from veille.core.clustering import (  # noqa: E402
    STORY_THRESHOLD,
    THEME_THRESHOLD,
    align_languages,
    cluster_themes,
    group_stories,
)
from veille.core.formats import split_title  # noqa: E402
from veille.jobs.evaluate import group  # noqa: E402

SHARED = ROOT.parent / "shared"
CACHE = Path(tempfile.gettempdir()) / "veille-bench-cache"
_embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
LIMIT: int | None = None  # --limit: at most this many texts (or translation pairs) per theme set


def spread(rows: list, limit: int | None) -> list:
    """At most ``limit`` rows, evenly spaced over the whole list (so every label keeps its share)."""
    if limit is None or limit >= len(rows):
        return rows
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


def embed(texts: list[str]) -> np.ndarray:
    """Model embeddings of ``texts``, cached on disk so reruns cost nothing."""
    key = hashlib.sha1((DEFAULT_MODEL + "\n" + "\n".join(texts)).encode()).hexdigest()[:16]
    path = CACHE / f"{key}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(exist_ok=True)
    vectors = _embedder.embed(texts)
    np.save(path, vectors)
    return vectors


def load_sib() -> tuple[list[str], list[str], list[str]]:
    """Texts, labels and languages: the 701 English sentences, then their 701 French twins (same order)."""
    rows = {}
    for lang in ("eng", "fra"):
        path = SHARED / "eval" / "sib200-train" / f"{lang}_Latn.train.tsv"
        with path.open(encoding="utf-8", newline="") as handle:
            rows[lang] = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert [r["index_id"] for r in rows["eng"]] == [r["index_id"] for r in rows["fra"]]
    rows = {lang: spread(table, LIMIT) for lang, table in rows.items()}
    texts = [r["text"] for r in rows["eng"]] + [r["text"] for r in rows["fra"]]
    labels = [r["category"] for r in rows["eng"]] * 2
    langs = ["en"] * len(rows["eng"]) + ["fr"] * len(rows["fra"])
    return texts, labels, langs


def load_agnews() -> tuple[list[str], list[str], list[str]]:
    path = SHARED / "eval" / "agnews-8000" / "agnews_8000.tsv"
    pairs = [line.rstrip("\n").split("\t", 1) for line in path.open(encoding="utf-8") if line.strip()]
    pairs = spread(pairs, LIMIT)
    return [p[1] for p in pairs], [p[0] for p in pairs], ["en"] * len(pairs)


def load_story_dev() -> tuple[list[str], list[str], list[datetime], list[str]]:
    """Google News related-article lists (one event per item) plus the items written in stories_dev."""
    texts: list[str] = []
    labels: list[str] = []
    times: list[datetime] = []
    langs: list[str] = []
    raw = (SHARED / "feeds" / "real" / "google_news_top.rss").read_text(encoding="utf-8")
    for number, item in enumerate(re.findall(r"<item>(.*?)</item>", raw, re.S)):
        published = parsedate_to_datetime(re.search(r"<pubDate>(.*?)</pubDate>", item).group(1))  # type: ignore[union-attr]
        description = html.unescape(re.search(r"<description>(.*?)</description>", item, re.S).group(1))  # type: ignore[union-attr]
        for title in re.findall(r"<li><a [^>]*>(.*?)</a>", description):
            texts.append(html.unescape(title))
            labels.append(f"gn-{number}")
            times.append(published)
            langs.append("en")
    for line in (ROOT / "tests" / "data" / "stories_dev.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts.append(row["text"])
        labels.append(row["label"])
        times.append(datetime.fromisoformat(row["at"]))
        langs.append(row["lang"])
    return texts, labels, times, langs


def bcubed(truth: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin 1998)."""
    precision = recall = 0.0
    for i in range(len(truth)):
        same_pred = pred == pred[i]
        same_true = truth == truth[i]
        both = float((same_pred & same_true).sum())
        precision += both / same_pred.sum()
        recall += both / same_true.sum()
    precision /= len(truth)
    recall /= len(truth)
    return precision, recall, 2 * precision * recall / (precision + recall)


def pairs_together(labels: np.ndarray) -> float:
    """Share of (EN row i, FR row i + n) translation pairs in the same, real (not -1) cluster."""
    half = len(labels) // 2
    return float(((labels[:half] == labels[half:]) & (labels[:half] >= 0)).mean())


def bertopic_labels(vectors: np.ndarray) -> np.ndarray:
    """BERTopic's default clustering pipeline on precomputed embeddings (outliers stay -1)."""
    from hdbscan import HDBSCAN
    from umap import UMAP

    reduced = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42).fit_transform(
        vectors
    )
    return HDBSCAN(min_cluster_size=10, metric="euclidean", cluster_selection_method="eom").fit_predict(reduced)


def row(name: str, method: str, truth: np.ndarray, labels: np.ndarray, seconds: float, pairs: bool) -> None:
    clusters = len(set(labels.tolist()) - {-1})
    together = f"{100 * pairs_together(labels):6.1f}%" if pairs else "      -"
    print(
        f"{name:10s} {method:22s} {normalized_mutual_info_score(truth, labels):6.3f} "
        f"{adjusted_rand_score(truth, labels):6.3f} {clusters:6d} {100 * (labels < 0).mean():7.1f}% "
        f"{together} {seconds:8.1f}"
    )


def themes(skip_bertopic: bool) -> dict[str, np.ndarray]:
    print(f"\n## Themes (veille threshold {THEME_THRESHOLD}; all methods on the same aligned embeddings)")
    print(f"{'set':10s} {'method':22s} {'NMI':>6s} {'ARI':>6s} {'k':>6s} {'unclust':>8s} {'FR/EN':>7s} {'seconds':>8s}")
    aligned_sets: dict[str, np.ndarray] = {}
    for name, loader in (("sib200", load_sib), ("agnews", load_agnews)):
        texts, labels, langs = loader()
        truth = np.array(labels)
        vectors, _ = align_languages(embed(texts), langs)
        aligned_sets[name] = vectors
        is_sib = name == "sib200"
        start = time.perf_counter()
        with one_blas_thread():  # as veille process runs it
            ours = cluster_themes(vectors).labels
        row(name, "veille (no k)", truth, ours, time.perf_counter() - start, is_sib)
        start = time.perf_counter()  # as `veille process` and `veille eval --level theme` run: stories first
        titles = [split_title(text)[0] for text in texts]  # as `veille eval` reads them
        staged = np.array(group(embed(texts), langs, level="theme", titles=titles))
        row(name, "veille, stories first", truth, staged, time.perf_counter() - start, is_sib)
        k = len(set(labels))
        start = time.perf_counter()
        km = KMeans(k, n_init=10, random_state=0).fit_predict(vectors)
        row(name, f"k-means (true k={k})", truth, km, time.perf_counter() - start, is_sib)
        if not skip_bertopic:
            start = time.perf_counter()
            bt = bertopic_labels(vectors)
            row(name, "BERTopic UMAP+HDBSCAN", truth, bt, time.perf_counter() - start, is_sib)
    return aligned_sets


def remedies() -> None:
    """FR/EN pairs in the same veille theme, and translation retrieval, for each cross-lingual remedy."""
    print("\n## Cross-lingual remedies on sib200 (veille's clustering, no k)")
    print(f"{'remedy':34s} {'pairs together':>14s} {'pair cos':>9s} {'retrieval@1':>12s} {'NMI':>6s} {'ARI':>6s}")
    texts, labels, langs = load_sib()
    truth = np.array(labels)
    raw = embed(texts)
    half = len(raw) // 2
    centred, _ = align_languages(raw, langs)
    options = {
        "none (raw embeddings)": raw,
        "per-language centring": centred,
    }
    rng = np.random.default_rng(0)
    train = rng.permutation(half)[: half // 2]
    test = np.setdiff1d(np.arange(half), train)
    en, fr = centred[:half], centred[half:]
    u, _, vt = np.linalg.svd(fr[train].T @ en[train])
    mapped_fr = fr @ (u @ vt)
    mapped_fr /= np.linalg.norm(mapped_fr, axis=1, keepdims=True)
    for name, vectors in options.items():
        labels_ = cluster_themes(vectors).labels
        sims = vectors[:half] @ vectors[half:].T
        print(
            f"{name:34s} {100 * pairs_together(labels_):13.1f}% {float(np.diag(sims).mean()):9.3f} "
            f"{float((sims.argmax(1) == np.arange(half)).mean()):12.3f} "
            f"{normalized_mutual_info_score(truth, labels_):6.3f} {adjusted_rand_score(truth, labels_):6.3f}"
        )
    sims_test = en[test] @ mapped_fr[test].T
    plain_test = en[test] @ fr[test].T
    print(
        f"orthogonal map on {len(train)} held-in pairs (test half): retrieval@1 "
        f"{float((sims_test.argmax(1) == np.arange(len(test))).mean()):.3f} vs centring alone "
        f"{float((plain_test.argmax(1) == np.arange(len(test))).mean()):.3f} (not shipped: needs parallel data)"
    )


def stories() -> None:
    print(f"\n## Stories on tests/data/stories_dev.jsonl + Google News related lists (shipped {STORY_THRESHOLD})")
    texts, labels, times, langs = load_story_dev()
    truth = np.array(labels)
    french = np.array(langs) == "fr"
    print(f"{len(texts)} items, {len(set(labels))} true stories, {int(french.sum())} French")
    header = ("vectors", "thr", "stories", "B3 P", "B3 R", "B3 F1", "ARI", "FR joined")
    print("{:8s} {:>5s} {:>8s} {:>6s} {:>6s} {:>6s} {:>6s} {:>9s}".format(*header))
    raw = embed(texts)
    aligned, _ = align_languages(raw, langs)
    for name, vectors in (("raw", raw), ("aligned", aligned)):
        for threshold in (0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
            grouping = group_stories(vectors, times, threshold=threshold)
            pred = grouping.labels
            precision, recall, f1 = bcubed(truth, pred)
            joined = np.mean(
                [bool(((pred == pred[i]) & (truth == truth[i]) & ~french).any()) for i in np.flatnonzero(french)]
            )
            print(
                f"{name:8s} {threshold:5.2f} {len(grouping.stories):8d} {precision:6.3f} {recall:6.3f} {f1:6.3f} "
                f"{adjusted_rand_score(truth, pred):6.3f} {joined:9.2f}"
            )


def timing(aligned_sets: dict[str, np.ndarray]) -> None:
    print("\n## Timing (5,000 stories of agnews, aligned vectors; best of 3)")
    vectors = aligned_sets["agnews"][:5000]
    langs = ["en"] * len(vectors)
    best = {"align_languages": np.inf, "cluster_themes": np.inf}
    for _ in range(3):
        start = time.perf_counter()
        aligned, _ = align_languages(vectors, langs)
        middle = time.perf_counter()
        with one_blas_thread():
            result = cluster_themes(aligned)
        end = time.perf_counter()
        best["align_languages"] = min(best["align_languages"], middle - start)
        best["cluster_themes"] = min(best["cluster_themes"], end - middle)
    for name, seconds in best.items():
        print(f"{name:18s} {seconds:6.2f} s")
    print(f"themes: {result.count}, unclustered: {int((result.labels < 0).sum())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-bertopic", action="store_true", help="skip the slow BERTopic anchor")
    parser.add_argument("--limit", type=int, default=None, help="at most N texts per theme set (smoke runs)")
    args = parser.parse_args()
    global LIMIT
    LIMIT = args.limit
    aligned_sets = themes(args.skip_bertopic)
    remedies()
    stories()
    timing(aligned_sets)


if __name__ == "__main__":
    main()
