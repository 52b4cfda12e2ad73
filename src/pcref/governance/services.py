"""Every change to delivery plans goes through here, and each one writes the audit log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pcref.core import audit
from pcref.core.models import Organisation, Programme, User
from pcref.governance.models import (
    RAG,
    DeliveryAction,
    DeliveryPlan,
    ProgressUpdate,
    Workstream,
)
from pcref.governance.rules import Perm

# The four priority workstreams of the trust this project started from (its 2025/26 plan).
DEFAULT_WORKSTREAMS = (
    "Workforce and cultural awareness",
    "Partnership working",
    "Coproduction and lived experience",
    "Improving data quality and insight",
)
PLAN_FIELDS = ("title", "year", "approved_by", "approved_on", "programme")
ACTION_FIELDS = (
    "workstream",
    "title",
    "description",
    "owner",
    "lead_organisation",
    "component",
    "competency",
    "due_on",
    "status",
)


def _check(by: User, perm: Perm, target) -> None:
    if not by.has_perm(perm, target):
        raise PermissionDenied


def _full_clean(instance, exclude=()) -> None:
    instance.full_clean(exclude=list(exclude), validate_unique=True, validate_constraints=False)


@transaction.atomic
def create_plan(
    data: Mapping[str, Any],
    workstreams: Sequence[str],
    *,
    organisation: Organisation,
    by: User,
) -> DeliveryPlan:
    """A plan and its workstreams, in one step: all saved, or nothing."""
    _check(by, Perm.MANAGE_PLANS, None)
    if by.organisation_id != organisation.pk:
        raise PermissionDenied
    programme: Programme | None = data.get("programme")
    if programme is not None and not programme.organisations.filter(pk=organisation.pk).exists():
        raise ValidationError(
            {"programme": _("Choose a programme %(name)s belongs to") % {"name": organisation}}
        )
    names = [name.strip() for name in workstreams if name.strip()]
    if not names:
        raise ValidationError({"workstreams": _("Enter at least one workstream")})
    if len({name.casefold() for name in names}) != len(names):
        raise ValidationError({"workstreams": _("Give each workstream a different name")})
    if bool(data.get("approved_by")) != bool(data.get("approved_on")):
        field = "approved_on" if data.get("approved_by") else "approved_by"
        raise ValidationError(
            {field: _("Enter both the committee that approved the plan and the date, or neither")}
        )
    plan = DeliveryPlan(
        organisation=organisation,
        programme=programme,
        title=data["title"],
        year=data["year"],
        approved_by=data.get("approved_by") or "",
        approved_on=data.get("approved_on"),
        created_by=by,
    )
    plan.full_clean()
    plan.save()
    for position, name in enumerate(names):
        workstream = Workstream(plan=plan, name=name, position=position)
        workstream.full_clean()
        workstream.save()
    audit.record(
        action="governance.plan_created",
        by=by,
        target=plan,
        after={**audit.snapshot(plan, PLAN_FIELDS), "workstreams": names},
    )
    return plan


def _check_action(action: DeliveryAction) -> None:
    """The owner works for an organisation in the plan's reach, and the workstream is the plan's."""
    plan = action.workstream.plan
    reach = {plan.organisation_id}
    if plan.programme_id:
        reach |= set(plan.programme.organisations.values_list("pk", flat=True))
    if action.owner.organisation_id not in reach or action.owner.is_partner_user:
        raise ValidationError(
            {"owner": _("Choose an owner who works for an organisation of this plan")}
        )


@transaction.atomic
def add_action(plan: DeliveryPlan, data: Mapping[str, Any], *, by: User) -> DeliveryAction:
    _check(by, Perm.MANAGE_PLANS, plan)
    if data["workstream"].plan_id != plan.pk:
        raise ValidationError({"workstream": _("Choose a workstream of this plan")})
    action = DeliveryAction(
        created_by=by,
        **{field: data.get(field) for field in ACTION_FIELDS if field != "description"},
        description=data.get("description") or "",
    )
    _full_clean(action)
    _check_action(action)
    action.save()
    audit.record(
        action="governance.action_added",
        by=by,
        target=action,
        after=audit.snapshot(action, ACTION_FIELDS),
        organisation_id=plan.organisation_id,
    )
    return action


@transaction.atomic
def change_action(action: DeliveryAction, data: Mapping[str, Any], *, by: User) -> DeliveryAction:
    _check(by, Perm.MANAGE_PLANS, action)
    action = DeliveryAction.objects.select_for_update().get(pk=action.pk)
    plan = action.workstream.plan
    if data["workstream"].plan_id != plan.pk:
        raise ValidationError({"workstream": _("Choose a workstream of this plan")})
    before = audit.snapshot(action, ACTION_FIELDS)
    for field in ACTION_FIELDS:
        setattr(action, field, data.get(field) if field != "description" else data.get(field) or "")
    _full_clean(action)
    _check_action(action)
    action.save()
    audit.record(
        action="governance.action_changed",
        by=by,
        target=action,
        before=before,
        after=audit.snapshot(action, ACTION_FIELDS),
        organisation_id=plan.organisation_id,
    )
    return action


@transaction.atomic
def add_progress_update(
    action: DeliveryAction, data: Mapping[str, Any], *, by: User
) -> ProgressUpdate:
    """Record progress; a date in the future is refused (progress is what has happened)."""
    _check(by, Perm.MANAGE_PLANS, action)
    recorded_on = data.get("recorded_on") or timezone.localdate()
    if recorded_on > timezone.localdate():
        raise ValidationError({"recorded_on": _("The date of an update cannot be in the future")})
    if not (data.get("text") or "").strip():
        raise ValidationError({"text": _("Describe the progress made")})
    update = ProgressUpdate(
        action=action,
        text=data["text"],
        recorded_on=recorded_on,
        evidence_link=data.get("evidence_link") or "",
        written_by=by,
    )
    update.full_clean()
    update.save()
    audit.record(
        action="governance.progress_recorded",
        by=by,
        target=action,
        after={
            "text": update.text,
            "recorded_on": update.recorded_on,
            "evidence_link": update.evidence_link,
        },
        organisation_id=action.workstream.plan.organisation_id,
    )
    return update


@transaction.atomic
def override_rag(action: DeliveryAction, rag: str, reason: str, *, by: User) -> DeliveryAction:
    """Set the rating by hand, with a reason; an empty `rag` goes back to the computed rating."""
    _check(by, Perm.MANAGE_PLANS, action)
    action = DeliveryAction.objects.select_for_update().get(pk=action.pk)
    rag = RAG(rag) if rag else ""
    reason = (reason or "").strip() if rag else ""
    if rag and not reason:
        raise ValidationError({"reason": _("Give a reason for overriding the RAG rating")})
    before = {
        "rag_override": action.rag_override,
        "rag_override_reason": action.rag_override_reason,
    }
    action.rag_override, action.rag_override_reason = rag, reason
    action.save(update_fields=["rag_override", "rag_override_reason", "updated_at"])
    audit.record(
        action="governance.rag_overridden" if rag else "governance.rag_override_removed",
        by=by,
        target=action,
        before=before,
        after={"rag_override": rag, "rag_override_reason": reason},
        organisation_id=action.workstream.plan.organisation_id,
    )
    return action


@transaction.atomic
def publish_plan(plan: DeliveryPlan, *, by: User) -> DeliveryPlan:
    """Show the plan on the public page `/our-plan/`, from now."""
    _check(by, Perm.MANAGE_PLANS, plan)
    plan = DeliveryPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.published_at is None:
        plan.published_at, plan.published_by = timezone.now(), by
        plan.save(update_fields=["published_at", "published_by", "updated_at"])
        audit.record(
            action="governance.plan_published",
            by=by,
            target=plan,
            after={"published_at": plan.published_at},
        )
    return plan


@transaction.atomic
def unpublish_plan(plan: DeliveryPlan, *, by: User) -> DeliveryPlan:
    """Take the plan off the public page."""
    _check(by, Perm.MANAGE_PLANS, plan)
    plan = DeliveryPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.published_at is not None:
        before = {"published_at": plan.published_at}
        plan.published_at, plan.published_by = None, None
        plan.save(update_fields=["published_at", "published_by", "updated_at"])
        audit.record(
            action="governance.plan_unpublished",
            by=by,
            target=plan,
            before=before,
            after={"published_at": None},
        )
    return plan
