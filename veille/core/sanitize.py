"""The one HTML sanitiser of veille, shared by normalising, the digest and the site.

Feeds carry hostile or broken HTML: scripts, event handlers, ``javascript:`` links, unclosed tags,
HTML escaped twice, UTF-8 read as Latin-1 ("Ã©"). Everything that reaches a page or a mail goes
through :func:`clean_html` (an allow-list applied by nh3, the Rust ``ammonia`` sanitiser), every text
field through :func:`html_to_text`, and every link we render through :func:`safe_url`. Keeping the
three here means one policy to review instead of one per renderer.

Pure: nh3 and the standard library only, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import nh3

# A small set that keeps an article readable in a digest or on the site; no forms, frames, media
# players or styling (a feed's CSS would fight ours).
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "dl", "dt", "em",
        "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
        "li", "mark", "ol", "p", "pre", "q", "s", "small", "strong", "sub", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
# Tags removed together with everything inside them (the text of a script is not article text).
DROPPED_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "svg", "math", "form", "textarea",
     "select", "button", "frameset", "frame", "applet"}
)  # fmt: skip
LINK_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def safe_url(url: str | None, base: str | None = None, *, schemes: frozenset[str] | None = None) -> str | None:
    """``url`` made absolute against ``base`` if it is a web link we may render, else None.

    Only http and https by default (``schemes`` widens it, e.g. to mailto for links inside an
    article). Control characters and blanks anywhere in the URL are removed first, because browsers
    ignore them too: ``java\\tscript:`` must not slip through as a relative URL.
    """
    if not url or not isinstance(url, str):
        return None
    allowed = schemes or frozenset({"http", "https"})
    candidate = _CONTROL.sub("", url.strip("\x00\x20\t\n\r\f\v")).replace(" ", "%20")
    if not candidate:
        return None
    try:
        if base and not urlsplit(candidate).scheme:
            base_parts = urlsplit(base.strip())
            if base_parts.scheme in {"http", "https"} and base_parts.netloc:
                candidate = urljoin(base.strip(), candidate)
        parts = urlsplit(candidate)
    except ValueError:  # e.g. an invalid IPv6 host "http://[::1"
        return None
    scheme = parts.scheme.lower()
    if scheme not in allowed:
        return None
    if scheme in {"http", "https"} and not parts.hostname:
        return None
    if scheme == "mailto" and "@" not in parts.path:
        return None
    return candidate


def _relative_rewriter(base: str | None) -> Callable[[str], str | None]:
    """nh3 callback for relative URLs: resolved against the item's page, dropped without one."""

    def rewrite(url: str) -> str | None:
        return safe_url(url, base) if base else None

    return rewrite


def _attribute_filter(base: str | None) -> Callable[[str, str, str], str | None]:
    """Images only from http(s): a ``mailto:`` or data image is never what the author meant."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src" and safe_url(value, base) is None:
            return None
        return value

    return keep


def clean_html(markup: str | None, base_url: str | None = None) -> str:
    """Sanitised HTML for a digest or a page: allow-listed tags, web links only, nothing that runs.

    Relative ``href``/``src`` are made absolute against ``base_url`` (the item's link, else the feed
    URL) and dropped when there is no usable base. Links get ``rel="nofollow noopener"``. Mojibake
    (UTF-8 read as Latin-1) is repaired first so "Ã©" becomes "é".
    """
    if not markup:
        return ""
    base = safe_url(base_url) if base_url else None
    cleaned = nh3.clean(
        repair_mojibake(markup),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter(base),
        url_schemes=set(LINK_SCHEMES),
        link_rel=LINK_REL,
        url_relative=_relative_rewriter(base),
        strip_comments=True,
    )
    return cleaned.strip()


# --------------------------------------------------------------------------------------------------
# HTML → text

_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
     "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
     "section", "table", "td", "th", "tr", "ul", "title", "body", "html", "head"}
)  # fmt: skip
_SKIPPED_TEXT = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math"})
# Markup or an entity still present after one decoding means the source escaped its HTML twice.
_LOOKS_ESCAPED = re.compile(
    r"</?(?:a|p|br|div|span|img|b|i|em|strong|ul|ol|li|h[1-6]|blockquote|table|tr|td|script|style|iframe)"
    r"(?:\s[^<>]*)?/?>|&(?:#\d{2,7}|#x[0-9a-fA-F]{2,6}|[a-zA-Z]{2,8});",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]+")
#: Characters that take no room on the page: the soft hyphen (a hyphenation hint), zero-width spaces,
#: joiners and non-joiners, the word joiner and invisible operators, the byte-order mark, and the
#: bidirectional controls (marks, embeddings, overrides, isolates). Nothing a reader sees, but they split
#: the words a search, the language identifier or the model read ("lear\u00adning").
_FORMAT_MARKS = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SOFT_HYPHEN_ENTITY = re.compile(r"&shy;|&#173;|&#x0*ad;", re.IGNORECASE)


class _TextCollector(HTMLParser):
    """Collects visible text; block elements become breaks so words of two paragraphs don't merge."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TEXT:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TEXT:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def _strip_once(markup: str) -> str:
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return "".join(collector.parts)


