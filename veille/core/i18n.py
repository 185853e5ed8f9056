"""Interface strings and dates of the digest in French and English.

Written out here instead of read from the system locale: a server's locale is rarely the reader's, and
golden-file tests must give the same bytes on every machine. The digest's strings, and the command line's
(``CLI_TEXT``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

LANGUAGES = ("fr", "en")

_MONTHS_SHORT = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_DAYS_SHORT = {
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


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


FR = Strings(
    language="fr",
    colon=" : ",
    default_title="Veille digital learning",
    week_word="semaine",
    week_heading="Semaine",
    week_abbrev="S",
    in_numbers="La semaine en chiffres",
    trends="Tendances",
    trends_intro="Les thèmes qui montent ou apparaissent cette semaine.",
    formats="Par format d'apprentissage",
    formats_intro="Les sujets les plus repris, classés par format.",
    formats_moving="Formats en mouvement",
    formats_moving_intro="Les formats d'apprentissage en hausse ou en baisse par rapport à leurs semaines précédentes.",
    steady_formats="Stables (sujets de la semaine)",
    signals="Signaux faibles",
    signals_intro="Des thèmes nouveaux et encore discrets, vus dans au moins deux sources.",
    health="Santé des sources",
    health_intro="Ces flux ont posé problème cette semaine : à vérifier dans feeds.yaml.",
    read="Lire",
    source_one="source",
    source_many="sources",
    status_new="nouveau",
    status_rising="en hausse",
    status_fading="en baisse",
    keywords="Mots-clés",
    empty_title="Semaine calme",
    empty_body="Aucun nouveau sujet n'a été publié dans vos sources cette semaine.",
    footer="Digest construit par veille à partir de vos flux. Les liens mènent aux articles d'origine.",
    other_format="Autres formats",
    health_kinds=(
        ("gone", "supprimé (410)"),
        ("moved", "déplacé"),
        ("error", "en erreur"),
        ("stale", "silencieux"),
    ),
    brief="L'essentiel de la semaine",
    brief_rising_theme="Thème en hausse",
    brief_new_theme="Nouveau thème",
    brief_theme="Thème de la semaine",
    brief_story="Très repris",
    brief_format="Format en mouvement",
    brief_story_reason="repris par {sources}",
    quote_open="«\u00a0",
    quote_close="\u00a0»",
    emerging="Signaux émergents",
    emerging_intro=(
        "Des mots et des noms qui reviennent soudain dans plusieurs sources : souvent un sujet qui grandit "
        "à l'intérieur d'un thème que vous suivez déjà."
    ),
    signal_also="Aussi",
    signal_seen_in="voir «\u00a0{place}\u00a0»",
    signal_more=("autre sujet", "autres sujets"),
)

EN = Strings(
    language="en",
    colon=": ",
    default_title="Digital learning watch",
    week_word="week",
    week_heading="Week",
    week_abbrev="W",
    in_numbers="The week in numbers",
    trends="Trends",
    trends_intro="Themes rising or appearing this week.",
    formats="By learning format",
    formats_intro="The most widely covered stories, by format.",
    formats_moving="Formats on the move",
    formats_moving_intro="Learning formats rising or fading against their previous weeks.",
    steady_formats="Steady (stories this week)",
    signals="Weak signals",
    signals_intro="New themes, still small, seen in at least two sources.",
    health="Source health",
    health_intro="These feeds had problems this week: check them in feeds.yaml.",
    read="Read",
    source_one="source",
    source_many="sources",
    status_new="new",
    status_rising="rising",
    status_fading="fading",
    keywords="Keywords",
    empty_title="A quiet week",
    empty_body="No new story was published in your sources this week.",
    footer="Digest built by veille from your feeds. Links lead to the original articles.",
    other_format="Other formats",
    health_kinds=(
        ("gone", "gone (410)"),
        ("moved", "moved"),
        ("error", "failing"),
        ("stale", "stale"),
    ),
    brief="This week in brief",
    brief_rising_theme="Rising theme",
    brief_new_theme="New theme",
    brief_theme="Theme of the week",
    brief_story="Widely covered",
    brief_format="Format on the move",
    brief_story_reason="covered by {sources}",
    quote_open="“",
    quote_close="”",
    emerging="Emerging signals",
    emerging_intro=(
        "Words and names suddenly found in several sources: often a subject growing inside a theme you already follow."
    ),
    signal_also="Also",
    signal_seen_in="see “{place}”",
    signal_more=("more story", "more stories"),
)


def strings(language: str) -> Strings:
    """The strings of ``language``; anything but English falls back to French, the project's first reader."""
    return EN if language == "en" else FR


