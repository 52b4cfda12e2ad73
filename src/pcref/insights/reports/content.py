"""What each kind of report shows, gathered from its metric run, period and organisation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcref.analytics import disclosure
from pcref.analytics.disclosure import SUPPRESSED
from pcref.core.presenters import date_time
from pcref.feedback.models import YouSaidWeDidEntry
from pcref.insights import dashboard, experience, quality
from pcref.insights.dashboard import figure
from pcref.insights.models import MetricRun, Report
from pcref.insights.presenters_public import count_text
from pcref.insights.reports.errors import ReportFailed
from pcref.insights.reports.findings import public_findings
from pcref.insights.reports.headlines import headlines
from pcref.insights.reports.periods import period_words
from pcref.insights.reports.plan import board_plan, public_plan
from pcref.insights.reports.runs import results_file
from pcref.insights.reports.shown import (
    NO_FIGURE,
    percent_of,
    shown_count,
    shown_proportion,
)

HIGHLIGHTS = 6  # "You said, we did" entries in a report, newest first
REPRESENTATION_WORDS = {
    experience.UNDER: gettext_lazy("fewer than their share of the population"),
    experience.OVER: gettext_lazy("more than their share of the population"),
    experience.NO_CLEAR_DIFFERENCE: gettext_lazy("no clear difference from their share"),
}


@dataclass
class QualityLine:
    title: str
    period: str
    records: str
    completeness: tuple[str, str, str]
    not_stated: str
    not_known: str
    missing_or_invalid: str
    variation: dashboard.Variation | None
    worst_team: str


def quality_lines(run: MetricRun, period: str) -> list[QualityLine]:
    """Ethnicity recording per table (quality.summary), disclosure-controlled."""
    lines = []
    for table in quality.summary(run, period=period):
        records = table.records
        worst = ""
        if table.worst_teams:
            team = table.worst_teams[0]
            worst = _("%(team)s: %(percent)s%% of %(records)s records") % {
                "team": team.name,
                "percent": percent_of(
                    team.completeness.count, team.records, team.completeness.percent
                ),
                "records": shown_count(team.records),
            }
        missing_or_invalid = table.missing.count + table.invalid.count
        lines.append(
            QualityLine(
                title=table.title,
                period=table.period_label,
                records=shown_count(records),
                completeness=shown_proportion(
                    table.completeness.count,
                    records,
                    (
                        table.completeness.percent,
                        table.completeness.lower,
                        table.completeness.upper,
                    ),
                ),
                not_stated=percent_of(table.not_stated.count, records, table.not_stated.percent),
                not_known=percent_of(table.not_known.count, records, table.not_known.percent),
                missing_or_invalid=percent_of(
                    missing_or_invalid,
                    records,
                    missing_or_invalid / records * 100 if records else None,
                ),
                variation=table.variation,
                worst_team=worst,
            )
        )
    return lines


@dataclass
class ExperienceFigures:
    total: str
    positive: tuple[str, str, str]
    groups: list[dict]
    themes: list[dict]
    has_population: bool


def experience_figures(organisation, start: dt.date, end: dt.date) -> ExperienceFigures:
    """Feedback in the period by broad group (experience.summary), disclosure-controlled: the
    group counts with the total as one row, so a hidden count cannot be worked out (§3)."""
    summary = experience.summary(organisation, start, end)
    cells, _total = disclosure.suppress_table_row(
        [volume.count for volume in summary.volumes], total=summary.total
    )
    positive_of = {row.key: row for row in summary.positive}
    groups = []
    for volume, cell in zip(summary.volumes, cells, strict=True):
        if not volume.stated:
            share = (NO_FIGURE,) * 3  # not stated and not known belong to no group: no share
        elif cell == SUPPRESSED:
            share = (SUPPRESSED,) * 3  # hidden with its count, also by secondary suppression
        else:
            share = shown_proportion(
                volume.count, summary.stated, (volume.share, volume.share_lower, volume.share_upper)
            )
        representation = NO_FIGURE
        if volume.representation and SUPPRESSED not in share:
            representation = str(REPRESENTATION_WORDS[volume.representation])
        positive = positive_of[volume.key]
        groups.append(
            {
                "label": volume.label,
                "count": SUPPRESSED if cell == SUPPRESSED else count_text(cell),
                "share": share,
                "population_share": figure(volume.population_share)
                if volume.population_share is not None
                else NO_FIGURE,
                "representation": representation,
                "positive": (SUPPRESSED,) * 3
                if cell == SUPPRESSED
                else shown_proportion(
                    positive.positive,
                    positive.answered,
                    (positive.percent, positive.lower, positive.upper),
                ),
            }
        )
    themes = [
        {
            "group": group.label,
            "feedback": shown_count(group.feedback),
            "themes": [
                {
                    "label": theme.label,
                    "count": shown_count(theme.count),
                    "percent": shown_proportion(theme.count, group.feedback, (theme.percent,))[0],
                }
                for theme in group.themes
            ],
        }
        for group in summary.themes
        if group.feedback
    ]
    overall = summary.positive_overall
    return ExperienceFigures(
        total=shown_count(summary.total),
        positive=shown_proportion(
            overall.positive, overall.answered, (overall.percent, overall.lower, overall.upper)
        ),
        groups=groups,
        themes=themes,
        has_population=summary.population is not None,
    )


def you_said_we_did(organisation, start: dt.date, end: dt.date) -> list[dict]:
    """Published "You said, we did" entries of the period, newest first: summaries the trust
    wrote for the public, never anyone's own words."""
    zone = timezone.get_current_timezone()
    entries = (
        YouSaidWeDidEntry.objects.published()
        .filter(
            organisation=organisation,
            published_at__gte=timezone.make_aware(dt.datetime.combine(start, dt.time.min), zone),
            published_at__lte=timezone.make_aware(dt.datetime.combine(end, dt.time.max), zone),
        )
        .select_related("theme", "service_team")[:HIGHLIGHTS]
    )
    return [
        {
            "theme": entry.theme.name,
            "team": entry.service_team.name if entry.service_team else "",
            "you_said": entry.you_said,
            "we_did": entry.we_did,
            "published": date_format(timezone.localtime(entry.published_at), "j F Y"),
        }
        for entry in entries
    ]


