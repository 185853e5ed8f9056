"""A backfill through `veille process`: many items stored at once are read in batches that go on from
the last one (never rescanning from the first item), grouped into stories a week at a time, and the weeks
to cluster are found from the stories without reading every item's date back, on each storage backend.

Real parts: a SQLite file and a PostgreSQL server (tests/postgres_server.py). The vectors are made by a
small deterministic embedder: what is checked here is which items each step reads, not the model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.postgres_server import storage_yaml
from veille.app import App, make_app
from veille.config import load
from veille.core.normalize import content_hash
from veille.core.weeks import iso_week
from veille.jobs import process as process_job
from veille.models import FeedConfig, NewItem

START = datetime(2026, 10, 5, 8, tzinfo=UTC)  # a Monday
TOPICS = [
    "Virtual reality headsets reach vocational classrooms",
    "Generative AI tutors tested in first-year courses",
    "Microlearning capsules for onboarding in retail",
    "Open badges recognise skills learnt online",
]


class TopicEmbedder:
    """One fixed unit vector per topic (the title's first words), a little noise per text: the same
    topic's items are near duplicates, different topics far apart. Records every call's size."""

    name = "bench-topics"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls.append(len(texts))
        rows = []
        for text in texts:
            topic = next((k for k, t in enumerate(TOPICS) if text.startswith(t[:20])), len(TOPICS))
            base = np.zeros(16, dtype=np.float32)
            base[topic] = 1.0
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
            noise = np.random.default_rng(seed).standard_normal(16).astype(np.float32) * 0.05
            vector = base + noise
            rows.append(vector / np.linalg.norm(vector))
        return np.vstack(rows) if rows else np.zeros((0, 16), dtype=np.float32)


def new_item(index: int, published: datetime) -> NewItem:
    title = f"{TOPICS[index % len(TOPICS)]} ({index})"
    summary = f"{title}: a report on learning, number {index}."
    url = f"https://backfill.example/{index}"
    return NewItem(
        entry_key=url,
        canonical_url=url,
        url=url,
        title=title,
        summary=summary,
        html=summary,
        author=None,
        categories=(),
        published_at=published,
        lang="en",
        content_hash=content_hash(title, summary, url),
    )


@pytest.fixture
def app(tmp_path: Path, backend: str | None) -> Iterator[App]:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "feeds:\n" + "".join(f"  - url: https://feed{i}.example/rss\n" for i in range(3)) + storage_yaml(backend),
        encoding="utf-8",
    )
    embedder = TopicEmbedder()
    app = make_app(load(config), now=START + timedelta(weeks=4), embedder_factory=lambda _settings: embedder)
    feeds = app.store.feeds
    feeds.sync_feeds([FeedConfig(url=f"https://feed{i}.example/rss") for i in range(3)], START)
    yield app
    app.close()


def store_items(app: App, count: int, *, days: float = 21.0, first: int = 0, start: datetime = START) -> None:
    """``count`` items spread evenly over ``days`` from ``start``, over the three feeds."""
    feeds = app.store.feeds
    states = feeds.feed_states()
    with app.store.transaction():
        for index in range(first, first + count):
            published = start + timedelta(days=days * (index - first) / count)
            feeds._store_items(states[index % len(states)].id, [new_item(index, published)], published)


def test_embedding_reads_each_batch_on_from_the_last_one(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_job, "EMBED_BATCH", 4)
    store_items(app, 10)
    items, model = app.store.items, app.settings.model.key
    ids = [item.id for item in items.items_to_embed(model)]
    assert len(ids) == 10
    # keyset pagination: from the id after the given one, whatever was embedded before
    assert [item.id for item in items.items_to_embed(model, limit=3, after=ids[4])] == ids[5:8]

    progress: list[tuple[int, int]] = []
    assert process_job.embed_new(app, lambda done, total: progress.append((done, total))) == 10
    embedder = app.embedder
    assert isinstance(embedder, TopicEmbedder)
    assert embedder.calls == [4, 4, 2]
    assert progress == [(0, 10), (4, 10), (8, 10), (10, 10)]
    assert items.count_to_embed(model) == 0 and items.count_embedded(model) == 10
    assert process_job.embed_new(app) == 0  # nothing new: nothing embedded again


def test_formats_and_audiences_are_decided_in_batches_that_read_on(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_job, "CLASSIFY_BATCH", 3)
    store_items(app, 8)
    process_job.embed_new(app)
    items = app.store.items
    read: list[int] = []
    original = type(items).items

    def spy(self: object, item_ids: Sequence[int]) -> object:
        read.append(len(item_ids))
        return original(self, item_ids)  # type: ignore[arg-type]

    monkeypatch.setattr(type(items), "items", spy)
    assert process_job.classify_new(app) == 8
    # three batches, each read on from the last id of the one before; the feed's latest items (all 8
    # here), whose median says whether it is a learning feed, are read once for the run
    assert read == [3, 8, 3, 2]
    assert items.count_classified() == 8 and sum(items.format_counts().values()) >= 8
    read.clear()
    assert process_job.decide_audiences(app) == 8
    assert read == [3, 3, 2]
    assert sum(items.audience_counts().values()) == 8
    # a second run finds nothing left to decide
    assert process_job.classify_new(app) == 0 and process_job.decide_audiences(app) == 0


def test_stories_are_grouped_a_week_at_a_time_and_continue_across_weeks(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_items(app, 36, days=21.0)  # three ISO weeks, a topic's item every 2.3 days
    process_job.embed_new(app)
    items = app.store.items
    read: list[list[datetime]] = []
    original = type(items).ungrouped_items

    def spy(self: object, start: datetime | None = None, end: datetime | None = None) -> object:
        rows = original(self, start, end)  # type: ignore[arg-type]
        read.append([item.published_at for item in rows])
        return rows

    monkeypatch.setattr(type(items), "ungrouped_items", spy)
    grouped, created = process_job.group_new_items(app, process_job.language_means(app))
    assert grouped == 36
    # one read per week, each holding that week's items only
    weeks = [{iso_week(moment) for moment in dates} for dates in read]
    assert weeks == [{"2026-W41"}, {"2026-W42"}, {"2026-W43"}]
    assert sum(len(dates) for dates in read) == 36
    # a topic's story goes on into the next week (the stories still active are read back), until its
    # two-week span is reached: 4 topics over 21 days make 8 stories, not 12 (one per topic and week)
    assert created == 8
    assert app.store.themes.story_weeks().keys() == {"2026-W41", "2026-W42", "2026-W43"}
    read.clear()
    assert process_job.group_new_items(app, process_job.language_means(app)) == (0, 0)
    assert read == []


def test_the_weeks_to_cluster_keep_their_signatures_and_nothing_is_redone(app: App) -> None:
    store_items(app, 30, days=20.0)
    process_job.embed_new(app)
    process_job.group_new_items(app, process_job.language_means(app))
    # the signature of a week: its items' story ids, sorted (as databases made before stored it)
    rows = app.store.conn.execute(
        "SELECT i.published_at, si.story_id FROM story_items si JOIN items i ON i.id = si.item_id"
    ).fetchall()
    per_week: dict[str, list[int]] = {}
    for published, story_id in rows:
        per_week.setdefault(iso_week(datetime.fromisoformat(published)), []).append(int(story_id))
    expected = {
        week: hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]
        for week, ids in per_week.items()
    }
    assert app.store.themes.story_weeks() == expected
    assert process_job.cluster_weeks(app) == ["2026-W41", "2026-W42", "2026-W43"]
    assert process_job.cluster_weeks(app) == []  # nothing changed: no week clustered again
    store_items(app, 2, days=1.0, first=100, start=START + timedelta(weeks=1))  # in the second week
    process_job.embed_new(app)
    process_job.group_new_items(app, process_job.language_means(app))
    assert process_job.cluster_weeks(app) == ["2026-W42", "2026-W43"]  # that week and the weeks after it


def test_a_busy_week_of_items_is_grouped_against_thousands_of_active_stories() -> None:
    """The week a backfill groups: 5,000 items against 3,000 stories still active. Items are compared in
    blocks (one matrix product per block), and only with the stories recent enough to take them (about
    80 s before, 8 s after, with the same stories, on a loaded machine; bench/backfill.py measures it)."""
    from veille.core.clustering import ActiveStory, group_stories

    rng = np.random.default_rng(3)
    topics = rng.standard_normal((3000, 384))
    x = topics[rng.integers(0, 3000, 8000)] + rng.standard_normal((8000, 384)) * 0.9
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    times = [START + timedelta(seconds=float(s)) for s in rng.uniform(0, 21 * 86400, 8000)]
    existing = [
        ActiveStory(
            id=k,
            centroid=x[k],
            size=2,
            last_at=START - timedelta(days=k % 12),
            first_at=START - timedelta(days=k % 12 + 1),
        )
        for k in range(3000)
    ]
    grouping = group_stories(x[3000:], times[3000:], existing=existing)
    # every item is in one story, and stories still active took items of their topic
    assert sorted(int(i) for story in grouping.stories for i in story.members) == list(range(5000))
    continued = [story for story in grouping.stories if story.existing_id is not None]
    assert continued and all(story.size > 2 for story in continued)
    assert 3000 < len(grouping.stories) < 5000


class GateStub:
    """A tagger whose relevance gate scores an item by its number: ``SCORES[n]`` for "… (n)"."""

    gate = object()  # not None: there is a gate

    def __init__(self, scores: dict[int, float]) -> None:
        self.scores = scores

    def relevance(self, texts: Sequence[str], vectors: object, langs: object) -> NDArray[np.float32]:
        return np.array([self.scores[int(text.split("(")[1].split(")")[0])] for text in texts], dtype=np.float32)


def test_each_feed_is_judged_once_a_run_by_its_latest_items_and_an_item_by_its_most_learning_feed(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    general, small, learning = app.store.feeds.feed_states()
    numbers = {general.id: range(0, 6), small.id: range(10, 14), learning.id: range(20, 26)}
    with app.store.transaction():
        for feed, indexes in numbers.items():
            for index in indexes:
                published = START + timedelta(hours=index)
                app.store.feeds._store_items(feed, [new_item(index, published)], published)
        # the general feed's item 0 is carried by the learning feed too: a sighting, not a new item
        app.store.feeds._store_items(learning.id, [new_item(0, START)], START)
    process_job.embed_new(app)
    ids = {
        int(title.split("(")[1][:-1]): item_id
        for item_id, title in app.store.conn.execute("SELECT id, title FROM items")
    }
    assert len(ids) == 16
    stub = GateStub(
        {n: 0.0 for n in numbers[general.id]}
        | {n: 0.9 for n in numbers[small.id]}
        | {n: 0.5 for n in numbers[learning.id]}
    )
    read: list[list[int]] = []
    original = type(app.store.items).latest_of_feeds

    def spy(self: object, feed_ids: Sequence[int], model: str, limit: int) -> object:
        read.append(sorted(feed_ids))
        return original(self, feed_ids, model, limit)  # type: ignore[arg-type]

    monkeypatch.setattr(type(app.store.items), "latest_of_feeds", spy)
    medians: dict[int, float | None] = {}
    # a general feed (median 0.0) and one of 4 items, too few to judge
    assert process_job.feeds_relevance(app, stub, [ids[1], ids[10]], medians) == [0.0, None]  # type: ignore[arg-type]
    # the next batch reads only the feed not seen yet; item 0 counts with its most learning feed
    assert process_job.feeds_relevance(app, stub, [ids[0], ids[20]], medians) == [0.5, 0.5]  # type: ignore[arg-type]
    assert read == [sorted([general.id, small.id]), [learning.id]]
    assert medians == {general.id: 0.0, small.id: None, learning.id: 0.5}
    stub.gate = None  # type: ignore[assignment]
    assert process_job.feeds_relevance(app, stub, [ids[0]], {}) is None  # type: ignore[arg-type]
