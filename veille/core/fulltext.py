"""Full text of excerpt-only feeds: which feeds want it, which pages are worth keeping, and what the
analysis reads. Pure: the pages are fetched by ``adapters.articles``, their text extracted by
``adapters.extract``, the rows kept by ``adapters.article_store``.

A feed that only gives a line or two per item says little about formats or themes; its article page says
more. What the analysis reads (the embedding, the format tagger, story grouping and themes through the
embedding) is then the item's title and excerpt followed by the start of the article's main text, cut on a
word boundary; what people read (the digest, the site) stays the excerpt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: A page whose extracted main text is shorter than this is "no main text found": a cookie wall, a
#: paywall teaser or an index page, not an article.
MIN_TEXT_CHARS = 200
#: The article text kept per page (the analysis never reads further).
MAX_STORED_CHARS = 20_000
#: What the embedding reads of the article after title and excerpt. The model reads about 256 word
#: pieces (roughly 1,000 characters of English): more would be cut by the model itself.
EMBED_ARTICLE_CHARS = 1_000
#: What the format tagger reads of the article: its lexical evidence (course names, "podcast", "MOOC")
#: is often a few paragraphs in, but a whole page would also match the site's menus and related links.
TAG_ARTICLE_CHARS = 2_500
#: When a page that failed for a passing reason (the server busy or down: HTTP 5xx or 429, or a timeout)
#: is tried again, counted from its last failure: after the first, the second and the third failure; a
#: fourth gives it up. A page that failed for good (HTTP 404, robots.txt disallows it…) is never asked
#: for again.
RETRY_DELAYS = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))


def wants_full_text(feed_flag: bool | None, default: bool) -> bool:
    """Whether a feed's items get their article page: the feed's own ``full_text``, else the default."""
    return default if feed_flag is None else feed_flag


def cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters on a word boundary (no ellipsis: the analysis reads it)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    return head[:space] if space > limit // 2 else head


def article_part(summary: str, article: str, limit: int) -> str:
    """The start of ``article`` that adds to ``summary``: an article that opens with the excerpt (most
    feeds cut their excerpt from the first paragraph) is read from where the excerpt stops."""
    article = " ".join(article.split())
    if not article:
        return ""
    summary = " ".join(summary.split()).rstrip(".… ")
    if summary and article.startswith(summary):
        article = article[len(summary) :].lstrip(" .…")
    return cut(article, limit)


def with_article(text: str, summary: str, article: str, limit: int) -> str:
    """``text`` (what the analysis reads of title and excerpt) followed by the article's start."""
    extra = article_part(summary, article, limit)
    if not extra:
        return text
    return f"{text.rstrip()} {extra}" if text.strip() else extra


@dataclass(frozen=True)
class PageVerdict:
    """What to keep of one extracted page: its text, or why there is none."""

    text: str = ""
    reason: str | None = None


def judge_text(text: str | None, *, min_chars: int = MIN_TEXT_CHARS) -> PageVerdict:
    """The extracted main text kept (whitespace tidied, cut at ``MAX_STORED_CHARS``), or the reason it is
    not: nothing found, or too short to be an article."""
    text = "\n".join(" ".join(line.split()) for line in (text or "").splitlines())
    text = "\n".join(line for line in text.split("\n") if line)
    if not text:
        return PageVerdict(reason="no main text found in the page")
    if len(text) < min_chars:
        return PageVerdict(reason=f"main text too short ({len(text)} characters): not an article")
    if len(text) > MAX_STORED_CHARS:
        text = text[:MAX_STORED_CHARS].rsplit(" ", 1)[0]
    return PageVerdict(text=text)


@dataclass(frozen=True)
class Pending:
    """An item of a ``full_text`` feed whose page is still to get, with what the store knows of its page."""

    item_id: int
    url: str
    content_hash: str
    linked: bool  # the item was given a page before (its content changed since)
    page_status: str | None  # the cached page at ``url``: ok | failed | None (never fetched)
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0  # the page's passing failures in a row
    retry_due: bool = False  # the page failed for a passing reason and its next try is due


@dataclass(frozen=True)
class Plan:
    """What a run does about the pending items: link to a cached page, or fetch (conditionally)."""

    link: tuple[Pending, ...]  # the page is cached: no request
    fetch: tuple[tuple[str, str | None, str | None], ...]  # (url, etag, last_modified), one per page
    items_of: dict[str, tuple[Pending, ...]]  # page URL -> the items it is fetched for


def plan_fetches(pending: list[Pending]) -> Plan:
    """Never fetch a page twice: a page already fetched is linked from the cache, unless an item whose
    content changed at the source points at it, when a page read before is revalidated with a
    conditional GET (a 304 keeps its text). A page that failed is not tried again, unless it failed for a
    passing reason and its next try is due (``retry``)."""
    link: list[Pending] = []
    by_url: dict[str, list[Pending]] = {}
    for item in pending:
        revalidate = item.linked and item.page_status == "ok"
        retry = item.page_status == "failed" and item.retry_due
        if item.page_status is not None and not revalidate and not retry:
            link.append(item)
        else:
            by_url.setdefault(item.url, []).append(item)
    fetch = tuple(
        (url, items[0].etag, items[0].last_modified) if items[0].page_status == "ok" else (url, None, None)
        for url, items in by_url.items()
    )
    return Plan(tuple(link), fetch, {url: tuple(items) for url, items in by_url.items()})


def passing_failure(http_status: int | None, timed_out: bool) -> bool:
    """Whether a failed page may answer later: a timeout, HTTP 429 (too many requests) or a server error
    (5xx). Anything else (a 404, robots.txt disallowing it, no article in the page…) is for good."""
    return timed_out or http_status == 429 or (http_status is not None and 500 <= http_status < 600)


@dataclass(frozen=True)
class Attempt:
    """What to keep of one page's fetch: its passing failures in a row, and when to try it again (None:
    never, it has its text or failed for good or too often)."""

    failures: int = 0
    retry_after: datetime | None = None


def next_attempt(failed: bool, passing: bool, failures_before: int, now: datetime) -> Attempt:
    """After a fetch at ``now``: a page that failed for a passing reason is tried again after
    ``RETRY_DELAYS`` (1 h, 6 h, 24 h after its first, second and third such failure), then given up."""
    if not failed or not passing:
        return Attempt()
    failures = failures_before + 1
    if failures > len(RETRY_DELAYS):
        return Attempt(failures)
    return Attempt(failures, now + RETRY_DELAYS[failures - 1])


@dataclass(frozen=True)
class ArticleCounts:
    """One feed's article pages, counted by item: with text, failed (``retrying`` of them to try again
    later), and the latest failure's reason."""

    ok: int = 0
    failed: int = 0
    retrying: int = 0
    last_reason: str | None = None
