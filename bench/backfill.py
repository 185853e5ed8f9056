"""A backfill through ``veille process`` (issue 13): items/s and peak memory at 100k, 300k and 1M items.

    .venv/bin/python bench/backfill.py [--sizes 100000,300000,1000000] [--per-week 10000] [--budget 3600]

The items are synthetic weeks built from real texts: the items of the real feeds of ``../shared/feeds/real``
(read with veille's own parser and normaliser), the AG News texts and the French and English FLORES
sentences of ``../shared/eval``. Each story takes one text as its base and is told by 1 to 6 items of
different feeds within two days (most by one); each item's title is the base text's first words and its
summary the base text followed by another real text, so the keywords, titles and signals read real words.
``--per-week`` items a week (10,000 by default, a watch of a few hundred feeds), 300 feeds, weeks ending
before 2026-11-30.

The vectors are real model vectors, recombined: every text of the pool is embedded once with the real
model (cached under the temp directory's ``veille-bench-cache``), and an item's vector is its base
text's vector plus half the vector of a pool text picked by a hash of the rest of its text, normalised.
So a 1,000,000-item run does not embed 1,000,000 texts: the embedding step runs (items read in batches,
vectors stored, language sums kept) but its model time is not here; ``bench/embed.py`` measures the
model's speed (about 100 items/s on this machine, so a real backfill of 1,000,000 items spends about 3 hours
in the model). The phrases and sentences the themes' titles and the week's essentials embed get the vector
of a pool text picked by their hash, so title and sentence choices mean nothing here, only their cost. The
format tagger and audience classifier are fitted on the real model's vectors (cached the way veille caches
them).

Each size runs in a child process of its own: the database is built (bulk inserts, as ``veille fetch``
would have stored the items: items and sightings), then the child runs ``veille.jobs.process.process``,
the function ``veille process`` runs, on it, and reports its time per step and its peak resident memory
(``VmHWM`` of /proc/self/status; the resident memory before the run is printed too). Sizes run smallest
first; a size whose expected time (from the last rate) does not fit in what is left of ``--budget``
seconds is skipped. The report ends with the items/s ratio between the sizes: 1.0 when time is linear.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared"
CACHE = Path(tempfile.gettempdir()) / "veille-bench-cache"
END = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday: the synthetic weeks end before it
FEEDS = 300
KEY = 60  # characters of a pool text that find it again at the start of an item's text
MIX = 0.5  # weight of the second pool vector in an item's vector
SIZES = [1] * 60 + [2] * 25 + [3] * 10 + [4, 4, 5, 6, 6]  # items per story (most stories have one)


# ------------------------------------------------------------------------------------------- the pool


def pool_texts() -> list[tuple[str, str]]:
    """(text, lang) of the real texts: real feed items, AG News, FLORES French and English, deduplicated
    on their first ``KEY`` characters."""
    from veille.adapters.langid import classify
    from veille.adapters.parse import parse_feed
    from veille.core.normalize import normalize_item
    from veille.errors import VeilleError

    rows: list[tuple[str, str]] = []
    now = END
    for path in sorted((SHARED / "feeds" / "real").iterdir()):
        if path.suffix not in {".xml", ".rss", ".atom", ".json"}:
            continue
        url = f"https://feeds.example/{path.name}"
        try:
            feed = parse_feed(path.read_bytes(), url, {})
        except VeilleError:
            continue
        for parsed in feed.items:
            item = normalize_item(parsed, feed_url=url, feed_lang=feed.lang, now=now, classify=classify)
            if item is not None and len(item.summary) >= 40:
                rows.append((item.summary, item.lang or "en"))
    for line in (SHARED / "eval" / "agnews-8000" / "agnews_8000.tsv").read_text(encoding="utf-8").splitlines():
        text = line.partition("\t")[2]
        if text:
            rows.append((text, "en"))
    for lang, name in (("en", "eng_Latn"), ("fr", "fra_Latn")):
        for line in (
            (SHARED / "eval" / "sib200-train" / f"{name}.train.tsv").read_text(encoding="utf-8").splitlines()[1:]
        ):
            cells = line.split("\t")
            if len(cells) >= 3:
                rows.append((cells[2], lang))
    seen: set[str] = set()
    out = []
    for text, lang in rows:
        text = " ".join(text.split())[:400].rsplit(" ", 1)[0] if len(text) > 400 else " ".join(text.split())
        if len(text) >= 40 and text[:KEY] not in seen:
            seen.add(text[:KEY])
            out.append((text, lang))
    return out


def pool_vectors(texts: list[str]) -> NDArray[np.float32]:
    """The real model's vectors of the pool texts, embedded once and cached."""
    from veille.adapters.embed import DEFAULT_MODEL, SentenceTransformerEmbedder

    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"backfill-pool-{DEFAULT_MODEL}-{digest}.npy"
    if path.exists():
        return np.load(path)
    print(f"embedding the pool once: {len(texts):,} real texts with {DEFAULT_MODEL} ...", flush=True)
    began = time.perf_counter()
    vectors = np.asarray(SentenceTransformerEmbedder().embed(texts), dtype=np.float32)
    print(f"  {time.perf_counter() - began:.0f} s, cached in {path}", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), vectors)
    path.with_suffix(".tmp.npy").replace(path)
    return vectors


