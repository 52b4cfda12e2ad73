"""Suggested themes, sentiment and language for a piece of feedback; a person confirms them.

The text analysis itself is in `pcref.analytics.text` (no Django). This module chooses the
trained suggester if the trust has one (`pcref feedback train`), else the keyword fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from pcref.analytics.text import language, sentiment
from pcref.analytics.text.suggest import Suggestion, ThemeSuggester


@dataclass(frozen=True)
class Suggested:
    themes: list[Suggestion]
    sentiment: str
    model_version: str


@lru_cache(maxsize=1)
def _suggester(path: str, modified: float) -> ThemeSuggester:
    """The trust's trained suggester, reloaded when its file changes; else the fallback."""
    if modified:
        return ThemeSuggester.load(path)
    return ThemeSuggester()


def suggester() -> ThemeSuggester:
    path = settings.FEEDBACK_SUGGESTER_PATH
    modified = path.stat().st_mtime if path.exists() else 0.0
    return _suggester(str(path), modified)


def feedback_text(submission) -> str:
    """Everything the person wrote, as the suggester reads it."""
    parts = [
        submission.text,
        submission.cultural_needs,
        submission.family_involvement,
        submission.sharing_information,
    ]
    return "\n".join(part for part in parts if part)


def suggest(submission) -> Suggested:
    model = suggester()
    text = feedback_text(submission)
    themes = model.suggest([text], top_k=3)[0]
    return Suggested(
        themes=themes,
        sentiment=sentiment.suggest_sentiment(text).label,
        model_version=model.model_version,
    )


def detect_language(text: str) -> str:
    return language.detect_language(text).code
