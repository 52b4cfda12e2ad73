"""Staff pages: the register, a person, their contact details, opportunities and matching."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcref.core.forms import call_service
from pcref.core.permissions import require_perm
from pcref.involvement import presenters, queries, services
from pcref.involvement.forms import InviteForm, MatchStatusForm, OpportunityForm, RegisterFilterForm
from pcref.involvement.models import (
    InvolvementOpportunity,
    InvolvementPayment,
    InvolvementRegistration,
    OpportunityMatch,
)
from pcref.involvement.rules import Perm


def _registration(request, pk) -> InvolvementRegistration:
    registration = get_object_or_404(
        InvolvementRegistration.objects.visible_to(request.user), pk=pk
    )
    require_perm(request, Perm.VIEW_REGISTER, registration)
    return registration


def _opportunity(request, pk) -> InvolvementOpportunity:
    opportunity = get_object_or_404(InvolvementOpportunity.objects.visible_to(request.user), pk=pk)
    require_perm(request, Perm.MANAGE_OPPORTUNITIES, opportunity)
    return opportunity


@require_safe
def register(request):
    require_perm(request, Perm.VIEW_REGISTER, None)
    form = RegisterFilterForm(request.GET or None)
    criteria = form.cleaned_data if form.is_bound and form.is_valid() else {}
    people = queries.register(InvolvementRegistration.objects.visible_to(request.user), criteria)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [presenters.RegisterRow(person) for person in page],
        "query": query.urlencode(),
    }
    return render(request, "involvement/staff/register.jinja", context)


@require_safe
def person(request, pk):
    registration = _registration(request, pk)
    matches = registration.matches.select_related("opportunity")
    context = {
        "registration": registration,
        "rows": presenters.person_rows(registration),
        "matches": [
            {
                "match": match,
                "tag_class": presenters.MATCH_TAG_CLASSES[match.status],
                "form": MatchStatusForm(initial={"status": match.status}, prefix=str(match.pk)),
            }
            for match in matches
        ],
        "can_see_contact": request.user.has_perm(Perm.VIEW_CONTACT_DETAILS, registration),
        "can_withdraw": request.user.has_perm(Perm.WITHDRAW_ON_REQUEST, registration),
    }
    if request.user.has_perm(Perm.VIEW_PAYMENTS, registration):
        payments = queries.payments(
            InvolvementPayment.objects.visible_to(request.user).filter(registration=registration)
        )
        totals = queries.totals(payments)
        for row in totals:
            row["total"] = presenters.pounds(row["total"])
        context["payments"] = [presenters.PaymentRow(payment) for payment in payments]
        context["totals"] = totals
    return render(request, "involvement/staff/person.jinja", context)


@require_safe
def contact(request, pk):
    """Contact details on a page of their own, so the audit log records real looks."""
    registration = _registration(request, pk)
    details = services.contact_details(registration, viewer=request.user)
    return render(
        request,
        "involvement/staff/contact.jinja",
        {"registration": registration, "details": details},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request, pk):
    registration = _registration(request, pk)
    require_perm(request, Perm.WITHDRAW_ON_REQUEST, registration)
    if request.method == "POST":
        services.withdraw_on_request(registration, by=request.user)
        messages.success(
            request,
            _("%(ref)s has been withdrawn and their details deleted.")
            % {"ref": registration.reference},
        )
        return redirect("involvement_staff:register")
    return render(request, "involvement/staff/withdraw.jinja", {"registration": registration})


@require_safe
def opportunities(request):
    require_perm(request, Perm.MANAGE_OPPORTUNITIES, None)
    scoped = InvolvementOpportunity.objects.visible_to(request.user)
    return render(
        request,
        "involvement/staff/opportunities.jinja",
        {"opportunities": queries.opportunities(scoped)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def opportunity_new(request):
    require_perm(request, Perm.MANAGE_OPPORTUNITIES, None)
    form = OpportunityForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        saved = {}

        def add():
            saved["opportunity"] = services.add_opportunity(
                form.cleaned_data, organisation=request.user.organisation, by=request.user
            )

        if call_service(form, add, by=request.user):
            messages.success(request, _("Opportunity added. Now invite people to it."))
            return redirect("involvement_staff:opportunity", pk=saved["opportunity"].pk)
    status = 400 if form.errors else 200
    return render(
        request, "involvement/staff/opportunity-form.jinja", {"form": form}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
def opportunity(request, pk):
    opportunity = _opportunity(request, pk)
    scoped = InvolvementRegistration.objects.visible_to(request.user)
    candidates = [
        (person, presenters.candidate_label(person))
        for person in queries.candidates(scoped, opportunity)
    ]
    form = InviteForm(request.POST if request.method == "POST" else None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.invite(opportunity, form.cleaned_data["people"], by=request.user)
        except ValidationError as error:
            form.add_error("people", error.message_dict.get("people", error.messages))
        else:
            messages.success(request, _("%(count)d invited.") % {"count": len(created)})
            return redirect("involvement_staff:opportunity", pk=opportunity.pk)
    matches = opportunity.matches.select_related("registration")
    context = {
        "opportunity": opportunity,
        "form": form,
        "matches": [
            {
                "match": match,
                "tag_class": presenters.MATCH_TAG_CLASSES[match.status],
                "form": MatchStatusForm(initial={"status": match.status}, prefix=str(match.pk)),
            }
            for match in matches
        ],
        "has_candidates": bool(candidates),
    }
    return render(
        request,
        "involvement/staff/opportunity.jinja",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
def match_status(request, pk):
    scoped = InvolvementOpportunity.objects.visible_to(request.user)
    match = get_object_or_404(
        OpportunityMatch.objects.select_related("opportunity", "registration"),
        pk=pk,
        opportunity__in=scoped,
    )
    require_perm(request, Perm.MANAGE_OPPORTUNITIES, match.opportunity)
    form = MatchStatusForm(request.POST, prefix=str(match.pk))
    if form.is_valid():
        services.set_match_status(match, form.cleaned_data["status"], by=request.user)
        messages.success(
            request,
            _("%(ref)s: %(status)s.")
            % {"ref": match.registration.reference, "status": match.get_status_display()},
        )
    else:
        messages.error(request, _("Choose invited, taking part or declined"))
    if request.POST.get("next") == "person":
        return redirect("involvement_staff:person", pk=match.registration_id)
    return redirect("involvement_staff:opportunity", pk=match.opportunity_id)
