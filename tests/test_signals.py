"""Term-burst signals (core.signals): a sub-topic growing inside a field is caught by its words."""

from __future__ import annotations

import random

import pytest

from veille.core.signals import SignalRules, StoryTerms, detect, story_terms
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
    terms = story_terms("The new space station opens, says NASA")
    assert {"space", "station", "space station", "nasa"} <= terms
    assert "the" not in terms and "station opens" in terms  # stop words break no phrase they are not in


def test_the_weeks_must_end_with_the_week() -> None:
    with pytest.raises(ValueError, match="must end with"):
        detect([], WEEK, WEEKS[:-1])
