"""feeds.yaml: defaults, paths, secrets, every kind of mistake reported with file, line and field, the
starter written by `veille init`, the shipped reference watch list, and in-place edits that keep comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.config import (
    add_feeds_to_yaml,
    dump_feeds,
    init_config,
    load,
    loads,
    reference_config,
    remove_feed_from_yaml,
    starter_config,
)
from veille.errors import ConfigError
from veille.models import FeedConfig

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "feeds.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path, environ={})
    return str(caught.value)


# ------------------------------------------------------------------------------------------ defaults


def test_smallest_config_gets_every_default(tmp_path: Path) -> None:
    settings = load(write(tmp_path, "feeds: [{url: https://example.org/feed}]\n"), environ={})

    assert [feed.url for feed in settings.feeds] == ["https://example.org/feed"]
    assert settings.feeds[0].line == 1
    assert settings.data_dir == tmp_path.resolve() / ".veille"
    assert settings.database == tmp_path.resolve() / ".veille" / "veille.db"
    assert settings.fetch.concurrency == 16 and settings.fetch.min_interval_minutes == 60
    assert settings.model.name == "all-MiniLM-L6-v2"
    assert (settings.digest.language, settings.digest.weekday, settings.digest.hour) == ("fr", "monday", 7)
    assert settings.digest.title == "Veille digital learning"
    assert settings.digest.archive_dir == settings.data_dir / "digests"
    assert settings.site.out_dir == settings.data_dir / "site"
    assert settings.mail.host is None and settings.mail.password is None
    assert (settings.schedule.run_time, settings.schedule.timezone) == ("06:00", "Europe/Paris")
    assert settings.formats_file is None and settings.templates_dir is None


def test_english_digest_gets_an_english_title_and_empty_sections_mean_defaults(tmp_path: Path) -> None:
    text = "feeds:\n  - https://example.org/feed\ndigest:\n  language: en\nmail:\nsite:\n  # title: x\n"
    settings = load(write(tmp_path, text), environ={})
    assert settings.digest.title == "Digital learning watch"
    assert settings.site.title == "Digital learning watch"
    assert settings.feeds[0].url == "https://example.org/feed"  # a bare URL is a feed too


def test_yaml_1_1_traps_keep_the_text_as_written(tmp_path: Path) -> None:
    text = (
        "feeds:\n  - url: https://example.no/feed\n    lang: no\n    name: 2024\n"
        "schedule:\n  run_time: 06:30\ndigest:\n  weekday: Vendredi\n"
    )
    settings = load(write(tmp_path, text), environ={})
    assert settings.feeds[0].lang == "no"  # Norwegian, not False
    assert settings.feeds[0].name == "2024"
    assert settings.schedule.run_time == "06:30"  # not the sexagesimal 390
    assert settings.digest.weekday == "friday"


def test_feed_fields_and_overrides(tmp_path: Path) -> None:
    text = """\
feeds:
  - url: https://example.org/feed
    name: "  Example  "
    tags: [corporate, corporate, higher-ed]
    lang: en-GB
    min_interval_minutes: 180
    read_timeout: 12.5
    max_bytes: 2000000
  - url: https://example.com/rss
    tags: school
"""
    first, second = load(write(tmp_path, text), environ={}).feeds
    assert first == FeedConfig(
        url="https://example.org/feed",
        name="Example",
        tags=("corporate", "higher-ed"),
        lang="en",
        min_interval_minutes=180,
        read_timeout=12.5,
        max_bytes=2_000_000,
        line=2,
    )
    assert second.tags == ("school",) and second.line == 9


# ------------------------------------------------------------------------------------- paths, secrets


def test_paths_resolve_relative_to_the_config_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = tmp_path / "watch"
    (config_dir / "templates").mkdir(parents=True)
    (config_dir / "my-formats.yaml").write_text("formats: []\n", encoding="utf-8")
    text = """\
