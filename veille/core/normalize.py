"""From a parsed entry (as the feed gave it) to a normalised item (as veille stores it).

Pure functions of their inputs, ``now`` passed in. What each step guards against:

- canonical URL: the same article reached through ``?utm_source=…``, ``#comments``, ``:443`` or
  ``WWW.Example.org`` is one page, where copies of an article in several feeds meet;
- clean text and sanitised HTML: titles and summaries come with tags, entities, HTML escaped twice,
  scripts and mojibake (see ``core.sanitize``);
- dates: missing (first-seen time instead), in the future (clamped), absurdly old (1970 epochs);
- language: declared by the item or the feed, else detected from the text (py3langid);
- content hash: over stable fields only, so a refetch of an unchanged entry hashes the same;
- identity: an entry is known within its feed by its guid (else link + title, else its content), and
  two entries meet in one item only when they carry the same content (``same_content``): a canonical
  URL is shared by many posts of a blog page (``/2017/06/26.html#a080605``) or a news page.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from veille.core.sanitize import (
    clean_html,
    html_to_text,
    safe_url,
    strip_invisible,
    strip_invisible_markup,
    truncate_text,
)
from veille.models import NewItem, ParsedItem

SUMMARY_CHARS = 1000  # enough for the digest blurb and for embedding (title + ~500 chars)
FALLBACK_TITLE_CHARS = 100
FUTURE_TOLERANCE = timedelta(days=1)  # time zones and clock skew; beyond this a date is a lie
OLDEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)  # before the web: an epoch default or a typo
MIN_DETECT_CHARS = 20  # below this py3langid guesses
MIN_DETECT_PROBABILITY = 0.5
KEY_SEPARATOR = "\x1f"  # between the parts of an entry key (link, title, content hash)
# same_content: a title contained in another must be a real title, not "News" or "Podcast"
MIN_CONTAINED_TITLE_CHARS = 20
MIN_OVERLAP_WORDS = 5  # below this, word overlap says nothing
SAME_TEXT_OVERLAP = 0.6  # Jaccard of title + summary words from which two texts are one

# Query parameters that identify a campaign or a click, never the page itself.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hssc", "__hstc",
        "__hsfp", "hsctatracking", "mkt_tok", "ref", "ref_src", "ref_url", "referrer", "_ga", "_gl",
        "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "wickedid", "xtor", "xtref", "ncid",
        "sr_share", "cmpid", "spm", "s_cid", "ito", "guccounter", "guce_referrer", "guce_referrer_sig",
        "_branch_match_id",
    }
)  # fmt: skip
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "matomo_", "at_", "hsa_", "piwik_")
DEFAULT_PORTS = {"http": 80, "https": 443}


# --------------------------------------------------------------------------------------------------
# URLs


def _is_tracking(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """The URL two copies of one article share, or None when it is not an http(s) link.

    Scheme and host lower-cased, default port and fragment dropped, tracking parameters
    (``utm_*``, ``fbclid``, ``xtor``…) removed and the remaining query sorted; an empty path is "/".
    The path keeps its case and trailing slash: servers may treat them as different pages.
    """
    absolute = safe_url(url, base)
    if absolute is None:
        return None
    try:
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:  # a port that is not a number, an invalid IPv6 literal
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    query = sorted(
        (name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(name)
    )
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))


# --------------------------------------------------------------------------------------------------
# Dates


def normalize_date(published: datetime | None, now: datetime) -> datetime:
    """The date an item is filed under, in UTC.

    The feed's date when plausible; ``now`` (first seen) when missing, more than a day in the future
    (a feed announcing an event, a wrong time zone) or before 1990 (an epoch default).
    """
    now_utc = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    if published is None:
        return now_utc
    when = published.astimezone(UTC) if published.tzinfo else published.replace(tzinfo=UTC)
    if when > now_utc + FUTURE_TOLERANCE or when < OLDEST_PLAUSIBLE:
        return now_utc
    return when


# --------------------------------------------------------------------------------------------------
# Language

_LANG_TAG = re.compile(r"^\s*([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*\s*$")


def language_code(value: Any) -> str | None:
    """A declared language ("fr-FR", "en_us", "FR") as a 2-letter code, or None when unusable."""
    if not isinstance(value, str):
        return None
    match = _LANG_TAG.match(value)
    return match.group(1).lower() if match else None


Classify = Callable[[str], tuple[str, float]]
"""A language identifier: a text's most likely language code and its probability (``adapters.langid``
wraps py3langid's, whose model file it reads; core receives it loaded)."""


