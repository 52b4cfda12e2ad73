"""The board report's headline disparities: the dashboard's overview of a year, controlled."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from pcref.analytics import disclosure
from pcref.analytics.disclosure import SUPPRESSED
from pcref.analytics.metrics.catalogue import is_proportion
from pcref.insights import charts, dashboard
from pcref.insights.dashboard import COMPARISON_GROUP
from pcref.insights.models import MetricRun
from pcref.insights.reports.errors import ReportFailed
from pcref.insights.reports.periods import financial_year_dates
from pcref.insights.reports.runs import results_file
from pcref.insights.reports.shown import (
    finite,
    shown_count,
    shown_figure,
    shown_proportion,
    shown_rate,
)

_HEADLINE_COLUMNS = [*dashboard.COLUMNS, "numerator", "denominator"]


@dataclass
class Headline:
    """One metric in the chosen period: its value for all people, the counts behind it, the
    largest ratio of a broad group to White that may be shown, and its SPC variation."""

    metric: str
    title: str
    unit: str
    period: str
    value: str
    lower: str
    upper: str
    counted: str
    comparison: dashboard.Comparison | None
    ratio_numbers: tuple | None
    variation: dashboard.Variation | None


@dataclass
class HeadlineSection:
    title: str
    rows: list[Headline] = field(default_factory=list)
    chart: charts.Chart | None = None


def headline_rows(run: MetricRun, period: str) -> list[dict]:
    """The whole-extract rows of a run for one financial year, its months and undated tables:
    all people and broad groups compared with White, with their counts (as the dashboard's
    `read_overview_rows`, narrowed to the period)."""
    path = results_file(run)
    if path is None:
        raise ReportFailed(
            _(
                "The results of the metric run on dataset version v%(number)04d are missing "
                "(no results.parquet in %(folder)s). Run the metrics again, then make the "
                "report again."
            )
            % {"number": run.dataset_number, "folder": run.results_path or _("no folder")}
        )
    start, _end = financial_year_dates(period)
    months = [
        f"{start.year + (start.month + step - 1) // 12}-{(start.month + step - 1) % 12 + 1:02d}"
        for step in range(12)
    ]
    table = pq.read_table(
        path,
        columns=_HEADLINE_COLUMNS,
        filters=[
            ("organisation", "=", "all"),
            ("service", "=", "all"),
            ("group_scheme", "in", ["all", "broad"]),
            ("period", "in", [period, "all", *months]),
        ],
    )
    return [
        row
        for row in table.to_pylist()
        if row["period_type"] in ("financial_year", "month", "extract")
        and (row["group_scheme"] == "all" or row["comparison_group"] == COMPARISON_GROUP)
    ]


def _ratio_hidden(row: dict, white: dict | None, people: dict) -> bool:
    """Whether a group's ratio to White must be hidden: any of its four counts below 5 (§3), a
    hidden rate either side, or, for restrictive interventions per bed days, D4."""
    if white is None or finite(row["ratio"]) is None:
        return True
    counts = [finite(row[name]) for name in ("numerator", "denominator")]
    reference = [finite(white[name]) for name in ("numerator", "denominator")]
    shown = disclosure.suppress_rate_ratio(*counts, *reference, row["ratio"])
    if shown in (None, SUPPRESSED):
        return True
    if row["metric"].startswith("RI1."):
        return any(
            disclosure.suppress_restraint_rate(
                finite((people.get(side["group"]) or {}).get("numerator")),
                finite(side["numerator"]),
                finite(side["denominator"]),
                1.0,
            )
            in (None, SUPPRESSED)
            for side in (row, white)
        )
    return False


def _people_rows(rows: list[dict]) -> dict[tuple, dict]:
    """People counts behind each restrictive-intervention rate (RI2's numerator), for D4."""
    return {
        (
            row["metric"].replace("RI2.", "RI1.", 1),
            row["period_type"],
            row["period"],
            row["group"],
        ): row
        for row in rows
        if row["metric"].startswith("RI2.")
    }


def disclosed_rows(rows: list[dict]) -> list[dict]:
    """The rows with every ratio that may not be shown removed, so that the dashboard's
    overview picks the largest ratio among those that may."""
    white = {
        (row["metric"], row["period_type"], row["period"]): row
        for row in rows
        if row["group_scheme"] == "broad" and row["group"] == COMPARISON_GROUP
    }
    people = _people_rows(rows)
    kept = []
    for row in rows:
        key = (row["metric"], row["period_type"], row["period"])
        if row["group_scheme"] == "broad" and row["group"] != COMPARISON_GROUP:
            people_of = {
                group: people.get((*key, group)) for group in (row["group"], COMPARISON_GROUP)
            }
            if _ratio_hidden(row, white.get(key), people_of):
                row = {**row, "ratio": None, "ratio_lower": None, "ratio_upper": None}
        kept.append(row)
    return kept


def _everyone_shown(row: dict, people_row: dict | None) -> tuple[str, str, str]:
    values = (row["value"], row["lower"], row["upper"])
    if row["metric"].startswith("RI1."):
        shown = disclosure.suppress_restraint_rate(
            finite((people_row or {}).get("numerator")),
            finite(row["numerator"]),
            finite(row["denominator"]),
            tuple(finite(value) for value in values),
        )
        return tuple(shown_figure(item, 1) for item in shown)
    if is_proportion(row["metric"]):
        return shown_proportion(row["numerator"], row["denominator"], values)
    return shown_rate(row["numerator"], row["denominator"], values)


def headlines(run: MetricRun, period: str) -> list[HeadlineSection]:
    """The dashboard's overview of the chosen financial year, disclosure-controlled."""
    rows = disclosed_rows(headline_rows(run, period))
    everyone = {}
    for row in rows:
        if row["group_scheme"] == "all" and row["period_type"] in ("financial_year", "extract"):
            # A dated metric uses the financial year; an undated one (mhs001) the whole extract.
            if row["period_type"] == "financial_year" or row["metric"] not in everyone:
                everyone[row["metric"]] = row
    people = _people_rows(rows)
    sections = []
    for position, section in enumerate(dashboard.overview(rows), 1):
        shown = HeadlineSection(section.title)
        for metric_row in section.rows:
            row = everyone[metric_row.metric]
            value, lower, upper = _everyone_shown(
                row, people.get((row["metric"], row["period_type"], row["period"], "all"))
            )
            ratio = _ratio_numbers(rows, metric_row, row)
            shown.rows.append(
                Headline(
                    metric=metric_row.metric,
                    title=metric_row.title,
                    unit=metric_row.unit,
                    period=metric_row.period,
                    value=value,
                    lower=lower,
                    upper=upper,
                    counted=_("%(numerator)s of %(denominator)s")
                    % {
                        "numerator": shown_count(row["numerator"]),
                        "denominator": shown_count(row["denominator"]),
                    },
                    comparison=metric_row.comparison,
                    ratio_numbers=ratio,
                    variation=metric_row.variation,
                )
            )
        shown.chart = _ratio_chart(position, shown)
        sections.append(shown)
    return sections


def _ratio_numbers(rows, metric_row, everyone_row) -> tuple | None:
    """The shown comparison's ratio and limits as numbers, for the chart."""
    if metric_row.comparison is None:
        return None
    group = next(
        (
            key
            for key, label in dashboard.BROAD_GROUPS.items()
            if str(label) == metric_row.comparison.group
        ),
        metric_row.comparison.group,
    )
    for row in rows:
        if (
            row["metric"] == metric_row.metric
            and row["period_type"] == everyone_row["period_type"]
            and row["period"] == everyone_row["period"]
            and row["group_scheme"] == "broad"
            and row["group"] == group
        ):
            return (row["ratio"], row["ratio_lower"], row["ratio_upper"])
    return None


def _ratio_chart(position: int, section: HeadlineSection) -> charts.Chart | None:
    compared = [row for row in section.rows if row.ratio_numbers is not None]
    if not compared:
        return None
    return charts.interval_chart(
        id=f"ratios-{position}",
        title=_("%(section)s: the largest ratio to White people of each measure")
        % {"section": section.title},
        unit=_("times the figure for White people"),
        rows=[(f"{row.title} ({row.comparison.group})", *row.ratio_numbers) for row in compared],
        reference=1.0,
        reference_label=_("Same as White people"),
        places=2,  # ratios, as ratio_figure shows them
    )
