"""Interface strings of the static site, in the reader's language.

The digest's table (``core.i18n``) gives the dates, plurals and the words both share; this one adds what
only the site prints (navigation, page headings, source health). The wording is in the gettext catalogs
(English message ids), installed by ``veille.adapters.translations``: see ``core.i18n``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from veille.core.i18n import Language, table


@dataclass(frozen=True)
class SiteStrings:
    """Every fixed sentence of the site in one language."""

    language: str
    skip: str
    nav_label: str
    home: str
    weeks: str
    themes: str
    formats: str
    sources: str
    search: str
    search_label: str
    search_button: str
    search_hint: str
    search_only_excluded: str
    search_none: str
    search_one: str
    search_many: str  # "{n} résultats" — {n} is filled in by search.js
    search_more: str  # "… the first {n} are shown"
    search_needs_js: str
    latest_digest: str
    no_digest_yet: str
    read_digest: str
    recent_weeks: str
    all_weeks: str
    week_numbers: str
    in_digest: str
    everything_else: str
    empty_week: str
    empty_site: str
    source_problems: str
    previous_week: str
    next_week: str
    stories: str
    all_stories: str
    timeline: str
    chart_numbers: str
    keywords_over_time: str
    week: str
    status: str
    keywords: str
    count: str
    first_seen: str
    last_seen: str
    theme: str
    themes_intro: str
    formats_intro: str
    sources_intro: str
    weeks_intro: str
    before_watch: str  # the weeks index's heading over the archive pages
    archives_intro: str  # {date}: when the watch began
    archive_label: str  # {year}
    archive_intro: str  # {date}
    recent_intro: str  # {n}: weeks listed on a format's or source's page before its yearly archive pages
    older_stories: str  # the heading over the links to a format's or source's yearly archive pages
    none_recent: str  # a format's or source's page when it had no story in its recent weeks
    story_sources: str
    original: str
    health: str
    feed_url: str
    website: str
    language_label: str
    state: str
    last_success: str
    last_new_item: str
    last_error: str
    failures: str
    moved: str
    events: str
    no_events: str
    never: str
    when: str
    detail: str
    article_pages: str
    articles_read: str  # {count}
    articles_failed: str  # {count}
    articles_retrying: str  # {count}
    event_counts: str
    atom: str
    footer: str
    legend: str
    digest_word: str
    story_one: str
    story_many: str
    theme_one: str
    theme_many: str
    status_labels: tuple[tuple[str, str], ...]  # theme statuses: new, rising, steady, fading
    feed_states: tuple[tuple[str, str], ...]  # active, gone, removed, stale
    event_kinds: tuple[tuple[str, str], ...]  # feed_events.kind
    audience_filter: str = ""  # the filter's label
    audience_all: str = ""
    audience_labels: tuple[tuple[str, str], ...] = ()  # corporate, higher-ed, school, general


def _site_strings(lang: Language) -> SiteStrings:
    _ = lang.gettext
    return SiteStrings(
        language=lang.code,
        skip=_("Skip to content"),
        nav_label=_("Main navigation"),
        home=_("Home"),
        weeks=_("Weeks"),
        themes=_("Themes"),
        formats=_("Formats"),
        sources=_("Sources"),
        search=_("Search"),
        search_label=_("Search the watch"),
        search_button=lang.pgettext("button", "Search"),
        search_hint=_(
            "Titles, summaries, keywords, formats and sources; every word must match, whole: "
            '"a phrase", a OR b, -word, prefix*.'
        ),
        search_none=_("No story matches."),
        search_only_excluded=_("Add a word to look for: words after - or NOT are only left out."),
        search_one=_("1 story found."),
        search_many=_("{n} stories found."),
        search_more=_("The {n} most recent are shown."),
        search_needs_js=_(
            "Search needs JavaScript; the Weeks, Themes, Formats and Sources pages reach every story without it."
        ),
        latest_digest=_("Latest digest"),
        no_digest_yet=_("No digest for this week yet: here are its themes."),
        read_digest=_("Read the digest as it was sent"),
        recent_weeks=_("Recent weeks"),
        all_weeks=_("All weeks"),
        week_numbers=_("The week in numbers"),
        in_digest=_("In the digest"),
        everything_else=_("Everything else this week"),
        empty_week=_("No story this week."),
        empty_site=_("The watch is still empty: run “veille run” to read your feeds."),
        source_problems=_("Source problems this week"),
        previous_week=_("Previous week"),
        next_week=_("Next week"),
        stories=_("Stories"),
        all_stories=_("All its stories"),
        timeline=_("Stories per week"),
        chart_numbers=_("The chart's numbers"),
        keywords_over_time=_("Keywords over the weeks"),
        week=_("Week"),
        status=_("Status"),
        keywords=_("Keywords"),
        count=_("Stories"),
        first_seen=_("First seen"),
        last_seen=_("Last seen"),
        theme=_("Theme"),
        themes_intro=_("Themes followed week over week, the most recent first."),
        formats_intro=_("Learning formats found in the items."),
        sources_intro=_("Your feeds, their health and their stories."),
        weeks_intro=_("Every week of the watch, with its digest and all its stories."),
        before_watch=_("Before the watch began"),
        archives_intro=_(
            "The watch began on {date}. Older articles, from the feeds' backlogs as they were first read, "
            "are grouped by year."
        ),
        archive_label=_("Archive {year}"),
        archive_intro=_(
            "Articles published before the watch began (on {date}), from the feeds' backlogs as they were "
            "first read, week by week."
        ),
        recent_intro=_("The stories of the last {n} weeks; older ones are on one page per year, listed below."),
        older_stories=_("Older stories, by year"),
        none_recent=_("No story in these weeks."),
        story_sources=_("Sources"),
        original=_("original article"),
        health=_("Feed health"),
        feed_url=_("Feed address"),
        website=_("Website"),
        language_label=_("Language"),
        state=_("State"),
        last_success=_("Last successful fetch"),
        last_new_item=_("Last new item"),
        last_error=_("Last error"),
        failures=_("Consecutive failures"),
        moved=_("Moved"),
        events=_("Problems"),
        no_events=_("No problem recorded."),
        never=_("never"),
        when=_("Date"),
        detail=_("Detail"),
        article_pages=_("Article pages"),
        articles_read=_("{count} read"),
        articles_failed=_("{count} failed"),
        articles_retrying=_("{count} to try again later"),
        event_counts=_("Successful fetches: {ok}; unchanged: {nm}; failed: {error}."),
        atom=_("Atom feed of the digests"),
        footer=_("Site built by veille from your feeds. Links marked ↗ lead to the original articles."),
        legend=_("Status changes"),
        digest_word=_("digest"),
        story_one=_("story"),
        story_many=_("stories"),
        theme_one=_("theme"),
        theme_many=_("themes"),
        status_labels=(("new", _("new")), ("rising", _("rising")), ("steady", _("steady")), ("fading", _("fading"))),
        feed_states=(
            ("active", _("active")),
            ("gone", _("gone (410)")),
            ("removed", _("removed from feeds.yaml")),
            ("stale", _("stale")),
        ),
        audience_filter=_("Audience"),
        audience_all=_("All audiences"),
        audience_labels=(
            ("corporate", _("Corporate")),
            ("higher-ed", _("Higher education")),
            ("school", _("School")),
            ("general", _("Everyone")),
        ),
        event_kinds=(
            ("ok", _("fetched")),
            ("not_modified", _("unchanged")),
            ("error", _("error")),
            ("moved", _("moved")),
            ("gone", _("gone (410)")),
            ("stale", _("stale")),
        ),
    )


def site_strings(language: str) -> SiteStrings:
    """The site's strings in ``language``; a language without a catalog falls back to French, as the digest."""
    return table("site", language, _site_strings)


