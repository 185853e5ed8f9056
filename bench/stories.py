"""Story grouping quality on every story set with known stories, calibration and held-out kept apart.

Usage: python bench/stories.py [--limit N] [--sweep]

Sets (each item: text, language, publication time, true story):

* ``dev`` (calibration of the join thresholds): the related-article lists of
  ../shared/feeds/real/google_news_top.rss (one event per list, English) plus tests/data/stories_dev.jsonl
  (French versions of some of those events). Its items come out within hours, so it says nothing about
  time: the daily decay of the bar was chosen on ``demo-early``.
* ``demo-early`` (calibration of the daily decay) and ``demo-late`` (held out): weeks W39-W43 and
  W44-W48 of the demo corpus (veille/data/demo: French and English items whose ``story:`` keys say
  which items report the same event), embedded as ``veille process`` embeds items.
* ``sib200`` (held out, cross-lingual only): the 701 FR/EN translation pairs of
  ../shared/eval/sib200-train published at one moment, each pair one "story": how many pairs veille
  joins ("FR joined") and how many other sentences it merges with them (B-cubed precision).

Grouping runs as ``veille process`` runs it: a week of items per batch, against the stories still
active from the weeks before.

Per set: veille's ``group_stories`` with the shipped settings, and the anchor of issue 11 (plain
average-link at cosine distance 0.6 on the same aligned vectors, no time window): B-cubed P/R/F1, ARI,
NMI, number of stories against true stories, and the share of French items sharing a story with an
English item of their true story ("FR joined"). ``--sweep`` also prints the join threshold sweep. Then,
on every entry of the real feeds of ../shared/feeds/real (no labels), the stories of two items or more
and those holding two items of one feed, without and with the same-feed bar. Last,
the time to find the titles that read like translations in a busy bilingual week (5,000 new titles
against 10,000 stored ones).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veille.adapters.stopwords import stop_words  # noqa: E402
from veille.core import clustering  # noqa: E402
from veille.core.metrics import bcubed  # noqa: E402
from veille.core.normalize import html_to_text  # noqa: E402
from veille.core.weeks import iso_week  # noqa: E402
from veille.demo.corpus import load_corpus  # noqa: E402
from veille.jobs.process import embedding_text  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from cluster import embed, load_story_dev  # noqa: E402  (one embedding cache and story set for both)

SHARED = ROOT.parent / "shared"


@dataclass
class StorySet:
    name: str
    role: str  # "calibration" or "held out"
    titles: list[str]
    texts: list[str]  # what is embedded
    langs: list[str]
    times: list[datetime]
    labels: list[str]
    feeds: list[int] | None = None  # each item's source, when the set knows it (the demo corpus)


def load_dev(limit: int | None = None) -> StorySet:
    titles, labels, times, langs = load_story_dev()  # the story set of bench/cluster.py
    keep = _limit(len(titles), limit)
    titles = [titles[i] for i in keep]
    return StorySet(
        "dev",
        "calibration",
        titles,
        titles,
        [langs[i] for i in keep],
        [times[i] for i in keep],
        [labels[i] for i in keep],
    )


def load_demo(
    limit: int | None = None, weeks: tuple[str, str] = ("", "9999"), name: str = "demo", role: str = "held out"
) -> StorySet:
    items = [item for item in load_corpus().items if weeks[0] <= iso_week(item.published) <= weeks[1]]
    sources: dict[str, int] = {}
    keep = _limit(len(items), limit)
    items = [items[i] for i in keep]
    return StorySet(
        name,
        role,
        [item.title for item in items],
        [embedding_text(item.title, html_to_text(item.summary)) for item in items],
        [item.lang for item in items],
        [item.published for item in items],
        [item.story for item in items],
        [sources.setdefault(item.source, len(sources)) for item in items],
    )


def load_sib(limit: int | None = None) -> StorySet:
    rows = {}
    for lang in ("eng", "fra"):
        path = SHARED / "eval" / "sib200-train" / f"{lang}_Latn.train.tsv"
        with path.open(encoding="utf-8", newline="") as handle:
            rows[lang] = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    keep = _limit(len(rows["eng"]), limit)
    texts = [rows["eng"][i]["text"] for i in keep] + [rows["fra"][i]["text"] for i in keep]
    labels = [rows["eng"][i]["index_id"] for i in keep] * 2
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    return StorySet(
        "sib200", "held out", texts, texts, ["en"] * len(keep) + ["fr"] * len(keep), [moment] * len(texts), labels
    )


def _limit(n: int, limit: int | None) -> list[int]:
    if limit is None or limit >= n:
        return list(range(n))
    step = n / limit
    return [int(i * step) for i in range(limit)]


def veille_labels(data: StorySet, vectors: np.ndarray, **options: float) -> np.ndarray:
    """Story labels as ``veille process`` makes them: per-language centring, then the items of each ISO
    week grouped in one batch against the stories still active from earlier weeks (their titles' names
    and their languages), as the daily job does once a week's items are in."""
    aligned, _ = clustering.align_languages(vectors, data.langs)
    names = [clustering.story_names(title, stop_words()) for title in data.titles]
    window = timedelta(days=clustering.STORY_WINDOW_DAYS)
    labels = np.full(len(aligned), -1, dtype=np.int64)
    kept: list[dict] = []  # story id -> centroid, size, first, last, names, langs
    weeks: dict[tuple[int, int], list[int]] = {}
    for i, moment in enumerate(data.times):
        weeks.setdefault(moment.isocalendar()[:2], []).append(i)
    for week in sorted(weeks):
        idx = weeks[week]
        times = [data.times[i] for i in idx]
        active = [
            clustering.ActiveStory(
                id=sid,
                centroid=s["centroid"],
                size=s["size"],
                last_at=s["last"],
                first_at=s["first"],
                names=frozenset(s["names"]),
                langs=frozenset(s["langs"]),
                titles=tuple(s["titles"]),
                feeds=frozenset(s["feeds"]),
            )
            for sid, s in enumerate(kept)
            if s["last"] >= min(times) - window
        ]
        grouping = clustering.group_stories(
            aligned[idx],
            times,
            existing=active,
            names=[names[i] for i in idx],
            langs=[data.langs[i] for i in idx],
            titles=[data.titles[i] for i in idx],
            feeds=[data.feeds[i] for i in idx] if data.feeds is not None else None,
            **options,  # type: ignore[arg-type]
        )
        for story in grouping.stories:
            members = [idx[int(m)] for m in story.members]
            if story.existing_id is None:
                sid = len(kept)
                kept.append(
                    {
                        "size": 0,
                        "first": data.times[members[0]],
                        "last": story.last_at,
                        "names": set(),
                        "langs": set(),
                        "titles": [],
                        "feeds": set(),
                    }
                )
            else:
                sid = story.existing_id
            record = kept[sid]
            record.update(centroid=story.centroid, size=story.size, last=story.last_at)
            record["first"] = min([record["first"], *(data.times[m] for m in members)])
            for m in members:
                record["names"] |= names[m]
                record["titles"].append(data.titles[m])
                if data.feeds is not None:
                    record["feeds"].add(data.feeds[m])
                record["langs"].add(clustering.language_key(data.langs[m]))
                labels[m] = sid
    return labels


