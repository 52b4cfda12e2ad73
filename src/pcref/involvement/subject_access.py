"""A subject access request for one entry of the involvement register (IR-XXXXXXXX), as JSON.

The register entry's details (or, once withdrawn, that they were deleted), what the person
said they would like to do, the opportunities they were matched to, payments and recognition
recorded for them, and the audit trail about them. Another person on the same invitation is
never named: audit entries about an opportunity are shown without their lists of people.
"""

from __future__ import annotations

import re
import uuid

from django.db import transaction
from django.utils import timezone

from pcref.core import audit
from pcref.core.models import AuditEntry
from pcref.feedback.subject_access import (
    EXPORT_FORMAT,
    UnknownReference,
    audit_row,
    audit_trail,
    plain,
)
from pcref.involvement.models import InvolvementOpportunity, InvolvementRegistration

REGISTRATION_REFERENCE = re.compile(r"^IR-([0-9A-F]{8})$")

REGISTRATION_FIELDS = (
    "status",
    "name",
    "email",
    "phone",
    "communities",
    "ethnicity_as_given",
    "ethnicity_details",
    "ethnic_category_code",
    "access_needs",
    "preferred_language",
    "interface_language",
    "consented_at",
    "created_at",
    "withdrawn_at",
)


def find_registration(reference: str) -> InvolvementRegistration:
    """The register entry whose id starts with the reference's eight hex digits."""
    reference = reference.strip().upper()
    found = REGISTRATION_REFERENCE.match(reference)
    if not found:
        raise UnknownReference(f"{reference!r} is not an involvement reference like IR-1A2B3C4D")
    prefix = found.group(1).lower()
    # A range of ids, not a text match: it works on SQLite (hex text) and PostgreSQL (uuid).
    low = uuid.UUID(prefix + "0" * 24)
    high = uuid.UUID(prefix + "f" * 24)
    matches = list(
        InvolvementRegistration.objects.select_related("organisation").filter(
            pk__gte=low, pk__lte=high
        )[:2]
    )
    if not matches:
        raise UnknownReference(f"No involvement register entry has the reference {reference}")
    if len(matches) > 1:
        raise UnknownReference(
            f"More than one register entry starts {reference}; find the entry in the register"
        )
    return matches[0]


def registration_export(registration: InvolvementRegistration) -> dict:
    """What PCREF Hub holds about the person on this register entry."""
    matches = list(registration.matches.select_related("opportunity").order_by("created_at"))
    payments = list(registration.payments.order_by("activity_on", "created_at"))
    related_ids = {str(registration.pk), *(str(payment.pk) for payment in payments)}
    # Invitations and match changes are recorded against the opportunity, naming people by
    # reference: keep only the entries about this person, without anyone else's reference.
    opportunity_entries = AuditEntry.objects.filter(
        target_type=InvolvementOpportunity._meta.label_lower,
        organisation_id=registration.organisation_id,
    ).order_by("occurred_at", "id")
    about_them = [
        {**audit_row(entry, details=False), "opportunity": entry.target_label}
        for entry in opportunity_entries
        if registration.reference in str(entry.changes) + str(entry.context)
    ]
    return {
        "format": EXPORT_FORMAT,
        "kind": "involvement_registration",
        "reference": registration.reference,
        "organisation": registration.organisation.name,
        "registration": {
            field: plain(getattr(registration, field)) for field in REGISTRATION_FIELDS
        },
        "personal_details_deleted": registration.is_withdrawn,
        "interests": [item.interest for item in registration.interests.order_by("interest")],
        "opportunities": [
            {
                "title": match.opportunity.title,
                "date": plain(match.opportunity.takes_place_on),
                "status": match.status,
            }
            for match in matches
        ],
        "payments": [
            {
                "kind": payment.kind,
                "activity_on": plain(payment.activity_on),
                "description": payment.description,
                "amount_pence": payment.amount_pence,
                "paid_on": plain(payment.paid_on),
            }
            for payment in payments
        ],
        "audit_trail": audit_trail(related_ids),
        "audit_trail_of_opportunities": about_them,
    }


@transaction.atomic
def export_registration(reference: str, *, by: audit.Actor = "command-line") -> dict:
    """Find one register entry by its reference, build its export and record that it was made."""
    registration = find_registration(reference)
    data = registration_export(registration)
    entry = audit.record(
        action="involvement.subject_access_exported",
        by=by,
        target=registration,
        context={"sections": sorted(key for key, value in data.items() if value)},
    )
    data["exported_at"] = plain(entry.occurred_at or timezone.now())
    return data
