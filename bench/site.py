"""Site speed: a full build, a rebuild with nothing changed, a rebuild after one new day (issue 13).

Writes a synthetic but realistically shaped watch into a temporary SQLite file (40 feeds, items grouped
into stories of 1-4 items, learning formats, ~25 themes a week followed over the weeks, one digest per
week, a year of feed events), then measures, in one run, rounds of:

- full build: empty output folder, every page computed and written;
- nothing-changed rebuild: same database (answered from the store's change marker and the manifest);
- one-new-day rebuild: one more day of items (items / 365) in the last week, as the daily job adds.

Each round starts from a fresh copy of the database; the order of the two rebuilds alternates from one
round to the next (even rounds: nothing changed, then the new day; odd rounds: the new day, then nothing
changed). Prints the median of the rounds, each rebuild's ratio to the full build, the files each wrote,
and how much the first search reads (the newest week's piece of the search index) against the whole index.

    .venv/bin/python bench/site.py [--items 50000] [--weeks 52] [--rounds 3] [--budget 60]

Also prints the peak resident memory of the builds (Linux: VmHWM, reset after the setup).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from veille.adapters.store import Store, iso
from veille.app import make_app
from veille.core.weeks import iso_week, shift_week, week_bounds
from veille.jobs.site import build_site
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
        # what `veille process` writes with each tag: one row per item, its tagger signature and content hash
        conn.executemany("INSERT INTO classified VALUES (?, ?)", [(row[0], f"bench-tagger:{row[2]}") for row in items])
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
            when = iso(day + timedelta(seconds=k * 86_000 // count))  # all within the day
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
            conn.execute("INSERT INTO classified VALUES (?, ?)", (item_id, f"bench-tagger:h{item_id}"))
            conn.execute(
                "INSERT INTO stories (id, first_at, last_at, lead_item_id) VALUES (?,?,?,?)", (sid, when, when, item_id)
            )
            conn.execute("INSERT INTO story_items VALUES (?, ?)", (item_id, sid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=BUDGET, help="seconds a full build may take")
    args = parser.parse_args()
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory(prefix="veille-bench-site-") as tmp:
        folder = Path(tmp)
        pristine = folder / "pristine.db"
        t0 = time.perf_counter()
        with Store.open(pristine) as store:
            end, next_id = populate(store, args.items, args.weeks, random.Random(7))
            stories = store.conn.execute("SELECT COUNT(*) FROM stories").fetchone()[0]
            themes = store.conn.execute("SELECT COUNT(*) FROM themes").fetchone()[0]
        setup = time.perf_counter() - t0

        _reset_peak_memory()  # the builds' peak, not the setup's
        before = _memory("VmRSS")
        times: dict[str, list[float]] = {"full": [], "nothing": [], "day": []}
        written: dict[str, int] = {}
        pages = size = first_piece = 0
        for round_ in range(args.rounds):
            work = folder / f"round{round_}"
            work.mkdir()
            shutil.copyfile(pristine, work / "veille.db")
            settings = Settings(
                config_path=work / "feeds.yaml",
                feeds=(),
                data_dir=work,
                database=work / "veille.db",
                digest=DigestSettings(language="fr"),
                site=SiteSettings(out_dir=work / "site"),
            )
            with Store.open(settings.database) as store:
                t = time.perf_counter()
                full = build_site(make_app(settings, now=now, store=store))
                times["full"].append(time.perf_counter() - t)
                written["full"], pages = full.written, full.pages
                order = ("nothing", "day") if round_ % 2 == 0 else ("day", "nothing")
                for stage in order:
                    if stage == "day":
                        add_day(store, end, next_id, max(1, args.items // 365), random.Random(round_))
                    t = time.perf_counter()
                    result = build_site(make_app(settings, now=now, store=store))
                    times[stage].append(time.perf_counter() - t)
                    written[stage] = result.written
            site = work / "site"
            search = sorted((site / "search").glob("*.js"))
            size = sum(path.stat().st_size for path in site.rglob("*") if path.is_file())
            first_piece = (site / "search" / "index.js").stat().st_size + (
                site / "search" / "2026-W48.js"
            ).stat().st_size
            whole_index = sum(path.stat().st_size for path in search)
            shutil.rmtree(work)

    median = {stage: statistics.median(values) for stage, values in times.items()}
    print(f"site: {args.items:,} items, {stories:,} stories, {themes} themes, {args.weeks} weeks -> {pages} pages, "
          f"{size / 1e6:.1f} MB (setup {setup:.1f} s, {args.rounds} rounds, median)")  # fmt: skip
    print(f"{'build':<28}{'seconds':>10}{'of full':>10}{'of budget':>12}{'files written':>16}")
    for stage, label in (("full", "full build"), ("nothing", "no-change rebuild"), ("day", "one-day-change rebuild")):
        seconds = median[stage]
        share = seconds / args.budget
        print(f"{label:<28}{seconds:>10.2f}{seconds / median['full']:>10.2f}{share:>11.1%}{written[stage]:>16}")
    print(f"ratios: no-change / full = {median['nothing'] / median['full']:.3f}, "
          f"one-day / full = {median['day'] / median['full']:.2f}")  # fmt: skip
    print(f"peak resident memory during the builds: {_memory('VmHWM') / 1024:.0f} MiB "
          f"({before / 1024:.0f} MiB before the first build)")  # fmt: skip
    print(f"first search reads {first_piece / 1e3:.0f} kB (index + newest week) of a {whole_index / 1e6:.2f} MB "
          f"index in {len(search) - 1} pieces")  # fmt: skip
    if median["full"] > args.budget:
        print(f"OVER BUDGET: full build {median['full']:.1f} s > {args.budget:.0f} s")
        sys.exit(1)


def _memory(field: str) -> int:
    """A line of /proc/self/status in KiB (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak_memory() -> None:
    """Linux: the peak resident memory (VmHWM) starts again from the current one."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


if __name__ == "__main__":
    main()
