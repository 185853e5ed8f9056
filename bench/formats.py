"""Learning-format tagging quality, per language, on the held-out half of the labelled set.

    python bench/formats.py [--split test|dev|all] [--cache DIR] [--json]

Compares, on the same embeddings in one run:
  veille  the tagger (``core.formats.FormatClassifier``: per-language centred prototypes from the
          taxonomy's examples + lexical evidence, calibrated softmax threshold)
  naive   the anchor: one description per format (the item's language), best cosine above a threshold;
          its threshold is chosen on the dev half, like veille's parameters.
and prints macro-F1 per language, French minus English, and per-format precision / recall / F1.

The labelled set is ``tests/data/formats_labelled.jsonl``: written items ``{"text", "lang", "formats",
"split"}`` and pointers ``{"file", "entry", ...}`` to entries of real feeds under ../shared/feeds, read
here with feedparser (skipped with a note when ../shared is absent).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veille.adapters.embed import SentenceTransformerEmbedder  # noqa: E402
from veille.adapters.taxonomy import load_taxonomy  # noqa: E402
from veille.core.formats import (  # noqa: E402
    OTHER,
    ClassifierParams,
    FormatClassifier,
    Taxonomy,
    macro_f1,
)

LABELLED = ROOT / "tests" / "data" / "formats_labelled.jsonl"
SHARED_FEEDS = ROOT.parent / "shared" / "feeds"
_TAG = re.compile(r"<[^>]+>")


def load_labelled(path: Path = LABELLED, feeds_dir: Path = SHARED_FEEDS) -> list[dict]:
    """The labelled items with their text; pointers into real feeds are resolved (title + summary)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    parsed: dict[str, list] = {}
    out = []
    for row in rows:
        if "text" not in row:
            feed = feeds_dir / row["file"]
            if not feed.exists():
                continue
            if row["file"] not in parsed:
                import feedparser

                parsed[row["file"]] = feedparser.parse(feed.read_bytes()).entries
            entry = parsed[row["file"]][row["entry"]]
            summary = html.unescape(_TAG.sub(" ", entry.get("summary", "")))
            text = f"{entry.get('title', '')}. {' '.join(summary.split())[:500]}"
            row = {**row, "text": text}
        out.append(row)
    return out


def embed_cached(texts: Sequence[str], cache: Path | None, model: str) -> np.ndarray:
    """Embeddings of ``texts``, from ``cache`` when the same texts were embedded before."""
    key = hashlib.sha256(("\n".join(texts) + model).encode()).hexdigest()[:16]
    if cache is not None:
        path = cache / f"formats-{key}.npy"
        if path.exists():
            return np.load(path)
    vectors = SentenceTransformerEmbedder(model).embed(list(texts))
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cache / f"formats-{key}.npy", vectors)
    return vectors


def naive_predict(
    taxonomy: Taxonomy,
    description_vectors: dict[str, np.ndarray],
    vectors: np.ndarray,
    langs: list[str],
    threshold: float,
) -> list[list[str]]:
    """The anchor: cosine to one description per format (the item's language); best above threshold."""
    keys = [k for k in taxonomy.keys if k != OTHER]
    out = []
    for vector, lang in zip(vectors, langs, strict=True):
        sims = description_vectors[lang] @ vector
        best = int(np.argmax(sims))
        out.append([keys[best]] if sims[best] >= threshold else [OTHER])
    return out


