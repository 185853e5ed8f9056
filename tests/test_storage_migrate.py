"""`veille db migrate-to postgresql://…`: a SQLite watch copied into an empty PostgreSQL database with
every table's rows checked, the watch then working there (new rows get new ids), and a target that is
not empty refused in one line. And a watch made by an older veille upgraded in place on each backend.

Real parts: the CLI (CliRunner), a SQLite file, a PostgreSQL server started by the test session, a
loopback feed server.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.feedserver import FeedServer
from tests.postgres_server import storage_yaml
from tests.storage_support import rss
from tests.test_digest_support import FEEDS, mark_processed, populate
from veille.adapters import schema
from veille.adapters.process_store import LATEST_OF_FEED
from veille.adapters.storage import open_storage
from veille.adapters.storage.copy import TABLES, row_counts
from veille.adapters.storage.postgres import PostgresStore
from veille.adapters.store import Store
from veille.cli import cli
from veille.config import load
from veille.core.normalize import content_hash
from veille.models import FeedConfig, NewItem

MONDAY = "2026-11-30T07:00:00Z"


def run(config: Path, *args: str, now: str = MONDAY) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_sqlite_watch_moves_to_postgresql_with_every_row_and_works_there(tmp_path: Path, postgres_url: str) -> None:
    feeds = "feeds:\n" + "".join(f"  - url: {url}\n" for _id, _name, url, _lang in FEEDS)
    config = tmp_path / "feeds.yaml"
    config.write_text(feeds, encoding="utf-8")
    with Store.open(tmp_path / ".veille" / "veille.db") as store:
        populate(store)
        mark_processed(store)
        items = store.items.items_to_embed("m")
        vectors = np.random.default_rng(7).standard_normal((len(items), 16)).astype(np.float32)
        store.items.save_embeddings("m", items, vectors, langs=["en"] * len(items))
        with store.transaction() as conn:  # an article page to try again later (HTTP 503)
            conn.execute(
                "INSERT INTO articles (url, status, reason, http_status, fetched_at, failures, retry_after)"
                " VALUES (?, 'failed', 'HTTP 503 Service Unavailable', 503, ?, 2, ?)",
                ("https://a.example/busy", "2026-11-29T06:00:00+00:00", "2026-11-29T12:00:00+00:00"),
            )
    code, _, err = run(config, "digest", "--dry-run")
    assert code == 0, err
    with Store.open(tmp_path / ".veille" / "veille.db") as store:
        source = row_counts(store)
    assert sum(source.values()) > 100
    assert all(
        source[t] for t in ("feeds", "items", "stories", "theme_weeks", "digests", "embeddings", "language_sums")
    )
    before = json.loads(run(config, "stats", "--json")[1])
    themes_before = run(config, "themes", "--json", "2026-W48")[1]

    code, out, err = run(config, "db", "migrate-to", postgres_url)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[-1].startswith(f"copied {sum(source.values())} rows into {postgres_url}, every table checked")
    assert {line.split(":")[0] for line in lines[:-1]} == set(TABLES)
    with PostgresStore.open(postgres_url) as target:
        assert row_counts(target) == source
        ids = [item.id for item in items]
        assert np.array_equal(target.items.vectors(ids), vectors)  # the vectors, bit for bit
        page = target.conn.execute("SELECT failures, retry_after FROM articles").fetchone()
        assert (page[0], page[1]) == (2, "2026-11-29T12:00:00+00:00")  # its next try moves with it

    # the same watch, now on PostgreSQL: same numbers, same themes, and new rows get fresh ids
    moved = tmp_path / "moved"
    moved.mkdir()
    with FeedServer({}) as server:
        server.register("/new.xml", rss("newcomer", 2))
        (moved / "feeds.yaml").write_text(
            feeds + f"  - url: {server.url('/new.xml')}\n" + storage_yaml(postgres_url), encoding="utf-8"
        )
        assert json.loads(run(moved / "feeds.yaml", "stats", "--json")[1]) == before
        assert run(moved / "feeds.yaml", "themes", "--json", "2026-W48")[1] == themes_before
        code, _, err = run(moved / "feeds.yaml", "fetch", "--all", now="2026-12-01T06:00:00Z")
        assert server.hits("/new.xml") == 1
    with PostgresStore.open(postgres_url) as target:
        counts = row_counts(target)
    assert counts["items"] == source["items"] + 2
    assert counts["feeds"] == source["feeds"] + 1

    # a second copy into the same, no longer empty, database is refused in one line, nothing changed
    code, out, err = run(config, "db", "migrate-to", postgres_url)
    assert code == 1
    assert err.strip().splitlines() == [
        next(line for line in err.splitlines() if "is not empty (feeds " in line and "copies into an empty" in line)
    ]
    with PostgresStore.open(postgres_url) as target:
        assert row_counts(target) == counts


def test_a_bad_target_url_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds: []\n", encoding="utf-8")
    code, _, err = run(config, "db", "migrate-to", "mysql://x@db/watch")
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "is not a PostgreSQL URL" in err
    assert not (tmp_path / ".veille" / "veille.db").exists()


def test_a_watch_made_before_the_scale_indexes_gets_them_and_keeps_its_rows(
    tmp_path: Path, backend: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.adapters.storage import postgres, sqlite

    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - url: https://feed.example/rss\n" + storage_yaml(backend), encoding="utf-8")
    before = next(n for n, sql in enumerate(schema.MIGRATIONS) if "stories_last_at" in sql)
    monkeypatch.setattr(sqlite, "MIGRATIONS", schema.MIGRATIONS[:before])
    monkeypatch.setattr(postgres, "PG_MIGRATIONS", postgres.PG_MIGRATIONS[:before])
    now = datetime(2026, 11, 24, 8, tzinfo=UTC)
    store = open_storage(load(config))  # a watch stored by the veille before the indexes
    try:
        assert store.version == before
        assert not {"stories_last_at", "items_feed", "digest_stories_week"} & index_names(store)
        store.feeds.sync_feeds([FeedConfig(url="https://feed.example/rss")], now)
        (feed,) = store.feeds.feed_states()
        with store.transaction():
            store.feeds._store_items(feed.id, [new_item(now)], now)
            (item,) = store.items.items_to_embed("m")
            story = store.themes.add_to_story(None, [item.id], np.ones(4, dtype=np.float32), now, now)
    finally:
        store.close()
    monkeypatch.undo()

    store = open_storage(load(config))
    try:
        assert store.version == len(schema.MIGRATIONS)
        assert {"stories_last_at", "items_feed", "digest_stories_week", "sightings_feed_published"} <= index_names(
            store
        )
        assert [row[0] for row in store.themes.active_stories(now)] == [story]  # the rows are all there
        if backend is None:  # the stories still active are found through the index, not a full scan
            plan = " ".join(
                str(row[-1])
                for row in store.conn.execute(
                    "EXPLAIN QUERY PLAN SELECT id FROM stories WHERE last_at >= ?", ("2026-11-01",)
                ).fetchall()
            )
            assert "stories_last_at" in plan
            # a feed's latest items are read backwards along its sightings' index, not sorted from its history
            latest = " ".join(
                str(row[-1])
                for row in store.conn.execute(f"EXPLAIN QUERY PLAN {LATEST_OF_FEED}", ("m", feed.id, 50)).fetchall()
            )
            assert "sightings_feed_published" in latest and "TEMP B-TREE" not in latest
    finally:
        store.close()


def index_names(store: Store) -> set[str]:
    sql = (
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        if isinstance(store, PostgresStore)
        else "SELECT name FROM sqlite_master WHERE type = 'index'"
    )
    return {str(row[0]) for row in store.conn.execute(sql).fetchall()}


def new_item(now: datetime) -> NewItem:
    url = "https://feed.example/posts/1"
    return NewItem(
        entry_key=url,
        canonical_url=url,
        url=url,
        title="Open badges in vocational training",
        summary="Open badges recognise skills learnt online.",
        html="Open badges recognise skills learnt online.",
        author=None,
        categories=(),
        published_at=now,
        lang="en",
        content_hash=content_hash("Open badges in vocational training", "Open badges", url),
    )
