"""Fetch article pages politely with httpx (``full_text`` feeds): URLs in, one ``ArticlePage`` per URL out.

Politeness, since these are a publisher's web pages and not the feed it offers for machines:

* **robots.txt is honoured**, read once per host and run with ``urllib.robotparser`` (over this module's
  own httpx client, so timeouts, size cap and User-Agent are the same), for every hop of a redirect. As
  RFC 9309 says: a missing robots.txt (4xx) allows everything, an unreachable one (5xx, network error)
  forbids everything for this run. A ``Crawl-delay`` longer than ours is respected (up to a minute).
* **One page at a time per host** by default (``full_text.per_host``) with a pause between two requests
  to one host (``full_text.delay_seconds``), and at most ``GLOBAL_CAP`` requests at once overall.
* **Conditional GET** from the validators kept with the page (a 304 costs no body), a **size cap** read
  as the body streams (``full_text.max_bytes``), connect/read timeouts and a bound on the whole response.

A page that fails is a result with one clear reason (``ArticlePage.reason``), never an exception: an
article is an extra, and one bad page must not stop the others, nor mark its feed broken. Its HTTP status
and whether it timed out let ``core.fulltext`` decide whether to try it again later.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import urllib.robotparser
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from veille.adapters.http import (
    DEFAULT_USER_AGENT,
    _BodyTooLarge,
    _Hop,
    _read_capped,
    describe_httpx_error,
    format_seconds,
    format_size,
    invalid_url_reason,
)
from veille.models import FetchSettings, FullTextSettings

ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.3"
GLOBAL_CAP = 8  # article requests at once, all hosts together
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
MAX_CRAWL_DELAY = 60.0  # a robots.txt Crawl-delay is honoured up to this many seconds
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain")


@dataclass(frozen=True)
class ArticleRequest:
    """One page to fetch, with the validators of its last fetch (a conditional GET when given)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class ArticlePage:
    """What fetching one page gave: ``status`` ok (``body`` read), not_modified (304) or failed (``reason``)."""

    url: str
    status: str
    http_status: int | None = None
    body: bytes | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    reason: str | None = None
    timed_out: bool = False  # failed because the server did not answer in time (worth another try later)


@dataclass
class _Host:
    """One host's politeness: its robots.txt (read once), its cap, and when it was last asked."""

    gate: asyncio.Semaphore
    delay: float
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_problem: str | None = None
    robots_read: bool = False
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_at: float = 0.0


