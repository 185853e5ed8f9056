"""The search index's entries: one per story, for ``search.js``."""

from __future__ import annotations

from collections.abc import Sequence

from veille.core.sanitize import truncate_text
from veille.core.site.common import (
    SEARCH_SUMMARY_CHARS,
    _Context,
    week_short,
)
from veille.core.site.views import (
    SearchEntry,
    StoryView,
)


def _search_entry(view: StoryView, themes: Sequence[tuple[str, int]], ctx: _Context) -> SearchEntry:
    """``themes``: the story's (week, theme id), as its record and reference have them."""
    keywords = [ctx.theme_labels[theme_id] for _, theme_id in themes if theme_id in ctx.theme_labels]
    return SearchEntry(
        title=view.title,
        href=view.href,
        summary=truncate_text(view.summary, SEARCH_SUMMARY_CHARS),
        week=f"{week_short(view.week, ctx.d)} {view.week[:4]}",
        formats=tuple(f.label for f in view.formats),
        sources=tuple(dict.fromkeys(c.source.label for c in view.copies)),
        keywords=tuple(dict.fromkeys(keywords)),
        audience=view.audience,
    )
