"""Entry identity: every distinct entry of a feed is stored, copies across feeds still meet.

Every real and edge feed file is parsed (``adapters.parse``), normalised (``core.normalize``) and stored
through the real ``FeedStore`` in a real SQLite file; a database merged the way older versions did is
migrated and repaired by the next fetch over loopback HTTP.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import need_shared
from tests.feedserver import FeedServer, content_type_for
from veille.adapters.langid import classify
from veille.adapters.parse import parse_feed
from veille.adapters.schema import MIGRATIONS
from veille.adapters.store import FeedStore, Store, StoredBatch, _statements, iso
from veille.cli import cli
from veille.core.normalize import content_hash, normalize_item
from veille.errors import ParseError
from veille.models import FeedConfig, FetchResult, NewItem, ParsedFeed, ParsedItem

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
BASE = "https://feeds.example"


@dataclass(frozen=True)
class Read:
    """One feed file as the pipeline sees it: its parsed feed and its normalised entries."""

    url: str
    parsed: ParsedFeed
    items: list[NewItem]

    @property
    def texts(self) -> set[tuple[str, str]]:
        return {(item.title, item.summary) for item in self.items}

    @property
    def fields(self) -> set[tuple[str, str | None, str | None]]:
        return {(item.title, iso(item.published_at), item.url) for item in self.items}


def read(path: Path, url: str | None = None) -> Read | None:
    url = url or f"{BASE}/{path.parent.name}/{path.name}"
    try:
        parsed = parse_feed(path.read_bytes(), url, {"Content-Type": content_type_for(path.name)})
    except ParseError:
        return None  # not a feed: the fetch tests check that it is a stored error
    items = [
        normalize_item(entry, feed_url=url, feed_lang=parsed.lang, now=NOW, classify=classify) for entry in parsed.items
    ]
    return Read(url, parsed, [item for item in items if item is not None])


def store_all(feeds: FeedStore, reads: list[Read]) -> dict[str, StoredBatch]:
    feeds.sync_feeds([FeedConfig(url=r.url) for r in reads], NOW)
    states = {state.config_url: state for state in feeds.feed_states()}
    batches = {}
    for r in reads:
        state = states[r.url]
        result = FetchResult(feed_id=state.id, requested_url=r.url, final_url=r.url, status=200, body=b"x")
        batches[r.url] = feeds.record_fetch(state, result, now=NOW, next_fetch_at=None, parsed=r.parsed, items=r.items)
    return batches


def stored(conn: sqlite3.Connection, url: str) -> list[sqlite3.Row]:
    """The distinct items the feed at ``url`` points at."""
    return conn.execute(
        """SELECT DISTINCT i.id, i.title, i.published_at, i.url, i.feed_id = f.id AS own FROM sightings s
           JOIN feeds f ON f.id = s.feed_id JOIN items i ON i.id = s.item_id WHERE f.config_url = ?""",
        (url,),
    ).fetchall()


def assert_one_item_per_entry(conn: sqlite3.Connection, r: Read) -> None:
    items = stored(conn, r.url)
    name = r.url.rsplit("/", 1)[-1]
    # no two entries with different text share an item
    assert len(items) >= len(r.texts), name
    for row in items:
        if row["own"]:  # an item made from this feed: title, date and link all from one of its entries
            assert (row["title"], row["published_at"], row["url"]) in r.fields, (name, row["title"])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "veille.db") as opened:
        yield opened


def shared_file(folder: str, name: str) -> Path:
    return need_shared("feeds", folder, name)


# --------------------------------------------------------------------------------------------------
# Every feed file


def test_every_real_and_edge_feed_keeps_each_distinct_entry_with_its_own_title_date_and_link(store: Store) -> None:
    files = [
        path
        for folder in ("real", "edge")
        for path in sorted(need_shared("feeds", folder).iterdir())
        if path.is_file() and not path.name.endswith(".md")
    ]
    reads = [r for r in (read(path) for path in files) if r is not None]
    assert len(reads) > 100
    store_all(FeedStore(store), reads)  # one database: copies across these feeds meet as in production
    for r in reads:
        assert_one_item_per_entry(store.conn, r)
    # every item is pointed at by the feed it came from
    orphans = store.conn.execute(
        "SELECT COUNT(*) FROM items i WHERE NOT EXISTS"
        " (SELECT 1 FROM sightings s WHERE s.item_id = i.id AND s.feed_id = i.feed_id AND s.entry_key = i.origin_key)"
    ).fetchone()[0]
    assert orphans == 0


def test_scripting_news_keeps_every_post_of_a_day_page(store: Store) -> None:
    # 50 posts (48 guids: two anchors are reused the same day) on 7 day pages (one canonical URL each)
    r = read(shared_file("real", "scripting_news.rss"))
    assert r is not None and len(r.items) == 50 and len(r.texts) == 50
    feeds = FeedStore(store)
    batch = store_all(feeds, [r])[r.url]
    assert batch.new_items == 50
    items = stored(store.conn, r.url)
    assert len(items) == 50
    assert {row["title"] for row in items} == {item.title for item in r.items}
    assert "Code mode is for real" in {row["title"] for row in items}
    # a second read of the unchanged feed changes nothing
    again = store_all(feeds, [r])[r.url]
    assert (again.new_items, again.new_sightings, again.updated_items) == (0, 0, 0)
    assert store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 50
    assert store.conn.execute("SELECT COUNT(*) FROM sightings").fetchone()[0] == 50
    assert_one_item_per_entry(store.conn, r)


def test_a_post_whose_guid_stops_being_shared_keeps_its_item_and_its_sighting(store: Store) -> None:
    r = read(shared_file("real", "scripting_news.rss"))
    assert r is not None
    feeds = FeedStore(store)
    store_all(feeds, [r])
    # the other post with the anchor #a080631 leaves the feed: "Good morning Internet guzzlers!" is
    # known by the bare guid again
    later = [item for item in r.items if not item.title.startswith("In 2015 I wrote that Dropbox")]
    assert len(later) == 49
    batch = store_all(feeds, [replace(r, items=later)])[r.url]
    assert (batch.new_items, batch.new_sightings, batch.updated_items) == (0, 0, 0)
    assert store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 50
    assert store.conn.execute("SELECT COUNT(*) FROM sightings").fetchone()[0] == 50
    bare = "SELECT COUNT(*) FROM sightings WHERE entry_key = 'http://scripting.com/2017/06/25.html#a080631'"
    assert store.conn.execute(bare).fetchone()[0] == 1


def test_nixos_news_keeps_every_news_item_though_they_share_one_link(store: Store) -> None:
    # 99 entries without guid, all linking to https://nixos.org/news.html; two titles are used twice
    r = read(shared_file("real", "nixos_news.xml"))
    assert r is not None and len(r.items) == 99 and len({item.url for item in r.items}) == 1
    feeds = FeedStore(store)
    store_all(feeds, [r])
    items = stored(store.conn, r.url)
    assert len(items) >= 96 and len(items) == len(r.texts)
    released = [row for row in items if row["title"] == "NixOS 18.09 released"]
    assert [row["published_at"] for row in released] == ["2018-10-06T00:00:00+00:00"]
    again = store_all(feeds, [r])[r.url]
    assert (again.new_items, again.new_sightings, again.updated_items) == (0, 0, 0)
    assert_one_item_per_entry(store.conn, r)


def test_the_same_post_in_two_feeds_is_still_one_item(store: Store) -> None:
    # Daring Fireball's Atom and JSON feeds: six articles share their URL and title, not their summary
    atom = read(shared_file("real", "daring_fireball.atom"))
    json_feed = read(shared_file("real", "daring_fireball.json"))
    assert atom is not None and json_feed is not None
    feeds = FeedStore(store)
    store_all(feeds, [atom, json_feed])
    shared = store.conn.execute(
        """SELECT i.id, i.title, i.summary FROM items i JOIN sightings s ON s.item_id = i.id
           GROUP BY i.id HAVING COUNT(DISTINCT s.feed_id) = 2"""
    ).fetchall()
    assert len(shared) == 6
    assert "★ The 2017 iPad Pros" in {row["title"] for row in shared}
    # the item keeps the text of the feed it came from first; the copy does not overwrite it
    atom_texts = {(item.title, item.summary) for item in atom.items}
    assert all((row["title"], row["summary"]) in atom_texts for row in shared)
    store_all(feeds, [json_feed, atom])
    assert all(
        tuple(store.conn.execute("SELECT title, summary FROM items WHERE id = ?", (row["id"],)).fetchone())
        == (row["title"], row["summary"])
        for row in shared
    )
    # two sponsor posts of the Atom feed share the link http://mnml.af/: two items
    assert len(stored(store.conn, atom.url)) == len(atom.items) == 48
    assert_one_item_per_entry(store.conn, atom)
    assert_one_item_per_entry(store.conn, json_feed)


def test_two_feeds_linking_two_anchors_of_one_page_are_two_items(store: Store) -> None:
    page = "http://scripting.com/2017/06/26.html"

    def feed(name: str, link: str) -> Read:
        url = f"{BASE}/{name}.xml"
        entry = ParsedItem(None, link, "Good morning students and teachers!", None, None, None)
        item = normalize_item(entry, feed_url=url, feed_lang="en", now=NOW, classify=classify)
        assert item is not None
        return Read(url, ParsedFeed(name, None, "en", (entry,)), [item])

    reads = [feed("a", f"{page}#a080605"), feed("b", f"{page}#a080606"), feed("c", f"{page}?utm_source=rss")]
    store_all(FeedStore(store), reads)
    items = {r.url: {row["id"] for row in stored(store.conn, r.url)} for r in reads}
    assert items[reads[0].url] != items[reads[1].url]  # same title, two anchors: two posts
    assert items[reads[2].url] == items[reads[0].url]  # the page without an anchor: a copy of the first


def test_an_entry_updates_its_own_item_and_a_copy_never_does(store: Store) -> None:
    r = read(shared_file("real", "daring_fireball.atom"))
    other = read(shared_file("real", "daring_fireball.atom"), url=f"{BASE}/copy/daring_fireball.atom")
    assert r is not None and other is not None
    feeds = FeedStore(store)
    store_all(feeds, [r, other])
    first = r.items[0]
    edited = replace(first, title=first.title + " (updated)", content_hash="edited" + first.content_hash[6:])
    copy_edited = replace(first, title=first.title + " (copy)", content_hash="copy" + first.content_hash[4:])
    batches = store_all(feeds, [replace(other, items=[copy_edited]), replace(r, items=[edited])])
    assert batches[r.url].updated_items == 1 and batches[other.url].updated_items == 0
    titles = {row["title"] for row in stored(store.conn, r.url)}
    assert first.title + " (updated)" in titles and first.title + " (copy)" not in titles


# --------------------------------------------------------------------------------------------------
# Databases merged by older versions


def old_key(r: Read, index: int) -> str:
    """The entry key older versions gave: the guid, else the link."""
    entry = r.parsed.items[index]
    return (entry.entry_id or "").strip() or (entry.link or "").strip()


def old_store(conn: sqlite3.Connection, feed_id: int, items: list[NewItem], now: datetime) -> None:
    """What older versions stored: one item per canonical URL, the last entry read overwrote it."""
    for item in items:
        seen = conn.execute(
            "SELECT item_id FROM sightings WHERE feed_id = ? AND entry_key = ?", (feed_id, item.entry_key)
        ).fetchone()
        if seen is not None:
            row = conn.execute("SELECT content_hash FROM items WHERE id = ?", (seen[0],)).fetchone()
            clash = conn.execute(
                "SELECT id FROM items WHERE id != ? AND (content_hash = ? OR canonical_url = ?)",
                (seen[0], item.content_hash, item.canonical_url),
            ).fetchone()
            if row[0] != item.content_hash and clash is None:
                conn.execute(
                    "UPDATE items SET content_hash = ?, url = ?, title = ?, summary = ?, html = ? WHERE id = ?",
                    (item.content_hash, item.url, item.title, item.summary, item.html, seen[0]),
                )
            continue
        existing = conn.execute(
            "SELECT id FROM items WHERE content_hash = ? OR canonical_url = ?", (item.content_hash, item.canonical_url)
        ).fetchone()
        if existing is None:
            item_id = conn.execute(
                """INSERT INTO items (canonical_url, content_hash, url, title, summary, html, categories,
                   published_at, first_seen_at, lang, feed_id) VALUES (?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?)""",
                (
                    item.canonical_url,
                    item.content_hash,
                    item.url,
                    item.title,
                    item.summary,
                    item.html,
                    iso(item.published_at),
                    iso(now),
                    item.lang,
                    feed_id,
                ),
            ).lastrowid
        else:
            item_id = existing[0]
        conn.execute(
            "INSERT INTO sightings (feed_id, entry_key, item_id, seen_at, published_at) VALUES (?, ?, ?, ?, ?)",
            (feed_id, item.entry_key, item_id, iso(now), iso(item.published_at)),
        )


def build_old_database(path: Path, reads: list[Read], etags: list[str]) -> None:
    """A schema-2 database filled the way older versions did, read twice, with a story on each item."""
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for sql in MIGRATIONS[:2]:  # the schema of older versions
        for statement in _statements(sql):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    for feed_id, (r, etag) in enumerate(zip(reads, etags, strict=True), start=1):
        conn.execute(
            """INSERT INTO feeds (id, config_url, url, added_at, last_fetch_at, last_success_at, etag)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (
                feed_id,
                r.url,
                r.url,
                "2026-11-01T06:00:00+00:00",
                "2026-11-27T06:00:00+00:00",
                "2026-11-27T06:00:00+00:00",
                etag,
            ),
        )
        assert len(r.items) == len(r.parsed.items)  # old_key reads the entry of the same rank
        # older versions' keys, and their hash, which ignored the link's anchor
        items = [
            replace(
                item, entry_key=old_key(r, i), content_hash=content_hash(item.title, item.summary, item.canonical_url)
            )
            for i, item in enumerate(r.items)
        ]
        for day in (1, 2):  # the second read overwrote the merged items' text
            old_store(conn, feed_id, items, datetime(2026, 11, day, 6, tzinfo=UTC))
    for (item_id,) in conn.execute("SELECT id FROM items").fetchall():
        conn.execute(
            "INSERT INTO stories (id, first_at, last_at, lead_item_id) VALUES (?, '2026-11-01', '2026-11-01', ?)",
            (item_id, item_id),
        )
        conn.execute("INSERT INTO story_items (item_id, story_id) VALUES (?, ?)", (item_id, item_id))
    conn.execute("COMMIT")
    conn.close()


