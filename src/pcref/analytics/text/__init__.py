"""Text analysis for feedback: suggested themes and sentiment that a person confirms."""

# The public names below load their module on first use (PEP 562), so importing one text
# module (redaction, say) does not load the others.

import importlib

_PUBLIC = {
    "THEMES": "themes",
    "NHS_V6_THEMES": "themes",
    "PCREF_THEMES": "themes",
    "Theme": "themes",
    "theme_by_key": "themes",
    "theme_for_column": "themes",
    "key_for_column": "themes",
    "keyword_hits": "themes",
    "Suggestion": "suggest",
    "ThemeSuggester": "suggest",
    "nlp_available": "suggest",
    "SentimentSuggestion": "sentiment",
    "suggest_sentiment": "sentiment",
    "suggest_sentiments": "sentiment",
    "TrainReport": "train",
    "TrainingDataError": "train",
    "train_from_csv": "train",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
