"""OPML subscription lists in and out (``veille opml import|export``), over the standard XML parser.

Real OPML files are messy: Google Reader and RSS Guard nest feeds in folders, NetNewsWire writes
``xmlUrl``, some tools ``xmlurl`` or ``url``; files come in ISO-8859-1 or with HTML entities XML does not
know (``&eacute;``). ``read_opml`` accepts all of these: a folder's title becomes a tag of every feed under
it (so "Corporate / LMS vendors" gives ``tags: [Corporate, LMS vendors]``), a feed listed in two folders
is kept once with both tags, and ``feed://`` URLs become ``http://``. Outlines whose URL veille cannot
fetch are skipped and logged, not fatal: an import should take what it can.

Errors are ``ConfigError`` (an OPML file is configuration input) naming the file and, when the XML
parser knows it, the line.
"""

from __future__ import annotations

import html.entities
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path

from veille.core.identity import feed_url_key, is_feed_url, normalize_lang
from veille.errors import ConfigError
from veille.models import FeedConfig

log = logging.getLogger(__name__)

_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_ENTITY_RE = re.compile(r"&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)?")
_DECLARED_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# an attribute value, quoted either way (raw "<" inside, e.g. "<br>" in a description, is escaped)
_ATTRIBUTE_RE = re.compile(r"""(=\s*)(["'])(.*?)\2""", re.DOTALL)
_SOUP_TAG_RE = re.compile(r"</?outline\b", re.IGNORECASE)
_SOUP_ATTRIBUTE_RE = re.compile(r"""(?<![\w:.-])([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SKIPPED_TYPES = {"link", "include", "redirect"}


def read_opml(source: Path | str | bytes) -> list[FeedConfig]:
    """The feeds of an OPML file (a path) or OPML bytes, in document order, duplicates merged."""
    body = _opml_body(source)
    feeds: list[FeedConfig] = []
    index: dict[str, int] = {}
    for url, name, tags, lang in _walk(body, ()):
        key = feed_url_key(url)
        if key in index:
            # the same feed in two folders: keep it once, with the tags of both
            first = feeds[index[key]]
            merged = tuple(dict.fromkeys(first.tags + tags))
            feeds[index[key]] = FeedConfig(url=first.url, name=first.name or name, tags=merged, lang=first.lang)
            continue
        index[key] = len(feeds)
        feeds.append(FeedConfig(url=url, name=name, tags=tags, lang=lang))
    return feeds


def read_opml_websites(source: Path | str | bytes) -> list[FeedConfig]:
    """The outlines that give only a website (``htmlUrl``, no feed address): sources whose feed is still
    to be found (``veille opml import`` looks each up as ``feeds add`` does). Each site once."""
    sites: dict[str, FeedConfig] = {}
    for outline, folders in _outlines(_opml_body(source), ()):
        attrs = _attributes(outline)
        if attrs.get("xmlurl") or attrs.get("url") or len(outline):
            continue
        url = _fetchable(attrs.get("htmlurl", ""))
        if url is not None and feed_url_key(url) not in sites:
            label = attrs.get("text") or attrs.get("title") or None
            sites[feed_url_key(url)] = FeedConfig(url=url, name=label if label != url else None, tags=folders)
    return list(sites.values())


def _outlines(element: ET.Element, folders: tuple[str, ...]) -> Iterator[tuple[ET.Element, tuple[str, ...]]]:
    """Every outline under ``element`` with the titles of the folders above it."""
    for outline in element:
        if _local(outline.tag) != "outline":
            continue
        yield outline, folders
        attrs = _attributes(outline)
        label = attrs.get("text") or attrs.get("title")
        yield from _outlines(outline, folders + ((label,) if label and len(outline) else ()))


def _attributes(outline: ET.Element) -> dict[str, str]:
    return {_local(key).lower(): value.strip() for key, value in outline.attrib.items()}


def _opml_body(source: Path | str | bytes) -> ET.Element:
    """The ``<body>`` of an OPML file (a path) or OPML bytes; ``ConfigError`` naming the file otherwise."""
    if isinstance(source, bytes):
        label, data = "OPML", source
    else:
        path = Path(source)
        label = str(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError("no such file", path=label) from None
        except OSError as exc:
            raise ConfigError(f"cannot read the file: {exc.strerror or exc}", path=label) from None
    root = _parse_xml(data, label)
    if _local(root.tag) != "opml":
        raise ConfigError(f"not an OPML file (its root element is <{_local(root.tag)}>)", path=label)
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise ConfigError("not an OPML file: it has no <body>", path=label)
    return body


def write_opml(feeds: Iterable[FeedConfig], title: str) -> bytes:
    """An OPML 2.0 document (UTF-8) listing ``feeds``.

    A feed's first tag becomes its folder, as feed readers show folders; its other tags go to the
    ``category`` attribute, so ``read_opml`` gives back the same tags in the same order.
    """
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        other_tags: tuple[str, ...] = ()
        if feed.tags:
            folder, *rest = feed.tags
            other_tags = tuple(rest)
            if folder not in folders:
                folders[folder] = ET.SubElement(body, "outline", text=folder, title=folder)
            parent = folders[folder]
        attributes = {"type": "rss", "text": feed.name or feed.url}
        if feed.name:
            attributes["title"] = feed.name
        attributes["xmlUrl"] = feed.url
        if feed.lang:
            attributes["language"] = feed.lang
        if other_tags:
            attributes["category"] = ",".join(tag.replace(",", " ") for tag in other_tags)
        ET.SubElement(parent, "outline", attributes)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


# --------------------------------------------------------------------------------------------------


def _walk(
    element: ET.Element, folders: tuple[str, ...]
) -> Iterator[tuple[str, str | None, tuple[str, ...], str | None]]:
    """(url, name, tags, lang) of every feed outline under ``element``, folders giving tags."""
    for outline in element:
        if _local(outline.tag) != "outline":
            continue
        attrs = _attributes(outline)
        label = attrs.get("text") or attrs.get("title") or None
        kind = attrs.get("type", "").lower()
        raw_url = attrs.get("xmlurl") or (attrs.get("url") if kind not in _SKIPPED_TYPES else None)
        if not raw_url:
            yield from _walk(outline, folders + ((label,) if label else ()))
            continue
        url = _fetchable(raw_url)
        if url is None:
            log.warning("OPML outline %r skipped: %r is not an http(s) URL", label, raw_url)
            continue
        categories = tuple(
            part.strip().strip("/").strip() for part in attrs.get("category", "").split(",") if part.strip("/ ")
        )
        tags = tuple(dict.fromkeys(folders + categories))
        name = label if label and label != raw_url else None
        lang = normalize_lang(attrs["language"]) if attrs.get("language") else None
        yield url, name, tags, lang
        yield from _walk(outline, folders)


def _fetchable(url: str) -> str | None:
    """``url`` as veille fetches it (``feed://`` is a browser-side alias of http), or ``None``."""
    lowered = url.lower()
    if lowered.startswith("feed://"):
        url = "http://" + url[len("feed://") :]
    elif lowered.startswith("feed:"):
        url = url[len("feed:") :]
    return url if is_feed_url(url) else None


def _local(tag: str) -> str:
    """A tag or attribute name without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def _parse_xml(data: bytes, label: str) -> ET.Element:
    # Entity declarations are what XML bombs are made of; no subscription list needs them.
    if re.search(rb"<!ENTITY", data[:4096], re.IGNORECASE):
        raise ConfigError("refused: the file declares XML entities", path=label)
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        first_error = exc
    # Second chance for what real exports get wrong: a wrong or unknown encoding declaration,
    # HTML entities (&eacute;) and bare ampersands.
    text = _decode(data)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    text = _ENTITY_RE.sub(_fix_entity, text)
    text = _ATTRIBUTE_RE.sub(lambda m: m[1] + m[2] + m[3].replace("<", "&lt;") + m[2], text)
    try:
        return ET.fromstring(text)
    except ET.ParseError:
        pass
    # Last resort for exports that are not XML at all (e.g. HTML with unescaped quotes pasted into a
    # description attribute): read the outlines as tag soup.
    soup = _scan_outlines(text)
    if soup is None:
        line, _column = first_error.position
        raise ConfigError(f"not readable XML: {first_error.msg}", path=label, line=line) from None
    log.warning("%s is not well-formed XML (%s); its outlines were read leniently", label, first_error.msg)
    return soup


def _scan_outlines(text: str) -> ET.Element | None:
    """An ``<opml><body>`` tree rebuilt from the ``<outline>`` tags found in broken markup, or ``None``."""
    if not re.search(r"<opml[\s>]", text, re.IGNORECASE):
        return None
    root = ET.Element("opml")
    stack = [ET.SubElement(root, "body")]
    found = False
    for match in _SOUP_TAG_RE.finditer(text):
        if match[0].lower().startswith("</"):
            if len(stack) > 1:
                stack.pop()
            continue
        # the tag's text runs to the next outline tag: a stray ">" inside it cannot cut it short
        region = text[match.end() : _next_tag(text, match.end())]
        attributes: dict[str, str] = {}
        for attr in _SOUP_ATTRIBUTE_RE.finditer(region):
            value = attr[2] if attr[2] is not None else attr[3]
            attributes.setdefault(attr[1], html.unescape(value))
        element = ET.SubElement(stack[-1], "outline", attributes)
        found = True
        if not region.rstrip().endswith("/>"):
            stack.append(element)
    return root if found else None


def _next_tag(text: str, start: int) -> int:
    following = _SOUP_TAG_RE.search(text, start)
    end = following.start() if following else len(text)
    closing = re.search(r"</body\s*>", text[start:end], re.IGNORECASE)
    return start + closing.start() if closing else end


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    match = _DECLARED_ENCODING_RE.match(data)
    candidates = ([match[1].decode("ascii")] if match else []) + ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _fix_entity(match: re.Match[str]) -> str:
    entity = match[1]
    if entity is None:
        return "&amp;"  # a bare ampersand
    if entity.startswith("#") or entity[:-1] in _XML_ENTITIES:
        return match[0]
    codepoint = html.entities.name2codepoint.get(entity[:-1])
    return f"&#{codepoint};" if codepoint is not None else "&amp;" + entity
