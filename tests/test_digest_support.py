"""A realistic week (2026-W48) written into a real SQLite file with plain INSERTs, for the digest tests.

No test here: the other ``test_digest*`` modules import these helpers.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from veille.adapters.process_store import ThemeStore
from veille.adapters.store import Store
from veille.models import DigestSettings, FeedConfig, MailSettings, Settings

WEEK = "2026-W48"
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # the Monday after

FEEDS = [
    # id, name, url, lang
    (1, "EdSurge", "https://www.edsurge.com/articles_rss", "en"),
    (2, "Thot Cursus", "https://cursus.edu/fr/rss", "fr"),
    (3, "eLearning Industry", "https://elearningindustry.com/feed", "en"),
    (4, "Learning Solutions", "https://learningsolutionsmag.com/rss", "en"),
    (5, "Le Café pédagogique", "https://www.cafepedagogique.net/feed/", "fr"),
    (6, "Docebo Blog", "https://www.docebo.com/learning-network/blog/feed/", "en"),
    (7, "ActuEL RH Formation", "https://www.actuel-rh.fr/rss/formation", "fr"),
]


def story(
    conn: sqlite3.Connection,
    story_id: int,
    title: str,
    url: str | None,
    summary: str,
    feeds: list[int],
    published: str,
    *,
    formats: tuple[tuple[str, float], ...] = (),
    theme: tuple[int, str] | None = None,
    lang: str = "en",
) -> None:
    """One story carried by ``feeds``: a lead item, one sighting per feed, its formats and theme."""
    item_id = story_id * 10
    conn.execute(
        "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, categories, published_at,"
        " first_seen_at, lang, feed_id) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?)",
        (
            item_id,
            url,
            f"hash-{story_id}",
            url,
            title,
            summary,
            f"<p>{summary}</p>",
            published,
            published,
            lang,
            feeds[0],
        ),
    )
    for feed_id in feeds:
        conn.execute(
            "INSERT INTO sightings (feed_id, entry_key, item_id, seen_at, published_at) VALUES (?, ?, ?, ?, ?)",
            (feed_id, f"entry-{story_id}-{feed_id}", item_id, published, published),
        )
    conn.execute(
        "INSERT INTO stories (id, first_at, last_at, lead_item_id) VALUES (?, ?, ?, ?)",
        (story_id, published, published, item_id),
    )
    conn.execute("INSERT INTO story_items (item_id, story_id) VALUES (?, ?)", (item_id, story_id))
    for fmt, score in formats:
        conn.execute("INSERT INTO item_formats (item_id, format, score) VALUES (?, ?, ?)", (item_id, fmt, score))
    if theme is not None:
        conn.execute(
            "INSERT INTO story_themes (story_id, week, theme_id) VALUES (?, ?, ?)", (story_id, theme[1], theme[0])
        )


def theme(
    conn: sqlite3.Connection,
    theme_id: int,
    label: str,
    keywords: list[str],
    weeks: dict[str, tuple[int, int, str]],
    *,
    weak: bool = False,
    reason: dict[str, int | float] | None = None,
) -> None:
    """A theme with its rows of ``theme_weeks``: ``{week: (stories, sources, status)}``.

    Each row stores the reason trend scoring gives (``reason`` for the digest's week, else its volume)."""
    first, last = min(weeks), max(weeks)
    conn.execute(
        "INSERT INTO themes (id, first_week, last_week, label) VALUES (?, ?, ?, ?)", (theme_id, first, last, label)
    )
    for week, (stories, sources, status) in weeks.items():
        conn.execute(
            "INSERT INTO theme_weeks (theme_id, week, stories, items, sources, keywords, status, weak_signal, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                theme_id,
                week,
                stories,
                stories + 2,
                sources,
                json.dumps(keywords),
                status,
                int(weak and week == WEEK),
                json.dumps(
                    reason
                    if reason is not None and week == WEEK
                    else {"stories": stories, "sources": sources, "novelty": 0.52}
                ),
            ),
        )


