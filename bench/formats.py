"""Learning-format tagging quality, per language, on a labelled set: veille's tagger against a naive anchor.

    python bench/formats.py [--set heldout2|heldout|test|dev|demo|real|real-cal|summary] [--cache DIR] [--json]

Sets:
  heldout2 tests/data/formats_heldout2.jsonl (372 items), written from the labelling guidelines before the
           training corpus and the current knobs existed, by an author who saw neither, and scored once,
           at the end: the honest figure
  heldout  tests/data/formats_heldout.jsonl, the first held-out set: scored once in the first round, then
           used for tuning in the second (no longer held out)
  test     the test half of tests/data/formats_labelled.jsonl (looked at during earlier work)
  dev      the dev half (the taxonomy's examples and the knobs were tuned on it)
  demo     the demo corpus veille/data/demo/items-*.yaml (labels by another author; also used for tuning)
  real     the held-out part of tests/data/formats_real.jsonl: real edtech blog posts and news entries
           (title + first sentence), French and English, split by source (tests/data/formats_real.md);
           no tuning looks at it
  real-cal the calibration part of the same file (other sources): what tuning on real items may use
  summary  macro-F1 per language of veille and the anchor on all five sets, one table

Compares, on the same embeddings in one run:
  veille  the tagger (``core.formats.FormatClassifier``: per-language centred prototypes from the
          taxonomy's examples + lexical evidence, calibrated softmax threshold)
  naive   the anchor: one description per format (the item's language), best cosine above a threshold;
          its threshold is chosen on the dev half, like veille's parameters.
  tfidf   a second anchor on the real sets: TF-IDF of words and word pairs + one-vs-rest logistic
          regression (scikit-learn), fitted on the same texts veille learns from (descriptions, examples,
          corpus); a format is kept when its probability reaches a threshold chosen on the dev half,
          else the most probable one.
On the real sets it also prints what the relevance gate (``core.formats.RelevanceGate``, which runs before
tagging in ``veille process``) does to these items, all about learning: the share it lets through, and
veille's macro-F1 with it (an item it stops has no format, scored as ``other``).
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
from veille.adapters.tagger import taxonomy_vectors  # noqa: E402
from veille.adapters.taxonomy import load_relevance, load_taxonomy  # noqa: E402
from veille.adapters.threads import one_blas_thread  # noqa: E402
from veille.core.formats import (  # noqa: E402
    OTHER,
    ClassifierParams,
    FormatClassifier,
    RelevanceRules,
    Taxonomy,
    feed_medians,
    item_feed_relevance,
    macro_f1,
)

LABELLED = ROOT / "tests" / "data" / "formats_labelled.jsonl"
HELDOUT = ROOT / "tests" / "data" / "formats_heldout.jsonl"
HELDOUT2 = ROOT / "tests" / "data" / "formats_heldout2.jsonl"
REAL = ROOT / "tests" / "data" / "formats_real.jsonl"
DEMO = ROOT / "veille" / "data" / "demo"
SETS = ("heldout2", "heldout", "test", "dev", "demo")
REAL_SETS = {"real": "heldout", "real-cal": "calibration"}
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


def load_set(name: str) -> list[dict]:
    """One labelled set as rows ``{"text", "lang", "formats", "embed"}``: ``text`` is what the tagger reads
    (title. summary), ``embed`` what the embedder reads (``veille.jobs.process.embedding_text``)."""
    from veille.jobs.process import embedding_text

    if name in ("test", "dev"):
        return [{**r, "embed": r["text"]} for r in load_labelled() if r["split"] == name]
    if name in REAL_SETS:
        rows = [json.loads(line) for line in REAL.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [{**r, "embed": r["text"]} for r in rows if r["split"] == REAL_SETS[name]]
    if name in ("heldout", "heldout2"):
        path = HELDOUT if name == "heldout" else HELDOUT2
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [{**r, "embed": r["text"]} for r in rows]
    import yaml

    out = []
    for path in sorted(DEMO.glob("items-*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            summary = " ".join(html.unescape(_TAG.sub(" ", item.get("summary") or "")).split())
            out.append(
                {
                    "text": f"{item['title']}. {summary}",
                    "embed": embedding_text(item["title"], summary),
                    "lang": item["lang"],
                    "formats": item["formats"],
                }
            )
    return out


def feed_relevance(tagger: FormatClassifier, rows: list[dict], vectors: np.ndarray) -> list[float | None]:
    """Per row, its feed's median gate score over the feed's first ``FEED_ITEMS`` rows, as ``veille
    process`` judges a feed by its latest items (None for rows without a feed)."""
    scores = tagger.relevance([r["text"] for r in rows], vectors, [r["lang"] for r in rows])
    by_feed: dict[str, list[float]] = {}
    if scores is not None:
        for row, score in zip(rows, scores, strict=True):
            if (feed := row.get("feed") or row.get("source")) and len(
                by_feed.setdefault(feed, [])
            ) < RelevanceRules.FEED_ITEMS:
                by_feed[feed].append(float(score))
    keys = {feed: n for n, feed in enumerate(by_feed)}
    medians = feed_medians({keys[feed]: values for feed, values in by_feed.items()})
    return item_feed_relevance(
        [[keys[f]] if (f := r.get("feed") or r.get("source")) in keys else [] for r in rows], medians
    )


def tag(tagger: FormatClassifier, rows: list[dict], vectors: np.ndarray) -> list[list[str]]:
    """The formats ``tagger`` gives ``rows``, each judged with its feed as ``veille process`` does."""
    feeds = feed_relevance(tagger, rows, vectors) if tagger.gate is not None else None
    return [
        [t.format for t in item]
        for item in tagger.classify([r["text"] for r in rows], vectors, [r["lang"] for r in rows], feed_relevance=feeds)
    ]


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


def tfidf_anchor(taxonomy: Taxonomy):
    """The TF-IDF + logistic-regression anchor fitted on the texts veille learns from: a function from
    texts to (items x formats) probabilities, and the format keys in column order."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MultiLabelBinarizer

    labels_of: dict[str, set[str]] = {}
    for t in taxonomy.texts():
        labels_of.setdefault(t.text, set()).add(t.format)
    texts = list(labels_of)
    binarizer = MultiLabelBinarizer(classes=list(taxonomy.keys))
    y = binarizer.fit_transform([sorted(labels_of[t]) for t in texts])
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode", min_df=1),
        OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced")),
    )
    model.fit(texts, y)
    return model.predict_proba, list(binarizer.classes_)


