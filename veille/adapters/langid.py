"""py3langid's language identifier: its model file is read here, once per process and only when a text
needs it, and ``core.normalize`` receives ``classify`` (core reads no file)."""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier


@cache
def identifier() -> LanguageIdentifier:
    """The identifier with py3langid's shipped model, probabilities normalised."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def classify(text: str) -> tuple[str, float]:
    """``text``'s most likely language (a code such as ``fr``) and its probability."""
    lang, probability = identifier().classify(text)
    return str(lang), float(probability)
