"""Fetch feeds over HTTP with httpx: bytes and headers in, one ``FetchResult`` per feed out.

Why this module looks the way it does:

* **A failing feed is a result, not an exception.** Every httpx exception, HTTP error status, redirect
  problem, oversized body or invalid URL becomes ``FetchResult.error`` with one clear reason, so one bad
  feed never stops a run. Exceptions raised by ``on_result`` (the pipeline storing a batch) do propagate:
  a broken database must stop the run.
* **Polite by default.** A global cap and a per-host cap on simultaneous requests, conditional GET from
  the stored validators (a 304 costs no body and no parsing), an honest User-Agent, and a streamed size
  cap so a runaway feed cannot fill memory.
* **Redirects are followed here, not by httpx**, because only we know what they mean for the feed: a chain
  made only of 301/308 moves the feed (``permanent_redirect``); any 302/303/307 hop makes the move
  temporary.
* The parser never touches the network; this module never parses.
"""

from __future__ import annotations

import asyncio
import email.utils
import errno
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from veille import __version__
from veille.errors import FetchError
from veille.models import FeedState, FetchResult, FetchSettings

DEFAULT_USER_AGENT = f"veille/{__version__} (+https://github.com/veille-watch/veille)"

# Feed types first; anything else is still accepted (many servers send text/html for feeds).
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)

PERMANENT_REDIRECTS = frozenset({301, 308})
TEMPORARY_REDIRECTS = frozenset({302, 303, 307})
RETRY_AFTER_STATUSES = frozenset({429, 503})
CHUNK_SIZE = 64 * 1024
DNS_FAILURE_MARKERS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo",
)


def user_agent_for(settings: FetchSettings, override: str | None = None) -> str:
    """The User-Agent to send: the caller's, else the configured one, else veille's honest default."""
    return override or settings.user_agent or DEFAULT_USER_AGENT


def format_seconds(seconds: float) -> str:
    """``30.0`` → ``"30 s"``, ``0.25`` → ``"0.25 s"``: timeouts read as the user wrote them."""
    return f"{seconds:g} s"


