"""The demo corpus: sample edtech feeds written for veille, and how each source serves them.

``make demo`` replays ten ISO weeks of news (2026-W39 … 2026-W48) from thirteen invented French and
English sources on a loopback HTTP server, one simulated day at a time, and runs the real daily job on
it. This module only reads the corpus shipped under ``veille/data/demo/`` and renders the feed document
a source would serve at a given moment; it opens no socket (the demo runner does).

Every item carries ground-truth labels (its learning ``formats``, the ``story`` it belongs to, the
``theme`` it illustrates) so the product's grouping, tagging and trend detection can be checked against
a designed truth: a rising theme (generative-AI tutors in corporate training), a new one (VR soft-skills
training, absent before 2026-W47), a fading one (MOOC platforms and completion) and steady background.

Rendering is deterministic (same corpus, source and ``as_of`` give the same bytes), so conditional GET
and content hashes behave in the demo as they do with real feeds that have not changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

import yaml

from veille.core import formats
from veille.errors import ConfigError

# libyaml's loader when PyYAML was built with it: the corpus loads ten times faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"

FORMAT_KEYS: frozenset[str] = frozenset({*formats.FORMAT_KEYS, formats.OTHER})
FEED_FORMATS: frozenset[str] = frozenset({"rss2", "atom", "jsonfeed"})
CONTENT_TYPES: dict[str, str] = {
    "rss2": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "jsonfeed": "application/feed+json; charset=utf-8",
}


@dataclass(frozen=True)
class DemoSource:
    """One invented outlet: where its feed is served (``url``, a path) and what it looks like."""

    key: str
    name: str
    url: str  # feed path on the demo server, e.g. "/feeds/mooc-actu.xml"
    site: str  # the outlet's home page, under the reserved .example TLD
    lang: str  # fr | en
    tags: tuple[str, ...]  # audience: corporate / higher-ed / school
    format: str  # rss2 | atom | jsonfeed
    description: str = ""
    # Serve every non-ASCII character as a numeric character reference (&#233;), as some old French
    # CMSs still do: the parser must decode entity-laden titles.
    entities: bool = False


@dataclass(frozen=True)
class DemoItem:
    """One article with its ground-truth labels (formats, story, theme)."""

    source: str
    published: datetime  # UTC-aware
    title: str
    summary: str  # prose, sometimes with a little HTML (<p>, <em>, <a href>)
    link: str
    lang: str
    formats: tuple[str, ...]
    story: str  # items sharing a story key report the same news event
    theme: str


@dataclass(frozen=True)
class Corpus:
    sources: tuple[DemoSource, ...]
    items: tuple[DemoItem, ...]  # sorted by publication time

    def source(self, key: str) -> DemoSource:
        """The source with this key; KeyError names it when it is unknown."""
        for source in self.sources:
            if source.key == key:
                return source
        raise KeyError(f"unknown demo source {key!r}")

    def days(self) -> list[date]:
        """Every calendar day from the first item's day to the last item's day, in order."""
        if not self.items:
            return []
        first = min(item.published for item in self.items).date()
        last = max(item.published for item in self.items).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def weeks(self) -> list[str]:
        """The ISO weeks the corpus spans, as "2026-W39" … in order."""
        weeks: list[str] = []
        for day in self.days():
            week = iso_week(day)
            if not weeks or weeks[-1] != week:
                weeks.append(week)
        return weeks

    def items_in_week(self, week: str) -> list[DemoItem]:
        """The items published during one ISO week ("2026-W47")."""
        return [item for item in self.items if iso_week(item.published) == week]


def iso_week(moment: date | datetime) -> str:
    """The ISO week of a day or a datetime, written "2026-W09"."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


# --------------------------------------------------------------------------------------------------
# Loading