def detect_language(text: str, classify: Classify) -> str | None:
    """The language of ``text`` as a 2-letter code; None when the text is too short or ambiguous."""
    sample = text.strip()
    if len(sample) < MIN_DETECT_CHARS or sum(ch.isalpha() for ch in sample) < MIN_DETECT_CHARS // 2:
        return None
    lang, probability = classify(sample[:2000])
    if float(probability) < MIN_DETECT_PROBABILITY:
        return None
    return language_code(str(lang))


# --------------------------------------------------------------------------------------------------
# Keys and hashes


def _fold(text: str) -> str:
    """Case, Unicode form and spacing differences do not make a different story."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def entry_key(item: ParsedItem, *, title: str = "", summary: str = "") -> str:
    """A stable id of the entry within its feed: its guid, else its link + title, else a hash of its
    title, date and text.

    Never depends on the fetch time, so refetching the same entry finds the same sighting. The link
    alone is no id: a news page (``https://nixos.org/news.html``) may be the link of every entry.
    Entries of one feed that still share a key are told apart by ``distinct_entries``.
    """
    if item.entry_id and item.entry_id.strip():
        return item.entry_id.strip()
    text = title or html_to_text(item.title)
    if item.link and item.link.strip():
        return f"{item.link.strip()}{KEY_SEPARATOR}{text}" if text else item.link.strip()
    date = item.published.astimezone(UTC).isoformat() if item.published else ""
    body = "" if text else (summary or html_to_text(item.summary_html or item.content_html))
    return "sha1:" + hashlib.sha1(f"{text}\x1f{date}\x1f{body}".encode()).hexdigest()


def distinct_entries(items: Sequence[NewItem]) -> list[NewItem]:
    """One feed's batch with one key per distinct entry, in the feed's order.

    A feed may give one guid to two different posts (Scripting News reuses ``#a080631`` within a day)
    or one link and title to two news items. Entries sharing a key and a content hash are one entry
    given twice: the first is kept. Entries sharing a key with different content each get the key
    extended by their title, then, if still shared, by their content hash, so no entry's key depends
    on the order of the feed or on which other entry came first.
    """
    unique: list[NewItem] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        if (item.entry_key, item.content_hash) not in seen:
            seen.add((item.entry_key, item.content_hash))
            unique.append(item)
    for suffix in (lambda item: item.title, lambda item: item.content_hash[:16]):
        counts = Counter(item.entry_key for item in unique)
        unique = [
            replace(item, entry_key=_extended(item.entry_key, suffix(item))) if counts[item.entry_key] > 1 else item
            for item in unique
        ]
    return unique


def _extended(key: str, suffix: str) -> str:
    tail = f"{KEY_SEPARATOR}{suffix}"
    return key if key.endswith(tail) else key + tail


def content_hash(title: str, summary: str, canonical: str | None, anchor: str = "") -> str:
    """sha256 over the normalised title, summary and canonical URL: equal for an unchanged item.

    ``anchor``, the fragment of the entry's link, counts when there is one: two posts of one page
    (``26.html#a080605``, ``26.html#a080606``) with the same text are still two posts. A copy whose
    link has another anchor or none (``#comments``) meets the item on its URL and text instead."""
    parts = (_fold(title), _fold(summary), canonical or "") + ((anchor,) if anchor else ())
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def link_anchor(url: str | None) -> str:
    """The fragment of a link that names a place in the page ("" when it has none, cannot be read, or
    carries parameters such as ``#xtor=RSS-3`` or ``#utm_source=feed``: a campaign, not a post)."""
    try:
        fragment = urlsplit(url).fragment if url else ""
    except ValueError:
        return ""
    return "" if "=" in fragment or fragment.lower().startswith(TRACKING_PREFIXES) else fragment


# --------------------------------------------------------------------------------------------------
# Same content: may two entries that share a canonical URL be one item?

_WORD = re.compile(r"\w+")


def _words(text: str) -> frozenset[str]:
    return frozenset(word for word in _WORD.findall(_fold(text)) if len(word) > 2 or word.isdigit())


def text_overlap(a_title: str, a_summary: str, b_title: str, b_summary: str) -> float:
    """Jaccard overlap of the words of two entries' title and summary (0 when either has none)."""
    a_words, b_words = _words(f"{a_title} {a_summary}"), _words(f"{b_title} {b_summary}")
    if not a_words or not b_words:
        return 0.0
    return len(a_words & b_words) / len(a_words | b_words)


def distinct_anchors(a_url: str | None, b_url: str | None) -> bool:
    """Whether two links to one page name two different anchors of it: two posts of a page
    (``26.html#a080605`` and ``26.html#a030658``), whatever their text. A link without an anchor
    (``#comments`` on one copy only) says nothing."""
    a_anchor, b_anchor = link_anchor(a_url), link_anchor(b_url)
    return bool(a_anchor and b_anchor and a_anchor != b_anchor)


def same_content(a_title: str, a_summary: str, b_title: str, b_summary: str) -> bool:
    """Whether two entries that share a canonical URL carry the same piece of content.

    The same article in two feeds keeps its title but often not its summary (an excerpt in one, the
    start of the body in the other): equal titles, once case, Unicode form and spacing are folded,
    are enough; so is one title inside the other when the shorter is a real title (a site name
    appended, a category prefixed). Otherwise the words of title + summary must largely overlap.
    Two posts of one page (``/2017/06/26.html#a080605`` and ``#a030658``) share a URL, not a text.
    """
    a_fold, b_fold = _fold(a_title), _fold(b_title)
    if a_fold and a_fold == b_fold:
        return True
    shorter, longer = sorted((a_fold, b_fold), key=len)
    if len(shorter) >= MIN_CONTAINED_TITLE_CHARS and shorter in longer:
        return True
    a_words, b_words = _words(f"{a_title} {a_summary}"), _words(f"{b_title} {b_summary}")
    if min(len(a_words), len(b_words)) < MIN_OVERLAP_WORDS:
        return False
    return text_overlap(a_title, a_summary, b_title, b_summary) >= SAME_TEXT_OVERLAP


# --------------------------------------------------------------------------------------------------
# The item


def normalize_item(
    item: ParsedItem, *, feed_url: str, feed_lang: str | None, now: datetime, classify: Classify
) -> NewItem | None:
    """A parsed entry as a storable item, or None when the entry is empty. ``classify`` identifies the
    language of an entry that declares none, nor its feed (``adapters.langid.classify``).

    An entry with no title, no summary/content text and no http(s) link says nothing a reader could
    follow: it is dropped (None), not stored. A missing title is made from the start of the
    summary, else the link, so every stored item has a readable title.

    Invisible characters (soft hyphens, zero-width spaces and joiners, the byte-order mark, bidi
    controls: ``sanitize.strip_invisible``) are taken out of what is stored, after the entry's key and
    content hash are made from the text as veille always read it: an item stored before keeps its
    identity, so a re-fetch finds it rather than storing it again.
    """
    url = safe_url(item.link, feed_url)
    canonical = canonical_url(url)
    title = html_to_text(item.title)
    summary_source = item.summary_html or item.content_html
    summary = truncate_text(html_to_text(summary_source), SUMMARY_CHARS)
    if not summary and item.content_html and item.content_html != summary_source:
        summary = truncate_text(html_to_text(item.content_html), SUMMARY_CHARS)
    if not title and not summary and canonical is None:
        return None
    key = entry_key(item, title=title, summary=summary)
    if not title:
        title = truncate_text(summary, FALLBACK_TITLE_CHARS) if summary else str(url)

    identity = content_hash(title, summary, canonical, link_anchor(url))
    title, summary = strip_invisible(title), strip_invisible(summary)
    if not title:  # nothing but invisible characters
        title = truncate_text(summary, FALLBACK_TITLE_CHARS) if summary else str(url)

    page_base = safe_url(item.base, feed_url) or url or feed_url
    markup = strip_invisible_markup(clean_html(item.content_html or item.summary_html, page_base))
    lang = (
        language_code(item.lang)
        or language_code(feed_lang)
        or detect_language(f"{title}. {summary}" if summary else title, classify)
    )
    author = (strip_invisible(html_to_text(item.author)) or None) if item.author else None
    categories = tuple(
        dict.fromkeys(text for text in (strip_invisible(html_to_text(c)) for c in item.categories) if text)
    )
    return NewItem(
        entry_key=key,
        canonical_url=canonical,
        url=url,
        title=title,
        summary=summary,
        html=markup,
        author=author,
        categories=categories,
        published_at=normalize_date(item.published, now),
        lang=lang,
        content_hash=identity,
    )


__all__ = [
    "TRACKING_PARAMS",
    "canonical_url",
    "content_hash",
    "detect_language",
    "distinct_anchors",
    "distinct_entries",
    "entry_key",
    "language_code",
    "link_anchor",
    "normalize_date",
    "normalize_item",
    "same_content",
    "text_overlap",
]
