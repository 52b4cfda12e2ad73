"""Staff pages for partner organisations: the contacts and agreements the trust keeps."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from pcref.core.forms import call_service
from pcref.core.permissions import require_perm
from pcref.involvement import queries, services
from pcref.involvement.forms import PartnerAgreementForm, PartnerContactForm
from pcref.involvement.models import PartnerContact
from pcref.involvement.rules import Perm


def _partner(request, pk):
    require_perm(request, Perm.VIEW_PARTNERS, None)
    return get_object_or_404(queries.partner_organisations(request.user), pk=pk)


@require_safe
def partners(request):
    require_perm(request, Perm.VIEW_PARTNERS, None)
    return render(
        request,
        "involvement/staff/partners.jinja",
        {"partners": queries.partner_organisations(request.user)},
    )


def _detail(request, partner, status=200, **forms):
    _, agreements = queries.partner_records(request.user, partner)
    contacts = services.partner_contacts(partner, viewer=request.user)
    context = {
        "partner": partner,
        "contacts": contacts,
        "agreements": agreements,
        "can_manage": request.user.has_perm(Perm.MANAGE_PARTNERS, None),
        "contact_form": forms.get("contact_form") or PartnerContactForm(prefix="contact"),
        "agreement_form": forms.get("agreement_form") or PartnerAgreementForm(prefix="agreement"),
        "form": forms.get("contact_form") or forms.get("agreement_form"),
    }
    return render(request, "involvement/staff/partner.jinja", context, status=status)


@require_safe
def partner(request, pk):
    return _detail(request, _partner(request, pk))


def _add(request, pk, form_class, prefix, add, success):
    partner = _partner(request, pk)
    require_perm(request, Perm.MANAGE_PARTNERS, None)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        if call_service(
            form, lambda: add(partner, form.cleaned_data, by=request.user), by=request.user
        ):
            messages.success(request, success)
            return redirect("involvement_staff:partner", pk=partner.pk)
    return _detail(request, partner, status=400, **{f"{prefix}_form": form})


@require_POST
def contact_add(request, pk):
    return _add(
        request,
        pk,
        PartnerContactForm,
        "contact",
        services.add_partner_contact,
        _("Contact added."),
    )


@require_POST
def agreement_add(request, pk):
    return _add(
        request,
        pk,
        PartnerAgreementForm,
        "agreement",
        services.add_partner_agreement,
        _("Agreement added."),
    )


@require_POST
def contact_remove(request, pk, contact_pk):
    partner = _partner(request, pk)
    contact = get_object_or_404(
        PartnerContact.objects.visible_to(request.user), pk=contact_pk, partner=partner
    )
    services.remove_partner_contact(contact, by=request.user)
    messages.success(request, _("Contact removed."))
    return redirect("involvement_staff:partner", pk=partner.pk)
