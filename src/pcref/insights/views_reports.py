"""Report pages: staff list, make, progress, files and publish under /staff/insights/reports/,
and the public annual report at /report/ (ADR 0009)."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcref.core import queries as core_queries
from pcref.core.permissions import require_perm
from pcref.insights import jobs, reports
from pcref.insights.forms import ReportForm
from pcref.insights.models import Report
from pcref.insights.rules import Perm
from pcref.insights.views import _refreshing, _restarted


def _report(request, pk) -> Report:
    report = get_object_or_404(
        Report.objects.visible_to(request.user).select_related(
            "organisation", "run", "created_by", "published_by"
        ),
        pk=pk,
    )
    require_perm(request, Perm.VIEW_INSIGHTS, report)
    return report


@require_safe
def report_list(request):
    require_perm(request, Perm.VIEW_INSIGHTS, None)
    page = Paginator(reports.report_list(request.user), 50).get_page(request.GET.get("page"))
    context = {"page": page, "can_make": request.user.has_perm(Perm.MAKE_REPORTS, None)}
    return render(request, "insights/staff/reports.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def report_new(request):
    require_perm(request, Perm.MAKE_REPORTS, None)
    choices = reports.report_choices(request.user)
    form = ReportForm(request.POST if request.method == "POST" else None, choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            report = reports.queue_report(
                organisation=request.user.organisation,
                kind=form.cleaned_data["kind"],
                run=form.runs[form.cleaned_data["run"]],
                period=form.cleaned_data["period"],
                by=request.user,
            )
        except reports.ReportRefused as refusal:
            form.add_error(refusal.field, str(refusal))
        else:
            messages.success(request, _("The report is being made."))
            return redirect("insights_staff:report_detail", report.pk)
    return render(request, "insights/staff/reports-new.jinja", {"form": form, "choices": choices})


@require_safe
def report_detail(request, pk):
    report = _report(request, pk)
    presenter = reports.ReportPresenter(report)
    context = {
        "report": presenter,
        "can_publish": presenter.can_be_published
        and request.user.has_perm(Perm.MAKE_REPORTS, report),
        "refresh_seconds": settings.INSIGHTS_REFRESH_SECONDS,
        "can_restart": request.user.has_perm(Perm.MAKE_REPORTS, report),
        "can_see_runs": request.user.has_perm(Perm.UPLOAD_EXTRACTS, report),
    }
    response = render(request, "insights/staff/reports-detail.jinja", context)
    return _refreshing(request, response, presenter.is_running)


@require_safe
def report_file(request, pk, file_format):
    report = _report(request, pk)
    if file_format not in ("pdf", "html") or report.status != Report.Status.DONE:
        raise Http404
    path = Path(report.pdf_path if file_format == "pdf" else report.html_path)
    if not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=file_format == "html",
        filename=reports.file_name(report, file_format),
        content_type="application/pdf" if file_format == "pdf" else "text/html; charset=utf-8",
    )


@require_POST
def report_publish(request, pk):
    report = _report(request, pk)
    require_perm(request, Perm.MAKE_REPORTS, report)
    try:
        reports.publish_report(report, by=request.user)
    except reports.ReportRefused as refusal:
        messages.warning(request, str(refusal))
    else:
        messages.success(request, _("The report is published on the website."))
    return redirect("insights_staff:report_detail", report.pk)


@require_POST
def report_restart(request, pk):
    """Start again a report whose worker stopped part way (jobs.py)."""
    report = _report(request, pk)
    _restarted(request, jobs.restart(report, by=request.user))
    return redirect("insights_staff:report_detail", report.pk)


@login_not_required
@require_safe
def annual_report(request, period=None, version=None):
    """The latest published public report, or one version of a year's report."""
    page = reports.annual_report_page(core_queries.public_trust(), period, version)
    if page is None:
        raise Http404
    return render(request, "insights/public/annual-report.jinja", {"page": page})


@login_not_required
@require_safe
def annual_report_pdf(request, period, version):
    report = reports.published_report(core_queries.public_trust(), period, version)
    if report is None or not Path(report.pdf_path).is_file():
        raise Http404
    return FileResponse(
        Path(report.pdf_path).open("rb"),
        filename=reports.file_name(report, "pdf"),
        content_type="application/pdf",
    )
