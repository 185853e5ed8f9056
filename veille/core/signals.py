"""Signals: key phrases whose weekly story counts burst, finer than themes.

A topic that grows inside a broad field (space news amid technology news, technology news amid
business news) is spread over the field's existing themes; none of them moves enough to be ``rising``.
Its words still do: "space station" goes from nothing to 2, 4, 6, 8 stories a week. This module applies
to terms (word unigrams and bigrams of each story's lead text, stop words left out) the same Poisson tests
that :mod:`veille.core.trends` applies to themes, and reports the terms that burst as *signals*, each with
the stories of the week that carry it.

Rules (``SignalRules``):

* counts are stories (document frequency), one story counting once per term;
* the expected count of a term is its share of the stories of the baseline weeks (weeks with no story at
  all are no evidence and are skipped) times this week's stories, so a busy week does not make every term
  burst; the spread is Poisson with the rate floored at one story, as for themes;
* a signal needs ``min_stories`` stories from ``min_sources`` distinct sources, the z-score and the ratio,
  also without the week's most prolific source (one chatty feed is no signal) — this week alone against
  the ``baseline_weeks`` before, or the last 2 to ``max_span`` weeks together against the weeks before
  them, as long as this week is at least their average: a ramp (2, 4, 6, 8 stories a week) is absorbed
  week by week by a trailing baseline, not by the weeks before it started;
* a term carried by more than ``max_share`` of the week's stories is the field's own vocabulary, and so is
  a term present in every week it is compared with and carried by at least ``field_share`` of their
  stories (document frequency across weeks: "formation" in a learning watch may double in a busy week, it
  is still no news);
* a term made only of generic words ("formation", "learning", "questions", "première"…, shipped in
  ``veille/data/signal_generic.txt``, read by ``adapters.taxonomy.signal_generic_words``) is never a
  signal: "tuteur ia" can be, "online learning" cannot;
* terms carried by mostly the same stories ("space", "space station", "nasa") are one signal.

``explain`` says why in numbers, ``display_term`` gives a term back its casing as the items write it.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from veille.core import i18n
from veille.core.i18n import number
from veille.core.labels import tokens
from veille.core.trends import source_count, volume_label


@dataclass(frozen=True)
class StoryTerms:
    """One story's presence in one ISO week: its distinct terms and the feeds that carried it."""

    story_id: int
    week: str
    feeds: frozenset[int]
    terms: frozenset[str]


@dataclass(frozen=True)
class SignalRules:
    baseline_weeks: int = 6
    min_baseline_weeks: int = 3
    min_stories: int = 4
    min_sources: int = 3
    z: float = 3.5
    ratio: float = 2.0
    max_share: float = 0.25
    overlap: float = 0.5
    max_signals: int = 8
    max_span: int = 4
    field_share: float = 0.05


DEFAULT_SIGNAL_RULES = SignalRules()


@dataclass(frozen=True)
class Signal:
    """Terms that burst together this week, the stories carrying them, and the numbers behind it."""

    terms: tuple[str, ...]
    stories: tuple[int, ...]
    sources: int
    reason: dict[str, int | float] = field(compare=False)

    @property
    def label(self) -> str:
        return ", ".join(self.terms)


@functools.cache
def is_generic(term: str, generic: frozenset[str]) -> bool:
    """True when every word of ``term`` is one of the ``generic`` words ("formation", "online learning")."""
    return all(word in generic for word in term.split())


def story_terms(text: str, stops: frozenset[str]) -> frozenset[str]:
    """The distinct lower-case unigrams and bigrams of a text, stop words, numbers and punctuation out."""
    toks = [t.lower() if t is not None else None for t in tokens(text, stops)]
    words = {t for t in toks if t is not None and len(t) >= 3}
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(toks) if a is not None and b is not None}
    return frozenset(words | pairs)


def _z(count: float, expected: float, weeks: int, baseline_weeks: int) -> float:
    """How far ``count`` (summed over ``weeks`` weeks) is above ``expected``, in Poisson spreads."""
    per_week = max(expected / weeks, 1.0)
    noise = math.sqrt(per_week * (weeks + weeks * weeks / max(baseline_weeks, 1)))
    return (count - expected) / noise


def detect(
    stories: Sequence[StoryTerms],
    week: str,
    weeks: Sequence[str],
    rules: SignalRules = DEFAULT_SIGNAL_RULES,
    *,
    generic: frozenset[str] = frozenset(),
) -> list[Signal]:
    """The signals of ``week`` from the stories of ``weeks`` (consecutive ISO weeks, oldest first, ending
    with ``week``), strongest first; a term made only of ``generic`` words is never one."""
    if not weeks or weeks[-1] != week:
        raise ValueError(f"the weeks must end with {week}")
    totals = {w: 0 for w in weeks}
    counts: dict[str, dict[str, int]] = {}
    current: dict[str, list[StoryTerms]] = {}
    for story in stories:
        if story.week == week:
            for term in story.terms:
                current.setdefault(term, []).append(story)
    for story in stories:
        if story.week not in totals:
            continue
        totals[story.week] += 1
        for term in story.terms & current.keys():  # only this week's terms can be signals
            per_week = counts.setdefault(term, {})
            per_week[story.week] = per_week.get(story.week, 0) + 1
    total = totals[week]
    if total == 0:
        return []
    found: list[tuple[float, str, list[StoryTerms], dict[str, int | float]]] = []
    for term, carriers in current.items():
        n = len(carriers)
        if n < rules.min_stories or n > rules.max_share * total or is_generic(term, generic):
            continue
        per_feed: dict[int, int] = {}
        for story in carriers:
            for feed in story.feeds:
                per_feed[feed] = per_feed.get(feed, 0) + 1
        if len(per_feed) < rules.min_sources:
            continue
        top = max(per_feed.values())
        reason = _test(counts[term], totals, weeks, n, top, rules)
        if reason is not None:
            reason["sources"] = len(per_feed)
            reason["this_week"] = n
            found.append((float(reason["z"]), term, carriers, reason))
    found.sort(key=lambda entry: (-entry[0], entry[1]))
    signals: list[tuple[list[str], set[int], set[int], dict[str, int | float]]] = []
    for _, term, carriers, reason in found:
        ids = {story.story_id for story in carriers}
        for terms, held, feeds, _reason in signals:
            if len(ids & held) >= rules.overlap * min(len(ids), len(held)):
                terms.append(term)
                held |= ids
                feeds.update(f for story in carriers for f in story.feeds)
                break
        else:
            if len(signals) < rules.max_signals:
                signals.append(([term], set(ids), {f for story in carriers for f in story.feeds}, reason))
    return [
        Signal(tuple(terms[:4]), tuple(sorted(held)), len(feeds), {**reason, "stories": len(held)})
        for terms, held, feeds, reason in signals
    ]


