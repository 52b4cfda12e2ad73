"""Staff pages for extracts: upload, progress and outcome, report, metric runs, history, and
the overview dashboard of the latest results."""

from itertools import chain
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcref.core.permissions import require_perm
from pcref.insights import dashboard as dashboards
from pcref.insights import jobs, presenters, presenters_public, services
from pcref.insights.files import UploadRefused
from pcref.insights.forms import ExtractUploadForm
from pcref.insights.models import ExtractUpload, MetricRun
from pcref.insights.rules import Perm


def _upload(request, pk) -> ExtractUpload:
    upload = get_object_or_404(
        ExtractUpload.objects.visible_to(request.user).select_related("uploaded_by"), pk=pk
    )
    require_perm(request, Perm.UPLOAD_EXTRACTS, upload)
    return upload


def _run(request, pk) -> MetricRun:
    run = get_object_or_404(
        MetricRun.objects.visible_to(request.user).select_related("started_by"), pk=pk
    )
    require_perm(request, Perm.UPLOAD_EXTRACTS, run)
    return run


def _refreshing(request, response, running: bool):
    """While work runs, the page reloads itself (an HTTP Refresh header: no script needed,
    and no <meta> refresh, which axe rightly flags); ?refresh=off stops it."""
    if running and request.GET.get("refresh") != "off":
        response["Refresh"] = str(settings.INSIGHTS_REFRESH_SECONDS)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def upload(request):
    require_perm(request, Perm.UPLOAD_EXTRACTS, None)
    posted = request.method == "POST"
    form = ExtractUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            received = services.receive_upload(form.cleaned_data["files"], by=request.user)
        except UploadRefused as refusal:
            form.add_error("files", str(refusal))
        else:
            messages.success(request, _("Files received. They are being checked."))
            return redirect("insights_staff:upload", received.pk)
    return render(request, "insights/staff/upload.jinja", {"form": form})


@require_safe
def upload_detail(request, pk):
    upload = _upload(request, pk)
    runs = list(upload.metric_runs.select_related("started_by"))
    presenter = presenters.UploadPresenter(upload, runs)
    response = render(
        request,
        "insights/staff/upload-detail.jinja",
        {"upload": presenter, "refresh_seconds": settings.INSIGHTS_REFRESH_SECONDS},
    )
    return _refreshing(request, response, presenter.anything_running)


@require_safe
def report(request, pk):
    upload = _upload(request, pk)
    if not upload.report_path:
        raise Http404
    presenter = presenters.ReportPresenter(upload)
    page = Paginator(presenter.groups, 20).get_page(request.GET.get("page"))
    context = {"upload": presenters.UploadPresenter(upload, []), "report": presenter, "page": page}
    return render(request, "insights/staff/report.jinja", context)


@require_safe
def report_csv(request, pk):
    upload = _upload(request, pk)
    path = Path(upload.report_path or "/nonexistent") / "report.csv"
    if not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"validation-report-{str(upload.pk)[:8]}.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_safe
def run_detail(request, pk):
    run = _run(request, pk)
    presenter = presenters.RunPresenter(run)
    context = {
        "run": presenter,
        "can_rerun": request.user.has_perm(Perm.RUN_METRICS, run) and not run.is_running,
        "can_restart": request.user.has_perm(Perm.RUN_METRICS, run),
        "refresh_seconds": settings.INSIGHTS_REFRESH_SECONDS,
        "publication": presenters_public.RunPublication(run, request.user),
    }
    response = render(request, "insights/staff/run.jinja", context)
    return _refreshing(request, response, presenter.is_running)


@require_safe
def run_download(request, pk, file_format):
    run = _run(request, pk)
    if file_format not in ("csv", "parquet") or run.status != MetricRun.Status.DONE:
        raise Http404
    path = Path(run.results_path) / f"results.{file_format}"
    if not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"results-{run.organisation.ods_code or 'pcref'}-v{run.dataset_number:04d}."
        f"{file_format}",
    )


@require_POST
def rerun(request, pk):
    run = _run(request, pk)
    require_perm(request, Perm.RUN_METRICS, run)
    new_run = services.queue_metric_run(run.organisation, run.dataset_number, by=request.user)
    messages.success(request, _("The metrics will run again on this dataset version."))
    return redirect("insights_staff:run", new_run.pk)


def _restarted(request, restarted: bool) -> None:
    if restarted:
        messages.success(request, _("Started again. This page shows its progress."))
    else:
        messages.info(request, _("This work is not stopped, so there was nothing to start again."))


@require_POST
def upload_restart(request, pk):
    """Start again a check whose worker stopped part way (jobs.py)."""
    upload = _upload(request, pk)
    _restarted(request, jobs.restart(upload, by=request.user))
    return redirect("insights_staff:upload", upload.pk)


@require_POST
def run_restart(request, pk):
    """Start again a metric run whose worker stopped part way (jobs.py)."""
    run = _run(request, pk)
    _restarted(request, jobs.restart(run, by=request.user))
    return redirect("insights_staff:run", run.pk)


@require_safe
def history(request):
    require_perm(request, Perm.UPLOAD_EXTRACTS, None)
    uploads = ExtractUpload.objects.visible_to(request.user).select_related("uploaded_by")
    runs = MetricRun.objects.visible_to(request.user).select_related("started_by")
    rows = sorted(
        (presenters.HistoryRow(record) for record in chain(uploads, runs)),
        key=lambda row: row.sort_key,
        reverse=True,
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "insights/staff/history.jinja", {"page": page})


@require_safe
def dashboard(request):
    require_perm(request, Perm.VIEW_INSIGHTS, None)
    overview = dashboards.dashboard_for(request.user.organisation_id)
    # The run page needs the upload permission too: one check for both links.
    can_upload = request.user.has_perm(Perm.UPLOAD_EXTRACTS, None)
    context = {"dashboard": overview, "can_upload": can_upload, "can_see_runs": can_upload}
    return render(request, "insights/staff/dashboard.jinja", context)
