"""The main text of an article page, with trafilatura: HTML bytes in, plain text out.

Why trafilatura: it is the best-measured open-source main-text extractor (its own benchmark and
independent ones put it ahead of readability, newspaper and goose on news and blog pages), it handles
French and English pages alike, and it needs no browser. It is only imported when a feed asks for
``full_text``.

The page is hostile content: only trafilatura's *text* output is kept (never its HTML or XML output), with
comments, images and links left out, then control characters and any markup written as text in the page
(``&lt;img onerror=…&gt;``) are dropped; the digest and the site never
show it (they show the feed's excerpt), the analysis reads it. Every trafilatura or lxml failure becomes an
``ExtractError`` naming the page.
"""

from __future__ import annotations

import re

from veille.errors import ExtractError

# markup written as text in the page (``&lt;img onerror=…&gt;``) is not text a reader was meant to read
_MARKUP = re.compile(r"</?[A-Za-z!][^<>]{0,1000}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def extract_text(html: bytes | str, url: str) -> str:
    """The main text of the page at ``url`` (paragraphs on their own lines), '' when trafilatura finds
    none. Raises ``ExtractError`` when the page cannot be read at all."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a dependency of veille
        raise ExtractError(url, "trafilatura is not installed (pip install trafilatura)") from exc
    try:
        text = trafilatura.extract(
            html,
            url=url,
            output_format="txt",
            include_comments=False,
            include_images=False,
            include_links=False,
            include_formatting=False,
            include_tables=True,
            deduplicate=False,
        )
    except (ValueError, TypeError, LookupError, RecursionError, MemoryError) as exc:
        raise ExtractError(url, f"the page could not be read ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # lxml's own errors (XMLSyntaxError, ParserError…) have no common base here
        raise ExtractError(url, f"the page could not be read ({type(exc).__name__})") from exc
    return _MARKUP.sub(" ", _CONTROL.sub("", text or ""))