@dataclass(frozen=True)
class RadarStrings:
    """What the site's format radar prints (the formats page and each format's page)."""

    title: str
    intro: str  # {n}: weeks shown, {week}: the scored week, in words
    too_early: tuple[str, str]  # the sentence's singular and plural forms; {n}: weeks of watch so far, {need}: needed
    heatmap: str
    heatmap_desc: str  # {n} formats, {weeks} weeks
    legend: str
    format: str
    this_week: str
    share: str
    weeks: str  # "{n} semaines"
    statuses: str  # what each status means, one sentence
    carried_by: str
    carried_intro: str  # {n}: weeks
    no_themes: str
    all_time: str
    week_total: str  # the heatmap table's last row: every format together
    of_week: str  # "28 % des sujets de la semaine"
    spark: str  # "{label}, {first} – {last}: {counts}"


def _forms(sentence: Callable[[int], str]) -> tuple[str, str]:
    """A counted sentence's singular and plural forms in the catalog (``core.i18n.Language.singular`` picks)."""
    return sentence(1), sentence(2)


def _radar_strings(lang: Language) -> RadarStrings:
    _ = lang.gettext
    return RadarStrings(
        title=_("Format radar"),
        intro=_(
            "Up to {week}: for each learning format, its stories per week over the last {n} complete weeks, "
            "its share of the week's stories and its status, scored as themes are."
        ),
        too_early=_forms(
            lambda n: lang.ngettext(
                "Too early to tell: {n} week of watch, {need} are needed before a status means anything.",
                "Too early to tell: {n} weeks of watch, {need} are needed before a status means anything.",
                n,
            )
        ),
        heatmap=_("Stories per format and week; the darker the cell, the larger its share of the week"),
        heatmap_desc=_("{n} formats over {weeks} weeks"),
        legend=_("Share of the week's stories"),
        format=_("Format"),
        this_week=_("This week"),
        share=_("Share"),
        weeks=_("{n} weeks"),
        statuses=_(
            "Rising: well above its average of the previous weeks, carried by at least 3 sources; fading: "
            "the last two weeks under half of before; steady: anything else."
        ),
        carried_by=_("Themes carrying it"),
        carried_intro=_("The themes of its stories over the last {n} weeks, most frequent first."),
        no_themes=_("None of its stories of these weeks belongs to a theme."),
        all_time=_("Since the watch began"),
        week_total=_("The week's stories"),
        of_week=_("{share} of the week's stories"),
        spark=_("{label}, {first} – {last}: {counts}"),
    )


def radar_strings(language: str) -> RadarStrings:
    return table("radar", language, _radar_strings)
