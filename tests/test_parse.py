"""Parsing real and hostile feeds: every entry found, every failure a clear ParseError.

The shared feeds are read from ../shared/feeds (never copied here); their SOURCES.md tables give the
entry count feedparser 6.0.14 finds in each file, or the JSON Feed item count.
"""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import SHARED, need_shared
from veille.adapters.langid import classify
from veille.adapters.parse import parse_feed
from veille.core.normalize import normalize_item
from veille.errors import ParseError
from veille.models import NewItem, ParsedFeed

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
FEED_URL = "https://feeds.example.org/edtech/feed.xml"


def _files(kind: str) -> list[str]:
    folder = SHARED / "feeds" / kind
    if not folder.exists():
        return ["(absent)"]  # the test itself skips through need_shared
    return sorted(p.name for p in folder.iterdir() if p.name != "SOURCES.md")


def _expected_counts(kind: str) -> dict[str, int]:
    """file → entries feedparser finds (XML) or items of the JSON Feed, from SOURCES.md."""
    counts: dict[str, int] = {}
    for line in need_shared("feeds", kind, "SOURCES.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `([^`]+)` \|", line)
        if not match:
            continue
        cells = [cell.strip() for cell in line.split("|")]
        items, feedparser_column = int(cells[8]), cells[12]
        found = re.match(r"'?([^/']*)'? / (\d+) /", feedparser_column)
        assert found, line
        is_json = feedparser_column.startswith("''") and cells[7].startswith("JSON Feed")
        counts[match.group(1)] = items if is_json else int(found.group(2))
    return counts


def _normalise_all(parsed: ParsedFeed) -> list[NewItem]:
    items = []
    for entry in parsed.items:
        item = normalize_item(entry, feed_url=FEED_URL, feed_lang=parsed.lang, now=NOW, classify=classify)
        if item is None:
            continue
        assert item.title
        assert item.published_at.utcoffset() == timedelta(0)
        assert item.published_at <= NOW
        assert item.canonical_url is None or item.canonical_url.startswith(("http://", "https://"))
        assert "<script" not in item.html.lower() and "javascript:" not in item.html.lower()
        assert len(item.summary) <= 1000
        assert len(item.content_hash) == 64
        items.append(item)
    return items


def _parse_file(kind: str, name: str, headers: dict[str, str] | None = None) -> ParsedFeed:
    body = need_shared("feeds", kind, name).read_bytes()
    return parse_feed(body, FEED_URL, headers or {})


# --------------------------------------------------------------------------------------------------
# The shared corpora


@pytest.mark.parametrize("name", _files("real"))
def test_every_real_feed_yields_all_its_entries(name: str) -> None:
    expected = _expected_counts("real")[name]
    parsed = _parse_file("real", name)
    assert len(parsed.items) == expected
    items = _normalise_all(parsed)
    # a real feed's entries are real articles: none is dropped as empty, apart from a blank <item>
    assert len(items) >= expected - 1


@pytest.mark.parametrize("name", _files("edge"))
def test_every_edge_feed_ends_in_items_or_a_clear_parse_error(name: str) -> None:
    expected = _expected_counts("edge")[name]
    body = need_shared("feeds", "edge", name).read_bytes()
    try:
        parsed = parse_feed(body, FEED_URL, {})
    except ParseError as error:
        assert error.url == FEED_URL
        assert error.reason and "Traceback" not in error.reason
        assert str(error).startswith(FEED_URL + ": ")
        assert expected == 0  # only documents where no entry can be found end in an error
        return
    # at least what feedparser alone finds: more where we repair bytes (gzip, UTF-16, JSON Feed)
    assert len(parsed.items) >= expected
    _normalise_all(parsed)


