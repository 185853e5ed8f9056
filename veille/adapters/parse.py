"""Parsing adapter: fetched bytes + response headers → ``ParsedFeed``. Never touches the network.

RSS 0.9x/1.0/2.0 and Atom go through feedparser; JSON Feed 1.0/1.1 through our own reader, because
the released feedparser 6.0 has no JSON Feed support. feedparser's ``bozo`` flag alone is not a
failure: real feeds with a stray byte still yield every entry, so recovered entries are kept and the
exception text becomes ``ParsedFeed.warning``. ``ParseError`` is raised only when nothing feed-like
is there (an HTML page, an empty document, JSON that is not a JSON Feed), with one clear reason.

Before feedparser sees the bytes, three repairs it does not make itself: a gzip body the server
compressed twice is decompressed, UTF-16/UTF-32 (with or without a byte-order mark) is transcoded to
UTF-8, and blank lines before ``<?xml`` are removed (they push feedparser onto its lenient parser).
"""

from __future__ import annotations

import calendar
import html
import io
import json
import re
import time
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from veille.core.dates import machine_date
from veille.errors import ParseError
from veille.models import ParsedFeed, ParsedItem

MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024  # a gzip bomb must not exhaust memory
JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/(\d+(?:\.\d+)?)/?$")
_HTML_MARKERS = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_COMMENTS = re.compile(rb"<!--.*?(?:-->|$)|<\?.*?(?:\?>|$)", re.DOTALL)
_XML_ENCODING = re.compile(r"""(<\?xml[^>]*?encoding\s*=\s*["'])[^"']*(["'])""")
# feedparser reports this for every body handed over without headers: noise, not a warning.
_NOISE_WARNINGS = ("no Content-type specified",)

