"""An updated site is the site a build from scratch gives: byte for byte, after a new day, a corrected story in
an old week, a theme renamed, a story moved into a digest, a feed's trouble. Real SQLite file, real folders."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.test_site_support import NOW, add_story, at, make_settings, populate
from veille.adapters.site import MANIFEST
from veille.adapters.store import Store
from veille.app import make_app
from veille.jobs.site import SiteResult, build_site, kept_stories
from veille.models import Settings


def tree(folder: Path) -> dict[str, bytes]:
    """Every file of a site, the manifest reduced to the files it lists."""
    files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    files[MANIFEST] = json.dumps(json.loads(files[MANIFEST])["files"], sort_keys=True).encode()
    return files


def new_day(conn: object) -> None:
    """Wednesday of the current week: two new stories (one in a theme), an item not grouped yet."""
    add_story(conn, 90, "Micro-credentials at scale", "https://ex.org/90", "Badges.", [1, 2], at("2026-W49", 1),
              formats=(("credentials", 0.8), ("video", 0.6)), theme=(1, "2026-W49"))  # fmt: skip
    add_story(conn, 91, "Un podcast de formation", "https://ex.org/91", "Écouter.", [5], at("2026-W49", 1, 11),
              formats=(("podcast", 0.7),), lang="fr")  # fmt: skip
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, categories, published_at,"
        " first_seen_at, lang, feed_id) VALUES (995, 'https://ex.org/995', 'h995', 'https://ex.org/995',"
        " 'Loose item', 'Not grouped.', '', '[]', ?, ?, 'en', 3)",
        (at("2026-W49", 1, 12), at("2026-W49", 1, 12)),
    )
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO theme_weeks (theme_id, week, stories, items, sources, keywords, status, weak_signal)"
        " VALUES (1, '2026-W49', 1, 2, 2, '[\"badge\"]', 'rising', 0)"
    )
    conn.execute("UPDATE themes SET last_week = '2026-W49' WHERE id = 1")  # type: ignore[attr-defined]
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO feed_events (feed_id, at, kind, status, detail) VALUES (4, ?, 'error', 500, 'boom')",
        (at("2026-W49", 1, 6),),
    )


def one_feed_in_a_new_week(conn: object) -> None:
    """One source publishes in a week the site had no story in: every source's and format's page lists
    the weeks up to it, although no other source changed."""
    add_story(conn, 93, "Video feedback for trainers", "https://ex.org/93", "Filmed.", [1], at("2026-W49", 1),
              formats=(("video", 0.7),))  # fmt: skip


def corrected_title(conn: object) -> None:
    conn.execute("UPDATE items SET title = 'MOOC completion: corrected' WHERE id = 1040")  # type: ignore[attr-defined]
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO feed_events (feed_id, at, kind, status) VALUES (2, ?, 'ok', 200)", (NOW.isoformat(),)
    )


def renamed_theme(conn: object) -> None:
    """``veille process`` titled the theme again (and stamped the week it processed, as it always does)."""
    conn.execute(  # type: ignore[attr-defined]
        "UPDATE theme_weeks SET title_fr = 'Tuteurs IA', title_en = 'AI tutors' WHERE theme_id = 1 AND week ="
        " (SELECT MAX(week) FROM theme_weeks WHERE theme_id = 1)"
    )
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO processed_weeks (week, signature, at) VALUES ('2026-W48', 'retitled', ?)", (NOW.isoformat(),)
    )


def into_old_digest(conn: object) -> None:
    week = conn.execute("SELECT MIN(week) FROM digests").fetchone()[0]  # type: ignore[attr-defined]
    story = conn.execute(  # type: ignore[attr-defined]
        "SELECT MIN(id) FROM stories WHERE id NOT IN (SELECT story_id FROM digest_stories)"
    ).fetchone()[0]
    conn.execute("INSERT INTO digest_stories (story_id, week) VALUES (?, ?)", (story, week))  # type: ignore[attr-defined]


def renamed_feed(conn: object) -> None:
    """A source renamed in feeds.yaml: every story it carried shows the new name, on every page."""
    conn.execute("UPDATE feeds SET name = 'Campus numérique' WHERE id = 2")  # type: ignore[attr-defined]


def signal_in_old_week(conn: object) -> None:
    """``veille process`` run again on an old week finds an emerging signal there, with two stories."""
    week, a, b = conn.execute(  # type: ignore[attr-defined]
        "SELECT MIN(week), MIN(story_id), MAX(story_id) FROM digest_stories"
    ).fetchone()
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO signals (week, label, stories, sources, reason) VALUES (?, 'adaptive quizzes', 2, 2,"
        ' \'{"z": 4.5, "count": 2, "mean": 0.1}\')',
        (week,),
    )
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO signal_stories (week, label, story_id) VALUES (?, 'adaptive quizzes', ?)", [(week, a), (week, b)]
    )


def retagged_old_item(conn: object) -> None:
    """A re-tag moves an old story from one format to another: both formats' pages and its week change."""
    item = conn.execute("SELECT MIN(item_id) FROM item_formats").fetchone()[0]  # type: ignore[attr-defined]
    conn.execute("DELETE FROM item_formats WHERE item_id = ?", (item,))  # type: ignore[attr-defined]
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO item_formats (item_id, format, score) VALUES (?, 'immersive', 0.9)", (item,)
    )