# --------------------------------------------------------------------------------------------------
# What is not a feed


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("fp_empty_document.xml", "empty document"),
        ("nfp_not_a_feed.html", "not a feed (HTML page)"),
        ("rb_document_moved_html.rss", "not a feed (HTML page)"),
        ("nnw_scripting_news_rss_in_json.json", "not a JSON Feed"),
    ],
)
def test_documents_that_are_not_feeds_are_named_as_such(name: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        _parse_file("edge", name)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "application/rss+xml", "empty document"),
        (b"   \n\t  ", "", "empty document"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "application/feed+json", "invalid JSON Feed"),
        (b"[1, 2, 3]", "application/json", "invalid JSON Feed"),
        (b'{"title": "no version"}', "", "invalid JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": 3}', "", "'items'"),
        (b"just some words, no markup at all", "text/plain", "not a feed"),
        (b"\x1f\x8b\x08\x00garbage", "application/rss+xml", "gzip"),
    ],
)
def test_broken_bodies_fail_with_a_clear_reason(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(body, FEED_URL, {"Content-Type": content_type} if content_type else {})
    assert reason in caught.value.reason


def test_bozo_feed_keeps_recovered_entries_and_reports_a_warning() -> None:
    parsed = _parse_file("edge", "nfp_sax_error.xml")
    assert len(parsed.items) == 3
    assert parsed.warning and "SAXParseException" in parsed.warning


def test_blank_lines_before_the_xml_declaration_do_not_degrade_parsing() -> None:
    parsed = _parse_file("real", "techcrunch.xml")
    assert len(parsed.items) == 20 and parsed.warning is None


# --------------------------------------------------------------------------------------------------
# Encodings


def test_french_accents_survive_iso_8859_1_without_declaration() -> None:
    parsed = _parse_file("real", "cercle_psy_miniflux.xml")
    titles = [entry.title or "" for entry in parsed.items]
    assert "Perturbateurs endocriniens : quels effets sur le cerveau ?" in titles
    assert any("très complexe" in title for title in titles)
    assert "La criminalité liée surtout à... l'ennui ?" in titles


def test_charset_from_the_content_type_header_is_honoured() -> None:
    body = "<rss version='2.0'><channel><item><title>Pédagogie : l’élève acteur</title></item></channel></rss>"
    parsed = parse_feed(body.encode("cp1252"), FEED_URL, {"Content-Type": "application/rss+xml; charset=windows-1252"})
    assert parsed.items[0].title == "Pédagogie : l’élève acteur"
    parsed = parse_feed(body.encode("utf-8"), FEED_URL, {"content-type": "text/xml; charset=UTF-8"})
    assert parsed.items[0].title == "Pédagogie : l’élève acteur"


def test_windows_1252_smart_quotes() -> None:
    parsed = _parse_file("edge", "fp_windows1252_smart_quotes.xml")
    assert parsed.items[0].summary_html == "don’t"


@pytest.mark.parametrize("name", ["mf_koi8r_declared.xml", "fp_undeclared_koi8r.xml"])
def test_koi8_r_comes_out_as_cyrillic(name: str) -> None:
    parsed = _parse_file("edge", name)
    item = normalize_item(parsed.items[0], feed_url=FEED_URL, feed_lang=None, now=NOW, classify=classify)
    assert item is not None
    assert re.search("[А-Яа-яЁё]{4}", item.title), item.title
    assert not re.search("[À-ÿ]", item.title + item.summary), item.title
    assert item.lang == "ru"


def test_windows_1251_inside_a_gzip_body() -> None:
    parsed = _parse_file("edge", "nfp_gzip_body_windows1251.xml.gz")
    assert len(parsed.items) == 10
    assert all(re.search("[А-Яа-я]", entry.title or entry.summary_html or "") for entry in parsed.items)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("ffp_utf16_encoded.xml", "UTF-16 Entry 1"),
        ("sp_utf16be.xml", "Test feed title 1"),
    ],
)
def test_utf16_feeds(name: str, title: str) -> None:
    parsed = _parse_file("edge", name)
    assert parsed.items[0].title == title


def test_utf16_without_bom_or_declaration_built_here() -> None:
    text = "<rss version='2.0'><channel><item><title>Évaluation formative</title></item></channel></rss>"
    for codec in ("utf-16-le", "utf-16-be", "utf-16", "utf-32"):
        parsed = parse_feed(text.encode(codec), FEED_URL, {})
        assert parsed.items[0].title == "Évaluation formative", codec


def test_euro_sign_in_iso_8859_15() -> None:
    parsed = _parse_file("edge", "pf_rss20_iso8859-15.xml")
    assert "€" in (parsed.items[0].summary_html or "")


# --------------------------------------------------------------------------------------------------
# Links


def test_relative_links_resolved_against_the_feed_url() -> None:
    parsed = _parse_file("edge", "rd_relative.rss")
    assert parsed.items[0].link == "https://feeds.example.org/edtech/blog/post/1"
    parsed = _parse_file("edge", "ex_hf_blog_relative_no_base.xml")
    links = [entry.link or "" for entry in parsed.items]
    assert all(link.startswith(("https://", "http://")) for link in links)
    assert sum(link.startswith("https://feeds.example.org/") for link in links) == 174  # one is absolute


def test_content_location_header_is_the_base_for_relative_links() -> None:
    body = need_shared("feeds", "edge", "rd_relative.rss").read_bytes()
    parsed = parse_feed(body, FEED_URL, {"Content-Location": "https://www.example.com/blog/rss"})
    assert parsed.items[0].link == "https://www.example.com/blog/blog/post/1"


