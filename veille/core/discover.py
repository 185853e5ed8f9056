"""Which feed a website offers: decisions over the links a page declares, no network.

A site announces its feeds with ``<link rel="alternate" type="application/rss+xml" href="…">`` in its
pages (the autodiscovery convention of browsers and feed readers). A page often lists more than its
feed: a comments feed ("Comments Feed", "Flux des commentaires"), a post's own comments, oEmbed
descriptions (``application/json+oembed``), translations (``hreflang``). ``feed_links`` keeps the
feeds, the site's own first; ``guess_urls`` gives the usual paths to try when a page declares none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

#: Link types that announce a feed (``type`` attribute, lowercase, parameters removed).
FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/rdf+xml": "RSS",
    "application/feed+json": "JSON Feed",
    "application/json": "JSON Feed",
}
#: Where sites usually serve their feed (WordPress, Blogger, Ghost, Hugo, Jekyll, SPIP, Drupal…), tried
#: in this order against the site's root when a page declares no feed.
COMMON_PATHS = (
    "/feed",
    "/rss",
    "/feed.xml",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feeds/posts/default",
    "/spip.php?page=backend",
    "/rss.php",
)
_COMMENTS = re.compile(r"\bcomments?\b|\bcommentaires?\b", re.IGNORECASE)


@dataclass(frozen=True)
class LinkTag:
    """A ``<link>`` element of a page, as the HTML parser found it."""

    rel: str
    type: str
    href: str
    title: str = ""


@dataclass(frozen=True)
class FeedLink:
    url: str
    title: str
    kind: str  # "RSS", "Atom", "JSON Feed"
    comments: bool  # a comments feed, not the site's posts


def feed_links(links: Iterable[LinkTag], base: str) -> list[FeedLink]:
    """The feeds ``links`` announce, resolved against ``base`` (the page's URL, or its ``<base href>``):
    each URL once, the site's own feeds first in page order, comments feeds last."""
    found: dict[str, FeedLink] = {}
    for link in links:
        rels = {token.lower() for token in link.rel.split()}
        kind = FEED_TYPES.get(link.type.split(";")[0].strip().lower())
        href = link.href.strip()
        if "alternate" not in rels or kind is None or not href:
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https") or url in found:
            continue
        comments = bool(_COMMENTS.search(link.title) or _COMMENTS.search(urlsplit(url).path))
        found[url] = FeedLink(url=url, title=link.title.strip(), kind=kind, comments=comments)
    return sorted(found.values(), key=lambda feed: feed.comments)  # stable: page order otherwise


def guess_urls(page_url: str) -> list[str]:
    """The usual feed paths of ``page_url``'s site, to try in order when its page declares no feed."""
    parts = urlsplit(page_url)
    root = f"{parts.scheme}://{parts.netloc}/"
    return [urljoin(root, path) for path in COMMON_PATHS]
