"""Trend detection replayed end to end on real labelled news, week by week (issue 11).

Run from the repository root: ``.venv/bin/python bench/replay.py [--seeds 3] [--first-seed 0] [--weeks 12]``.
Seeds ``first-seed`` .. ``first-seed + seeds - 1`` are run: calibrate rules on one range (e.g.
``--first-seed 10``) and report on another that no tuning saw (the default, seeds 0-2).

``bench/trends.py`` feeds Poisson counts to themes given in advance; this benchmark checks the whole
chain instead. Real labelled texts (AG News, SIB-200 French + English) are published week by week on
the loopback feed server (tests/feedserver.py), several sources each; at each week's end the real
``fetch`` and ``process`` jobs run with ``now`` set to that moment and the real embedding model, as a
user's scheduler would. Then the database is read back and the known labels say what veille should
have seen.

Scenarios (each over several seeds; the background is a few topics at a steady Poisson rate):

* ``ramp``: a distinct topic (AG Sports) goes 0 -> 2, 4, 6, 8, 10 stories a week, then stays at 10;
* ``ramp_near``: the same ramp with a topic close to the background (AG Sci/Tech amid World, Business,
  Sports: technology news amid business news);
* ``ramp_sub``: a sub-topic ramps inside a known field (AG Sci/Tech items about space, while the rest of
  Sci/Tech stays steady in the background);
* ``drop``: a topic at about 8 stories a week stops;
* ``burst``: one feed posts 8 stories of a new topic in one week, nobody else does;
* ``stationary``: background only;
* ``bilingual``: SIB-200 sentences in French and English feeds, a topic (health) ramps in both.

Per scenario (means over seeds): weeks from the ramp's start to the first week in which at least half
of its items sit in flagged themes (0: its first week); the share of the ramp's items in flagged themes
or signals week by week and over the growing weeks after the first; the fading delay of a dropped topic
(0: flagged in the first empty week); false flags per week (flagged themes of two or more sources whose
stories are mostly background) from week 4 on; and the statuses the digest would show. "Flagged" is
what a reader sees as a change: a theme ``rising``, or ``new`` from at least two sources, or one of the
term signals the digest reports ("Emerging signals": the 5 strongest of the week, with all their stories).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.feedserver import FeedServer  # noqa: E402
from veille.adapters.embed import SentenceTransformerEmbedder  # noqa: E402
from veille.app import make_app  # noqa: E402
from veille.config import load  # noqa: E402
from veille.core import trends  # noqa: E402
from veille.core.digest import MAX_TERM_SIGNALS  # noqa: E402
from veille.core.weeks import iso_week  # noqa: E402
from veille.jobs import fetch as fetch_job  # noqa: E402
from veille.jobs.process import process  # noqa: E402

SHARED = ROOT.parent / "shared"
START = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday
RAMP = (2, 4, 6, 8, 10)
WARMUP = 4  # false flags are counted from this week on: before it every theme is young


@dataclass(frozen=True)
class Text:
    title: str
    summary: str
    lang: str


@dataclass(frozen=True)
class Stream:
    """Items of one pool published week by week: ``counts[w]`` items in week w over ``feeds``."""

    role: str  # "background", "ramp", "drop", "burst"
    pool: str
    counts: tuple[int, ...]
    feeds: tuple[str, ...]


@dataclass
class Scenario:
    name: str
    streams: list[Stream]
    ramp_start: int | None = None
    drop_week: int | None = None
    burst_week: int | None = None


@dataclass
class RunResult:
    scenario: str
    seed: int
    delay: int | None = None
    ramp_shares: list[float] = field(default_factory=list)
    growing_share: float | None = None
    fading_delay: int | None = None
    false_flags_per_week: float = 0.0
    burst_flagged: bool | None = None
    ramp_statuses: list[str] = field(default_factory=list)
    shown: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


# ------------------------------------------------------------------------------------------- texts


def _agnews() -> dict[str, list[Text]]:
    pools: dict[str, list[Text]] = {}
    names = {"1": "world", "2": "sports", "3": "business", "4": "tech"}
    path = SHARED / "eval" / "agnews-8000" / "agnews_8000.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        label, text = line.split("\t", 1)
        words = text.split()
        item = Text(" ".join(words[:8]), text, "en")
        pool = names[label]
        if pool == "tech":
            pool = "tech_space" if " space " in f" {text} " else "tech_rest"
            pools.setdefault("tech", []).append(item)
        pools.setdefault(pool, []).append(item)
    return pools


def _sib200() -> dict[str, list[tuple[Text, Text]]]:
    """Per category, (English, French) translation pairs."""
    rows: dict[str, dict[str, tuple[str, str]]] = {}
    for lang, name in (("en", "eng_Latn"), ("fr", "fra_Latn")):
        path = SHARED / "eval" / "sib200-train" / f"{name}.train.tsv"
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            index, category, text = line.split("\t")
            rows.setdefault(index, {})[lang] = (category, text)
    pairs: dict[str, list[tuple[Text, Text]]] = {}
    for langs in rows.values():
        if set(langs) == {"en", "fr"}:
            category = langs["en"][0]
            en, fr = langs["en"][1], langs["fr"][1]
            pairs.setdefault(category, []).append(
                (Text(" ".join(en.split()[:10]), en, "en"), Text(" ".join(fr.split()[:10]), fr, "fr"))
            )
    return pairs


# --------------------------------------------------------------------------------------- scenarios

EN_FEEDS = tuple(f"en{k}" for k in range(6))
FR_FEEDS = tuple(f"fr{k}" for k in range(4))


def _poisson(rng: random.Random, mean: float, weeks: int) -> tuple[int, ...]:
    gen = np.random.default_rng(rng.randrange(2**32))
    return tuple(int(v) for v in gen.poisson(mean, weeks))


def _ramp(weeks: int, start: int) -> tuple[int, ...]:
    return tuple(0 if w < start else RAMP[min(w - start, len(RAMP) - 1)] for w in range(weeks))


def scenarios(names: Sequence[str], weeks: int, rng: random.Random) -> list[Scenario]:
    start = max(weeks - len(RAMP) - 2, 3)
    rate = 16.0

    def background(*pools: str, mean: float = rate, feeds: tuple[str, ...] = EN_FEEDS) -> list[Stream]:
        return [Stream("background", pool, _poisson(rng, mean, weeks), feeds) for pool in pools]

    ramp_feeds = EN_FEEDS[:4]
    out: dict[str, Scenario] = {
        "ramp": Scenario(
            "ramp",
            [*background("world", "business", "tech"), Stream("ramp", "sports", _ramp(weeks, start), ramp_feeds)],
            ramp_start=start,
        ),
        "ramp_near": Scenario(
            "ramp_near",
            [*background("world", "business", "sports"), Stream("ramp", "tech", _ramp(weeks, start), ramp_feeds)],
            ramp_start=start,
        ),
        "ramp_sub": Scenario(
            "ramp_sub",
            [
                *background("world", "business", "tech_rest"),
                Stream("ramp", "tech_space", _ramp(weeks, start), ramp_feeds),
            ],
            ramp_start=start,
        ),
        "drop": Scenario(
            "drop",
            [
                *background("world", "business", "tech"),
                Stream(
                    "drop",
                    "sports",
                    tuple(c if w < start + 1 else 0 for w, c in enumerate(_poisson(rng, 8.0, weeks))),
                    ramp_feeds,
                ),
            ],
            drop_week=start + 1,
        ),
        "burst": Scenario(
            "burst",
            [
                *background("world", "business", "tech"),
                Stream("burst", "sports", tuple(8 if w == start + 1 else 0 for w in range(weeks)), (EN_FEEDS[0],)),
            ],
            burst_week=start + 1,
        ),
        "stationary": Scenario("stationary", background("world", "business", "tech", "sports")),
        "bilingual": Scenario(
            "bilingual",
            [
                *background(
                    "sib:travel", "sib:politics", "sib:science/technology", mean=7.0, feeds=(*EN_FEEDS, *FR_FEEDS)
                ),
                Stream("ramp", "sib:health", _ramp(weeks, start), (*EN_FEEDS[:2], *FR_FEEDS[:2])),
            ],
            ramp_start=start,
        ),
    }
    return [out[name] for name in names]


# ------------------------------------------------------------------------------------------- run


class CachingEmbedder(SentenceTransformerEmbedder):
    """The real default model, remembering what it embedded across the runs of this process."""

    def __init__(self) -> None:
        super().__init__()
        self.known: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:  # type: ignore[override]
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.known.update(zip(missing, super().embed(missing), strict=True))
        return np.vstack([self.known[t] for t in texts]) if texts else super().embed([])


@dataclass(frozen=True)
class Published:
    url: str
    feed: str
    text: Text
    at: datetime
    role: str


def _draw(scenario: Scenario, weeks: int, rng: random.Random, ag: dict[str, list[Text]], sib: Any) -> list[Published]:
    used: set[int] = set()
    out: list[Published] = []
    decks: dict[str, list[Any]] = {}
    for s, stream in enumerate(scenario.streams):
        if stream.pool not in decks:
            deck = list(sib[stream.pool[4:]] if stream.pool.startswith("sib:") else ag[stream.pool])
            rng.shuffle(deck)
            decks[stream.pool] = deck
        deck = decks[stream.pool]
        for week, count in enumerate(stream.counts):
            for k in range(count):
                while id(deck[-1]) in used:
                    deck.pop()
                entry = deck.pop()
                used.add(id(entry))
                if isinstance(entry, tuple):  # a SIB-200 pair: one of its two languages
                    entry = entry[rng.randrange(2)]
                langs = [f for f in stream.feeds if f.startswith(entry.lang)] or list(stream.feeds)
                feed = rng.choice(langs)
                at = START + timedelta(weeks=week, seconds=rng.randrange(6 * 86400 + 20 * 3600))
                out.append(Published(f"https://{feed}.example/{s}/{week}/{k}", feed, entry, at, stream.role))
    return out


def _rss(feed: str, items: list[Published]) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{feed}</title><link>https://{feed}.example/</link><description>{feed}</description>",
    ]
    for item in sorted(items, key=lambda i: i.at, reverse=True):
        lines.append(
            f"<item><title>{escape(item.text.title)}</title><link>{escape(item.url)}</link>"
            f"<guid>{escape(item.url)}</guid><description>{escape(item.text.summary)}</description>"
            f"<pubDate>{format_datetime(item.at)}</pubDate></item>"
        )
    lines.append("</channel></rss>")
    return "\n".join(lines).encode("utf-8")


def replay(scenario: Scenario, seed: int, weeks: int, folder: Path, embedder: SentenceTransformerEmbedder) -> Path:
    """Publish the scenario week by week and run fetch + process at each week's end. Returns the database."""
    rng = random.Random(seed)
    items = _draw(scenario, weeks, rng, ag_pools(), sib_pools())
    feeds = sorted({f for stream in scenario.streams for f in stream.feeds})
    with FeedServer() as server:
        lines = ["feeds:"]
        for feed in feeds:
            lines += [f"  - url: {server.url('/' + feed + '.xml')}", f"    lang: {feed[:2]}"]
        (folder / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        settings = load(folder / "feeds.yaml")
        for week in range(weeks):
            now = START + timedelta(weeks=week, days=6, hours=22)
            for feed in feeds:
                visible = [i for i in items if i.feed == feed and now - timedelta(days=21) <= i.at <= now]
                server.register(f"/{feed}.xml", _rss(feed, visible), content_type="application/rss+xml")
            app = make_app(settings, now=now, embedder_factory=lambda _s: embedder)
            try:
                fetch_job.fetch(app, only_due=False)
                process(app)
            finally:
                app.close()
    roles = {item.url: item.role for item in items}
    (folder / "roles.json").write_text(json.dumps(roles), encoding="utf-8")
    return folder / ".veille" / "veille.db"


_AG: dict[str, list[Text]] = {}
_SIB: dict[str, list[tuple[Text, Text]]] = {}


def ag_pools() -> dict[str, list[Text]]:
    if not _AG:
        _AG.update(_agnews())
    return _AG


def sib_pools() -> dict[str, list[tuple[Text, Text]]]:
    if not _SIB:
        _SIB.update(_sib200())
    return _SIB


# ------------------------------------------------------------------------------------------ measure


def _flagged(status: str, sources: int) -> bool:
    return status == "rising" or (status == "new" and sources >= 2)


def measure(scenario: Scenario, seed: int, weeks: int, db: Path, roles: dict[str, str]) -> RunResult:
    result = RunResult(scenario.name, seed)
    week_names = [iso_week(START + timedelta(weeks=w, days=3)) for w in range(weeks)]
    with sqlite3.connect(db) as conn:
        item_rows = conn.execute(
            "SELECT i.url, i.published_at, si.story_id FROM items i JOIN story_items si ON si.item_id = i.id"
        ).fetchall()
        story_week_theme = {(s, w): t for s, w, t in conn.execute("SELECT story_id, week, theme_id FROM story_themes")}
        theme_week = {
            (t, w): (status, int(sources), int(stories))
            for t, w, status, sources, stories in conn.execute(
                "SELECT theme_id, week, status, sources, stories FROM theme_weeks"
            )
        }
        signals = _signals(conn)
    role_of_story: dict[int, Counter[str]] = {}
    items_by_week: dict[str, list[tuple[str, int]]] = {}
    for url, published, story in item_rows:
        role = roles.get(url, "background")
        role_of_story.setdefault(story, Counter())[role] += 1
        items_by_week.setdefault(iso_week(datetime.fromisoformat(published)), []).append((role, story))
    # theme -> week -> roles of its stories
    theme_roles: dict[tuple[int, str], Counter[str]] = {}
    for (story, week), theme in story_week_theme.items():
        theme_roles.setdefault((theme, week), Counter()).update(role_of_story.get(story, Counter()))

    def in_flagged(story: int, week: str) -> bool:
        theme = story_week_theme.get((story, week))
        if theme is not None:
            status, sources, _ = theme_week.get((theme, week), ("steady", 0, 0))
            if _flagged(status, sources):
                return True
        return story in signals.get(week, set())

    if scenario.ramp_start is not None:
        for w in range(scenario.ramp_start, weeks):
            mine = [story for role, story in items_by_week.get(week_names[w], []) if role == "ramp"]
            share = sum(in_flagged(s, week_names[w]) for s in mine) / max(len(mine), 1)
            result.ramp_shares.append(round(share, 2))
            holders = Counter(story_week_theme.get((s, week_names[w])) for s in mine)
            top = holders.most_common(1)[0][0] if holders else None
            result.ramp_statuses.append(
                "-" if top is None else theme_week.get((top, week_names[w]), ("?", 0, 0))[0][:3]
            )
        result.delay = next((k for k, share in enumerate(result.ramp_shares) if share >= 0.5), None)
        growing = [
            (role, story, w)
            for w in range(scenario.ramp_start + 1, min(scenario.ramp_start + len(RAMP), weeks))
            for role, story in items_by_week.get(week_names[w], [])
            if role == "ramp"
        ]
        result.growing_share = round(sum(in_flagged(s, week_names[w]) for _, s, w in growing) / max(len(growing), 1), 3)
    if scenario.drop_week is not None:
        drop_themes = {
            t
            for (t, w), counts in theme_roles.items()
            if week_names.index(w) < scenario.drop_week and counts["drop"] * 2 > sum(counts.values())
        }
        for w in range(scenario.drop_week, weeks):
            if any(theme_week.get((t, week_names[w]), ("",))[0] == "fading" for t in drop_themes):
                result.fading_delay = w - scenario.drop_week
                break
    if scenario.burst_week is not None:
        week = week_names[scenario.burst_week]
        mine = [story for role, story in items_by_week.get(week, []) if role == "burst"]
        result.burst_flagged = sum(in_flagged(s, week) for s in mine) * 2 > max(len(mine), 1)
    false = 0
    for w in range(WARMUP, weeks):
        for (theme, week), (status, sources, _) in theme_week.items():
            if week != week_names[w]:
                continue
            result.shown[status] += 1
            counts = theme_roles.get((theme, week), Counter())
            if _flagged(status, sources) and counts["background"] * 2 > sum(counts.values()):
                false += 1
    result.false_flags_per_week = round(false / max(weeks - WARMUP, 1), 2)
    return result


def _signals(conn: sqlite3.Connection) -> dict[str, set[int]]:
    """Stories of the term signals the digest reports, per week: the ``MAX_TERM_SIGNALS`` strongest of the
    week, every story of each (the digest lists 3 and counts the others); empty when the database has none.
    (The digest also leaves out a signal whose stories all sit in one theme it shows: those stories are
    in a flagged theme already, so counting them here changes nothing.)"""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "signal_stories" not in tables:
        return {}
    strength: dict[str, list[tuple[float, str]]] = {}
    for week, label, reason in conn.execute("SELECT week, label, reason FROM signals"):
        z = json.loads(reason or "{}").get("z", 0.0)
        strength.setdefault(week, []).append((-float(z), label))
    reported = {(week, label) for week, pairs in strength.items() for _, label in sorted(pairs)[:MAX_TERM_SIGNALS]}
    out: dict[str, set[int]] = {}
    for week, label, story in conn.execute("SELECT week, label, story_id FROM signal_stories"):
        if (week, label) in reported:
            out.setdefault(week, set()).add(int(story))
    return out


# ------------------------------------------------------------------------------------------- report


def run(names: Sequence[str], seeds: int, weeks: int, first_seed: int = 0) -> list[RunResult]:
    embedder = CachingEmbedder()
    results: list[RunResult] = []
    for seed in range(first_seed, first_seed + seeds):
        for scenario in scenarios(names, weeks, random.Random(1000 + seed)):
            began = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                db = replay(scenario, seed, weeks, Path(tmp), embedder)
                roles = json.loads((Path(tmp) / "roles.json").read_text(encoding="utf-8"))
                result = measure(scenario, seed, weeks, db, roles)
            result.seconds = round(time.perf_counter() - began, 1)
            results.append(result)
            print(f"  {scenario.name} seed {seed}: {_line(result)} ({result.seconds} s)", file=sys.stderr, flush=True)
    return results


def _line(r: RunResult) -> str:
    parts = []
    if r.ramp_shares:
        parts.append(f"delay {r.delay}, shares {r.ramp_shares}, growing {r.growing_share}, {'/'.join(r.ramp_statuses)}")
    if r.fading_delay is not None or r.scenario == "drop":
        parts.append(f"fading delay {r.fading_delay}")
    if r.burst_flagged is not None:
        parts.append(f"burst flagged {r.burst_flagged}")
    parts.append(f"false flags/week {r.false_flags_per_week}")
    return "; ".join(parts)


def table(results: list[RunResult], weeks: int) -> str:
    rows = [
        "| scenario | runs | weeks to first flag | ramp share after week 1 | fading delay | burst flagged "
        "| false flags/week | statuses shown (new/rising/steady/fading per week) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(r.scenario for r in results):
        mine = [r for r in results if r.scenario == name]
        delays = [r.delay for r in mine if r.ramp_shares]
        delay = "-" if not delays else ", ".join("never" if d is None else str(d) for d in delays)
        growing = [r.growing_share for r in mine if r.growing_share is not None]
        fading = [r.fading_delay for r in mine if r.scenario == "drop"]
        bursts = [r.burst_flagged for r in mine if r.burst_flagged is not None]
        shown = Counter[str]()
        for r in mine:
            shown.update(r.shown)
        per = max(len(mine) * max(weeks - WARMUP, 1), 1)
        rows.append(
            f"| {name} | {len(mine)} | {delay} | "
            + (f"{statistics.mean(growing):.0%}" if growing else "-")
            + " | "
            + (", ".join("never" if d is None else str(d) for d in fading) if fading else "-")
            + " | "
            + (f"{sum(bursts)}/{len(bursts)}" if bursts else "-")
            + f" | {statistics.mean(r.false_flags_per_week for r in mine):.2f} | "
            + "/".join(f"{shown[s] / per:.1f}" for s in trends.STATUSES)
            + " |"
        )
    return "\n".join(rows)


ALL = ("ramp", "ramp_near", "ramp_sub", "drop", "burst", "stationary", "bilingual")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="first seed (calibrate on others than the report's)")
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--scenarios", default=",".join(ALL))
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args()
    began = time.perf_counter()
    results = run(args.scenarios.split(","), args.seeds, args.weeks, args.first_seed)
    print(table(results, args.weeks))
    print(f"\n{len(results)} runs in {time.perf_counter() - began:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps([{**r.__dict__, "shown": dict(r.shown)} for r in results], indent=1), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
