"""Dates as web pages write them: the date of an item read from a page without a feed (``type: html``).

Pure: a string and ``now`` in, an aware UTC datetime (or None) out. What is understood, in this order:

- machine dates: ISO 8601 / RFC 3339 (``2019-09-24T13:34:33Z``, ``2018-11-12 15:58:00``) and RFC 2822
  (``Tue, 24 Sep 2019 13:34:33 +0200``), as in feeds;
- relative dates: "today", "yesterday", "3 days ago", "aujourd'hui", "hier", "il y a 2 heures";
- numeric dates, day first as in Europe (``24/09/2019``, ``24.09.2019``), or year first
  (``2019/09/24``); month first only for an English page when the day cannot come first (``09/24/2019``);
- written dates in English, French or German, with or without the weekday, the year or a time
  (``August 17, 2017``, ``17 Aug 2017``, ``Publié le 1er mars 2024 à 14h30``, ``4 juillet``,
  ``12. März 2024``). A date without a year is the latest such day not after tomorrow.

A date without a time zone is taken as UTC. Text that holds no date gives None: the item is then filed
under the time it was first seen (``core.normalize.normalize_date``), as a feed entry without a date is.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

MONTHS: dict[str, int] = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # French (accents folded: fevrier, aout, decembre)
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "janv": 1, "fevr": 2, "fev": 2, "avr": 4, "juil": 7,
    # German (März folded to marz)
    "januar": 1, "februar": 2, "marz": 3, "maerz": 3, "juni": 6, "juli": 7, "oktober": 10,
    "dezember": 12, "okt": 10, "dez": 12,
}  # fmt: skip
_MONTH = "|".join(sorted((re.escape(name.rstrip(".")) for name in MONTHS), key=len, reverse=True))
_ORDINAL = r"(?:er|st|nd|rd|th|e)?"
# "17 August 2017", "1er mars", "12. März 2024", "17 de marzo" is not attempted
_DAY_MONTH = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}}){_ORDINAL}\.?\s+(?P<month>{_MONTH})\b\.?(?:,?\s+(?P<year>\d{{4}})\b)?"
)
# "August 17, 2017", "Aug 17 2017", "March 5th"
_MONTH_DAY = re.compile(
    rf"\b(?P<month>{_MONTH})\b\.?\s+(?P<day>\d{{1,2}}){_ORDINAL}(?!\d)(?:,?\s+(?P<year>\d{{4}})\b)?"
)
# "mars 2024", "March 2024": the first of the month
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\b\.?\s+(?P<year>\d{{4}})\b")
_DMY = re.compile(r"(?<!\d)(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})([./-])(\d{1,2})\2(\d{1,2})(?!\d)")
_TIME = re.compile(r"(?<!\d)(\d{1,2})\s*(?::|h|H)\s*(\d{2})(?::(\d{2}))?\s*(am|pm)?(?![\d])", re.IGNORECASE)
_AGO = re.compile(
    r"(?:(?P<n1>\d+|an?|one)\s+(?P<unit1>minute|min|hour|hr|day|week)s?\s+ago)"
    r"|(?:il\s+y\s+a\s+(?P<n2>\d+|une?)\s+(?P<unit2>minute|min|heure|jour|semaine)s?)"
)
_UNITS = {
    "minute": timedelta(minutes=1), "min": timedelta(minutes=1), "hour": timedelta(hours=1),
    "hr": timedelta(hours=1), "heure": timedelta(hours=1), "day": timedelta(days=1),
    "jour": timedelta(days=1), "week": timedelta(weeks=1), "semaine": timedelta(weeks=1),
}  # fmt: skip
_TODAY = re.compile(r"\b(?:today|aujourd'hui|heute)\b")
_YESTERDAY = re.compile(r"\b(?:yesterday|hier|gestern)\b")
MAX_CHARS = 200  # a date is short: a long text is searched only at its start


def _fold(text: str) -> str:
    """Lower case, accents removed, apostrophes and spaces made plain: "Août" → "aout"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("\u2019", "'").replace("\u02bc", "'")
    return " ".join(plain.lower().split())


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def machine_date(text: str) -> datetime | None:
    """An ISO 8601 or RFC 2822 date, the whole of ``text``; None when it is neither."""
    value = text.strip()
    if not value:
        return None
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        pass
    try:
        return _utc(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        return None


def parse_date(text: str | None, now: datetime, *, lang: str | None = None) -> datetime | None:
    """The date ``text`` gives, in UTC, or None. ``lang`` (a 2-letter code) only settles 09/10/2024."""
    if not text:
        return None
    raw = " ".join(text.split())[:MAX_CHARS]
    found = machine_date(raw)
    if found is not None:
        return found
    folded = _fold(raw)
    now = _utc(now)
    return _relative(folded, now) or _numeric(folded, lang) or _written(folded, now)


def _relative(text: str, now: datetime) -> datetime | None:
    match = _AGO.search(text)
    if match:
        count, unit = (match["n1"], match["unit1"]) if match["unit1"] else (match["n2"], match["unit2"])
        number = int(count) if count.isdigit() else 1
        return now - number * _UNITS[unit]
    if _TODAY.search(text):
        return _at_time(now.date(), text) or now
    if _YESTERDAY.search(text):
        return _at_time(now.date() - timedelta(days=1), text) or _midnight(now.date() - timedelta(days=1))
    return None


def _numeric(text: str, lang: str | None) -> datetime | None:
    match = _YMD.search(text)
    if match:
        return _make(int(match[1]), int(match[3]), int(match[4]), text[match.end() :])
    match = _DMY.search(text)
    if match:
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        day, month = first, second
        if (lang == "en" and match[2] == "/" and first <= 12) or (second > 12 >= first):
            day, month = second, first  # 09/24/2019 on an English page, or a date that only reads that way
        return _make(year, month, day, text[match.end() :])
    return None


def _written(text: str, now: datetime) -> datetime | None:
    candidates = [m for m in (_DAY_MONTH.search(text), _MONTH_DAY.search(text)) if m is not None]
    if candidates:
        match = min(candidates, key=lambda m: m.start())
        month = MONTHS[match["month"]]
        day = int(match["day"])
        rest = text[match.end() :]
        if match["year"]:
            return _make(int(match["year"]), month, day, rest)
        return _without_year(month, day, rest, now)
    month_year = _MONTH_YEAR.search(text)
    if month_year:
        return _make(int(month_year["year"]), MONTHS[month_year["month"]], 1, "")
    return None


def _without_year(month: int, day: int, rest: str, now: datetime) -> datetime | None:
    """The latest ``day``/``month`` not after tomorrow (a page lists recent news without their year)."""
    for year in (now.year + 1, now.year, now.year - 1):
        found = _make(year, month, day, rest)
        if found is not None and found.date() <= now.date() + timedelta(days=1):
            return found
    return None


def _make(year: int, month: int, day: int, rest: str) -> datetime | None:
    try:
        when = date(year, month, day)
    except ValueError:
        return None
    return _at_time(when, rest) or _midnight(when)


def _midnight(when: date) -> datetime:
    return datetime(when.year, when.month, when.day, tzinfo=UTC)


def _at_time(when: date, rest: str) -> datetime | None:
    """``when`` at the time of day written near the start of ``rest`` ("à 14h30", "at 9:05 pm")."""
    match = _TIME.search(rest[:40])
    if not match:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if match[4]:
        hour = hour % 12 + (12 if match[4].lower() == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return datetime(when.year, when.month, when.day, hour, minute, second, tzinfo=UTC)


__all__ = ["MONTHS", "machine_date", "parse_date"]
