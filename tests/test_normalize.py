"""Normalising entries: canonical URLs, safe HTML, clean text, dates, language, keys and hashes."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.conftest import need_shared
from veille.adapters.langid import classify
from veille.core.normalize import (
    canonical_url,
    content_hash,
    detect_language,
    distinct_anchors,
    distinct_entries,
    normalize_date,
    normalize_item,
    same_content,
)
from veille.core.sanitize import clean_html, html_to_text, repair_mojibake, safe_url, truncate_text
from veille.models import NewItem, ParsedItem

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
FEED_URL = "https://www.example.fr/rss"


def entry(**fields: object) -> ParsedItem:
    base: dict[str, object] = {
        "entry_id": "urn:uuid:1",
        "link": "https://www.example.fr/2026/11/classe-inversee",
        "title": "La classe inversée à l’université",
        "summary_html": "<p>Retour d’expérience d’une équipe pédagogique sur la classe inversée.</p>",
        "content_html": None,
        "author": "Camille",
        "categories": ("pédagogie",),
        "published": datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        "lang": None,
    }
    base.update(fields)
    return ParsedItem(**base)  # type: ignore[arg-type]


def normalise(item: ParsedItem, feed_lang: str | None = None) -> NewItem | None:
    return normalize_item(item, feed_url=FEED_URL, feed_lang=feed_lang, now=NOW, classify=classify)


# --------------------------------------------------------------------------------------------------
# Canonical URLs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://WWW.Example.FR:443/Article?utm_source=rss&utm_medium=feed&id=7&fbclid=abc#comments",
            "https://www.example.fr/Article?id=7",
        ),
        ("http://example.org:80", "http://example.org/"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("https://example.org/a?z=1&a=2&gclid=x&mc_cid=1&mc_eid=2", "https://example.org/a?a=2&z=1"),
        (
            "https://example.org/a?igshid=1&ref=hn&ref_src=twsrc&_hsenc=p&_hsmi=2&yclid=3&msclkid=4",
            "https://example.org/a",
        ),
        ("https://www.lemonde.fr/article.html?xtor=RSS-3208&UTM_Campaign=x", "https://www.lemonde.fr/article.html"),
        ("https://example.org/search?q=a+b&page=2", "https://example.org/search?page=2&q=a+b"),
        ("javascript:alert(1)", None),
        ("ftp://example.org/file", None),
        ("mailto:someone@example.org", None),
        ("", None),
        (None, None),
        ("https://", None),
        ("http://[::1", None),
    ],
)
def test_canonical_url(url: str | None, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_resolves_relative_links() -> None:
    assert canonical_url("../b?utm_source=x#top", "https://example.org/dir/sub/feed") == "https://example.org/dir/b"


def test_same_article_with_and_without_tracking_is_one_item() -> None:
    plain = normalise(entry(link="https://www.example.fr/a", entry_id=None))
    tracked = normalise(entry(link="https://WWW.example.fr/a?utm_source=newsletter", entry_id=None))
    anchored = normalise(entry(link="https://WWW.example.fr/a?utm_source=newsletter#haut", entry_id=None))
    assert plain is not None and tracked is not None and anchored is not None
    assert plain.canonical_url == tracked.canonical_url == anchored.canonical_url
    assert plain.content_hash == tracked.content_hash
    # the anchor is part of the hash (two anchors of one page are two posts); the copy meets the
    # article on its canonical URL and its text
    assert not distinct_anchors(plain.url, anchored.url)
    assert same_content(plain.title, plain.summary, anchored.title, anchored.summary)


# --------------------------------------------------------------------------------------------------
# Sanitising


def test_scripts_event_handlers_and_javascript_links_never_survive() -> None:
    hostile = (
        '<p onclick="steal()">Bonjour <a href="javascript:alert(1)">lien</a> '
        '<a href=" jav&#x09;ascript:alert(2)">lien 2</a> <a href="JAVASCRIPT:alert(3)">3</a>'
        '<img src="x.png" onerror="alert(4)"><img src="javascript:alert(5)">'
        "<script>alert(6)</script><style>body{display:none}</style>"
        '<iframe src="https://evil.example/"></iframe><svg onload="alert(7)"><circle/></svg>'
        '<a href="data:text/html,<script>alert(8)</script>">data</a>'
        '<form action="https://evil.example/"><input name="password"></form></p>'
    )
    cleaned = clean_html(hostile, "https://www.example.fr/post/1")
    lowered = cleaned.lower()
    for needle in ("script", "onclick", "onerror", "onload", "alert", "<iframe", "<style", "<svg", "<form", "data:"):
        assert needle not in lowered, needle
    assert 'src="https://www.example.fr/post/x.png"' in cleaned
    assert "Bonjour" in cleaned


def test_the_script_injection_feed_title_is_defused() -> None:
    raw = need_shared("feeds", "edge", "fp_title_script_injection.xml").read_text(encoding="utf-8")
    escaped_title = raw.split('mode="escaped">', 1)[1].split("</title>\n</entry>", 1)[0]
    hostile = html.unescape(escaped_title)
    assert "<script" in hostile and "onload" in hostile  # the file really is hostile
    cleaned = clean_html(hostile, FEED_URL)
    for needle in ("<script", "onload", "onmouseover", "alert(", "executeMe();"):
        assert needle not in cleaned
    text = html_to_text(hostile)
    assert "alert(" not in text and "<" not in text
    assert "Did The Javascript Execute?" in text


def test_links_get_nofollow_and_only_web_or_mail_schemes() -> None:
    cleaned = clean_html(
        '<a href="https://a.example/x">web</a><a href="mailto:x@example.org">mail</a>'
        '<a href="ftp://a.example/">ftp</a><a href="/relative">rel</a>',
        "https://www.example.fr/blog/post",
    )
    assert '<a href="https://a.example/x" rel="nofollow noopener">web</a>' in cleaned
    assert 'href="mailto:x@example.org"' in cleaned
    assert "ftp:" not in cleaned
    assert 'href="https://www.example.fr/relative"' in cleaned


def test_relative_links_are_dropped_without_a_base() -> None:
    assert 'href="' not in clean_html('<a href="/relative">rel</a>', None)


def test_broken_html_is_balanced() -> None:
    cleaned = clean_html("<p>Un <b>gras <i>italique</p><ul><li>un<li>deux</ul><div>fin", None)
    assert cleaned.count("<b>") == cleaned.count("</b>") and cleaned.count("<li>") == cleaned.count("</li>")
    assert "<div>" not in cleaned and "fin" in cleaned


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x", "https://a.example/x"),
        ("  https://a.example/x y\n", "https://a.example/x%20y"),
        ("java\tscript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("vbscript:msgbox", None),
        ("data:text/html;base64,AAA", None),
        ("//cdn.example/img.png", "https://cdn.example/img.png"),
        ("img.png", "https://www.example.fr/blog/img.png"),
        ("http:///nohost", None),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url, "https://www.example.fr/blog/post") == expected


# --------------------------------------------------------------------------------------------------
# Text


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Un</p><p>deux</p>", "Un deux"),
        ("Caf&eacute; &amp; cr&egrave;me &#8217; &#x2014;", "Café & crème ’ —"),
        ("&lt;p&gt;HTML &lt;b&gt;échappé&lt;/b&gt; deux fois&lt;/p&gt;", "HTML échappé deux fois"),
        ("&amp;eacute;valuation", "évaluation"),
        ("  plusieurs \n\t espaces\u00a0insécables  ", "plusieurs espaces insécables"),
        ("<script>var x = '<p>no</p>';</script>visible<style>p{}</style>", "visible"),
        ("lâ€™ancien ministre a attirÃ© prÃ¨s dâ€™un millier", "l’ancien ministre a attiré près d’un millier"),
        ("a < b et c > d", "a < b et c > d"),
        ("", ""),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_mojibake_repair_leaves_correct_french_alone() -> None:
    correct = "À l’école, l’élève crée « son » propre parcours — déjà ça ! Ça coûte 5 €."
    assert repair_mojibake(correct) == correct
    assert repair_mojibake(correct.encode("utf-8").decode("cp1252")) == correct


def test_summary_is_cut_on_a_word_boundary() -> None:
    long_text = " ".join(["apprentissage"] * 200)
    item = normalise(entry(summary_html=f"<p>{long_text}</p>"))
    assert item is not None
    assert len(item.summary) <= 1000 and item.summary.endswith("apprentissage…")
    assert truncate_text("court", 1000) == "court"


def test_double_encoded_french_feed_comes_out_right() -> None:
    from veille.adapters.parse import parse_feed

    body = need_shared("feeds", "edge", "ch_lemonde_double_encoded.xml").read_bytes()
    parsed = parse_feed(body, "https://www.lemonde.fr/rss/une.xml", {})
    items = [
        normalize_item(e, feed_url="https://www.lemonde.fr/rss/une.xml", feed_lang=None, now=NOW, classify=classify)
        for e in parsed.items
    ]
    texts = " ".join(i.title + " " + i.summary for i in items if i)
    assert "Ã" not in texts and "â€" not in texts
    assert "l’ancien ministre a attiré près d’un millier" in texts


# --------------------------------------------------------------------------------------------------
# Dates


def test_dates() -> None:
    paris = timezone(timedelta(hours=1))
    assert normalize_date(datetime(2026, 11, 27, 10, 0, tzinfo=paris), NOW) == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert normalize_date(None, NOW) == NOW
    assert normalize_date(NOW + timedelta(hours=20), NOW) == NOW + timedelta(hours=20)  # time-zone slack
    assert normalize_date(NOW + timedelta(days=3), NOW) == NOW  # a future date is clamped
    assert normalize_date(datetime(1970, 1, 1, tzinfo=UTC), NOW) == NOW  # an epoch default
    assert normalize_date(datetime(2026, 11, 27, 12, 0), NOW).tzinfo == UTC  # naive is read as UTC


def test_item_dated_in_the_future_is_filed_now() -> None:
    item = normalise(entry(published=datetime(2031, 1, 1, tzinfo=UTC)))
    assert item is not None and item.published_at == NOW


# --------------------------------------------------------------------------------------------------
# Language


def test_language_item_then_feed_then_detected() -> None:
    assert normalise(entry(lang="en-GB"), feed_lang="fr").lang == "en"  # type: ignore[union-attr]
    assert normalise(entry(), feed_lang="FR_fr").lang == "fr"  # type: ignore[union-attr]
    assert normalise(entry()).lang == "fr"  # type: ignore[union-attr]
    english = entry(title="Microlearning at work", summary_html="How short lessons help employees learn on the job.")
    assert normalise(english).lang == "en"  # type: ignore[union-attr]


def test_too_little_text_has_no_language() -> None:
    assert detect_language("MOOC", classify) is None
    assert normalise(entry(title="LMS", summary_html="")).lang is None  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------------
# Keys, hashes, dropping


def test_entry_key_prefers_guid_then_link_and_title_then_a_hash() -> None:
    assert normalise(entry()).entry_key == "urn:uuid:1"  # type: ignore[union-attr]
    no_guid = normalise(entry(entry_id=None))
    assert no_guid is not None
    assert no_guid.entry_key == "https://www.example.fr/2026/11/classe-inversee\x1fLa classe inversée à l’université"
    # a news page that is the link of every entry: the titles tell the entries apart
    other_news = normalise(entry(entry_id=None, title="Un MOOC sur la classe inversée"))
    assert other_news is not None and other_news.entry_key != no_guid.entry_key
    untitled = normalise(entry(entry_id=None, title=None))
    assert untitled is not None and untitled.entry_key == "https://www.example.fr/2026/11/classe-inversee"
    no_link = normalise(entry(entry_id=None, link=None))
    again = normalize_item(
        entry(entry_id=None, link=None),
        feed_url=FEED_URL,
        feed_lang=None,
        now=NOW + timedelta(days=1),
        classify=classify,
    )
    assert no_link is not None and again is not None
    assert re.fullmatch(r"sha1:[0-9a-f]{40}", no_link.entry_key)
    assert no_link.entry_key == again.entry_key  # the fetch time does not change the key
    other_date = normalise(entry(entry_id=None, link=None, published=datetime(2026, 11, 1, tzinfo=UTC)))
    assert other_date is not None and other_date.entry_key != no_link.entry_key


def test_content_hash_covers_stable_fields_only() -> None:
    first = normalise(entry())
    refetched = normalize_item(
        entry(published=datetime(2026, 11, 28, 1, tzinfo=UTC), author="Someone else"),
        feed_url=FEED_URL,
        feed_lang=None,
        now=NOW + timedelta(days=2),
        classify=classify,
    )
    edited = normalise(entry(title="La classe inversée à l’université : bilan"))
    spaced = normalise(entry(title="  La classe   INVERSÉE à l’université "))
    assert first is not None and refetched is not None and edited is not None and spaced is not None
    assert first.content_hash == refetched.content_hash
    assert first.content_hash == spaced.content_hash
    assert first.content_hash != edited.content_hash
    assert content_hash("t", "s", None) != content_hash("t", "s", "https://a.example/")
    assert content_hash("t", "s", "https://a.example/", "a1") != content_hash("t", "s", "https://a.example/", "a2")
    assert content_hash("t", "s", "https://a.example/", "") == content_hash("t", "s", "https://a.example/")


def test_one_feed_may_reuse_a_guid_or_a_link_for_different_entries() -> None:
    # Scripting News gives the anchor #a080631 to two posts of 2017-06-25; nixos.org gives every news
    # item the link news.html, and two of them the title "NixOS progress report"
    morning = normalise(entry(entry_id="#a080631", title="Good morning Internet guzzlers!", summary_html=""))
    dropbox = normalise(entry(entry_id="#a080631", title="In 2015 I wrote that Dropbox…", summary_html=""))
    other = normalise(entry(entry_id="#a080606", title="So glad I stopped worrying", summary_html=""))
    news = [
        normalise(entry(entry_id=None, link="https://nixos.org/news.html", title=title, summary_html=text))
        for title, text in (
            ("NixOS progress report", "<p>March: the installer.</p>"),
            ("NixOS 18.09 released", "<p>Jellyfish.</p>"),
            ("NixOS progress report", "<p>June: Hydra.</p>"),
        )
    ]
    batch = [i for i in (morning, dropbox, other, *news) if i is not None]
    assert len(batch) == 6
    keyed = distinct_entries(batch)
    assert len({i.entry_key for i in keyed}) == 6
    assert keyed[2].entry_key == "#a080606"  # an entry whose key is its own keeps it
    assert [i.title for i in keyed] == [i.title for i in batch]  # the feed's order
    # the keys do not depend on the order of the feed, and a second read finds the same keys
    assert {i.entry_key for i in distinct_entries(batch[::-1])} == {i.entry_key for i in keyed}
    # the same entry given twice is one entry
    assert [i.entry_key for i in distinct_entries([morning, morning, other])] == ["#a080631", "#a080606"]  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        # the same post in Daring Fireball's Atom and JSON feeds: an excerpt in one, the body in the other
        (
            ("★ The 2017 iPad Pros", "The new iPad Pro hardware is almost too good to be true, but the real"),
            ("★ The 2017 iPad Pros", "I’ve spent the last week using a new 10.5-inch iPad Pro, and this is"),
            True,
        ),
        (("La classe  INVERSÉE", "a"), ("la classe inversée", "b"), True),
        (
            ("Le MOOC de l’année en formation continue", ""),
            ("Le MOOC de l’année en formation continue — Le Monde", "Un texte."),
            True,
        ),
        (
            ("", "Un atelier sur l’IA générative pour les formateurs de l’université de Lille, en mars"),
            ("Atelier IA", "Un atelier sur l’IA générative pour les formateurs de l’université de Lille"),
            True,
        ),
        # two posts of one day page of Scripting News
        (
            ("Good morning students and teachers!", "Good morning students and teachers!"),
            ("This is the human side of Health care is socialist.", "This is the human side of Health care"),
            False,
        ),
        (("News", "Une première nouvelle."), ("News feed", "Une autre."), False),
        (("Podcast", ""), ("", ""), False),
    ],
)
def test_same_content_is_the_same_title_or_most_of_the_words(
    a: tuple[str, str], b: tuple[str, str], same: bool
) -> None:
    assert same_content(*a, *b) is same
    assert same_content(*b, *a) is same


def test_two_anchors_of_one_page_are_two_posts_a_lone_anchor_is_not() -> None:
    page = "http://scripting.com/2017/06/26.html"
    assert distinct_anchors(f"{page}#a080605", f"{page}#a030658")
    assert not distinct_anchors(f"{page}#a080605", f"{page}#a080605")
    assert not distinct_anchors(f"{page}#comments", page)
    assert not distinct_anchors(None, f"{page}#a080605")
    assert not distinct_anchors("http://[::1/x#a", f"{page}#b")  # an unreadable link says nothing
    first = normalise(entry(link=f"{page}#a080605"))
    second = normalise(entry(link=f"{page}#a030658"))
    assert first is not None and second is not None
    assert first.canonical_url == second.canonical_url == page  # one page: copies elsewhere still meet on it


def test_empty_entries_are_dropped() -> None:
    assert normalise(entry(title=None, summary_html=None, link=None)) is None
    assert (
        normalise(entry(title="  ", summary_html="<p> </p>", content_html="<img src='x'>", link="javascript:x()"))
        is None
    )


def test_missing_title_is_made_from_the_summary_or_the_link() -> None:
    from_summary = normalise(entry(title=None, summary_html="<p>Un atelier sur l’IA générative en formation.</p>"))
    assert from_summary is not None and from_summary.title.startswith("Un atelier sur l’IA")
    from_link = normalise(entry(title=None, summary_html=None))
    assert from_link is not None and from_link.title == "https://www.example.fr/2026/11/classe-inversee"


def test_content_is_the_html_and_the_summary_the_text() -> None:
    item = normalise(
        entry(
            title="Podcast &amp; <em>pédagogie</em>",
            summary_html=None,
            content_html='<h2>Épisode 3</h2><p>Écouter <a href="/ep3">ici</a>.</p><script>x()</script>',
            categories=("Podcast", "<b>Audio</b>", "Podcast", ""),
        )
    )
    assert item is not None
    assert item.title == "Podcast & pédagogie"
    assert item.summary == "Épisode 3 Écouter ici."
    assert item.html == (
        '<h2>Épisode 3</h2><p>Écouter <a href="https://www.example.fr/ep3" rel="nofollow noopener">ici</a>.</p>'
    )
    assert item.categories == ("Podcast", "Audio")


def test_link_is_kept_only_when_it_is_a_web_link() -> None:
    item = normalise(replace(entry(), link="javascript:alert(1)"))
    assert item is not None and item.url is None and item.canonical_url is None


def test_a_campaign_fragment_is_not_a_post_anchor() -> None:
    """``#xtor=RSS-3`` on one feed's link and none on another's: one article, one content hash."""
    from veille.core.normalize import content_hash, link_anchor

    assert link_anchor("https://example.org/2026/post.html#xtor=RSS-3") == ""
    assert link_anchor("https://example.org/2026/post.html#utm_source=feed") == ""
    assert link_anchor("http://scripting.com/2026/11/26.html#a080605") == "a080605"
    canonical = "https://example.org/2026/post.html"
    tagged = content_hash("T", "S", canonical, link_anchor(f"{canonical}#xtor=RSS-3"))
    assert tagged == content_hash("T", "S", canonical, link_anchor(canonical))


