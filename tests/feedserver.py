"""A real HTTP server on loopback that serves feed files the way real publishers do, misbehaviour included.

Used by the fetch tests, the fetch benchmark and the demo runner::

    from tests.feedserver import FeedServer

    with FeedServer({"real": need_shared("feeds", "real")}) as server:
        url = server.url("/real/techcrunch.xml")
        server.register("/mine.xml", b"<rss>...</rss>")  # arbitrary bytes at a path
        ...
        assert server.hits("/real/techcrunch.xml") == 1

Every file under a root is served at ``/<root name>/<file name>`` with a real ``ETag`` (hash of the bytes)
and ``Last-Modified``, and answers ``304 Not Modified`` (no body) to a matching ``If-None-Match`` or a
recent enough ``If-Modified-Since``. Files ending in ``.gz`` are sent as they are with
``Content-Encoding: gzip``. The query string is ignored when looking a file up, so one file can stand in
for many feeds (``/real/x.xml?copy=7``).

Special routes (a trailing ``/<path>`` on a redirect route chooses its target, default ``DEFAULT_FEED``):

=========================  =====================================================================
``/moved-permanently``     301 to the target            ``/moved-308``   308 to the target
``/found``                 302 to the target            ``/temp-307``    307 to the target
``/see-other``             303 to the target            ``/loop-a``      301 ↔ ``/loop-b``
``/chain/<n>``             n redirects (302) before the default feed
``/gone``                  410                          ``/missing``     404
``/error``                 500                          ``/ratelimit``   429, ``Retry-After: 120``
``/unavailable``           503, ``Retry-After`` as an HTTP-date ``unavailable_seconds`` ahead
``/slow``                  sleeps ``slow_seconds`` before answering (longer than a test's timeout)
``/delay/<ms>/<path>``     sleeps ``ms`` then serves ``<path>`` (for concurrency measurements)
``/truncated``             ``Content-Length`` larger than the body, then the connection is closed
``/huge``                  ``huge_bytes`` of valid RSS, streamed without ``Content-Length``
``/huge-declared``         the same with a ``Content-Length`` header
``/gzip/<path>``           ``<path>`` gzip-encoded     ``/deflate/<path>``  zlib-deflate-encoded
``/echo-headers``          200 with the request headers as JSON (what the client sent)
``/_stats``                total requests and body bytes as JSON (not counted; for another process)
=========================  =====================================================================

The server counts, per path (without query): requests, status codes and body bytes actually written,
and measures requests in flight (overall and per ``Host``), so tests can assert "answered 304 with no
body" and "never more than N at once".

Run ``python tests/feedserver.py ROOT...`` to serve folders until interrupted (prints the base URL).
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import json
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

DEFAULT_FEED = "/default.xml"
DEFAULT_FEED_BODY = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Default feed</title><link>https://example.org/</link>
<description>The feed redirects end at</description>
<item><title>Microlearning in onboarding</title><link>https://example.org/a</link>
<guid>https://example.org/a</guid><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>
</channel></rss>
"""

CONTENT_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/feed+json",
    ".html": "text/html; charset=utf-8",
    ".opml": "text/x-opml",
}

REDIRECTS = {
    "moved-permanently": 301,
    "moved-308": 308,
    "found": 302,
    "see-other": 303,
    "temp-307": 307,
}


def content_type_for(name: str) -> str:
    """The Content-Type a typical publisher sends for this file name."""
    name = name.removesuffix(".gz")
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


