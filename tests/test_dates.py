"""Dates as listing pages write them (`core.dates`), for `type: html` sources: the date a reader sees."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from veille.core.dates import parse_date

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # a Saturday morning


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("2019-09-24T13:34:33Z", None, datetime(2019, 9, 24, 13, 34, 33, tzinfo=UTC)),
        ("2018-11-12 15:58:00", None, datetime(2018, 11, 12, 15, 58, tzinfo=UTC)),
        ("2024-03-05T10:00:00+01:00", None, datetime(2024, 3, 5, 9, 0, tzinfo=UTC)),
        ("Tue, 24 Sep 2019 13:34:33 +0200", None, datetime(2019, 9, 24, 11, 34, 33, tzinfo=UTC)),
        ("August 17, 2017", "en", datetime(2017, 8, 17, tzinfo=UTC)),
        ("Sept. 3, 2025", "en", datetime(2025, 9, 3, tzinfo=UTC)),
        ("Monday, March 5th 2024 at 9:05 pm", "en", datetime(2024, 3, 5, 21, 5, tzinfo=UTC)),
        ("17 Aug 2017", "en", datetime(2017, 8, 17, tzinfo=UTC)),
        ("Publié le 1er mars 2024 à 14h30", "fr", datetime(2024, 3, 1, 14, 30, tzinfo=UTC)),
        ("Mis à jour le 17 août 2024", "fr", datetime(2024, 8, 17, tzinfo=UTC)),
        ("LUNDI 5 JANVIER 2026", "fr", datetime(2026, 1, 5, tzinfo=UTC)),
        ("12 déc. 2025", "fr", datetime(2025, 12, 12, tzinfo=UTC)),
        ("12. März 2024", "de", datetime(2024, 3, 12, tzinfo=UTC)),
        ("24/09/2019", "fr", datetime(2019, 9, 24, tzinfo=UTC)),
        ("24.09.2019", "de", datetime(2019, 9, 24, tzinfo=UTC)),
        ("09/10/2024", "fr", datetime(2024, 10, 9, tzinfo=UTC)),  # day first in Europe
        ("09/10/2024", "en", datetime(2024, 9, 10, tzinfo=UTC)),  # month first on an English page
        ("09/24/2019", None, datetime(2019, 9, 24, tzinfo=UTC)),  # only readable month first
        ("2019/09/24", None, datetime(2019, 9, 24, tzinfo=UTC)),
        ("mars 2024", "fr", datetime(2024, 3, 1, tzinfo=UTC)),
        # no year: the latest such day not after tomorrow
        ("Publié le 4 juillet", "fr", datetime(2026, 7, 4, tzinfo=UTC)),
        ("4 décembre", "fr", datetime(2025, 12, 4, tzinfo=UTC)),
        ("29 novembre", "fr", datetime(2026, 11, 29, tzinfo=UTC)),
        # relative
        ("il y a 3 heures", "fr", datetime(2026, 11, 28, 3, 0, tzinfo=UTC)),
        ("2 days ago", "en", datetime(2026, 11, 26, 6, 0, tzinfo=UTC)),
        ("an hour ago", "en", datetime(2026, 11, 28, 5, 0, tzinfo=UTC)),
        ("hier", "fr", datetime(2026, 11, 27, tzinfo=UTC)),
        ("Aujourd’hui à 08:15", "fr", datetime(2026, 11, 28, 8, 15, tzinfo=UTC)),
    ],
)
def test_dates_written_as_pages_write_them(text: str, lang: str | None, expected: datetime) -> None:
    assert parse_date(text, NOW, lang=lang) == expected


@pytest.mark.parametrize("text", ["", "no date here", "2017", "le 31 février 2024", "Page 12 of 30", "Lire la suite"])
def test_text_without_a_date_gives_none(text: str) -> None:
    assert parse_date(text, NOW) is None
