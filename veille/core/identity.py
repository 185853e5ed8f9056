"""The identity of a feed URL and of a language tag: one rule for feeds.yaml, OPML and the CLI.

Pure functions over strings (no I/O): ``veille.config`` re-exports them for its callers.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def is_feed_url(url: str) -> bool:
    """True when ``url`` is an absolute http(s) URL with a host: the only kind veille fetches."""
    if not url or any(ch.isspace() for ch in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)


def feed_url_key(url: str) -> str:
    """The identity of a feed URL for duplicate checks.

    Scheme, host case and a trailing slash do not make a different feed: ``http://X.org/feed/`` and
    ``https://x.org/feed`` are the same source listed twice.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{path}{query}"


def normalize_lang(value: str) -> str | None:
    """``en-GB`` → ``en``; ``None`` when ``value`` is not a language tag (e.g. OPML's "unknown")."""
    value = value.strip()
    if not _LANG_RE.match(value) or value.lower() in ("unknown", "none", "und"):
        return None
    return re.split(r"[-_]", value)[0].lower()
