"""``veille demo``: the whole product on the built-in corpus, on loopback, one simulated day at a time.

    run_demo(out_dir, days=None, language="fr")
        1. a fresh folder: DIR/feeds.yaml lists the corpus's feeds on the loopback feed server, mail goes to
           the loopback SMTP server (``security: none``, two recipients), digest on Monday 06:00 UTC
        2. feed server: http.server on 127.0.0.1:<free port> serving each source as it stood at the
           simulated day's 06:00 UTC (``demo_corpus.render_feed``), with real ETag / Last-Modified / 304
        3. SMTP server: aiosmtpd on 127.0.0.1:<free port>; every message lands in DIR/outbox/ as .eml
        4. for each day from the corpus's first day to the Monday after its last week:
               run_daily(make_app(load(DIR/feeds.yaml), now=day 06:00 UTC))
           so fetch with conditional GET, process, digest and site run for real; one line per week
        5. where the site, the digest archive and the outbox are

Nothing but loopback is contacted. Afterwards DIR holds its own feeds.yaml, database, digests, site and
outbox, so the commands that read what is stored work on it with ``--config DIR/feeds.yaml`` (``stats``,
``themes``, ``digest`` without ``--send``, ``site``, ``process``, ``eval``, ``feeds list``, ``opml export``).
Fetching needs the demo's loopback feed and mail servers, which stop with the demo: ``run``, ``fetch`` and
``feeds check`` on DIR find every feed unreachable and record those failures.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import shutil
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veille.demo.corpus import Corpus, feeds_yaml, iso_week, load_corpus, render_feed
from veille.errors import ConfigError

if TYPE_CHECKING:
    from veille.adapters.embed import Embedder
    from veille.jobs.daily import RunReport

MARKER = "# Written by `veille demo`: running the demo again into this folder replaces it."
RUN_AT = time(6, 0)  # the simulated daily run, UTC
SENDER = "veille-demo@example.org"
RECIPIENTS = ("responsable-formation@example.org", "dlm-team@example.org")
EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 3
_CREATED = ("feeds.yaml", ".veille", "outbox")  # what the demo writes, and removes before a new run


# --------------------------------------------------------------------------------------- the clock


class SimulatedClock:
    """The simulated moment, shared by the runner (which advances it) and the feed server (which reads it)."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    @property
    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, now: datetime) -> None:
        with self._lock:
            self._now = now


# ----------------------------------------------------------------------------------- the feed server


@dataclass(frozen=True)
class _Document:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime


