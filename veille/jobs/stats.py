"""``veille stats``: one dictionary of counts, each stage adding its keys."""

from __future__ import annotations

from typing import Any

from veille.app import App
from veille.core.audiences import AUDIENCES


def collect(app: App) -> dict[str, Any]:
    """Counts a DLM (and a script) can rely on: feeds, feeds_failing, items, stories, …"""

    numbers: dict[str, Any] = dict(app.feeds.counts())
    understanding = app.store.items
    numbers["embedded"] = understanding.count_embedded(app.settings.model.key)
    numbers["classified"] = understanding.count_classified()
    numbers["off_topic"] = understanding.count_off_topic()  # of those, not about learning: no format
    numbers["themes"] = understanding.count_themes()
    numbers["formats"] = understanding.format_counts()
    # every audience, in their order, none left out: an item not processed yet has none
    stored = understanding.audience_counts()
    numbers["audiences"] = {audience: stored.get(audience, 0) for audience in AUDIENCES}
    numbers["digests_built"], numbers["digests_sent"] = app.store.digests.counts()
    return numbers