def test_xml_base_wins_over_the_feed_url() -> None:
    parsed = _parse_file("edge", "frs_atom_xml_base.xml")
    item = normalize_item(parsed.items[0], feed_url=FEED_URL, feed_lang=None, now=NOW, classify=classify)
    assert item is not None
    assert item.url == "https://numi.st/post/2022/travel-uke"
    assert 'src="https://numi.st/post/2022/travel-uke/IMG_1232.jpeg"' in item.html


# --------------------------------------------------------------------------------------------------
# JSON Feed


def test_json_feed_1_0() -> None:
    parsed = _parse_file("edge", "fp_jsonfeed_example.json", {"Content-Type": "application/feed+json"})
    assert parsed.title == "My Example Feed" and parsed.version == "json1"
    second, first = parsed.items
    assert second.entry_id == "2" and second.link == "https://example.org/second-item"
    assert second.categories == ("test", "JSON")
    assert second.content_html == "<p>This is a second item.</p>"
    assert second.author == "me"  # the feed's author when the item has none
    assert first.author == "you"
    item = normalize_item(first, feed_url=FEED_URL, feed_lang=None, now=NOW, classify=classify)
    assert item is not None and "alert" not in item.html and item.html == "<p>Hello, world!</p>"


def test_json_feed_1_1_authors_win_over_the_legacy_author() -> None:
    parsed = _parse_file("edge", "nnw_jsonfeed_authors.json")
    assert [entry.author for entry in parsed.items] == [
        "Root Author 1, Root Author 2",
        "Legacy Item Author",
        "Item Author 1, Item Author 2",
        "Item Author 1, Item Author 2",
    ]
    assert parsed.version == "json11"


def test_json_feed_1_1_dates_language_and_summary() -> None:
    parsed = _parse_file("edge", "frs_jsonfeed_1_1_influxdata.json")
    assert len(parsed.items) == 3
    first, second, third = parsed.items
    assert first.published == datetime(2019, 5, 31, 19, 17, 58, tzinfo=UTC)  # -07:00 in the file
    assert second.published is not None and third.published is None
    assert all(entry.link and entry.link.startswith("https://") for entry in parsed.items)


def test_json_feed_with_values_of_the_wrong_type_is_read_not_rejected() -> None:
    parsed = _parse_file("edge", "rd_invalid.json")
    assert len(parsed.items) == 8
    assert parsed.title is None and parsed.lang is None
    assert parsed.items[1].entry_id == "3.1415" and parsed.items[1].title == "float id"
    assert parsed.items[0].published is None and parsed.items[0].link is None
    assert parsed.items[7].author == "Jane"


def test_json_feed_by_content_type_and_relative_urls() -> None:
    body = (
        b'\xef\xbb\xbf  {"version": "https://jsonfeed.org/version/1.1", "title": "Veille", "language": "fr-FR",'
        b'"items": [{"id": "a", "url": "/articles/a?utm_source=x", "title": "Classe invers\xc3\xa9e",'
        b'"summary": "Un r\xc3\xa9sum\xc3\xa9 & 3 < 4", "date_published": "2026-11-20T08:00:00+01:00",'
        b'"tags": ["mooc", 3]}, "not an object"]}'
    )
    parsed = parse_feed(body, "https://veille.example.fr/feed.json", {"content-type": "application/json"})
    (entry,) = parsed.items
    assert parsed.warning and "skipped" in parsed.warning
    assert entry.link == "https://veille.example.fr/articles/a?utm_source=x"
    assert entry.lang == "fr-FR" and entry.categories == ("mooc",)
    assert entry.published == datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    item = normalize_item(
        entry, feed_url="https://veille.example.fr/feed.json", feed_lang=None, now=NOW, classify=classify
    )
    assert item is not None
    assert item.summary == "Un résumé & 3 < 4"  # JSON Feed summaries are plain text
    assert item.canonical_url == "https://veille.example.fr/articles/a"
    assert item.lang == "fr"


def test_gzip_built_here_is_decompressed() -> None:
    body = gzip.compress(b"<rss version='2.0'><channel><item><title>Compressed</title></item></channel></rss>")
    assert parse_feed(body, FEED_URL, {}).items[0].title == "Compressed"


def test_parse_never_touches_the_network_for_url_like_bodies(tmp_path: Path) -> None:
    # feedparser would open a bare string as a URL or a file path; bytes must be parsed as bytes.
    secret = tmp_path / "feed.xml"
    secret.write_text("<rss version='2.0'><channel><item><title>local</title></item></channel></rss>")
    with pytest.raises(ParseError):
        parse_feed(str(secret).encode(), FEED_URL, {})
    with pytest.raises(ParseError):
        parse_feed(b"http://127.0.0.1:9/feed.xml", FEED_URL, {})
