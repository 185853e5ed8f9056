"""Six weeks of a realistic watch (2026-W43 … W48) written into a real SQLite file, for the site tests.

No test here: the other ``test_site*`` modules import these helpers. Plain INSERTs against the real
schema: feeds with a health history (errors, a move, a 410), stories carried by several feeds, learning
formats (video rising, serious games fading on the format radar), three themes (one rising, one new, one
fading), two digests (one archived on disk), an item
not yet grouped into a story, and a hostile feed title.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from veille.adapters.store import Store
from veille.core.weeks import week_bounds
from veille.models import DigestSettings, Settings, SiteSettings

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # Wednesday of 2026-W49
WEEKS = ["2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48"]
HOSTILE = 'Badges <script>alert("x")</script> & <img src=x onerror=alert(1)> numériques'

FEEDS = [
    # id, name, url, lang
    (1, "EdSurge", "https://www.edsurge.com/articles_rss", "en"),
    (2, "Thot Cursus", "https://cursus.edu/fr/rss", "fr"),
    (3, "eLearning Industry", "https://elearningindustry.com/feed", "en"),
    (4, "Learning Solutions", "https://learningsolutionsmag.com/rss", "en"),
    (5, "Le Café pédagogique", "https://www.cafepedagogique.net/feed/", "fr"),
    (6, "Docebo Blog", "https://www.docebo.com/learning-network/blog/feed/", "en"),
]


def make_settings(tmp_path: Path, language: str = "fr") -> Settings:
    return Settings(
        config_path=tmp_path / "feeds.yaml",
        feeds=(),
        data_dir=tmp_path / "data",
        database=tmp_path / "data" / "veille.db",
        digest=DigestSettings(language=language, title="Veille DLM"),
        site=SiteSettings(out_dir=tmp_path / "site"),
    )


def at(week: str, day: int, hour: int = 9) -> str:
    start, _ = week_bounds(week)
    return (start + timedelta(days=day, hours=hour)).isoformat(timespec="seconds")


def add_story(
    conn: sqlite3.Connection,
    story_id: int,
    title: str,
    url: str,
    summary: str,
    feeds: list[int],
    published: str,
    *,
    formats: tuple[tuple[str, float], ...] = (),
    theme: tuple[int, str] | None = None,
    lang: str = "en",
) -> None:
    """A story with one item per feed (each copy titled a little differently), formats and theme."""
    for n, feed_id in enumerate(feeds):
        item_id = story_id * 10 + n
        item_url = url if n == 0 else f"{url}?via={feed_id}"
        conn.execute(
            "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, categories, published_at,"
            " first_seen_at, lang, feed_id) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?)",
            (
                item_id,
                item_url,
                f"hash-{item_id}",
                item_url,
                title if n == 0 else f"{title} ({n})",
                summary,
                f"<p>{summary}</p>",
                published,
                published,
                lang,
                feed_id,
            ),
        )
        conn.execute(
            "INSERT INTO sightings (feed_id, entry_key, item_id, seen_at, published_at) VALUES (?, ?, ?, ?, ?)",
            (feed_id, f"entry-{item_id}", item_id, published, published),
        )
        for fmt, score in formats:
            conn.execute("INSERT INTO item_formats (item_id, format, score) VALUES (?, ?, ?)", (item_id, fmt, score))
    conn.execute(
        "INSERT INTO stories (id, first_at, last_at, lead_item_id) VALUES (?, ?, ?, ?)",
        (story_id, published, published, story_id * 10),
    )
    conn.executemany(
        "INSERT INTO story_items (item_id, story_id) VALUES (?, ?)",
        [(story_id * 10 + n, story_id) for n in range(len(feeds))],
    )
    if theme is not None:
        conn.execute(
            "INSERT INTO story_themes (story_id, week, theme_id) VALUES (?, ?, ?)", (story_id, theme[1], theme[0])
        )


def add_theme(
    conn: sqlite3.Connection, theme_id: int, label: str, rows: dict[str, tuple[int, int, str, list[str]]]
) -> None:
    """``rows``: ``{week: (stories, sources, status, keywords)}``."""
    conn.execute(
        "INSERT INTO themes (id, first_week, last_week, label) VALUES (?, ?, ?, ?)",
        (theme_id, min(rows), max(rows), label),
    )
    for week, (stories, sources, status, keywords) in rows.items():
        conn.execute(
            "INSERT INTO theme_weeks (theme_id, week, stories, items, sources, keywords, status, weak_signal)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (theme_id, week, stories, stories + 1, sources, json.dumps(keywords), status, int(theme_id == 3)),
        )


AI_TITLES = [
    "AI tutors reach 40 community colleges",
    "Generative AI coaches for sales onboarding",
    "Tuteurs IA : ce que change l'évaluation formative",
    "Chatbots for onboarding: a field report",
    "An AI teaching assistant answers 10,000 questions",
    "Assistants IA en formation professionnelle : ce que j'ai appris",
]


def populate(store: Store, tmp_path: Path) -> None:
    with store.transaction() as conn:
        for feed_id, name, url, lang in FEEDS:
            conn.execute(
                "INSERT INTO feeds (id, config_url, url, name, lang, added_at, last_success_at, last_new_item_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (feed_id, url, url, name, lang, "2026-10-01T00:00:00+00:00", at("2026-W48", 6), at("2026-W48", 5)),
            )
        # health: a feed that moved, one that failed then recovered, one gone
        conn.execute(
            "UPDATE feeds SET url = 'https://elearningindustry.com/rss', moved_from = url, moved_at = ? WHERE id = 3",
            (at("2026-W46", 2),),
        )
        conn.execute(
            "UPDATE feeds SET status = 'gone', last_error = 'gone (HTTP 410)', last_error_at = ?,"
            " consecutive_failures = 1 WHERE id = 6",
            (at("2026-W48", 3),),
        )
        events = [
            (
                3,
                at("2026-W46", 2),
                "moved",
                301,
                "https://elearningindustry.com/feed -> https://elearningindustry.com/rss",
            ),
            (4, at("2026-W47", 1), "error", 503, "server error (HTTP 503)"),
            (4, at("2026-W47", 2), "error", None, "timeout after 30 s"),
            (6, at("2026-W48", 3), "gone", 410, "gone (HTTP 410)"),
        ]
        for feed_id, when, kind, status, detail in events:
            conn.execute(
                "INSERT INTO feed_events (feed_id, at, kind, status, detail) VALUES (?, ?, ?, ?, ?)",
                (feed_id, when, kind, status, detail),
            )
        for feed_id, *_ in FEEDS:
            for n, week in enumerate(WEEKS):
                conn.execute(
                    "INSERT INTO feed_events (feed_id, at, kind, status, new_items) VALUES (?, ?, 'ok', 200, 2)",
                    (feed_id, at(week, n % 5, 6)),
                )

        add_theme(
            conn,
            1,
            "IA générative, tuteurs",
            {
                "2026-W45": (1, 1, "new", ["tuteur", "ia"]),
                "2026-W46": (1, 1, "steady", ["tuteur", "ia", "chatbot"]),
                "2026-W47": (1, 1, "steady", ["chatbot", "onboarding"]),
                "2026-W48": (3, 4, "rising", ["ia générative", "tuteur", "évaluation"]),
            },
        )
        add_theme(conn, 2, "open badges, certification", {"2026-W48": (2, 2, "new", ["open badges", "compétences"])})
        add_theme(
            conn,
            3,
            "MOOC, complétion",
            {
                "2026-W43": (3, 3, "steady", ["mooc", "complétion"]),
                "2026-W44": (2, 2, "steady", ["mooc", "certificat"]),
                "2026-W45": (1, 1, "fading", ["mooc"]),
            },
        )

        story_id = 100
        # MOOC stories early on (fading theme)
        for n, week in enumerate(["2026-W43", "2026-W43", "2026-W44", "2026-W45"]):
            story_id += 1
            add_story(
                conn,
                story_id,
                f"MOOC completion rates, part {n + 1}",
                f"https://cursus.edu/fr/mooc-{n}",
                "Les taux de complétion des MOOC restent bas selon une nouvelle étude.",
                [2, 5] if n % 2 == 0 else [2],
                at(week, n),
                formats=(("mooc", 0.8),),
                theme=(3, week),
                lang="fr",
            )
        # AI tutors, rising
        ai_weeks = ["2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W48", "2026-W48"]
        for n, (week, title) in enumerate(zip(ai_weeks, AI_TITLES, strict=True)):
            story_id += 1
            add_story(
                conn,
                story_id,
                title,
                f"https://www.edsurge.com/news/ai-{n}",
                "A pilot of generative AI tutors reports higher completion in maths courses.",
                [1, 3, 4, 6][: 1 + n % 4],
                at(week, n % 5, 10),
                formats=(("ai-learning", 0.81), ("microlearning", 0.4)) if n % 2 else (("ai-learning", 0.7),),
                theme=(1, week),
                lang="fr" if "IA" in title else "en",
            )
        # open badges, new in W48 — one with a hostile title
        for n, title in enumerate([HOSTILE, "Open Badges 3.0 adopted by a European network"]):
            story_id += 1
            add_story(
                conn,
                story_id,
                title,
                f"https://www.cafepedagogique.net/badges-{n}",
                "Les open badges gagnent les universités <b>et</b> les entreprises.",
                [5, 2],
                at("2026-W48", 2 + n),
                formats=(("credentials", 0.9),),
                theme=(2, "2026-W48"),
                lang="fr",
            )
        # background stories without a theme, one per week
        for n, week in enumerate(WEEKS):
            story_id += 1
            add_story(
                conn,
                story_id,
                f"Podcast episode {n + 1}: learning in the flow of work",
                f"https://learningsolutionsmag.com/podcast-{n}",
                "A conversation about workplace learning.",
                [4],
                at(week, 4, 15),
                formats=(("podcast", 0.75),),
            )
        # the format radar: video climbs (1 a week, then 4 and 6 from every source), serious games fade
        for week, videos, games in zip(WEEKS, (1, 1, 1, 1, 4, 6), (4, 4, 4, 4, 1, 0), strict=True):
            for n in range(videos + games):
                story_id += 1
                video = n < videos
                add_story(
                    conn,
                    story_id,
                    f"{'Video case study' if video else 'Serious game roundup'} {week[-3:]} #{n + 1}",
                    f"https://elearningindustry.com/{'video' if video else 'game'}-{week}-{n}",
                    "A report from the field.",
                    [1 + n % 6],
                    at(week, n % 5, 8),
                    formats=(("video", 0.8),) if video else (("serious-games", 0.8),),
                )
        # an item fetched but not yet grouped into a story
        conn.execute(
            "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, categories, published_at,"
            " first_seen_at, lang, feed_id) VALUES (9001, 'https://www.docebo.com/ungrouped', 'hash-9001',"
            " 'https://www.docebo.com/ungrouped', 'Fresh item not yet processed', 'Just fetched.', '<p>x</p>', '[]',"
            " ?, ?, 'en', 6)",
            (at("2026-W48", 6), at("2026-W48", 6)),
        )
        conn.execute(
            "INSERT INTO sightings (feed_id, entry_key, item_id, seen_at, published_at)"
            " VALUES (6, 'e9001', 9001, ?, ?)",
            (at("2026-W48", 6), at("2026-W48", 6)),
        )

        # two digests: W47 archived on disk, W48 whose archive file has gone missing
        archive = tmp_path / "digests" / "digest-2026-W47.html"
        archive.parent.mkdir(parents=True, exist_ok=True)
        archive.write_text("<!DOCTYPE html><html lang='fr'><title>Digest S47</title><p>Le digest S47</p></html>")
        for week, path in (("2026-W47", archive), ("2026-W48", tmp_path / "digests" / "missing.html")):
            conn.execute(
                "INSERT INTO digests VALUES (?, ?, 'fr', ?, ?, ?, 'x.txt', 'x.eml')",
                (
                    week,
                    at(shift(week), 0, 7),
                    f"Veille DLM — semaine {int(week[-2:])}",
                    f"<{week}@veille>",
                    str(path),
                ),
            )
        conn.execute("INSERT INTO digest_stories VALUES (107, '2026-W47')")  # the W47 AI story
        conn.execute("INSERT INTO digest_stories VALUES (108, '2026-W48')")
        conn.execute("INSERT INTO digest_stories VALUES (111, '2026-W48')")
        # the lines the W48 digest opened with (the home page shows them first)
        conn.executemany(
            "INSERT INTO digest_brief VALUES ('2026-W48', ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (0, "theme", "1", "Thème en hausse", "IA générative, tuteurs",
                 "A pilot of generative AI tutors reports higher completion in maths courses.",
                 "3 sujets de 4 sources, contre 0,8 par semaine les 4 semaines d'avant",
                 "https://www.edsurge.com/news/ai-3"),
                (1, "story", "108", "Très repris", "Tuteurs IA à l'université",
                 "Des universités testent <img src=x onerror=alert(1)> des tuteurs conversationnels.",
                 "repris par 2 sources", "https://www.edsurge.com/news/ai-4"),
                (2, "format", "credentials", "Format en mouvement", "Open badges",
                 "Les open badges gagnent les universités et les entreprises.",
                 "2 sujets cette semaine, aucun les 4 semaines d'avant", "javascript:alert(1)"),
            ],
        )  # fmt: skip


def shift(week: str) -> str:
    from veille.core.weeks import shift_week

    return shift_week(week, 1)
