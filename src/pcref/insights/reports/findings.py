"""The public annual report's findings: each published measure of the year in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcref.analytics.disclosure import SUPPRESSED
from pcref.insights import dashboard, publication
from pcref.insights.models import MetricRun
from pcref.insights.presenters_public import count_text
from pcref.insights.reports.errors import ReportFailed
from pcref.insights.reports.shown import NO_FIGURE, shown_figure

DIRECTION_PLAIN = {
    "higher": gettext_lazy("higher than for White people"),
    "lower": gettext_lazy("lower than for White people"),
    "no clear difference": gettext_lazy("no clear difference from White people"),
}


@dataclass
class PublicFinding:
    """One public measure in plain words, from publication.published_rows (already controlled)."""

    metric: str
    title: str
    meaning: str
    unit: str
    numerator_label: str
    denominator_label: str
    everyone: dict | None
    groups: list[dict]
    differences: list[str]

    @property
    def for_everyone(self) -> str:
        """The figure for everyone in a sentence; "" when there is none."""
        shown = self.everyone
        if shown is None or shown["value"] == NO_FIGURE:
            return ""
        if shown["value"] == SUPPRESSED:
            return _("For everyone: the figure is hidden, because a count is small.")
        joined = "" if self.unit == "%" else " "  # 90.3%, but 106.1 per 100,000
        return _("For everyone: %(value)s%(unit)s (likely between %(lower)s and %(upper)s).") % {
            "value": shown["value"],
            "unit": joined + self.unit,
            "lower": shown["lower"],
            "upper": shown["upper"],
        }


def public_findings(run: MetricRun, period: str) -> list[PublicFinding]:
    """Each public measure of the financial year, in the words of publication.PUBLIC_METRICS."""
    try:
        rows = publication.published_rows(run, period_types=["financial_year"])
    except publication.PublicationRefused as refusal:
        raise ReportFailed(str(refusal)) from None
    by_metric: dict[str, list] = {}
    for row in rows:
        if row.period == period:
            by_metric.setdefault(row.metric, []).append(row)
    findings = []
    for metric_id, metric in publication.PUBLIC_METRICS.items():
        metric_rows = by_metric.get(metric_id)
        if not metric_rows:
            continue
        everyone, groups, differences = None, [], []
        for row in metric_rows:
            shown = {
                "group": str(dashboard.BROAD_GROUPS.get(row.group, row.group)),
                "numerator": count_text(row.numerator),
                "denominator": count_text(row.denominator),
                "value": shown_figure(row.value),
                "lower": shown_figure(row.lower),
                "upper": shown_figure(row.upper),
                "ratio": shown_figure(row.ratio, 2),
                "ratio_lower": shown_figure(row.ratio_lower, 2),
                "ratio_upper": shown_figure(row.ratio_upper, 2),
                "compared": row.comparison_group is not None,
                "direction": "",
            }
            if row.group == "all":
                everyone = shown
                continue
            if isinstance(row.ratio, float) and isinstance(row.ratio_lower, float):
                said = dashboard.direction(row.ratio_lower, row.ratio_upper)
                shown["direction"] = str(DIRECTION_PLAIN[said])
                if said != "no clear difference":
                    differences.append(
                        _(
                            "For %(group)s people the figure was %(ratio)s times the figure "
                            "for White people (likely between %(lower)s and %(upper)s times): "
                            "%(direction)s."
                        )
                        % {
                            "group": shown["group"],
                            "ratio": shown["ratio"],
                            "lower": shown["ratio_lower"],
                            "upper": shown["ratio_upper"],
                            "direction": shown["direction"],
                        }
                    )
            groups.append(shown)
        findings.append(
            PublicFinding(
                metric=metric_id,
                title=str(metric.title),
                meaning=str(metric.meaning),
                unit=str(metric.unit),
                numerator_label=str(metric.numerator),
                denominator_label=str(metric.denominator),
                everyone=everyone,
                groups=groups,
                differences=differences,
            )
        )
    return findings
