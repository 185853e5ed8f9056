"""The French and English stop words shipped in ``veille/data`` (``stopwords_fr.txt``, ``stopwords_en.txt``).

The core never reads package data: the jobs load the lists here once and pass them to the core functions
that need them (``core.labels.keywords``, ``core.signals.story_terms``, ``core.clustering.story_names``,
``core.titles.theme_titles``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from veille.errors import ConfigError

FILES = ("stopwords_fr.txt", "stopwords_en.txt")


@cache
def stop_words() -> frozenset[str]:
    """French and English stop words, lower case, one set (a French word is rarely an English one)."""
    words: set[str] = set()
    for name in FILES:
        try:
            text = resources.files("veille").joinpath("data", name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"the shipped stop-word list veille/data/{name} cannot be read: {exc}") from exc
        words.update(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return frozenset(words)
