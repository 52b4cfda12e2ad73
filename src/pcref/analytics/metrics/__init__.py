"""Metric definitions and the PCREF metric catalogue (pcref.md §9); run them with
`pcref.analytics.engine.run_metrics`."""

from pcref.analytics.metrics.catalogue import CATALOGUE
from pcref.analytics.metrics.definitions import (
    BREAKDOWNS,
    COMPARISON_GROUPS,
    DENOMINATORS,
    STATISTICS,
    ComparisonGroup,
    Condition,
    MetricDefinition,
    standard_weights,
)

__all__ = [
    "BREAKDOWNS",
    "CATALOGUE",
    "COMPARISON_GROUPS",
    "DENOMINATORS",
    "STATISTICS",
    "ComparisonGroup",
    "Condition",
    "MetricDefinition",
    "standard_weights",
]