@dataclass(frozen=True)
class Resource:
    """Bytes served at one path, with the validators a real server would give them."""

    body: bytes
    content_type: str = "application/xml"
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int = 200
    etag: str = ""
    last_modified: str = ""

    @staticmethod
    def of(
        body: bytes,
        content_type: str,
        *,
        modified: float | None = None,
        headers: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> Resource:
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        last_modified = email.utils.formatdate(modified if modified is not None else time.time(), usegmt=True)
        return Resource(body, content_type, dict(headers or {}), status, etag, last_modified)


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def _not_modified_since(header: str, last_modified: str) -> bool:
    try:
        since = email.utils.parsedate_to_datetime(header)
        modified = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError, IndexError):
        return False
    return modified <= since


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real servers
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Silent: tests read counters, not logs."""

    # ---------------------------------------------------------------------------------- plumbing
    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        owner = self.server.owner
        path = unquote(urlsplit(self.path).path)
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if path == "/_stats":  # not counted: lets another process read the counters
            stats = {"requests": owner.total_requests, "body_bytes": owner.total_body_bytes}
            self._send(200, json.dumps(stats).encode(), headers={"Content-Type": "application/json"}, path=path)
            return
        owner._enter(path, host, dict(self.headers.items()))
        try:
            self._route(path, head=head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            owner._leave(host)

    def _send(
        self,
        status: int,
        body: bytes = b"",
        *,
        headers: Mapping[str, str] | None = None,
        head: bool = False,
        path: str,
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.server.owner._status(path, status)
        if body and not head and status != 304:
            # counted before it is written: the client may have read it all before this thread goes on
            if path != "/_stats":
                self.server.owner._sent(path, len(body))
            self.wfile.write(body)

    # ---------------------------------------------------------------------------------- routes
    def _route(self, path: str, *, head: bool) -> None:
        owner = self.server.owner
        first, _, rest = path.lstrip("/").partition("/")
        if first in REDIRECTS:
            target = "/" + rest if rest else DEFAULT_FEED
            self._send(REDIRECTS[first], headers={"Location": target}, path=path)
        elif path == "/loop-a":
            self._send(301, headers={"Location": "/loop-b"}, path=path)
        elif path == "/loop-b":
            self._send(301, headers={"Location": owner.url("/loop-a")}, path=path)
        elif first == "chain" and rest.isdigit():
            n = int(rest)
            self._send(302, headers={"Location": f"/chain/{n - 1}" if n > 0 else DEFAULT_FEED}, path=path)
        elif path == "/gone":
            self._send(410, b"gone", headers={"Content-Type": "text/plain"}, path=path)
        elif path == "/missing":
            self._send(404, b"not found", headers={"Content-Type": "text/plain"}, path=path)
        elif path == "/error":
            self._send(500, b"boom", headers={"Content-Type": "text/plain"}, path=path)
        elif path == "/ratelimit":
            self._send(429, b"slow down", headers={"Retry-After": "120"}, path=path)
        elif path == "/unavailable":
            when = email.utils.formatdate(time.time() + owner.unavailable_seconds, usegmt=True)
            self._send(503, b"later", headers={"Retry-After": when}, path=path)
        elif path == "/slow":
            owner._stopping.wait(owner.slow_seconds)
            self._send(200, DEFAULT_FEED_BODY, headers={"Content-Type": "application/rss+xml"}, path=path)
        elif first == "delay" and "/" in rest:
            millis, _, target = rest.partition("/")
            owner._stopping.wait(int(millis) / 1000)
            self._route("/" + target, head=head)
        elif path == "/truncated":
            self._truncated(path)
        elif path in {"/huge", "/huge-declared"}:
            self._huge(path, declared=path == "/huge-declared", head=head)
        elif first in {"gzip", "deflate"}:
            self._encoded("/" + rest, first, path=path, head=head)
        elif path == "/echo-headers":
            body = json.dumps(owner.last_headers(path)).encode()
            self._send(200, body, headers={"Content-Type": "application/json"}, path=path, head=head)
        else:
            self._static(path, head=head)

    def _static(self, path: str, *, head: bool) -> None:
        resource = self.server.owner.resource(path)
        if resource is None:
            self._send(404, b"not found", headers={"Content-Type": "text/plain"}, path=path)
            return
        validators = {"ETag": resource.etag, "Last-Modified": resource.last_modified}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if resource.status == 200 and (
            (inm is not None and _etag_matches(inm, resource.etag))
            or (inm is None and ims is not None and _not_modified_since(ims, resource.last_modified))
        ):
            self._send(304, headers=validators, path=path)
            return
        headers = {"Content-Type": resource.content_type, **validators, **resource.headers}
        self._send(resource.status, resource.body, headers=headers, path=path, head=head)

    def _encoded(self, inner: str, encoding: str, *, path: str, head: bool) -> None:
        resource = self.server.owner.resource(inner)
        if resource is None:
            self._send(404, b"not found", path=path)
            return
        body = gzip.compress(resource.body) if encoding == "gzip" else zlib.compress(resource.body)
        headers = {"Content-Type": resource.content_type, "Content-Encoding": encoding, "ETag": resource.etag}
        self._send(200, body, headers=headers, path=path, head=head)

    def _truncated(self, path: str) -> None:
        body = DEFAULT_FEED_BODY[:100]
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(DEFAULT_FEED_BODY) + 10_000))
        self.send_header("Connection", "close")
        self.end_headers()
        self.server.owner._status(path, 200)
        self.server.owner._sent(path, len(body))
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def _huge(self, path: str, *, declared: bool, head: bool) -> None:
        owner = self.server.owner
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        if declared:
            self.send_header("Content-Length", str(owner.huge_bytes))
        self.send_header("Connection", "close")
        self.end_headers()
        owner._status(path, 200)
        self.close_connection = True
        if head:
            return
        for chunk in _huge_chunks(owner.huge_bytes):
            if owner._stopping.is_set():
                return
            self.wfile.write(chunk)
            owner._sent(path, len(chunk))


def _huge_chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of an RSS feed with ever more items, produced lazily (never held in memory)."""
    head = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Huge</title>'
    item = b"<item><title>Again</title><description>" + b"x" * 900 + b"</description></item>\n"
    yield head
    sent = len(head)
    block = item * (size // len(item) + 1)
    while sent < total:
        chunk = block[: min(size, total - sent)]
        yield chunk
        sent += len(chunk)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    owner: FeedServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up early (a redirect or an error it does not read) is normal: stay silent,
        as real servers do, instead of printing a traceback into the output the tests read."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FeedServer:
    """A threaded HTTP/1.1 server on ``host:0``; a context manager. See the module docstring for routes."""

    def __init__(
        self,
        roots: Mapping[str, Path] | None = None,
        *,
        host: str = "127.0.0.1",
        slow_seconds: float = 5.0,
        huge_bytes: int = 12 * 1024 * 1024,
        unavailable_seconds: int = 300,
    ) -> None:
        self.host = host
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self.unavailable_seconds = unavailable_seconds
        self._resources: dict[str, Resource] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.reset_counts()
        self.register(DEFAULT_FEED, DEFAULT_FEED_BODY, content_type="application/rss+xml")
        for name, root in (roots or {}).items():
            self.add_root(name, root)

    # ---------------------------------------------------------------------------------- content
    def add_root(self, name: str, root: Path) -> list[str]:
        """Serve every file of ``root`` at ``/<name>/<file>``; returns the paths, sorted."""
        paths = []
        for file in sorted(root.iterdir()):
            if not file.is_file() or file.name.endswith(".md"):
                continue
            path = f"/{name}/{file.name}"
            headers = {"Content-Encoding": "gzip"} if file.name.endswith(".gz") else {}
            self._resources[path] = Resource.of(
                file.read_bytes(), content_type_for(file.name), modified=file.stat().st_mtime, headers=headers
            )
            paths.append(path)
        return paths

    def register(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/xml",
        headers: Mapping[str, str] | None = None,
        status: int = 200,
        modified: float | None = None,
    ) -> str:
        """Serve ``body`` at ``path`` (replacing what was there, new validators); returns its URL."""
        self._resources[path] = Resource.of(body, content_type, modified=modified, headers=headers, status=status)
        return self.url(path) if self._server else path

    def resource(self, path: str) -> Resource | None:
        return self._resources.get(path)

    def paths(self, prefix: str = "/") -> list[str]:
        """Served file paths under ``prefix`` (e.g. ``"/real/"``), sorted."""
        return sorted(p for p in self._resources if p.startswith(prefix))

    # ---------------------------------------------------------------------------------- lifecycle
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FeedServer is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str, *, host: str | None = None) -> str:
        """Absolute URL of ``path``; ``host`` swaps the name (``localhost``) to test per-host caps."""
        return f"http://{host or self.host}:{self.port}{path}"

    def start(self) -> FeedServer:
        self._stopping.clear()
        self._server = _Server((self.host, 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="feedserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------------------------- counters
    def reset_counts(self) -> None:
        with self._lock:
            self._hits: Counter[str] = Counter()
            self._bytes: Counter[str] = Counter()
            self._statuses: defaultdict[str, list[int]] = defaultdict(list)
            self._headers: dict[str, dict[str, str]] = {}
            self._in_flight = 0
            self._in_flight_host: Counter[str] = Counter()
            self.max_in_flight = 0
            self.max_in_flight_by_host: Counter[str] = Counter()

    def _enter(self, path: str, host: str, headers: dict[str, str]) -> None:
        with self._lock:
            self._hits[path] += 1
            self._headers[path] = headers
            self._in_flight += 1
            self._in_flight_host[host] += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self.max_in_flight_by_host[host] = max(self.max_in_flight_by_host[host], self._in_flight_host[host])

    def _leave(self, host: str) -> None:
        with self._lock:
            self._in_flight -= 1
            self._in_flight_host[host] -= 1

    def _status(self, path: str, status: int) -> None:
        with self._lock:
            self._statuses[path].append(status)

    def _sent(self, path: str, size: int) -> None:
        with self._lock:
            self._bytes[path] += size

    def hits(self, path: str) -> int:
        """Requests received at ``path`` (query ignored)."""
        with self._lock:
            return self._hits[path]

    def body_bytes(self, path: str) -> int:
        """Body bytes written for ``path`` (as encoded on the wire)."""
        with self._lock:
            return self._bytes[path]

    def statuses(self, path: str) -> list[int]:
        with self._lock:
            return list(self._statuses[path])

    def last_headers(self, path: str) -> dict[str, str]:
        """Headers of the last request to ``path``, as sent by the client."""
        with self._lock:
            return dict(self._headers.get(path, {}))

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(self._hits.values())

    @property
    def total_body_bytes(self) -> int:
        with self._lock:
            return sum(self._bytes.values())


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer with only its special routes (register bytes or add roots as needed)."""
    with FeedServer() as server:
        yield server


def main(argv: list[str] | None = None) -> None:
    """Serve the given folders on loopback until interrupted (used by the benchmark and by hand)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("roots", nargs="*", type=Path, help="folders served at /<folder name>/<file>")
    args = parser.parse_args(argv)
    with FeedServer({root.name: root for root in args.roots}) as server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