def old_story(conn: object) -> tuple[int, int]:
    """An old story (not of the current week) and its lead item."""
    return conn.execute(  # type: ignore[attr-defined, no-any-return]
        "SELECT id, lead_item_id FROM stories WHERE first_at < ? ORDER BY id LIMIT 1", (at("2026-W47", 0),)
    ).fetchone()


def new_copy_of_old_item(conn: object) -> None:
    """A second source carries an old story's item: the story counts one more source."""
    _, item = old_story(conn)
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO sightings (feed_id, entry_key, item_id, seen_at, published_at) VALUES (4, 'late', ?, ?, ?)",
        (item, NOW.isoformat(), at("2026-W46", 2)),
    )


def moved_link(conn: object) -> None:
    """A feed gives an old item a new link (its text unchanged), in a fetch (which records its event)."""
    _, item = old_story(conn)
    conn.execute("UPDATE items SET url = 'https://moved.example/a' WHERE id = ?", (item,))  # type: ignore[attr-defined]
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO feed_events (feed_id, at, kind, status) VALUES (1, ?, 'ok', 200)", (NOW.isoformat(),)
    )


def audience_of_old_item(conn: object) -> None:
    _, item = old_story(conn)
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO item_audiences (item_id, audience, source, signature) VALUES (?, 'school', 'text', 's')", (item,)
    )


def item_joins_old_story(conn: object) -> None:
    """An item of a new source is grouped into an old story, which now ends later."""
    story, _ = old_story(conn)
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, categories, published_at,"
        " first_seen_at, lang, feed_id) VALUES (996, 'https://ex.org/996', 'h996', 'https://ex.org/996',"
        " 'The same story, elsewhere', 'Again.', '', '[]', ?, ?, 'en', 5)",
        (at("2026-W46", 3), NOW.isoformat()),
    )
    conn.execute("INSERT INTO story_items (item_id, story_id) VALUES (996, ?)", (story,))  # type: ignore[attr-defined]
    conn.execute("UPDATE stories SET last_at = ? WHERE id = ?", (at("2026-W46", 3), story))  # type: ignore[attr-defined]


def merged_old_stories(conn: object) -> None:
    """Grouping again merges two old stories: one is gone, the other holds both's items."""
    a, b = (row[0] for row in conn.execute("SELECT id FROM stories ORDER BY id LIMIT 2"))  # type: ignore[attr-defined]
    conn.execute("UPDATE story_items SET story_id = ? WHERE story_id = ?", (a, b))  # type: ignore[attr-defined]
    conn.execute("DELETE FROM digest_stories WHERE story_id = ?", (b,))  # type: ignore[attr-defined]
    conn.execute("DELETE FROM stories WHERE id = ?", (b,))  # type: ignore[attr-defined]


