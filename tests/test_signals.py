"""Term-burst signals (core.signals): a sub-topic growing inside a field is caught by its words."""

from __future__ import annotations

import random

import pytest

from veille.adapters.stopwords import stop_words
from veille.adapters.taxonomy import signal_generic_words
from veille.core.signals import SignalRules, StoryTerms, detect, display_term, explain, is_generic, story_terms
from veille.core.weeks import previous_weeks

WEEK = "2026-W48"
WEEKS = [*previous_weeks(WEEK, 9), WEEK]
FIELD = ["market", "shares", "profit", "bank", "oil", "merger", "chip", "software", "retail", "earnings"]


def corpus(
    ramp: list[int], *, per_week: int = 40, feeds: int = 6, seed: int = 3, one_feed: bool = False
) -> list[StoryTerms]:
    """A steady field of business news, plus ``ramp[k]`` stories about a space station in week k."""
    rng = random.Random(seed)
    out: list[StoryTerms] = []
    story = 0
    for k, week in enumerate(WEEKS):
        for _ in range(per_week):
            story += 1
            words = frozenset(rng.sample(FIELD, 3))
            out.append(StoryTerms(story, week, frozenset({rng.randrange(feeds)}), words))
        for _ in range(ramp[k] if k < len(ramp) else 0):
            story += 1
            feed = 0 if one_feed else rng.randrange(feeds)
            out.append(
                StoryTerms(story, week, frozenset({feed}), frozenset({"space station", "space", rng.choice(FIELD)}))
            )
    return out


def test_a_sub_topic_ramping_inside_a_field_is_a_signal_with_its_stories() -> None:
    stories = corpus([0, 0, 0, 0, 0, 2, 4, 6, 8, 10])
    found = detect(stories, WEEK, WEEKS)
    assert len(found) == 1, found
    signal = found[0]
    assert set(signal.terms) == {"space", "space station"}  # one signal, not one per phrase
    ramp_ids = {s.story_id for s in stories if s.week == WEEK and "space" in s.terms}
    assert set(signal.stories) == ramp_ids
    assert signal.reason["z"] >= SignalRules().z


def test_a_steady_field_gives_no_signal() -> None:
    for seed in range(5):
        assert detect(corpus([0] * 10, seed=seed), WEEK, WEEKS) == []


def test_one_chatty_feed_is_no_signal() -> None:
    assert detect(corpus([0] * 9 + [10], one_feed=True), WEEK, WEEKS) == []


def test_a_burst_that_is_over_is_no_longer_a_signal() -> None:
    assert detect(corpus([0, 0, 0, 0, 0, 0, 8, 10, 1, 0]), WEEK, WEEKS) == []


def test_story_terms_keep_words_and_phrases_without_stop_words() -> None:
    terms = story_terms("The new space station opens, says NASA", stop_words())
    assert {"space", "station", "space station", "nasa"} <= terms
    assert "the" not in terms and "station opens" in terms  # stop words break no phrase they are not in


def test_the_weeks_must_end_with_the_week() -> None:
    with pytest.raises(ValueError, match="must end with"):
        detect([], WEEK, WEEKS[:-1])


# ------------------------------------------------------------------------------------------------ noise


def test_a_generic_word_riding_a_burst_is_not_a_signal_the_subject_is() -> None:
    """The space-station stories also say "formation" and "online learning": those words of the field never
    name a signal, the subject's own phrase does."""
    stories = [
        StoryTerms(s.story_id, s.week, s.feeds, s.terms | {"formation", "online", "learning", "online learning"})
        if "space" in s.terms
        else s
        for s in corpus([0, 0, 0, 0, 0, 2, 4, 6, 8, 10])
    ]
    generic = signal_generic_words()
    found = detect(stories, WEEK, WEEKS, generic=generic)
    terms = {t for signal in found for t in signal.terms}
    assert "space station" in terms
    assert not terms & {"formation", "online", "learning", "online learning"}
    assert is_generic("online learning", generic) and is_generic("formation", generic)
    assert not is_generic("tuteur ia", generic)


def field_word_corpus() -> list[StoryTerms]:
    """ "pharmacy" in 6 of every 106 stories, every week, then in 24 of 124 in a busy week, from 20 feeds."""
    out = corpus([0] * 10, per_week=100)
    story = 10_000
    for week in WEEKS:
        for n in range(24 if week == WEEK else 6):
            story += 1
            out.append(StoryTerms(story, week, frozenset({n % 20}), frozenset({"pharmacy", f"shop{story}"})))
    return out


def test_a_word_of_every_week_that_doubles_is_the_fields_vocabulary_not_a_signal() -> None:
    stories = field_word_corpus()
    assert "pharmacy" not in {t for s in detect(stories, WEEK, WEEKS) for t in s.terms}
    # the rule that keeps it out: without the document frequency across weeks, it would be a signal
    loose = SignalRules(field_share=1.0)
    assert "pharmacy" in {t for s in detect(stories, WEEK, WEEKS, loose) for t in s.terms}


# ------------------------------------------------------------------------------------------------ wording


def test_a_signal_says_why_in_numbers_in_both_languages() -> None:
    one = {"weeks": 1, "count": 7, "this_week": 7, "expected": 0.5, "baseline_weeks": 6, "sources": 4}
    assert explain(one, "fr") == (
        "7 sujets publiés par 4 sources cette semaine, contre 0,5 attendu au rythme des 6 semaines d'avant"
    )
    assert explain(one, "en") == (
        "7 stories published by 4 sources this week, against 0.5 expected at the pace of the 6 weeks before"
    )
    span = {**one, "weeks": 3, "count": 12, "expected": 2.4}
    assert explain(span, "fr").startswith("12 sujets en 3 semaines, dont 7 cette semaine publiés par 4 sources")
    assert explain(span, "en").endswith("against 2.4 expected at the pace of the 6 weeks before")


def test_a_term_is_written_as_its_items_write_it() -> None:
    assert display_term("nasa", ["The agency says nasa will"], ["NASA Opens Its Station"]) == "NASA"
    assert display_term("tuteur ia", ["Un tuteur IA pour chaque apprenant."]) == "tuteur IA"
    assert display_term("orvane", ["Après Orvane, les éditeurs suivent."]) == "Orvane"
    # a headline's capitals are not a name's ("Space Station Opens"), a sentence's first word neither
    assert display_term("space station", ["Space station crews train in VR."], ["Space Station Opens"]) == (
        "space station"
    )
