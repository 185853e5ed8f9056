"""Everything the static site shows, as frozen view models (no Jinja, no I/O).

``build_site_view`` (``pages``) takes what the database holds (``SiteRecords``, ``records``, read by
``adapters.site_store``) and decides every page: home, the weeks index and one page per week since the
watch began (its first fetch; the older items of a feed's backlog go to one archive page per year), one
per theme, format and source, the search index (``search``) and the Atom feed of the digests (``atom``).
The view models are in ``views``; ``adapters.site`` then only renders and writes. A format's and a
source's page list the last ``LIST_RECENT_WEEKS`` weeks' stories, older ones on a page per year.

The pages computed from stories (weeks, themes, formats, sources, their yearly pages) and the search
index's pieces say what they are computed from (``Page.inputs``: the digests of their stories' records,
``common.record_digest``, their rows, and what every story's view reads of the site) and defer their view
(``Deferred``): the renderer computes it only when the page's inputs changed since it was written, so a
new day computes the views of the pages it changes, not of the whole history. Pages are decided from each
story's ``StoryRef`` (its week, formats, themes, sources and record digest); its record is asked of the
``StoryIndex`` only when a page that shows it is computed (``SiteRecords.index``: ``adapters.site_store``
keeps the references between builds and reads a record when asked; without one, every record is in
``SiteRecords.stories``).

Stories live on their week's page, one full block each under the anchor ``#s<id>`` (``#i<id>`` for an
item not yet grouped into a story), with all the sources that carried them; every other page links
there. A story's week is the week of the digest that showed it, else the week it first appeared.

The formats page is the format radar (``core.radar``) of the last complete week: a heatmap of the
formats' weekly stories shaded by their share of the week, and each format's status, reason and
sparkline (``charts``). The theme and format timelines are bar charts whose geometry ``charts``
computes from numbers; the ``chart`` macro of ``site/macros.html`` draws them.

Nothing here depends on the clock except the last week shown, so a rebuild with the same database gives
the same bytes and the writer can skip unchanged pages. Feed text is reduced to plain text and links kept
only when they are http(s): the templates only have to autoescape.
"""

from veille.core.site.pages import build_site_view
from veille.core.site.records import (
    BriefRecord,
    CopyRecord,
    DigestRecord,
    FeedEventRecord,
    FeedRecord,
    SiteRecords,
    SiteSignal,
    SiteStory,
    SiteTheme,
    ThemeWeekRecord,
)
from veille.core.site.views import (
    ArchivePage,
    ChartBar,
    Deferred,
    Page,
    SearchEntry,
    SearchPiece,
    SiteView,
    StoryView,
    WeeksPage,
)

__all__ = [
    "ArchivePage",
    "BriefRecord",
    "ChartBar",
    "CopyRecord",
    "Deferred",
    "DigestRecord",
    "FeedEventRecord",
    "FeedRecord",
    "Page",
    "SearchEntry",
    "SearchPiece",
    "SiteRecords",
    "SiteSignal",
    "SiteStory",
    "SiteTheme",
    "SiteView",
    "StoryView",
    "ThemeWeekRecord",
    "WeeksPage",
    "build_site_view",
]
