"""When to fetch a feed again, and when a feed that still answers has gone quiet. Pure: ``now`` is passed in.

Why these rules:

* A feed is polled at most every ``min_interval_minutes`` so a run repeated by hand (or a daemon that
  restarted) does not hammer publishers.
* After a failure the feed backs off exponentially (``backoff_base * 2^(failures-1)``, capped at
  ``backoff_max``), and a server's own Retry-After is honoured when it asks for longer: being polite is
  what keeps a small publisher's feed available to us.
* A feed that answers 200 but has published nothing for much longer than its own rhythm is *stale*: a
  daily news feed silent for a week is suspect, a monthly newsletter silent for a week is not. Its
  rhythm is the median gap between its recent items.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

from veille.models import FeedState, FetchResult, FetchSettings

STALE_CADENCE_FACTOR = 4  # stale after this many usual gaps without anything new
STALE_MIN_DAYS = 7  # never stale sooner than this, however chatty the feed usually is
STALE_RECENT_ITEMS = 20  # the cadence is measured on this many most recent items
RETRY_AFTER_MAX = timedelta(days=7)  # a server cannot park a feed for longer than this


def min_interval(settings: FetchSettings) -> timedelta:
    return timedelta(minutes=settings.min_interval_minutes)


def backoff_delay(failures: int, settings: FetchSettings) -> timedelta:
    """Delay after the ``failures``-th consecutive failure: base x 2^(failures-1), capped at the maximum."""
    cap = timedelta(hours=settings.backoff_max_hours)
    if failures < 1:
        return timedelta(0)
    exponent = min(failures - 1, 32)  # 2^32 x any base is far past any cap; avoids huge numbers
    return min(timedelta(minutes=settings.backoff_base_minutes) * (2**exponent), cap)


def is_due(state: FeedState, settings: FetchSettings, now: datetime) -> bool:
    """Whether the feed should be fetched in a run at ``now``.

    Gone feeds never are. A feed with ``next_fetch_at`` (backoff, Retry-After, or the next regular
    slot) is due exactly when that time has come. Without one, a feed is due when it was never fetched
    or its last fetch is at least ``min_interval`` old.
    """
    if state.status != "active":
        return False
    if state.next_fetch_at is not None:
        return state.next_fetch_at <= now
    if state.last_fetch_at is None:
        return True
    return now - state.last_fetch_at >= min_interval(settings)


def next_fetch_after(state: FeedState, result: FetchResult, settings: FetchSettings, now: datetime) -> datetime | None:
    """When to fetch again after ``result`` (obtained at ``now``); None when the feed is gone for good.

    ``state`` is the feed *before* this result, so this failure is number
    ``state.consecutive_failures + 1``. A success (200 or 304) waits ``min_interval``; a failure waits
    the backoff or the server's Retry-After (at most 7 days), whichever is later.
    """
    if result.gone:
        return None
    if result.error is None:
        return now + min_interval(settings)
    delay = backoff_delay(state.consecutive_failures + 1, settings)
    if result.retry_after is not None and result.retry_after > 0:
        asked = min(timedelta(seconds=result.retry_after), RETRY_AFTER_MAX)
        delay = max(delay, asked)
    return now + delay


def usual_gap(item_dates: Sequence[datetime]) -> timedelta | None:
    """Median gap between the feed's most recent items; None with fewer than two items."""
    recent = sorted(item_dates)[-STALE_RECENT_ITEMS:]
    if len(recent) < 2:
        return None
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(recent)]
    return timedelta(seconds=statistics.median(gaps))


def stale_after(item_dates: Sequence[datetime], settings: FetchSettings) -> timedelta:
    """How long without anything new makes this feed stale.

    4 x its usual gap, at least 7 days, and never more than ``stale_days`` (so an irregular feed with a
    huge median gap is still reported eventually).
    """
    ceiling = timedelta(days=settings.stale_days)
    gap = usual_gap(item_dates)
    if gap is None:
        return ceiling
    return min(max(gap * STALE_CADENCE_FACTOR, timedelta(days=STALE_MIN_DAYS)), ceiling)


def is_stale(state: FeedState, item_dates: Sequence[datetime], settings: FetchSettings, now: datetime) -> bool:
    """Whether a feed that answers has had nothing new for much longer than its usual cadence.

    Only feeds that have answered successfully at least once can be stale (a failing feed is reported
    by its error instead; a gone feed is retired). "Nothing new since" is ``last_new_item_at`` when
    the store knows it, else the newest of ``item_dates`` (its recent items' published dates).
    """
    if state.status != "active" or state.last_success_at is None:
        return False
    newest = state.last_new_item_at or (max(item_dates) if item_dates else None)
    if newest is None:
        return False
    return now - newest > stale_after(item_dates, settings)
