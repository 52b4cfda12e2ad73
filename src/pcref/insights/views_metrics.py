"""The staff page of one metric: definition, filters and charts of the latest results."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from pcref.insights import metric_page
from pcref.insights.rules import Perm


@require_safe
def metric(request, metric):
    if not request.user.has_perm(Perm.VIEW_INSIGHTS, None):
        raise PermissionDenied
    try:
        page = metric_page.metric_page(request.user.organisation_id, metric, request.GET)
    except metric_page.UnknownMetric:
        raise Http404(metric) from None
    # A filter the results do not hold is the reader's mistake: say which, with a 400.
    return render(
        request,
        "insights/staff/metric.jinja",
        {
            "page": page,
            "form": page.form,
            "can_see_runs": request.user.has_perm(Perm.UPLOAD_EXTRACTS, None),
        },
        status=400 if page.refused else 200,
    )
