"""The staff experience page: feedback by ethnic group for a chosen period (issue #6, part 4)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from pcref.insights import experience
from pcref.insights.forms import ExperiencePeriodForm
from pcref.insights.presenters_experience import ExperiencePage
from pcref.insights.rules import Perm


@require_safe
def experience_page(request):
    if not request.user.has_perm(Perm.VIEW_INSIGHTS, None):
        raise PermissionDenied
    organisation = request.user.organisation
    form = ExperiencePeriodForm(
        request.GET or None, organisation=organisation, today=timezone.localdate()
    )
    context = {"form": form, "can_upload": request.user.has_perm(Perm.UPLOAD_EXTRACTS, None)}
    if form.is_bound and not form.is_valid():
        return render(
            request, "insights/staff/experience.jinja", {**context, "page": None}, status=400
        )
    start, end, scheme = form.period()
    figures = experience.summary(organisation, start, end, scheme=scheme)
    context["page"] = ExperiencePage(figures)
    return render(request, "insights/staff/experience.jinja", context)
