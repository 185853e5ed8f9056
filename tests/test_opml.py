"""OPML import and export: every real subscription list in ../shared imports, folders become tags, odd
encodings and broken markup are read, and an export imports back to the same feeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import need_shared
from veille.adapters.opml import read_opml, write_opml
from veille.config import add_feeds_to_yaml, load, loads, starter_config
from veille.errors import ConfigError
from veille.models import FeedConfig

ROOT = Path(__file__).resolve().parent.parent

SHARED_OPML = [
    "antennapod_export.opml",
    "awesome_rss_france.opml",
    "awesome_rss_news.opml",
    "awesome_rss_science.opml",
    "google_reader_export_fr.opml",
    "netnewswire_subs.opml",
    "newsbeuter_export.opml",
    "plenary_programming.opml",
    "rssguard_export.opml",
    "stringer_google_reader_subscriptions.opml",
    "subscriptionList_iso8859.opml",
]
# Outlines that are the same feed as an earlier one and are merged into it:
# NetNewsWire lists http://feed.katiefloyd.com both with and without its trailing slash.
DUPLICATES = {"netnewswire_subs.opml": 1}


def sources_counts(folder: Path) -> dict[str, int]:
    """The `feeds (xmlUrl)` column of SOURCES.md: file name → number of xmlUrl outlines."""
    counts: dict[str, int] = {}
    column = None
    for line in (folder / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if "feeds (xmlUrl)" in cells:
            column = cells.index("feeds (xmlUrl)")
        elif column is not None and len(cells) > column and cells[1].endswith(".opml`"):
            counts[cells[1].strip("`")] = int(cells[column])
    return counts


@pytest.mark.parametrize("name", SHARED_OPML)
def test_every_shared_opml_file_imports_all_its_feeds(name: str) -> None:
    folder = need_shared("feeds", "opml")
    path = folder / name
    raw = path.read_bytes()
    outlines = len(re.findall(rb"\sxmlUrl\s*=", raw, re.IGNORECASE))
    assert outlines == sources_counts(folder)[name]

    feeds = read_opml(path)

    assert len(feeds) == outlines - DUPLICATES.get(name, 0)
    assert len({feed.url for feed in feeds}) == len(feeds)
    assert all(feed.url.startswith(("http://", "https://")) for feed in feeds)
    # every feed imports into a feeds.yaml that loads
    text = add_feeds_to_yaml("feeds:\n", feeds)
    assert len(loads(text, path.with_name("feeds.yaml"), environ={}).feeds) == len(feeds)


def test_nested_folders_become_tags() -> None:
    folder = need_shared("feeds", "opml")
    by_name = {feed.name: feed for feed in read_opml(folder / "google_reader_export_fr.opml")}
    assert by_name["Reflets"].tags == ("Presse",)
    assert by_name["Science étonnante"].tags == ("Culture",)
    assert by_name["Reflets"].url == "http://reflets.info/feed/"

    rssguard = read_opml(folder / "rssguard_export.opml")
    assert {"Amis", "Actu Geek"} <= {tag for feed in rssguard for tag in feed.tags}


def test_escaped_ampersands_in_urls_are_decoded() -> None:
    folder = need_shared("feeds", "opml")
    urls = {feed.url for feed in read_opml(folder / "google_reader_export_fr.opml")}
    assert "http://viewtext.org/article?url=http%3A%2F%2Ffeeds.feedburner.com%2Fdrgoulu&rl=false" in urls


def test_broken_markup_is_read_leniently() -> None:
    # Plenary pasted an HTML link, quotes and all, into a description attribute: not XML any more.
    folder = need_shared("feeds", "opml")
    feeds = {feed.url: feed for feed in read_opml(folder / "plenary_programming.opml")}
    assert feeds["https://m.signalvnoise.com/feed/"].name == "Signal v. Noise"
    assert feeds["https://medium.com/feed/better-programming"].name == "Better Programming - Medium"


def test_iso_8859_1_with_accents_and_html_entities() -> None:
    body = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<opml version="2.0"><head><title>Veille</title></head>'
        '<body><outline text="Pédagogie">'
        '<outline text="Café pédagogique" type="rss" xmlUrl="https://www.cafepedagogique.net/feed/"/>'
        "</outline></body></opml>"
    ).encode("latin-1")
    (feed,) = read_opml(body)
    assert (feed.name, feed.tags) == ("Café pédagogique", ("Pédagogie",))

    html_entities = (
        b'<?xml version="1.0" encoding="UTF-8"?><opml version="1.0"><body>'
        b'<outline text="Actualit&eacute;s &amp; veille" title="x" type="rss" xmlUrl="https://a.example.org/f"/>'
        b'<outline text="R&D" xmlUrl="https://b.example.org/f?a=1&b=2"/>'
        b"</body></opml>"
    )
    first, second = read_opml(html_entities)
    assert first.name == "Actualités & veille"
    assert (second.name, second.url) == ("R&D", "https://b.example.org/f?a=1&b=2")

    wrong_declaration = (
        '<?xml version="1.0" encoding="UTF-8"?><opml><body>'
        '<outline text="Thot Cursus — Éducation" xmlUrl="https://cursus.edu/fr/rss"/></body></opml>'
    ).encode("cp1252")
    assert read_opml(wrong_declaration)[0].name == "Thot Cursus — Éducation"

    with_bom = b"\xef\xbb\xbf" + html_entities
    assert len(read_opml(with_bom)) == 2


def test_attribute_spellings_duplicates_and_unfetchable_outlines() -> None:
    body = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>t</title></head><body>
  <outline text="Corporate">
    <outline text="LMS vendors">
      <outline text="360Learning" type="rss" xmlurl="https://360learning.com/blog/feed/" language="en-US"/>
    </outline>
    <outline text="Docebo" type="rss" url="https://www.docebo.com/learning-network/blog/feed/"/>
    <outline text="A web page, not a feed" type="link" url="https://example.org/page"/>
    <outline text="Included list" type="include" url="https://example.org/other.opml"/>
  </outline>
  <outline text="Higher-ed">
    <outline text="360Learning again" type="rss" xmlUrl="http://360learning.com/blog/feed"/>
    <outline text="Podcast app alias" xmlUrl="feed://example.org/podcast.xml" category="audio,/Weekly/"/>
    <outline text="Mail" xmlUrl="mailto:someone@example.org"/>
  </outline>
</body></opml>"""
    feeds = read_opml(body)
    assert [feed.url for feed in feeds] == [
        "https://360learning.com/blog/feed/",
        "https://www.docebo.com/learning-network/blog/feed/",
        "http://example.org/podcast.xml",
    ]
    assert feeds[0].tags == ("Corporate", "LMS vendors", "Higher-ed")  # merged from both folders
    assert feeds[0].lang == "en" and feeds[0].name == "360Learning"
    assert feeds[1].tags == ("Corporate",)
    assert feeds[2].tags == ("Higher-ed", "audio", "Weekly")


