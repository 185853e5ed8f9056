"""`veille feeds add/remove` edit feeds.yaml as a round-trip document: the user's comments, key order,
quotes and layout survive, only the edited entry changes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from veille.cli import cli
from veille.config import loads

WATCH = """\
# Our watch list — edited by hand, keep the notes!
storage:
  path: data   # beside this file

feeds:
    # --- corporate ---
    - url: https://corporate.example.org/feed   # the team reads this first
      name: "Corporate: l'été"
      tags: [corporate]
      # lang: en   (to set once we know)
    - url: https://a-very-long-address.example.org/some/deep/path/to/the/feed/that/goes/on/and/on.xml?format=rss&limit=50
      lang: fr

# --- schools, below ---
    - url: https://school.example.org/rss
      tags: [school, 'higher-ed']

# digest settings
digest:
  language: fr   # for the team in Lyon
  title: 'Veille DLM'
"""


def run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "feeds", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_adding_then_removing_a_feed_gives_the_file_back_byte_for_byte(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text(WATCH, encoding="utf-8")

    out = run(config, "add", "https://new.example.net/atom.xml", "--as-is", "--name", "Nouveau", "--tag", "school")
    assert "ajouté" in out  # the configured language
    added = config.read_text(encoding="utf-8")
    assert added.startswith(WATCH.split("\n# digest settings")[0])  # everything before stays as it was
    assert "    - url: https://new.example.net/atom.xml\n      name: Nouveau\n      tags: [school]\n" in added
    assert added.index("new.example.net") < added.index("# digest settings")
    assert added.endswith(
        "# digest settings\ndigest:\n  language: fr   # for the team in Lyon\n  title: 'Veille DLM'\n"
    )

    run(config, "remove", "https://new.example.net/atom.xml")
    assert config.read_text(encoding="utf-8") == WATCH


def test_removing_an_entry_takes_its_own_comments_and_leaves_the_next_section_note(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text(WATCH, encoding="utf-8")

    run(
        config,
        "remove",
        "https://a-very-long-address.example.org/some/deep/path/to/the/feed/that/goes/on/and/on.xml?format=rss&limit=50",
    )
    text = config.read_text(encoding="utf-8")
    assert "a-very-long-address" not in text
    for note in (
        "# Our watch list — edited by hand, keep the notes!",
        "path: data   # beside this file",
        "    # --- corporate ---",
        "# the team reads this first",
        "      # lang: en   (to set once we know)",
        "\n# --- schools, below ---\n",
        "# for the team in Lyon",
    ):
        assert note in text, note
    assert text.index("# --- schools, below ---") < text.index("school.example.org")
    assert 'name: "Corporate: l\'été"' in text and "tags: [school, 'higher-ed']" in text  # quotes as written
    settings = loads(text, config, environ={})
    assert [feed.url for feed in settings.feeds] == [
        "https://corporate.example.org/feed",
        "https://school.example.org/rss",
    ]

    run(config, "remove", "https://corporate.example.org/feed")
    text = config.read_text(encoding="utf-8")
    assert "# the team reads this first" not in text and "# lang: en" not in text  # the entry's own notes
    assert "# --- schools, below ---" in text and "# --- corporate ---" in text
    run(config, "remove", "https://school.example.org/rss")
    text = config.read_text(encoding="utf-8")
    assert loads(text, config, environ={}).feeds == ()
    for note in ("# Our watch list", "# --- corporate ---", "# digest settings", "# for the team in Lyon"):
        assert note in text, note


def test_a_long_address_is_never_folded_and_a_dash_at_column_zero_stays_there(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    long_url = "https://example.org/" + "x" * 150 + "/feed.xml"
    config.write_text("feeds:\n- url: https://a.example.org/feed  # a\n", encoding="utf-8")
    run(config, "add", long_url, "--as-is")
    assert config.read_text(encoding="utf-8") == (
        f"feeds:\n- url: https://a.example.org/feed  # a\n- url: {long_url}\n"
    )
