"""The reader's language: interface strings, dates, numbers and plurals, for the digest, the site and the CLI.

The wording lives in gettext catalogs, one per language (``veille/locale/<code>/LC_MESSAGES/veille.po``,
English message ids, extracted with ``pybabel extract`` and compiled to ``.mo`` at install); dates, numbers,
week ranges and plural rules come from CLDR through Babel, in the reader's locale, never the machine's (a
server's locale is rarely the reader's, and golden-file tests must give the same bytes on every machine).
The reasons given for trends, signals and formats (``core.trends``, ``core.signals``, ``core.radar``) are
catalog sentences too, built from a ``Language``: its ``ngettext`` picks the catalog's plural form (a
fraction, ``1,5 sujet``, the form CLDR gives it), and its ``integer``/``fixed`` write numbers with Babel. So
a third language is a new catalog and nothing else, and ``digest.language`` accepts any installed catalog
(a message the catalog does not translate yet is its English message id).

Core reads no file: ``veille.adapters.translations`` loads each catalog and its CLDR locale once per process
and ``install``s them here as ``Language`` objects: the command line does it first thing (a broken catalog
is then one line and exit 1), and any other entry point when core first needs a language (``import veille``
hands core the loader; importing reads nothing). ``language(code)`` gives one;
the tables below (``strings``, ``cli_text``, and ``core.site_i18n``) are built from it. An unknown code
falls back to French, the project's first reader (the CLI, to English).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from babel.dates import format_interval, format_skeleton
from babel.numbers import format_decimal

if TYPE_CHECKING:
    from babel import Locale

DEFAULT = "fr"  # the digest's and site's language when the configured one has no catalog
CLI_DEFAULT = "en"  # the command line's when no configuration loads


class Catalog(Protocol):
    """A loaded gettext catalog (``gettext.GNUTranslations`` and Babel's ``Translations`` are ones)."""

    def gettext(self, message: str, /) -> object: ...
    def pgettext(self, context: str, message: str, /) -> object: ...
    def ngettext(self, singular: str, plural: str, n: int, /) -> object: ...


@dataclass(frozen=True)
class Language:
    """One reader language: its code (``fr``), its catalog and its CLDR locale, both loaded by the adapter."""

    code: str
    catalog: Catalog
    locale: Locale
    plural_rule: Callable[[int], int] = field(default=lambda n: int(n != 1))  # the catalog's Plural-Forms

    def gettext(self, message: str) -> str:
        return str(self.catalog.gettext(message))

    def pgettext(self, context: str, message: str) -> str:
        return str(self.catalog.pgettext(context, message))

    def ngettext(self, singular: str, plural: str, n: float) -> str:
        """The catalog's form of a sentence for the number ``n`` (English message ids ``singular``/``plural``).

        gettext's plural rules count whole numbers; a fraction (``1,5 sujet par semaine``, ``2.5 stories``)
        takes the form CLDR gives it in this locale, asked of the catalog through the first whole number of
        the same CLDR category (1.5 is "one" in French, like 0 and 1; "other" in English, like 0)."""
        return str(self.catalog.ngettext(singular, plural, _gettext_count(self.locale, n)))

    def singular(self, count: int) -> bool:
        """Whether ``count`` takes the singular: 0 and 1 in French, only 1 in English (the catalog's rule)."""
        return self.plural_rule(count) == 0

    def integer(self, value: int) -> str:
        """A count in the locale's digits, without grouping (``12345``), as the sentences always wrote it."""
        return _integer(value, self.locale)

    def fixed(self, value: float, digits: int = 1) -> str:
        """``value`` with exactly ``digits`` decimals in the locale's decimal mark: ``3,0`` / ``3.0``. Rounded
        as Python rounds a float (``f"{value:.1f}"``), then written by Babel."""
        pattern = "0." + "0" * digits if digits > 0 else "0"
        return str(format_decimal(Decimal(f"{value:.{digits}f}"), pattern, locale=self.locale))


_FIRST_OF_CATEGORY: dict[tuple[str, str], int | None] = {}


def _gettext_count(locale: Locale, n: float) -> int:
    """The whole number to give gettext for ``n``: ``n`` itself when whole, else the first whole number that
    CLDR puts in ``n``'s plural category (None found: the whole part)."""
    if float(n).is_integer():
        return int(n)
    category = locale.plural_form(n)
    key = (str(locale), category)
    if key not in _FIRST_OF_CATEGORY:
        _FIRST_OF_CATEGORY[key] = next((k for k in range(1000) if locale.plural_form(k) == category), None)
    found = _FIRST_OF_CATEGORY[key]
    return int(n) if found is None else found


_INSTALLED: dict[str, Language] = {}
_TABLES: dict[tuple[str, str], Any] = {}  # (table, code) -> built once per installed language
_LOADER: Callable[[], Iterable[Language]] | None = None


def set_loader(loader: Callable[[], Iterable[Language]]) -> None:
    """What loads the languages when core first needs one and none is installed yet (``import veille``
    hands it ``veille.adapters.translations.languages``): core calls it, it reads the files."""
    global _LOADER
    _LOADER = loader


def _ensure_installed() -> None:
    if not _INSTALLED and _LOADER is not None:
        install(_LOADER())


def install(languages: Iterable[Language]) -> None:
    """Make ``languages`` the ones core speaks (called once at the edge, by ``veille.adapters.translations``)."""
    _INSTALLED.clear()
    _TABLES.clear()
    _INSTALLED.update((lang.code, lang) for lang in languages)


def installed() -> tuple[str, ...]:
    """The codes of the installed languages, sorted."""
    _ensure_installed()
    return tuple(sorted(_INSTALLED))


def language(code: str | None, *, default: str = DEFAULT) -> Language:
    """The installed language ``code`` (``fr``, ``en``, ``fr-FR``…), else ``default``."""
    _ensure_installed()
    if not _INSTALLED:
        raise RuntimeError("no language installed: veille.adapters.translations.install() loads the catalogs")
    if code:
        found = _INSTALLED.get(code) or _INSTALLED.get(code.replace("-", "_").split("_")[0].lower())
        if found is not None:
            return found
    return _INSTALLED[default] if default in _INSTALLED else next(iter(_INSTALLED.values()))


def table(name: str, code: str | None, build: Callable[[Language], Any], *, default: str = DEFAULT) -> Any:
    """``build(language(code))``, built once per language while the same catalogs are installed."""
    lang = language(code, default=default)
    key = (name, lang.code)
    if key not in _TABLES:
        _TABLES[key] = build(lang)
    return _TABLES[key]


@dataclass(frozen=True)
class Strings:
    """Every fixed sentence of the digest in one language (numbers are filled in by ``core.digest``)."""

    language: str
    colon: str  # " : " in French typography, ": " in English
    default_title: str
    week_word: str  # "semaine" / "week", as in the subject
    week_heading: str  # "Semaine" / "Week", capitalised for headings
    week_abbrev: str  # "S" / "W", under the trend bars
    in_numbers: str
    trends: str
    trends_intro: str
    formats: str
    formats_intro: str
    formats_moving: str
    formats_moving_intro: str
    steady_formats: str
    signals: str
    signals_intro: str
    health: str
    health_intro: str
    read: str
    source_one: str
    source_many: str
    status_new: str
    status_rising: str
    status_fading: str
    keywords: str
    empty_title: str
    empty_body: str
    footer: str
    other_format: str
    off_topic_format: str
    health_kinds: tuple[tuple[str, str], ...]  # (kind, label)
    # the week's essentials
    brief: str
    brief_rising_theme: str
    brief_new_theme: str
    brief_theme: str  # one of the week's biggest themes, said when fewer than 3 things moved
    brief_story: str
    brief_format: str
    brief_story_reason: str  # "repris par {sources}"
    quote_open: str
    quote_close: str
    # emerging signals: key phrases whose story counts burst (core.signals)
    emerging: str
    emerging_intro: str
    signal_also: str  # "Aussi" before a signal's other terms
    signal_seen_in: str  # "voir {place}"
    signal_more: tuple[str, str]  # "et {n} autre sujet", plural form
    # the week in numbers
    items_read: tuple[str, str]  # "article lu", "articles lus"
    from_sources: str  # "venant de {sources}"
    distinct_stories: tuple[str, str]
    shown_in_digest: str  # ", dont {n} dans ce digest"
    new_themes: tuple[str, str]
    and_more: str  # "et {more}"
    times: str  # "{n} fois", a source's repeated problem


def _digest_strings(lang: Language) -> Strings:
    _ = lang.gettext
    return Strings(
        language=lang.code,
        colon=lang.pgettext("typography", ": "),
        default_title=_("Digital learning watch"),
        week_word=_("week"),
        week_heading=_("Week"),
        week_abbrev=_("W"),
        in_numbers=_("The week in numbers"),
        trends=_("Trends"),
        trends_intro=_("Themes rising or appearing this week."),
        formats=_("By learning format"),
        formats_intro=_("The most widely covered stories, by format."),
        formats_moving=_("Formats on the move"),
        formats_moving_intro=_("Learning formats rising or fading against their previous weeks."),
        steady_formats=_("Steady (stories this week)"),
        signals=_("Weak signals"),
        signals_intro=_("New themes, still small, seen in at least two sources."),
        health=_("Source health"),
        health_intro=_("These feeds had problems this week: check them in feeds.yaml."),
        read=_("Read"),
        source_one=_("source"),
        source_many=_("sources"),
        status_new=_("new"),
        status_rising=_("rising"),
        status_fading=_("fading"),
        keywords=_("Keywords"),
        empty_title=_("A quiet week"),
        empty_body=_("No new story was published in your sources this week."),
        footer=_("Digest built by veille from your feeds. Links lead to the original articles."),
        other_format=_("Other formats"),
        off_topic_format=_("Not about learning"),
        health_kinds=(("gone", _("gone (410)")), ("moved", _("moved")), ("error", _("failing")), ("stale", _("stale"))),
        brief=_("This week in brief"),
        brief_rising_theme=_("Rising theme"),
        brief_new_theme=_("New theme"),
        brief_theme=_("Theme of the week"),
        brief_story=_("Widely covered"),
        brief_format=_("Format on the move"),
        brief_story_reason=_("covered by {sources}"),
        quote_open=lang.pgettext("typography", "“"),
        quote_close=lang.pgettext("typography", "”"),
        emerging=_("Emerging signals"),
        emerging_intro=_(
            "Words and names suddenly found in several sources: often a subject growing inside a theme you "
            "already follow."
        ),
        signal_also=_("Also"),
        signal_seen_in=_("see “{place}”"),
        signal_more=(_("more story"), _("more stories")),
        items_read=(_("item read"), _("items read")),
        from_sources=_("from {sources}"),
        distinct_stories=(_("distinct story"), _("distinct stories")),
        shown_in_digest=_(", {n} of them in this digest"),
        new_themes=(_("new theme"), _("new themes")),
        and_more=_("and {more}"),
        times=_("{n} times"),
    )


def strings(language: str) -> Strings:
    """The digest's strings in ``language``; a language without a catalog falls back to French."""
    return table("digest", language, _digest_strings)


language_of = language  # for the functions below, whose ``language`` argument is a code


def _locale(code: str) -> Locale:
    return language(code).locale


def day_label(day: date, language: str) -> str:
    """``ven. 27 nov.`` / ``Fri 27 Nov``: a date inside the digest's week, where the year goes without saying."""
    return str(format_skeleton("MMMEd", day, locale=_locale(language)))


def date_label(day: date, language: str) -> str:
    """``27 nov. 2026`` / ``27 Nov 2026``."""
    return str(format_skeleton("yMMMd", day, locale=_locale(language)))


def period_label(first: date, last: date, language: str) -> str:
    """A date range as people write it: ``23–29 nov. 2026``, ``30 nov. – 6 déc. 2026``, across years too.

    CLDR's interval pattern for the locale, in the house typography: the dash is tight after a bare day
    number, spaced otherwise, with ordinary spaces (thin spaces get lost in plain-text mail)."""
    text = str(format_interval(first, last, "yMMMd", locale=_locale(language)))
    parts = re.split(r"\s*–\s*", text, maxsplit=1)
    if len(parts) != 2:
        return text
    return parts[0] + ("–" if parts[0].isdigit() else " – ") + parts[1]


def plural(count: int, one: str, many: str, language: str) -> str:
    """``count`` with the right noun, by the language's plural rule: French takes the singular for 0 and 1,
    English only for 1. ``one`` and ``many`` are already in that language."""
    return f"{count} {one if language_of(language).singular(count) else many}"


def percent(value: int, language: str, *, space: str = "\u00a0") -> str:
    """A whole percentage in the language's typography: ``28 %`` (no-break space) / ``28%``; ``space``
    replaces the no-break space (a terminal gets an ordinary one)."""
    lang = language_of(language)
    # TRANSLATORS: a percentage; French puts a no-break space before the sign.
    text = lang.pgettext("typography", "{percent}%").format(percent=lang.integer(value))
    return text.replace("\u00a0", space)


def number(value: float, language: str) -> str:
    """A ratio with at most one decimal, in the locale's decimal mark: ``2,5`` / ``2.5``; ``3`` stays ``3``."""
    return str(format_decimal(round(value, 1), "0.#", locale=_locale(language)))


# ------------------------------------------------------------------------------------- command line
# The command line's own sentences (``veille themes``, ``stats``, ``process``, ``run``, interruptions), in the
# configured ``digest.language``, or English when no configuration loads: key -> (context, English message id),
# translated by the catalogs, ``str.format`` fields filled by the CLI. A VeilleError is worded here when it
# carries a ``text_key``; the others stay English, whole lines (never a French prefix on an English message).


class _Mark:
    """Marks a message for ``pybabel extract`` (which finds the ``gettext``/``pgettext`` calls) without
    translating it: ``cli_text`` translates it when the sentence is printed, in the run's language."""

    @staticmethod
    def gettext(message: str) -> tuple[str | None, str]:
        return None, message

    @staticmethod
    def pgettext(context: str, message: str) -> tuple[str | None, str]:
        """``message`` in ``context``: when one English word has two translations (``none``: aucun, aucune)."""
        return context, message


mark = _Mark()


CLI_TEXT: dict[str, tuple[str | None, str]] = {
    "colon": mark.pgettext("typography", ": "),
    "none": mark.gettext("none"),
    "theme": mark.gettext("theme"),
    "themes": mark.gettext("themes"),
    "story": mark.gettext("story"),
    "stories": mark.gettext("stories"),
    "source": mark.gettext("source"),
    "sources": mark.gettext("sources"),
    "week": mark.gettext("week"),
    "weeks": mark.gettext("weeks"),
    "weak_signal": mark.gettext(" (weak signal)"),
    "themes_none": mark.gettext("{week}: no themes (run `veille process` after `veille fetch`)"),
    "themes_no_story": mark.gettext("{week}: no story that week, so no theme"),
    "themes_too_few": mark.gettext("{week}: no theme (too few stories that week to make one)"),
    "process_weeks": mark.gettext("weeks clustered: {weeks}"),
    "no_weeks": mark.pgettext("weeks", "none"),
    "week_range": mark.gettext("{first} to {last} ({count})"),
    "embedding": mark.gettext("embedding"),
    "run_status_ok": mark.gettext("ok"),
    "run_status_partial": mark.gettext("partial"),
    "run_status_failed": mark.gettext("failed"),
    "run_summary": mark.gettext("veille run {status}: {parts}"),
    "run_digest_queued": mark.gettext("digest {week} queued"),
    "run_digest_sent": mark.gettext("digest {week} sent to {count}"),
    "run_digest_archived": mark.gettext("digest {week} archived"),
    "run_site": mark.gettext("site {path}"),
    "stats_feeds": mark.gettext("feeds"),
    "stats_feeds_failing": mark.gettext("feeds failing"),
    "stats_items": mark.gettext("items"),
    "stats_sightings": mark.gettext("sightings"),
    "stats_stories": mark.gettext("stories"),
    "stats_embedded": mark.gettext("embedded"),
    "stats_classified": mark.gettext("classified"),
    "stats_off_topic": mark.gettext("of which not about learning (no format)"),
    "stats_themes": mark.gettext("themes"),
    "stats_formats": mark.gettext("formats"),
    "stats_audiences": mark.gettext("audiences"),
    "stats_digests_built": mark.gettext("digests built"),
    "stats_digests_sent": mark.gettext("digests sent"),
    "init_wrote": mark.gettext("wrote {path}"),
    "init_next": mark.gettext("next: veille --config {path} fetch"),
    "feed_added": mark.gettext("added {url} to {path}"),
    "fetch_moved": mark.gettext("{url}: moved permanently to {target} (feed URL updated)"),
    "fetch_gone": mark.gettext("{url}: gone (HTTP 410), retired: it will not be fetched again"),
    "fetch_stale": mark.gettext(" (stale: nothing new for a long time)"),
    "fetch_not_modified": mark.gettext("{url}: not modified"),
    "discover_unreachable": mark.gettext(
        "{url}: not reachable now ({reason}); added as given (`veille feeds check` tells whether it works)"
    ),
    "discover_found": mark.gettext("{url} is a web page; its feed: {feed} ({kind}: {title})"),
    "discover_guessed": mark.gettext("{url} declares no feed; found one at {feed} ({kind}: {title})"),
    "discover_which": mark.gettext("Which feed"),
    "feed_removed": mark.gettext("removed {url} from {path}"),
    "health_gone": mark.gettext("GONE (410), retired"),
    "health_failing": mark.gettext("FAILING x{count}: {error}"),
    "health_ok": mark.gettext("ok, last success {when}"),
    "health_never": mark.gettext("never fetched"),
    "health_stale": mark.gettext(", STALE (nothing new for a long time)"),
    "health_moved": mark.gettext(" (moved from {url})"),
    "health_full_text": mark.gettext("; full text: {ok} ok, {failed} failed"),
    "health_full_text_retrying": mark.gettext(", {count} to try again later"),
    "health_full_text_last": mark.gettext(" (last: {reason})"),
    "digest_not_ended": mark.gettext(
        "--week {week} has not ended yet (it ends {end} UTC, now is {now} UTC): its digest can only be "
        "built once the week is over"
    ),
    "digest_rebuilt": mark.gettext("digest {week} rebuilt and recorded"),
    "digest_rebuilt_unsent": mark.gettext("digest {week} rebuilt and recorded; nothing sent (--send sends it)"),
    "digest_sent": mark.gettext("digest {week} ({recorded}): sent to {sent}, already sent to {already}"),
    "digest_list_sent": mark.gettext("list {name}: sent to {sent}, already sent to {already}"),
    "digest_recorded_now": mark.gettext("recorded now"),
    "digest_recorded_before": mark.gettext("recorded before"),
    "digest_state_recorded": mark.gettext("the digest of {week} is recorded (sent to {sent})"),
    "digest_state_unrecorded": mark.gettext("the digest of {week} is not recorded yet"),
    "digest_preview": mark.gettext("preview only, nothing recorded or sent: {state}"),
    "digest_preview_hint": mark.gettext(" (--send records and sends it)"),
    "week_in_progress": mark.gettext(" (week in progress)"),
    "result": mark.gettext("result"),
    "results": mark.gettext("results"),
    "search_head": mark.gettext("{count} for {query}"),
    "search_none": mark.gettext("No result for {query}"),
    "search_date": mark.gettext("Date"),
    "search_title": mark.gettext("Title"),
    "search_formats": mark.gettext("Formats"),
    "search_sources": mark.gettext("Sources"),
    "search_themes": mark.gettext("Themes"),
    "search_story": mark.gettext("story of {count} items"),
    "run_crashed": mark.gettext("unexpected failure ({kind}: {message}); details in {log}"),
    "error": mark.gettext("veille: error: {message}"),
    "error_storage_path": mark.gettext(
        "storage.path {path}: cannot write there ({reason}); set storage.path in feeds.yaml to a folder "
        "veille can write, or fix that folder's permissions"
    ),
    "error_locked": mark.gettext("another veille run is in progress ({holder}); lock file {path}"),
    "interrupted": mark.gettext(
        "veille: interrupted ({signal}); what was stored is kept: the next run resumes where this one stopped"
    ),
    "internal_error": mark.gettext(
        "veille: internal error: {kind}: {message} (run again with --debug for the details, and please report it)"
    ),
}


def cli_language(language: str | None) -> str:
    """The command line's language: the configured one when it has a catalog, English otherwise."""
    return language if language in installed() else CLI_DEFAULT


def cli_text(key: str, language: str | None, **fields: object) -> str:
    """The CLI sentence ``key`` in ``language`` (see ``CLI_TEXT``), its fields filled in."""
    context, message = CLI_TEXT[key]
    lang = cli(language)
    text = lang.pgettext(context, message) if context else lang.gettext(message)
    return text.format(**fields) if fields else text


def cli(code: str | None) -> Language:
    """The command line's language for ``digest.language`` ``code`` (``cli(code).ngettext(...)``: a CLI
    sentence for a count, French 0 and 1 taking the singular)."""
    return language(cli_language(code), default=CLI_DEFAULT)


def week_list(weeks: Sequence[str], language: str | None, *, listed: int = 3) -> str:
    """Weeks for a summary line: up to ``listed`` by name, more as a range with their count
    (``2019-W10 to 2026-W48 (350 weeks)``), not hundreds of ids."""
    ordered = sorted(weeks)
    if not ordered:
        return cli_text("no_weeks", language)
    if len(ordered) <= listed:
        return ", ".join(ordered)
    count = plural(len(ordered), cli_text("week", language), cli_text("weeks", language), cli_language(language))
    return cli_text("week_range", language, first=ordered[0], last=ordered[-1], count=count)


@lru_cache(maxsize=4096)
def _integer(value: int, locale: Locale) -> str:
    """``Language.integer``, remembered: a site writes the same few hundred counts thousands of times, and
    Babel takes 50 µs for each."""
    return str(format_decimal(value, "0", locale=locale))