def fitted_cache() -> Path:
    """A data folder's ``cache`` holding the format tagger's and the audience classifier's vectors, fitted
    on the real model by veille itself (``App.tagger``, ``App.audiences``), as ``veille process`` caches them."""
    from veille.app import make_app
    from veille.config import load

    folder = CACHE / "backfill-fits"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
    app = make_app(load(folder / "feeds.yaml"), now=END)
    app.tagger()
    app.audiences()
    app.close()
    return folder / ".veille" / "cache"


class RecombinedEmbedder:
    """Real vectors recombined (see the module's docstring); named as the default model, whose vectors they are."""

    def __init__(self, texts: Sequence[str], vectors: NDArray[np.float32]) -> None:
        from veille.adapters.embed import DEFAULT_MODEL

        self.name = DEFAULT_MODEL
        self.vectors = vectors
        self.lengths = [len(text) for text in texts]
        self.row = {text[:KEY]: row for row, text in enumerate(texts)}

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        size = len(self.vectors)
        out = np.empty((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for k, text in enumerate(texts):
            base = self.row.get(text[:KEY])
            if base is None:  # a title candidate or a sentence: a pool vector picked by its hash
                out[k] = self.vectors[zlib.crc32(text.encode()) % size]
                continue
            rest = text[self.lengths[base] :]
            vector = self.vectors[base] + MIX * self.vectors[zlib.crc32(rest.encode()) % size]
            out[k] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return out


# ------------------------------------------------------------------------------------------ the weeks


def build(path: Path, items: int, per_week: int, pool: list[tuple[str, str]], seed: int = 13) -> int:
    """A veille SQLite database at ``path`` holding ``items`` items as ``veille fetch`` stores them, over
    ``ceil(items / per_week)`` weeks ending before END. Returns the number of weeks."""
    from veille.adapters.storage.sqlite import SqliteStore

    rng = random.Random(seed)
    weeks = -(-items // per_week)
    start = END - timedelta(weeks=weeks)
    span = timedelta(weeks=weeks).total_seconds()
    SqliteStore.open(path).close()  # every migration: the real schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    added = start.isoformat(timespec="seconds")
    conn.executemany(
        "INSERT INTO feeds (id, config_url, url, name, added_at) VALUES (?, ?, ?, ?, ?)",
        [
            (f, f"https://feed{f}.example/rss", f"https://feed{f}.example/rss", f"Feed {f}", added)
            for f in range(1, FEEDS + 1)
        ],
    )
    rows: list[tuple[object, ...]] = []
    sightings: list[tuple[object, ...]] = []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, categories, published_at,"
            " first_seen_at, lang, feed_id, origin_key) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO sightings (feed_id, entry_key, item_id, seen_at, published_at) VALUES (?, ?, ?, ?, ?)",
            sightings,
        )
        rows.clear()
        sightings.clear()

    item_id = 0
    while item_id < items:
        base, lang = pool[rng.randrange(len(pool))]
        words = base.split()
        moment = start + timedelta(seconds=rng.random() * span)
        for feed in rng.sample(range(1, FEEDS + 1), min(rng.choice(SIZES), items - item_id)):
            item_id += 1
            published = (moment + timedelta(seconds=rng.random() * 2 * 86400)).isoformat(timespec="seconds")
            title = " ".join(words[: rng.randint(6, 12)])
            summary = f"{base} {pool[rng.randrange(len(pool))][0]}"
            url = f"https://feed{feed}.example/posts/{item_id}"
            digest = hashlib.sha256(f"{title}\0{summary}\0{url}".encode()).hexdigest()
            rows.append((item_id, url, digest, url, title, summary, summary, published, published, lang, feed, url))
            sightings.append((feed, url, item_id, published, published))
        if len(rows) >= 20_000:
            flush()
    flush()
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return weeks


# ------------------------------------------------------------------------------------------ the child


def child(folder: Path, pool_path: Path, profile: Path | None = None) -> None:
    """Run ``veille process`` on the database of ``folder`` and print one JSON line: time per step, peak RSS."""
    from veille.app import make_app
    from veille.config import load
    from veille.jobs import process as job

    loaded = np.load(pool_path, allow_pickle=False)
    embedder = RecombinedEmbedder([str(text) for text in loaded["texts"]], loaded["vectors"])
    del loaded
    settings = load(folder / "feeds.yaml")
    app = make_app(settings, now=END + timedelta(hours=6), embedder_factory=lambda _settings: embedder)
    steps: dict[str, float] = {}
    for name in STEPS:
        _time_calls(job, name, lambda seconds, _name=name: steps.__setitem__(_name, steps.get(_name, 0.0) + seconds))
    # each week's cost, in order: bounded by the week window when it stays flat as the history grows
    weekly: dict[str, list[float]] = {"themes": [], "sentences": []}
    _time_calls(job, "_cluster_week", weekly["themes"].append)
    _time_calls(job, "store_week_sentences", weekly["sentences"].append)
    before = _memory("VmRSS")
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    began = time.perf_counter()
    report = job.process(app)
    seconds = time.perf_counter() - began
    if profiler is not None and profile is not None:
        import io
        import pstats

        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(60)
        profile.write_text(text.getvalue(), encoding="utf-8")
    app.close()
    peak = _memory("VmHWM")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "embedded": report.embedded,
                "grouped": report.items_grouped,
                "stories": report.stories_new,
                "weeks": len(report.weeks_clustered),
                "steps": steps,
                "weekly": weekly,
                "rss_before_mib": before,
                "peak_rss_mib": peak,
            }
        )
    )


