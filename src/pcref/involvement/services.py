"""Every change to the involvement register goes through here, and each one writes the audit log.

Personal values (name, contact details, communities, ethnic group, access needs, language)
never go into the audit log: entries say what happened, to which reference, and by whom.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pcref.core import audit
from pcref.core.audit import Actor
from pcref.core.models import Organisation, User
from pcref.feedback.models import SubmissionAttempt
from pcref.feedback.services import address_hash, ethnicity_fields
from pcref.involvement.models import (
    Interest,
    InvolvementOpportunity,
    InvolvementRegistration,
    OpportunityMatch,
    PartnerAgreement,
    PartnerContact,
    RegistrationInterest,
)
from pcref.involvement.rules import Perm

# What withdrawal deletes: everything that could say who the person was.
PERSONAL_FIELDS = (
    "name",
    "email",
    "phone",
    "communities",
    "ethnicity_as_given",
    "ethnicity_details",
    "ethnic_category_code",
    "ethnicity_mapping_version",
    "access_needs",
    "preferred_language",
)


def token_hash(token: str) -> str:
    """The stored form of a withdrawal token: the token itself is never kept."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def sign_up(
    answers: Mapping[str, Any],
    *,
    organisation: Organisation,
    interface_language: str,
    address: str = "",
    by: Actor = "public-form",
) -> tuple[InvolvementRegistration, str]:
    """Put a person on the register. Returns the registration and its withdrawal token, which
    only the person is given (we keep a hash of it)."""
    if not answers.get("consent"):
        raise ValidationError({"consent": _("Tick the box to agree that we may keep your details")})
    interests = [Interest(value) for value in answers.get("interests") or ()]
    if not interests:
        raise ValidationError({"interests": _("Choose at least one thing you would like to do")})
    token = secrets.token_urlsafe(32)
    registration = InvolvementRegistration(
        organisation=organisation,
        name=answers.get("name") or "",
        email=answers.get("email") or "",
        phone=answers.get("phone") or "",
        communities=answers.get("communities") or "",
        access_needs=answers.get("access_needs") or "",
        preferred_language=answers.get("preferred_language") or "",
        interface_language=interface_language,
        consented_at=timezone.now(),
        withdrawal_token_hash=token_hash(token),
        **ethnicity_fields(answers),
    )
    registration.full_clean()
    registration.save()
    RegistrationInterest.objects.bulk_create(
        RegistrationInterest(registration=registration, interest=interest) for interest in interests
    )
    if address:
        # The same per-address budget as feedback (ADR 0006): one table, one limit.
        SubmissionAttempt.objects.create(address_hash=address_hash(address))
    audit.record(
        action="involvement.signed_up",
        by=by,
        target=registration,
        after={"status": registration.status, "interests": sorted(interests)},
        context={"language": interface_language},
    )
    return registration, token


def registration_for_token(token: str) -> InvolvementRegistration | None:
    """The registration a withdrawal link belongs to, if any."""
    if not token or len(token) > 100:
        return None
    return InvolvementRegistration.objects.filter(withdrawal_token_hash=token_hash(token)).first()


@transaction.atomic
def withdraw(
    registration: InvolvementRegistration, *, by: Actor, reason: str = "own link"
) -> InvolvementRegistration:
    """Delete the person's details and their matches; keep an anonymous record for counts.
    Withdrawing twice changes nothing and writes nothing."""
    registration = InvolvementRegistration.objects.select_for_update().get(pk=registration.pk)
    if registration.is_withdrawn:
        return registration
    for field in PERSONAL_FIELDS:
        setattr(registration, field, "")
    registration.status = InvolvementRegistration.Status.WITHDRAWN
    registration.withdrawn_at = timezone.now()
    registration.save(update_fields=[*PERSONAL_FIELDS, "status", "withdrawn_at", "updated_at"])
    removed = registration.matches.count()
    registration.matches.all().delete()
    audit.record(
        action="involvement.withdrawn",
        by=by,
        target=registration,
        before={"status": InvolvementRegistration.Status.ACTIVE},
        after={"status": registration.status},
        context={"how": reason, "personal_details_deleted": True, "matches_removed": removed},
    )
    return registration


def withdraw_on_request(registration: InvolvementRegistration, *, by: User):
    """A member of staff withdraws someone who asked them to (by phone, letter, in person)."""
    if not by.has_perm(Perm.WITHDRAW_ON_REQUEST, registration):
        raise PermissionDenied
    return withdraw(registration, by=by, reason="asked staff")


def apply_retention(*, days: int | None = None, now=None, dry_run: bool = False) -> list[str]:
    """Withdraw registrations older than the retention period (what the sign-up page promises);
    returns their references. With `dry_run`, only lists them."""
    days = settings.INVOLVEMENT_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = InvolvementRegistration.objects.filter(
        status=InvolvementRegistration.Status.ACTIVE, created_at__lt=cutoff
    )
    references = []
    for registration in expired:
        if not dry_run:
            withdraw(registration, by="retention", reason="retention period ended")
        references.append(registration.reference)
    return references


def contact_details(registration: InvolvementRegistration, *, viewer: User) -> dict[str, str]:
    """The person's name, email and phone, to invite them; every look is audited."""
    if not viewer.has_perm(Perm.VIEW_CONTACT_DETAILS, registration):
        raise PermissionDenied
    audit.record(action="involvement.contact_details_viewed", by=viewer, target=registration)
    return {"name": registration.name, "email": registration.email, "phone": registration.phone}


