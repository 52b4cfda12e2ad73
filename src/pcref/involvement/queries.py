"""Read-only queries for involvement pages; callers pass querysets already scoped by visible_to."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from pcref.core.models import Organisation
from pcref.involvement.models import (
    InvolvementOpportunity,
    InvolvementPayment,
    InvolvementRegistration,
    PartnerAgreement,
    PartnerContact,
)


def register(registrations: QuerySet, criteria: dict) -> QuerySet:
    """The register, filtered by what people would like to do and by status."""
    if criteria.get("interest"):
        registrations = registrations.filter(interests__interest=criteria["interest"])
    if criteria.get("status"):
        registrations = registrations.filter(status=criteria["status"])
    return registrations.prefetch_related("interests").distinct()


def opportunities(scoped: QuerySet) -> QuerySet:
    return scoped.annotate(
        invited=Count("matches", filter=Q(matches__status="invited")),
        taking_part=Count("matches", filter=Q(matches__status="taking_part")),
        declined=Count("matches", filter=Q(matches__status="declined")),
    )


def candidates(
    registrations: QuerySet, opportunity: InvolvementOpportunity
) -> list[InvolvementRegistration]:
    """People still on the register and not yet matched: those interested in this kind first."""
    people = list(
        registrations.filter(status=InvolvementRegistration.Status.ACTIVE)
        .exclude(matches__opportunity=opportunity)
        .prefetch_related("interests")
        .order_by("created_at")
    )
    return sorted(
        people,
        key=lambda p: opportunity.kind not in {i.interest for i in p.interests.all()},
    )


def partner_organisations(user) -> QuerySet:
    """Voluntary, community and statutory partners (shared reference rows, as the public
    get-involved page lists them), with how many contacts and agreements the user's trust keeps."""
    mine = Q(partner_contacts__organisation_id=user.organisation_id)
    agreed = Q(partner_agreements__organisation_id=user.organisation_id)
    return Organisation.objects.exclude(kind=Organisation.Kind.NHS_TRUST).annotate(
        contacts=Count("partner_contacts", filter=mine, distinct=True),
        agreements=Count("partner_agreements", filter=agreed, distinct=True),
    )


def partner_records(user, partner: Organisation) -> tuple[list, list]:
    """The contacts and agreements the user's trust keeps about one partner."""
    return (
        list(PartnerContact.objects.visible_to(user).filter(partner=partner)),
        list(PartnerAgreement.objects.visible_to(user).filter(partner=partner)),
    )


def events(scoped: QuerySet, criteria: dict) -> QuerySet:
    """Events newest first, with how many people took part, by kind and calendar year."""
    if criteria.get("kind"):
        scoped = scoped.filter(kind=criteria["kind"])
    if criteria.get("year"):
        scoped = scoped.filter(held_on__year=int(criteria["year"]))
    return (
        scoped.select_related("partner")
        .annotate(people=Sum("participation__people"))
        .order_by("-held_on", "title")
    )


def event_years(scoped: QuerySet) -> list[int]:
    return sorted({day.year for day in scoped.values_list("held_on", flat=True)}, reverse=True)


def payments(scoped: QuerySet, year: str = "") -> QuerySet:
    """Payments newest first, of one financial year (like 2025/26) when given."""
    if year:
        start = date(int(year[:4]), 4, 1)
        scoped = scoped.filter(
            activity_on__gte=start, activity_on__lt=start.replace(year=start.year + 1)
        )
    return scoped.select_related("registration", "rate", "event", "meeting__group").order_by(
        "-activity_on", "-created_at"
    )


def payment_years(scoped: QuerySet) -> list[str]:
    from pcref.involvement.services import financial_year

    days = scoped.values_list("activity_on", flat=True)
    return sorted({financial_year(day) for day in days}, reverse=True)


def totals(payments: Iterable) -> list[dict]:
    """Totals per person per financial year (1 April to 31 March, by the date of the activity):
    payments and vouchers, expenses, and how many recognitions, by reference."""
    from pcref.involvement.services import financial_year

    Kind = InvolvementPayment.Kind
    rows: dict[tuple, dict] = {}
    for payment in payments:
        year = financial_year(payment.activity_on)
        row = rows.setdefault(
            (year, payment.registration.reference),
            {
                "year": year,
                "reference": payment.registration.reference,
                "registration_pk": payment.registration_id,
                "paid": 0,
                "expenses": 0,
                "recognitions": 0,
                "total": 0,
            },
        )
        if payment.kind == Kind.EXPENSES:
            row["expenses"] += payment.amount_pence
        elif payment.kind == Kind.RECOGNITION:
            row["recognitions"] += 1
        else:
            row["paid"] += payment.amount_pence
        row["total"] += payment.amount_pence
    # Newest year first, then by reference.
    ordered = sorted(rows.values(), key=lambda r: r["reference"])
    return sorted(ordered, key=lambda r: r["year"], reverse=True)


EXPORT_HEADER = [
    "reference",
    "kind",
    "activity_date",
    "financial_year",
    "what_for",
    "rate",
    "rate_unit",
    "rate_amount_gbp",
    "units",
    "amount_gbp",
    "event",
    "meeting",
    "paid_on",
    "recorded_at",
]


def export_rows(payments: Iterable) -> list[list]:
    """Rows for finance's CSV, by reference (never a name); amounts in pounds as decimals."""
    from pcref.involvement.services import financial_year

    def gbp(pence):
        return Decimal(pence) / 100 if pence is not None else None

    return [
        [
            payment.registration.reference,
            payment.kind,
            payment.activity_on,
            financial_year(payment.activity_on),
            payment.description,
            payment.rate.name if payment.rate else "",
            payment.rate.unit if payment.rate else "",
            gbp(payment.rate.amount_pence) if payment.rate else None,
            payment.units,
            gbp(payment.amount_pence),
            payment.event.title if payment.event else "",
            str(payment.meeting) if payment.meeting else "",
            payment.paid_on,
            payment.created_at,
        ]
        for payment in payments
    ]
