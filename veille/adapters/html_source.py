"""HTML source adapter (selectolax): a web page without a feed, read with CSS selectors, → ``ParsedFeed``.

Never touches the network. The page's items are the elements ``selectors.item`` matches; inside each,
``title`` gives the title (its text), ``link`` the link (default: the title's own link, else the
item's first ``a[href]``), ``date`` the date (default: the item's first ``<time>``; a ``datetime``,
``content`` or ``title`` attribute is read before the text) and ``summary`` the summary (its HTML,
sanitised later like a feed's). Relative links are resolved against the page's ``<base href>``, else
its URL. Scripts and styles are removed before anything is read, so their text never becomes a title.

The result is what ``adapters.parse`` gives for a feed: ``core.normalize`` turns its items into the
same ``NewItem`` records. An item without a title or an http(s) link is skipped and counted in
``ParsedFeed.warning``; a page where ``item`` matches nothing, or where no item has both, raises
``ParseError`` with one clear reason (a feed with no entries is not an error; a page whose selectors
no longer match is, since the site most likely changed its markup).
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Mapping
from datetime import datetime

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from veille.core.dates import parse_date
from veille.core.normalize import language_code
from veille.core.sanitize import safe_url
from veille.errors import ParseError
from veille.models import HtmlSelectors, ParsedFeed, ParsedItem

#: Elements whose content is never page text: removed before the selectors run.
DROPPED_TAGS = ["script", "style", "noscript", "template"]
DATE_ATTRIBUTES = ("datetime", "content", "title")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*\"?([\w.:-]+)", re.IGNORECASE)
#: Soft hyphens (U+00AD) are hyphenation hints some sites put in every long word: invisible, not text.
_SOFT_HYPHEN = re.compile(r"\xad|&shy;|&#173;|&#xad;", re.IGNORECASE)


def selector_problem(selector: str) -> str | None:
    """Why selectolax cannot use ``selector`` (None when it can): checked when feeds.yaml is loaded."""
    if not selector.strip():
        return "an empty CSS selector"
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError:
        hint = " (it looks like XPath: write a CSS selector such as `article h2`)" if selector.startswith("/") else ""
        return f"{selector!r} is not a CSS selector selectolax can read{hint}"
    return None


def decode_page(body: bytes, headers: Mapping[str, str]) -> str:
    """The page's text: the charset of the Content-Type header, else of a ``<meta>``, else UTF-8 (or
    windows-1252 for bytes that are not UTF-8, as browsers do)."""
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    declared = _HEADER_CHARSET.search(lowered.get("content-type", ""))
    meta = _META_CHARSET.search(body[:4096])
    candidates = [declared.group(1) if declared else None, meta.group(1).decode("ascii", "ignore") if meta else None]
    if body.startswith(codecs.BOM_UTF8):
        candidates.insert(0, "utf-8-sig")
    for name in candidates:
        if not name:
            continue
        try:
            return body.decode(codecs.lookup(name).name, errors="replace")
        except LookupError:
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def parse_html_source(
    body: bytes, url: str, headers: Mapping[str, str], selectors: HtmlSelectors, now: datetime
) -> ParsedFeed:
    """The items of one fetched page. ``url`` is the final URL of the fetch; ``now`` dates "yesterday".

    Raises ``ParseError(url, reason)`` when the page is empty or its selectors find no usable item.
    """
    text = decode_page(body, headers)
    if not text.strip(" \t\r\n\x00\ufeff"):
        raise ParseError(url, "empty document")
    try:
        tree = LexborHTMLParser(text)
        tree.strip_tags(DROPPED_TAGS, recursive=True)
        base = _base_url(tree, url)
        page_lang = _page_lang(tree)
        nodes = tree.css(selectors.item)
    except SelectolaxError as exc:  # the selectors were checked at load time; a page cannot break them
        raise ParseError(url, f"cannot read the page with these selectors ({exc})") from exc
    if not nodes:
        raise ParseError(url, f"no item matched selector {selectors.item!r}")
    items: list[ParsedItem] = []
    for node in nodes:
        item = _item(node, selectors, base, page_lang, now)
        if item is not None:
            items.append(item)
    skipped = len(nodes) - len(items)
    if not items:
        raise ParseError(
            url,
            f"{len(nodes)} item(s) matched selector {selectors.item!r} but none had both a title"
            f" ({selectors.title!r}) and an http(s) link ({selectors.link or 'a[href]'!r})",
        )
    title_node = tree.css_first("title")
    return ParsedFeed(
        title=_text(title_node) or None,
        link=url,
        lang=page_lang,
        items=tuple(items),
        warning=f"{skipped} of {len(nodes)} item(s) skipped: no title or no http(s) link" if skipped else None,
        version="html",
    )


def _base_url(tree: LexborHTMLParser, url: str) -> str:
    node = tree.css_first("base[href]")
    href = (node.attributes.get("href") or "").strip() if node is not None else ""
    return safe_url(href, url) or url if href else url


def _page_lang(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("html[lang]")
    return language_code(node.attributes.get("lang")) if node is not None else None


def _text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return " ".join(_SOFT_HYPHEN.sub("", node.text(separator=" ") or "").split())


def _item(
    node: LexborNode, selectors: HtmlSelectors, base: str, page_lang: str | None, now: datetime
) -> ParsedItem | None:
    title_node = node.css_first(selectors.title)
    title = _text(title_node)
    link = _link(node, title_node, selectors.link, base)
    if not title or link is None:
        return None
    summary_node = node.css_first(selectors.summary) if selectors.summary else None
    summary = _SOFT_HYPHEN.sub("", summary_node.inner_html or "").strip() if summary_node is not None else ""
    item_lang = node.attributes.get("lang")
    return ParsedItem(
        entry_id=None,  # a page gives no guid: the item is known by its link and title
        link=link,
        title=html.escape(title, quote=False),
        summary_html=summary or None,
        content_html=None,
        author=None,
        published=_date(node, selectors.date, now, language_code(item_lang) or page_lang),
        lang=item_lang,
        base=base,
    )


def _link(node: LexborNode, title_node: LexborNode | None, selector: str | None, base: str) -> str | None:
    """The item's http(s) link, absolute; None when it has none (a ``javascript:`` link is none)."""
    if selector:
        found = node.css_first(selector)
        if found is None:
            return None
        href = found.attributes.get("href")
        if href is None:
            inner = found.css_first("a[href]")
            href = inner.attributes.get("href") if inner is not None else None
        return safe_url(href, base)
    candidates: list[LexborNode] = []
    if title_node is not None:
        if title_node.tag == "a":
            candidates.append(title_node)
        inner = title_node.css_first("a[href]")
        if inner is not None:
            candidates.append(inner)
        parent = title_node.parent
        while parent is not None and parent.mem_id != node.mem_id:
            if parent.tag == "a":
                candidates.append(parent)
                break
            parent = parent.parent
    if node.tag == "a":
        candidates.append(node)
    first = node.css_first("a[href]")
    if first is not None:
        candidates.append(first)
    for candidate in candidates:
        url = safe_url(candidate.attributes.get("href"), base)
        if url is not None:
            return url
    return None


def _date(node: LexborNode, selector: str | None, now: datetime, lang: str | None) -> datetime | None:
    found = node.css_first(selector) if selector else node.css_first("time")
    if found is None:
        return None
    holders = [found]
    inner = found.css_first("time")
    if inner is not None and inner.mem_id != found.mem_id:
        holders.append(inner)
    for holder in holders:
        for name in DATE_ATTRIBUTES:
            value = holder.attributes.get(name)
            when = parse_date(value, now, lang=lang) if value else None
            if when is not None:
                return when
    return parse_date(_text(found), now, lang=lang)