def term_signal(
    conn: sqlite3.Connection, label: str, story_ids: list[int], reason: dict[str, int | float], week: str = WEEK
) -> None:
    """A row of ``signals`` as ``veille process`` stores it, its sources counted from the stories' feeds."""
    marks = ",".join("?" * len(story_ids))
    sources = conn.execute(
        f"SELECT COUNT(DISTINCT sg.feed_id) FROM story_items si JOIN sightings sg ON sg.item_id = si.item_id"
        f" WHERE si.story_id IN ({marks})",
        story_ids,
    ).fetchone()[0]
    full = {"ratio": 2.0, "z": 3.6, "baseline_weeks": 4, "sources": sources, "stories": len(story_ids), **reason}
    conn.execute(
        "INSERT INTO signals (week, label, stories, sources, reason) VALUES (?, ?, ?, ?, ?)",
        (week, label, len(story_ids), sources, json.dumps(full, sort_keys=True)),
    )
    conn.executemany(
        "INSERT INTO signal_stories (week, label, story_id) VALUES (?, ?, ?)", [(week, label, i) for i in story_ids]
    )


def populate(store: Store, *, hostile_title: str | None = None) -> None:
    """Feeds, a previous digest, two trends, a weak signal, formats, health events and plain stories."""
    with store.transaction() as conn:
        for feed_id, name, url, lang in FEEDS:
            conn.execute(
                "INSERT INTO feeds (id, config_url, url, name, lang, added_at) VALUES (?, ?, ?, ?, ?, ?)",
                (feed_id, url, url, name, lang, "2026-09-01T00:00:00+00:00"),
            )
        theme(
            conn,
            1,
            "IA générative, tuteurs",
            ["ia générative", "tuteur", "chatbot", "évaluation"],
            {
                "2026-W44": (1, 1, "steady"),
                "2026-W45": (2, 2, "steady"),
                "2026-W46": (1, 1, "steady"),
                "2026-W47": (2, 2, "steady"),
                WEEK: (6, 5, "rising"),
            },
            reason={"stories": 6, "sources": 5, "baseline_mean": 1.5, "baseline_weeks": 4, "ratio": 4.0, "z": 3.6},
        )
        theme(
            conn,
            2,
            "open badges, certification",
            ["open badges", "certification", "compétences"],
            {WEEK: (3, 3, "new")},
        )
        theme(
            conn,
            3,
            "casques VR, soudure",
            ["réalité virtuelle", "soudure", "simulateur"],
            {WEEK: (2, 2, "new")},
            weak=True,
        )
        theme(
            conn,
            4,
            "LMS, migration",
            ["lms-platforms", "migration"],
            {"2026-W47": (3, 2, "steady"), WEEK: (2, 2, "steady")},
        )

        # Last week's digest already showed story 1: it must not come back, even though it is active.
        story(
            conn,
            1,
            "Old news already sent",
            "https://www.edsurge.com/news/old",
            "Sent last week.",
            [1, 3],
            "2026-11-22T09:00:00+00:00",
        )
        conn.execute("UPDATE stories SET last_at = '2026-11-24T10:00:00+00:00' WHERE id = 1")
        conn.execute(
            "INSERT INTO digests VALUES ('2026-W47', '2026-11-23T07:00:00+00:00', 'fr', 's', '<m@x>', 'a', 'b', 'c')"
        )
        conn.execute("INSERT INTO digest_stories VALUES (1, '2026-W47')")

        ai = (1, WEEK)
        story(
            conn,
            10,
            "AI tutors reach 40 community colleges",
            "https://www.edsurge.com/news/ai-tutors-colleges",
            "A pilot of generative AI tutors in 40 colleges reports higher completion in maths courses.",
            [1, 3, 4, 6],
            "2026-11-24T14:00:00+00:00",
            formats=(("ai-learning", 0.81),),
            theme=ai,
        )
        story(
            conn,
            11,
            "Tuteurs IA : ce que change l'évaluation formative",
            "https://cursus.edu/fr/31000/tuteurs-ia-evaluation",
            "Des universités françaises testent des tuteurs conversationnels pour l'évaluation formative.",
            [2, 5, 7],
            "2026-11-25T08:30:00+00:00",
            formats=(("ai-learning", 0.77), ("microlearning", 0.52)),
            theme=ai,
            lang="fr",
        )
        story(
            conn,
            12,
            "Chatbots for onboarding: a field report",
            "https://elearningindustry.com/chatbots-onboarding",
            "Three companies share numbers on chatbot-guided onboarding.",
            [3, 6],
            "2026-11-26T16:00:00+00:00",
            formats=(("ai-learning", 0.64),),
            theme=ai,
        )
        story(
            conn,
            13,
            "Prompting as a workplace skill",
            "https://learningsolutionsmag.com/prompting-skill",
            "Why L&D teams add prompt writing to their skills frameworks.",
            [4],
            "2026-11-27T10:00:00+00:00",
            formats=(("ai-learning", 0.7),),
            theme=ai,
        )

        badges = (2, WEEK)
        story(
            conn,
            20,
            "Open badges : France Compétences ouvre un référentiel",
            "https://www.actuel-rh.fr/content/open-badges-france-competences",
            "Les open badges entrent dans un référentiel national de certification des compétences.",
            [7, 2, 5],
            "2026-11-23T11:00:00+00:00",
            formats=(("credentials", 0.83),),
            theme=badges,
            lang="fr",
        )
        story(
            conn,
            21,
            "Digital credentials in corporate academies",
            "https://www.docebo.com/blog/credentials",
            "Corporate academies issue verifiable credentials for internal programmes.",
            [6, 3],
            "2026-11-28T09:00:00+00:00",
            formats=(("credentials", 0.74),),
            theme=badges,
        )

        vr = (3, WEEK)
        story(
            conn,
            30,
            "Des casques VR pour apprendre la soudure",
            "https://www.cafepedagogique.net/vr-soudure",
            "Un lycée professionnel forme à la soudure sur simulateur en réalité virtuelle.",
            [5, 2],
            "2026-11-26T07:00:00+00:00",
            formats=(("immersive", 0.79),),
            theme=vr,
            lang="fr",
        )

        story(
            conn,
            40,
            "Microlearning in the flow of work: 5-minute modules",
            "https://elearningindustry.com/micro",
            "Short modules pushed in chat tools raise completion, a survey of 300 learners finds.",
            [3, 4],
            "2026-11-24T12:00:00+00:00",
            formats=(("microlearning", 0.8),),
        )
        story(
            conn,
            41,
            "Le microlearning à l'épreuve des chiffres",
            "https://cursus.edu/fr/31010/microlearning",
            "Une méta-analyse nuance les gains du microlearning sur la rétention.",
            [2],
            "2026-11-27T15:00:00+00:00",
            formats=(("microlearning", 0.72),),
            lang="fr",
        )
        story(
            conn,
            42,
            "Migrating 20,000 learners to a new LMS",
            "https://www.docebo.com/blog/lms-migration",
            "Lessons from a large LMS migration in retail.",
            [6],
            "2026-11-25T13:00:00+00:00",
            formats=(("lms-platforms", 0.69),),
            theme=(4, WEEK),
        )
        story(
            conn,
            43,
            "Podcast : la formation des enseignants au numérique",
            None,
            "Un épisode sur la formation continue des enseignants.",
            [5],
            "2026-11-29T18:00:00+00:00",
            formats=(("podcast", 0.9),),
            lang="fr",
        )
        story(
            conn,
            44,
            "Untagged story about L&D budgets",
            "https://learningsolutionsmag.com/budgets",
            "Budgets for learning and development in 2027.",
            [4],
            "2026-11-28T12:00:00+00:00",
        )
        if hostile_title is not None:
            story(
                conn,
                50,
                hostile_title,
                "javascript:alert('Executed')",
                '<p onclick="alert(1)">Broken <b>HTML <script>alert(\'x\')</script><a href="javascript:evil()">'
                "click</a> &lt;script&gt;alert(2)&lt;/script&gt;",
                [1, 2, 3, 4, 5],
                "2026-11-24T10:00:00+00:00",
                formats=(("microlearning", 0.99),),
            )

        # a key phrase that burst this week (core.signals), across a trend's story and a story of no theme
        term_signal(conn, "completion", [10, 40], {"weeks": 1, "count": 2, "this_week": 2, "expected": 0.2})

        format_history(conn)
        # the four weeks before: AI stories as usual, microlearning now and then (so it is the format on
        # the move this week, and "AI in learning" is not)
        for week_no, day in enumerate(("2026-10-28", "2026-11-04", "2026-11-11", "2026-11-18")):
            for n in range(3):
                story(
                    conn,
                    500 + 10 * week_no + n,
                    f"AI in learning, week {44 + week_no} story {n + 1}",
                    f"https://www.edsurge.com/news/ai-{week_no}-{n}",
                    "An earlier story about AI in learning.",
                    [1 + n],
                    f"{day}T09:00:00+00:00",
                    formats=(("ai-learning", 0.8),),
                )
            if week_no % 2:
                story(
                    conn,
                    509 + 10 * week_no,
                    f"Microlearning, week {44 + week_no}",
                    f"https://elearningindustry.com/micro-{week_no}",
                    "An earlier story about microlearning.",
                    [3],
                    f"{day}T11:00:00+00:00",
                    formats=(("microlearning", 0.8),),
                )

        # next week: not in this digest
        story(
            conn,
            60,
            "Next week's news",
            "https://www.edsurge.com/news/next",
            "Later.",
            [1],
            "2026-12-01T09:00:00+00:00",
        )

        events = [
            (3, "2026-11-24T06:00:00+00:00", "error", 503, "HTTP 503 Service Unavailable"),
            (3, "2026-11-25T06:00:00+00:00", "error", 503, "HTTP 503 Service Unavailable"),
            (4, "2026-11-26T06:00:00+00:00", "moved", 301, "https://learningsolutionsmag.com/feed.xml"),
            (7, "2026-11-27T06:00:00+00:00", "gone", 410, "HTTP 410 Gone"),
            (1, "2026-11-27T06:00:00+00:00", "ok", 200, None),
            (2, "2026-11-20T06:00:00+00:00", "error", 500, "last week: not reported"),
        ]
        conn.executemany("INSERT INTO feed_events (feed_id, at, kind, status, detail) VALUES (?, ?, ?, ?, ?)", events)
    mark_processed(store)


