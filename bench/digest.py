"""Digest speed: build and render the digest of a week of 20,000 stories (budget: under 2 s).

Writes a synthetic but realistically shaped week into a temporary SQLite file (60 feeds, 20,000 stories
of 1-4 items each, formats, 40 themes with 8 weeks of history, feed events), then times each stage of
``build_digest`` in several rounds, each on a fresh copy of the database (``build_digest`` records the
week), and prints each stage's median and its share of the budget.

    .venv/bin/python bench/digest.py [--stories 20000] [--rounds 3] [--process-step]

``--process-step`` also times what ``veille process`` adds for the digest's first lines: choosing the
central sentences of the week's candidates with the real model (``process.store_week_sentences``, model
loading excluded). Its cost follows the candidates (at most 6 themes, 8 stories and 3 formats), not the
week's size.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import struct
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from veille.adapters import digest_store
from veille.adapters.process_store import ThemeStore
from veille.adapters.render import render_digest
from veille.adapters.store import Store, iso
from veille.app import make_app
from veille.core.digest import build_view
from veille.core.weeks import previous_weeks, week_bounds
from veille.jobs.digest import build_digest
from veille.models import DigestSettings, FeedConfig, Settings

WEEK = "2026-W48"
BUDGET = 2.0
FORMATS = [
    "microlearning",
    "mooc",
    "ai_tutor",
    "generative_ai",
    "vr_ar",
    "podcast",
    "webinar",
    "lms",
    "credentials",
    "assessment",
    "serious_game",
    "blended",
]
WORDS = [
    "learning",
    "formation",
    "apprentissage",
    "skills",
    "compétences",
    "platform",
    "plateforme",
    "tutor",
    "tuteur",
    "course",
    "cours",
    "university",
    "université",
    "teachers",
    "enseignants",
    "badge",
    "video",
    "vidéo",
    "immersive",
    "data",
    "AI",
    "IA",
    "campus",
    "onboarding",
]


def populate(store: Store, stories: int, rng: random.Random) -> None:
    start, _ = week_bounds(WEEK)
    weeks = [*previous_weeks(WEEK, 7), WEEK]
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO feeds (id, config_url, url, name, added_at) VALUES (?, ?, ?, ?, '2026-01-01T00:00:00+00:00')",
            [
                (f, f"https://feed{f}.example.org/rss", f"https://feed{f}.example.org/rss", f"Source {f}")
                for f in range(1, 61)
            ],
        )
        conn.executemany(
            "INSERT INTO themes (id, first_week, last_week, label) VALUES (?, ?, ?, ?)",
            [(t, weeks[0], WEEK, " ".join(rng.sample(WORDS, 3))) for t in range(1, 41)],
        )
        rows = []
        for t in range(1, 41):
            for w in weeks:
                n = rng.randint(0, 60)
                status = "rising" if w == WEEK and t <= 8 else ("new" if w == WEEK and t <= 12 else "steady")
                rows.append(
                    (
                        t,
                        w,
                        n,
                        n * 2,
                        rng.randint(1, 30),
                        json.dumps(rng.sample(WORDS, 5)),
                        status,
                        int(w == WEEK and 12 < t <= 16),
                    )
                )
        conn.executemany(
            "INSERT INTO theme_weeks (theme_id, week, stories, items, sources, keywords, status, weak_signal)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        item_id = 0
        items, sightings, story_rows, story_items, formats, story_themes = [], [], [], [], [], []
        for s in range(1, stories + 1):
            at = start + timedelta(seconds=rng.randrange(7 * 86400))
            members = []
            for feed in rng.sample(range(1, 61), rng.choice((1, 1, 1, 2, 2, 3, 4))):
                item_id += 1
                members.append(item_id)
                title = " ".join(rng.choices(WORDS, k=9)).capitalize()
                summary = " ".join(" ".join(rng.choices(WORDS, k=16)).capitalize() + "." for _ in range(5))
                url = f"https://feed{feed}.example.org/{s}/{item_id}"
                items.append(
                    (item_id, url, f"h{item_id}", url, title, summary, f"<p>{summary}</p>", iso(at), iso(at), feed)
                )
                sightings.append((feed, f"e{item_id}", item_id, iso(at), iso(at)))
                formats.append((item_id, rng.choice(FORMATS), rng.random()))
                story_items.append((item_id, s))
            story_rows.append((s, iso(at), iso(at), members[0]))
            if rng.random() < 0.5:
                story_themes.append((s, WEEK, rng.randint(1, 40)))
        conn.executemany(
            "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, published_at,"
            " first_seen_at, feed_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            items,
        )
        conn.executemany("INSERT INTO sightings VALUES (?, ?, ?, ?, ?)", sightings)
        conn.executemany("INSERT INTO stories (id, first_at, last_at, lead_item_id) VALUES (?, ?, ?, ?)", story_rows)
        conn.executemany("INSERT INTO story_items VALUES (?, ?)", story_items)
        conn.executemany("INSERT INTO item_formats (item_id, format, score) VALUES (?, ?, ?)", formats)
        conn.executemany("INSERT INTO story_themes VALUES (?, ?, ?)", story_themes)
        # what `veille process` stores for the week's essentials: 3 central sentences (and their vectors)
        # of each new or rising theme, of the 10 most covered stories and of each format
        lead = {row[0]: row[3] for row in story_rows}
        by_theme: dict[int, int] = {}
        for story_id, _, theme_id in story_themes:
            by_theme.setdefault(theme_id, story_id)
        widest = sorted(lead, key=lambda sid: -sum(1 for _, s in story_items if s == sid))[:10]
        refs = [("theme", str(t), by_theme[t]) for t in range(1, 13) if t in by_theme]
        refs += [("story", str(sid), sid) for sid in widest]
        refs += [("format", fmt, rng.choice(widest)) for fmt in FORMATS]
        conn.executemany(
            "INSERT INTO central_sentences (week, kind, ref, rank, item_id, story_id, text, score, vector)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (WEEK, kind, ref, rank, lead[sid], sid, " ".join(rng.choices(WORDS, k=14)).capitalize() + ".",
                 0.9 - rank / 10, unit_vector(rng))
                for kind, ref, sid in refs
                for rank in range(3)
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO feed_events (feed_id, at, kind, status, detail) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    rng.randint(1, 60),
                    iso(start + timedelta(hours=h)),
                    rng.choice(("error", "moved", "gone", "stale")),
                    503,
                    "HTTP 503",
                )
                for h in range(0, 160, 7)
            ],
        )
    themes = ThemeStore(store)  # every week clustered, as `veille process` leaves them
    with store.transaction():
        for week, signature in themes.story_weeks().items():
            themes.mark_processed(week, signature, start)


def week_sentences(store: Store) -> list[str]:
    """The distinct sentences ``store_week_sentences`` embeds for the week (to time the model alone)."""
    from veille.adapters.process_store import SentenceStore
    from veille.core import brief
    from veille.jobs.process import rising_formats

    rising = rising_formats(store, WEEK)
    candidates = SentenceStore(store).candidates(WEEK, rising, min_story_sources=brief.MIN_STORY_SOURCES)
    texts = (text for cand in candidates for src in cand.items for text in brief.item_sentences(src.title, src.summary))
    return list(dict.fromkeys(texts))


def unit_vector(rng: random.Random, dim: int = 384) -> bytes:
    values = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = sum(v * v for v in values) ** 0.5
    return struct.pack(f"<{dim}f", *(v / norm for v in values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each on a fresh copy of the week (median shown)")
    parser.add_argument("--process-step", action="store_true", help="also time choosing the central sentences")
    args = parser.parse_args()
    rng = random.Random(48)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(
            config_path=root / "feeds.yaml",
            feeds=tuple(FeedConfig(url=f"https://feed{f}.example.org/rss") for f in range(1, 61)),
            data_dir=root,
            database=root / "veille.db",
            digest=replace(DigestSettings(), language="fr"),
        )
        with Store.open(settings.database) as store:
            populate(store, args.stories, rng)
            items = store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        timings: list[tuple[float, float, float, float]] = []
        for round_ in range(args.rounds):
            # each round on its own copy: build_digest records the week, and a recorded week is not rebuilt
            copy = root / f"round-{round_}.db"
            shutil.copyfile(settings.database, copy)
            with Store.open(copy) as store:
                t0 = time.perf_counter()
                records = digest_store.load_week(store, WEEK)
                t1 = time.perf_counter()
                view = build_view(records, language="fr")
                t2 = time.perf_counter()
                rendered = render_digest(view)
                t3 = time.perf_counter()
                app = make_app(replace(settings, database=copy), now=datetime(2026, 11, 30, 7, tzinfo=UTC), store=store)
                result = build_digest(app, WEEK)
                t4 = time.perf_counter()
            timings.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3))
        with Store.open(settings.database) as store:
            process_step = None
            if args.process_step:
                from veille.adapters.embed import SentenceTransformerEmbedder
                from veille.jobs.process import store_week_sentences

                embedder = SentenceTransformerEmbedder()
                embedder.embed(["warm up"])
                texts = week_sentences(store)
                # A-B-A: the model's own encode of the same sentences before and after veille's step
                t5 = time.perf_counter()
                embedder.embed(texts)
                t6 = time.perf_counter()
                stored = store_week_sentences(store, embedder, WEEK)
                t7 = time.perf_counter()
                embedder.embed(texts)
                t8 = time.perf_counter()
                process_step = (stored, t7 - t6, len(texts), ((t6 - t5) + (t8 - t7)) / 2)

    names = (
        "load week (SQL)",
        "view model (pure core)",
        "render html + text + inline CSS",
        "build_digest end to end (+ .eml, write, record)",
    )
    rows = [(name, statistics.median(t[i] for t in timings)) for i, name in enumerate(names)]
    print(
        f"digest of {len(records.story_records)} stories ({items} items), {len(view.story_ids)} shown, "
        f"{len(rendered.html) // 1024} KiB HTML, {len(view.brief)} lines in the week's essentials; "
        f"budget {BUDGET:.1f} s; median of {args.rounds} rounds"
    )
    print(f"{'stage':<50} {'seconds':>8} {'share of budget':>16}")
    for name, seconds in rows:
        print(f"{name:<50} {seconds:>8.3f} {seconds / BUDGET:>15.1%}")
    verdict = "OK" if rows[-1][1] < BUDGET else "OVER BUDGET"
    print(f"{'end to end / budget':<50} {rows[-1][1]:>8.3f} {rows[-1][1] / BUDGET:>15.1%}  {verdict}")
    if process_step is not None:
        stored, seconds, embedded, encode = process_step
        print(
            f"veille process, central sentences of the week's candidates: {seconds:.3f} s for {embedded} sentences "
            f"({stored} stored); the model's own encode of them: {encode:.3f} s (step / encode "
            f"{seconds / encode:.2f}; model loading excluded)"
        )
    assert result.stories == len(view.story_ids)


if __name__ == "__main__":
    main()