def anchor_labels(data: StorySet, vectors: np.ndarray) -> np.ndarray:
    aligned, _ = clustering.align_languages(vectors, data.langs)
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average", distance_threshold=0.6)
    return model.fit_predict(aligned).astype(np.int64)


def scores(data: StorySet, pred: np.ndarray) -> dict[str, float]:
    truth = np.array(data.labels)
    precision, recall, f1 = bcubed(list(truth), list(pred))
    french = np.array(data.langs) == "fr"
    english = ~french
    joinable = [
        i for i in np.flatnonzero(french) if ((truth == truth[i]) & english).any()
    ]  # French items whose story has an English item
    joined = [bool(((pred == pred[i]) & (truth == truth[i]) & english).any()) for i in joinable]
    return {
        "P": precision,
        "R": recall,
        "F1": f1,
        "ARI": adjusted_rand_score(truth, pred),
        "NMI": normalized_mutual_info_score(truth, pred),
        "stories": float(len(set(pred.tolist()))),
        "true": float(len(set(data.labels))),
        "FR joined": float(np.mean(joined)) if joined else float("nan"),
    }


def line(name: str, method: str, row: dict[str, float]) -> None:
    print(
        f"{name:10s} {method:26s} {row['P']:6.3f} {row['R']:6.3f} {row['F1']:6.3f} {row['ARI']:6.3f} "
        f"{row['NMI']:6.3f} {int(row['stories']):7d} {int(row['true']):5d} {row['FR joined']:9.2f}"
    )


LOADERS: dict[str, Callable[[int | None], StorySet]] = {
    "dev": load_dev,
    "demo-early": lambda limit: load_demo(limit, ("2026-W39", "2026-W43"), "demo-early", "calibration"),
    "demo-late": lambda limit: load_demo(limit, ("2026-W44", "2026-W48"), "demo-late"),
    "sib200": load_sib,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="at most N items per set (smoke runs)")
    parser.add_argument("--sweep", action="store_true", help="also sweep the join threshold")
    args = parser.parse_args()
    print(
        f"## Stories (shipped: join {clustering.STORY_THRESHOLD} + {clustering.STORY_DECAY_PER_DAY}/day, "
        f"across languages {clustering.CROSS_THRESHOLD} within {clustering.CROSS_DAYS} days, "
        f"{clustering.STRONG_CROSS_THRESHOLD} when the titles share {clustering.STRONG_SHARED_STEMS}+ stems; "
        f"{clustering.SAME_FEED_THRESHOLD} within one feed where the set knows its feeds)"
    )
    header = ("set", "method", "B3 P", "B3 R", "B3 F1", "ARI", "NMI", "stories", "true", "FR joined")
    print("{:10s} {:26s} {:>6s} {:>6s} {:>6s} {:>6s} {:>6s} {:>7s} {:>5s} {:>9s}".format(*header))
    for name, loader in LOADERS.items():
        data = loader(args.limit)
        vectors = embed(data.texts)
        line(name, f"veille ({data.role})", scores(data, veille_labels(data, vectors)))
        line(name, "average-link 0.6 (anchor)", scores(data, anchor_labels(data, vectors)))
        if args.sweep:
            for threshold in (0.35, 0.4, 0.45, 0.5, 0.55):
                row = scores(data, veille_labels(data, vectors, threshold=threshold))
                line(name, f"  join {threshold}", row)
    one_feed_merges(args.limit)
    link_timing(args.limit)


