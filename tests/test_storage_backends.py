"""The storage interface on both backends: the SQLite file (default) and a real PostgreSQL server started
by the test session (tests/postgres_server.py). What a user notices must not depend on the backend:
the same fetch, the same counts, the same digest and site.

Real parts: a loopback feed server, `python -m veille.cli` (CliRunner), a SQLite file, a PostgreSQL
server, an SMTP server (aiosmtpd).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from tests.conftest import need_shared
from tests.feedserver import FeedServer
from tests.postgres_server import storage_yaml
from tests.storage_support import rss
from tests.test_digest_mail import Inbox, free_port
from veille.adapters.digest_store import DigestRow
from veille.adapters.storage import open_storage
from veille.cli import cli
from veille.config import load
from veille.core.digest import BriefLine

NOW = "2026-11-25T06:00:00Z"
LATER = "2026-11-25T09:00:00Z"


def run(config: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def write_config(folder: Path, urls: list[str], url: str | None, extra: str = "") -> Path:
    config = folder / "feeds.yaml"
    lines = ["feeds:", *(f"  - url: {u}" for u in urls)]
    config.write_text("\n".join(lines) + "\n" + storage_yaml(url) + extra, encoding="utf-8")
    return config


def test_fetch_stats_and_a_second_fetch_behave_the_same_on_each_backend(tmp_path: Path, backend: str | None) -> None:
    with FeedServer({}) as server:
        server.register("/a.xml", rss("alpha", 5))
        server.register("/b.xml", rss("beta", 3))
        server.register("/missing-here.xml", b"not a feed at all")
        config = write_config(tmp_path, [server.url(p) for p in ("/a.xml", "/b.xml", "/missing-here.xml")], backend)
        code, _, err = run(config, "fetch")
        assert code == 3, err  # one feed failed: partial
        code, out, err = run(config, "stats", "--json")
        assert code == 0, err
        stats = json.loads(out)
        assert (stats["feeds"], stats["feeds_failing"], stats["items"], stats["stories"]) == (3, 1, 8, 8)
        assert stats["audiences"] == {"corporate": 0, "higher-ed": 0, "school": 0, "general": 0}
        # once `veille process` decided each item's audience, stats counts them per audience
        from veille.adapters.storage import open_storage
        from veille.config import load

        store = open_storage(load(config))
        try:
            items = store.items.items_to_embed("m")
            chosen = ["corporate", "corporate", "school", "general", "general", "general", "higher-ed", "school"]
            store.items.save_audiences("sig", [(i, a, "text", 0.5, ()) for i, a in zip(items, chosen, strict=True)])
        finally:
            store.close()
        stats = json.loads(run(config, "stats", "--json")[1])
        assert stats["audiences"] == {"corporate": 2, "higher-ed": 1, "school": 2, "general": 3}
        out = run(config, "stats")[1]
        assert "publics : Entreprise 2, Enseignement supérieur 1, École 2, Tous publics 3" in out  # French names

        server.register("/a.xml", rss("alpha", 6))  # one new post
        code, _, err = run(config, "fetch", now=LATER)
        assert code == 3, err
        assert server.hits("/a.xml") == 2 and server.hits("/b.xml") == 2
        stats = json.loads(run(config, "stats", "--json")[1])
        assert stats["items"] == 9
        code, out, err = run(config, "feeds", "list")
        assert code == 0, err
        assert "alpha" in out and "beta" in out
    # the database lives where feeds.yaml says: PostgreSQL leaves no SQLite file behind
    assert (tmp_path / ".veille" / "veille.db").exists() == (backend is None)


def test_every_repository_round_trips_its_data_on_each_backend(tmp_path: Path, backend: str | None) -> None:
    config = write_config(tmp_path, ["https://example.org/feed.xml"], backend)
    settings = load(config)
    now = datetime(2026, 11, 25, 6, tzinfo=UTC)
    with FeedServer({}) as server:
        server.register("/feed.xml", rss("gamma", 4))
        config = write_config(tmp_path, [server.url("/feed.xml")], backend)
        assert run(config, "fetch")[0] == 0
        settings = load(config)
    store = open_storage(settings)
    try:
        assert store.version >= 6
        items = store.items.items_to_embed("m")
        assert [item.title for item in items] == [f"gamma post {i}: learning news" for i in range(4, 0, -1)]
        vectors = np.random.default_rng(1).standard_normal((4, 8)).astype(np.float32)
        store.items.save_embeddings("m", items, vectors, langs=["en"] * 4)
        assert store.items.count_to_embed("m") == 0
        ids = [item.id for item in items]
        assert np.array_equal(store.items.vectors(ids[::-1]), vectors[::-1])  # bytes kept exactly, any order
        feed = store.themes.item_feeds(ids)[ids[0]]
        assert store.items.item_feed_ids(ids) == {item_id: [feed] for item_id in ids}
        assert store.items.latest_of_feeds([feed], "m", 3) == {feed: ids[:3]}  # newest first (post 4, 3, 2)
        assert store.items.latest_of_feeds([feed], "another model", 3) == {feed: []}
        count, total = store.themes.language_sums("m")["en"]
        assert count == 4 and np.allclose(total, vectors.astype(np.float64).sum(axis=0))

        with store.transaction():
            story = store.themes.add_to_story(None, ids[:2], vectors[0], now, now)
            again = store.themes.add_to_story(story, ids[2:3], vectors[1], now.replace(hour=1), now)
            theme = store.themes.new_theme("2026-W48", "tutors", vectors[0])
            store.themes.save_theme_week(
                theme,
                "2026-W48",
                stories=[story],
                items=3,
                sources=1,
                top_source=3,
                keywords=["tutors", "ai"],
                status="new",
                weak_signal=False,
                reason={"stories": 1},
                centroid=vectors[0],
                titles={"fr": "Tuteurs", "en": "Tutors"},
            )
            store.themes.mark_processed("2026-W48", "sig", now)
        assert again == story
        active = store.themes.active_stories(now.replace(hour=0))
        assert [(row[0], row[2], row[4]) for row in active] == [(story, 3, now.replace(hour=1))]
        assert store.themes.processed_weeks() == {"2026-W48": "sig"}
        (shown,) = store.themes.week_themes("2026-W48")
        assert (shown["theme"], shown["keywords"], shown["titles"]["en"]) == (theme, ["tutors", "ai"], "Tutors")
        assert len(store.items.ungrouped_items()) == 1

        row = DigestRow("2026-W48", now, "en", "Digest", "<id@x>", "a.html", "a.txt", "a.eml")
        brief = [BriefLine("theme", str(theme), "New theme", "Tutors", "A sentence.", "1 story", None)]
        with store.transaction():
            store.digests.record(row, [story], brief)
            store.digests.record(row, [story], brief)  # twice: still one record, one claim
            store.digests.queue("2026-W48", ["a@example.org", "b@example.org"])
            store.digests.queue("2026-W48", ["a@example.org"])
        assert store.digests.get("2026-W48") == row
        assert store.digests.story_ids("2026-W48") == [story]
        with store.transaction():
            store.digests.mark_sent("2026-W48", "a@example.org", now)
            store.digests.mark_failed("2026-W48", ["b@example.org"], "451 busy")
        assert store.digests.pending("2026-W48", ["a@example.org", "b@example.org"]) == ["b@example.org"]
        assert store.digests.sent_to("2026-W48") == ["a@example.org"]
        assert store.digests.counts() == (1, 1)

        site = store.site.load_site()
        assert {s.key for s in site.stories} == {f"s{story}", f"i{ids[3]}"}
        assert [d.week for d in site.digests] == ["2026-W48"]
        assert store.site.digest_paths() == {"2026-W48": "a.html"}
        week = store.digests.load_week("2026-W48", only_story_ids=[story])
        assert [s.id for s in week.story_records] == [story]
        assert [line.label for line in week.recorded_brief] == ["Tutors"]
    finally:
        store.close()


E2E_NOW = "2026-11-04T08:00:00Z"  # a Wednesday: 2026-W44, the last complete week, is the digest's


def watch(folder: Path, server: FeedServer, paths: list[str], url: str | None, smtp_port: int) -> Path:
    """A watch on real feeds, mail to a loopback SMTP server, on one backend."""
    mail = (
        f"mail:\n  host: 127.0.0.1\n  port: {smtp_port}\n  security: none\n  sender: veille@example.org\n"
        "  recipients: [dlm@example.org]\ndigest:\n  language: en\n"
    )
    folder.mkdir()
    return write_config(folder, [server.url(p) for p in paths], url, mail)


@pytest.mark.slow
def test_fetch_process_digest_and_site_give_the_same_watch_on_sqlite_and_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    outcomes: dict[str, dict[str, object]] = {}
    try:
        with FeedServer({"real": need_shared("feeds", "real")}) as server:
            paths = [p for p in server.paths("/real/") if not p.endswith(".md")][::4]  # 12 real feeds
            for name, url in (("sqlite", None), ("postgresql", postgres_url)):
                config = watch(tmp_path / name, server, paths, url, port)
                code, _, err = run(config, "fetch", now=E2E_NOW)
                assert code in (0, 3), err
                code, _, err = run(config, "process", now=E2E_NOW)
                assert code == 0, err
                sent_before = len(box.messages)
                code, out, err = run(config, "digest", "--send", now=E2E_NOW)
                assert code == 0, err
                assert "sent to 1" in out
                (_, message) = box.messages[sent_before]
                code, _, err = run(config, "site", now=E2E_NOW)
                assert code == 0, err
                site = tmp_path / name / ".veille" / "site"
                stats = json.loads(run(config, "stats", "--json", now=E2E_NOW)[1])
                plain = message.get_body(("plain",))
                assert plain is not None
                outcomes[name] = {
                    "stats": stats,
                    "subject": message["Subject"],
                    "text": plain.get_content(),
                    "pages": sorted(str(p.relative_to(site)) for p in site.rglob("*.html")),
                    "home": (site / "index.html").read_text(encoding="utf-8"),
                    "themes": run(config, "themes", "--json", now=E2E_NOW)[1],
                }
    finally:
        controller.stop()
    lite, pg = outcomes["sqlite"], outcomes["postgresql"]
    stats = lite["stats"]
    assert isinstance(stats, dict)
    assert stats["items"] > 100 and stats["embedded"] == stats["items"] and stats["digests_sent"] == 1
    for key in ("stats", "subject", "text", "pages", "themes", "home"):
        assert pg[key] == lite[key], key


def test_the_site_change_marker_moves_with_what_the_site_shows_on_each_backend(
    tmp_path: Path, backend: str | None
) -> None:
    """`veille site` with nothing new answers from the marker alone: it must stay put while nothing the
    site shows was written, and move with a fetch (new items, a feed's health) on either engine."""
    with FeedServer({}) as server:
        server.register("/a.xml", rss("alpha", 3))
        config = write_config(tmp_path, [server.url("/a.xml")], backend)
        assert run(config, "fetch")[0] == 0

        def marker() -> str:
            store = open_storage(load(config))
            try:
                return store.site.change_marker()
            finally:
                store.close()

        first = marker()
        assert marker() == first and len(first) == 32
        code, _, err = run(config, "site")
        assert code == 0, err
        assert marker() == first  # building the site writes nothing the site shows
        server.register("/a.xml", rss("alpha", 4))  # one new post
        assert run(config, "fetch", now=LATER)[0] == 0
        second = marker()
        assert second != first

        # a re-tag by `veille process` writes no feed event: the format sums still move the marker
        store = open_storage(load(config))
        try:
            with store.transaction() as conn:
                conn.execute("INSERT INTO item_formats (item_id, format, score) VALUES (1, 'mooc', 0.8)")
        finally:
            store.close()
        assert marker() != second
