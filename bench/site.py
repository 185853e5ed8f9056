"""Site speed: a full build of 50,000 items over 52 weeks (budget: under 60 s), then daily rebuilds.

Writes a synthetic but realistically shaped year into a temporary SQLite file (40 feeds, 50,000 items
grouped into ~38,000 stories of 1-4 items, learning formats, ~150 themes followed over the weeks, one
digest per week, a year of feed events), then measures, in one run:

- full build: empty output folder, every file written;
- no-change rebuild: same database, nothing changed (nothing must be written);
- one-day-change rebuild: one more day of items (~140) in the last week, as the daily job adds.

Prints each stage's time and its share of the budget, and how many files each build wrote.

    .venv/bin/python bench/site.py [--items 50000] [--weeks 52]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from veille.adapters import site_store
from veille.adapters.site import render_site, write_site
from veille.adapters.store import Store, iso
from veille.adapters.taxonomy import format_names
from veille.app import make_app
from veille.core.site import build_site_view
from veille.core.weeks import iso_week, shift_week, week_bounds
from veille.jobs.site import _environment, build_site
from veille.models import DigestSettings, Settings, SiteSettings

BUDGET = 60.0
LAST_WEEK = "2026-W48"
FORMATS = ["microlearning", "mooc", "ai-learning", "immersive", "podcast", "video", "virtual-classroom",
           "lms-platforms", "credentials", "serious-games", "blended", "social-learning", "other"]  # fmt: skip
WORDS = (
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
    "badge",
    "podcast",
    "video",
    "vidéo",
    "onboarding",
    "mentoring",
    "hackathon",
    "campus",
    "teacher",
    "enseignant",
    "student",
    "étudiant",
    "assessment",
    "évaluation",
    "immersive",
    "simulation",
    "chatbot",
)


def populate(store: Store, n_items: int, n_weeks: int, rng: random.Random) -> tuple[datetime, int]:
    """A year of the watch; returns the end of the data and the next free item id."""
    first_week = shift_week(LAST_WEEK, -(n_weeks - 1))
    start, _ = week_bounds(first_week)
    _, end = week_bounds(LAST_WEEK)
    span = (end - start).total_seconds() - 86400  # keep the last day free for the one-day change
    n_feeds = 40
    with store.transaction() as conn:
        for f in range(1, n_feeds + 1):
            url = f"https://feeds{f}.example/rss"
            conn.execute(
                "INSERT INTO feeds (id, config_url, url, name, lang, added_at, last_success_at) VALUES (?,?,?,?,?,?,?)",
                (f, url, url, f"Source {f}", "fr" if f % 2 else "en", iso(start), iso(end)),
            )
        events = []
        for f in range(1, n_feeds + 1):
            for day in range(n_weeks * 7):
                when = start + timedelta(days=day, hours=6)
                kind = "error" if rng.random() < 0.03 else ("ok" if rng.random() < 0.6 else "not_modified")
                events.append(
                    (f, iso(when), kind, 503 if kind == "error" else 200, "server error" if kind == "error" else None)
                )
        conn.executemany("INSERT INTO feed_events (feed_id, at, kind, status, detail) VALUES (?,?,?,?,?)", events)

        times = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(n_items))
        items, sightings, formats, story_items, stories = [], [], [], [], []
        item_id = story_id = 0
        while item_id < n_items:
            story_id += 1
            size = min(rng.choice((1, 1, 1, 1, 2, 2, 3, 4)), n_items - item_id)
            first = times[item_id]
            lead = item_id + 1
            for k in range(size):
                item_id += 1
                published = iso(times[item_id - 1])
                feed = rng.randint(1, n_feeds)
                title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
                summary = " ".join(rng.choice(WORDS) for _ in range(40)) + "."
                url = f"https://feeds{feed}.example/a/{item_id}"
                items.append((item_id, url, f"h{item_id}", url, title, summary, f"<p>{summary}</p>", published,
                              published, "fr" if feed % 2 else "en", feed))  # fmt: skip
                sightings.append((feed, f"e{item_id}", item_id, published, published))
                for fmt in rng.sample(FORMATS, rng.choice((1, 1, 2))):
                    formats.append((item_id, fmt, round(rng.uniform(0.3, 0.9), 3)))
                story_items.append((item_id, story_id))
                del k
            stories.append((story_id, iso(first), iso(times[item_id - 1]), lead))
        conn.executemany(
            "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, published_at,"
            " first_seen_at, lang, feed_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            items,
        )
        conn.executemany("INSERT INTO sightings VALUES (?,?,?,?,?)", sightings)
        conn.executemany("INSERT INTO item_formats (item_id, format, score) VALUES (?,?,?)", formats)
        conn.executemany("INSERT INTO stories (id, first_at, last_at, lead_item_id) VALUES (?,?,?,?)", stories)
        conn.executemany("INSERT INTO story_items VALUES (?,?)", story_items)

        # themes: each lives 2-20 weeks; ~60% of a week's stories belong to one
        weeks = [shift_week(first_week, k) for k in range(n_weeks)]
        week_stories: dict[str, list[int]] = {}
        for sid, first_at, _, _ in stories:
            week_stories.setdefault(iso_week(datetime.fromisoformat(str(first_at))), []).append(sid)
        theme_id = 0
        active: list[int] = []
        story_themes = []
        for week in weeks:
            active = [t for t in active if rng.random() > 0.12]
            while len(active) < 25:
                theme_id += 1
                words = rng.sample(WORDS, 3)
                conn.execute(
                    "INSERT INTO themes (id, first_week, last_week, label) VALUES (?,?,?,?)",
                    (theme_id, week, week, ", ".join(words[:2])),
                )
                active.append(theme_id)
            ids = week_stories.get(week, [])
            members: dict[int, int] = {}
            for sid in ids:
                if rng.random() < 0.6:
                    t = rng.choice(active)
                    story_themes.append((sid, week, t))
                    members[t] = members.get(t, 0) + 1
            for t in active:
                count = members.get(t, 0)
                status = rng.choice(("steady", "steady", "rising", "fading"))
                conn.execute(
                    "INSERT INTO theme_weeks (theme_id, week, stories, items, sources, keywords, status, weak_signal)"
                    " VALUES (?,?,?,?,?,?,?,?)",
                    (t, week, count, count, min(count, 12), json.dumps(rng.sample(WORDS, 5)), status, 0),
                )
                conn.execute("UPDATE themes SET last_week = ? WHERE id = ?", (week, t))
        conn.executemany("INSERT INTO story_themes VALUES (?,?,?)", story_themes)
        for week in weeks[:-1]:
            conn.execute(
                "INSERT INTO digests VALUES (?,?,?,?,?,?,?,?)",
                (
                    week,
                    iso(week_bounds(week)[1]),
                    "fr",
                    f"Veille — semaine {int(week[-2:])}",
                    f"<{week}@b>",
                    "/nonexistent/digest.html",
                    "x",
                    "y",
                ),
            )
            shown = rng.sample(week_stories.get(week, []), min(25, len(week_stories.get(week, []))))
            conn.executemany("INSERT OR IGNORE INTO digest_stories VALUES (?, ?)", [(s, week) for s in shown])
    return end, item_id + 1


def add_day(store: Store, end: datetime, next_id: int, count: int, rng: random.Random) -> None:
    """One more day of items in the last week, each a new story of its own with one format."""
    day = end - timedelta(days=1)
    with store.transaction() as conn:
        sid = conn.execute("SELECT MAX(id) FROM stories").fetchone()[0]
        for k in range(count):
            item_id, sid = next_id + k, sid + 1
            when = iso(day + timedelta(minutes=k * 5))
            url = f"https://feeds1.example/new/{item_id}"
            conn.execute(
                "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, published_at,"
                " first_seen_at, lang, feed_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (item_id, url, f"h{item_id}", url, f"New story {k}", "Fresh.", "<p>Fresh.</p>", when, when, "en", 1),
            )
            conn.execute("INSERT INTO sightings VALUES (1, ?, ?, ?, ?)", (f"e{item_id}", item_id, when, when))
            conn.execute(
                "INSERT INTO item_formats (item_id, format, score) VALUES (?, ?, 0.7)", (item_id, rng.choice(FORMATS))
            )
            conn.execute(
                "INSERT INTO stories (id, first_at, last_at, lead_item_id) VALUES (?,?,?,?)", (sid, when, when, item_id)
            )
            conn.execute("INSERT INTO story_items VALUES (?, ?)", (item_id, sid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="veille-bench-site-") as tmp:
        folder = Path(tmp)
        settings = Settings(
            config_path=folder / "feeds.yaml",
            feeds=(),
            data_dir=folder,
            database=folder / "veille.db",
            digest=DigestSettings(language="fr"),
            site=SiteSettings(out_dir=folder / "site"),
        )
        now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
        with Store.open(settings.database) as store:
            t0 = time.perf_counter()
            end, next_id = populate(store, args.items, args.weeks, rng)
            setup = time.perf_counter() - t0

            # one full build, stage by stage (the same calls build_site makes)
            timings: list[tuple[str, float]] = []
            t = time.perf_counter()
            records = site_store.load_site(store)
            timings.append(("load (SQL)", time.perf_counter() - t))
            t = time.perf_counter()
            labels = format_names(settings.formats_file, settings.digest.language)
            view = build_site_view(records, language="fr", now=now, format_labels=labels)
            timings.append(("view models", time.perf_counter() - t))
            t = time.perf_counter()
            files = render_site(view, _environment(None, False))
            timings.append(("render (Jinja)", time.perf_counter() - t))
            t = time.perf_counter()
            report = write_site(files, settings.site.out_dir or folder / "site")
            timings.append(("write", time.perf_counter() - t))
            full = sum(seconds for _, seconds in timings)
            size = sum(len(content) for content in files.values())

            t = time.perf_counter()
            same = build_site(make_app(settings, now=now, store=store))
            nochange = time.perf_counter() - t
            add_day(store, end, next_id, args.items // 365, rng)
            t = time.perf_counter()
            day = build_site(make_app(settings, now=now, store=store))
            oneday = time.perf_counter() - t

    pages = sum(1 for name in files if name.endswith(".html"))
    print(f"site: {args.items:,} items, {len(records.stories):,} stories, {len(records.themes)} themes, "
          f"{args.weeks} weeks -> {pages} pages, {size / 1e6:.1f} MB (setup {setup:.1f} s)")  # fmt: skip
    print(f"{'stage':<28}{'seconds':>10}{'of budget':>12}{'files written':>16}")
    for name, seconds in timings:
        print(f"  {name:<26}{seconds:>10.2f}{seconds / BUDGET:>11.1%}")
    print(f"{'full build':<28}{full:>10.2f}{full / BUDGET:>11.1%}{len(report.written):>16}")
    print(f"{'no-change rebuild':<28}{nochange:>10.2f}{nochange / BUDGET:>11.1%}{same.written:>16}")
    print(f"{'one-day-change rebuild':<28}{oneday:>10.2f}{oneday / BUDGET:>11.1%}{day.written:>16}")
    print(f"ratios: no-change / full = {nochange / full:.2f}, one-day / full = {oneday / full:.2f}")
    if full > BUDGET:
        print(f"OVER BUDGET: full build {full:.1f} s > {BUDGET:.0f} s")
        sys.exit(1)


if __name__ == "__main__":
    main()
