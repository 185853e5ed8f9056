"""HTML adapter (selectolax): the ``<link>`` elements and ``<base href>`` of a page. Never touches the
network; never raises on broken markup (the Lexbor parser recovers as browsers do)."""

from __future__ import annotations

from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from veille.core.discover import LinkTag


def page_links(body: bytes, url: str) -> tuple[str, list[LinkTag]]:
    """The base URL relative links resolve against (``<base href>``, else ``url``) and the page's
    ``<link rel=… href=…>`` elements in document order."""
    tree = LexborHTMLParser(body)
    base = url
    base_node = tree.css_first("base[href]")
    if base_node is not None and base_node.attributes.get("href"):
        base = urljoin(url, base_node.attributes["href"] or "")
    links = [
        LinkTag(
            rel=node.attributes.get("rel") or "",
            type=node.attributes.get("type") or "",
            href=node.attributes.get("href") or "",
            title=node.attributes.get("title") or "",
        )
        for node in tree.css("link[rel][href]")
    ]
    return base, links
