"""Load the gettext catalogs and their CLDR locales, and install them in ``core.i18n``.

One catalog per language under ``veille/locale/<code>/LC_MESSAGES/veille.po`` (the sources, English
message ids), compiled to ``veille.mo`` beside it by ``make install`` (``pybabel compile``). A ``.mo``
older than its ``.po`` — or missing, as in a fresh checkout nobody has built — is compiled in memory from
the ``.po``, so the words shown are always those of the source catalog.

The locale for dates and numbers is the catalog's own translation of the message ``en_GB`` (context
``cldr-locale``): the French catalog says ``fr``; a German one would say ``de``. So a third language is one
new catalog and nothing else. Babel reads a locale's CLDR data lazily: it is loaded here, so core formats
dates and numbers without reading a file.

The catalogs are read once per process: ``veille.cli.main`` calls ``install()`` before any command (an
unreadable catalog is a ``ConfigError`` naming its file: one line and exit 1), and for any other entry point
(tests, benchmarks, the demo) ``import veille`` hands ``languages`` to core, which calls it when it first
needs a language. Importing veille reads no catalog.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from veille.core import i18n
from veille.errors import ConfigError

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "veille"


def available(directory: Path = LOCALE_DIR) -> tuple[str, ...]:
    """The language codes that have a catalog (``("en", "fr")``), sorted."""
    return tuple(
        sorted(
            path.parent.parent.name
            for path in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
            if path.is_file() or path.with_suffix(".mo").is_file()
        )
    )


def load_catalog(code: str, directory: Path = LOCALE_DIR) -> Translations:
    """The compiled catalog of ``code``: its ``.mo`` when it is up to date, else its ``.po`` compiled here."""
    po = directory / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    try:
        if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as handle:
                return Translations(handle, domain=DOMAIN)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=code, domain=DOMAIN, abort_invalid=True)
    except (OSError, PoFileError, ValueError) as exc:
        raise ConfigError(f"cannot read the {code!r} translations: {exc}", path=str(po)) from None
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def load_language(code: str, directory: Path = LOCALE_DIR) -> i18n.Language:
    """``code``'s catalog and CLDR locale, its data loaded (so that core never reads a file)."""
    catalog = load_catalog(code, directory)
    # TRANSLATORS: the CLDR locale of your language's dates and numbers (fr, de, pt_BR…), not a sentence.
    name = str(catalog.pgettext("cldr-locale", "en_GB"))
    try:
        locale = Locale.parse(name)
    except (UnknownLocaleError, ValueError) as exc:
        raise ConfigError(f"{name!r} is not a CLDR locale ({exc})", path=str(directory / code)) from None
    locale.number_symbols  # noqa: B018 - loads the whole CLDR data of the locale, once, here
    return i18n.Language(code=code, catalog=catalog, locale=locale, plural_rule=catalog.plural)


@lru_cache(maxsize=1)
def _languages(directory: Path) -> tuple[i18n.Language, ...]:
    return tuple(load_language(code, directory) for code in available(directory))


def languages(directory: Path = LOCALE_DIR) -> tuple[i18n.Language, ...]:
    """Every catalog of ``directory``, loaded once (a failed load is tried again, and fails again)."""
    return _languages(directory)


def install(directory: Path = LOCALE_DIR) -> tuple[str, ...]:
    """Load every catalog of ``directory`` and install it in ``core.i18n``; the installed codes."""
    languages = _languages(directory)
    i18n.install(languages)
    return tuple(lang.code for lang in languages)