class _Fetcher:
    def __init__(self, client: httpx.AsyncClient, settings: FullTextSettings, user_agent: str) -> None:
        self.client = client
        self.settings = settings
        self.user_agent = user_agent
        self.hosts: dict[str, _Host] = {}
        self.global_cap = asyncio.Semaphore(GLOBAL_CAP)
        # the feed fetcher's wording of network errors, with the article timeouts
        self.errors = FetchSettings(connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout)
        self.timeout = httpx.Timeout(
            connect=settings.connect_timeout, read=settings.read_timeout, write=settings.read_timeout, pool=None
        )

    def host(self, url: str) -> _Host:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        if key not in self.hosts:
            self.hosts[key] = _Host(asyncio.Semaphore(self.settings.per_host), self.settings.delay_seconds)
        return self.hosts[key]

    async def _polite_get(self, host: _Host, url: str, headers: dict[str, str], max_bytes: int) -> _Hop:
        """One GET under the host's cap and pause; the body is read (capped) only for a 2xx."""
        async with host.gate, self.global_cap:
            wait = host.last_at + host.delay - time.monotonic()
            if host.last_at and wait > 0:
                await asyncio.sleep(wait)
            try:
                whole = self.settings.connect_timeout + 3 * self.settings.read_timeout
                async with (
                    asyncio.timeout(whole),
                    self.client.stream("GET", url, headers=headers, timeout=self.timeout) as response,
                ):
                    status = response.status_code
                    body = await _read_capped(response, max_bytes) if 200 <= status < 300 else None
                    return _Hop(status, response.reason_phrase, dict(response.headers), body)
            finally:
                host.last_at = time.monotonic()

    async def allowed(self, url: str) -> str | None:
        """None when robots.txt lets us fetch ``url``, else the reason it does not."""
        host = self.host(url)
        async with host.robots_lock:
            if not host.robots_read:
                await self._read_robots(host, url)
        if host.robots_problem is not None:
            return host.robots_problem
        if host.robots is not None and not host.robots.can_fetch(self.user_agent, url):
            return "robots.txt disallows this page"
        return None

    async def _read_robots(self, host: _Host, url: str) -> None:
        host.robots_read = True
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        headers = {"User-Agent": self.user_agent, "Accept": "text/plain, */*;q=0.5"}
        try:
            response = await self._polite_get(host, robots_url, headers, ROBOTS_MAX_BYTES)
            for _ in range(MAX_REDIRECTS):  # robots.txt redirects are followed (RFC 9309: at least five)
                if response.status not in REDIRECTS or not response.headers.get("location"):
                    break
                robots_url = urljoin(robots_url, response.headers["location"].strip())
                response = await self._polite_get(host, robots_url, headers, ROBOTS_MAX_BYTES)
        except _BodyTooLarge:
            host.robots_problem = "robots.txt unreadable (too large)"
            return
        except TimeoutError:
            host.robots_problem = "robots.txt unreachable (timed out)"
            return
        except httpx.HTTPError as exc:
            host.robots_problem = f"robots.txt unreachable ({describe_httpx_error(exc, self.errors, robots_url)})"
            return
        status = response.status
        if 200 <= status < 300:
            parser = urllib.robotparser.RobotFileParser(robots_url)
            parser.parse((response.body or b"").decode("utf-8", errors="replace").splitlines())
            host.robots = parser
            delay = parser.crawl_delay(self.user_agent)
            if delay is not None:
                host.delay = max(host.delay, min(float(delay), MAX_CRAWL_DELAY))
        elif status >= 500:
            host.robots_problem = f"robots.txt unreachable (HTTP {status})"
        # 4xx (and anything else): no robots.txt, every page allowed

    async def fetch(self, request: ArticleRequest) -> ArticlePage:
        """Fetch one page, following redirects ourselves (robots.txt checked at each hop)."""
        url = request.url

        def failed(reason: str, status: int | None = None, *, timed_out: bool = False) -> ArticlePage:
            return ArticlePage(
                request.url, "failed", http_status=status, final_url=url, reason=reason, timed_out=timed_out
            )

        headers = {"User-Agent": self.user_agent, "Accept": ACCEPT}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        for _hop in range(MAX_REDIRECTS + 1):
            problem = invalid_url_reason(url) or await self.allowed(url)
            if problem is not None:
                return failed(problem)
            try:
                response = await self._polite_get(self.host(url), url, headers, self.settings.max_bytes)
            except _BodyTooLarge:
                return failed(f"page larger than {format_size(self.settings.max_bytes)}", 200)
            except TimeoutError:
                whole = self.settings.connect_timeout + 3 * self.settings.read_timeout
                return failed(f"timed out after {format_seconds(whole)} (whole response)", timed_out=True)
            except httpx.HTTPError as exc:
                timed_out = isinstance(exc, httpx.TimeoutException)
                return failed(describe_httpx_error(exc, self.errors, url), timed_out=timed_out)
            except (OSError, ValueError) as exc:
                return failed(f"network error: {exc}")
            status = response.status
            if status in REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    return failed(f"redirect without a Location header (HTTP {status})", status)
                url = urljoin(url, location.strip())
                continue
            etag = response.headers.get("etag") or request.etag
            last_modified = response.headers.get("last-modified") or request.last_modified
            if status == 304:
                return ArticlePage(request.url, "not_modified", 304, None, url, etag, last_modified)
            if 200 <= status < 300:
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if kind and not kind.startswith(_HTML_TYPES):
                    return failed(f"not a web page ({kind})", status)
                return ArticlePage(request.url, "ok", status, response.body, url, etag, last_modified)
            phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
            return failed(f"HTTP {status}{phrase}", status)
        return failed(f"too many redirects (more than {MAX_REDIRECTS})")


async def fetch_articles(
    requests: Sequence[ArticleRequest],
    settings: FullTextSettings,
    *,
    user_agent: str | None = None,
    on_page: Callable[[ArticlePage], None] | None = None,
) -> list[ArticlePage]:
    """Fetch every page under the politeness rules of the module docstring; results in the order of
    ``requests``. ``on_page`` is called as each page is done (the job extracts and stores it there, so
    page bodies are not all held at once); an exception it raises stops the run."""
    if not requests:
        return []
    agent = user_agent or DEFAULT_USER_AGENT
    results: list[ArticlePage | None] = [None] * len(requests)
    pool = httpx.Limits(max_connections=GLOBAL_CAP, max_keepalive_connections=GLOBAL_CAP)
    async with httpx.AsyncClient(limits=pool, follow_redirects=False) as client:
        fetcher = _Fetcher(client, settings, agent)

        async def run(index: int, request: ArticleRequest) -> None:
            page = await fetcher.fetch(request)
            if on_page is not None:
                on_page(page)
            # the body is the caller's to keep: once handed over, it is not held for the whole run
            results[index] = page if on_page is None else dataclasses.replace(page, body=None)

        try:
            async with asyncio.TaskGroup() as group:
                for index, request in enumerate(requests):
                    group.create_task(run(index, request))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
    return [page for page in results if page is not None]


def fetch_articles_sync(
    requests: Sequence[ArticleRequest],
    settings: FullTextSettings,
    *,
    user_agent: str | None = None,
    on_page: Callable[[ArticlePage], None] | None = None,
) -> list[ArticlePage]:
    """``fetch_articles`` for synchronous callers: runs its own event loop."""
    return asyncio.run(fetch_articles(requests, settings, user_agent=user_agent, on_page=on_page))
