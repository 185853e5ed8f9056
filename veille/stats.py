"""``veille stats``: one dictionary of counts, each stage adding its keys."""

from __future__ import annotations

from typing import Any

from veille.app import App


def collect(app: App) -> dict[str, Any]:
    """Counts a DLM (and a script) can rely on: feeds, feeds_failing, items, stories, …"""
    numbers: dict[str, Any] = dict(app.feeds.counts())
    return numbers