def test_export_then_import_keeps_urls_names_tags_and_languages(tmp_path: Path) -> None:
    feeds = load(ROOT / "feeds.yaml", environ={}).feeds
    exported = write_opml(feeds, "Veille digital learning")
    assert exported.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    (tmp_path / "export.opml").write_bytes(exported)

    imported = read_opml(tmp_path / "export.opml")

    assert [(f.url, f.name, f.tags, f.lang) for f in imported] == [
        (f.url, f.name, f.tags, f.lang) for f in sorted(feeds, key=lambda f: _folder_order(feeds, f))
    ]


def _folder_order(feeds: tuple[FeedConfig, ...], feed: FeedConfig) -> int:
    """Export groups feeds by their first tag, folders in order of first appearance."""
    firsts = list(dict.fromkeys(f.tags[0] if f.tags else "" for f in feeds))
    return firsts.index(feed.tags[0] if feed.tags else "")


def test_export_of_untagged_unnamed_feeds_and_import_into_the_starter(tmp_path: Path) -> None:
    feeds = [
        FeedConfig(url="https://a.example.org/feed"),
        FeedConfig(url="https://b.example.org/rss", name="B"),
    ]
    imported = read_opml(write_opml(feeds, "t"))
    assert [(f.url, f.name, f.tags) for f in imported] == [(f.url, f.name, ()) for f in feeds]

    text = add_feeds_to_yaml(starter_config(), imported)
    settings = loads(text, tmp_path / "feeds.yaml", environ={})
    assert [f.url for f in settings.feeds[-2:]] == [f.url for f in feeds]
    assert text.startswith(starter_config().split("\n# storage:")[0].rsplit("\n", 1)[0])


def test_files_that_are_not_opml_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not an OPML file"):
        read_opml(b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>')
    with pytest.raises(ConfigError, match=r"not readable XML"):
        read_opml(b"this is not XML at all")
    with pytest.raises(ConfigError, match="declares XML entities"):
        read_opml(b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>')
    with pytest.raises(ConfigError, match=r"missing\.opml: no such file"):
        read_opml(tmp_path / "missing.opml")
