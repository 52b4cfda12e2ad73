"""Read-only queries that views share; scoped to what the user may see."""

from datetime import datetime, time

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from pcref.core.models import AuditEntry, Organisation, Programme, User


def public_trust() -> Organisation | None:
    """The trust whose site this is (PCREF_TRUST_ODS_CODE): its details are public."""
    return Organisation.objects.filter(ods_code=settings.TRUST_ODS_CODE).first()


def public_programmes(trust: Organisation | None) -> QuerySet[Programme]:
    if trust is None:
        return Programme.objects.none()
    return Programme.objects.filter(organisations=trust).prefetch_related("organisations")


def public_partners() -> QuerySet[Organisation]:
    """The organisations the trust works with, as the get-involved page lists them."""
    return Organisation.objects.exclude(kind=Organisation.Kind.NHS_TRUST)


def audit_entries_for(user: User) -> QuerySet[AuditEntry]:
    """An administrator sees the audit trail of their own organisation."""
    return AuditEntry.objects.filter(organisation_id=user.organisation_id)


def search_audit(entries: QuerySet[AuditEntry], criteria: dict) -> QuerySet[AuditEntry]:
    if criteria.get("action"):
        entries = entries.filter(action__icontains=criteria["action"])
    if criteria.get("who"):
        entries = entries.filter(actor_label__icontains=criteria["who"])
    if criteria.get("record"):
        entries = entries.filter(
            Q(target_id__icontains=criteria["record"])
            | Q(target_label__icontains=criteria["record"])
        )
    zone = timezone.get_current_timezone()
    if criteria.get("date_from"):
        entries = entries.filter(
            occurred_at__gte=timezone.make_aware(
                datetime.combine(criteria["date_from"], time.min), zone
            )
        )
    if criteria.get("date_to"):
        entries = entries.filter(
            occurred_at__lte=timezone.make_aware(
                datetime.combine(criteria["date_to"], time.max), zone
            )
        )
    return entries