# Opportunities and matching -----------------------------------------------------------------


OPPORTUNITY_FIELDS = ("title", "description", "kind", "takes_place_on")


@transaction.atomic
def add_opportunity(
    data: Mapping[str, Any], *, organisation: Organisation, by: User
) -> InvolvementOpportunity:
    if not by.has_perm(Perm.MANAGE_OPPORTUNITIES, None) or by.organisation_id != organisation.pk:
        raise PermissionDenied
    opportunity = InvolvementOpportunity(
        organisation=organisation, created_by=by, **{f: data[f] for f in OPPORTUNITY_FIELDS}
    )
    opportunity.full_clean()
    opportunity.save()
    audit.record(
        action="involvement.opportunity_added",
        by=by,
        target=opportunity,
        after=audit.snapshot(opportunity, OPPORTUNITY_FIELDS),
    )
    return opportunity


@transaction.atomic
def invite(
    opportunity: InvolvementOpportunity,
    registrations: Iterable[InvolvementRegistration],
    *,
    by: User,
) -> list[OpportunityMatch]:
    """Match people to an opportunity as invited; people already matched stay as they are."""
    if not by.has_perm(Perm.MANAGE_OPPORTUNITIES, opportunity):
        raise PermissionDenied
    registrations = list(registrations)
    for registration in registrations:
        if registration.organisation_id != opportunity.organisation_id:
            raise ValidationError({"people": _("Choose people on this trust's register")})
        if registration.is_withdrawn:
            raise ValidationError(
                {"people": _("%(ref)s has withdrawn") % {"ref": registration.reference}}
            )
    already = set(opportunity.matches.values_list("registration_id", flat=True))
    created = OpportunityMatch.objects.bulk_create(
        OpportunityMatch(opportunity=opportunity, registration=registration, updated_by=by)
        for registration in registrations
        if registration.pk not in already
    )
    if created:
        audit.record(
            action="involvement.invited",
            by=by,
            target=opportunity,
            after={"people": sorted(match.registration.reference for match in created)},
        )
    return created


@transaction.atomic
def set_match_status(match: OpportunityMatch, status: str, *, by: User) -> OpportunityMatch:
    if not by.has_perm(Perm.MANAGE_OPPORTUNITIES, match.opportunity):
        raise PermissionDenied
    status = OpportunityMatch.Status(status)
    before = {"status": match.status}
    match.status, match.updated_by = status, by
    match.save(update_fields=["status", "updated_by", "updated_at"])
    audit.record(
        action="involvement.match_status_changed",
        by=by,
        target=match.opportunity,
        before=before,
        after={"status": status},
        context={"person": match.registration.reference},
    )
    return match


# Partner organisations: contacts and agreements -----------------------------------------------


PARTNER_CONTACT_FIELDS = ("name", "job_title", "email", "phone")
PARTNER_AGREEMENT_FIELDS = ("title", "kind", "starts_on", "ends_on", "link")


def _check_partner(partner: Organisation, by: User) -> None:
    if not by.has_perm(Perm.MANAGE_PARTNERS, None) or by.organisation_id is None:
        raise PermissionDenied
    if partner.kind == Organisation.Kind.NHS_TRUST:
        raise ValidationError(_("%(name)s is an NHS trust, not a partner") % {"name": partner.name})


@transaction.atomic
def add_partner_contact(
    partner: Organisation, data: Mapping[str, Any], *, by: User
) -> PartnerContact:
    """Record someone at a partner organisation; the log notes which fields were given, never
    their values."""
    _check_partner(partner, by)
    contact = PartnerContact(
        organisation_id=by.organisation_id,
        partner=partner,
        created_by=by,
        **{field: data.get(field) or "" for field in PARTNER_CONTACT_FIELDS},
    )
    contact.full_clean()
    contact.save()
    audit.record(
        action="involvement.partner_contact_added",
        by=by,
        target=contact,
        after={"partner": partner.pk},
        context={"given": [f for f in PARTNER_CONTACT_FIELDS if getattr(contact, f)]},
    )
    return contact


@transaction.atomic
def remove_partner_contact(contact: PartnerContact, *, by: User) -> None:
    """Someone left the partner organisation: their details go."""
    if not by.has_perm(Perm.MANAGE_PARTNERS, contact):
        raise PermissionDenied
    audit.record(
        action="involvement.partner_contact_removed",
        by=by,
        target=contact,
        before={"partner": contact.partner_id},
    )
    contact.delete()


@transaction.atomic
def add_partner_agreement(
    partner: Organisation, data: Mapping[str, Any], *, by: User
) -> PartnerAgreement:
    _check_partner(partner, by)
    agreement = PartnerAgreement(
        organisation_id=by.organisation_id,
        partner=partner,
        created_by=by,
        title=data["title"],
        kind=data["kind"],
        starts_on=data["starts_on"],
        ends_on=data.get("ends_on"),
        link=data.get("link") or "",
    )
    agreement.full_clean()
    if agreement.ends_on and agreement.ends_on < agreement.starts_on:
        raise ValidationError({"ends_on": _("The end date must be on or after the start date")})
    agreement.save()
    audit.record(
        action="involvement.partner_agreement_added",
        by=by,
        target=agreement,
        after={"partner": partner.pk, **audit.snapshot(agreement, PARTNER_AGREEMENT_FIELDS)},
    )
    return agreement
