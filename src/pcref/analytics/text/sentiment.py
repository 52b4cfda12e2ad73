"""Suggested sentiment for feedback text: positive, neutral, negative or mixed."""

# VADER (Hutto & Gilbert, 2014; the `vaderSentiment` package, whose lexicon ships inside it,
# so it runs offline) scores each clause; a text with a clearly positive clause and a clearly
# negative one is "mixed", as in "the nurses were lovely but the food was cold". Without
# vaderSentiment a small hand-written word list stands in. A person confirms every suggestion.

import importlib.metadata
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

SENTIMENTS = ("positive", "neutral", "negative", "mixed")

# VADER's authors' cut-offs for the compound score; a clause counts towards "mixed" only
# when it is clearly one way (|compound| >= 0.3).
_POSITIVE_FROM = 0.05
_NEGATIVE_FROM = -0.05
_CLEAR_CLAUSE = 0.3

_CLAUSE_BREAK = re.compile(
    r"[.!?;\n]+|\b(?:but|however|although|though|except|whereas|apart from)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class SentimentSuggestion:
    """The suggested sentiment of one text.

    Attributes:
        label: "positive", "neutral", "negative" or "mixed".
        score: the overall compound score, -1 (most negative) to 1 (most positive).
        model_version: "vader-<version>" or "pcref-lexicon-1" (the fallback).
    """

    label: str
    score: float
    model_version: str


def suggest_sentiment(text: str) -> SentimentSuggestion:
    """The suggested sentiment of `text`.

    >>> suggest_sentiment("The staff were kind and I felt safe.").label
    'positive'
    >>> suggest_sentiment("The staff were kind, but the food was awful.").label
    'mixed'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string; got {type(text).__name__}")
    analyser = _vader()
    if analyser is None:
        return _lexicon_sentiment(text)
    text = _bounded(text, analyser.emojis)
    overall = analyser.polarity_scores(text)["compound"]
    clauses = [analyser.polarity_scores(c)["compound"] for c in _clauses(text)]
    label = _label(overall, clauses)
    version = f"vader-{_package_version('vaderSentiment') or 'unknown'}"
    return SentimentSuggestion(label, round(overall, 4), version)


def suggest_sentiments(texts: Sequence[str]) -> list[SentimentSuggestion]:
    """`suggest_sentiment` for each text."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of texts; wrap a single text in a list")
    return [suggest_sentiment(text) for text in texts]


# VADER's time grows with the square of a clause's length once emoji are spelt out as words (a
# public form takes 20,000 characters: 20,000 emoji would hold a request for minutes). A
# suggestion is scored on at most 20,000 characters, with at most this many emoji.
_MAX_SCORED_CHARACTERS = 20_000  # the public form's limit
_MAX_SCORED_EMOJI = 100


def _bounded(text: str, emojis) -> str:
    text, kept, seen = text[:_MAX_SCORED_CHARACTERS], [], 0
    for character in text:
        if character in emojis:
            seen += 1
            if seen > _MAX_SCORED_EMOJI:
                continue
        kept.append(character)
    return "".join(kept)


def _label(overall: float, clauses: list[float]) -> str:
    if clauses and max(clauses) >= _CLEAR_CLAUSE and min(clauses) <= -_CLEAR_CLAUSE:
        return "mixed"
    if overall >= _POSITIVE_FROM:
        return "positive"
    if overall <= _NEGATIVE_FROM:
        return "negative"
    return "neutral"


def _clauses(text: str) -> list[str]:
    return [part.strip() for part in _CLAUSE_BREAK.split(text) if part and part.strip()]


@lru_cache(maxsize=1)
def _vader():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    return SentimentIntensityAnalyzer()


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


# -- fallback: a tiny lexicon with negation --------------------------------------------------

_POSITIVE_WORDS = frozenset(
    "good great excellent brilliant fantastic amazing wonderful lovely kind caring helpful "
    "friendly polite respectful supportive happy pleased grateful thank thanks safe clean "
    "calm professional outstanding superb listened understood better best nice comfortable "
    "welcoming compassionate patient quick efficient recommend".split()
)
_NEGATIVE_WORDS = frozenset(
    "bad poor terrible awful appalling disgusting horrible rude dismissive unhelpful unkind "
    "ignored unsafe dirty scared frightened angry upset unhappy disappointed worse worst "
    "racist discriminated restrained late delay delayed waiting cold useless shocking "
    "unacceptable failed neglected hurt afraid lonely bored filthy uncomfortable".split()
)
_NEGATORS = frozenset("not no never nobody nothing cannot nor without".split())
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _lexicon_score(text: str) -> float:
    words = _WORD.findall(text.lower().replace("\u2019", "'").replace("n't", " not"))
    total = 0
    for index, word in enumerate(words):
        polarity = (word in _POSITIVE_WORDS) - (word in _NEGATIVE_WORDS)
        if polarity and _NEGATORS.intersection(words[max(0, index - 3) : index]):
            polarity = -polarity
        total += polarity
    return total / (abs(total) + 2)  # squashed into (-1, 1), like VADER's compound


def _lexicon_sentiment(text: str) -> SentimentSuggestion:
    overall = _lexicon_score(text)
    clauses = [_lexicon_score(clause) for clause in _clauses(text)]
    return SentimentSuggestion(_label(overall, clauses), round(overall, 4), "pcref-lexicon-1")
