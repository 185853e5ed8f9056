"""Interface strings of the static site in French and English.

The digest's table (``core.i18n``) gives the dates, plurals and the words both share; this one adds what
only the site prints (navigation, page headings, source health). Written out rather than read from a
locale for the same reason as the digest's: the reader's language is a setting, not the server's.
"""

from __future__ import annotations

from dataclasses import dataclass


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


FR = SiteStrings(
    language="fr",
    skip="Aller au contenu",
    nav_label="Navigation principale",
    home="Accueil",
    weeks="Semaines",
    themes="Thèmes",
    formats="Formats",
    sources="Sources",
    search="Recherche",
    search_label="Rechercher dans la veille",
    search_button="Chercher",
    search_hint="Titres, résumés, mots-clés, formats et sources ; plusieurs mots : tous doivent figurer.",
    search_none="Aucun sujet ne correspond.",
    search_one="1 sujet trouvé.",
    search_many="{n} sujets trouvés.",
    search_more="Les {n} plus récents sont affichés.",
    search_needs_js="La recherche a besoin de JavaScript ; les pages Semaines, Thèmes, Formats et Sources "
    "donnent accès à tous les sujets sans lui.",
    latest_digest="Dernier digest",
    no_digest_yet="Pas encore de digest pour cette semaine : voici ses thèmes.",
    read_digest="Lire le digest tel qu'il a été envoyé",
    recent_weeks="Semaines récentes",
    all_weeks="Toutes les semaines",
    week_numbers="La semaine en chiffres",
    in_digest="Dans le digest",
    everything_else="Tout le reste de la semaine",
    empty_week="Aucun sujet cette semaine.",
    empty_site="La veille est encore vide : lancez « veille run » pour lire vos flux.",
    source_problems="Incidents de sources cette semaine",
    previous_week="Semaine précédente",
    next_week="Semaine suivante",
    stories="Sujets",
    all_stories="Tous ses sujets",
    timeline="Sujets par semaine",
    chart_numbers="Les chiffres du graphique",
    keywords_over_time="Mots-clés au fil des semaines",
    week="Semaine",
    status="Statut",
    keywords="Mots-clés",
    count="Sujets",
    first_seen="Apparu",
    last_seen="Vu pour la dernière fois",
    theme="Thème",
    themes_intro="Les thèmes suivis de semaine en semaine, les plus récents d'abord.",
    formats_intro="Les formats d'apprentissage repérés dans les articles.",
    sources_intro="Vos flux, leur santé et leurs sujets.",
    weeks_intro="Chaque semaine de la veille, avec son digest et tous ses sujets.",
    before_watch="Avant le début de la veille",
    archives_intro=(
        "La veille a commencé le {date}. Les articles plus anciens, repris de l'historique des flux lors de "
        "leur première lecture, sont rangés par année."
    ),
    archive_label="Archives {year}",
    archive_intro=(
        "Articles publiés avant le début de la veille (le {date}), repris de l'historique des flux lors de "
        "leur première lecture, semaine par semaine."
    ),
    story_sources="Sources",
    original="article d'origine",
    health="Santé du flux",
    feed_url="Adresse du flux",
    website="Site",
    language_label="Langue",
    state="État",
    last_success="Dernière lecture réussie",
    last_new_item="Dernier nouvel article",
    last_error="Dernière erreur",
    failures="Échecs consécutifs",
    moved="Déplacé",
    events="Incidents",
    no_events="Aucun incident enregistré.",
    never="jamais",
    when="Date",
    detail="Détail",
    event_counts="Lectures réussies : {ok} ; sans changement : {nm} ; en erreur : {error}.",
    atom="Flux Atom des digests",
    footer="Site construit par veille à partir de vos flux. Les liens marqués ↗ mènent aux articles d'origine.",
    legend="Changements de statut",
    digest_word="digest",
    story_one="sujet",
    story_many="sujets",
    theme_one="thème",
    theme_many="thèmes",
    status_labels=(("new", "nouveau"), ("rising", "en hausse"), ("steady", "stable"), ("fading", "en baisse")),
    feed_states=(
        ("active", "actif"),
        ("gone", "supprimé (410)"),
        ("removed", "retiré de feeds.yaml"),
        ("stale", "silencieux"),
    ),
    event_kinds=(
        ("ok", "lu"),
        ("not_modified", "inchangé"),
        ("error", "erreur"),
        ("moved", "déplacé"),
        ("gone", "supprimé (410)"),
        ("stale", "silencieux"),
    ),
)

