"""Staff pages for engagement events and co-production activities: counts by community, never
names; what was heard and what it led to."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcref.core.forms import add_validation_error, call_service
from pcref.core.permissions import require_perm
from pcref.feedback.models import FeedbackSubmission
from pcref.feedback.rules import Perm as FeedbackPerm
from pcref.governance.models import DeliveryAction
from pcref.governance.rules import Perm as GovernancePerm
from pcref.involvement import presenters, queries, services
from pcref.involvement.forms import EventFilterForm, EventForm, event_initial
from pcref.involvement.models import EngagementEvent
from pcref.involvement.rules import Perm


def _event(request, pk, perm=Perm.VIEW_EVENTS) -> EngagementEvent:
    event = get_object_or_404(
        EngagementEvent.objects.visible_to(request.user).select_related("partner"), pk=pk
    )
    require_perm(request, perm, event)
    return event


def _form(request, data=None, **kwargs) -> EventForm:
    return EventForm(
        data,
        partners=queries.partner_organisations(request.user).order_by("name"),
        actions=DeliveryAction.objects.visible_to(request.user).select_related("workstream__plan"),
        **kwargs,
    )


@require_safe
def events(request):
    require_perm(request, Perm.VIEW_EVENTS, None)
    scoped = EngagementEvent.objects.visible_to(request.user)
    form = EventFilterForm(request.GET or None, years=queries.event_years(scoped))
    criteria = form.cleaned_data if form.is_bound and form.is_valid() else {}
    context = {
        "filter_form": form,
        "rows": [presenters.EventRow(event) for event in queries.events(scoped, criteria)],
        "can_manage": request.user.has_perm(Perm.MANAGE_EVENTS, None),
    }
    return render(request, "involvement/staff/events.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def event_new(request):
    require_perm(request, Perm.MANAGE_EVENTS, None)
    form = _form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        saved = {}

        def record():
            saved["event"] = services.record_event(
                form.cleaned_data, organisation=request.user.organisation, by=request.user
            )

        if call_service(form, record, by=request.user):
            messages.success(request, _("Event recorded."))
            return redirect("involvement_staff:event", pk=saved["event"].pk)
    return render(
        request,
        "involvement/staff/event-form.jinja",
        {"form": form, "event": None},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def event_edit(request, pk):
    event = _event(request, pk, Perm.MANAGE_EVENTS)
    if request.method == "POST":
        form = _form(request, request.POST)
    else:
        form = _form(request, initial=event_initial(event))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_event(event, form.cleaned_data, by=request.user)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("Event saved."))
            return redirect("involvement_staff:event", pk=event.pk)
    return render(
        request,
        "involvement/staff/event-form.jinja",
        {"form": form, "event": event},
        status=400 if form.errors else 200,
    )


@require_safe
def event(request, pk):
    event = _event(request, pk)
    participation = list(event.participation.all())
    context = {
        "event": event,
        "participation": participation,
        "total": sum(row.people for row in participation),
        "feedback_items": FeedbackSubmission.objects.visible_to(request.user).filter(
            engagement_events=event
        ),
        "actions": DeliveryAction.objects.visible_to(request.user)
        .filter(engagement_events=event)
        .select_related("workstream__plan"),
        "payments": event.payments.count(),
        "can_manage": request.user.has_perm(Perm.MANAGE_EVENTS, event),
        "can_see_payments": request.user.has_perm(Perm.VIEW_PAYMENTS, None),
        # Linked records a role may not open are named without a link to a 403 page.
        "can_see_feedback": request.user.has_perm(FeedbackPerm.VIEW_FEEDBACK, None),
        "can_see_plans": request.user.has_perm(GovernancePerm.VIEW_PLANS, None),
    }
    return render(request, "involvement/staff/event.jinja", context)