def _time_calls(module: object, name: str, record: Callable[[float], object]) -> None:
    """Replace ``module.name`` by a wrapper that gives ``record`` the seconds of each call."""
    original = getattr(module, name)

    def timed(*args: object, **kwargs: object) -> object:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            record(time.perf_counter() - began)

    setattr(module, name, timed)


def _memory(field: str) -> float:
    """This process's resident memory in MiB from /proc/self/status: ``VmRSS`` now, ``VmHWM`` its peak
    (``ru_maxrss`` would count the parent's peak from before the child's exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def run_size(
    items: int,
    per_week: int,
    pool: list[tuple[str, str]],
    pool_path: Path,
    fits: Path,
    timeout: float,
    profile: Path | None = None,
) -> dict:
    with tempfile.TemporaryDirectory(prefix="veille-backfill-") as tmp:
        folder = Path(tmp)
        (folder / "feeds.yaml").write_text(
            "feeds:\n" + "".join(f"  - url: https://feed{f}.example/rss\n" for f in range(1, FEEDS + 1)),
            encoding="utf-8",
        )
        data = folder / ".veille"
        data.mkdir()
        shutil.copytree(fits, data / "cache")
        began = time.perf_counter()
        weeks = build(data / "veille.db", items, per_week, pool)
        built = time.perf_counter() - began
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), "--pool", str(pool_path)]
            + (["--profile", str(profile.with_suffix(f".{items}.txt"))] if profile is not None else []),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        if result.returncode != 0:
            raise SystemExit(f"the child process failed at {items:,} items:\n{result.stderr[-3000:]}")
        out = json.loads(result.stdout.strip().splitlines()[-1])
        out.update(
            items=items, weeks_built=weeks, build_seconds=built, db_mib=(data / "veille.db").stat().st_size / 2**20
        )
        return out


STEPS = ["embed_new", "classify_new", "decide_audiences", "group_new_items", "cluster_weeks", "choose_sentences"]
NAMES = ["embed*", "formats", "audiences", "stories", "themes", "sentences"]


def _quarters(values: Sequence[float]) -> list[float]:
    """The median of each quarter of ``values``, in order."""
    if not values:
        return []
    bounds = [round(len(values) * q / 4) for q in range(5)]
    return [float(np.median(values[a:b])) for a, b in itertools.pairwise(bounds) if b > a]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,300000,1000000", help="item counts, comma-separated")
    parser.add_argument("--per-week", type=int, default=10_000, help="items a week")
    parser.add_argument("--budget", type=float, default=3 * 3600.0, help="seconds for all sizes")
    parser.add_argument("--pool-size", type=int, default=None, help="real texts in the pool (default: all)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pool", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", type=Path, help="write a profile (cProfile, by cumulative time) of each size's run here"
    )
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.pool, args.profile)
        return
    started = time.perf_counter()
    sizes = sorted(int(size.replace("_", "")) for size in args.sizes.split(","))
    pool = pool_texts()[: args.pool_size]
    texts = [text for text, _ in pool]
    vectors = pool_vectors(texts)
    fits = fitted_cache()
    CACHE.mkdir(parents=True, exist_ok=True)
    pool_path = CACHE / f"backfill-pool-{hashlib.sha256(vectors.tobytes()).hexdigest()[:16]}.npz"
    if not pool_path.exists():
        np.savez(pool_path, texts=np.array(texts), vectors=vectors)
    load = os.getloadavg()
    print(f"pool: {len(pool):,} real texts, vectors of {vectors.shape[1]} dimensions; {os.cpu_count()} cores, "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) at the start")  # fmt: skip
    results: list[dict] = []
    skipped: list[int] = []
    for items in sizes:
        left = args.budget - (time.perf_counter() - started)
        if results:
            last = results[-1]
            expected = items / (last["items"] / (last["seconds"] + last["build_seconds"]))
            if expected > left:
                skipped.append(items)
                continue
        if left <= 0:
            skipped.append(items)
            continue
        try:
            results.append(run_size(items, args.per_week, pool, pool_path, fits, max(left, 1.0), args.profile))
        except subprocess.TimeoutExpired:
            skipped.append(items)
            continue
        r = results[-1]
        rate, peak = items / r["seconds"], r["peak_rss_mib"]
        print(f"  {items:,} items: {r['seconds']:.1f} s, {rate:.0f} items/s, peak RSS {peak:.0f} MiB", flush=True)
        # each size's details as soon as it is done: a run cut short keeps what it measured
        print("    " + ", ".join(f"{n} {r['steps'].get(s, 0.0):.1f} s" for s, n in zip(STEPS, NAMES, strict=True)))
        for key in ("themes", "sentences"):
            print(f"    {key} s/week by quarter: " + "  ".join(f"{q:.2f}" for q in _quarters(r["weekly"][key])))
        sys.stdout.flush()
    load = os.getloadavg()
    print(f"\nveille process on a backfill ({args.per_week:,} items a week; load average at the end "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f})\n")  # fmt: skip
    print(f"{'items':>9} {'weeks':>5} {'seconds':>8} {'items/s':>8} {'RSS before':>10} {'peak RSS':>9}  "
          + " ".join(f"{n:>9}" for n in NAMES))  # fmt: skip
    for r in results:
        print(f"{r['items']:>9,} {r['weeks']:>5} {r['seconds']:>8.1f} {r['items'] / r['seconds']:>8.0f} "
              f"{r['rss_before_mib']:>7.0f} MiB {r['peak_rss_mib']:>5.0f} MiB  "
              + " ".join(f"{r['steps'].get(s, 0.0):>8.1f}s" for s in STEPS))  # fmt: skip
    print("\nseconds a week, median of each quarter of the weeks in order (flat once the history is longer than")
    print("the windows the steps read: themes and trends 8 weeks, signals 10, the format radar 19)")
    for r in results:
        for key in ("themes", "sentences"):
            print(f"{r['items']:>9,} {key:>9}: " + "  ".join(f"{q:.2f}" for q in _quarters(r["weekly"][key])))
    for items in skipped:
        print(f"{items:>9,} skipped: it would not finish within --budget {args.budget:.0f} s")
    print("\n* embedding with recombined real vectors: the model's time is not counted (bench/embed.py measures it)")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        ratio = (large["items"] / large["seconds"]) / (small["items"] / small["seconds"])
        memory = large["peak_rss_mib"] / small["peak_rss_mib"]
        verdict = "linear" if ratio >= 0.8 else "worse than linear"
        print(f"items/s ratio {large['items']:,} / {small['items']:,} items: {ratio:.2f} ({verdict}: 1.0 is linear)")
        print(
            f"peak RSS ratio {large['items']:,} / {small['items']:,} items: {memory:.2f} (1.0: memory follows the week)"
        )


if __name__ == "__main__":
    main()