def test_invisible_characters_leave_every_item_but_not_its_identity() -> None:
    from veille.core.normalize import content_hash

    item = normalise(
        entry(
            entry_id=None,
            title="La classe in\u00adver\u00adsée\u200d à l’université\u200f",
            summary_html="<p>Retour d’expé&shy;rience \u2067d’une équipe\u2069 pédagogique\ufeff.</p>",
            author="Ca\u00admille",
            categories=("péda\u00adgogie",),
        )
    )
    assert item is not None
    assert item.title == "La classe inversée à l’université"
    assert item.summary == "Retour d’expérience d’une équipe pédagogique ."  # the BOM was read as a space
    assert (item.author, item.categories) == ("Camille", ("pédagogie",))
    assert "\u00ad" not in item.html and "&shy;" not in item.html
    # the key and hash are those of the text as it came, as items stored before were keyed and hashed
    assert item.content_hash == content_hash(
        "La classe in\u00adver\u00adsée\u200d à l’université\u200f",
        "Retour d’expé\u00adrience \u2067d’une équipe\u2069 pédagogique .",
        item.canonical_url,
    )
    assert "in\u00adver\u00adsée" in item.entry_key


def test_items_stored_with_invisible_characters_read_clean_in_the_digest_and_the_site() -> None:
    from veille.core.digest import plain_text
    from veille.core.site.common import text

    stored = "E-\u00adlear\u00adning \u2066for\u2069 appren\u00adtices\u200d"
    assert plain_text(stored) == text(stored) == "E-learning for apprentices"
