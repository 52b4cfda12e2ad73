"""Board reports and public annual reports (ADR 0009): the names the rest of the app uses."""

from pcref.insights.reports.errors import ReportFailed, ReportRefused
from pcref.insights.reports.presenters import (
    ReportPresenter,
    annual_report_page,
    file_name,
    published_report,
    report_list,
)
from pcref.insights.reports.runs import ReportChoices, report_choices, run_periods
from pcref.insights.reports.services import build_report, publish_report, queue_report

__all__ = [
    "ReportChoices",
    "ReportFailed",
    "ReportPresenter",
    "ReportRefused",
    "annual_report_page",
    "build_report",
    "file_name",
    "publish_report",
    "published_report",
    "queue_report",
    "report_choices",
    "report_list",
    "run_periods",
]
