"""Staff pages for the involvement payment policy: rates, payments and recognition by reference,
totals per person per financial year, and a CSV for finance."""

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcref.analytics.text.safe_export import write_csv
from pcref.core.forms import add_validation_error, call_service
from pcref.core.permissions import require_perm
from pcref.governance.models import GovernanceGroup, Meeting
from pcref.involvement import presenters, queries, services
from pcref.involvement.forms import MarkPaidForm, PaymentForm, RateForm
from pcref.involvement.models import (
    EngagementEvent,
    InvolvementPayment,
    InvolvementRegistration,
    PaymentRate,
)
from pcref.involvement.rules import Perm


def _year(request, scoped) -> tuple[list[str], str]:
    years = queries.payment_years(scoped)
    year = request.GET.get("year", "")
    return years, year if year in years else ""


@require_safe
def payments(request):
    require_perm(request, Perm.VIEW_PAYMENTS, None)
    scoped = InvolvementPayment.objects.visible_to(request.user)
    years, year = _year(request, scoped)
    chosen = list(queries.payments(scoped, year))
    totals = queries.totals(chosen)
    for row in totals:
        for key in ("paid", "expenses", "total"):
            row[key] = presenters.pounds(row[key])
    context = {
        "years": years,
        "year": year,
        "totals": totals,
        "rows": [presenters.PaymentRow(payment) for payment in chosen],
        "can_record": request.user.has_perm(Perm.RECORD_PAYMENTS, None),
        "paid_form": MarkPaidForm(initial={"paid_on": timezone.localdate()}),
    }
    return render(request, "involvement/staff/payments.jinja", context)


@require_safe
def payments_csv(request):
    require_perm(request, Perm.VIEW_PAYMENTS, None)
    scoped = InvolvementPayment.objects.visible_to(request.user)
    _years, year = _year(request, scoped)
    rows = queries.export_rows(queries.payments(scoped, year))
    services.record_payments_export(by=request.user, rows=len(rows), year=year)
    buffer = io.StringIO()
    write_csv(rows, queries.EXPORT_HEADER, buffer)
    response = HttpResponse(
        buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    name = f"involvement-payments-{year.replace('/', '-') or 'all'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _payment_form(request, data=None):
    user = request.user
    groups = GovernanceGroup.objects.visible_to(user)
    return PaymentForm(
        data,
        people=services.registration_choices(viewer=user),
        registrations=InvolvementRegistration.objects.visible_to(user).filter(
            status=InvolvementRegistration.Status.ACTIVE
        ),
        rates=PaymentRate.objects.visible_to(user).order_by("name", "-valid_from"),
        events=EngagementEvent.objects.visible_to(user),
        meetings=Meeting.objects.filter(group__in=groups).select_related("group"),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def payment_new(request):
    require_perm(request, Perm.RECORD_PAYMENTS, None)
    form = _payment_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "amount_pence": form.cleaned_data.get("amount")}
        saved = {}

        def record():
            saved["payment"] = services.record_payment(
                data, organisation=request.user.organisation, by=request.user
            )

        if call_service(form, record, by=request.user):
            payment = saved["payment"]
            messages.success(
                request,
                _("Recorded for %(ref)s: %(amount)s.")
                % {
                    "ref": payment.registration.reference,
                    "amount": presenters.pounds(payment.amount_pence),
                },
            )
            return redirect("involvement_staff:payments")
    return render(
        request,
        "involvement/staff/payment-form.jinja",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def payment_paid(request, pk):
    payment = get_object_or_404(
        InvolvementPayment.objects.visible_to(request.user).select_related("registration"), pk=pk
    )
    require_perm(request, Perm.RECORD_PAYMENTS, payment)
    form = MarkPaidForm(request.POST)
    if form.is_valid():
        try:
            services.mark_paid(payment, form.cleaned_data["paid_on"], by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(ref)s: marked as paid.") % {"ref": payment.registration.reference}
            )
    else:
        messages.error(request, _("Enter the date it was paid, like 2026-03-14"))
    return redirect("involvement_staff:payments")


@require_http_methods(["GET", "HEAD", "POST"])
def rates(request):
    require_perm(request, Perm.VIEW_PAYMENTS, None)
    can_set = request.user.has_perm(Perm.SET_RATES, None)
    form = None
    if can_set:
        form = RateForm(request.POST if request.method == "POST" else None)
    elif request.method == "POST":
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "amount_pence": form.cleaned_data["amount"]}
        try:
            services.set_rate(data, organisation=request.user.organisation, by=request.user)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("Rate saved."))
            return redirect("involvement_staff:rates")
    today = timezone.localdate()
    rows = [
        {
            "rate": rate,
            "label": presenters.rate_label(rate),
            "amount": presenters.pounds(rate.amount_pence),
            "current": rate.valid_from <= today
            and (rate.valid_until is None or rate.valid_until >= today),
        }
        for rate in PaymentRate.objects.visible_to(request.user).order_by("name", "-valid_from")
    ]
    return render(
        request,
        "involvement/staff/rates.jinja",
        {"form": form, "rows": rows, "can_set": can_set},
        status=400 if form is not None and form.errors else 200,
    )
