"""When feeds are due, how they back off after failures, and when a quiet feed is stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from veille.core.schedule import backoff_delay, is_due, is_stale, next_fetch_after, stale_after, usual_gap
from veille.models import FeedState, FetchResult, FetchSettings

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
SETTINGS = FetchSettings()  # min interval 60 min, backoff 30 min doubling up to 24 h, stale after 30 days


def feed(**fields: object) -> FeedState:
    return FeedState(id=1, url="https://example.org/feed", config_url="https://example.org/feed", **fields)  # type: ignore[arg-type]


def ok() -> FetchResult:
    return FetchResult(feed_id=1, requested_url="u", final_url="u", status=200, body=b"<rss/>")


def failed(retry_after: float | None = None, *, gone: bool = False) -> FetchResult:
    return FetchResult(
        feed_id=1,
        requested_url="u",
        final_url="u",
        status=503,
        error="HTTP 503",
        retry_after=retry_after,
        gone=gone,
    )


# ------------------------------------------------------------------------------------------- is_due
def test_a_new_feed_is_due() -> None:
    assert is_due(feed(), SETTINGS, NOW)


def test_a_feed_fetched_recently_is_not_due_until_the_min_interval_passed() -> None:
    assert not is_due(feed(last_fetch_at=NOW - timedelta(minutes=59)), SETTINGS, NOW)
    assert is_due(feed(last_fetch_at=NOW - timedelta(minutes=60)), SETTINGS, NOW)


def test_the_min_interval_is_per_feed() -> None:
    daily = FetchSettings(min_interval_minutes=24 * 60)
    assert not is_due(feed(last_fetch_at=NOW - timedelta(hours=5)), daily, NOW)


def test_a_gone_feed_is_never_due() -> None:
    assert not is_due(feed(status="gone"), SETTINGS, NOW)
    assert not is_due(feed(status="gone", last_fetch_at=NOW - timedelta(days=365)), SETTINGS, NOW)


def test_a_feed_backing_off_waits_for_its_next_fetch_time() -> None:
    backing_off = feed(last_fetch_at=NOW - timedelta(hours=3), next_fetch_at=NOW + timedelta(minutes=1))
    assert not is_due(backing_off, SETTINGS, NOW)
    assert is_due(backing_off, SETTINGS, NOW + timedelta(minutes=1))


def test_a_short_backoff_is_honoured_even_inside_the_min_interval() -> None:
    retry = feed(last_fetch_at=NOW - timedelta(minutes=30), next_fetch_at=NOW, consecutive_failures=1)
    assert is_due(retry, SETTINGS, NOW)


# --------------------------------------------------------------------------------- next_fetch_after
def test_after_a_success_the_feed_waits_the_min_interval() -> None:
    assert next_fetch_after(feed(), ok(), SETTINGS, NOW) == NOW + timedelta(minutes=60)


def test_after_a_304_the_feed_waits_the_min_interval() -> None:
    not_modified = FetchResult(feed_id=1, requested_url="u", final_url="u", status=304, not_modified=True)
    assert next_fetch_after(feed(), not_modified, SETTINGS, NOW) == NOW + timedelta(minutes=60)


@pytest.mark.parametrize(
    ("failures_before", "delay"),
    [
        (0, timedelta(minutes=30)),
        (1, timedelta(minutes=60)),
        (2, timedelta(hours=2)),
        (5, timedelta(hours=16)),
        (6, timedelta(hours=24)),  # 32 h capped at 24 h
        (500, timedelta(hours=24)),
    ],
)
def test_failures_back_off_exponentially_up_to_the_cap(failures_before: int, delay: timedelta) -> None:
    state = feed(consecutive_failures=failures_before)
    assert next_fetch_after(state, failed(), SETTINGS, NOW) == NOW + delay


def test_retry_after_wins_when_it_asks_for_longer() -> None:
    assert next_fetch_after(feed(), failed(retry_after=7200), SETTINGS, NOW) == NOW + timedelta(hours=2)


def test_backoff_wins_when_retry_after_is_shorter() -> None:
    state = feed(consecutive_failures=3)  # 4th failure: 4 h
    assert next_fetch_after(state, failed(retry_after=120), SETTINGS, NOW) == NOW + timedelta(hours=4)


def test_an_absurd_retry_after_is_capped_at_a_week() -> None:
    assert next_fetch_after(feed(), failed(retry_after=10**9), SETTINGS, NOW) == NOW + timedelta(days=7)


def test_a_gone_feed_has_no_next_fetch() -> None:
    assert next_fetch_after(feed(), failed(gone=True), SETTINGS, NOW) is None


def test_backoff_follows_the_settings() -> None:
    quick = FetchSettings(backoff_base_minutes=5, backoff_max_hours=1)
    assert backoff_delay(1, quick) == timedelta(minutes=5)
    assert backoff_delay(4, quick) == timedelta(minutes=40)
    assert backoff_delay(5, quick) == timedelta(hours=1)


# ----------------------------------------------------------------------------------------- is_stale
def daily_items(newest: datetime, count: int = 10) -> list[datetime]:
    return [newest - timedelta(days=i) for i in range(count)]


def test_a_daily_feed_silent_for_eight_days_is_stale() -> None:
    newest = NOW - timedelta(days=8)
    state = feed(last_success_at=NOW, last_new_item_at=newest)
    assert is_stale(state, daily_items(newest), SETTINGS, NOW)


def test_a_daily_feed_silent_for_six_days_is_not_stale_yet() -> None:
    newest = NOW - timedelta(days=6)
    assert not is_stale(feed(last_success_at=NOW, last_new_item_at=newest), daily_items(newest), SETTINGS, NOW)


def test_a_weekly_feed_is_judged_on_its_own_rhythm() -> None:
    weekly = [NOW - timedelta(days=10 + 7 * i) for i in range(8)]
    assert stale_after(weekly, SETTINGS) == timedelta(days=28)
    assert not is_stale(feed(last_success_at=NOW), weekly, SETTINGS, NOW)  # 10 days quiet: normal
    later = NOW + timedelta(days=20)  # 30 days quiet
    assert is_stale(feed(last_success_at=later), weekly, SETTINGS, later)


def test_a_rare_feed_is_still_stale_after_stale_days() -> None:
    quarterly = [NOW - timedelta(days=31 + 90 * i) for i in range(5)]
    assert stale_after(quarterly, SETTINGS) == timedelta(days=30)
    assert is_stale(feed(last_success_at=NOW), quarterly, SETTINGS, NOW)


def test_a_feed_with_one_item_uses_stale_days() -> None:
    one = [NOW - timedelta(days=20)]
    assert usual_gap(one) is None
    assert not is_stale(feed(last_success_at=NOW), one, SETTINGS, NOW)
    assert is_stale(feed(last_success_at=NOW), [NOW - timedelta(days=31)], SETTINGS, NOW)


def test_failing_or_gone_feeds_are_not_called_stale() -> None:
    old = daily_items(NOW - timedelta(days=60))
    assert not is_stale(feed(), old, SETTINGS, NOW)  # never answered: its error tells the story
    assert not is_stale(feed(status="gone", last_success_at=NOW), old, SETTINGS, NOW)
    assert not is_stale(feed(last_success_at=NOW), [], SETTINGS, NOW)


def test_last_new_item_at_beats_old_published_dates() -> None:
    # A feed that republishes old articles: the dates are old but something new arrived yesterday.
    old_dates = daily_items(NOW - timedelta(days=40))
    state = feed(last_success_at=NOW, last_new_item_at=NOW - timedelta(days=1))
    assert not is_stale(state, old_dates, SETTINGS, NOW)