def load_corpus(directory: Path | None = None) -> Corpus:
    """Read the shipped corpus: ``corpus.yaml`` (sources) and every ``items-*.yaml`` beside it.

    Raises ConfigError naming the file and the field when the corpus is inconsistent (unknown source
    or format key, naive or malformed date, duplicate link outside the designed syndicated copies).
    """
    directory = directory or DEMO_DIR
    main = directory / "corpus.yaml"
    document = _read_yaml(main)
    sources = tuple(_source(raw, main, n) for n, raw in enumerate(document.get("sources") or ()))
    by_key = {source.key: source for source in sources}
    if len(by_key) != len(sources):
        raise ConfigError("two sources share a key", path=str(main), field="sources")
    items: list[DemoItem] = []
    for path in sorted(directory.glob("items-*.yaml")):
        raw_items = _read_yaml(path).get("items") or ()
        items.extend(_item(raw, by_key, path, n) for n, raw in enumerate(raw_items))
    items.sort(key=lambda item: (item.published, item.source, item.link))
    return Corpus(sources=sources, items=tuple(items))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the demo corpus: {exc}", path=str(path)) from exc
    if not isinstance(document, dict):
        raise ConfigError("expected a mapping at the top level", path=str(path))
    return document


def _source(raw: dict[str, Any], path: Path, n: int) -> DemoSource:
    field = f"sources[{n}]"
    try:
        source = DemoSource(
            key=str(raw["key"]),
            name=str(raw["name"]),
            url=str(raw["url"]),
            site=str(raw["site"]),
            lang=str(raw["lang"]),
            tags=tuple(str(tag) for tag in raw.get("tags") or ()),
            format=str(raw["format"]),
            description=str(raw.get("description") or ""),
            entities=bool(raw.get("entities", False)),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"missing or malformed field {exc}", path=str(path), field=field) from exc
    if source.format not in FEED_FORMATS:
        raise ConfigError(f"unknown feed format {source.format!r}", path=str(path), field=field)
    if not source.url.startswith("/"):
        raise ConfigError("url must be a path on the demo server", path=str(path), field=field)
    return source


