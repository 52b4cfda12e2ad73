"""Tests for suggested sentiment, on sentences written for these tests."""

import pytest

from pcref.analytics.text.sentiment import (
    SENTIMENTS,
    _lexicon_sentiment,
    suggest_sentiment,
    suggest_sentiments,
)

POSITIVE = [
    "The nurses were kind and caring, thank you so much.",
    "Brilliant support from the crisis team, I feel so much better.",
    "Everyone listened to me and I felt safe.",
]
NEGATIVE = [
    "Staff were rude and I was ignored for hours.",
    "The ward was dirty and I felt scared all the time.",
    "Terrible experience, nobody helped my son.",
]
MIXED = [
    "The doctor was lovely but the waiting time was awful.",
    "Great staff. The food was disgusting though.",
]
NEUTRAL = ["I was seen on the second floor.", "My appointment was on Tuesday."]


@pytest.mark.parametrize("text", POSITIVE)
def test_clearly_positive(text):
    suggestion = suggest_sentiment(text)
    assert suggestion.label == "positive"
    assert suggestion.score > 0.3
    assert suggestion.model_version.startswith("vader-")


@pytest.mark.parametrize("text", NEGATIVE)
def test_clearly_negative(text):
    suggestion = suggest_sentiment(text)
    assert suggestion.label == "negative"
    assert suggestion.score < -0.3


@pytest.mark.parametrize("text", MIXED)
def test_praise_and_complaint_together_is_mixed(text):
    assert suggest_sentiment(text).label == "mixed"


@pytest.mark.parametrize("text", NEUTRAL)
def test_plain_facts_are_neutral(text):
    assert suggest_sentiment(text).label == "neutral"


def test_many_texts_and_refused_input():
    labels = [s.label for s in suggest_sentiments([POSITIVE[0], NEGATIVE[0], ""])]
    assert labels == ["positive", "negative", "neutral"]
    assert set(labels) <= set(SENTIMENTS)
    with pytest.raises(TypeError, match="wrap a single text"):
        suggest_sentiments("one text")
    with pytest.raises(TypeError, match="must be a string"):
        suggest_sentiment(None)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (POSITIVE[0], "positive"),
        (NEGATIVE[0], "negative"),
        (MIXED[0], "mixed"),
        (NEUTRAL[0], "neutral"),
        ("The staff were not helpful.", "negative"),
        ("I wasn't scared at all.", "positive"),
    ],
)
def test_the_fallback_word_list_without_vader(text, label):
    suggestion = _lexicon_sentiment(text)
    assert suggestion.label == label
    assert suggestion.model_version == "pcref-lexicon-1"
