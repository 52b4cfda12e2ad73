"""Read-only queries for involvement pages; callers pass querysets already scoped by visible_to."""

from django.db.models import Count, Q, QuerySet

from pcref.core.models import Organisation
from pcref.involvement.models import (
    InvolvementOpportunity,
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
