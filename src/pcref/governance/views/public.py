"""The public plan page: the trust's published delivery plan, in plain words, with no names."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from pcref.core import queries as core_queries
from pcref.governance import presenters, queries


@login_not_required
@require_safe
def our_plan(request):
    trust = core_queries.public_trust()
    plan = queries.published_plan(trust)
    context = {
        "trust": trust,
        "plan": (
            presenters.PublicPlanPresenter(plan, queries.public_workstreams(plan)) if plan else None
        ),
    }
    return render(request, "governance/public/our-plan.jinja", context)
