"""The relevance gate: do items that are not about learning stay out of the learning formats?

    python bench/relevance.py [--limit N] [--cache DIR] [--calibrate] [--json]

Before tagging formats, veille asks whether an item is about learning, training or education at all
(``core.formats.RelevanceGate``, rules in ``veille/data/relevance.yaml``). This script measures, with and
without the gate, on the same embeddings in one run:

  off-topic given a format   share of items that are not about learning which get a learning format
                             (anything but ``other``; the gate's off-topic items get no format at all),
                             and which get any format, ``other`` included (what the digest shows as
                             learning news: "other formats"):
    real feeds   the entries of ../shared/feeds/real, labelled about learning / not / unsure in
                 tests/data/relevance_real.jsonl (unsure ones are left out), split by feed file into a
                 calibration half and a held-out half
    AG News      ../shared/eval/agnews-8000 (world, sports, business, sci/tech news: none about learning),
                 even rows calibration, odd rows held out
  learning kept              share of items labelled with a learning format that the gate lets through
    calibration  tests/data/formats_labelled.jsonl (dev and test), tests/data/formats_heldout.jsonl and
                 the demo corpus, plus the real feed entries about learning of the calibration half
    held-out     tests/data/formats_heldout2.jsonl, plus those of the held-out half
  macro-F1                   of the format tagger per language on every labelled set, with and without
                             the gate (the gate must not cost formats)

An item the tagger finds no format for (``other``) also needs its feed to be about learning: the median
gate score of the feed's latest items (``RelevanceRules.feed_threshold``). Here a real entry's feed is
its feed file, a real edtech post's its source, and AG News comes as feeds of 50 rows in file order (a
general news feed); the written sets have no feed, so only the item is judged.

The gate's knobs were chosen on the calibration rows only (``--calibrate`` prints the grid's best);
the held-out rows were scored after that.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.formats import SETS, embed_cached, feed_relevance, load_set, tag  # noqa: E402
from veille.adapters.embed import SentenceTransformerEmbedder  # noqa: E402
from veille.adapters.langid import classify  # noqa: E402
from veille.adapters.parse import parse_feed  # noqa: E402
from veille.adapters.tagger import taxonomy_vectors  # noqa: E402
from veille.adapters.taxonomy import load_relevance, load_taxonomy  # noqa: E402
from veille.adapters.threads import one_blas_thread  # noqa: E402
from veille.core.formats import OTHER, FormatClassifier, RelevanceRules, macro_f1  # noqa: E402
from veille.core.normalize import normalize_item  # noqa: E402
from veille.jobs.process import embedding_text  # noqa: E402

SHARED = ROOT.parent / "shared"
REAL_LABELS = ROOT / "tests" / "data" / "relevance_real.jsonl"
AGNEWS = SHARED / "eval" / "agnews-8000" / "agnews_8000.tsv"
CALIBRATION_SETS = ("dev", "test", "heldout", "demo")
HELDOUT_SETS = ("heldout2",)


def load_real(limit: int | None) -> list[dict]:
    """The labelled real feed entries as rows ``{"text", "embed", "lang", "about", "split"}``, parsed and
    normalised as ``veille fetch`` does."""
    labels = [json.loads(line) for line in REAL_LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    entries: dict[str, dict[int, tuple[str, str, str | None]]] = {}
    for name in sorted({row["file"] for row in labels}):
        path = SHARED / "feeds" / name
        url = f"https://feeds.example/{path.name}"
        feed = parse_feed(path.read_bytes(), url, {})
        items = {}
        for index, parsed in enumerate(feed.items):
            item = normalize_item(parsed, feed_url=url, feed_lang=feed.lang, now=now, classify=classify)
            if item is not None:
                items[index] = (item.title, item.summary, item.lang)
        entries[name] = items
    rows = []
    for label in labels:
        title, summary, lang = entries[label["file"]][label["entry"]]
        rows.append(
            {
                "text": f"{title}. {summary}",
                "embed": embedding_text(title, summary),
                "lang": lang,
                "about": label["about_learning"],
                "split": label["split"],
                "feed": label["file"],
            }
        )
    return _thin(rows, limit)


def load_agnews(limit: int | None) -> list[dict]:
    rows = []
    for index, line in enumerate(AGNEWS.read_text(encoding="utf-8").splitlines()):
        _, text = line.split("\t", 1)
        split = "calibration" if index % 2 == 0 else "heldout"
        rows.append(
            {
                "text": text,
                "embed": text,
                "lang": "en",
                "about": False,
                "split": split,
                "feed": f"agnews-{split}-{index // 100}",
            }
        )
    return _thin(rows, limit)


def _thin(rows: list[dict], limit: int | None) -> list[dict]:
    """At most ``limit`` rows per split, spread over the whole list (smoke runs)."""
    if limit is None:
        return rows
    out = []
    for split in ("calibration", "heldout"):
        part = [r for r in rows if r["split"] == split]
        step = max(1, len(part) // limit)
        out += part[::step][:limit]
    return out


def formats_of(tags: list[list]) -> list[list[str]]:
    return [[t.format for t in item] for item in tags]


def given_a_format(predicted: Sequence[Sequence[str]]) -> float:
    """Share of items with a learning format (not ``other``, not nothing)."""
    return float(np.mean([any(f != OTHER for f in p) for p in predicted])) if predicted else 0.0


def shown(predicted: Sequence[Sequence[str]]) -> float:
    """Share of items with any format, ``other`` included: what the digest shows as learning news."""
    return float(np.mean([bool(p) for p in predicted])) if predicted else 0.0


def measure(
    gated: FormatClassifier, plain: FormatClassifier, data: dict[str, list[dict]], vectors: dict[str, np.ndarray]
) -> dict:
    """Every figure of the report for one gate (``gated``) against no gate (``plain``)."""
    out: dict = {"off_topic": {}, "kept": {}, "macro_f1": {}}
    predictions: dict[str, tuple[list[list[str]], list[list[str]]]] = {}
    for name, rows in data.items():
        predictions[name] = (tag(plain, rows, vectors[name]), tag(gated, rows, vectors[name]))
    for source in ("real", "agnews"):
        for split in ("calibration", "heldout"):
            idx = [i for i, r in enumerate(data[source]) if r["split"] == split and r["about"] is False]
            before, after = predictions[source]
            out["off_topic"][f"{source}/{split}"] = {
                "items": len(idx),
                "before": given_a_format([before[i] for i in idx]),
                "after": given_a_format([after[i] for i in idx]),
                "after_any": shown([after[i] for i in idx]),
            }
    for split, names in (("calibration", CALIBRATION_SETS), ("heldout", HELDOUT_SETS)):
        kept = total = 0
        for name in (*names, "real"):
            rows = data.get(name, [])
            after = predictions[name][1] if name in predictions else []
            for row, pred in zip(rows, after, strict=True):
                learning = row["about"] is True if name == "real" else any(f != OTHER for f in row["formats"])
                if learning and (name != "real" or row["split"] == split):
                    total += 1
                    kept += bool(pred)
        out["kept"][split] = {"items": total, "kept": kept / total if total else 1.0}
    labels = list(plain.taxonomy.keys)
    for name in (*HELDOUT_SETS, *CALIBRATION_SETS):
        if name not in data:
            continue
        rows = data[name]
        before, after = predictions[name]
        figures = {}
        for lang in ("fr", "en"):
            idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
            truth = [rows[i]["formats"] for i in idx]
            # an off-topic item gets no format; scored as ``other`` (what the labels call "no format")
            figures[lang] = {
                "before": macro_f1(truth, [before[i] for i in idx], labels)[0],
                "after": macro_f1(truth, [after[i] or [OTHER] for i in idx], labels)[0],
            }
        out["macro_f1"][name] = figures
    return out


def sweep(
    gated: FormatClassifier,
    data: dict[str, list[dict]],
    vectors: dict[str, np.ndarray],
    learning: list[dict],
    learning_vectors: np.ndarray,
    knob: str,
    values: Sequence[float],
) -> list[tuple[float, float, float]]:
    """For each value of the gate's ``knob`` (``other_threshold`` or ``feed_threshold``): the share of real
    learning items (``learning``) left with no format, and the share of off-topic items shown with a
    format (``other`` included; real feeds and AG News averaged), on the calibration rows: the value with
    the smallest sum is the one to ship."""
    assert gated.gate is not None
    out = []
    for value in values:
        tagger = replace(gated, gate=replace(gated.gate, rules=replace(gated.gate.rules, **{knob: value})))
        kept = tag(tagger, learning, learning_vectors)
        off_topic = []
        for source in ("real", "agnews"):
            rows = data[source]
            tags = tag(tagger, rows, vectors[source])
            idx = [i for i, r in enumerate(rows) if r["split"] == "calibration" and r["about"] is False]
            off_topic.append(shown([tags[i] for i in idx]))
        out.append((value, 1.0 - shown(kept), float(np.mean(off_topic))))
    return out


def calibrate(
    gated: FormatClassifier, plain: FormatClassifier, data: dict[str, list[dict]], vectors: dict[str, np.ndarray]
) -> list[tuple[float, float, RelevanceRules]]:
    """Grid over the knobs, scored on the calibration rows only: the fewest off-topic items given a format
    (real feeds and AG News averaged) among the settings that keep at least 99 % of the learning items."""
    assert gated.gate is not None
    base = gated.gate.rules
    calibration = {
        name: [r for r in rows if r.get("split", "calibration") == "calibration"]
        for name, rows in data.items()
        if name not in HELDOUT_SETS
    }
    cal_vectors = {
        name: vectors[name][[i for i, r in enumerate(data[name]) if r.get("split", "calibration") == "calibration"]]
        for name in calibration
    }
    results = []
    for neighbours in (1, 3, 5, 10):
        for term_weight in (0.0, 0.03, 0.06, 0.1):
            rules = replace(base, neighbours=neighbours, term_weight=term_weight, threshold=-1.0)
            gate = replace(gated.gate, rules=rules)
            scores = {
                name: replace(gated, gate=gate).relevance(
                    [r["text"] for r in rows], cal_vectors[name], [r["lang"] for r in rows]
                )
                for name, rows in calibration.items()
            }
            learning = np.concatenate(
                [
                    scores[name][[any(f != OTHER for f in r["formats"]) for r in rows]]
                    for name, rows in calibration.items()
                    if name in CALIBRATION_SETS
                ]
                + [scores["real"][[r["about"] is True for r in calibration["real"]]]]
            )
            threshold = float(np.quantile(learning, 0.01))  # keep 99 % of the learning items
            formatted = {
                name: [
                    any(f != OTHER for f in p)
                    for p in formats_of(
                        plain.classify(
                            [r["text"] for r in calibration[name]],
                            cal_vectors[name],
                            [r["lang"] for r in calibration[name]],
                        )
                    )
                ]
                for name in ("real", "agnews")
            }
            rates = []
            for name in ("real", "agnews"):
                off = [i for i, r in enumerate(calibration[name]) if r["about"] is False]
                rates.append(np.mean([formatted[name][i] and scores[name][i] >= threshold for i in off]))
            results.append((float(np.mean(rates)), threshold, replace(rules, threshold=round(threshold, 3))))
    return sorted(results, key=lambda r: r[0])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="at most N items per split of each source")
    parser.add_argument("--cache", type=Path, default=None, help="directory to cache embeddings in")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--calibrate", action="store_true", help="print the knobs' grid on the calibration rows")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    taxonomy = load_taxonomy()
    rules = load_relevance()
    data: dict[str, list[dict]] = {"real": load_real(args.limit), "agnews": load_agnews(args.limit)}
    for name in SETS:
        rows = load_set(name)
        data[name] = rows[:: max(1, len(rows) // args.limit)][: args.limit] if args.limit else rows
    embedder = SentenceTransformerEmbedder(args.model)
    tax_vectors = taxonomy_vectors(embedder, [t.text for t in taxonomy.texts()])
    rel_vectors = taxonomy_vectors(embedder, [text for _, _, text in rules.texts()])
    vectors = {name: embed_cached([r["embed"] for r in rows], args.cache, args.model) for name, rows in data.items()}
    with one_blas_thread():
        gated = FormatClassifier.fit(taxonomy, tax_vectors, relevance=rules, relevance_vectors=rel_vectors)
    plain = replace(gated, gate=None)

    if args.calibrate:
        for rate, _, tried in calibrate(gated, plain, data, vectors)[:8]:
            print(
                f"off-topic given a format {rate:.4f}  neighbours {tried.neighbours:>2}  "
                f"term_weight {tried.term_weight:.2f}  threshold {tried.threshold:+.3f}"
            )
        real_cal = load_set("real-cal")  # real edtech posts, all about learning, many labelled `other`
        cal_vectors = embed_cached([r["embed"] for r in real_cal], args.cache, args.model)
        cal = [i for i, r in enumerate(data["real"]) if r["split"] == "calibration"]
        general = feed_relevance(gated, [data["real"][i] for i in cal], vectors["real"][cal])
        edtech = feed_relevance(gated, real_cal, cal_vectors)
        highest = max(m for m in general if m is not None)
        lowest = min(m for m in edtech if m is not None)
        print(
            f"\nfeed medians, calibration rows: real feeds at most {highest:.3f}, "
            f"real edtech sources at least {lowest:.3f}"
        )
        for knob, values in (
            ("other_threshold", (rules.threshold, 0.1, 0.13, 0.16, 0.2)),
            ("feed_threshold", (-1.0, 0.05, 0.1, 0.15, 0.18, 0.2, 0.25, 0.3)),
        ):
            print(f"\n{knob} (an item with no format but `other`), calibration rows only:")
            for value, missed, off_topic in sweep(gated, data, vectors, real_cal, cal_vectors, knob, values):
                print(
                    f"{knob} {value:+.3f}  off-topic shown (real, AG News) {off_topic:.4f}  "
                    f"real learning items dropped {missed:.4f}  sum {missed + off_topic:.4f}"
                )
        return 0

    report = measure(gated, plain, data, vectors)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"Relevance gate before format tagging, model {args.model}")
    print(
        f"knobs (veille/data/relevance.yaml): neighbours {rules.neighbours}, term_weight {rules.term_weight}, "
        f"threshold {rules.threshold}, other_threshold {rules.other_threshold}, feed_threshold {rules.feed_threshold}"
    )
    print("\nNot about learning, share given a learning format (lower is better); last column: any format,")
    print("`other` included (shown in the digest as learning news)")
    print(f"{'source / split':28}{'items':>7}{'no gate':>10}{'gate':>8}{'gate, any':>11}")
    for key, v in report["off_topic"].items():
        print(f"{key:28}{v['items']:>7}{v['before']:>10.3f}{v['after']:>8.3f}{v['after_any']:>11.3f}")
    print("\nAbout learning (labelled with a format), share the gate keeps (target >= 0.97)")
    for split, v in report["kept"].items():
        print(f"{split:28}{v['items']:>7}{v['kept']:>18.3f}")
    print("\nFormat tagging macro-F1, without -> with the gate")
    print(f"{'set':28}{'FR':>18}{'EN':>18}")
    for name, v in report["macro_f1"].items():
        role = "held-out" if name in HELDOUT_SETS else "calibration"
        cells = "".join(f"{v[lang]['before']:>10.3f} -> {v[lang]['after']:.3f}" for lang in ("fr", "en"))
        print(f"{name + ' (' + role + ')':28}{cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
