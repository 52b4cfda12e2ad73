"""Figures as a public output shows them: counts rounded to 5, small ones hidden."""

from __future__ import annotations

import math

from django.utils.formats import number_format

from pcref.analytics import disclosure
from pcref.analytics.disclosure import SUPPRESSED
from pcref.insights.dashboard import figure

# Board papers are published at public board meetings, so the board report is a public output
# too (disclosure-control.md §2): counts are rounded to 5 and counts below 5 shown as "*", and a
# value, interval or ratio built from such a count is hidden with it. Values, intervals and
# ratios are worked out by the engine from unrounded counts; reports only decide what shows.

NO_FIGURE = "–"


def shown_count(count) -> str:
    """A count as a public output shows it: "*" below 5, else to the nearest 5 (D1, D2)."""
    shown = disclosure.suppress_count(finite(count))
    if shown is None:
        return NO_FIGURE
    if shown == SUPPRESSED:
        return SUPPRESSED
    return number_format(shown, force_grouping=True)


def finite(number) -> float | None:
    """A number as a float, or None when it is missing, infinite or not a number."""
    if number is None:
        return None
    number = float(number)
    return number if math.isfinite(number) else None


def shown_rate(numerator, denominator, values, places: int = 1) -> tuple[str, ...]:
    """A value and its limits, hidden together when a count behind them is below 5 (D3)."""
    checked = tuple(finite(value) for value in values)
    shown = disclosure.suppress_rate(finite(numerator), finite(denominator), checked, decimals=None)
    return tuple(shown_figure(item, places) for item in shown)


def shown_proportion(part, whole, values, places: int = 1) -> tuple[str, ...]:
    """A share of a whole and its limits, hidden together when the part, the whole or the rest
    (whole − part) is below 5 (D3; the rest, as `disclosure.suppress_proportion`)."""
    checked = tuple(finite(value) for value in values)
    shown = disclosure.suppress_proportion(finite(part), finite(whole), checked, decimals=None)
    return tuple(shown_figure(item, places) for item in shown)


def percent_of(part, whole, percent) -> str:
    """A percentage of a count, hidden as `shown_proportion` hides it."""
    return shown_proportion(part, whole, (percent,))[0]


def shown_figure(value, places: int = 1) -> str:
    """A value already controlled: "*" when hidden, "–" when missing, else the figure."""
    if value is None:
        return NO_FIGURE
    if value == SUPPRESSED:
        return SUPPRESSED
    return figure(value, places)
