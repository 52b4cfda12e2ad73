"""Staff actions that publish a finished metric run on the public data page, or take it off."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pcref.insights import publication
from pcref.insights.models import MetricRun
from pcref.insights.rules import Perm


def _run(request, pk) -> MetricRun:
    run = get_object_or_404(
        MetricRun.objects.visible_to(request.user).select_related("organisation"), pk=pk
    )
    if not request.user.has_perm(Perm.PUBLISH_DATA, run):
        raise PermissionDenied
    return run


@require_POST
def publish(request, pk):
    run = _run(request, pk)
    try:
        publication.publish(run, by=request.user)
    except publication.PublicationRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Published. The public data page now shows dataset version %(version)s.")
            % {"version": f"v{run.dataset_number:04d}"},
        )
    return redirect("insights_staff:run", run.pk)


@require_POST
def unpublish(request, pk):
    run = _run(request, pk)
    try:
        publication.unpublish(run, by=request.user)
    except publication.PublicationRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Dataset version %(version)s is no longer on the public data page.")
            % {"version": f"v{run.dataset_number:04d}"},
        )
    return redirect("insights_staff:run", run.pk)