def old_story_changes_theme(conn: object) -> None:
    """``veille process`` run again on an old week puts one of its stories in another theme."""
    story, week, theme = conn.execute(  # type: ignore[attr-defined]
        "SELECT story_id, week, theme_id FROM story_themes ORDER BY week, story_id LIMIT 1"
    ).fetchone()
    other = conn.execute("SELECT MIN(id) FROM themes WHERE id != ?", (theme,)).fetchone()[0]  # type: ignore[attr-defined]
    conn.execute("UPDATE story_themes SET theme_id = ? WHERE story_id = ?", (other, story))  # type: ignore[attr-defined]
    conn.execute(  # type: ignore[attr-defined]
        "INSERT OR REPLACE INTO processed_weeks (week, signature, at) VALUES (?, 'again', ?)", (week, NOW.isoformat())
    )


def scratch_build(store: Store, settings: Settings, out_dir: Path, now: datetime = NOW) -> SiteResult:
    """The site built from scratch: every story read again (no references kept), into a new folder."""
    kept_stories(settings).unlink(missing_ok=True)
    return build_site(make_app(settings, now=now, store=store), out_dir=out_dir)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        build_site(make_app(settings, now=NOW, store=store))
        yield store, tmp_path


@pytest.mark.parametrize(
    "change",
    [new_day, corrected_title, renamed_theme, into_old_digest, renamed_feed, signal_in_old_week, retagged_old_item,
     new_copy_of_old_item, moved_link, audience_of_old_item, item_joins_old_story, merged_old_stories,
     old_story_changes_theme],
)  # fmt: skip
def test_an_updated_site_is_byte_for_byte_the_site_built_from_scratch(
    site: tuple[Store, Path], change: Callable[[object], None]
) -> None:
    store, tmp_path = site
    settings = make_settings(tmp_path)
    with store.transaction() as conn:
        change(conn)
    updated = build_site(make_app(settings, now=NOW, store=store))
    assert updated.written > 0
    scratch = scratch_build(store, settings, tmp_path / "scratch")
    assert tree(updated.out_dir) == tree(scratch.out_dir)