def _item(raw: dict[str, Any], sources: dict[str, DemoSource], path: Path, n: int) -> DemoItem:
    field = f"items[{n}]"
    try:
        published = raw["published"]
        if isinstance(published, str):
            published = datetime.fromisoformat(published)
        if not isinstance(published, datetime) or published.tzinfo is None:
            raise ConfigError("published must be an ISO datetime in UTC", path=str(path), field=field)
        item = DemoItem(
            source=str(raw["source"]),
            published=published.astimezone(UTC),
            title=str(raw["title"]),
            summary=str(raw["summary"]).strip(),
            link=str(raw["link"]),
            lang=str(raw["lang"]),
            formats=tuple(str(key) for key in raw["formats"]),
            story=str(raw["story"]),
            theme=str(raw["theme"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"missing or malformed field {exc}", path=str(path), field=field) from exc
    if item.source not in sources:
        raise ConfigError(f"unknown source {item.source!r}", path=str(path), field=field)
    unknown = set(item.formats) - FORMAT_KEYS
    if unknown or not item.formats:
        raise ConfigError(f"unknown format keys {sorted(unknown)}", path=str(path), field=field)
    return item


# --------------------------------------------------------------------------------------------------
# Rendering


def render_feed(corpus: Corpus, source_key: str, as_of: datetime, limit: int = 30) -> tuple[bytes, str]:
    """The feed document ``source_key`` serves at ``as_of``, and its Content-Type.

    It holds the source's latest ``limit`` items published at or before ``as_of``, newest first, in the
    source's format. The document's own date is its newest item's, so an unchanged feed renders to the
    same bytes whatever ``as_of`` is.
    """
    source = corpus.source(source_key)
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    visible = [item for item in corpus.items if item.source == source_key and item.published <= as_of]
    visible.sort(key=lambda item: (item.published, item.link), reverse=True)
    visible = visible[:limit]
    if source.format == "rss2":
        text = _rss2(source, visible)
    elif source.format == "atom":
        text = _atom(source, visible)
    else:
        return _jsonfeed(source, visible).encode("utf-8"), CONTENT_TYPES["jsonfeed"]
    body = text.encode("ascii", "xmlcharrefreplace") if source.entities else text.encode("utf-8")
    return body, CONTENT_TYPES[source.format]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_id(source: DemoSource, item: DemoItem) -> str:
    """A stable Atom id (RFC 4151 tag URI) built from the host, the day and the link's path."""
    parts = urlsplit(item.link)
    return f"tag:{urlsplit(source.site).hostname},{item.published.date().isoformat()}:{parts.path}"


def _rss2(source: DemoSource, items: list[DemoItem]) -> str:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "  <channel>",
        f"    <title>{escape(source.name)}</title>",
        f"    <link>{escape(source.site)}</link>",
        f"    <description>{escape(source.description or source.name)}</description>",
        f"    <language>{escape(source.lang)}</language>",
    ]
    if items:
        lines.append(f"    <lastBuildDate>{format_datetime(items[0].published, usegmt=True)}</lastBuildDate>")
    for item in items:
        lines += [
            "    <item>",
            f"      <title>{escape(item.title)}</title>",
            f"      <link>{escape(item.link)}</link>",
            f'      <guid isPermaLink="true">{escape(item.link)}</guid>',
            f"      <pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>",
            f"      <dc:creator>{escape(source.name)}</dc:creator>",
            f"      <description>{escape(item.summary)}</description>",
            "    </item>",
        ]
    lines += ["  </channel>", "</rss>", ""]
    return "\n".join(lines)


def _atom(source: DemoSource, items: list[DemoItem]) -> str:
    # Atom requires <updated>; with no item yet a fixed date keeps the document deterministic.
    updated = _rfc3339(items[0].published) if items else "2026-01-01T00:00:00Z"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(source.lang)}>',
        f"  <title>{escape(source.name)}</title>",
        f"  <subtitle>{escape(source.description or source.name)}</subtitle>",
        f"  <id>{escape(source.site)}</id>",
        f'  <link rel="alternate" type="text/html" href={quoteattr(source.site)}/>',
        f"  <updated>{updated}</updated>",
        f"  <author><name>{escape(source.name)}</name></author>",
    ]
    for item in items:
        lines += [
            "  <entry>",
            f'    <title type="text">{escape(item.title)}</title>',
            f'    <link rel="alternate" type="text/html" href={quoteattr(item.link)}/>',
            f"    <id>{escape(_entry_id(source, item))}</id>",
            f"    <published>{_rfc3339(item.published)}</published>",
            f"    <updated>{_rfc3339(item.published)}</updated>",
            f'    <summary type="html">{escape(item.summary)}</summary>',
            "  </entry>",
        ]
    lines += ["</feed>", ""]
    return "\n".join(lines)


def _jsonfeed(source: DemoSource, items: list[DemoItem]) -> str:
    document: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": source.name,
        "home_page_url": source.site,
        "description": source.description or source.name,
        "language": source.lang,
        "authors": [{"name": source.name, "url": source.site}],
        "items": [
            {
                "id": item.link,
                "url": item.link,
                "title": item.title,
                "content_html": item.summary,
                "date_published": _rfc3339(item.published),
                "language": item.lang,
            }
            for item in items
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def feeds_yaml(corpus: Corpus, base_url: str) -> str:
    """A feeds.yaml listing every demo source at ``base_url`` + its path, with name, lang and tags."""
    base = base_url.rstrip("/")
    lines = [
        "# veille demo: invented French and English edtech sources served on loopback.",
        "feeds:",
    ]
    for source in corpus.sources:
        tags = ", ".join(source.tags)
        lines += [
            f"  - url: {base}{source.url}",
            f"    name: {json.dumps(source.name, ensure_ascii=False)}",
            f"    lang: {source.lang}",
            f"    tags: [{tags}]",
        ]
    return "\n".join(lines) + "\n"
