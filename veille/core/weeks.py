"""ISO weeks, the unit of themes, trends and digests.

A week is written ``"2026-W48"`` (ISO 8601: weeks start on Monday, week 1 holds the year's first
Thursday), so week strings sort in time order and match the ``week`` columns of the schema. Every
boundary is in UTC: a week runs from Monday 00:00 UTC to the next Monday 00:00 UTC, whatever the
reader's time zone, so two runs on two machines put an item in the same week.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@lru_cache(maxsize=4096)
def _parse(week: str) -> date:
    """The Monday of ``week``; ValueError names the bad string (week 53 only exists in some years)."""
    match = _WEEK.match(week)
    if match is None:
        raise ValueError(f"not an ISO week like '2026-W48': {week!r}")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{week!r} does not exist: {exc}") from exc


def _format(monday: date) -> str:
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"


def iso_week(moment: datetime | date) -> str:
    """The ISO week holding ``moment``: ``"2026-W48"``.

    A datetime must be timezone-aware and is converted to UTC first, so 23:30 on a Sunday in Paris
    (22:30 UTC) stays in that week while 00:30 Monday in Paris (Sunday 23:30 UTC) is still the week
    before. A plain date is taken as is.
    """
    if isinstance(moment, datetime):
        offset = moment.utcoffset()
        if offset is None:
            raise ValueError(f"naive datetime {moment.isoformat()}: give a timezone-aware one")
        if offset:  # already in UTC (as every stored date): its own calendar date is the UTC one
            moment = moment.astimezone(UTC)
    year, number, _ = moment.isocalendar()
    return f"{year}-W{number:02d}"


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """``(Monday 00:00 UTC, next Monday 00:00 UTC)``: an item belongs to the week when start <= t < end."""
    monday = _parse(week)
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    return start, start + timedelta(days=7)


def shift_week(week: str, weeks: int) -> str:
    """The week ``weeks`` after ``week`` (before when negative), across year ends and week 53."""
    return _format(_parse(week) + timedelta(weeks=weeks))


def weeks_between(earlier: str, later: str) -> int:
    """How many weeks ``later`` comes after ``earlier`` (0 for the same week, negative when before)."""
    return (_parse(later) - _parse(earlier)).days // 7


def previous_weeks(week: str, n: int) -> list[str]:
    """The ``n`` weeks just before ``week``, oldest first, ``week`` itself excluded.

    Oldest first because that is the order a baseline is read in and a chart is drawn in.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    monday = _parse(week)
    return [_format(monday - timedelta(weeks=k)) for k in range(n, 0, -1)]


def last_complete_week(now: datetime) -> str:
    """The latest week that has fully ended at ``now`` (UTC): the week a Monday digest reports on.

    At Monday 00:00 UTC exactly, the week that just ended is complete.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"naive datetime {now.isoformat()}: give a timezone-aware one")
    return shift_week(iso_week(now), -1)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def digest_due_at(week: str, weekday: str, hour: int, timezone: str) -> datetime:
    """When ``week``'s digest is due: the first ``weekday`` after the week, at ``hour`` in ``timezone``
    (the reader's clock), as UTC. An unknown weekday counts as Monday."""
    from zoneinfo import ZoneInfo

    _, end = week_bounds(week)
    offset = WEEKDAYS.index(weekday.lower()) if weekday.lower() in WEEKDAYS else 0
    day = (end + timedelta(days=offset)).date()
    local = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)