def evaluate(rows: list[dict], predicted: list[list[str]], labels: Sequence[str]) -> dict[str, dict]:
    result = {}
    for lang in ("fr", "en"):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        macro, per = macro_f1([rows[i]["formats"] for i in idx], [predicted[i] for i in idx], labels)
        result[lang] = {"macro_f1": macro, "per_format": per, "items": len(idx)}
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="test", choices=["test", "dev", "all"])
    parser.add_argument("--cache", type=Path, default=None, help="directory to cache embeddings in")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    taxonomy = load_taxonomy()
    rows = load_labelled()
    if not SHARED_FEEDS.exists():
        print(f"note: {SHARED_FEEDS} absent, real-feed items left out", file=sys.stderr)
    tax_texts = [t.text for t in taxonomy.texts()]
    item_texts = [r["text"] for r in rows]
    t0 = time.perf_counter()
    vectors = embed_cached(tax_texts + item_texts, args.cache, args.model)
    embed_s = time.perf_counter() - t0
    tax_vectors, item_vectors = vectors[: len(tax_texts)], vectors[len(tax_texts) :]
    labels = list(taxonomy.keys)

    classifier = FormatClassifier.fit(taxonomy, tax_vectors, ClassifierParams())
    langs = [r["lang"] for r in rows]
    t0 = time.perf_counter()
    tags = classifier.classify(item_texts, item_vectors, langs)
    classify_s = time.perf_counter() - t0
    veille_pred = [[t.format for t in item] for item in tags]

    # The naive anchor: description vectors per language, threshold tuned on the dev half.
    desc_rows = {
        lang: [i for i, t in enumerate(taxonomy.texts()) if t.kind == "description" and t.lang == lang]
        for lang in ("fr", "en")
    }
    description_vectors = {
        lang: tax_vectors[[i for i in idx if taxonomy.texts()[i].format != OTHER]] for lang, idx in desc_rows.items()
    }
    dev = [i for i, r in enumerate(rows) if r["split"] == "dev"]
    best_t, best_f = 0.0, -1.0
    for threshold in np.arange(0.0, 0.7, 0.01):
        pred = naive_predict(taxonomy, description_vectors, item_vectors[dev], [langs[i] for i in dev], threshold)
        score = np.mean([v["macro_f1"] for v in evaluate([rows[i] for i in dev], pred, labels).values()])
        if score > best_f:
            best_t, best_f = float(threshold), float(score)
    naive_pred = naive_predict(taxonomy, description_vectors, item_vectors, langs, best_t)

    chosen = [i for i, r in enumerate(rows) if args.split == "all" or r["split"] == args.split]
    subset = [rows[i] for i in chosen]
    report = {
        "split": args.split,
        "veille": evaluate(subset, [veille_pred[i] for i in chosen], labels),
        "naive": evaluate(subset, [naive_pred[i] for i in chosen], labels),
        "naive_threshold": round(best_t, 2),
        "embed_seconds": round(embed_s, 2),
        "classify_items_per_second": round(len(rows) / classify_s),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"Learning-format tagging, {args.split} half ({len(subset)} items), model {args.model}")
    print(f"{'':22}{'veille FR':>10}{'veille EN':>10}{'naive FR':>10}{'naive EN':>10}")
    v, n = report["veille"], report["naive"]
    print(
        f"{'macro-F1':22}{v['fr']['macro_f1']:>10.3f}{v['en']['macro_f1']:>10.3f}"
        f"{n['fr']['macro_f1']:>10.3f}{n['en']['macro_f1']:>10.3f}"
    )
    print(
        f"{'FR - EN':22}{v['fr']['macro_f1'] - v['en']['macro_f1']:>+20.3f}"
        f"{n['fr']['macro_f1'] - n['en']['macro_f1']:>+20.3f}"
    )
    print(
        f"{'veille / naive':22}{v['fr']['macro_f1'] / max(n['fr']['macro_f1'], 1e-9):>10.2f}"
        f"{v['en']['macro_f1'] / max(n['en']['macro_f1'], 1e-9):>10.2f}"
    )
    print(f"\nnaive threshold (dev): {best_t:.2f}; tagging speed {report['classify_items_per_second']} items/s\n")
    print(
        f"{'format (veille P/R/F1)':22}{'FR P':>7}{'FR R':>7}{'FR F1':>7}{'EN P':>7}{'EN R':>7}{'EN F1':>7}"
        f"{'n FR':>6}{'n EN':>6}"
    )
    for label in labels:
        cells = []
        for lang in ("fr", "en"):
            m = v[lang]["per_format"].get(label)
            cells += [f"{m[k]:>7.2f}" for k in ("precision", "recall", "f1")] if m else ["      -"] * 3
        sup = [int(v[lang]["per_format"].get(label, {}).get("support", 0)) for lang in ("fr", "en")]
        print(f"{label:22}{''.join(cells)}{sup[0]:>6}{sup[1]:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