# Byte-order marks and the BOM-less patterns of "<" or "<?" in each wide encoding (XML 1.0, F.1).
_WIDE_ENCODINGS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_LATIN_CODECS = frozenset(
    {"ascii", "utf_8", "cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "mac_roman", "cp850"}
)
_BOM_LENGTH = {b"\x00\x00\xfe\xff": 4, b"\xff\xfe\x00\x00": 4, b"\xfe\xff": 2, b"\xff\xfe": 2}


def parse_feed(body: bytes, url: str, headers: Mapping[str, str]) -> ParsedFeed:
    """Parse one fetched feed.

    ``url`` is the final URL of the fetch: relative links are resolved against it (or against the
    ``Content-Location`` header and any ``xml:base``). ``headers`` are the response headers (any
    case); ``Content-Type`` gives the charset and tells JSON from XML.

    Raises ``ParseError(url, reason)`` when the bytes hold no feed.
    """
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    base = urljoin(url, lowered["content-location"]) if lowered.get("content-location") else url
    body = _decompress(body, url)
    if not body.strip(b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"):
        raise ParseError(url, "empty document")
    if _looks_like_json(body, lowered.get("content-type", "")):
        return parse_json_feed(body, base, lowered)
    return _parse_xml_feed(body, url, base, lowered)


# --------------------------------------------------------------------------------------------------
# Byte-level repairs


def _decompress(body: bytes, url: str) -> bytes:
    """A body still gzip-compressed (the server compressed twice, or served a .gz file) decompressed."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        decompressor = zlib.decompressobj(wbits=31)
        inflated = decompressor.decompress(body, MAX_DECOMPRESSED_BYTES)
    except zlib.error as exc:
        raise ParseError(url, f"corrupt gzip-compressed body ({exc})") from exc
    if not inflated and not decompressor.eof:
        raise ParseError(url, "corrupt or truncated gzip-compressed body")
    if decompressor.unconsumed_tail:
        raise ParseError(url, f"gzip-compressed body larger than {MAX_DECOMPRESSED_BYTES} bytes once decompressed")
    return inflated


def _wide_encoding(body: bytes) -> tuple[str, int] | None:
    for prefix, codec in _WIDE_ENCODINGS:
        if body.startswith(prefix):  # UTF-32 patterns come first: they start like UTF-16 ones
            return codec, _BOM_LENGTH.get(prefix, 0)
    return None


def _utf8_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers after transcoding: a charset in Content-Type must not contradict the new bytes."""
    content_type = headers.get("content-type", "")
    if not content_type:
        return headers
    media = content_type.split(";", 1)[0].strip()
    return {**headers, "content-type": f"{media}; charset=utf-8"}


def _to_utf8(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """Bytes feedparser would misread, transcoded to UTF-8; other bodies returned untouched.

    UTF-16/UTF-32 (feedparser misses them without a byte-order mark), and undeclared non-UTF-8
    documents in a non-Western encoding (feedparser would read KOI8-R as windows-1252 mojibake).
    """
    found = _wide_encoding(body)
    if found is not None:
        codec, bom_length = found
        text = body[bom_length:].decode(codec, errors="replace")
        text = _XML_ENCODING.sub(r"\g<1>utf-8\g<2>", text, count=1)
        return text.encode("utf-8"), _utf8_headers(headers)
    guessed = _undeclared_non_western(body, headers)
    if guessed is not None:
        return body.decode(guessed, errors="replace").encode("utf-8"), _utf8_headers(headers)
    # Blank lines before the XML declaration make the strict parser give up on the whole feed.
    utf8_bom = b"\xef\xbb\xbf" if body.startswith(b"\xef\xbb\xbf") else b""
    rest = body[len(utf8_bom) :]
    stripped = rest.lstrip(b" \t\r\n")
    if len(stripped) != len(rest) and stripped.startswith(b"<?xml"):
        return utf8_bom + stripped, headers
    return body, headers


def _undeclared_non_western(body: bytes, headers: Mapping[str, str]) -> str | None:
    """The encoding of a document that declares none, is not UTF-8 and is not Western either.

    feedparser falls back to windows-1252 for such documents, which is right for French or German
    without a declaration (most of them) and wrong for Cyrillic. When more than a third of the
    letters of the text (markup aside) come out as non-ASCII under windows-1252, the text is not Western: ask
    charset-normalizer, and keep its answer only if it is not a Latin code page (it confuses
    windows-1252 with windows-1250 on French).
    """
    if "charset=" in headers.get("content-type", "").lower() or body.startswith(b"\xef\xbb\xbf"):
        return None
    if re.search(rb"<\?xml[^>]*encoding\s*=", body[:1024]):
        return None
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    western = re.sub(r"<[^>]*>|https?://\S+", " ", body.decode("cp1252", errors="replace"))
    letters = [ch for ch in western if ch.isalpha()]
    if not letters or sum(not ch.isascii() for ch in letters) < len(letters) / 3:
        return None
    import charset_normalizer  # only for the rare undeclared non-Western feed

    best = charset_normalizer.from_bytes(body).best()
    if best is None or best.encoding in _LATIN_CODECS:
        return None
    return str(best.encoding)


# --------------------------------------------------------------------------------------------------
# RSS / Atom via feedparser


def _parse_xml_feed(body: bytes, url: str, base: str, headers: dict[str, str]) -> ParsedFeed:
    body, headers = _to_utf8(body, headers)
    response_headers = dict(headers)
    response_headers["content-location"] = base
    try:
        # feedparser's own sanitiser and URI resolver are its slowest parts; both are done once, later,
        # by core.sanitize.clean_html (nh3, with the feed URL as base), so they are switched off here
        result = feedparser.parse(
            io.BytesIO(body),
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser is a large lenient parser: any crash is this feed's failure
        raise ParseError(url, f"unreadable feed ({type(exc).__name__}: {exc})") from exc

    entries = list(result.get("entries") or [])
    version = result.get("version") or ""
    problem = result.get("bozo_exception") if result.get("bozo") else None
    if not version and not entries:
        raise ParseError(url, _not_a_feed_reason(body, problem))

    feed = result.get("feed") or {}
    warning = None
    if problem is not None and not any(noise in str(problem) for noise in _NOISE_WARNINGS):
        warning = f"{type(problem).__name__}: {problem}"
    return ParsedFeed(
        title=_plain(feed.get("title")),
        link=_plain(feed.get("link")),
        lang=_plain(feed.get("language")),
        items=tuple(_parsed_item(entry) for entry in entries),
        warning=warning,
        version=version or None,
    )


def _not_a_feed_reason(body: bytes, problem: object) -> str:
    """Why a document without any feed element is not a feed, in the words a user understands."""
    head = body[:65536]
    if not _COMMENTS.sub(b"", head).strip(b" \t\r\n\x00\xef\xbb\xbf"):
        return "empty document"
    if _HTML_MARKERS.search(head):
        return "not a feed (HTML page)"
    detail = f": {problem}" if problem is not None else ""
    return f"not a feed (no RSS, Atom or RDF element found{detail})"


def _plain(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _as_html(value: Any, detail: Any) -> str | None:
    """Feed text as HTML: plain-text constructs are escaped so that "a < b" stays text downstream."""
    if not isinstance(value, str) or not value.strip():
        return None
    kind = detail.get("type") if isinstance(detail, Mapping) else None
    return html.escape(value, quote=False) if kind == "text/plain" else value


def _struct_to_datetime(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _parsed_item(entry: Mapping[str, Any]) -> ParsedItem:
    contents = [c for c in entry.get("content") or [] if isinstance(c.get("value"), str) and c["value"].strip()]
    content = max(contents, key=lambda c: (c.get("type") != "text/plain", len(c["value"])), default=None)
    published = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        published = _struct_to_datetime(entry.get(key))
        if published is not None:
            break
    lang = None
    for detail in (content, entry.get("summary_detail"), entry.get("title_detail")):
        if isinstance(detail, Mapping) and isinstance(detail.get("language"), str):
            lang = detail["language"]
            break
    categories = tuple(
        term.strip()
        for term in (tag.get("term") or tag.get("label") for tag in entry.get("tags") or [])
        if isinstance(term, str) and term.strip()
    )
    return ParsedItem(
        entry_id=_plain(entry.get("id")),
        link=_plain(entry.get("link")),
        title=_as_html(entry.get("title"), entry.get("title_detail")),
        summary_html=_as_html(entry.get("summary"), entry.get("summary_detail")),
        content_html=_as_html(content["value"], content) if content else None,
        author=_plain(entry.get("author")),
        categories=categories,
        published=published,
        lang=lang,
        base=_content_base(content, entry.get("summary_detail")),
    )


def _content_base(*details: object) -> str | None:
    """The xml:base feedparser recorded for the entry's HTML (relative links are resolved against it)."""
    for detail in details:
        if isinstance(detail, Mapping) and isinstance(detail.get("base"), str) and detail["base"].strip():
            return str(detail["base"]).strip()
    return None


# --------------------------------------------------------------------------------------------------
# JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1)


def _looks_like_json(body: bytes, content_type: str) -> bool:
    start = body.lstrip(b" \t\r\n\xef\xbb\xbf")[:1]
    if start == b"{":
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return (media.endswith("/json") or media.endswith("+json")) and start not in (b"<", b"")


def parse_json_feed(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """A JSON Feed 1.0 or 1.1 document. Values of the wrong type are ignored, not fatal.

    Relative item URLs are resolved against ``url``. Raises ``ParseError`` for invalid JSON or a
    JSON document that is not a JSON Feed.
    """
    text = _decode_json(body, url, (headers or {}).get("content-type", ""))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(url, f"invalid JSON Feed: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    except RecursionError as exc:
        raise ParseError(url, "invalid JSON Feed: nested too deeply") from exc
    if not isinstance(document, dict):
        raise ParseError(url, "invalid JSON Feed: the document is not a JSON object")
    version = document.get("version")
    match = JSON_FEED_VERSION.match(version) if isinstance(version, str) else None
    if match is None:
        if "rss" in document:
            raise ParseError(url, "not a JSON Feed (RSS-in-JSON document without a jsonfeed.org version)")
        raise ParseError(url, "invalid JSON Feed: no https://jsonfeed.org/version/… 'version'")
    raw_items = document.get("items")
    if not isinstance(raw_items, list):
        raise ParseError(url, "invalid JSON Feed: 'items' is missing or not a list")

    feed_lang = _string(document.get("language"))
    feed_authors = _authors(document)
    items = [_json_item(raw, url, feed_lang, feed_authors) for raw in raw_items if isinstance(raw, dict)]
    skipped = len(raw_items) - len(items)
    warning = f"{skipped} JSON Feed item(s) skipped: not objects" if skipped else None
    return ParsedFeed(
        title=_string(document.get("title")),
        link=_string(document.get("home_page_url")),
        lang=feed_lang,
        items=tuple(items),
        warning=warning,
        version="json" + match.group(1).replace(".", ""),
    )


def _decode_json(body: bytes, url: str, content_type: str) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    charset = re.search(r"charset\s*=\s*\"?([\w.:-]+)", content_type, re.IGNORECASE)
    if charset:
        try:
            return body.decode(charset.group(1))
        except (LookupError, UnicodeDecodeError):
            pass
    raise ParseError(url, "invalid JSON Feed: the document is not UTF-8 text")


def _string(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _authors(holder: Mapping[str, Any]) -> str | None:
    """Author names: JSON Feed 1.1 ``authors`` first, else 1.0 ``author``."""
    names: list[str] = []
    authors = holder.get("authors")
    if isinstance(authors, list):
        names = [name for name in (_author_name(a) for a in authors) if name]
    if not names:
        name = _author_name(holder.get("author"))
        names = [name] if name else []
    return ", ".join(dict.fromkeys(names)) or None


def _author_name(author: Any) -> str | None:
    return _string(author.get("name")) if isinstance(author, dict) else None


def _json_date(value: Any) -> datetime | None:
    """RFC 3339 as the spec says, or the RFC 822 dates some generators write instead."""
    return machine_date(value) if isinstance(value, str) else None


def _text_as_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def _string_list(value: Any) -> Iterable[str]:
    if isinstance(value, list):
        yield from (v.strip() for v in value if isinstance(v, str) and v.strip())


def _json_item(raw: dict[str, Any], url: str, feed_lang: str | None, feed_authors: str | None) -> ParsedItem:
    raw_id = raw.get("id")
    if isinstance(raw_id, bool):
        entry_id = None
    elif isinstance(raw_id, int | float):
        entry_id = str(raw_id)
    else:
        entry_id = _string(raw_id)
    link = _string(raw.get("url")) or _string(raw.get("external_url"))
    title = _string(raw.get("title"))
    summary = _string(raw.get("summary"))
    content_html = _string(raw.get("content_html"))
    content_text = _string(raw.get("content_text"))
    if content_html is None and content_text is not None:
        content_html = _text_as_html(content_text)
    return ParsedItem(
        entry_id=entry_id,
        link=urljoin(url, link) if link else None,
        title=html.escape(title, quote=False) if title else None,
        summary_html=html.escape(summary, quote=False) if summary else None,
        content_html=content_html,
        author=_authors(raw) or feed_authors,
        categories=tuple(dict.fromkeys(_string_list(raw.get("tags")))),
        published=_json_date(raw.get("date_published")) or _json_date(raw.get("date_modified")),
        lang=_string(raw.get("language")) or feed_lang,
    )
