"""The gettext catalogs: every message of the code and the templates is translated in every language, and
a new language's interface wording, dates, numbers and plurals are a new catalog, not a code change."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from tests.conftest import ROOT
from tests.test_digest_support import NOW, WEEK, make_settings, populate
from veille.adapters import translations
from veille.adapters.store import Store
from veille.app import make_app
from veille.config import load as load_config
from veille.core import i18n
from veille.core.radar import explain_format
from veille.core.site_i18n import radar_strings, site_strings
from veille.core.trends import TrendStatus, explain
from veille.jobs.digest import build_digest

LOCALE = ROOT / "veille" / "locale"
LANGUAGES = translations.available(LOCALE)


def extracted() -> dict[tuple[str | None, str], str]:
    """What `make messages` (pybabel extract with babel.cfg) finds: (context, message id) -> where."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[tuple[str | None, str], str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        one = message[0] if isinstance(message, tuple) else message  # a plural message by its singular
        if one:
            found.setdefault((context, one), f"{filename}:{lineno}")
    return found


def catalog(code: str) -> Catalog:
    with (LOCALE / code / "LC_MESSAGES" / "veille.po").open("rb") as handle:
        return read_po(handle, locale=code)


def fields(text: str) -> set[str]:
    return set(re.findall(r"\{(\w*)[^{}]*\}", text))


def test_french_and_english_catalogs_ship() -> None:
    assert set(LANGUAGES) >= {"fr", "en"}
    assert set(i18n.installed()) == set(LANGUAGES)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_of_the_code_and_templates_is_translated(code: str) -> None:
    in_code = extracted()
    assert len(in_code) > 150  # the extraction found the interface (not an empty walk)
    shipped = catalog(code)
    plurals = shipped.num_plurals
    entries = {(m.context, m.id[0] if m.pluralizable else m.id): m for m in shipped if m.id}
    missing = sorted(f"{where}: {key[1]!r}" for key, where in in_code.items() if key not in entries)
    assert missing == [], f"not in the {code} catalog (run `make messages`, then translate): {missing}"
    stale = sorted(repr(key[1]) for key in entries if key not in in_code)
    assert stale == [], f"in the {code} catalog but no longer in the code (run `make messages`): {stale}"
    for key, entry in entries.items():
        assert not entry.fuzzy, f"{code}: {key[1]!r} is marked fuzzy: check it"
        if entry.pluralizable:  # every plural form of the language, each with the message's {fields}
            forms = entry.string
            assert isinstance(forms, tuple) and len(forms) == plurals, f"{code}: {key[1]!r}"
            assert all(form.strip() for form in forms), f"{code}: {key[1]!r} misses a plural form"
            for form in forms:
                assert fields(form) == fields(entry.id[1]), f"{code}: {key[1]!r} -> {form!r}"
            continue
        assert isinstance(entry.string, str) and entry.string.strip(), f"{code}: {key[1]!r} has no translation"
        # a translation that drops or renames a {field} would fail when the sentence is printed
        assert fields(entry.string) == fields(entry.id), f"{code}: {key[1]!r} -> {entry.string!r}"


