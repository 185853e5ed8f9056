"""The Atom feed of the site: one entry per week, the digest when one was built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from veille.core.site.common import (
    ATOM_ENTRIES,
    StoryRef,
    _Context,
    _week_cards,
    period,
    rfc3339,
    slug,
    text,
    week_href,
    week_label,
)
from veille.core.site.records import (
    DigestRecord,
    SiteTheme,
    ThemeWeekRecord,
)
from veille.core.site.views import (
    AtomEntry,
    AtomFeed,
)
from veille.core.weeks import week_bounds


def build_atom(
    title: str,
    all_weeks: Sequence[str],
    digests: Mapping[str, DigestRecord],
    theme_weeks: Mapping[str, Sequence[tuple[SiteTheme, ThemeWeekRecord]]],
    by_week: Mapping[str, Sequence[StoryRef]],
    ctx: _Context,
    *,
    since: datetime,
) -> AtomFeed:
    """One entry per week, newest first: the digest when one was built, else the week's top themes.

    The feed's id is a tag URI dated by the year the watch began (``since``): stable for the life of the
    watch, as an Atom id must be, and never a year written in the code."""
    d, lang = ctx.d, ctx.language
    entries = []
    feed_id = f"tag:veille,{since.year}:{slug(title)}"
    for week in list(reversed(all_weeks))[:ATOM_ENTRIES]:
        digest = digests.get(week)
        rows = theme_weeks.get(week, ())
        trends, signals, every = _week_cards(rows, {}, ctx, with_stories=False)
        top = (trends + signals + every)[:5]
        seen: set[int] = set()
        parts = []
        for card in top:
            if card.id not in seen:
                seen.add(card.id)
                parts.append(f"{card.label} ({card.status_label})")
        n = ctx.stories_label(len(by_week.get(week, ())))
        summary = f"{n}. {ctx.t.themes}{d.colon}{', '.join(parts)}." if parts else f"{n}."
        start, _ = week_bounds(week)
        updated = digest.built_at if digest else start
        entries.append(
            AtomEntry(
                id=f"{feed_id}:{week}",
                title=text(digest.subject) if digest else f"{title} — {week_label(week, d)} ({period(week, lang)})",
                href=f"digests/{week}.html" if digest and digest.archived else week_href(week),
                updated=rfc3339(updated),
                summary=summary,
            )
        )
    newest = max((e.updated for e in entries), default=rfc3339(since))
    return AtomFeed(id=feed_id, title=title, updated=newest, entries=tuple(entries))