def mark_processed(store: Store) -> None:
    """Record every week as clustered from its stories as they are now, as ``veille process`` does."""
    themes = ThemeStore(store)
    with store.transaction():
        for week, signature in themes.story_weeks().items():
            themes.mark_processed(week, signature, NOW)


def make_settings(tmp_path: Path, *, language: str = "fr", mail: MailSettings | None = None) -> Settings:
    config = tmp_path / "feeds.yaml"
    return Settings(
        config_path=config,
        feeds=tuple(FeedConfig(url=url, name=name, lang=lang) for _id, name, url, lang in FEEDS),
        data_dir=tmp_path / ".veille",
        database=tmp_path / ".veille" / "veille.db",
        digest=replace(DigestSettings(), language=language),
        mail=mail or MailSettings(),
    )


def format_history(conn: sqlite3.Connection) -> None:
    """Seven earlier weeks (2026-W41 … W47) for the format radar: MOOC at 4 stories a week, then 1, then
    none this week (fading); AI learning once in W41, 5 stories from 5 sources in W47, then this week's
    4 (rising over the last two weeks). None of them is active in the digest's week."""
    weeks = ["2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    story_id = 100
    for n, week in enumerate(weeks):
        moocs = 1 if week == "2026-W47" else 4
        for k in range(moocs):
            story_id += 1
            day = datetime.fromisocalendar(int(week[:4]), int(week[-2:]), 1 + k).replace(hour=9, tzinfo=UTC)
            story(conn, story_id, f"MOOC news {week} #{k}", f"https://mooc.example/{week}/{k}", "A MOOC.",
                  [1 + (n + k) % 7], day.isoformat(), formats=(("mooc", 0.8),))  # fmt: skip
    for week, count in (("2026-W41", 1), ("2026-W47", 5)):
        for k in range(count):
            story_id += 1
            day = datetime.fromisocalendar(int(week[:4]), int(week[-2:]), 1 + k % 5).replace(hour=11, tzinfo=UTC)
            story(conn, story_id, f"AI in learning {week} #{k}", f"https://ai.example/{week}/{k}", "AI.",
                  [1 + k], day.isoformat(), formats=(("ai-learning", 0.8),))  # fmt: skip