def _test(
    per_week: dict[str, int], totals: dict[str, int], weeks: Sequence[str], n: int, top: int, rules: SignalRules
) -> dict[str, int | float] | None:
    """The numbers of a term that bursts over the last 1 to ``rules.max_span`` weeks, None when it does not."""
    for span in range(1, rules.max_span + 1):
        recent = list(weeks[-span:])
        if n * span < sum(per_week.get(w, 0) for w in recent[:-1]) + n:
            break  # the current week is below the span's average: a burst that is over, not one going on
        before = [w for w in weeks[: len(weeks) - span][-rules.baseline_weeks :] if totals[w] > 0]
        if len(before) < rules.min_baseline_weeks:
            continue
        base_total = sum(totals[w] for w in before)
        rate = sum(per_week.get(w, 0) for w in before) / base_total
        if rate >= rules.field_share and all(per_week.get(w, 0) for w in before):
            continue  # in every week before, in many stories: the field's own vocabulary, not news
        expected = rate * sum(totals[w] for w in recent)
        count = n + sum(per_week.get(w, 0) for w in recent[:-1])
        z = _z(count, expected, span, len(before))
        z_others = _z(count - top, expected, span, len(before))
        ratio = count / max(expected, float(span))
        if z >= rules.z and z_others >= rules.z and ratio >= rules.ratio:
            return {
                "weeks": span,
                "count": count,
                "expected": round(expected, 2),
                "ratio": round(ratio, 2),
                "z": round(z, 2),
                "baseline_weeks": len(before),
            }
    return None


# --------------------------------------------------------------------------------------------------
# What the reader sees


def explain(reason: Mapping[str, int | float], lang: str) -> str:
    """Why a term is a signal, in numbers, from its stored ``reason``: ``7 sujets publiés par 4 sources cette
    semaine, contre 0,5 attendu au rythme des 6 semaines d'avant``. The numbers are those of its strongest
    term (the first of its label). Worded by the catalogs, in the reader's language (see ``core.i18n``)."""
    language = i18n.language(lang)
    ngettext, integer = language.ngettext, language.integer
    weeks = int(reason.get("weeks", 1))
    count = int(reason.get("count", reason.get("stories", 0)))
    now = int(reason.get("this_week", count if weeks == 1 else 0))
    sources = int(reason.get("sources", 0))
    expected = float(reason.get("expected", 0.0))
    before = int(reason.get("baseline_weeks", 0))
    if weeks == 1:
        head = language.gettext("{volume} this week").format(volume=volume_label(count, sources, lang))
    else:
        head = ngettext("{count} story in {weeks} weeks", "{count} stories in {weeks} weeks", count).format(
            count=integer(count), weeks=integer(weeks)
        )
        if now:
            head += ngettext(
                ", {count} of them this week from {sources}", ", {count} of them this week from {sources}", now
            ).format(count=integer(now), sources=source_count(sources, language))
    tail = ngettext("against {expected} expected", "against {expected} expected", expected).format(
        expected=number(expected, language.code)
    )
    if before:
        tail += ngettext(
            " at the pace of the {count} week before", " at the pace of the {count} weeks before", before
        ).format(count=integer(before))
    # TRANSLATORS: a signal's reason: what was seen ("7 stories … this week"), then what was expected.
    return language.gettext("{seen}, {expected}").format(seen=head, expected=tail)


_SENTENCE_START = re.compile(r"(?:^|[.!?:«\"“]\s*)$")


def display_term(term: str, summaries: Iterable[str], titles: Iterable[str] = ()) -> str:
    """``term`` (lower case) as the items write it: ``IA``, ``ChatGPT``, ``Orvane``, else lower case.

    A form with a capital after its first letter (an acronym, a brand) wins wherever it is found; otherwise
    the most common form inside a sentence of the summaries, since headlines capitalise every word in
    English and any first word."""
    pattern = re.compile(r"(?<![\w-])" + r"\s+".join(re.escape(w) for w in term.split()) + r"(?![\w-])", re.I)
    inner: Counter[str] = Counter()
    plain: Counter[str] = Counter()
    for source, texts in (("summary", summaries), ("title", titles)):
        for text in texts:
            for match in pattern.finditer(text or ""):
                form = " ".join(match.group().split())
                if any(ch.isupper() for word in form.split() for ch in word[1:]) or (len(form) > 1 and form.isupper()):
                    inner[form] += 1
                elif source == "summary" and not _SENTENCE_START.search(text[: match.start()]):
                    plain[form] += 1
    for counter in (inner, plain):
        if counter:
            return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return term
