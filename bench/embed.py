"""Embedding backends: PyTorch (sentence-transformers) against ONNX Runtime, float32 and int8, in one run.

    python bench/embed.py [--texts 2000] [--rounds 3] [--threads N]

Speed: the same real texts (AG News, SIB-200 FR + EN, the demo corpus), the same batch size, each
backend encoding them once per round; the order of the backends alternates from round to round (a load
change on a shared machine hits every side), and the median of the rounds is reported as items/s and as
a ratio to PyTorch.

Quality, on the same texts for every backend (vectors are what changes):
  themes   NMI / ARI of veille's theme clustering on AG News (``--texts`` items) and SIB-200 FR + EN
  stories  B-cubed F1 / ARI / NMI of story grouping on tests/data/stories_dev.jsonl + Google News lists
  formats  macro-F1 per language of the format tagger on tests/data/formats_heldout2.jsonl (the tagger
           fitted on each backend's own vectors of the taxonomy)
Targets (issue 13): ONNX >= 2x the PyTorch rate on two cores; NMI within 0.005, macro-F1 within 0.01.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veille.adapters.embed import DEFAULT_MODEL, make_embedder  # noqa: E402
from veille.adapters.tagger import taxonomy_vectors  # noqa: E402
from veille.adapters.taxonomy import load_taxonomy  # noqa: E402
from veille.core.clustering import align_languages, cluster_themes, group_stories  # noqa: E402
from veille.core.formats import ClassifierParams, FormatClassifier, macro_f1  # noqa: E402
from veille.demo.corpus import load_corpus  # noqa: E402
from veille.jobs.process import embedding_text  # noqa: E402

SHARED = ROOT.parent / "shared"
BACKENDS = ("torch", "onnx", "onnx-int8")


def spread(rows: list, limit: int) -> list:
    step = max(len(rows) / limit, 1.0)
    return [rows[int(i * step)] for i in range(min(limit, len(rows)))]


def agnews(limit: int) -> tuple[list[str], list[str]]:
    path = SHARED / "eval" / "agnews-8000" / "agnews_8000.tsv"
    pairs = spread([line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines() if line], limit)
    return [p[1] for p in pairs], [p[0] for p in pairs]


def sib(limit: int) -> tuple[list[str], list[str], list[str]]:
    rows = {}
    for lang in ("eng", "fra"):
        with (SHARED / "eval" / "sib200-train" / f"{lang}_Latn.train.tsv").open(encoding="utf-8") as handle:
            rows[lang] = spread(list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)), limit)
    texts = [r["text"] for r in rows["eng"]] + [r["text"] for r in rows["fra"]]
    return texts, [r["category"] for r in rows["eng"]] * 2, ["en"] * len(rows["eng"]) + ["fr"] * len(rows["fra"])


def stories() -> tuple[list[str], list[str], list, list[str]]:
    sys.path.insert(0, str(ROOT / "bench"))
    from cluster import load_story_dev  # the story set of bench/cluster.py

    return load_story_dev()


def bcubed_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    precision = recall = 0.0
    for i in range(len(truth)):
        both = float(((pred == pred[i]) & (truth == truth[i])).sum())
        precision += both / (pred == pred[i]).sum()
        recall += both / (truth == truth[i]).sum()
    precision, recall = precision / len(truth), recall / len(truth)
    return 2 * precision * recall / (precision + recall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000, help="texts encoded per round (and AG News items)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    corpus = [embedding_text(i.title, i.summary) for i in load_corpus().items]
    ag_texts, ag_labels = agnews(args.texts)
    sib_texts, sib_labels, sib_langs = sib(max(args.texts // 4, 20))
    speed_texts = spread(ag_texts + sib_texts + corpus, args.texts)
    story_texts, story_labels, story_times, story_langs = stories()
    heldout = [json.loads(line) for line in (ROOT / "tests/data/formats_heldout2.jsonl").read_text().splitlines()]
    heldout = spread(heldout, args.texts)
    taxonomy = load_taxonomy()

    with tempfile.TemporaryDirectory() as cache:
        embedders = {b: make_embedder(DEFAULT_MODEL, backend=b, cache_dir=Path(cache)) for b in BACKENDS}
        began = time.perf_counter()
        for embedder in embedders.values():
            embedder.embed(["warm up: load, export once, quantise once"])
        setup = time.perf_counter() - began

        seconds: dict[str, list[float]] = {b: [] for b in BACKENDS}
        for round_ in range(args.rounds):
            order = BACKENDS if round_ % 2 == 0 else tuple(reversed(BACKENDS))
            for backend in order:
                began = time.perf_counter()
                embedders[backend].embed(speed_texts)
                seconds[backend].append(time.perf_counter() - began)

        quality: dict[str, dict[str, float]] = {}
        for backend, embedder in embedders.items():
            row: dict[str, float] = {}
            vectors, _ = align_languages(embedder.embed(ag_texts), ["en"] * len(ag_texts))
            row["agnews NMI"] = normalized_mutual_info_score(ag_labels, cluster_themes(vectors).labels)
            vectors, _ = align_languages(embedder.embed(sib_texts), sib_langs)
            labels = cluster_themes(vectors).labels
            row["sib200 NMI"] = normalized_mutual_info_score(sib_labels, labels)
            vectors, _ = align_languages(embedder.embed(story_texts), story_langs)
            pred = group_stories(vectors, story_times).labels
            truth = np.array(story_labels)
            row["stories NMI"] = normalized_mutual_info_score(truth, pred)
            row["stories ARI"] = adjusted_rand_score(truth, pred)
            row["stories B3 F1"] = bcubed_f1(truth, pred)
            tagger = FormatClassifier.fit(
                taxonomy, taxonomy_vectors(embedder, [t.text for t in taxonomy.texts()]), ClassifierParams()
            )
            tags = tagger.classify(
                [r["text"] for r in heldout], embedder.embed([r["text"] for r in heldout]), [r["lang"] for r in heldout]
            )
            for lang in ("fr", "en"):
                idx = [i for i, r in enumerate(heldout) if r["lang"] == lang]
                row[f"formats {lang.upper()} F1"] = macro_f1(
                    [heldout[i]["formats"] for i in idx], [[t.format for t in tags[i]] for i in idx], taxonomy.keys
                )[0]
            quality[backend] = row

    base = statistics.median(seconds["torch"])
    print(f"embedding backends: {len(speed_texts)} real texts per round, {args.rounds} rounds, alternating order")
    print(f"(load + first-use export/quantisation of the three: {setup:.1f} s)\n")
    print(f"| {'backend':10} | {'median s':>8} | {'items/s':>8} | {'rate / torch':>12} |")
    print(f"|{'-' * 12}|{'-' * 10}|{'-' * 10}|{'-' * 14}|")
    for backend in BACKENDS:
        median = statistics.median(seconds[backend])
        print(f"| {backend:10} | {median:8.2f} | {len(speed_texts) / median:8.0f} | {base / median:12.2f} |")
    names = list(quality["torch"])
    print(f"\n| {'quality':16} | " + " | ".join(f"{b:>9}" for b in BACKENDS) + " | int8 − torch |")
    print(f"|{'-' * 18}|" + "|".join("-" * 11 for _ in BACKENDS) + f"|{'-' * 14}|")
    for name in names:
        cells = " | ".join(f"{quality[b][name]:9.3f}" for b in BACKENDS)
        print(f"| {name:16} | {cells} | {quality['onnx-int8'][name] - quality['torch'][name]:+12.3f} |")
    print("\ntargets: rate / torch >= 2.0 for the default backend; NMI within 0.005, formats F1 within 0.01")


if __name__ == "__main__":
    main()
