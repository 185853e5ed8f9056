"""Helpers shared by the storage tests: small feeds to serve."""

from __future__ import annotations

from xml.sax.saxutils import escape


def rss(name: str, count: int, *, day: int = 24, words: str = "") -> bytes:
    """An RSS feed ``name`` with ``count`` items dated November ``day`` 2026 (hour i), newest first."""
    items = "".join(
        f"<item><title>{escape(name)} post {i}: {escape(words or 'learning news')}</title>"
        f"<link>https://{escape(name)}.example.org/posts/{i}</link><guid>{escape(name)}-{i}</guid>"
        f"<pubDate>Tue, {day:02d} Nov 2026 {i % 24:02d}:00:00 GMT</pubDate>"
        f"<description>{escape(words or 'Post')} {i} of {escape(name)}, about learning and teaching.</description>"
        "</item>"
        for i in range(count, 0, -1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(name)}</title><link>https://{escape(name)}.example.org/</link>{items}</channel></rss>"
    ).encode()
