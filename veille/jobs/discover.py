"""Subscribe by website: which feed a URL stands for (the job behind ``veille feeds add`` and
``veille opml import``). Loads with the adapters, decides with ``core.discover``."""

from __future__ import annotations

from dataclasses import dataclass

from veille.adapters.html import page_links
from veille.adapters.http import Page
from veille.adapters.parse import parse_feed
from veille.app import App
from veille.core.discover import FeedLink, feed_links, guess_urls
from veille.errors import FetchError, ParseError

_KINDS = (("atom", "Atom"), ("json", "JSON Feed"), ("rss", "RSS"))


@dataclass(frozen=True)
class Discovery:
    url: str  # the address asked for
    feeds: tuple[FeedLink, ...]  # best first; empty when the site offers none
    direct: bool = False  # the address is itself a feed
    guessed: bool = False  # found at a usual path, the page declaring none

    @property
    def best(self) -> FeedLink | None:
        """The site's own feed: the first that is not a comments feed (else the first)."""
        own = [feed for feed in self.feeds if not feed.comments] or list(self.feeds)
        return own[0] if own else None


def discover(app: App, url: str) -> Discovery:
    """The feeds ``url`` stands for: itself when it is a feed, else those its page declares, else the
    first usual path (``/feed``, ``/rss.xml``…) that answers with a feed (pages read with
    ``app.page_fetcher`` and the configured fetch settings). Raises ``FetchError`` when ``url`` itself
    cannot be fetched."""
    settings = app.settings.fetch
    page = app.page_fetcher(url, settings)
    own = _as_feed(page, url)
    if own is not None:
        return Discovery(url, (own,), direct=True)
    base, links = page_links(page.body, page.url)
    found = feed_links(links, base)
    if found:
        return Discovery(url, tuple(found))
    for candidate in guess_urls(page.url):
        try:
            feed = _as_feed(app.page_fetcher(candidate, settings), candidate)
        except FetchError:
            continue
        if feed is not None:
            return Discovery(url, (feed,), guessed=True)
    return Discovery(url, ())


def _as_feed(page: Page, url: str) -> FeedLink | None:
    """``page`` as a feed link (at ``url``, as asked), or ``None`` when its bytes are not a feed."""
    try:
        parsed = parse_feed(page.body, page.url, page.headers)
    except ParseError:
        return None
    version = (parsed.version or "").lower()
    kind = next((name for prefix, name in _KINDS if version.startswith(prefix)), "RSS")
    return FeedLink(url=url, title=parsed.title or "", kind=kind, comments=False)