feeds: [{url: https://example.org/feed}]
storage: {path: data}
digest: {archive_dir: ../archive}
site: {out_dir: /srv/www/veille}
formats: my-formats.yaml
model: {name: ./models/mini}
"""
    path = write(config_dir, text)
    monkeypatch.chdir(tmp_path)  # elsewhere than the config file
    settings = load(Path("watch/feeds.yaml"), environ={})

    base = config_dir.resolve()
    assert settings.config_path == base / "feeds.yaml"
    assert settings.data_dir == base / "data"
    assert settings.database == base / "data" / "veille.db"
    assert settings.digest.archive_dir == tmp_path.resolve() / "archive"
    assert settings.site.out_dir == Path("/srv/www/veille")
    assert settings.formats_file == base / "my-formats.yaml"
    assert settings.templates_dir == base / "templates"  # found beside the config file
    assert settings.model.name == str(base / "models" / "mini")
    assert load(config_dir, environ={}).config_path == path.resolve()  # a folder means its feeds.yaml


MAIL = """\
feeds: [{url: https://example.org/feed}]
mail:
  host: smtp.example.org
  security: tls
  username: veille@example.org
  password_env: VEILLE_TEST_SMTP_PASSWORD
  sender: veille@example.org
  recipients: [dlm@example.org, team@example.org]
"""


def test_mail_password_comes_from_the_named_environment_variable(tmp_path: Path) -> None:
    path = write(tmp_path, MAIL)
    settings = load(path, environ={"VEILLE_TEST_SMTP_PASSWORD": "s3cret"})
    assert settings.mail.password == "s3cret"
    assert "s3cret" not in repr(settings)  # never printed by accident
    assert settings.mail.port == 465  # tls without a port: the implicit-TLS port
    assert settings.mail.recipients == ("dlm@example.org", "team@example.org")
    assert load(path, environ={}).mail.password is None  # unset: loading still works


def test_a_literal_password_is_refused_and_points_to_password_env(tmp_path: Path) -> None:
    message = load_error(tmp_path, MAIL.replace("  password_env:", "  password: hunter2\n  password_env:"))
    assert "feeds.yaml:6: mail.password:" in message
    assert "password_env" in message
    assert "hunter2" not in message


# ------------------------------------------------------------------------------------------- mistakes

BAD_CONFIGS = {
    "yaml syntax": (
        "feeds:\n  - url: https://example.org/feed\n    name: [unclosed\n",
        "feeds.yaml:4: YAML syntax error",
    ),
    "a feed key indented one space too far": (
        "feeds:\n  - url: https://example.org/feed\n   name: Example\n",
        "feeds.yaml:3: YAML indentation error: check the indentation here: `name: Example` is not aligned with "
        "the lines above it",
    ),
    "a setting indented further than its neighbours": (
        "feeds: []\ndigest:\n  language: en\n   hour: 3\n",
        "feeds.yaml:4: YAML indentation error: check the indentation here: `hour: 3`",
    ),
    "a setting indented less than its neighbours": (
        "feeds: []\ndigest:\n  language: en\n hour: 3\n",
        "feeds.yaml:4: YAML indentation error: check the indentation here: `hour: 3`",
    ),
    "a tab": (
        "feeds: []\ndigest:\n\tlanguage: en\n",
        "feeds.yaml:3: YAML indentation error: a tab in `language: en`; indent with spaces only",
    ),
    "an unquoted colon in a value": (
        "feeds:\n  - url: https://example.org/feed\n    name: Veille: the news\n",
        "feeds.yaml:3: YAML syntax error: the value in `name: Veille: the news` contains ': '; put the value in quotes",
    ),
    "unknown top-level key": (
        "feeds: [{url: https://example.org/feed}]\ndigst:\n  language: en\n",
        "feeds.yaml:2: digst: unknown setting; did you mean 'digest'?",
    ),
    "unknown feed key": (
        "feeds:\n  - url: https://example.org/feed\n    tag: [corporate]\n",
        "feeds.yaml:3: feeds[1].tag: unknown setting; did you mean 'tags'?",
    ),
    "unknown nested key": (
        "feeds: [{url: https://example.org/feed}]\nmail:\n  recipient: a@example.org\n",
        "feeds.yaml:3: mail.recipient: unknown setting; did you mean 'recipients'?",
    ),
    "bad url scheme": (
        "feeds:\n  - url: https://example.org/feed\n  - url: https://example.com/a\n"
        "  - url: https://example.net/b\n  - url: htp://x\n",
        "feeds.yaml:5: feeds[4].url: 'htp://x' is not an http(s) URL",
    ),
    "url without host": (
        "feeds:\n  - url: https:///feed\n",
        "feeds.yaml:2: feeds[1].url: 'https:///feed' is not an http(s) URL",
    ),
    "duplicate feed": (
        "feeds:\n  - url: https://example.org/feed\n  - url: http://EXAMPLE.org/feed/\n",
        "feeds.yaml:3: feeds[2].url: 'http://EXAMPLE.org/feed/' is already listed at line 2",
    ),
    "feed without url": (
        "feeds:\n  - name: Nothing\n",
        "feeds.yaml:2: feeds[1].url: missing",
    ),
    "feeds not a list": (
        "feeds:\n  url: https://example.org/feed\n",
        "feeds.yaml:2: feeds: expected a list, got a mapping",
    ),
    "no feeds key": (
        "digest:\n  language: en\n",
        "feeds.yaml: feeds: missing",
    ),
    "wrong type": (
        "feeds: [{url: https://example.org/feed}]\ndigest:\n  hour: seven\n",
        "feeds.yaml:3: digest.hour: expected a whole number, got 'seven'",
    ),
    "list where a number goes": (
        "feeds: [{url: https://example.org/feed}]\nfetch:\n  concurrency: [4]\n",
        "feeds.yaml:3: fetch.concurrency: expected a whole number, got a list",
    ),
    "out of range": (
        "feeds: [{url: https://example.org/feed}]\ndigest:\n  hour: 24\n",
        "feeds.yaml:3: digest.hour: 24 is out of range: it must be between 0 and 23",
    ),
    "negative timeout override": (
        "feeds:\n  - url: https://example.org/feed\n    read_timeout: -1\n",
        "feeds.yaml:3: feeds[1].read_timeout: -1 must be greater than 0",
    ),
    "bad security": (
        "feeds: [{url: https://example.org/feed}]\nmail:\n  security: ssl\n",
        "feeds.yaml:3: mail.security: 'ssl' is not one of: starttls, tls, none",
    ),
    "bad digest language": (
        "feeds: [{url: https://example.org/feed}]\ndigest:\n  language: de\n",
        "feeds.yaml:3: digest.language: 'de' is not one of: fr, en",
    ),
    "bad weekday": (
        "feeds: [{url: https://example.org/feed}]\ndigest:\n  weekday: funday\n",
        "feeds.yaml:3: digest.weekday: 'funday' is not a day of the week",
    ),
    "bad feed language": (
        "feeds:\n  - url: https://example.org/feed\n    lang: french!\n",
        "feeds.yaml:3: feeds[1].lang: 'french!' is not a language code",
    ),
    "bad time": (
        "feeds: [{url: https://example.org/feed}]\nschedule:\n  run_time: '25:00'\n",
        "feeds.yaml:3: schedule.run_time: '25:00' is not a time of day written HH:MM",
    ),
    "bad timezone": (
        "feeds: [{url: https://example.org/feed}]\nschedule:\n  timezone: Mars/Olympus\n",
        "feeds.yaml:3: schedule.timezone: 'Mars/Olympus' is not a time zone",
    ),
    "bad email": (
        "feeds: [{url: https://example.org/feed}]\nmail:\n  host: smtp.example.org\n"
        "  sender: veille@example.org\n  recipients: [dlm@example.org, not-an-address]\n",
        "feeds.yaml:5: mail.recipients[2]: 'not-an-address' is not an email address",
    ),
    "mail without recipients": (
        "feeds: [{url: https://example.org/feed}]\nmail:\n  host: smtp.example.org\n  sender: veille@example.org\n",
        "feeds.yaml:3: mail.recipients: missing",
    ),
    "bad environment variable name": (
        "feeds: [{url: https://example.org/feed}]\nmail:\n  password_env: my password\n",
        "feeds.yaml:3: mail.password_env: 'my password' is not an environment variable name",
    ),
    "key set twice": (
        "feeds: [{url: https://example.org/feed}]\ndigest:\n  hour: 6\n  hour: 8\n",
        "feeds.yaml:4: digest.hour: is set twice",
    ),
    "missing formats file": (
        "feeds: [{url: https://example.org/feed}]\nformats: nowhere.yaml\n",
        "feeds.yaml:2: formats: no such file",
    ),
    "unknown source type": (
        "feeds:\n  - url: https://example.org/news\n    type: rss\n",
        "feeds.yaml:3: feeds[1].type: 'rss' is not one of: feed, html",
    ),
    "html source without its item selector": (
        "feeds:\n  - url: https://example.org/feed\n  - url: https://example.org/news\n    type: html\n    title: h2\n",
        "feeds.yaml:3: feeds[2].item: missing: a `type: html` source needs the CSS selectors item, title",
    ),
    "html source without its title selector": (
        "feeds:\n  - url: https://example.org/news\n    type: html\n    item: article.post\n",
        "feeds.yaml:2: feeds[1].title: missing: a `type: html` source needs the CSS selectors item, title",
    ),
    "a selector selectolax cannot read": (
        "feeds:\n  - url: https://example.org/news\n    type: html\n    item: article\n    title: h2\n"
        "    date: '//time/@datetime'\n",
        "feeds.yaml:6: feeds[1].date: '//time/@datetime' is not a CSS selector selectolax can read (it looks like"
        " XPath",
    ),
    "an empty selector": (
        "feeds:\n  - url: https://example.org/news\n    type: html\n    item: article\n    title: ''\n",
        "feeds.yaml:5: feeds[1].title: an empty CSS selector",
    ),
    "a selector on a feed": (
        "feeds:\n  - url: https://example.org/feed\n    item: article\n",
        "feeds.yaml:3: feeds[1].item: a CSS selector is only for a page read without a feed: add `type: html`",
    ),
    "top level not a mapping": (
        "- https://example.org/feed\n",
        "feeds.yaml:1: expected settings such as `feeds:` at the top",
    ),
}


@pytest.mark.parametrize("text, expected", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_a_bad_config_names_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    message = load_error(tmp_path, text)
    assert message.startswith(str(tmp_path / "feeds.yaml"))
    assert expected in message


def test_a_missing_or_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: no such file: create one with `veille init`"):
        load(tmp_path / "nowhere.yaml")
    assert "the file is empty" in load_error(tmp_path, "# nothing yet\n")


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_bytes("feeds:\n  - url: https://example.org/feed\n    name: Café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"feeds\.yaml:3: the file is not UTF-8 text"):
        load(path)


# ------------------------------------------------------------------------------- starter and shipped


def test_starter_config_loads_and_init_never_overwrites(tmp_path: Path) -> None:
    settings = loads(starter_config(), tmp_path / "feeds.yaml", environ={})
    assert len(settings.feeds) >= 5
    assert {feed.lang for feed in settings.feeds} == {"fr", "en"}
    assert settings.mail.host is None  # mail stays off until the user sets it up

    target = init_config(tmp_path / "new")
    assert target.read_text(encoding="utf-8") == starter_config()
    assert load(target, environ={}).feeds == settings.feeds
    target.write_text("feeds: [{url: https://mine.example.org/feed}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists; veille init never overwrites"):
        init_config(tmp_path / "new")
    assert "mine.example.org" in target.read_text(encoding="utf-8")  # the user's file is intact


def test_the_shipped_reference_watch_list_loads_with_real_edtech_sources(tmp_path: Path) -> None:
    assert (ROOT / "feeds.yaml").read_text(encoding="utf-8") == reference_config()  # one source of truth
    settings = loads(reference_config(), tmp_path / "feeds.yaml", environ={})
    feeds = settings.feeds
    assert len(feeds) >= 25
    assert all(feed.name and feed.lang in ("fr", "en") and feed.tags for feed in feeds)
    assert sum(feed.lang == "fr" for feed in feeds) >= 8
    assert {tag for feed in feeds for tag in feed.tags} <= {"corporate", "higher-ed", "school", "vendor"}
    for audience in ("corporate", "higher-ed", "school"):
        assert sum(audience in feed.tags for feed in feeds) >= 5, audience
    hosts = " ".join(feed.url for feed in feeds)
    for source in ("edsurge.com", "insidehighered.com", "cafepedagogique.net", "downes.ca", "cursus.edu"):
        assert source in hosts


# ------------------------------------------------------------------------------- editing the text

ANNOTATED = """\
# My watch list
feeds:
  # corporate
  - url: https://example.org/feed   # the first one
    name: Example
    # lang: en
  - url: https://example.com/rss
    tags: [school]

# digest settings
digest:
  language: en   # for the team in Dublin
"""


def comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#") or " # " in line]


def test_adding_feeds_keeps_comments_and_layout(tmp_path: Path) -> None:
    new = [
        FeedConfig(url="https://new.example.net/atom.xml", name="Nouveau: l'été", tags=("higher-ed",), lang="fr"),
        FeedConfig(url="https://example.com/rss/"),  # already listed: skipped
        FeedConfig(url="https://other.example.net/feed", min_interval_minutes=120),
    ]
    text = add_feeds_to_yaml(ANNOTATED, new)

    assert text.startswith(ANNOTATED.split("\n# digest settings")[0])  # nothing before moved
    assert comment_lines(text) == comment_lines(ANNOTATED)
    assert text.index("other.example.net") < text.index("# digest settings")
    settings = loads(text, tmp_path / "feeds.yaml", environ={})
    assert [feed.url for feed in settings.feeds] == [
        "https://example.org/feed",
        "https://example.com/rss",
        "https://new.example.net/atom.xml",
        "https://other.example.net/feed",
    ]
    assert settings.feeds[2].name == "Nouveau: l'été" and settings.feeds[2].lang == "fr"
    assert settings.feeds[3].min_interval_minutes == 120
    assert settings.digest.language == "en"


def test_adding_a_listed_feed_can_be_refused_with_its_line() -> None:
    with pytest.raises(ConfigError, match="already listed at line 7"):
        add_feeds_to_yaml(ANNOTATED, [FeedConfig(url="http://example.com/rss")], skip_existing=False)


def test_adding_an_invalid_feed_is_refused_before_anything_is_written() -> None:
    with pytest.raises(ConfigError, match=r"feeds\[3\]\.url: 'ftp://example.org/feed' is not an http\(s\) URL"):
        add_feeds_to_yaml(ANNOTATED, [FeedConfig(url="ftp://example.org/feed")])


@pytest.mark.parametrize(
    "text",
    [
        "feeds: [{url: https://example.org/feed}]\n",
        "feeds: []\n",
        "feeds:\n",
        "feeds: ~  # none yet\ndigest: {language: en}\n",
        "digest:\n  language: en\n",
        "",
        "# only a comment",
    ],
    ids=["flow", "empty-flow", "null", "tilde", "no-key", "empty-file", "no-newline"],
)
def test_adding_works_whatever_the_shape_of_the_feeds_list(tmp_path: Path, text: str) -> None:
    added = FeedConfig(url="https://added.example.org/feed", name="Added", tags=("corporate", "school"))
    result = add_feeds_to_yaml(text, [added])
    feeds = loads(result, tmp_path / "feeds.yaml", environ={}).feeds
    assert feeds[-1].url == added.url and feeds[-1].tags == added.tags
    for line in text.splitlines():
        if "#" in line:
            assert line.split("#", 1)[1] in result  # the comment survives


def test_removing_a_feed_keeps_the_others_and_the_comments(tmp_path: Path) -> None:
    text = remove_feed_from_yaml(ANNOTATED, "http://example.org/feed/")
    assert "example.org" not in text and "# lang: en" not in text  # the entry and its own comment
    for kept in ("# My watch list", "# corporate", "# digest settings", "# for the team in Dublin"):
        assert kept in text
    feeds = loads(text, tmp_path / "feeds.yaml", environ={}).feeds
    assert [feed.url for feed in feeds] == ["https://example.com/rss"]

    empty = remove_feed_from_yaml(text, "https://example.com/rss")
    assert loads(empty, tmp_path / "feeds.yaml", environ={}).feeds == ()
    assert "# digest settings" in empty


def test_removing_from_a_flow_list_and_removing_an_unlisted_feed() -> None:
    text = "feeds: [{url: https://a.example.org/feed}, https://b.example.org/feed, {url: https://c.example.org}]\n"
    assert remove_feed_from_yaml(text, "https://b.example.org/feed") == (
        "feeds: [{url: https://a.example.org/feed}, {url: https://c.example.org}]\n"
    )
    assert remove_feed_from_yaml(text, "https://c.example.org") == (
        "feeds: [{url: https://a.example.org/feed}, https://b.example.org/feed]\n"
    )
    with pytest.raises(ConfigError, match=r"'https://z\.example\.org' is not listed"):
        remove_feed_from_yaml(text, "https://z.example.org")


def test_dump_feeds_round_trips_through_the_loader(tmp_path: Path) -> None:
    feeds = load(ROOT / "feeds.yaml", environ={}).feeds
    reloaded = loads(dump_feeds(feeds), tmp_path / "feeds.yaml", environ={}).feeds
    strip = [(f.url, f.name, f.tags, f.lang, f.min_interval_minutes) for f in feeds]
    assert [(f.url, f.name, f.tags, f.lang, f.min_interval_minutes) for f in reloaded] == strip


def test_removing_the_last_entry_keeps_the_next_section_and_its_note() -> None:
    text = (
        "feeds:\n  - url: https://b.example.org/feed\n    name: B\n  - url: https://a.example.org/feed\n"
        "    name: A\n\n# Digest settings\n# storage:\n#   url: postgresql://team@db/veille\ndigest:\n  language: en\n"
    )
    assert remove_feed_from_yaml(text, "https://a.example.org/feed") == (
        "feeds:\n  - url: https://b.example.org/feed\n    name: B\n\n# Digest settings\n# storage:\n"
        "#   url: postgresql://team@db/veille\ndigest:\n  language: en\n"
    )


def test_removing_a_plain_address_keeps_the_note_about_the_next_one() -> None:
    text = "feeds:\n  - https://a.example.org/feed  # a\n  # about b: the team's favourite\n  - https://b.example.org/feed\n"
    assert remove_feed_from_yaml(text, "https://a.example.org/feed") == (
        "feeds:\n  # about b: the team's favourite\n  - https://b.example.org/feed\n"
    )


def test_a_file_indented_by_four_with_crlf_lines_keeps_its_layout() -> None:
    text = (
        "---\r\nmodel:\r\n    batch_size: 8\r\nfeeds:\r\n    -   url: https://a.example.org/feed\r\n"
        "        tags: [ school , corporate ]\r\n"
    )
    added = add_feeds_to_yaml(text, [FeedConfig(url="https://b.example.org/feed")])
    assert added.startswith(text)  # every line as written, the new entry below, with the file's line endings
    assert added[len(text) :] == "    - url: https://b.example.org/feed\r\n"
    assert remove_feed_from_yaml(added, "https://b.example.org/feed") == text
    assert remove_feed_from_yaml(text, "https://a.example.org/feed") == (
        "---\r\nmodel:\r\n    batch_size: 8\r\nfeeds: []\r\n"
    )
