"""View models for involvement pages: register rows and a person's summary, without contact
details (those have their own, audited page)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pcref.core.presenters import date_only, date_time
from pcref.core.reference import ETHNIC_OPTION_LABELS
from pcref.involvement.models import Interest, InvolvementRegistration, OpportunityMatch

STATUS_TAG_CLASSES = {
    InvolvementRegistration.Status.ACTIVE: "nhsuk-tag--green",
    InvolvementRegistration.Status.WITHDRAWN: "nhsuk-tag--grey",
}
MATCH_TAG_CLASSES = {
    OpportunityMatch.Status.INVITED: "nhsuk-tag--blue",
    OpportunityMatch.Status.TAKING_PART: "nhsuk-tag--green",
    OpportunityMatch.Status.DECLINED: "nhsuk-tag--grey",
}


def interest_labels(registration: InvolvementRegistration) -> list[str]:
    """What the person would like to do, from prefetched interests."""
    return [str(Interest(i.interest).label) for i in registration.interests.all()]


class RegisterRow:
    """One line of the register."""

    def __init__(self, registration: InvolvementRegistration):
        self.pk = registration.pk
        self.reference = registration.reference
        self.signed_up = date_time(registration.created_at)
        self.status = registration.get_status_display()
        self.status_class = STATUS_TAG_CLASSES[registration.status]
        self.interests = interest_labels(registration)


def candidate_label(registration: InvolvementRegistration) -> str:
    return f"{registration.reference}: {', '.join(interest_labels(registration))}"


def person_rows(registration: InvolvementRegistration) -> list[dict]:
    """The summary list of a person's page: what they told us, except how to contact them."""
    not_given = _("Not given")
    if registration.ethnicity_as_given:
        ethnic = str(
            ETHNIC_OPTION_LABELS.get(
                registration.ethnicity_as_given, registration.ethnicity_as_given
            )
        )
        if registration.ethnicity_details:
            ethnic = f"{ethnic} ({registration.ethnicity_details})"
    else:
        ethnic = not_given

    def row(key, value):
        return {"key": {"text": key}, "value": {"text": value or not_given}}

    return [
        row(_("Status"), registration.get_status_display()),
        row(_("Signed up"), date_time(registration.created_at)),
        row(_("Would like to"), ", ".join(interest_labels(registration))),
        row(_("Communities"), registration.communities),
        row(_("Ethnic group"), ethnic),
        row(_("Access needs"), registration.access_needs),
        row(_("Preferred language"), registration.preferred_language),
        row(_("Agreed to be contacted"), date_time(registration.consented_at)),
    ]


def pounds(pence: int | None) -> str:
    """Pence as pounds for people: £1,234.50."""
    return f"£{(pence or 0) / 100:,.2f}"


def rate_label(rate) -> str:
    """A rate with its amount and the dates it applies, to choose it."""
    values = {
        "name": rate.name,
        "amount": pounds(rate.amount_pence),
        "unit": rate.get_unit_display(),
        "start": date_only(rate.valid_from),
        "end": date_only(rate.valid_until),
    }
    if rate.valid_until:
        return _("%(name)s: %(amount)s %(unit)s (%(start)s to %(end)s)") % values
    return _("%(name)s: %(amount)s %(unit)s (from %(start)s)") % values


def units_text(units) -> str:
    """Units without trailing zeros: 2, 1.5."""
    if units is None:
        return ""
    return format(units.normalize(), "f") if units == units.to_integral() else str(units)


class EventRow:
    """One line of the list of events: when, what, with whom, how many people."""

    def __init__(self, event):
        self.pk = event.pk
        self.title = event.title
        self.kind = event.get_kind_display()
        self.held_on = date_only(event.held_on)
        self.partner = event.partner.name if event.partner else ""
        self.people = event.people or 0


class PaymentRow:
    """One payment, by the person's reference."""

    def __init__(self, payment):
        self.pk = payment.pk
        self.reference = payment.registration.reference
        self.registration_pk = payment.registration_id
        self.kind = payment.get_kind_display()
        self.is_recognition = payment.kind == payment.Kind.RECOGNITION
        self.activity_on = date_only(payment.activity_on)
        self.description = payment.description
        self.rate = rate_label(payment.rate) if payment.rate else ""
        self.units = units_text(payment.units)
        self.amount = pounds(payment.amount_pence)
        self.paid_on = date_only(payment.paid_on)
        self.is_paid = payment.paid_on is not None
