"""Frozen value types shared by the core and the adapters.

Fetched data (``FetchResult``, ``ParsedFeed``, ``ParsedItem``) and stored data (``Item`` …) are different
types: the parser produces the first, ``core.normalize`` turns them into the second.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

# --------------------------------------------------------------------------------------------------
# Settings (built by ``veille.config.load``; every field has a default but ``feeds``)


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 16  # global cap on simultaneous requests
    per_host: int = 2  # cap per host
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024  # response-size cap
    max_redirects: int = 5
    min_interval_minutes: int = 60  # a feed fetched successfully is not due again before this
    backoff_base_minutes: int = 30  # first retry delay after a failure; doubles per failure
    backoff_max_hours: int = 24  # cap of the exponential backoff
    stale_days: int = 30  # never older than this; otherwise stale after 4x its usual cadence
    user_agent: str = ""  # default: "veille/<version> (+https://github.com/veille-watch/veille)"


#: The kinds of source in feeds.yaml: a feed (RSS, Atom, JSON Feed), or a web page read with CSS selectors.
SOURCE_TYPES = ("feed", "html")


@dataclass(frozen=True)
class HtmlSelectors:
    """How to read items from a page without a feed (``type: html``): CSS selectors, as FreshRSS's
    HTML+XPath feeds do. ``item`` selects each item in the page; the others are looked up inside it."""

    item: str
    title: str
    link: str | None = None  # default: the title's link, else the item's first a[href]
    date: str | None = None  # default: the item's first <time>
    summary: str | None = None  # default: no summary


@dataclass(frozen=True)
class FullTextSettings:
    """Fetching the article pages of excerpt-only feeds (feeds.yaml ``full_text:``; a feed's own
    ``full_text: true|false`` overrides ``enabled``)."""

    enabled: bool = False  # the default of feeds that do not say
    per_host: int = 1  # article pages fetched at once from one host
    delay_seconds: float = 1.0  # pause between two requests to one host (a longer robots.txt Crawl-delay wins)
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_bytes: int = 2 * 1024 * 1024  # an article page larger than this is not read
    max_age_days: int = 7  # older items (first seen or published) are not fetched: turning it on fetches no archive
    max_per_run: int = 300  # article pages fetched per run at most; the rest wait for the next run


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str | None = None
    tags: tuple[str, ...] = ()
    lang: str | None = None  # declared language (fr, en…), else detected per item
    # per-feed overrides of FetchSettings (None: use the global value)
    min_interval_minutes: int | None = None
    read_timeout: float | None = None
    max_bytes: int | None = None
    full_text: bool | None = None  # fetch each new item's article page (None: ``full_text.enabled``)
    line: int | None = None  # line in feeds.yaml, for error messages
    type: str = "feed"  # one of SOURCE_TYPES
    selectors: HtmlSelectors | None = None  # for type "html" only


#: How the model runs: PyTorch, or ONNX Runtime on a copy exported once from the local weights (int8: quantised).
ONNX_BACKENDS = ("onnx", "onnx-int8")
MODEL_BACKENDS = ("torch", *ONNX_BACKENDS)
# who an item is for (core.audiences); general last
AUDIENCES = ("corporate", "higher-ed", "school", "general")


@dataclass(frozen=True)
class ModelSettings:
    name: str = "all-MiniLM-L6-v2"  # a sentence-transformers name or a local path
    batch_size: int = 64
    device: str = "cpu"
    backend: str = "torch"  # torch | onnx | onnx-int8 (ONNX Runtime, exported once from the local weights)

    @property
    def key(self) -> str:
        """The embedding-cache key: the model, and int8 quantisation, which changes the vectors a little."""
        return f"{self.name}#onnx-int8" if self.backend == "onnx-int8" else self.name


@dataclass(frozen=True)
class DigestSettings:
    language: str = "fr"  # fr | en
    weekday: str = "monday"  # day the digest is built and sent
    hour: int = 7
    title: str = ""  # default: "Veille digital learning" / "Digital learning watch"
    max_per_format: int = 5
    max_trends: int = 5
    archive_dir: Path | None = None  # default: <data_dir>/digests


@dataclass(frozen=True)
class MailList:
    """A mail list of feeds.yaml ``mail.lists``: its own digest, of its audience's and general stories, in
    its language (``None``: ``digest.language``)."""

    name: str
    audience: str  # corporate | higher-ed | school | general
    recipients: tuple[str, ...]
    language: str | None = None


@dataclass(frozen=True)
class MailSettings:
    host: str | None = None  # None: mail disabled
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str | None = None
    password_env: str | None = None  # name of the environment variable holding the password
    sender: str | None = None
    recipients: tuple[str, ...] = ()  # the implicit list: everyone, every story, digest.language
    timeout: float = 30.0
    lists: tuple[MailList, ...] = ()
    # read by config.load from the variable named by password_env; never written in feeds.yaml
    password: str | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class StorageSettings:
    """Where the database is: ``url`` None is the SQLite file under ``storage.path``; a ``postgresql://``
    URL (no password in it) is a PostgreSQL database, its password read from ``password_env``."""

    url: str | None = None
    password_env: str | None = None  # name of the environment variable holding the password
    timeout: float = 30.0  # seconds to wait for a busy database (SQLite write lock, PostgreSQL connect/lock)
    # read by config.load from the variable named by password_env; never written in feeds.yaml
    password: str | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class SiteSettings:
    out_dir: Path | None = None  # default: <data_dir>/site
    title: str = ""


@dataclass(frozen=True)
class ScheduleSettings:
    run_time: str = "06:00"  # daily run, HH:MM
    timezone: str = "Europe/Paris"
    misfire_grace_minutes: int = 60


@dataclass(frozen=True)
class Settings:
    config_path: Path
    feeds: tuple[FeedConfig, ...]
    data_dir: Path  # default: <config dir>/.veille
    database: Path  # default: <data_dir>/veille.db
    fetch: FetchSettings = field(default_factory=FetchSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    formats_file: Path | None = None  # a user taxonomy overriding the shipped one
    templates_dir: Path | None = None  # user templates overriding single files (default: <config dir>/templates)
    storage: StorageSettings = field(default_factory=StorageSettings)
    watches: tuple[WatchConfig, ...] = ()  # named searches (radar mode), in feeds.yaml's order
    full_text: FullTextSettings = field(default_factory=FullTextSettings)


@dataclass(frozen=True)
class WatchConfig:
    """A watch of feeds.yaml: a name and a search query (``core.query``), checked when the file loads."""

    name: str
    query: str
    slug: str  # its site page: watches/<slug>.html


# --------------------------------------------------------------------------------------------------
# Fetching and parsing


@dataclass(frozen=True)
class FeedState:
    """What the store knows about a feed, as the fetch decider needs it."""

    id: int
    url: str  # current URL (a 301/308 updates it)
    config_url: str  # URL as written in feeds.yaml
    status: str = "active"  # active | gone
    etag: str | None = None
    last_modified: str | None = None
    last_fetch_at: datetime | None = None
    last_success_at: datetime | None = None
    last_new_item_at: datetime | None = None
    next_fetch_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """Bytes and headers of one fetch, or why there are none. Never raises for a feed's own failure."""

    feed_id: int
    requested_url: str
    final_url: str
    status: int | None = None  # HTTP status of the last response; None when no response
    body: bytes | None = None  # None for 304 and errors
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None  # new URL after 301/308 only
    not_modified: bool = False
    error: str | None = None  # one clear reason
    gone: bool = False  # 410
    retry_after: float | None = None  # seconds, from Retry-After on 429/503
    elapsed: float = 0.0


@dataclass(frozen=True)
class ParsedItem:
    """One entry as the feed gave it (HTML not yet sanitised, dates not yet clamped)."""

    entry_id: str | None  # guid / id
    link: str | None
    title: str | None
    summary_html: str | None
    content_html: str | None
    author: str | None
    categories: tuple[str, ...] = ()
    published: datetime | None = None
    lang: str | None = None
    base: str | None = None  # xml:base of the entry's content, for its relative links


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    link: str | None
    lang: str | None
    items: tuple[ParsedItem, ...]
    warning: str | None = None  # feedparser bozo exception kept as a warning
    version: str | None = None


@dataclass(frozen=True)
class NewItem:
    """A normalised item, ready to store."""

    entry_key: str  # stable id within its feed: guid, else link + title, else hash of title+date+text
    canonical_url: str | None
    url: str | None
    title: str
    summary: str  # clean text
    html: str  # sanitised HTML (content or summary)
    author: str | None
    categories: tuple[str, ...]
    published_at: datetime
    lang: str | None
    content_hash: str  # over stable fields (title, summary, canonical url)