def test_a_database_merged_by_an_older_version_is_migrated_then_repaired_by_the_next_fetch(tmp_path: Path) -> None:
    names = ["scripting_news.rss", "nixos_news.xml", "daring_fireball.atom", "daring_fireball.json"]
    with FeedServer({"real": need_shared("feeds", "real")}) as server:
        paths = [f"/real/{name}" for name in names]
        reads = [read(shared_file("real", name), url=server.url(path)) for name, path in zip(names, paths, strict=True)]
        assert all(r is not None for r in reads)
        loaded = [r for r in reads if r is not None]
        etags = [server.resource(path).etag for path in paths]  # type: ignore[union-attr]
        config = tmp_path / "feeds.yaml"
        config.write_text("feeds:\n" + "".join(f"  - url: {r.url}\n" for r in loaded), encoding="utf-8")
        database = tmp_path / ".veille" / "veille.db"
        build_old_database(database, loaded, etags)
        with sqlite3.connect(database) as conn:
            old_items = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            before = {r.url: len(stored_rows(conn, r.url)) for r in loaded}
        assert before[loaded[0].url] == 7 and before[loaded[1].url] == 1  # what older versions kept

        with Store.open(database) as store:  # the migration
            conn = store.conn
            assert store.version == len(MIGRATIONS)
            assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == old_items
            assert conn.execute("SELECT COUNT(*) FROM story_items").fetchone()[0] == old_items  # nothing cascaded
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert conn.execute("SELECT COUNT(*) FROM feeds WHERE etag IS NOT NULL").fetchone()[0] == 0
            unique = [row for row in conn.execute("PRAGMA index_list(items)").fetchall() if row["unique"]]
            assert [conn.execute(f"PRAGMA index_info({row['name']})").fetchone()["name"] for row in unique] == [
                "content_hash"
            ]
            assert "items_canonical" in {row["name"] for row in conn.execute("PRAGMA index_list(items)")}
            merged = conn.execute("SELECT COUNT(*) FROM items WHERE origin_key IS NULL").fetchone()[0]
            assert merged == 7  # scripting news' day pages; the rest keep their single entry as origin

        result = CliRunner().invoke(cli, ["--config", str(config), "--now", "2026-11-28T06:00:00Z", "fetch"])
        assert result.exit_code == 0, result.output
        assert all(server.statuses(path) == [200] for path in paths)  # read in full despite the old ETags

    with sqlite3.connect(database) as conn:
        conn.row_factory = sqlite3.Row
        for r in loaded:
            assert_one_item_per_entry(conn, r)
        assert len(stored(conn, loaded[0].url)) == 50
        assert len(stored(conn, loaded[1].url)) == 99
        # the old items are kept (their stories with them), each now with one entry's text and date
        kept = conn.execute("SELECT COUNT(*) FROM items i JOIN story_items si ON si.item_id = i.id").fetchone()[0]
        assert kept == old_items
        assert conn.execute("SELECT COUNT(*) FROM items WHERE origin_key IS NULL").fetchone()[0] == 0
        # no entry of one feed is counted twice (the old link keys of nixos followed their entries)
        per_feed = conn.execute(
            "SELECT f.config_url, COUNT(*) FROM sightings s JOIN feeds f ON f.id = s.feed_id GROUP BY f.id"
        ).fetchall()
        assert {url: count for url, count in per_feed} == {r.url: len(r.items) for r in loaded}
        shared = conn.execute(
            "SELECT COUNT(*) FROM (SELECT item_id FROM sightings GROUP BY item_id HAVING COUNT(DISTINCT feed_id) = 2)"
        ).fetchone()[0]
        assert shared == 6
        stats = json.loads(CliRunner().invoke(cli, ["--config", str(config), "stats", "--json"]).stdout)
        assert stats["items"] == conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]


def stored_rows(conn: sqlite3.Connection, url: str) -> list[tuple[int]]:
    return conn.execute(
        """SELECT DISTINCT s.item_id FROM sightings s JOIN feeds f ON f.id = s.feed_id WHERE f.config_url = ?""",
        (url,),
    ).fetchall()