def tfidf_predict(proba: np.ndarray, keys: list[str], threshold: float) -> list[list[str]]:
    out = []
    for row in proba:
        kept = [keys[j] for j in np.argsort(-row) if row[j] >= threshold]
        kept = [k for k in kept if k != OTHER] or kept  # `other` only when no format is kept
        out.append(kept or [keys[int(np.argmax(row))]])
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
    parser.add_argument("--set", dest="which", default="heldout2", choices=[*SETS, *REAL_SETS, "summary"])
    parser.add_argument("--cache", type=Path, default=None, help="directory to cache embeddings in")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    taxonomy = load_taxonomy()
    if not SHARED_FEEDS.exists():
        print(f"note: {SHARED_FEEDS} absent, real-feed items left out", file=sys.stderr)
    # the dev half is always needed (the naive anchor's threshold is chosen on it)
    sets = {
        name: load_set(name)
        for name in (*SETS, *REAL_SETS)
        if (args.which == "summary" and name in SETS) or name in ("dev", args.which)
    }
    tax_texts = [t.text for t in taxonomy.texts()]
    t0 = time.perf_counter()
    # the default model's vectors of the shipped taxonomy ship with veille (a test checks they are current)
    tax_vectors = taxonomy_vectors(SentenceTransformerEmbedder(args.model), tax_texts)
    vectors = {name: embed_cached([r["embed"] for r in rows], args.cache, args.model) for name, rows in sets.items()}
    embed_s = time.perf_counter() - t0
    labels = list(taxonomy.keys)

    t0 = time.perf_counter()
    with one_blas_thread():
        classifier = FormatClassifier.fit(taxonomy, tax_vectors, ClassifierParams())
    fit_s = time.perf_counter() - t0

    # The naive anchor: description vectors per language, threshold tuned on the dev half.
    texts = taxonomy.texts()
    description_vectors = {
        lang: tax_vectors[
            [i for i, t in enumerate(texts) if t.kind == "description" and t.lang == lang and t.format != OTHER]
        ]
        for lang in ("fr", "en")
    }
    dev = sets["dev"]
    best_t, best_f = 0.0, -1.0
    for threshold in np.arange(0.0, 0.7, 0.01):
        pred = naive_predict(taxonomy, description_vectors, vectors["dev"], [r["lang"] for r in dev], threshold)
        score = np.mean([v["macro_f1"] for v in evaluate(dev, pred, labels).values()])
        if score > best_f:
            best_t, best_f = float(threshold), float(score)

    # The relevance gate and the TF-IDF anchor (real sets only); the anchor's threshold is chosen on the
    # dev half, like the naive anchor's.
    gated = None
    if args.which in REAL_SETS:
        rules = load_relevance()
        embedder = SentenceTransformerEmbedder(args.model)
        rel_vectors = taxonomy_vectors(embedder, [text for _, _, text in rules.texts()])
        with one_blas_thread():
            gated = FormatClassifier.fit(
                taxonomy, tax_vectors, ClassifierParams(), relevance=rules, relevance_vectors=rel_vectors
            )
    tfidf = None
    if args.which in REAL_SETS:
        proba_of, tfidf_keys = tfidf_anchor(taxonomy)
        dev_proba = proba_of([r["text"] for r in dev])
        tfidf_t, tfidf_f = 0.5, -1.0
        for threshold in np.arange(0.1, 0.95, 0.05):
            pred = tfidf_predict(dev_proba, tfidf_keys, float(threshold))
            score = np.mean([v["macro_f1"] for v in evaluate(dev, pred, labels).values()])
            if score > tfidf_f:
                tfidf_t, tfidf_f = float(threshold), float(score)
        tfidf = (proba_of, tfidf_keys, tfidf_t)

    results: dict[str, dict] = {}
    speed = 0
    for name, rows in sets.items():
        langs = [r["lang"] for r in rows]
        t0 = time.perf_counter()
        tags = classifier.classify([r["text"] for r in rows], vectors[name], langs)
        speed = max(speed, round(len(rows) / (time.perf_counter() - t0)))
        veille_pred = [[t.format for t in item] for item in tags]
        naive_pred = naive_predict(taxonomy, description_vectors, vectors[name], langs, best_t)
        results[name] = {
            "items": len(rows),
            "veille": evaluate(rows, veille_pred, labels),
            "naive": evaluate(rows, naive_pred, labels),
        }
        if gated is not None and name == args.which:
            kept = tag(gated, rows, vectors[name])
            results[name]["gate_kept"] = sum(bool(k) for k in kept) / len(rows)
            results[name]["veille_gated"] = evaluate(rows, [k or [OTHER] for k in kept], labels)
        if tfidf is not None and name == args.which:
            proba_of, tfidf_keys, tfidf_t = tfidf
            tfidf_pred = tfidf_predict(proba_of([r["text"] for r in rows]), tfidf_keys, tfidf_t)
            results[name]["tfidf"] = evaluate(rows, tfidf_pred, labels)
    report = {
        "sets": results,
        "naive_threshold": round(best_t, 2),
        **({"tfidf_threshold": round(tfidf[2], 2)} if tfidf is not None else {}),
        "embed_seconds": round(embed_s, 2),
        "fit_seconds": round(fit_s, 3),
        "classify_items_per_second": speed,
    }
    if args.json:
        print(json.dumps(report if args.which == "summary" else {**report, "sets": {args.which: results[args.which]}}))
        return 0
    print(f"Learning-format tagging, macro-F1 per language, model {args.model}")
    print(f"{'set':10}{'items':>6}{'veille FR':>11}{'veille EN':>11}{'FR - EN':>9}{'naive FR':>10}{'naive EN':>10}")
    for name in sets if args.which == "summary" else (args.which,):
        v, n = results[name]["veille"], results[name]["naive"]
        print(
            f"{name:10}{results[name]['items']:>6}{v['fr']['macro_f1']:>11.3f}{v['en']['macro_f1']:>11.3f}"
            f"{v['fr']['macro_f1'] - v['en']['macro_f1']:>+9.3f}"
            f"{n['fr']['macro_f1']:>10.3f}{n['en']['macro_f1']:>10.3f}"
        )
    print(
        f"\nnaive threshold (dev): {best_t:.2f}; fit {fit_s:.2f}s; tagging speed "
        f"{report['classify_items_per_second']} items/s (vectors given)"
    )
    if args.which == "summary":
        return 0
    if "gate_kept" in results[args.which]:
        g = results[args.which]
        print(
            f"relevance gate first (as veille process runs): {g['gate_kept']:.1%} of these items get a format; "
            f"veille FR {g['veille_gated']['fr']['macro_f1']:.3f}, EN {g['veille_gated']['en']['macro_f1']:.3f}"
        )
    if "tfidf" in results[args.which]:
        t = results[args.which]["tfidf"]
        print(
            f"TF-IDF + logistic regression anchor (threshold {tfidf[2]:.2f}, dev): "
            f"FR {t['fr']['macro_f1']:.3f}, EN {t['en']['macro_f1']:.3f}"
        )
    v = results[args.which]["veille"]
    tf = results[args.which].get("tfidf")
    print(
        f"\n{'format (veille P/R/F1)':22}{'FR P':>7}{'FR R':>7}{'FR F1':>7}{'EN P':>7}{'EN R':>7}{'EN F1':>7}"
        f"{'n FR':>6}{'n EN':>6}" + (f"{'tfidf FR':>10}{'tfidf EN':>10}" if tf else "")
    )
    for label in labels:
        cells = []
        for lang in ("fr", "en"):
            m = v[lang]["per_format"].get(label)
            cells += [f"{m[k]:>7.2f}" for k in ("precision", "recall", "f1")] if m else ["      -"] * 3
        sup = [int(v[lang]["per_format"].get(label, {}).get("support", 0)) for lang in ("fr", "en")]
        extra = ""
        if tf:
            extra = "".join(
                f"{tf[lang]['per_format'][label]['f1']:>10.2f}" if label in tf[lang]["per_format"] else f"{'-':>10}"
                for lang in ("fr", "en")
            )
        print(f"{label:22}{''.join(cells)}{sup[0]:>6}{sup[1]:>6}{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
