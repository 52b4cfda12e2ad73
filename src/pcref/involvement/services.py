"""Every change to the involvement register goes through here, and each one writes the audit log.

Personal values (name, contact details, communities, ethnic group, access needs, language)
never go into the audit log: entries say what happened, to which reference, and by whom.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pcref.core import audit
from pcref.core.audit import Actor
from pcref.core.models import Organisation, User
from pcref.core.presenters import date_only
from pcref.feedback.models import SubmissionAttempt
from pcref.feedback.services import address_hash, ethnicity_fields
from pcref.involvement.models import (
    EngagementEvent,
    EventParticipation,
    Interest,
    InvolvementOpportunity,
    InvolvementPayment,
    InvolvementRegistration,
    OpportunityMatch,
    PartnerAgreement,
    PartnerContact,
    PaymentRate,
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
def partner_contacts(partner: Organisation, *, viewer: User) -> list[PartnerContact]:
    """The people the viewer's trust keeps as contacts at a partner, with their email and
    phone; every look is audited, one entry a person, as for the register's contact details."""
    if not viewer.has_perm(Perm.VIEW_PARTNERS, None):
        raise PermissionDenied
    contacts = list(PartnerContact.objects.visible_to(viewer).filter(partner=partner))
    for contact in contacts:
        audit.record(action="involvement.partner_contact_viewed", by=viewer, target=contact)
    return contacts


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


# Engagement events and co-production activities ------------------------------------------------


EVENT_FIELDS = ("kind", "title", "held_on", "partner", "place", "heard", "led_to")
FEEDBACK_REFERENCE = re.compile(r"^FB-[A-Z0-9]{4}-[A-Z0-9]{4}$")
MAX_COMMUNITY_LENGTH = 100


