"""The order of calls, and nothing else: deciders live in ``veille.core``, I/O in ``veille.adapters``.

A failing feed is a result, not an exception: every feed ends as one ``FeedOutcome``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from veille.adapters import langid
from veille.adapters.html_source import parse_html_source
from veille.adapters.parse import parse_feed
from veille.adapters.workers import CorePool
from veille.app import App
from veille.core import i18n, schedule
from veille.core.normalize import normalize_item
from veille.errors import ParseError
from veille.models import FeedConfig, FeedState, FetchResult, FetchSettings, HtmlSelectors, NewItem, ParsedFeed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedOutcome:
    """What happened to one feed in one run."""

    url: str
    name: str | None
    status: str  # ok | not_modified | error | gone
    new_items: int = 0
    error: str | None = None
    moved_to: str | None = None
    warning: str | None = None
    stale: bool = False

    @property
    def failed(self) -> bool:
        return self.status in ("error", "gone")


@dataclass(frozen=True)
class FetchReport:
    outcomes: tuple[FeedOutcome, ...]

    @property
    def failed(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def new_items(self) -> int:
        return sum(o.new_items for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        """0 when every feed succeeded, 3 when some failed (the documented partial code)."""
        return 3 if self.failed else 0


def feed_settings(base: FetchSettings, feed: FeedConfig | None) -> FetchSettings:
    """The fetch settings of one feed: the global ones with the feed's overrides applied."""
    if feed is None:
        return base
    overrides = {
        name: getattr(feed, name)
        for name in ("min_interval_minutes", "read_timeout", "max_bytes")
        if getattr(feed, name) is not None
    }
    return dataclasses.replace(base, **overrides) if overrides else base


def fetch(
    app: App,
    *,
    only_due: bool = True,
    on_outcome: Callable[[FeedOutcome], None] | None = None,
) -> FetchReport:
    """Fetch the feeds of feeds.yaml and store what is new.

    1. make the feeds table match feeds.yaml (new feeds added, dropped ones marked removed);
    2. keep the feeds that are due (``core.schedule.is_due``: interval, backoff, Retry-After, gone);
    3. fetch them concurrently with conditional GET (``app.fetcher``: ``adapters.http``); as each result arrives:
       parse it (``adapters.parse``) and normalise each item (``core.normalize``) — in worker
       processes, one per core, when there are many feeds — decide when to fetch it next
       (``core.schedule``), and store the feed's batch in one transaction (``adapters.store``), here.
    """
    settings, now, feeds = app.settings, app.now, app.feeds
    feeds.sync_feeds(settings.feeds, now)
    configs = {feed.url: feed for feed in settings.feeds}
    states = feeds.feed_states()
    work: list[tuple[FeedState, FetchSettings]] = []
    for state in states:
        fetch_settings = feed_settings(settings.fetch, configs.get(state.config_url))
        if not only_due or schedule.is_due(state, fetch_settings, now):
            work.append((state, fetch_settings))
    # another machine sharing the database may be fetching some of them right now: fetch only those claimed
    claimed = {state.id for state in feeds.claim([state for state, _ in work])}
    work = [(state, fetch_settings) for state, fetch_settings in work if state.id in claimed]
    by_id = {state.id: (state, fetch_settings) for state, fetch_settings in work}
    outcomes: list[FeedOutcome] = []
    readers = CorePool(len(work), min_tasks=PARALLEL_MIN_FEEDS)

    async def store_result(result: FetchResult) -> None:
        state, fetch_settings = by_id[result.feed_id]
        config = configs.get(state.config_url)
        reading = await readers.run(
            read_result, result, config.lang if config else None, now, config.selectors if config else None
        )
        outcome = _store_result(app, state, fetch_settings, config, result, reading)
        log_outcome(outcome, settings.digest.language)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    with readers:
        app.fetcher(work, user_agent=settings.fetch.user_agent or None, on_result=store_result)
    return FetchReport(tuple(outcomes))


@dataclass(frozen=True)
class Reading:
    """What one fetched body holds: the feed (without its raw entries), its items, or why it failed."""

    parsed: ParsedFeed | None = None
    items: tuple[NewItem, ...] = ()
    error: str | None = None


