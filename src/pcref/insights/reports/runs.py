"""The finished metric runs a report can be made from, and the financial years each covers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from pcref.core.presenters import date_time
from pcref.insights.models import MetricRun, Report

ACTIVITY_METRIC = "DQ1"


def results_file(run: MetricRun) -> Path | None:
    """The run's results.parquet, or None when it has none."""
    path = Path(run.results_path) / "results.parquet" if run.results_path else None
    return path if path is not None and path.is_file() else None


def run_periods(run: MetricRun) -> list[str]:
    """The financial years of a finished run's extract, newest first ([] without results).

    Those are the years with ethnicity recording results (DQ1, measured on every table of
    activity). Feedback answers can run on past the extract's last month, and a year of
    feedback alone would make a report with no disparities or data quality in it; a run with
    no DQ1 at all (a trust's own catalogue) offers every year it has.
    """
    path = results_file(run)
    if path is None:
        return []
    table = pq.read_table(
        path, columns=["metric", "period"], filters=[("period_type", "=", "financial_year")]
    )
    periods = table.column("period").to_pylist()
    activity = {
        period
        for metric, period in zip(table.column("metric").to_pylist(), periods, strict=True)
        if metric == ACTIVITY_METRIC
    }
    return sorted(activity or set(periods), reverse=True)


def runs_to_report_on(user, limit: int = 10) -> list[MetricRun]:
    """The finished metric runs with results that the user's organisation may report on,
    newest first."""
    runs = (
        MetricRun.objects.visible_to(user)
        .filter(status=MetricRun.Status.DONE)
        .exclude(results_path="")
        .order_by("-finished_at", "-created_at")[:limit]
    )
    return [run for run in runs if results_file(run) is not None]


@dataclass
class ReportChoices:
    """What the "make a report" form offers: metric runs, financial years, and defaults."""

    runs: dict[str, MetricRun]
    run_choices: list[tuple[str, str]]
    period_choices: list[tuple[str, str]]
    initial: dict


def report_choices(user) -> ReportChoices:
    """Runs to report on (newest first, each with its financial years) and every financial
    year any of them covers; by default a board report on the newest run's latest year."""
    runs = runs_to_report_on(user)
    periods = {str(run.pk): run_periods(run) for run in runs}
    run_choices = []
    for run in runs:
        label = _("Dataset version v%(number)04d, results of %(when)s: %(periods)s") % {
            "number": run.dataset_number,
            "when": date_time(run.finished_at),
            "periods": ", ".join(periods[str(run.pk)]) or _("no financial years"),
        }
        if run.published_at:
            label += " " + _("(published)")
        run_choices.append((str(run.pk), label))
    every_period = sorted({period for found in periods.values() for period in found}, reverse=True)
    initial = {"kind": Report.Kind.BOARD}
    if runs:
        initial["run"] = str(runs[0].pk)
        if periods[str(runs[0].pk)]:
            initial["period"] = periods[str(runs[0].pk)][0]
    return ReportChoices(
        runs={str(run.pk): run for run in runs},
        run_choices=run_choices,
        period_choices=[(period, period) for period in every_period],
        initial=initial,
    )