def _about(report: Report) -> dict:
    run = report.run
    return {
        "trust": report.organisation.name,
        "period": report.period,
        "period_words": period_words(report.period),
        "dataset": f"v{run.dataset_number:04d}",
        "run": str(run.pk)[:8],
        "run_finished": date_time(run.finished_at),
        "version": f"v{report.version}",
        "made_by": report.created_by.get_full_name() or report.created_by.get_username(),
        "made_at": date_time(timezone.now()),
        "rules": disclosure.RULE_SET_VERSION,
    }


def board_content(report: Report) -> dict:
    """Everything the board report shows, from its run, period and organisation."""
    start, end = report.period_start, report.period_end
    return {
        "about": _about(report),
        "sections": headlines(report.run, report.period),
        "quality": quality_lines(report.run, report.period),
        "experience": experience_figures(report.organisation, start, end),
        "highlights": you_said_we_did(report.organisation, start, end),
        "plan": board_plan(report),
    }


def public_content(report: Report) -> dict:
    """Everything the public annual report shows: published, disclosure-controlled figures."""
    run = report.run
    if run.published_at is None:
        raise ReportFailed(
            _("The metric run on dataset version v%(number)04d is no longer published")
            % {"number": run.dataset_number}
        )
    if results_file(run) is None:
        raise ReportFailed(
            _(
                "The results of the metric run on dataset version v%(number)04d are missing "
                "(no results.parquet in %(folder)s). Run the metrics again, publish them, "
                "then make the report again."
            )
            % {"number": run.dataset_number, "folder": run.results_path or _("no folder")}
        )
    start, end = report.period_start, report.period_end
    about = _about(report)
    about["published_run"] = date_format(timezone.localtime(run.published_at), "j F Y")
    return {
        "about": about,
        "findings": public_findings(run, report.period),
        "experience": experience_figures(report.organisation, start, end),
        "highlights": you_said_we_did(report.organisation, start, end),
        "plan": public_plan(report),
    }


def report_content(report: Report) -> dict:
    """Everything the report shows, as its kind has it."""
    return board_content(report) if report.kind == Report.Kind.BOARD else public_content(report)
