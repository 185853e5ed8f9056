"""veille: an innovation watch for digital-learning managers."""

from veille.adapters import translations as _translations

__version__ = "0.1.0"

# The reader's languages (gettext catalogs and CLDR locales), loaded once for whatever entry point imports
# veille: core formats and words with them and never reads a file (see core.i18n).
_translations.install()