def test_a_build_that_holds_few_stories_at_once_makes_the_same_site(
    site: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large site's build keeps only the last few thousand stories' records, views and rows, and reads its
    references a few weeks at a time: here room for three stories and one day per read, the same bytes."""
    store, tmp_path = site
    settings = make_settings(tmp_path)
    with store.transaction() as conn:
        new_day(conn)
    roomy = scratch_build(store, settings, tmp_path / "roomy")
    for module in ("veille.core.site.common", "veille.adapters.site_store", "veille.adapters.site"):
        monkeypatch.setattr(f"{module}.KEPT_STORIES", 3)
    monkeypatch.setattr("veille.adapters.site_store.BUCKETS_PER_READ", 1)
    tight = scratch_build(store, settings, tmp_path / "tight")
    assert tree(tight.out_dir) == tree(roomy.out_dir)
    with store.transaction() as conn:
        corrected_title(conn)
    updated = build_site(make_app(settings, now=NOW, store=store), out_dir=tmp_path / "tight")
    assert updated.written > 0
    monkeypatch.undo()
    assert tree(updated.out_dir) == tree(scratch_build(store, settings, tmp_path / "roomy").out_dir)


def test_a_new_day_then_the_next_week_is_still_the_site_built_from_scratch(site: tuple[Store, Path]) -> None:
    store, tmp_path = site
    settings = make_settings(tmp_path)
    with store.transaction() as conn:
        new_day(conn)
    build_site(make_app(settings, now=NOW, store=store))
    later = NOW.replace(day=9)  # a week later: the week in progress becomes complete, the radar moves on
    updated = build_site(make_app(settings, now=later, store=store))
    scratch = scratch_build(store, settings, tmp_path / "scratch", later)
    assert tree(updated.out_dir) == tree(scratch.out_dir)


@pytest.mark.parametrize(
    "change", [new_day, one_feed_in_a_new_week, corrected_title, into_old_digest, renamed_feed, retagged_old_item]
)
def test_with_yearly_archive_pages_an_updated_site_is_still_the_site_built_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[object], None]
) -> None:
    """Formats' and sources' pages split into recent weeks and a page per older year (a long watch), then a
    change, then the next week (the recent weeks move on): always the site a build from scratch gives."""
    import veille.core.site.pages as site_pages

    monkeypatch.setattr(site_pages, "LIST_RECENT_WEEKS", 2)
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        first = build_site(make_app(settings, now=NOW, store=store))
        assert list(first.out_dir.glob("formats/*-archive-*.html"))
        with store.transaction() as conn:
            change(conn)
        for now in (NOW, NOW.replace(day=9)):
            updated = build_site(make_app(settings, now=now, store=store))
            scratch = scratch_build(store, settings, tmp_path / f"scratch{now.day}", now)
            assert tree(updated.out_dir) == tree(scratch.out_dir)


def test_a_story_view_s_fingerprint_reads_every_field_it_has() -> None:
    """A field added to a story's view and not to its fingerprint would leave pages showing it stale."""
    from dataclasses import fields

    from veille.adapters.site import STORY_FIELDS
    from veille.core.site.views import CopyView, Link, SearchEntry, StoryView

    for cls in (StoryView, CopyView, Link, SearchEntry):
        assert tuple(f.name for f in fields(cls)) == STORY_FIELDS[cls.__name__]


def test_a_story_record_s_digest_reads_every_field_it_has() -> None:
    """Pages kept as written when their stories' records did not change: a record field the digest missed
    would leave them stale. Each field of a record and of its copies, changed alone, changes the digest."""
    from dataclasses import fields
    from datetime import timedelta

    from veille.core.site.common import record_digest
    from veille.core.site.records import CopyRecord, SiteStory

    copy = CopyRecord(1, "Badges", "https://ex.org/1", NOW)
    story = SiteStory("s1", "Badges", "https://ex.org/1", "A summary.", "en", NOW, NOW, (copy,), (("video", 0.7),),
                      (("2026-W49", 3),), None, ())  # fmt: skip
    changed_copy = {"feed_id": 2, "title": "Badges!", "url": None, "published_at": NOW + timedelta(hours=1)}
    changed = {
        "key": "s2", "title": "Badges!", "url": None, "summary": "Another.", "lang": "fr",
        "first_at": NOW - timedelta(days=1), "last_at": NOW + timedelta(days=1),
        "copies": (replace(copy, feed_id=3),), "formats": (("video", 0.8),), "themes": (("2026-W49", 4),),
        "digest_week": "2026-W49", "audiences": ("school",), "classified": True,
    }  # fmt: skip
    assert set(changed) == {f.name for f in fields(SiteStory)}
    assert set(changed_copy) == {f.name for f in fields(CopyRecord)}
    before = record_digest(story, "2026-W49")
    assert record_digest(story, "2026-W48") != before
    for name, value in changed.items():
        assert record_digest(replace(story, **{name: value}), "2026-W49") != before, name
    for name, value in changed_copy.items():
        assert record_digest(replace(story, copies=(replace(copy, **{name: value}),)), "2026-W49") != before, name


def test_a_new_day_renders_only_the_pages_it_changes(site: tuple[Store, Path]) -> None:
    store, tmp_path = site
    settings = make_settings(tmp_path)
    with store.transaction() as conn:
        new_day(conn)
    build_site(make_app(settings, now=NOW, store=store))
    with store.transaction() as conn:  # the next day of the same week: one more podcast story
        add_story(conn, 92, "Podcasts for onboarding", "https://ex.org/92", "Listen.", [4], at("2026-W49", 2),
                  formats=(("podcast", 0.7),))  # fmt: skip
    updated = build_site(make_app(settings, now=NOW, store=store))
    assert 0 < updated.rendered < updated.pages / 2  # its week, its format, its source, the indexes
    retitled = replace(settings, site=replace(settings.site, title="Another title"))
    everything = build_site(make_app(retitled, now=NOW, store=store))
    copied = len(list((everything.out_dir / "digests").glob("*.html")))  # the digests' archives, copied as they are
    assert everything.rendered == everything.pages - copied  # every page shows the title


def test_on_postgresql_an_updated_site_is_the_site_built_from_scratch(tmp_path: Path, postgres_server: Any) -> None:
    from veille.adapters.storage.postgres import PostgresStore

    settings = make_settings(tmp_path)
    with PostgresStore.open(postgres_server.database()) as store:
        populate(store, tmp_path)
        build_site(make_app(settings, now=NOW, store=store))
        with store.transaction() as conn:
            new_day(conn)
        updated = build_site(make_app(settings, now=NOW, store=store))
        assert 0 < updated.rendered < updated.pages
        scratch = build_site(make_app(settings, now=NOW, store=store), out_dir=tmp_path / "scratch")
    assert tree(updated.out_dir) == tree(scratch.out_dir)


def test_a_new_day_reads_again_only_the_stories_of_the_days_it_changed(
    site: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site keeps its stories' references from one build to the next: a new day reads the records of
    its own days' stories, not the whole history (the other records are read when a page shown again asks)."""
    from veille.adapters import site_store
    from veille.jobs.site import _code_stamp

    store, tmp_path = site
    settings = make_settings(tmp_path)
    history = {story.key for story in store.site.load_site().stories}
    with store.transaction() as conn:
        new_day(conn)
    read: list[str] = []
    reader = site_store._read_stories

    def counted(*args: Any) -> Any:
        stories, buckets = reader(*args)
        read.extend(story.key for story in stories)
        return stories, buckets

    monkeypatch.setattr(site_store, "_read_stories", counted)
    records = store.site.load_site(kept=kept_stories(settings), stamp=_code_stamp())
    assert records.index is not None and not records.stories
    assert {ref.key for ref in records.index.refs} == history | {"s90", "s91", "i995"}
    assert {"s90", "s91", "i995"} <= set(read)  # what loading read: the buckets whose token changed
    assert len(read) < len(history) / 4
    older = sorted(history - set(read))[0]
    loaded = len(read)
    assert set(records.index.records([older])) == {older}  # an older one, read when asked for
    assert read[loaded:] == [older]
    assert set(records.index.records(["s90", older])) == {"s90", older}  # held since: nothing read again
    assert read[loaded:] == [older]


@pytest.mark.parametrize("kept", [b"", b"not what veille writes", None])
def test_kept_references_unreadable_or_of_another_veille_are_read_again(
    site: tuple[Store, Path], kept: bytes | None
) -> None:
    store, tmp_path = site
    settings = make_settings(tmp_path)
    path = kept_stories(settings)
    assert path.is_file()
    if kept is None:  # written by another version of veille's code
        monkeypatch = pytest.MonkeyPatch()
        monkeypatch.setattr("veille.jobs.site._code_stamp", lambda: "another veille")
    else:
        path.write_bytes(kept)
    with store.transaction() as conn:
        new_day(conn)
    try:
        updated = build_site(make_app(settings, now=NOW, store=store))
    finally:
        if kept is None:
            monkeypatch.undo()
    scratch = scratch_build(store, settings, tmp_path / "scratch")
    assert tree(updated.out_dir) == tree(scratch.out_dir)


def test_a_watch_stored_before_the_site_kept_its_stories_gets_its_buckets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database of an older veille: the migration gives every day of its stories a token, and the site
    built on it, then updated after a new day, is the site built from scratch."""
    from veille.adapters import schema
    from veille.adapters.storage import sqlite

    settings = make_settings(tmp_path)
    before = schema.MIGRATIONS.index(schema.SITE_CHANGES)
    monkeypatch.setattr(sqlite, "MIGRATIONS", schema.MIGRATIONS[:before])
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        assert not store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'site_changes'").fetchall()
    monkeypatch.undo()
    with Store.open(settings.database) as store:
        days = store.conn.execute("SELECT COUNT(DISTINCT substr(first_at, 1, 10)) FROM stories").fetchone()[0]
        assert store.conn.execute("SELECT COUNT(*) FROM site_changes WHERE bucket LIKE 's%'").fetchone()[0] == days
        build_site(make_app(settings, now=NOW, store=store))
        with store.transaction() as conn:
            new_day(conn)
        updated = build_site(make_app(settings, now=NOW, store=store))
        scratch = scratch_build(store, settings, tmp_path / "scratch")
    assert tree(updated.out_dir) == tree(scratch.out_dir)
