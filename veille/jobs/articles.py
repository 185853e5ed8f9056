"""Full text of excerpt-only feeds: fetch the article page of each new item of a ``full_text`` feed and keep
its main text for the analysis (``veille fetch`` and ``veille run`` call it once the feeds are stored).

    fetch_articles(app)
        1. the feeds that want full text (``core.fulltext.wants_full_text``: the feed's ``full_text``, else
           ``full_text.enabled``), and their items first seen in the last ``full_text.max_age_days`` whose
           page is still to get (``adapters.article_store``), newest first, at most ``full_text.max_per_run``
        2. a page already fetched is linked from the cache, never fetched again; a page read before whose
           item changed at the source is revalidated with a conditional GET (``core.fulltext.plan_fetches``)
        3. the others are fetched politely (``app.article_fetcher``: ``adapters.articles``, robots.txt,
           per-host cap and pause), their main text extracted (``app.extractor``: ``adapters.extract``,
           trafilatura) and judged (``core.fulltext.judge_text``), and each page stored with its items in
           one transaction as it arrives

A page that fails is stored with one reason (HTTP 404, robots.txt disallows this page, timed out, page
larger than 2 MiB, no main text found…): its items keep their excerpt and the feed's health is untouched.
A page that failed for a passing reason (HTTP 5xx or 429, a timeout) is tried again by a later run, 1 h,
6 h then 24 h after its failures (``core.fulltext.next_attempt``), then given up; any other page that
failed is not asked for again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from veille.adapters.articles import ArticlePage, ArticleRequest
from veille.app import App
from veille.core import fulltext
from veille.errors import ArticleError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArticleReport:
    """What one run did: pages fetched with text, revalidated (304), failed, and items given a cached page."""

    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    cached: int = 0
    reasons: tuple[tuple[str, str], ...] = ()  # (url, reason) of the failed pages

    @property
    def attempted(self) -> int:
        return self.fetched + self.not_modified + self.failed


def full_text_feed_ids(app: App) -> list[int]:
    """The ids of the configured feeds whose items get their article page."""
    settings = app.settings
    wanted = {
        feed.url for feed in settings.feeds if fulltext.wants_full_text(feed.full_text, settings.full_text.enabled)
    }
    if not wanted:
        return []
    return [state.id for state in app.feeds.feed_states() if state.config_url in wanted]


def fetch_articles(app: App) -> ArticleReport:
    """See the module docstring. Does nothing (no query beyond the feed list) when no feed wants full text."""
    settings = app.settings.full_text
    feed_ids = full_text_feed_ids(app)
    if not feed_ids:
        return ArticleReport()
    articles = app.store.articles
    since = app.now - timedelta(days=settings.max_age_days)
    plan = fulltext.plan_fetches(articles.pending(feed_ids, since, settings.max_per_run, app.now))
    if plan.link:
        articles.link(plan.link)
    counts = {"ok": 0, "not_modified": 0, "failed": 0}
    reasons: list[tuple[str, str]] = []

    def store(page: ArticlePage) -> None:
        items = plan.items_of[page.url]
        status, text, reason = page.status, None, page.reason
        if status == "ok":
            try:
                verdict = fulltext.judge_text(app.extractor(page.body or b"", page.final_url or page.url))
            except ArticleError as exc:
                verdict = fulltext.PageVerdict(reason=exc.reason)
            text, reason = verdict.text, verdict.reason
            status = "ok" if verdict.reason is None else "failed"
        attempt = fulltext.next_attempt(
            status == "failed",
            fulltext.passing_failure(page.http_status, page.timed_out),
            max(item.failures for item in items),
            app.now,
        )
        articles.save_page(
            page.url,
            status=status,
            now=app.now,
            items=items,
            text=text,
            reason=reason,
            http_status=page.http_status,
            etag=page.etag,
            last_modified=page.last_modified,
            failures=attempt.failures,
            retry_after=attempt.retry_after,
        )
        counts[status] += 1
        if status == "failed":
            reasons.append((page.url, reason or "failed"))
            later = f", tried again after {attempt.retry_after.isoformat()}" if attempt.retry_after else ""
            log.info("%s: no article text (%s%s)", page.url, reason, later)

    requests = [ArticleRequest(url, etag, last_modified) for url, etag, last_modified in plan.fetch]
    if requests:
        app.article_fetcher(requests, settings, user_agent=app.settings.fetch.user_agent or None, on_page=store)
    report = ArticleReport(
        fetched=counts["ok"],
        not_modified=counts["not_modified"],
        failed=counts["failed"],
        cached=len(plan.link),
        reasons=tuple(reasons),
    )
    if report.attempted or report.cached:
        log.info(
            "article pages: %d with text, %d not modified, %d failed, %d from the cache",
            report.fetched,
            report.not_modified,
            report.failed,
            report.cached,
        )
    return report