def load_real_feeds(limit: int | None = None) -> StorySet:
    """Every entry of the real feeds of ../shared/feeds/real, parsed and normalised as ``veille fetch``
    does, with its feed and date (no story labels: a few of these feeds cover the same news)."""
    from veille.adapters.langid import classify
    from veille.adapters.parse import parse_feed
    from veille.core.normalize import normalize_item

    now = datetime(2026, 12, 1, tzinfo=UTC)
    rows = []
    files = sorted(path for path in (SHARED / "feeds" / "real").iterdir() if path.suffix != ".md")
    for number, path in enumerate(files):
        url = f"https://feeds.example/{path.name}"
        feed = parse_feed(path.read_bytes(), url, {})
        for parsed in feed.items:
            item = normalize_item(parsed, feed_url=url, feed_lang=feed.lang, now=now, classify=classify)
            if item is not None:
                text = embedding_text(item.title, item.summary)
                rows.append((item.published_at, number, item.title, text, item.lang))
    rows.sort()
    keep = _limit(len(rows), limit)
    rows = [rows[i] for i in keep]
    return StorySet(
        "real feeds",
        "no labels",
        [r[2] for r in rows],
        [r[3] for r in rows],
        [r[4] or "en" for r in rows],
        [r[0] for r in rows],
        [str(i) for i in range(len(rows))],
        [r[1] for r in rows],
    )


def one_feed_merges(limit: int | None) -> None:
    """How many stories of two or more items hold two items of one feed, without and with the same-feed
    bar (``clustering.SAME_FEED_THRESHOLD``), on the real feeds: a feed does not publish one piece of
    news twice, so such a story is mostly a feed's next article on a topic."""
    data = load_real_feeds(limit)
    vectors = embed(data.texts)
    print(f"\n## One feed's articles: {len(data.texts):,} entries of {len(set(data.feeds or []))} real feeds")
    for label, feeds in (("without the same-feed bar", None), ("with it (shipped)", data.feeds)):
        labels = veille_labels(StorySet(**{**data.__dict__, "feeds": feeds}), vectors)
        members: dict[int, list[int]] = {}
        for i, story in enumerate(labels.tolist()):
            members.setdefault(story, []).append(i)
        multi = [m for m in members.values() if len(m) > 1]
        repeated = sum(len({data.feeds[i] for i in m}) < len(m) for m in multi) if data.feeds else 0
        print(
            f"{label:28s} stories {len(members):5d}  of two items or more {len(multi):4d}  "
            f"holding two items of one feed {repeated:4d}"
        )


def link_timing(limit: int | None, rounds: int = 3) -> None:
    """Seconds to find the titles that read like translations (``clustering.translation_links``) for a
    busy week: 5,000 new titles, half French (SIB-200 sentences) and half English (AG News), against
    10,000 stored English stories' titles (AG News, in another order), all cut to a headline's length;
    every French title is compared with every stored and new English one. Median of ``rounds``."""
    sib = load_sib(None)
    with (SHARED / "eval" / "agnews-8000" / "agnews_8000.tsv").open(encoding="utf-8") as handle:
        news = [line.split("\t", 1)[1][:100] for line in handle if "\t" in line]
    new, stored = (250, 500) if limit else (5000, 10000)
    french = [text[:120] for text, lang in zip(sib.texts, sib.langs, strict=True) if lang == "fr"]
    items = [french[k % len(french)] for k in range(new // 2)] + [news[k % len(news)] for k in range(new // 2)]
    langs = ["fr"] * (new // 2) + ["en"] * (new // 2)
    kept = [[news[-1 - k % len(news)]] for k in range(stored)]
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        clustering.translation_links(items, langs, kept, [{"en"}] * stored)
        seconds.append(time.perf_counter() - start)
    print(
        f"\n## Translation links: {new:,} new titles (FR and EN) against {stored:,} stored titles: "
        f"{statistics.median(seconds):.2f} s (median of {rounds})"
    )


if __name__ == "__main__":
    main()