def test_the_words_are_the_catalogs_and_the_dates_the_readers_locale() -> None:
    assert i18n.strings("fr").trends == "Tendances" and i18n.strings("en").trends == "Trends"
    assert site_strings("fr").search == "Recherche" and site_strings("fr").search_button == "Chercher"
    assert i18n.cli_text("none", "fr") == "aucun" and i18n.cli_text("no_weeks", "fr") == "aucune"
    built = ("{subject}: {count} story in the digest", "{subject}: {count} stories in the digest")
    assert i18n.language("fr").ngettext(*built, 3).format(subject="S48", count=3) == "S48 : 3 sujets dans le digest"
    assert i18n.language("fr").ngettext(*built, 1).format(subject="S48", count=1) == "S48 : 1 sujet dans le digest"
    assert radar_strings("en").of_week.format(share="28%") == "28% of the week's stories"
    assert i18n.day_label(date(2026, 11, 27), "fr") == "ven. 27 nov."
    assert i18n.day_label(date(2026, 11, 27), "en") == "Fri 27 Nov"
    assert i18n.period_label(date(2026, 11, 23), date(2026, 11, 29), "fr") == "23–29 nov. 2026"
    assert i18n.period_label(date(2026, 11, 23), date(2026, 11, 29), "en") == "23–29 Nov 2026"
    assert i18n.number(1234.56, "fr") == "1234,6" and i18n.number(-0.25, "en") == "-0.2"
    assert i18n.plural(1, "source", "sources", "en") == "1 source"
    assert i18n.plural(2_000_000, "sujet", "sujets", "fr") == "2000000 sujets"
    # a language without a catalog: French for the reader's pages, English for the command line
    assert i18n.strings("pt").trends == "Tendances" and i18n.cli_text("none", "pt") == "none"


GERMAN_WORDS: dict[tuple[str | None, str | tuple[str, str]], str | tuple[str, str]] = {
    ("cldr-locale", "en_GB"): "de",
    (None, "The week in numbers"): "Die Woche in Zahlen",
    (None, "digest {week} sent to {count}"): "Digest {week} an {count} gesendet",
    (None, "By learning format"): "Nach Lernformat",
    (None, ("{count} source", "{count} sources")): ("{count} Quelle", "{count} Quellen"),
    (None, ("{count} story published by {sources}", "{count} stories published by {sources}")): (
        "{count} Beitrag von {sources} veröffentlicht",
        "{count} Beiträge von {sources} veröffentlicht",
    ),
    (None, ("{volume}, x{ratio} against its {count}-week average",) * 2): (
        "{volume}, x{ratio} gegenüber dem Schnitt der letzten {count} Woche",
        "{volume}, x{ratio} gegenüber dem Schnitt der letzten {count} Wochen",
    ),
}


@pytest.fixture
def german(tmp_path: Path) -> Iterator[Path]:
    """The shipped catalogs plus a German one, written as a translator begins one (a few messages
    translated, the others not yet there), installed for the test and the shipped ones put back after."""
    directory = tmp_path / "locale"
    shutil.copytree(LOCALE, directory, ignore=shutil.ignore_patterns("*.mo"))
    german = Catalog(locale="de", domain="veille")
    for (context, message), string in GERMAN_WORDS.items():
        german.add(message, string, context=context)
    (directory / "de" / "LC_MESSAGES").mkdir(parents=True)
    with (directory / "de" / "LC_MESSAGES" / "veille.po").open("wb") as handle:
        write_po(handle, german)
    yield directory
    translations.install()


def test_a_third_language_is_a_new_catalog(german: Path) -> None:
    assert translations.install(german) == ("de", "en", "fr")
    assert i18n.strings("de").in_numbers == "Die Woche in Zahlen"
    assert i18n.cli_text("run_digest_sent", "de", week="2026-W48", count=3) == "Digest 2026-W48 an 3 gesendet"
    # dates, numbers and plurals in German, from CLDR: nothing in the code knows German
    assert i18n.day_label(date(2026, 11, 27), "de") == "Fr., 27. Nov."
    assert i18n.period_label(date(2026, 11, 30), date(2026, 12, 6), "de") == "30. Nov. – 6. Dez. 2026"
    assert i18n.number(2.5, "de") == "2,5"
    assert i18n.plural(0, "Quelle", "Quellen", "de") == "0 Quellen"


def test_a_catalog_edited_after_its_build_is_read_from_its_source(tmp_path: Path) -> None:
    directory = tmp_path / "locale"
    shutil.copytree(LOCALE, directory)
    po = directory / "fr" / "LC_MESSAGES" / "veille.po"
    edited = catalog("fr")
    edited.get("Trends").string = "Tendances du moment"
    with po.open("wb") as handle:
        write_po(handle, edited)
    assert translations.load_catalog("fr", directory).gettext("Trends") == "Tendances du moment"
    po.with_suffix(".mo").unlink(missing_ok=True)  # never built: the source is compiled in memory
    assert translations.load_catalog("fr", directory).gettext("Trends") == "Tendances du moment"