def read_result(
    result: FetchResult, config_lang: str | None, now: datetime, selectors: HtmlSelectors | None = None
) -> Reading:
    """Parse one fetched body and normalise its items (``core.normalize``): the CPU part of a fetch, run
    in a worker process when there are many feeds. A feed is parsed by ``adapters.parse``; a page without
    a feed (``type: html``, its ``selectors`` given) by ``adapters.html_source``."""
    if result.error is not None or result.not_modified or result.body is None:
        return Reading()
    try:
        if selectors is not None:
            parsed = parse_html_source(result.body, result.final_url, result.headers, selectors, now)
        else:
            parsed = parse_feed(result.body, result.final_url, result.headers)
    except ParseError as exc:
        return Reading(error=exc.reason)
    feed_lang = config_lang or parsed.lang
    items = tuple(
        item
        for item in (
            normalize_item(entry, feed_url=result.final_url, feed_lang=feed_lang, now=now, classify=langid.classify)
            for entry in parsed.items
        )
        if item is not None
    )
    parsed = dataclasses.replace(parsed, items=())  # the raw entries stay in the worker
    if not items and parsed.warning:
        # a broken document from which nothing could be recovered is a failure, not an empty feed
        return Reading(error=f"no entries could be read ({parsed.warning})")
    if not items:
        parsed = dataclasses.replace(parsed, warning="the feed has no entries")
    return Reading(parsed, items)


#: With at least this many feeds to fetch, parsing runs in worker processes, one per core: feedparser
#: holds the GIL, and a process costs ~0.2 s to start (not worth it for a handful of feeds).
PARALLEL_MIN_FEEDS = 8


def _store_result(
    app: App,
    state: FeedState,
    fetch_settings: FetchSettings,
    config: FeedConfig | None,
    result: FetchResult,
    reading: Reading,
) -> FeedOutcome:
    now, feeds = app.now, app.feeds
    name = (config.name if config else None) or state.url
    error = result.error or reading.error
    parsed, items = reading.parsed, list(reading.items)
    failed_result = dataclasses.replace(result, error=error) if error and not result.error else result
    next_at = schedule.next_fetch_after(state, failed_result, fetch_settings, now)
    stale = False
    if error is None:
        # decided from what the store knew before this fetch; the store clears it when the fetch
        # turns out to bring new items (which ones are new is only known once they are stored): the
        # outcome reports the store's decision
        dates = [item.published_at for item in items] + feeds.recent_item_dates(state.id)
        stale = schedule.is_stale(state, dates, fetch_settings, now)
    batch = feeds.record_fetch(
        state, result, now=now, next_fetch_at=next_at, parsed=parsed, items=items, error=error, stale=stale
    )
    status = "gone" if result.gone else "error" if error else "not_modified" if result.not_modified else "ok"
    return FeedOutcome(
        url=state.url,
        name=name,
        status=status,
        new_items=batch.new_items,
        error=error,
        moved_to=result.permanent_redirect,
        warning=parsed.warning if parsed else None,
        stale=batch.stale,
    )


def log_outcome(outcome: FeedOutcome, language: str | None = None) -> None:
    """One line per feed, in the commands' language (``digest.language``; a feed's error stays as the
    adapters word it)."""
    if outcome.moved_to:
        log.warning(i18n.cli_text("fetch_moved", language, url=outcome.url, target=outcome.moved_to))
    if outcome.status == "gone":
        log.warning(i18n.cli_text("fetch_gone", language, url=outcome.url))
    elif outcome.status == "error":
        log.warning("%s%s%s", outcome.url, i18n.cli_text("colon", language), outcome.error)
    elif outcome.status == "not_modified":
        log.debug(i18n.cli_text("fetch_not_modified", language, url=outcome.url))
    else:
        new = i18n.cli(language).ngettext("{url}: {count} new item", "{url}: {count} new items", outcome.new_items)
        stale = i18n.cli_text("fetch_stale", language) if outcome.stale else ""
        log.info("%s%s", new.format(url=outcome.url, count=outcome.new_items), stale)
