"""The search index's entries: one per story, for ``search.js``."""

from __future__ import annotations

from veille.core.sanitize import truncate_text
from veille.core.site.common import (
    SEARCH_SUMMARY_CHARS,
    _Context,
    week_short,
)
from veille.core.site.records import (
    SiteStory,
)
from veille.core.site.views import (
    SearchEntry,
    StoryView,
)


def _search_entry(view: StoryView, record: SiteStory, ctx: _Context) -> SearchEntry:
    keywords = [ctx.theme_labels[theme_id] for _, theme_id in record.themes if theme_id in ctx.theme_labels]
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
