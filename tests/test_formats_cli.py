"""`veille formats` through the real CLI, on a real SQLite file built by the real pipeline.

The demo corpus (ten weeks, thirteen sources, designed trends) is stored as fetched items and processed
by `veille process` with the real model; the radar's numbers are then checked against the database
counted here independently, in SQL, with the rules the README states.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from veille.adapters.store import FeedStore, Store
from veille.adapters.taxonomy import format_names
from veille.cli import cli
from veille.core.normalize import content_hash
from veille.core.sanitize import html_to_text
from veille.core.weeks import iso_week
from veille.demo.corpus import load_corpus
from veille.models import FeedConfig, NewItem

pytestmark = pytest.mark.slow

NOW = "2026-11-30T06:00:00Z"  # Monday of 2026-W49: the last complete week is 2026-W48


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus stored as its sources would have served it, then `veille process`."""
    out = tmp_path_factory.mktemp("radar")
    corpus = load_corpus()
    urls = {source.key: f"https://{source.key}.example/feed.xml" for source in corpus.sources}
    path = out / "feeds.yaml"
    path.write_text("feeds:\n" + "".join(f"  - url: {url}\n" for url in urls.values()), encoding="utf-8")
    start = datetime(2026, 9, 1, tzinfo=UTC)
    with Store.open(out / ".veille" / "veille.db") as store:
        feeds = FeedStore(store)
        feeds.sync_feeds([FeedConfig(url=url) for url in urls.values()], start)
        ids = {state.url: state.id for state in feeds.feed_states()}
        with store.transaction():
            for item in corpus.items:
                summary = html_to_text(item.summary)
                new = NewItem(item.link, item.link, item.link, item.title, summary, summary, None, (),
                              item.published, item.lang, content_hash(item.title, summary, item.link))  # fmt: skip
                feeds._store_items(ids[urls[item.source]], [new], item.published)
    invoke(path, "process")
    return path


def invoke(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", NOW, *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.stdout


def counted_in_sql(database: Path, week: str) -> tuple[int, Counter[str]]:
    """The week's stories and each format's stories, straight from the tables: a story's week is its
    first item's week (no digest was built), its formats the union of its items' formats, `other` only
    when none of them has another one."""
    with sqlite3.connect(database) as conn:
        first = {
            sid: iso_week(datetime.fromisoformat(at)) for sid, at in conn.execute("SELECT id, first_at FROM stories")
        }
        formats: dict[int, set[str]] = defaultdict(set)
        for sid, fmt in conn.execute(
            "SELECT si.story_id, f.format FROM story_items si JOIN item_formats f ON f.item_id = si.item_id"
        ):
            formats[sid].add(fmt)
        loose = conn.execute("SELECT COUNT(*) FROM items WHERE id NOT IN (SELECT item_id FROM story_items)").fetchone()[
            0
        ]
    assert loose == 0  # everything was processed
    counts: Counter[str] = Counter()
    total = 0
    for sid, story_week in first.items():
        if story_week != week:
            continue
        total += 1
        real = formats[sid] - {"other"}
        counts.update(real or {"other"})
    return total, counts


def test_formats_json_gives_every_format_with_its_share_and_status(config: Path) -> None:
    data = json.loads(invoke(config, "formats", "--json"))
    assert data["week"] == "2026-W48"  # the last complete week before --now
    assert data["complete"] is True
    total, counts = counted_in_sql(config.parent / ".veille" / "veille.db", "2026-W48")
    assert data["stories"] == total > 0
    names = format_names(None, "fr")
    rows = {row["format"]: row for row in data["formats"]}
    assert set(names) <= set(rows)  # every format of the taxonomy, even without a story
    assert rows["other"]["name"] == "Autres formats"
    assert rows["mooc"]["name"] == names["mooc"]
    for key, row in rows.items():
        assert row["stories"] == counts.get(key, 0), key
        assert row["share"] == pytest.approx(counts.get(key, 0) / total, abs=1e-4)
        assert row["status"] in {"rising", "steady", "fading"}
        assert row["reason"]["stories"] == row["stories"]
        assert len(row["weeks"]) == 12 and row["weeks"][-1]["stories"] == row["stories"]
    order = [row["status"] for row in data["formats"][:-1]]
    assert order == sorted(order, key=("rising", "fading", "steady").index)  # moving formats first


def test_the_designed_trends_show_on_the_radar(config: Path) -> None:
    """The demo corpus's designed trend: AI tutors climb from 2026-W45, so its AI format rises (over
    its last two weeks against the six before), while background formats stay steady. (The fading MOOC
    theme is too small a part of the MOOC format, at most 3 stories a week, for the themes' fading rule,
    which asks for an earlier mean of 3 a week.)"""
    weeks = {w: json.loads(invoke(config, "formats", "--json", "--week", w)) for w in ("2026-W47", "2026-W48")}
    rows = {w: {row["format"]: row for row in data["formats"]} for w, data in weeks.items()}
    for week in weeks:
        ai = rows[week]["ai-learning"]
        assert ai["status"] == "rising", week
        assert data_first(weeks[week]) == "ai-learning"  # a rising format leads the radar
    assert rows["2026-W48"]["video"]["status"] == "steady"
    # VR training is new in 2026-W47: the immersive format appears from nothing
    assert [w["stories"] for w in rows["2026-W48"]["immersive"]["weeks"][:-2]] == [0] * 10
    assert min(w["stories"] for w in rows["2026-W48"]["immersive"]["weeks"][-2:]) > 0


def data_first(data: dict[str, list[dict[str, str]]]) -> str:
    return data["formats"][0]["format"]


def test_formats_prints_the_radar_in_the_digests_language(config: Path) -> None:
    out = invoke(config, "formats", "--week", "2026-W48")
    lines = out.splitlines()
    assert lines[0].startswith("2026-W48 : ") and "sujets" in lines[0]
    assert format_names(None, "fr")["ai-learning"] in lines[1] and "[en hausse]" in lines[1]
    assert "sur les 2 dernières semaines par rapport aux 6 semaines précédentes" in lines[2]  # its reason
    moving = sum(1 for line in lines if "[en hausse]" in line or "[en baisse]" in line)
    assert moving >= 1
    assert len(lines) == 1 + len(format_names(None, "fr")) + moving  # one line per format, a reason under a moving one


def test_a_bad_week_is_a_usage_error(config: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", NOW, "formats", "--week", "2026-48"])
    assert result.exit_code == 2
    assert "not an ISO week" in result.output


def test_a_new_watch_says_it_is_too_early(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - url: https://example.org/feed.xml\n", encoding="utf-8")
    lines = invoke(config, "formats").splitlines()
    assert lines[0] == "2026-W48 : 0 sujet"
    assert lines[1] == "  Trop tôt pour juger\u00a0: 0 semaine de veille sur 5 nécessaires"
    data = json.loads(invoke(config, "formats", "--json"))
    assert {row["status"] for row in data["formats"]} == {"steady"}
    assert all(row["reason"]["too_early"] == 1 for row in data["formats"])
