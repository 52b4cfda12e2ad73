"""The audited changes to a report: queued, made (running, done or failed) and published."""

from __future__ import annotations

import hashlib
import logging
import shutil

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pcref.analytics import disclosure
from pcref.core import audit, storage
from pcref.insights.models import MetricRun, Report
from pcref.insights.reports.content import report_content
from pcref.insights.reports.errors import ReportFailed, ReportRefused
from pcref.insights.reports.periods import financial_year_dates
from pcref.insights.reports.render import make_pdf, render_documents, report_dir, scratch_dir, store
from pcref.insights.reports.runs import results_file, run_periods
from pcref.insights.rules import Perm

logger = logging.getLogger(__name__)

# A request only queues a report (`queue_report`); the worker makes it (`build_report`): it reads
# the metric run's results, applies disclosure control, renders one Jinja template to HTML and
# WeasyPrint turns that HTML into a PDF. Files go into a new folder per version, written in a
# scratch folder first and moved into place whole, so a failure leaves nothing half-written and
# no version is ever overwritten.

REPORT_ACTOR = "report"
AUDITED_FIELDS = ("status", "version", "bytes", "sha256", "published_at")


def queue_report(*, organisation, kind: str, run: MetricRun, period: str, by) -> Report:
    """Queue the next version of a report of one kind and financial year, from a finished run.

    A public report uses published figures only, so its run must be published (publication.py).

    Raises:
        PermissionDenied: the person may not make this organisation's reports.
        ReportRefused: naming the field and value: an unknown kind, a run that is not finished
            or not published, or a period the run has no results for.
    """
    from pcref.insights import tasks

    if not by.has_perm(Perm.MAKE_REPORTS, organisation) or run.organisation_id != organisation.pk:
        raise PermissionDenied
    if kind not in Report.Kind.values:
        raise ReportRefused(_("%(kind)s is not a kind of report") % {"kind": kind}, "kind")
    if run.status != MetricRun.Status.DONE or results_file(run) is None:
        raise ReportRefused(
            _("The metric run on dataset version v%(number)04d has no finished results")
            % {"number": run.dataset_number},
            "run",
        )
    if kind == Report.Kind.PUBLIC and run.published_at is None:
        raise ReportRefused(
            _(
                "A public report uses published figures only: the metric run on dataset "
                "version v%(number)04d is not published. Publish it first, or choose a "
                "published run"
            )
            % {"number": run.dataset_number},
            "run",
        )
    start, end = financial_year_dates(period)
    periods = run_periods(run)
    if period not in periods:
        raise ReportRefused(
            _(
                "The metric run on dataset version v%(number)04d has no results for "
                "%(period)s; it has %(periods)s"
            )
            % {"number": run.dataset_number, "period": period, "periods": ", ".join(periods)},
            "period",
        )
    for _attempt in range(5):  # two people asking at once: the unique version decides
        try:
            with transaction.atomic():
                latest = Report.objects.filter(
                    organisation=organisation, kind=kind, period=period
                ).aggregate(latest=Max("version"))["latest"]
                report = Report.objects.create(
                    organisation=organisation,
                    kind=kind,
                    run=run,
                    period=period,
                    period_start=start,
                    period_end=end,
                    version=(latest or 0) + 1,
                    created_by=by,
                )
                audit.record(
                    action="insights.report_queued",
                    by=by,
                    target=report,
                    after={"status": report.status, "version": report.version},
                    context={"kind": kind, "period": period, "run": str(run.pk)},
                )
                tasks.build_report.enqueue(str(report.pk))
            return report
        except IntegrityError:
            continue
    raise ReportRefused(_("Too many reports were asked for at once; try again"))


def publish_report(report: Report, *, by) -> Report:
    """Put a finished public report on the public site at /report/.

    Raises:
        PermissionDenied: the person may not make this organisation's reports.
        ReportRefused: the report is not a finished public report, is already published, or
            its metric run is no longer published.
    """
    if not by.has_perm(Perm.MAKE_REPORTS, report):
        raise PermissionDenied
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("run").get(pk=report.pk)
        if report.kind != Report.Kind.PUBLIC:
            raise ReportRefused(_("Only a public annual report is published on the website"))
        if report.status != Report.Status.DONE:
            raise ReportRefused(
                _("Only a finished report can be published; this one is “%(status)s”")
                % {"status": report.get_status_display()}
            )
        if report.published_at is not None:
            raise ReportRefused(_("This report is already published"))
        if report.run.published_at is None:
            raise ReportRefused(
                _("The metric run this report was made from is no longer published")
            )
        _change(report, by, published_at=timezone.now(), published_by=by)
    return report


def build_report(report_id) -> Report:
    """Make a queued report: its content, HTML and PDF, stored as a new version. Called by the
    worker; a failure marks the report failed with the reason and leaves no files."""
    with transaction.atomic():  # one worker takes a report: the row is locked while it does
        report = (
            Report.objects.select_for_update()
            .select_related("organisation", "run", "created_by")
            .get(pk=report_id)
        )
        if report.status != Report.Status.QUEUED:
            return report  # taken by another worker, or finished
        _change(report, REPORT_ACTOR, status=Report.Status.RUNNING, started_at=timezone.now())
    scratch = None
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _progress(report, _("Reading the results of the metric run"))
            content = report_content(report)
            _progress(report, _("Writing the report"))
            documents = render_documents(report, content)
            _progress(report, _("Making the PDF"))
            pdf, pages = make_pdf(documents["report.html"])
        _progress(report, _("Storing the files"))
        scratch, final = scratch_dir(report), report_dir(report)
        folder = store(scratch, final, {**documents, "report.pdf": pdf})
        scratch = None
    except Exception as error:
        logger.exception("report %s failed", report.pk)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        reason = (
            str(error) if isinstance(error, ReportFailed) else f"{type(error).__name__}: {error}"
        )
        if storage.is_disk_full(error):
            reason = storage.no_room(_("this report"))
        report.refresh_from_db()
        _change(
            report,
            REPORT_ACTOR,
            status=Report.Status.FAILED,
            failure=reason[:500],
            finished_at=timezone.now(),
        )
        return report
    report.refresh_from_db()
    _change(
        report,
        REPORT_ACTOR,
        status=Report.Status.DONE,
        html_path=str(folder / "report.html"),
        pdf_path=str(folder / "report.pdf"),
        bytes=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=pages,
        disclosure_rules=disclosure.RULE_SET_VERSION,
        progress_text="",
        finished_at=timezone.now(),
    )
    return report


def _progress(report: Report, step: str) -> None:
    Report.objects.filter(pk=report.pk).update(
        progress_text=str(step)[:200], updated_at=timezone.now()
    )


@transaction.atomic
def _change(report: Report, actor, **fields) -> None:
    """Save some fields of a report and audit the change of state."""
    before = {name: getattr(report, name) for name in AUDITED_FIELDS}
    for name, value in fields.items():
        setattr(report, name, value)
    report.save(update_fields=[*fields, "updated_at"])
    after = {name: getattr(report, name) for name in AUDITED_FIELDS}
    published = "published_at" in fields and "status" not in fields
    context = {"kind": report.kind, "period": report.period}
    if report.failure:
        context["failure"] = report.failure
    if report.disclosure_rules:
        context["disclosure_rules"] = report.disclosure_rules
    audit.record(
        action="insights.report_published" if published else f"insights.report_{report.status}",
        by=actor,
        target=report,
        before=before,
        after=after,
        context=context,
    )
