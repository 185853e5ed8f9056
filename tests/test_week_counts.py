"""One week, one count: the digest, the site's week page and the `digest` command agree on the week's
stories and sources (the demo's W48 said 39 sujets in the digest, 33 on the site, 33 in the terminal)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from tests.test_digest_support import FEEDS, WEEK, mark_processed, populate, story
from veille.adapters.store import Store
from veille.cli import cli

NOW = "2026-11-30T07:00:00Z"  # the Monday after the week


def invoke(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", NOW, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_digest_site_and_command_count_the_same_stories_and_sources(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n" + "".join(f"  - url: {url}\n" for _, _, url, _ in FEEDS), encoding="utf-8")
    with Store.open(tmp_path / ".veille" / "veille.db") as store:
        populate(store)
        with store.transaction() as conn:
            # more podcast stories than the digest lists per format: some stay out of the digest
            for n in range(7):
                story(
                    conn,
                    200 + n,
                    f"Podcast episode {n}",
                    f"https://www.edsurge.com/podcast/{n}",
                    "An episode.",
                    [1],
                    f"2026-11-2{3 + n % 5}T08:00:00+00:00",
                    formats=(("podcast", 0.9),),
                )
            # a story that continued from last week's digest into this week (already shown last week)
            conn.execute("UPDATE stories SET last_at = '2026-11-25T09:00:00+00:00' WHERE id = 1")
        mark_processed(store)

    out = invoke(config, "digest", "--week", WEEK, "--out", str(tmp_path / "out"))
    shown = int(re.search(r" : (\d+) sujets? dans le digest", out).group(1))  # type: ignore[union-attr]
    digest = next((tmp_path / "out").rglob("*.txt")).read_text(encoding="utf-8")
    numbers = re.search(r"(\d+) articles? lus?, venant de (\d+) sources?\s+- (\d+) sujets? distincts?", digest)
    assert numbers, digest[:600]
    digest_sources, digest_stories = int(numbers.group(2)), int(numbers.group(3))
    assert f"{digest_stories} sujets distincts, dont {shown} dans ce digest" in digest
    assert shown < digest_stories  # the extra podcasts were not listed: the wording says so

    invoke(config, "site", "--out", str(tmp_path / "site"))
    page = (tmp_path / "site" / "weeks" / f"{WEEK}.html").read_text(encoding="utf-8")
    site_stories = int(re.search(r"(\d+) sujets?\b", page).group(1))  # type: ignore[union-attr]
    site_sources = int(re.search(r"(\d+) sources?\b", page).group(1))  # type: ignore[union-attr]

    assert site_stories == digest_stories
    assert site_sources == digest_sources
    # the story shown last week that continued into this week is last week's, in both
    assert "Old news already sent" not in page


def _config(tmp_path: Path, language: str) -> Path:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "feeds:\n" + "".join(f"  - url: {url}\n" for _, _, url, _ in FEEDS) + f"digest:\n  language: {language}\n",
        encoding="utf-8",
    )
    with Store.open(tmp_path / ".veille" / "veille.db") as store:
        populate(store)
    return config


def test_veille_themes_speaks_the_digest_language_throughout(tmp_path: Path) -> None:
    """It used to print "10 story(ies), 13 source(s)" and "[new]" next to a French reason."""
    out = invoke(_config(tmp_path, "fr"), "themes", "--week", WEEK)
    assert out.startswith(f"{WEEK} : 4 thèmes\n")
    assert "[en hausse] ia générative, tuteur" in out
    assert "[nouveau (signal faible)] réalité virtuelle" in out
    assert "6 sujets publiés par 5 sources, x4,0 par rapport à sa moyenne sur 4 semaines" in out
    for english in ("story(ies)", "source(s)", "[new", "[rising", "weak signal", "theme(s)"):
        assert english not in out


def test_veille_themes_in_english(tmp_path: Path) -> None:
    out = invoke(_config(tmp_path, "en"), "themes", "--week", WEEK)
    assert out.startswith(f"{WEEK}: 4 themes\n")
    assert "[rising] ia générative, tuteur" in out and "[new (weak signal)] réalité virtuelle" in out
    assert "6 stories published by 5 sources, x4.0 against its 4-week average" in out
    assert "sujet" not in out


def test_a_week_reads_its_active_stories_from_a_bounded_range_of_dates(tmp_path: Path) -> None:
    """The stories active in a week (the digest's candidates, the radar's, the essentials' sources) are one
    range of the first-appearance index: a week costs the same after ten years of history as after one.
    A story spans at most the grouping window, so reaching back four windows loses none."""
    from veille.adapters.store import ACTIVE_STORIES, STORY_REACH, active_span
    from veille.core.clustering import STORY_WINDOW_DAYS

    assert STORY_REACH.days >= 2 * STORY_WINDOW_DAYS
    start, end = "2026-11-23T00:00:00+00:00", "2026-11-30T00:00:00+00:00"
    assert active_span(start, end)["reach"] == "2026-09-28T00:00:00+00:00"
    with Store.open(tmp_path / "veille.db") as store:
        plan = " | ".join(
            str(row[-1])
            for row in store.conn.execute(
                f"EXPLAIN QUERY PLAN SELECT s.id FROM stories s WHERE {ACTIVE_STORIES}",
                active_span(start, end),
            )
        )
    assert "first_at>? AND first_at<?" in plan, plan