class DemoFeedServer:
    """Serves every corpus source at its path, as it stood at the clock's moment; a context manager."""

    def __init__(self, corpus: Corpus, clock: SimulatedClock, host: str = "127.0.0.1") -> None:
        self.corpus = corpus
        self.clock = clock
        self.host = host
        self._routes = {source.url: source.key for source in corpus.sources}
        self._cache: dict[tuple[str, datetime], _Document] = {}
        self._cache_lock = threading.Lock()
        self.requests = 0
        self.not_modified = 0
        self.hits: Counter[str] = Counter()  # requests per path
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the demo feed server is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def count(self, path: str, *, not_modified: bool = False) -> None:
        """Count a request at ``path`` (on arrival), or one answered 304 (``not_modified``)."""
        with self._cache_lock:
            if not_modified:
                self.not_modified += 1
                return
            self.requests += 1
            self.hits[path] += 1

    def document(self, path: str) -> _Document | None:
        """The document at ``path`` now, rendered once per (source, moment)."""
        key = self._routes.get(path)
        if key is None:
            return None
        as_of = self.clock.now
        with self._cache_lock:
            cached = self._cache.get((key, as_of))
        if cached is not None:
            return cached
        body, content_type = render_feed(self.corpus, key, as_of)
        newest = max(
            (item.published for item in self.corpus.items if item.source == key and item.published <= as_of),
            default=datetime(2026, 1, 1, tzinfo=UTC),
        )
        document = _Document(
            body=body,
            content_type=content_type,
            etag='"' + hashlib.sha256(body).hexdigest()[:24] + '"',
            last_modified=newest.replace(microsecond=0),
        )
        with self._cache_lock:
            self._cache[(key, as_of)] = document
        return document

    def start(self) -> DemoFeedServer:
        server = ThreadingHTTPServer((self.host, 0), _FeedHandler)
        server.daemon_threads = True
        server.owner = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="demo-feeds", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> DemoFeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _FeedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "veille-demo"

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        owner: DemoFeedServer = self.server.owner  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        owner.count(path)
        document = owner.document(path)
        if document is None:
            self._send(404, b"not found\n", {"Content-Type": "text/plain; charset=utf-8"}, head=head)
            return
        validators = {"ETag": document.etag, "Last-Modified": format_datetime(document.last_modified, usegmt=True)}
        if _not_modified(self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), document):
            owner.count(path, not_modified=True)
            self._send(304, b"", validators, head=True)
            return
        self._send(200, document.body, {"Content-Type": document.content_type, **validators}, head=head)

    def _send(self, status: int, body: bytes, headers: dict[str, str], *, head: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the demo prints one line per week, not one per request."""


def _not_modified(if_none_match: str | None, if_modified_since: str | None, document: _Document) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only counts when there is no If-None-Match."""
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or document.etag in tags
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return document.last_modified <= since


# ----------------------------------------------------------------------------------- the SMTP server


class Outbox:
    """An aiosmtpd handler writing each accepted message into a folder, one .eml per recipient.

    Files are named ``<week>-<recipient>.eml`` after the digest's Message-ID; a second copy of the same
    week to the same recipient gets a ``-2`` suffix, so a double send is visible in the folder.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.received = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        msg = email.message_from_bytes(content, policy=email.policy.default)
        match = re.search(r"digest-(\d{4}-W\d{2})", str(msg.get("Message-ID", "")))
        stem = match.group(1) if match else "message"
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            for recipient in envelope.rcpt_tos:
                safe = re.sub(r"[^A-Za-z0-9@._-]", "_", recipient)
                path = self.folder / f"{stem}-{safe}.eml"
                n = 2
                while path.exists():
                    path = self.folder / f"{stem}-{safe}-{n}.eml"
                    n += 1
                path.write_bytes(content)
                self.received += 1
        return "250 Message accepted for delivery"


def _free_port(host: str) -> int:
    """A port free right now (aiosmtpd's controller needs a port it can probe before serving)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------------------ the run


@dataclass
class DemoResult:
    out_dir: Path
    config_path: Path
    days: int = 0
    site_index: Path | None = None
    digests_dir: Path | None = None
    outbox_dir: Path | None = None
    messages: int = 0
    feed_requests: int = 0
    not_modified: int = 0
    problems: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK


def simulated_days(corpus: Corpus, days: int | None = None) -> list[date]:
    """From the corpus's first day to the Monday after its last week (that Monday's run sends the last digest).

    ``days`` keeps only the last ``days`` of them, for a quicker variant."""
    all_days = corpus.days()
    if not all_days:
        return []
    last = all_days[-1]
    monday_after = last + timedelta(days=7 - last.weekday())
    span = [all_days[0] + timedelta(days=n) for n in range((monday_after - all_days[0]).days + 1)]
    return span[-days:] if days else span


def demo_config(corpus: Corpus, feeds_base_url: str, smtp_port: int, language: str) -> str:
    """The demo's feeds.yaml: the corpus's feeds, loopback mail, a Monday 06:00 UTC digest."""
    recipients = ", ".join(RECIPIENTS)
    return "\n".join(
        [
            MARKER,
            feeds_yaml(corpus, feeds_base_url).rstrip("\n"),
            "",
            "digest:",
            f"  language: {language}",
            "  weekday: monday",
            "  hour: 6                   # UTC, like the demo's daily run",
            "",
            "mail:                       # the demo's loopback SMTP server: messages land in outbox/",
            "  host: 127.0.0.1",
            f"  port: {smtp_port}",
            "  security: none",
            f"  sender: {SENDER}",
            f"  recipients: [{recipients}]",
            "",
            "site: {}",
            "",
            "schedule:",
            '  run_time: "06:00"',
            "  timezone: UTC",
            "",
        ]
    )


def prepare_folder(out_dir: Path) -> None:
    """Make ``out_dir`` ready: created when missing, a previous demo's output removed, anything else refused."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError("exists and is not a folder: choose another --out", path=str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    config = out_dir / "feeds.yaml"
    if config.exists():
        try:
            first_line = config.read_text(encoding="utf-8").split("\n", 1)[0]
        except (OSError, UnicodeDecodeError):
            first_line = ""
        if first_line != MARKER:
            raise ConfigError(
                "already holds a feeds.yaml that the demo did not write: choose another --out", path=str(out_dir)
            )
        for name in _CREATED:
            target = out_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)


def run_demo(
    out_dir: Path,
    *,
    days: int | None = None,
    language: str = "fr",
    echo: Callable[[str], None] = print,
    embedder: Embedder | None = None,
) -> DemoResult:
    """Run the demo into ``out_dir`` (see the module docstring); ``embedder`` lets tests share a loaded model."""
    from aiosmtpd.controller import Controller

    from veille.app import make_app
    from veille.config import load
    from veille.jobs.daily import run_daily

    corpus = load_corpus()
    schedule = simulated_days(corpus, days)
    prepare_folder(out_dir)
    config_path = out_dir / "feeds.yaml"
    result = DemoResult(out_dir=out_dir, config_path=config_path, outbox_dir=out_dir / "outbox")
    clock = SimulatedClock(_at_run_time(schedule[0]))
    outbox = Outbox(out_dir / "outbox")
    smtp_port = _free_port("127.0.0.1")
    controller = Controller(outbox, hostname="127.0.0.1", port=smtp_port)
    echo(
        f"veille demo: {len(corpus.items)} items from {len(corpus.sources)} sources, "
        f"{_count(len(schedule), 'simulated day')} {schedule[0]} … {schedule[-1]}, into {out_dir}"
    )
    with DemoFeedServer(corpus, clock) as feeds:
        controller.start()
        try:
            config_path.write_text(demo_config(corpus, feeds.base_url, smtp_port, language), encoding="utf-8")
            # one App for every simulated day, as ``veille schedule`` keeps one: the model loads once and the
            # format tagger is fitted once
            app = make_app(
                load(config_path),
                clock=lambda: clock.now,
                embedder_factory=(lambda _settings: embedder) if embedder is not None else None,
            )
            week_reports: list[RunReport] = []
            for n, day in enumerate(schedule):
                clock.set(_at_run_time(day))
                app.next_run(load(config_path))
                try:
                    report = run_daily(app)
                finally:
                    app.close()
                week_reports.append(report)
                result.digests_dir = app.settings.digest.archive_dir
                result.site_index = report.site_index or result.site_index
                for problem in report.errors + report.partial:
                    if problem not in result.problems:
                        result.problems.append(problem)
                result.exit_code = _worse(result.exit_code, report.exit_code)
                last_of_week = n == len(schedule) - 1 or iso_week(schedule[n + 1]) != iso_week(day)
                if last_of_week:
                    echo(_week_line(iso_week(day), week_reports))
                    week_reports = []
        finally:
            controller.stop()
    result.days = len(schedule)
    result.messages = outbox.received
    result.feed_requests, result.not_modified = feeds.requests, feeds.not_modified
    for line in _closing_lines(result):
        echo(line)
    return result


def _at_run_time(day: date) -> datetime:
    return datetime.combine(day, RUN_AT, tzinfo=UTC)


def _worse(a: int, b: int) -> int:
    rank = {EXIT_OK: 0, EXIT_PARTIAL: 1, EXIT_FAILED: 2}
    return a if rank.get(a, 2) >= rank.get(b, 2) else b


def _noun(count: int, noun: str) -> str:
    """The demo speaks English: "1 day", "2 days" (never "day(s)")."""
    return noun if count == 1 else f"{noun}s"


def _count(count: int, noun: str) -> str:
    return f"{count} {_noun(count, noun)}"


def _week_line(week: str, reports: list[RunReport]) -> str:
    new = sum(r.new_items for r in reports)
    embedded = sum(r.embedded for r in reports)
    failed = sum(r.feeds_failed for r in reports)
    parts = [f"{week}  {_count(len(reports), 'day')}", f"{new:3d} {_noun(new, 'new item')}", f"{embedded:3d} embedded"]
    if failed:
        parts.append(_count(failed, "feed failure"))
    for report in reports:
        if report.digest_week:
            state = "queued" if report.digest_queued else f"sent to {report.digest_sent}"
            parts.append(f"digest {report.digest_week} {state}")
    problems = sorted({p for r in reports for p in r.errors})
    if problems:
        parts.append("FAILED: " + "; ".join(problems))
    return "  ".join(parts)


def _closing_lines(result: DemoResult) -> list[str]:
    lines = [""]
    if result.site_index is not None:
        lines.append(f"site:     {result.site_index}")
    else:
        lines.append("site:     not built (see the problems below)")
    if result.digests_dir is not None:
        folder = result.digests_dir
        weeks = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        lines.append(f"digests:  {result.digests_dir} ({_count(len(weeks), 'week')})")
    messages = _count(result.messages, "message")
    lines.append(f"outbox:   {result.outbox_dir} ({messages} to {len(RECIPIENTS)} recipients)")
    requests = _count(result.feed_requests, "request")
    lines.append(f"feeds:    {requests}, {result.not_modified} answered 304 Not Modified")
    lines.append(f"next:     veille --config {result.config_path} stats")
    if result.problems:
        lines.append("problems: " + "; ".join(result.problems))
    return lines