def format_size(size: int) -> str:
    """A byte count as a user reads it in an error line (``10 MiB``, ``256 KiB``, ``900 bytes``)."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}" if size % scale else f"{size // scale} {unit}"
    return f"{size} bytes"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date; None when absent/invalid.

    ``now`` is the reference for an HTTP-date (the response's Date header when the server gave one, so a
    skewed local clock does not matter); a date in the past means "retry now" (0 seconds).
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reference = now or datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


def _response_date(headers: dict[str, str]) -> datetime | None:
    """The server's Date header, the right reference for its own Retry-After date."""
    value = headers.get("date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def invalid_url_reason(url: str) -> str | None:
    """Why ``url`` cannot be fetched, or None. Checked before any I/O so the reason is readable."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"invalid URL ({exc})"
    if parts.scheme.lower() not in {"http", "https"}:
        return f"invalid URL: scheme must be http or https, not {parts.scheme or 'missing'!r}"
    if not parts.hostname:
        return "invalid URL: no host"
    try:
        _ = parts.port
    except ValueError:
        return "invalid URL: bad port"
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        return f"invalid URL ({exc})"
    return None


def whole_response_timeout(settings: FetchSettings) -> float:
    """Upper bound on one request, because the read timeout restarts with every chunk.

    A server dripping one byte every few seconds never trips the read timeout; this bound (connect +
    10 x read, 310 s by default) keeps one such feed from holding the whole run.
    """
    return settings.connect_timeout + 10 * settings.read_timeout


def _host_key(url: str) -> str:
    """Per-host politeness is per machine name: two ports on one host share the cap."""
    return (urlsplit(url).hostname or "").lower()


def _errno_in_chain(exc: BaseException) -> int | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current.errno
        current = current.__cause__ or current.__context__
    return None


def _describe_connect_error(exc: BaseException, host: str) -> str:
    """A human reason for a failed connection (refused, unknown host, unreachable, TLS)."""
    code = _errno_in_chain(exc)
    text = str(exc)
    lowered = text.lower()
    if code == errno.ECONNREFUSED or "refused" in lowered:
        return "connection refused"
    if any(marker in lowered for marker in DNS_FAILURE_MARKERS):
        return f"host not found: {host}"
    if code in {errno.ENETUNREACH, errno.EHOSTUNREACH}:
        return f"host unreachable: {host}"
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return f"TLS error: {text}"
    return f"connection failed: {text}" if text else "connection failed"


def describe_httpx_error(exc: httpx.HTTPError, settings: FetchSettings, url: str) -> str:
    """Translate one httpx exception into the one-line reason stored with the feed."""
    host = urlsplit(url).hostname or url
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out after {format_seconds(settings.connect_timeout)} (connect)"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out after {format_seconds(settings.read_timeout)} (read)"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timed out after {format_seconds(settings.read_timeout)} (write)"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out waiting for a connection"
    if isinstance(exc, httpx.ConnectError):
        return _describe_connect_error(exc, host)
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc)
        if "peer closed connection" in text or "incomplete" in text:
            return "connection closed before the end of the body"
        return f"invalid HTTP response: {text}"
    if isinstance(exc, httpx.DecodingError):
        return "could not decode the compressed body"
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.CloseError):
        code = _errno_in_chain(exc)
        if code == errno.ECONNRESET or "reset" in str(exc).lower():
            return "connection reset by the server"
        return f"network error: {exc}" if str(exc) else "network error"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return f"invalid URL ({exc})"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


@dataclass
class _Limits:
    """The global semaphore and one semaphore per host, created lazily inside the running loop."""

    global_cap: asyncio.Semaphore
    per_host: int
    hosts: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def for_host(self, url: str) -> asyncio.Semaphore:
        key = _host_key(url)
        if key not in self.hosts:
            self.hosts[key] = asyncio.Semaphore(self.per_host)
        return self.hosts[key]


class _BodyTooLarge(Exception):
    """Internal: the streamed body went past ``max_bytes``."""


def _conditional_headers(state: FeedState) -> dict[str, str]:
    headers: dict[str, str] = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _timeout(settings: FetchSettings) -> httpx.Timeout:
    # Pool waits are ours (semaphores), so the pool itself never times out.
    return httpx.Timeout(
        connect=settings.connect_timeout, read=settings.read_timeout, write=settings.read_timeout, pool=None
    )


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """Read the (decoded) body but stop as soon as it passes ``max_bytes``: never buffer unbounded.

    The cap applies to decoded bytes, so a small gzip bomb is stopped too.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:  # compressed size: decoded would be larger
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class _Hop:
    """One HTTP exchange of a fetch (a redirect, a 304, a body or an error status)."""

    status: int
    reason_phrase: str
    headers: dict[str, str]
    body: bytes | None


async def _request(client: httpx.AsyncClient, url: str, headers: dict[str, str], settings: FetchSettings) -> _Hop:
    """One GET: the body is read (capped) only for a 2xx; redirects, 304 and errors close unread."""
    async with (
        asyncio.timeout(whole_response_timeout(settings)),
        client.stream("GET", url, headers=headers, timeout=_timeout(settings)) as response,
    ):
        status = response.status_code
        body = await _read_capped(response, settings.max_bytes) if 200 <= status < 300 else None
        return _Hop(status, response.reason_phrase, dict(response.headers), body)


async def fetch_one(
    client: httpx.AsyncClient,
    state: FeedState,
    settings: FetchSettings,
    limits: _Limits,
    *,
    user_agent: str,
) -> FetchResult:
    """Fetch one feed, following redirects ourselves; never raises for the feed's own failure."""
    started = time.monotonic()
    requested = state.url
    url = requested
    all_permanent = True
    visited = {url}
    redirects = 0
    request_headers = {"User-Agent": user_agent, "Accept": ACCEPT, **_conditional_headers(state)}

    def failure(
        reason: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        gone: bool = False,
        retry_after: float | None = None,
    ) -> FetchResult:
        return FetchResult(
            feed_id=state.id,
            requested_url=requested,
            final_url=url,
            status=status,
            headers=headers or {},
            error=reason,
            gone=gone,
            retry_after=retry_after,
            elapsed=time.monotonic() - started,
        )

    while True:
        reason = invalid_url_reason(url)
        if reason:
            return failure(reason)
        try:
            async with limits.for_host(url), limits.global_cap:
                hop = await _request(client, url, request_headers, settings)
        except TimeoutError:
            seconds = format_seconds(whole_response_timeout(settings))
            return failure(f"timed out after {seconds} (whole response)")
        except _BodyTooLarge:
            return failure(f"body larger than {format_size(settings.max_bytes)}", status=200)
        except httpx.HTTPError as exc:
            return failure(describe_httpx_error(exc, settings, url))
        except (OSError, ValueError) as exc:  # defensive: the transport leaked a low-level error
            return failure(f"network error: {exc}")

        status, headers, body = hop.status, hop.headers, hop.body
        if status in PERMANENT_REDIRECTS or status in TEMPORARY_REDIRECTS:
            location = headers.get("location")
            if not location:
                return failure(f"redirect without a Location header (HTTP {status})", status=status)
            target = urljoin(url, location.strip())
            if status not in PERMANENT_REDIRECTS:
                all_permanent = False
            if target in visited:
                return failure("redirect loop", status=status)
            redirects += 1
            if redirects > settings.max_redirects:
                return failure(f"too many redirects (more than {settings.max_redirects})", status=status)
            visited.add(target)
            url = target
            continue

        elapsed = time.monotonic() - started
        moved = url if (url != requested and all_permanent) else None
        if status == 304:
            return FetchResult(
                feed_id=state.id,
                requested_url=requested,
                final_url=url,
                status=304,
                headers=headers,
                etag=headers.get("etag") or state.etag,
                last_modified=headers.get("last-modified") or state.last_modified,
                permanent_redirect=moved,
                not_modified=True,
                elapsed=elapsed,
            )
        if 200 <= status < 300:
            return FetchResult(
                feed_id=state.id,
                requested_url=requested,
                final_url=url,
                status=status,
                body=body,
                headers=headers,
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                permanent_redirect=moved,
                elapsed=elapsed,
            )
        if status == 410:
            return failure("gone (HTTP 410)", status=status, gone=True, headers=headers)
        retry_after = None
        if status in RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(headers.get("retry-after"), now=_response_date(headers))
        phrase = f" {hop.reason_phrase}" if hop.reason_phrase else ""
        return failure(f"HTTP {status}{phrase}", status=status, retry_after=retry_after, headers=headers)


async def fetch_feeds(
    feeds: Sequence[tuple[FeedState, FetchSettings]],
    *,
    user_agent: str | None = None,
    on_result: Callable[[FetchResult], Awaitable[None] | None] | None = None,
) -> list[FetchResult]:
    """Fetch every feed concurrently under the caps; results come back in the order of ``feeds``.

    Each feed carries its own ``FetchSettings`` so per-feed overrides (read timeout, size cap) apply.
    The global caps (``concurrency``, ``per_host``) are one budget for the whole run: the strictest value
    among the given settings wins. ``on_result`` is called as soon as each feed is done (the pipeline
    stores that feed's batch in its own transaction); it may be a coroutine function (the pipeline
    awaits the parsing it hands to other cores), and an exception it raises cancels the run.
    """
    if not feeds:
        return []
    concurrency = max(1, min(s.concurrency for _, s in feeds))
    per_host = max(1, min(s.per_host for _, s in feeds))
    limits = _Limits(global_cap=asyncio.Semaphore(concurrency), per_host=per_host)
    results: list[FetchResult | None] = [None] * len(feeds)
    pool = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(limits=pool, follow_redirects=False) as client:

        async def run(index: int, state: FeedState, settings: FetchSettings) -> None:
            result = await fetch_one(client, state, settings, limits, user_agent=user_agent_for(settings, user_agent))
            results[index] = result
            if on_result is not None:
                pending = on_result(result)
                if pending is not None:
                    await pending

        try:
            async with asyncio.TaskGroup() as group:
                for index, (state, settings) in enumerate(feeds):
                    group.create_task(run(index, state, settings))
        except BaseExceptionGroup as failed:
            # Only ``on_result`` can raise here (fetch_one never does): give the caller its own error
            # (e.g. StorageError), not a group.
            raise failed.exceptions[0] from None

    return [r for r in results if r is not None]


def fetch_feeds_sync(
    feeds: Sequence[tuple[FeedState, FetchSettings]],
    *,
    user_agent: str | None = None,
    on_result: Callable[[FetchResult], Awaitable[None] | None] | None = None,
) -> list[FetchResult]:
    """``fetch_feeds`` for synchronous callers (the pipeline, the CLI): runs its own event loop."""
    return asyncio.run(fetch_feeds(feeds, user_agent=user_agent, on_result=on_result))


# --------------------------------------------------------------------------------------------------
# One page, now (feed discovery): a plain GET that follows redirects


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    headers: dict[str, str]
    body: bytes


def get_page(url: str, settings: FetchSettings) -> Page:
    """GET ``url`` (redirects followed, body capped at ``settings.max_bytes``).

    Raises ``FetchError`` naming the URL with the reason a user understands (network, status, size)."""
    reason = invalid_url_reason(url)
    if reason:
        raise FetchError(url, reason)
    headers = {"User-Agent": user_agent_for(settings), "Accept": f"text/html;q=0.9, {ACCEPT}"}
    try:
        with (
            httpx.Client(
                follow_redirects=True, max_redirects=settings.max_redirects, timeout=_timeout(settings)
            ) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code >= 400:
                status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                raise FetchError(url, status, status=response.status_code)
            declared = response.headers.get("content-length", "")
            too_large = FetchError(url, f"larger than {format_size(settings.max_bytes)}")
            if declared.isdigit() and int(declared) > settings.max_bytes:
                raise too_large
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes(CHUNK_SIZE):
                size += len(chunk)
                if size > settings.max_bytes:
                    raise too_large
                chunks.append(chunk)
            return Page(str(response.url), dict(response.headers), b"".join(chunks))
    except httpx.HTTPError as exc:
        raise FetchError(url, describe_httpx_error(exc, settings, url)) from exc