def month_short(month: int, language: str) -> str:
    return _MONTHS_SHORT["en" if language == "en" else "fr"][month - 1]


def day_label(day: date, language: str) -> str:
    """``ven. 27 nov.`` / ``Fri 27 Nov``: a date inside the digest's week, where the year goes without saying."""
    lang = "en" if language == "en" else "fr"
    return f"{_DAYS_SHORT[lang][day.weekday()]} {day.day} {month_short(day.month, lang)}"


def date_label(day: date, language: str) -> str:
    """``27 nov. 2026`` / ``27 Nov 2026``."""
    return f"{day.day} {month_short(day.month, language)} {day.year}"


def period_label(first: date, last: date, language: str) -> str:
    """A date range as people write it: ``23–29 nov. 2026``, ``30 nov. – 6 déc. 2026``, across years too."""
    if first.year != last.year:
        return f"{date_label(first, language)} – {date_label(last, language)}"
    if first.month != last.month:
        return f"{first.day} {month_short(first.month, language)} – {date_label(last, language)}"
    return f"{first.day}–{date_label(last, language)}"


def plural(count: int, one: str, many: str, language: str) -> str:
    """``count`` with the right noun: French takes the singular for 0 and 1, English only for 1."""
    singular = count in (0, 1) if language != "en" else count == 1
    return f"{count} {one if singular else many}"


def number(value: float, language: str) -> str:
    """A ratio with at most one decimal, French decimal comma included: ``2,5`` / ``2.5``; ``3`` stays ``3``."""
    rounded = round(value, 1)
    text = f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"
    return text.replace(".", ",") if language != "en" else text


# ------------------------------------------------------------------------------------- command line
# The command line's own sentences (``veille themes``, ``stats``, ``process``, ``run``, interruptions), in the
# configured ``digest.language``, or English when no configuration loads: one table, key -> (English, French),
# ``str.format`` fields filled by the CLI. A VeilleError is worded here when it carries a ``text_key``; the
# others stay English, whole lines (never a French prefix on an English message).