EN = SiteStrings(
    language="en",
    skip="Skip to content",
    nav_label="Main navigation",
    home="Home",
    weeks="Weeks",
    themes="Themes",
    formats="Formats",
    sources="Sources",
    search="Search",
    search_label="Search the watch",
    search_button="Search",
    search_hint="Titles, summaries, keywords, formats and sources; several words: all must match.",
    search_none="No story matches.",
    search_one="1 story found.",
    search_many="{n} stories found.",
    search_more="The {n} most recent are shown.",
    search_needs_js="Search needs JavaScript; the Weeks, Themes, Formats and Sources pages reach every story "
    "without it.",
    latest_digest="Latest digest",
    no_digest_yet="No digest for this week yet: here are its themes.",
    read_digest="Read the digest as it was sent",
    recent_weeks="Recent weeks",
    all_weeks="All weeks",
    week_numbers="The week in numbers",
    in_digest="In the digest",
    everything_else="Everything else this week",
    empty_week="No story this week.",
    empty_site="The watch is still empty: run “veille run” to read your feeds.",
    source_problems="Source problems this week",
    previous_week="Previous week",
    next_week="Next week",
    stories="Stories",
    all_stories="All its stories",
    timeline="Stories per week",
    chart_numbers="The chart's numbers",
    keywords_over_time="Keywords over the weeks",
    week="Week",
    status="Status",
    keywords="Keywords",
    count="Stories",
    first_seen="First seen",
    last_seen="Last seen",
    theme="Theme",
    themes_intro="Themes followed week over week, the most recent first.",
    formats_intro="Learning formats found in the items.",
    sources_intro="Your feeds, their health and their stories.",
    weeks_intro="Every week of the watch, with its digest and all its stories.",
    before_watch="Before the watch began",
    archives_intro=(
        "The watch began on {date}. Older articles, from the feeds' backlogs as they were first read, are "
        "grouped by year."
    ),
    archive_label="Archive {year}",
    archive_intro=(
        "Articles published before the watch began (on {date}), from the feeds' backlogs as they were first "
        "read, week by week."
    ),
    story_sources="Sources",
    original="original article",
    health="Feed health",
    feed_url="Feed address",
    website="Website",
    language_label="Language",
    state="State",
    last_success="Last successful fetch",
    last_new_item="Last new item",
    last_error="Last error",
    failures="Consecutive failures",
    moved="Moved",
    events="Problems",
    no_events="No problem recorded.",
    never="never",
    when="Date",
    detail="Detail",
    event_counts="Successful fetches: {ok}; unchanged: {nm}; failed: {error}.",
    atom="Atom feed of the digests",
    footer="Site built by veille from your feeds. Links marked ↗ lead to the original articles.",
    legend="Status changes",
    digest_word="digest",
    story_one="story",
    story_many="stories",
    theme_one="theme",
    theme_many="themes",
    status_labels=(("new", "new"), ("rising", "rising"), ("steady", "steady"), ("fading", "fading")),
    feed_states=(
        ("active", "active"),
        ("gone", "gone (410)"),
        ("removed", "removed from feeds.yaml"),
        ("stale", "stale"),
    ),
    event_kinds=(
        ("ok", "fetched"),
        ("not_modified", "unchanged"),
        ("error", "error"),
        ("moved", "moved"),
        ("gone", "gone (410)"),
        ("stale", "stale"),
    ),
)


def site_strings(language: str) -> SiteStrings:
    """The strings of ``language``; anything but English falls back to French, as the digest does."""
    return EN if language == "en" else FR


@dataclass(frozen=True)
class RadarStrings:
    """What the site's format radar prints (the formats page and each format's page)."""

    title: str
    intro: str  # {n}: weeks shown, {week}: the scored week, in words
    too_early: str  # {n}: weeks of watch so far, {need}: weeks needed
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


RADAR_FR = RadarStrings(
    title="Radar des formats",
    intro="Jusqu'à la {week} : pour chaque format d'apprentissage, ses sujets par semaine sur les {n} dernières "
    "semaines complètes, sa part des sujets de la semaine et son statut, calculé comme celui des thèmes.",
    too_early="Trop tôt pour juger : {n} semaine(s) de veille, il en faut {need} pour qu'un statut ait un sens.",
    heatmap="Sujets par format et par semaine ; plus la case est foncée, plus la part de la semaine est grande",
    heatmap_desc="{n} formats sur {weeks} semaines",
    legend="Part des sujets de la semaine",
    format="Format",
    this_week="Cette semaine",
    share="Part",
    weeks="{n} semaines",
    statuses="En hausse : nettement au-dessus de sa moyenne des semaines précédentes, porté par au moins "
    "3 sources ; en baisse : les deux dernières semaines à moins de la moitié d'avant ; stable : le reste.",
    carried_by="Les thèmes qui le portent",
    carried_intro="Les thèmes de ses sujets sur les {n} dernières semaines, du plus fréquent au moins fréquent.",
    no_themes="Aucun de ses sujets de ces semaines n'appartient à un thème.",
    all_time="Depuis le début de la veille",
    week_total="Sujets de la semaine",
    of_week="{share} des sujets de la semaine",
    spark="{label}, {first} – {last} : {counts}",
)

RADAR_EN = RadarStrings(
    title="Format radar",
    intro="Up to {week}: for each learning format, its stories per week over the last {n} complete weeks, "
    "its share of the week's stories and its status, scored as themes are.",
    too_early="Too early to tell: {n} week(s) of watch, {need} are needed before a status means anything.",
    heatmap="Stories per format and week; the darker the cell, the larger its share of the week",
    heatmap_desc="{n} formats over {weeks} weeks",
    legend="Share of the week's stories",
    format="Format",
    this_week="This week",
    share="Share",
    weeks="{n} weeks",
    statuses="Rising: well above its average of the previous weeks, carried by at least 3 sources; "
    "fading: the last two weeks under half of before; steady: anything else.",
    carried_by="Themes carrying it",
    carried_intro="The themes of its stories over the last {n} weeks, most frequent first.",
    no_themes="None of its stories of these weeks belongs to a theme.",
    all_time="Since the watch began",
    week_total="The week's stories",
    of_week="{share} of the week's stories",
    spark="{label}, {first} – {last}: {counts}",
)


def radar_strings(language: str) -> RadarStrings:
    return RADAR_EN if language == "en" else RADAR_FR
