"""What the staff report pages and the public /report/ page show."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from markupsafe import Markup

from pcref.core.presenters import date_time
from pcref.insights.jobs import is_interrupted
from pcref.insights.models import Report
from pcref.insights.presenters import file_size
from pcref.insights.reports.periods import period_from_slug, period_slug


def published_reports(organisation):
    """The organisation's published public reports, newest first (none without a trust)."""
    if organisation is None:
        return Report.objects.none()
    return (
        Report.objects.filter(
            organisation=organisation,
            kind=Report.Kind.PUBLIC,
            status=Report.Status.DONE,
            published_at__isnull=False,
        )
        .select_related("organisation")
        .order_by("-period", "-published_at")
    )


def published_report(organisation, slug: str | None = None, version: int | None = None):
    """A published public report: the newest, or one financial year's version. None if none."""
    reports = published_reports(organisation)
    if slug is None:
        return reports.first()
    period = period_from_slug(slug)
    if period is None:
        return None
    return reports.filter(period=period, version=version).first()


def file_name(report: Report, file_format: str) -> str:
    """A download's name: the trust, kind, year and version, e.g. RT5-board-2024-25-v2.pdf."""
    owner = report.organisation.ods_code or "pcref"
    return f"{owner}-{report.kind}-{period_slug(report.period)}-v{report.version}.{file_format}"


@dataclass
class AnnualReportPage:
    """The public /report/ page: one published report as it was made, or none yet."""

    title: str
    report: Report | None = None
    body: Markup = Markup("")
    language: str = ""
    pdf_url: str = ""
    pdf_size: str = ""
    pages: int = 0
    published: str = ""
    others: list[dict] = field(default_factory=list)


def annual_report_page(organisation, slug: str | None = None, version: int | None = None):
    """The newest published public report (slug None), or one year's version; None when the
    address names no published report, or the site has no trust."""
    if organisation is None:
        return None
    report = published_report(organisation, slug, version)
    if report is None:
        if slug is not None:
            return None
        return AnnualReportPage(title=_("Our PCREF report"))
    body_file = Path(report.html_path).parent / "body.html"
    if not body_file.is_file():
        return None
    others = [
        {
            "text": _("%(period)s, version %(version)s, published %(when)s")
            % {
                "period": other.period,
                "version": other.version,
                "when": date_format(timezone.localtime(other.published_at), "j F Y"),
            },
            "href": reverse(
                "insights:annual_report_version", args=[period_slug(other.period), other.version]
            ),
        }
        for other in published_reports(organisation).exclude(pk=report.pk)
    ]
    return AnnualReportPage(
        title=_("Our Patient and Carer Race Equality Framework report, %(period)s")
        % {"period": report.period},
        report=report,
        body=Markup(body_file.read_text("utf-8")),  # our own rendered, escaped HTML
        language=settings.LANGUAGE_CODE,
        pdf_url=reverse(
            "insights:annual_report_pdf", args=[period_slug(report.period), report.version]
        ),
        pdf_size=file_size(report.bytes),
        pages=report.pages,
        published=date_format(timezone.localtime(report.published_at), "j F Y"),
        others=others,
    )


REPORT_TAG_CLASSES = {
    Report.Status.QUEUED: "nhsuk-tag--grey",
    Report.Status.RUNNING: "nhsuk-tag--blue",
    Report.Status.DONE: "nhsuk-tag--green",
    Report.Status.FAILED: "nhsuk-tag--red",
}


def _who(user) -> str:
    return user.get_full_name() or user.get_username() if user is not None else ""


class ReportPresenter:
    """One version of a report, as the staff list and its own page show it."""

    def __init__(self, report: Report):
        self.pk = report.pk
        self.kind = report.kind
        self.kind_text = report.get_kind_display()
        self.period = report.period
        self.version = f"v{report.version}"
        self.title = _("%(kind)s %(period)s, version %(version)s") % {
            "kind": self.kind_text,
            "period": report.period,
            "version": report.version,
        }
        self.status = report.status
        self.status_tag = {
            "text": report.get_status_display(),
            "classes": REPORT_TAG_CLASSES[report.status],
        }
        self.is_running = report.is_running
        self.interrupted = is_interrupted(report)  # its worker stopped part way (jobs.py)
        self.progress = report.progress_text
        self.dataset = f"v{report.run.dataset_number:04d}"
        self.run_pk = report.run_id
        self.run_finished = date_time(report.run.finished_at)
        self.who = _who(report.created_by)
        self.when = date_time(report.created_at)
        self.finished = date_time(report.finished_at)
        self.failure = report.failure
        self.size = file_size(report.bytes) if report.bytes else ""
        self.pages = report.pages
        self.sha256 = report.sha256
        self.rules = report.disclosure_rules
        self.is_done = report.status == Report.Status.DONE
        self.is_public = report.kind == Report.Kind.PUBLIC
        self.published = date_time(report.published_at)
        self.published_by = _who(report.published_by)
        self.can_be_published = self.is_public and self.is_done and not report.published_at
        self.public_url = (
            reverse(
                "insights:annual_report_version",
                args=[period_slug(report.period), report.version],
            )
            if self.is_public and report.published_at
            else ""
        )


def report_list(user) -> list[ReportPresenter]:
    """Every version of every report of the user's organisation, newest first."""
    reports = Report.objects.visible_to(user).select_related("run", "created_by", "published_by")
    return [ReportPresenter(report) for report in reports]