CLI_TEXT: dict[str, tuple[str, str]] = {
    "colon": (": ", " : "),
    "none": ("none", "aucun"),
    "theme": ("theme", "thème"),
    "themes": ("themes", "thèmes"),
    "story": ("story", "sujet"),
    "stories": ("stories", "sujets"),
    "source": ("source", "source"),
    "sources": ("sources", "sources"),
    "week": ("week", "semaine"),
    "weeks": ("weeks", "semaines"),
    "weak_signal": (" (weak signal)", " (signal faible)"),
    "themes_none": (
        "{week}: no themes (run `veille process` after `veille fetch`)",
        "{week} : aucun thème (lancez `veille process` après `veille fetch`)",
    ),
    "process_summary": (
        "{embedded} item(s) embedded, {tagged} tagged, {grouped} grouped into {stories_new} new story(ies), "
        "weeks clustered: {weeks}",
        "{embedded} article(s) vectorisé(s), {tagged} classé(s) par format, {grouped} regroupé(s) en "
        "{stories_new} nouveau(x) sujet(s), semaines regroupées en thèmes : {weeks}",
    ),
    "no_weeks": ("none", "aucune"),
    "week_range": ("{first} to {last} ({count})", "{first} à {last} ({count})"),
    "embedding": ("embedding", "vectorisation"),
    "run_status_ok": ("ok", "ok"),
    "run_status_partial": ("partial", "partiel"),
    "run_status_failed": ("failed", "échec"),
    "run_summary": ("veille run {status}: {parts}", "veille run {status} : {parts}"),
    "run_fetched": ("{fetched} feed(s) fetched ({failed} failed)", "{fetched} flux lu(s) ({failed} en échec)"),
    "run_new_items": ("{count} new item(s)", "{count} nouvel(aux) article(s)"),
    "run_embedded": ("{count} embedded", "{count} vectorisé(s)"),
    "run_digest_queued": ("digest {week} queued", "digest {week} en attente"),
    "run_digest_sent": ("digest {week} sent to {count}", "digest {week} envoyé à {count}"),
    "run_digest_archived": ("digest {week} archived", "digest {week} archivé"),
    "run_site": ("site {path}", "site {path}"),
    "stats_feeds": ("feeds", "flux"),
    "stats_feeds_failing": ("feeds failing", "flux en échec"),
    "stats_items": ("items", "articles"),
    "stats_sightings": ("sightings", "parutions"),
    "stats_stories": ("stories", "sujets"),
    "stats_embedded": ("embedded", "vectorisés"),
    "stats_classified": ("classified", "classés par format"),
    "stats_themes": ("themes", "thèmes"),
    "stats_formats": ("formats", "formats"),
    "stats_digests_built": ("digests built", "digests construits"),
    "stats_digests_sent": ("digests sent", "digests envoyés"),
    "init_wrote": ("wrote {path}", "{path} écrit"),
    "init_next": ("next: veille --config {path} fetch", "ensuite : veille --config {path} fetch"),
    "fetch_summary": (
        "{fetched} feed(s) fetched, {new} new item(s), {failed} failed",
        "{fetched} flux lu(s), {new} nouvel(aux) article(s), {failed} en échec",
    ),
    "feed_added": ("added {url} to {path}", "{url} ajouté à {path}"),
    "discover_unreachable": (
        "{url}: not reachable now ({reason}); added as given (`veille feeds check` tells whether it works)",
        "{url} : injoignable pour l'instant ({reason}) ; ajouté tel quel (`veille feeds check` dira s'il fonctionne)",
    ),
    "discover_found": (
        "{url} is a web page; its feed: {feed} ({kind}: {title})",
        "{url} est une page web ; son flux : {feed} ({kind} : {title})",
    ),
    "discover_guessed": (
        "{url} declares no feed; found one at {feed} ({kind}: {title})",
        "{url} ne déclare aucun flux ; trouvé à {feed} ({kind} : {title})",
    ),
    "discover_others": (
        "the page offers {count} other feed(s) (comments…): --choose lists them",
        "la page propose {count} autre(s) flux (commentaires…) : --choose les liste",
    ),
    "discover_which": ("Which feed", "Quel flux"),
    "feed_removed": ("removed {url} from {path}", "{url} retiré de {path}"),
    "feeds_checked": ("{checked} checked, {failing} failing", "{checked} vérifié(s), {failing} en échec"),
    "opml_imported": (
        "{found} feed(s) in {file}, {added} added to {path}",
        "{found} flux dans {file}, {added} ajouté(s) à {path}",
    ),
    "opml_exported": ("wrote {count} feed(s) to {file}", "{count} flux écrit(s) dans {file}"),
    "health_gone": ("GONE (410), retired", "DISPARU (410), retiré"),
    "health_failing": ("FAILING x{count}: {error}", "EN ÉCHEC x{count} : {error}"),
    "health_ok": ("ok, last success {when}", "ok, dernier succès {when}"),
    "health_never": ("never fetched", "jamais lu"),
    "health_stale": (", STALE (nothing new for a long time)", ", INACTIF (rien de neuf depuis longtemps)"),
    "health_moved": (" (moved from {url})", " (déplacé depuis {url})"),
    "digest_not_ended": (
        "--week {week} has not ended yet (it ends {end} UTC, now is {now} UTC): its digest can only be built "
        "once the week is over",
        "la semaine {week} n'est pas terminée (elle finit le {end} UTC, il est {now} UTC) : son digest ne peut "
        "être construit qu'une fois la semaine finie",
    ),
    "digest_rebuilt": ("digest {week} rebuilt and recorded", "digest {week} reconstruit et enregistré"),
    "digest_rebuilt_unsent": (
        "digest {week} rebuilt and recorded; nothing sent (--send sends it)",
        "digest {week} reconstruit et enregistré ; rien d'envoyé (--send l'envoie)",
    ),
    "digest_built": ("{subject}: {stories} story(ies) in the digest", "{subject} : {stories} sujet(s) dans le digest"),
    "digest_sent": (
        "digest {week} ({recorded}): sent to {sent}, already sent to {already}",
        "digest {week} ({recorded}) : envoyé à {sent}, déjà envoyé à {already}",
    ),
    "digest_recorded_now": ("recorded now", "enregistré maintenant"),
    "digest_recorded_before": ("recorded before", "déjà enregistré"),
    "digest_state_recorded": (
        "the digest of {week} is recorded (sent to {sent})",
        "le digest de {week} est enregistré (envoyé à {sent})",
    ),
    "digest_state_unrecorded": (
        "the digest of {week} is not recorded yet",
        "le digest de {week} n'est pas encore enregistré",
    ),
    "digest_dry_run": (
        "dry run, nothing recorded or sent: {state}; --send would send it to {count} recipient(s)",
        "essai, rien d'enregistré ni d'envoyé : {state} ; --send l'enverrait à {count} destinataire(s)",
    ),
    "digest_preview": (
        "preview only, nothing recorded or sent: {state}",
        "aperçu seulement, rien d'enregistré ni d'envoyé : {state}",
    ),
    "digest_preview_hint": (" (--send records and sends it)", " (--send l'enregistre et l'envoie)"),
    "week_in_progress": (" (week in progress)", " (semaine en cours)"),
    "run_crashed": (
        "unexpected failure ({kind}: {message}); details in {log}",
        "échec inattendu ({kind} : {message}) ; détails dans {log}",
    ),
    "error": ("veille: error: {message}", "veille : erreur : {message}"),
    "error_storage_path": (
        "storage.path {path}: cannot write there ({reason}); set storage.path in feeds.yaml to a folder veille "
        "can write, or fix that folder's permissions",
        "storage.path {path} : impossible d'y écrire ({reason}) ; indiquez dans feeds.yaml (storage.path) un "
        "dossier où veille peut écrire, ou corrigez les droits de ce dossier",
    ),
    "error_locked": (
        "another veille run is in progress ({holder}); lock file {path}",
        "une autre exécution de veille est en cours ({holder}) ; fichier de verrou {path}",
    ),
    "interrupted": (
        "veille: interrupted ({signal}); what was stored is kept: the next run resumes where this one stopped",
        "veille : interrompu ({signal}) ; ce qui est enregistré est conservé : la prochaine exécution reprend "
        "là où celle-ci s'est arrêtée",
    ),
    "internal_error": (
        "veille: internal error: {kind}: {message} (run again with --debug for the details, and please report it)",
        "veille : erreur interne : {kind} : {message} (relancez avec --debug pour le détail, et signalez-la)",
    ),
}


def cli_language(language: str | None) -> str:
    """The command line's language: the configured one, English when there is none."""
    return "fr" if language == "fr" else "en"


def cli_text(key: str, language: str | None, **fields: object) -> str:
    """The CLI sentence ``key`` in ``language`` (see ``CLI_TEXT``), its fields filled in."""
    english, french = CLI_TEXT[key]
    text = french if cli_language(language) == "fr" else english
    return text.format(**fields) if fields else text


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