def html_to_text(markup: str | None) -> str:
    """Plain text of an HTML fragment: tags stripped, entities decoded, whitespace collapsed.

    HTML escaped twice (``&amp;lt;p&amp;gt;``, common in RSS descriptions) is decoded a second time;
    scripts and styles contribute no text; mojibake is repaired. The result is one line.
    """
    if not markup:
        return ""
    text = _strip_once(markup) if ("<" in markup or "&" in markup) else markup
    for _ in range(2):  # escaped twice at most; a third level would be the author's own text
        if not _LOOKS_ESCAPED.search(text):
            break
        text = _strip_once(text)
    text = repair_mojibake(text)
    return _SPACES.sub(" ", _INVISIBLE.sub(" ", text)).strip()


def strip_invisible(text: str) -> str:
    """``text`` (one line, as ``html_to_text`` gives it) without its invisible characters (``_FORMAT_MARKS``),
    spaces collapsed."""
    if not _FORMAT_MARKS.search(text):
        return text
    return _SPACES.sub(" ", _FORMAT_MARKS.sub("", text)).strip()


def strip_invisible_markup(markup: str) -> str:
    """Sanitised HTML without its invisible characters, raw or written as a soft hyphen's entity."""
    return _SOFT_HYPHEN_ENTITY.sub("", _FORMAT_MARKS.sub("", markup))


def capitalised(text: str) -> str:
    """A heading's first letter in upper case, the rest left alone (theme labels are lower-case keywords;
    acronyms stay as they are). The digest and the site use this one."""
    return text[:1].upper() + text[1:]


def truncate_text(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters on a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


# --------------------------------------------------------------------------------------------------
# Mojibake: UTF-8 bytes decoded as windows-1252 / Latin-1 (and sometimes re-encoded), "Ã©" for "é".


def _continuation_chars() -> str:
    chars = []
    for byte in range(0x80, 0xC0):
        chars.append(chr(byte))
        try:
            decoded = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        if decoded != chr(byte):
            chars.append(decoded)
    return "".join(chars)


_CONT = "[" + re.escape(_continuation_chars()) + "]"
_MOJIBAKE = re.compile(f"[\u00c2-\u00df]{_CONT}|[\u00e0-\u00ef]{_CONT}{{2}}|[\u00f0-\u00f4]{_CONT}{{3}}")


def _as_byte(ch: str) -> int:
    if ord(ch) < 0x100:
        return ord(ch)
    return ch.encode("cp1252")[0]


def _repair_match(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        return bytes(_as_byte(ch) for ch in run).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return run


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as windows-1252/Latin-1: "rÃ©sumÃ©" → "résumé", "â€™" → "’".

    Only sequences that form valid UTF-8 once turned back into bytes are replaced, so ordinary
    accented text ("à été") is left alone.
    """
    if not text or not _MOJIBAKE.search(text):
        return text
    return _MOJIBAKE.sub(_repair_match, text)