def parse_participation(text: str) -> list[tuple[str, int]]:
    """Lines of "community, number" (a colon works too) as (community, people) pairs. Refuses
    a line without a number, a number that is not a whole number of zero or more, a community
    name that is too long, and a community given twice, naming the line and what it says."""
    rows: list[tuple[str, int]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        # The last comma or colon: a community's own name may have a comma in it.
        cut = max(line.rfind(","), line.rfind(":"))
        community, count = line[: max(cut, 0)].strip(), line[cut + 1 :].strip()
        if cut < 0 or not community:
            raise ValidationError(
                {
                    "participation": _(
                        'Line %(line)d ("%(value)s"): write the community, a comma and the '
                        "number of people, like Somali, 12"
                    )
                    % {"line": number, "value": line[:60]}
                }
            )
        if not count.isdigit() or not count.isascii() or int(count) > 100_000:
            raise ValidationError(
                {
                    "participation": _(
                        'Line %(line)d: "%(value)s" is not a number of people: enter a whole '
                        "number of 0 or more, like 12"
                    )
                    % {"line": number, "value": count[:20]}
                }
            )
        if len(community) > MAX_COMMUNITY_LENGTH:
            raise ValidationError(
                {
                    "participation": _(
                        "Line %(line)d: keep the community's name to %(max)d characters or fewer"
                    )
                    % {"line": number, "max": MAX_COMMUNITY_LENGTH}
                }
            )
        key = community.casefold()
        if key in seen:
            raise ValidationError(
                {
                    "participation": _(
                        'Line %(line)d: "%(value)s" is already on line %(first)d: give each '
                        "community once"
                    )
                    % {"line": number, "value": community, "first": seen[key]}
                }
            )
        seen[key] = number
        rows.append((community, int(count)))
    return rows


def parse_feedback_references(text: str) -> list[str]:
    """Feedback references separated by commas, spaces or new lines, in capitals; refuses
    anything that is not shaped like FB-XXXX-XXXX, naming it."""
    references = []
    for reference in re.split(r"[\s,;]+", (text or "").strip()):
        if not reference:
            continue
        reference = reference.upper()
        if not FEEDBACK_REFERENCE.match(reference):
            raise ValidationError(
                {
                    "feedback_references": _(
                        '"%(value)s" is not a feedback reference: they look like FB-7KQ2-M9XD'
                    )
                    % {"value": reference[:40]}
                }
            )
        if reference not in references:
            references.append(reference)
    return references


def _event_links(organisation: Organisation, data: Mapping[str, Any], by: User):
    """The feedback items (the trust's own, by reference) and plan actions (those the user may
    see) an event led to; refuses any other, naming it."""
    from pcref.feedback.models import FeedbackSubmission
    from pcref.governance.models import DeliveryAction

    references = list(data.get("feedback_references") or ())
    found = {
        item.reference: item
        for item in FeedbackSubmission.objects.filter(
            organisation=organisation, reference__in=references
        )
    }
    for reference in references:
        if reference not in found:
            raise ValidationError(
                {
                    "feedback_references": _(
                        "There is no feedback with the reference %(ref)s at this trust"
                    )
                    % {"ref": reference}
                }
            )
    actions = list(data.get("actions") or ())
    allowed = set(
        DeliveryAction.objects.visible_to(by)
        .filter(pk__in=[a.pk for a in actions])
        .values_list("pk", flat=True)
    )
    for action in actions:
        if action.pk not in allowed:
            raise ValidationError(
                {
                    "actions": _("Choose plan actions from the list: %(title)s is not on it")
                    % {"title": action.title}
                }
            )
    return [found[reference] for reference in references], actions


def _check_event_partner(partner: Organisation | None) -> None:
    if partner is not None and partner.kind == Organisation.Kind.NHS_TRUST:
        raise ValidationError(
            {"partner": _("%(name)s is an NHS trust, not a partner") % {"name": partner.name}}
        )


def _event_snapshot(event: EngagementEvent) -> dict:
    """What the log keeps about an event: no free text (what was heard, what it led to, the
    place), only whether it was given, and the counts."""
    rows = list(event.participation.all())
    return {
        "kind": event.kind,
        "held_on": event.held_on,
        "partner": event.partner_id,
        "communities": len(rows),
        "people": sum(row.people for row in rows),
        "feedback": sorted(item.reference for item in event.feedback_items.all()),
        "actions": sorted(str(action.pk) for action in event.actions.all()),
    }


def _save_event(event: EngagementEvent, data: Mapping[str, Any], by: User) -> EngagementEvent:
    participation = list(data.get("participation") or ())
    communities = [community.casefold() for community, _people in participation]
    if len(set(communities)) != len(communities):
        raise ValidationError({"participation": _("Give each community once")})
    if any(people < 0 for _community, people in participation):
        raise ValidationError({"participation": _("Numbers of people must be 0 or more")})
    if any(not c.strip() or len(c) > MAX_COMMUNITY_LENGTH for c, _people in participation):
        raise ValidationError(
            {"participation": _("Give each community a name of 100 characters or fewer")}
        )
    for field in EVENT_FIELDS:
        value = data.get(field)
        setattr(event, field, value if value is not None or field == "partner" else "")
    _check_event_partner(event.partner)
    event.full_clean()
    feedback_items, actions = _event_links(event.organisation, data, by)
    event.save()
    event.participation.all().delete()
    EventParticipation.objects.bulk_create(
        EventParticipation(event=event, community=community, people=people)
        for community, people in participation
    )
    event.feedback_items.set(feedback_items)
    event.actions.set(actions)
    return event


@transaction.atomic
def record_event(
    data: Mapping[str, Any], *, organisation: Organisation, by: User
) -> EngagementEvent:
    """Record an engagement event or co-production activity with its counts by community and
    what it led to: all saved, or nothing."""
    if not by.has_perm(Perm.MANAGE_EVENTS, None) or by.organisation_id != organisation.pk:
        raise PermissionDenied
    event = _save_event(EngagementEvent(organisation=organisation, created_by=by), data, by)
    audit.record(
        action="involvement.event_recorded",
        by=by,
        target=event,
        after=_event_snapshot(event),
        context={"given": [f for f in ("place", "led_to") if getattr(event, f)]},
    )
    return event


@transaction.atomic
def update_event(event: EngagementEvent, data: Mapping[str, Any], *, by: User) -> EngagementEvent:
    if not by.has_perm(Perm.MANAGE_EVENTS, event):
        raise PermissionDenied
    event = EngagementEvent.objects.select_for_update().get(pk=event.pk)
    before = _event_snapshot(event)
    texts = {f: getattr(event, f) for f in ("title", "place", "heard", "led_to")}
    event = _save_event(event, data, by)
    audit.record(
        action="involvement.event_changed",
        by=by,
        target=event,
        before=before,
        after=_event_snapshot(event),
        context={"changed": [f for f, value in texts.items() if getattr(event, f) != value]},
    )
    return event


# Payment policy, payments and recognition ------------------------------------------------------


AMOUNT = re.compile(r"^\d{1,7}(\.\d{1,2})?$")


def pence_from_pounds(text: str, *, field: str, allow_zero: bool = False) -> int:
    """An amount typed in pounds and pence ("25", "25.5", "£25.00") as pence; refuses blank,
    negative, not a number and more than two decimal places, naming the field."""
    value = (text or "").strip().replace(",", "")
    if value.startswith("£"):
        value = value[1:].strip()
    if not value:
        raise ValidationError({field: _("Enter the amount in pounds and pence, like 25.00")})
    if value.startswith("-"):
        raise ValidationError(
            {field: _("The amount cannot be negative: you entered %(value)s") % {"value": text}}
        )
    if re.fullmatch(r"\d+\.\d{3,}", value):
        raise ValidationError(
            {
                field: _(
                    "Enter the amount with no more than 2 decimal places, like 25.00: you "
                    "entered %(value)s"
                )
                % {"value": text}
            }
        )
    if not AMOUNT.match(value):
        raise ValidationError(
            {
                field: _("Enter the amount in pounds and pence, like 25.00: you entered %(value)s")
                % {"value": text[:40]}
            }
        )
    pence = int((Decimal(value) * 100).to_integral_value())
    if pence == 0 and not allow_zero:
        raise ValidationError({field: _("Enter an amount of more than 0.00")})
    return pence


def financial_year(day: date) -> str:
    """The NHS financial year (1 April to 31 March) of a date, like 2025/26."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


RATE_FIELDS = ("name", "unit", "amount_pence", "valid_from", "valid_until")


@transaction.atomic
def set_rate(data: Mapping[str, Any], *, organisation: Organisation, by: User) -> PaymentRate:
    """A rate of the payment policy, from a date. A new amount for an activity that already
    has a rate is a new rate: the current one ends the day before, so payments recorded at the
    old rate keep it."""
    if not by.has_perm(Perm.SET_RATES, None) or by.organisation_id != organisation.pk:
        raise PermissionDenied
    name = (data.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter the activity the rate is for")})
    amount = data.get("amount_pence")
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter an amount of more than 0.00")})
    valid_from = data["valid_from"]
    current = (
        PaymentRate.objects.select_for_update()
        .filter(organisation=organisation, name__iexact=name)
        .order_by("-valid_from")
        .first()
    )
    if current is not None and valid_from <= current.valid_from:
        raise ValidationError(
            {
                "valid_from": _(
                    "The rate for %(name)s already starts on %(date)s: a new rate must start "
                    "after that"
                )
                % {"name": current.name, "date": date_only(current.valid_from)}
            }
        )
    rate = PaymentRate(
        organisation=organisation,
        name=name,
        unit=data["unit"],
        amount_pence=amount,
        valid_from=valid_from,
        created_by=by,
    )
    rate.full_clean()
    replaced = None
    if current is not None and (current.valid_until is None or current.valid_until >= valid_from):
        before = audit.snapshot(current, RATE_FIELDS)
        current.valid_until = valid_from - timedelta(days=1)
        current.save(update_fields=["valid_until", "updated_at"])
        audit.record(
            action="involvement.rate_ended",
            by=by,
            target=current,
            before=before,
            after=audit.snapshot(current, RATE_FIELDS),
        )
        replaced = str(current.pk)
    rate.save()
    audit.record(
        action="involvement.rate_set",
        by=by,
        target=rate,
        after=audit.snapshot(rate, RATE_FIELDS),
        context={"replaces": replaced} if replaced else None,
    )
    return rate


def rates_valid_on(rates, day: date):
    """The rates (of a scoped queryset) that apply on a day."""
    return rates.filter(valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


def registration_choices(*, viewer: User) -> list[tuple[str, str]]:
    """The trust's people on the register, to choose whom a payment is for: by reference, with
    the name only for those who may see contact details (and then the look is recorded)."""
    if not viewer.has_perm(Perm.RECORD_PAYMENTS, None):
        raise PermissionDenied
    people = list(
        InvolvementRegistration.objects.visible_to(viewer)
        .filter(status=InvolvementRegistration.Status.ACTIVE)
        .order_by("created_at")
    )
    with_names = viewer.has_perm(Perm.VIEW_CONTACT_DETAILS, None)
    if with_names and people:
        audit.record(
            action="involvement.names_listed",
            by=viewer,
            context={"for": "payment", "people": len(people)},
        )
    return [
        (
            str(person.pk),
            f"{person.reference}: {person.name}"
            if with_names and person.name
            else person.reference,
        )
        for person in people
    ]


PAYMENT_FIELDS = (
    "registration",
    "kind",
    "activity_on",
    "rate",
    "units",
    "amount_pence",
    "event",
    "meeting",
    "paid_on",
)


def _payment_amount(payment: InvolvementPayment, data: Mapping[str, Any]) -> int:
    """The amount, fixed now: rate × units for payments and vouchers, as given for expenses,
    nothing for recognition."""
    kind, kinds = payment.kind, InvolvementPayment.Kind
    if kind == kinds.RECOGNITION:
        if payment.rate or payment.units or data.get("amount_pence"):
            raise ValidationError(
                {"rate": _("Recognition without payment has no rate, units or amount")}
            )
        if payment.paid_on:
            raise ValidationError(
                {"paid_on": _("Recognition without payment has no date it was paid")}
            )
        return 0
    if kind == kinds.EXPENSES:
        if payment.rate:
            raise ValidationError(
                {"rate": _("Expenses are paid as spent: leave the rate empty and enter the amount")}
            )
        amount = data.get("amount_pence")
        if not amount:
            raise ValidationError({"amount": _("Enter the amount of the expenses, like 12.40")})
        payment.units = None
        return amount
    if payment.rate is None:
        raise ValidationError({"rate": _("Choose the rate of the payment policy")})
    if data.get("amount_pence"):
        raise ValidationError(
            {"amount": _("Leave the amount empty: it is the rate times the units")}
        )
    # Fresh from the database: a new rate may have ended this one since the form was shown.
    rate = payment.rate = PaymentRate.objects.get(pk=payment.rate.pk)
    if rate.organisation_id != payment.organisation_id:
        raise ValidationError({"rate": _("Choose a rate of this trust's payment policy")})
    if rate.valid_from > payment.activity_on or (
        rate.valid_until is not None and rate.valid_until < payment.activity_on
    ):
        raise ValidationError(
            {
                "rate": _(
                    "The rate %(name)s does not apply on %(date)s: choose a rate valid on the "
                    "date of the activity"
                )
                % {"name": rate.name, "date": date_only(payment.activity_on)}
            }
        )
    if payment.units is None or payment.units <= 0:
        raise ValidationError({"units": _("Enter how many units, like 2 or 1.5")})
    return int(
        (Decimal(rate.amount_pence) * Decimal(payment.units)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )


@transaction.atomic
def record_payment(
    data: Mapping[str, Any], *, organisation: Organisation, by: User
) -> InvolvementPayment:
    """A payment, voucher, expenses or recognition for someone on the register. The amount is
    worked out here and fixed: a later change of rate never changes it."""
    from pcref.governance.models import GovernanceGroup

    if not by.has_perm(Perm.RECORD_PAYMENTS, None) or by.organisation_id != organisation.pk:
        raise PermissionDenied
    # Fresh from the database: the person may have withdrawn since the form was shown.
    registration = InvolvementRegistration.objects.get(pk=data["registration"].pk)
    if registration.organisation_id != organisation.pk:
        raise ValidationError({"registration": _("Choose someone on this trust's register")})
    if registration.is_withdrawn:
        raise ValidationError(
            {"registration": _("%(ref)s has withdrawn") % {"ref": registration.reference}}
        )
    payment = InvolvementPayment(
        organisation=organisation,
        registration=registration,
        kind=data["kind"],
        activity_on=data["activity_on"],
        description=(data.get("description") or "").strip(),
        rate=data.get("rate"),
        units=data.get("units"),
        event=data.get("event"),
        meeting=data.get("meeting"),
        paid_on=data.get("paid_on"),
        created_by=by,
    )
    if not payment.description:
        raise ValidationError({"description": _("Say what it was for")})
    if payment.event is not None and payment.event.organisation_id != organisation.pk:
        raise ValidationError({"event": _("Choose an event of this trust")})
    if (
        payment.meeting is not None
        and not GovernanceGroup.objects.visible_to(by).filter(pk=payment.meeting.group_id).exists()
    ):
        raise ValidationError({"meeting": _("Choose a meeting from the list")})
    if payment.activity_on is None:
        raise ValidationError({"activity_on": _("Enter the date of the activity")})
    _check_payment_dates(payment.activity_on, payment.paid_on)
    payment.amount_pence = _payment_amount(payment, data)
    payment.full_clean()
    payment.save()
    audit.record(
        action="involvement.payment_recorded",
        by=by,
        target=payment,
        after={
            **audit.snapshot(payment, PAYMENT_FIELDS),
            "registration": registration.reference,
        },
    )
    return payment


def _check_payment_dates(activity_on: date, paid_on: date | None) -> None:
    """A payment is for an activity that happened, and paid on or after it, not in future."""
    today = timezone.localdate()
    if activity_on > today:
        raise ValidationError(
            {"activity_on": _("The activity cannot be in the future: record it once it happened")}
        )
    if paid_on is not None and paid_on < activity_on:
        raise ValidationError({"paid_on": _("The date it was paid cannot be before the activity")})
    if paid_on is not None and paid_on > today:
        raise ValidationError({"paid_on": _("The date it was paid cannot be in the future")})


@transaction.atomic
def mark_paid(payment: InvolvementPayment, paid_on: date, *, by: User) -> InvolvementPayment:
    """Finance paid a recorded payment, voucher or expenses on a date."""
    if not by.has_perm(Perm.RECORD_PAYMENTS, payment):
        raise PermissionDenied
    if payment.kind == InvolvementPayment.Kind.RECOGNITION:
        raise ValidationError({"paid_on": _("Recognition without payment has no date it was paid")})
    _check_payment_dates(payment.activity_on, paid_on)
    before = {"paid_on": payment.paid_on}
    payment.paid_on = paid_on
    payment.save(update_fields=["paid_on", "updated_at"])
    audit.record(
        action="involvement.payment_paid",
        by=by,
        target=payment,
        before=before,
        after={"paid_on": paid_on},
        context={"person": payment.registration.reference},
    )
    return payment


def record_payments_export(*, by: User, rows: int, year: str = "") -> None:
    """Finance downloaded the payments: who, when, how many rows."""
    if not by.has_perm(Perm.VIEW_PAYMENTS, None):
        raise PermissionDenied
    audit.record(
        action="involvement.payments_exported",
        by=by,
        context={"rows": rows, "financial_year": year or "all"},
    )
