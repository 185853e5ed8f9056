"""veille: an innovation watch for digital-learning managers."""

from veille.adapters import translations as _translations
from veille.core import i18n as _i18n

__version__ = "0.1.0"

# The reader's languages (gettext catalogs and CLDR locales) are loaded once per process, when core first
# needs one (the command line loads them first thing, to report a broken catalog in one line): importing
# veille reads no file. Core formats and words with them and never reads a file itself (see core.i18n).
_i18n.set_loader(_translations.languages)
