"""An updated site is the site a build from scratch gives: byte for byte, after a new day, a corrected story in
an old week, a theme renamed, a story moved into a digest, a feed's trouble. Real SQLite file, real folders."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.test_site_support import NOW, add_story, at, make_settings, populate
from veille.adapters.site import MANIFEST
from veille.adapters.store import Store
from veille.app import make_app
from veille.jobs.site import build_site


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


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    settings = make_settings(tmp_path)
    with Store.open(settings.database) as store:
        populate(store, tmp_path)
        build_site(make_app(settings, now=NOW, store=store))
        yield store, tmp_path


@pytest.mark.parametrize(
    "change",
    [new_day, corrected_title, renamed_theme, into_old_digest, renamed_feed, signal_in_old_week, retagged_old_item],
)
def test_an_updated_site_is_byte_for_byte_the_site_built_from_scratch(
    site: tuple[Store, Path], change: Callable[[object], None]
) -> None:
    store, tmp_path = site
    settings = make_settings(tmp_path)
    with store.transaction() as conn:
        change(conn)
    updated = build_site(make_app(settings, now=NOW, store=store))
    assert updated.written > 0
    scratch = build_site(make_app(settings, now=NOW, store=store), out_dir=tmp_path / "scratch")
    assert tree(updated.out_dir) == tree(scratch.out_dir)


def test_a_new_day_then_the_next_week_is_still_the_site_built_from_scratch(site: tuple[Store, Path]) -> None:
    store, tmp_path = site
    settings = make_settings(tmp_path)
    with store.transaction() as conn:
        new_day(conn)
    build_site(make_app(settings, now=NOW, store=store))
    later = NOW.replace(day=9)  # a week later: the week in progress becomes complete, the radar moves on
    updated = build_site(make_app(settings, now=later, store=store))
    scratch = build_site(make_app(settings, now=later, store=store), out_dir=tmp_path / "scratch")
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
            scratch = build_site(make_app(settings, now=now, store=store), out_dir=tmp_path / f"scratch{now.day}")
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
        "digest_week": "2026-W49", "audiences": ("school",),
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