def test_a_third_language_writes_the_digest_and_its_reasons(german: Path, tmp_path: Path) -> None:
    """A German catalog translated in part: the digest's headings, numbers, dates and trend reasons are
    German where the catalog says so, and English (the message ids) where it does not yet."""
    translations.install(german)
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - https://example.org/feed.xml\ndigest:\n  language: de\n", encoding="utf-8")
    settings = load_config(config)
    assert settings.digest.language == "de"
    assert settings.digest.title == "Digital learning watch"  # not translated yet: the English message id
    store = Store.open(tmp_path / ".veille" / "veille.db")
    try:
        populate(store)
        app = make_app(make_settings(tmp_path, language="de"), now=NOW, store=store)
        text = build_digest(app, WEEK).text_path.read_text(encoding="utf-8")
    finally:
        store.close()
    # the trend reason: German words and plurals from the catalog, German decimal mark from CLDR
    assert "6 Beiträge von 5 Quellen veröffentlicht, x4,0 gegenüber dem Schnitt der letzten 4 Wochen" in text
    assert "Die Woche in Zahlen" in text and "Nach Lernformat" in text
    assert "Di., 24. Nov." in text  # dates in German, from CLDR
    assert "Read: https://" in text  # a message the catalog lacks is the English message id
    # the French and English digests are unchanged by a third catalog
    assert explain_format(TrendStatus("steady", False, {"stories": 1, "sources": 1}), "fr") == (
        "1 sujet de 1 source\u00a0: ses premiers, sans semaine antérieure à laquelle les comparer"
    )


def test_a_fraction_takes_the_plural_form_its_language_gives_it() -> None:
    status = TrendStatus(
        "fading", False, {"stories": 2, "recent_mean": 1.5, "recent_weeks": 2, "earlier_mean": 4.0, "earlier_weeks": 6}
    )
    assert explain(status, "fr") == "1,5 sujet par semaine sur les 2 dernières semaines, contre 4,0 auparavant"
    assert explain(status, "en") == "1.5 stories a week over the last 2 weeks, against 4.0 before"


def _veille(package_root: Path, *args: str, cwd: Path, code: str = "") -> subprocess.CompletedProcess[str]:
    """``veille ARGS`` in a fresh process importing veille from ``package_root``."""
    script = code or "from veille.cli import main; main()"
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    return subprocess.run(
        [sys.executable, "-c", script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_broken_catalog_is_one_line_and_exit_1_from_the_command_line(tmp_path: Path) -> None:
    copy = tmp_path / "installed"
    shutil.copytree(ROOT / "veille", copy / "veille", ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    po = copy / "veille" / "locale" / "fr" / "LC_MESSAGES" / "veille.po"
    po.write_text(po.read_text(encoding="utf-8") + '\nmsgid "Trends"\nTendances\n', encoding="utf-8")  # no msgstr
    result = _veille(copy, "stats", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("veille: error: ") and str(po) in lines[0] and "'fr' translations" in lines[0]


def test_the_command_line_reads_each_catalog_once(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text("feeds:\n  - https://example.org/feed.xml\n", encoding="utf-8")
    count = (
        "import sys\n"
        "from veille.adapters import translations\n"
        "loaded = []\n"
        "load = translations.load_language\n"
        "translations.load_language = lambda code, *a: loaded.append(code) or load(code, *a)\n"
        "from veille.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print(sorted(loaded), file=sys.stderr)\n"
    )
    result = _veille(ROOT, "stats", cwd=tmp_path, code=count)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "['en', 'fr']"  # the config, the command and its words: one load
