"""Every change to delivery plans goes through here, and each one writes the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pcref.analytics.metrics.catalogue import CATALOGUE
from pcref.core import audit
from pcref.core.models import Organisation, Programme, User
from pcref.feedback.models import FeedbackSubmission, Theme, YouSaidWeDidEntry
from pcref.governance import files, measures
from pcref.governance.models import (
    RAG,
    ActionMeasure,
    DeliveryAction,
    DeliveryPlan,
    Direction,
    EvidenceFile,
    Milestone,
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
    themes = _themes(data)
    action.save()
    action.themes.set(themes)
    audit.record(
        action="governance.action_added",
        by=by,
        target=action,
        after={**audit.snapshot(action, ACTION_FIELDS), "themes": _theme_keys(themes)},
        organisation_id=plan.organisation_id,
    )
    return action


def _themes(data: Mapping[str, Any]) -> list[Theme]:
    """The feedback themes an action answers: themes in use only."""
    themes = list(data.get("themes") or [])
    for theme in themes:
        if not theme.is_active:
            raise ValidationError(
                {"themes": _("%(theme)s is no longer in use; choose another") % {"theme": theme}}
            )
    return themes


def _theme_keys(themes) -> list[str]:
    return sorted(theme.key for theme in themes)


@transaction.atomic
def change_action(action: DeliveryAction, data: Mapping[str, Any], *, by: User) -> DeliveryAction:
    _check(by, Perm.MANAGE_PLANS, action)
    action = DeliveryAction.objects.select_for_update().get(pk=action.pk)
    plan = action.workstream.plan
    if data["workstream"].plan_id != plan.pk:
        raise ValidationError({"workstream": _("Choose a workstream of this plan")})
    before = {**audit.snapshot(action, ACTION_FIELDS), "themes": _theme_keys(action.themes.all())}
    for field in ACTION_FIELDS:
        setattr(action, field, data.get(field) if field != "description" else data.get(field) or "")
    _full_clean(action)
    _check_action(action)
    themes = _themes(data) if "themes" in data else list(action.themes.all())
    action.save()
    action.themes.set(themes)
    audit.record(
        action="governance.action_changed",
        by=by,
        target=action,
        before=before,
        after={**audit.snapshot(action, ACTION_FIELDS), "themes": _theme_keys(themes)},
        organisation_id=plan.organisation_id,
    )
    return action


REFERENCE_PATTERN = re.compile(r"^FB-[A-Z0-9]{4}-[A-Z0-9]{4}$")


def parse_references(text: str | Iterable[str]) -> list[str]:
    """Feedback references written one to a line or separated by commas, in capitals, each once."""
    if isinstance(text, str):
        text = re.split(r"[,;\s]+", text)
    seen: list[str] = []
    for reference in text:
        reference = reference.strip().upper()
        if reference and reference not in seen:
            seen.append(reference)
    return seen


def _cited_feedback(plan: DeliveryPlan, references: list[str], by: User) -> list:
    """The feedback the references name: the plan organisation's, and visible to the writer."""
    found = {
        submission.reference: submission
        for submission in FeedbackSubmission.objects.visible_to(by).filter(
            organisation_id=plan.organisation_id, reference__in=references
        )
    }
    for reference in references:
        if not REFERENCE_PATTERN.match(reference):
            raise ValidationError(
                {
                    "feedback_references": _(
                        "%(reference)s is not a feedback reference; they look like FB-ABCD-EFGH"
                    )
                    % {"reference": reference}
                }
            )
        if reference not in found:
            raise ValidationError(
                {
                    "feedback_references": _(
                        "%(reference)s is not feedback to %(organisation)s that you can see"
                    )
                    % {"reference": reference, "organisation": plan.organisation}
                }
            )
    return [found[reference] for reference in references]


def _cited_entries(plan: DeliveryPlan, entries: Iterable[YouSaidWeDidEntry]) -> list:
    entries = list(entries or [])
    for entry in entries:
        if entry.organisation_id != plan.organisation_id:
            raise ValidationError(
                {
                    "you_said_we_did": _("Choose “You said, we did” entries of %(organisation)s")
                    % {"organisation": plan.organisation}
                }
            )
    return entries


@transaction.atomic
def add_progress_update(
    action: DeliveryAction,
    data: Mapping[str, Any],
    *,
    by: User,
    uploaded: UploadedFile | None = None,
) -> ProgressUpdate:
    """Record progress, with its evidence: a link, a file, feedback it answers and "You said, we
    did" entries. A date in the future is refused (progress is what has happened); any refusal
    saves nothing."""
    _check(by, Perm.MANAGE_PLANS, action)
    plan = action.workstream.plan
    recorded_on = data.get("recorded_on") or timezone.localdate()
    if recorded_on > timezone.localdate():
        raise ValidationError({"recorded_on": _("The date of an update cannot be in the future")})
    if not (data.get("text") or "").strip():
        raise ValidationError({"text": _("Describe the progress made")})
    if uploaded is not None:
        files.check_upload(uploaded, "file")
    feedback = _cited_feedback(plan, parse_references(data.get("feedback_references") or ""), by)
    entries = _cited_entries(plan, data.get("you_said_we_did"))
    update = ProgressUpdate(
        action=action,
        text=data["text"],
        recorded_on=recorded_on,
        evidence_link=data.get("evidence_link") or "",
        written_by=by,
    )
    update.full_clean()
    update.save()
    update.feedback_items.set(feedback)
    update.you_said_we_did.set(entries)
    audit.record(
        action="governance.progress_recorded",
        by=by,
        target=action,
        after={
            "text": audit.MASK,
            "recorded_on": update.recorded_on,
            "evidence_link": update.evidence_link,
            "feedback_items": [str(item.pk) for item in feedback],
            "you_said_we_did": [str(entry.pk) for entry in entries],
        },
        organisation_id=plan.organisation_id,
    )
    if uploaded is not None:
        stored = EvidenceFile(update=update, uploaded_by=by, **files.file_fields(uploaded))
        files.save_file(stored, uploaded, _("this evidence file"))
        stored.save()
        audit.record(
            action="governance.evidence_file_added",
            by=by,
            target=action,
            after={"file": str(stored.pk), "size": stored.size, "sha256": stored.sha256},
            organisation_id=plan.organisation_id,
        )
    return update


@transaction.atomic
def remove_evidence_file(stored: EvidenceFile, *, by: User) -> DeliveryAction:
    """An evidence file uploaded by mistake (the wrong file, or one with personal details in
    it) taken away from its progress update, which stays: its record now, its stored file once
    that is committed. Returns the action. Audited by size and checksum, never its name."""
    stored = (
        EvidenceFile.objects.select_for_update()
        .select_related("update__action__workstream__plan")
        .get(pk=stored.pk)
    )
    action = stored.update.action
    _check(by, Perm.MANAGE_PLANS, action)
    audit.record(
        action="governance.evidence_file_removed",
        by=by,
        target=action,
        before={"file": str(stored.pk), "size": stored.size, "sha256": stored.sha256},
        organisation_id=action.workstream.plan.organisation_id,
    )
    files.delete_after_commit(stored)
    stored.delete()
    return action


@transaction.atomic
def add_milestone(action: DeliveryAction, data: Mapping[str, Any], *, by: User) -> Milestone:
    """A step on the way: due no later than the action itself."""
    _check(by, Perm.MANAGE_PLANS, action)
    title = (data.get("title") or "").strip()
    if not title:
        raise ValidationError({"title": _("Enter the milestone")})
    due_on: date | None = data.get("due_on")
    if due_on is None:
        raise ValidationError({"due_on": _("Enter the milestone's due date")})
    if due_on > action.due_on:
        raise ValidationError(
            {
                "due_on": _(
                    "The milestone is due on %(date)s, after the action's own due date, %(due)s"
                )
                % {"date": date_format(due_on), "due": date_format(action.due_on)}
            }
        )
    milestone = Milestone(action=action, title=title, due_on=due_on)
    milestone.full_clean()
    milestone.save()
    audit.record(
        action="governance.milestone_added",
        by=by,
        target=action,  # the action's title, not the milestone's words, names the entry
        after={"milestone": str(milestone.pk), "due_on": due_on},
        organisation_id=action.workstream.plan.organisation_id,
    )
    return milestone


@transaction.atomic
def mark_milestone_done(milestone: Milestone, done_on: date | None, *, by: User) -> Milestone:
    """Mark a milestone done on a day that has come (not in the future)."""
    _check(by, Perm.MANAGE_PLANS, milestone.action)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if done_on is None:
        raise ValidationError({"done_on": _("Enter the date the milestone was done")})
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("The date it was done cannot be in the future")})
    before = {"done_on": milestone.done_on}
    milestone.done_on = done_on
    milestone.save(update_fields=["done_on", "updated_at"])
    audit.record(
        action="governance.milestone_done",
        by=by,
        target=milestone.action,
        before=before,
        after={"milestone": str(milestone.pk), "done_on": done_on},
        organisation_id=milestone.action.workstream.plan.organisation_id,
    )
    return milestone


MEASURE_FIELDS = (
    "metric_id",
    "group_scheme",
    "group",
    "statistic",
    "baseline",
    "target",
    "direction",
    "target_on",
)


@transaction.atomic
def link_measure(action: DeliveryAction, data: Mapping[str, Any], *, by: User) -> ActionMeasure:
    """Link a metric of the catalogue the action should move: for all people or one broad
    ethnic group, its value or its ratio to White, from a baseline to a target."""
    _check(by, Perm.MANAGE_PLANS, action)
    metric_id = (data.get("metric_id") or "").strip()
    if metric_id not in CATALOGUE:
        raise ValidationError(
            {"metric_id": _("%(value)s is not a metric of the catalogue") % {"value": metric_id}}
        )
    group = data.get("group") or ""
    if group and group not in dict(measures.group_choices()):
        raise ValidationError({"group": _("%(value)s is not a group we report") % {"value": group}})
    if not measures.reported_for(metric_id, group):
        raise ValidationError(
            {
                "group": _("%(metric)s is reported for all people only, not by %(group)s")
                % {"metric": metric_id, "group": group}
            }
        )
    statistic = data.get("statistic") or ActionMeasure.Statistic.VALUE
    if statistic not in ActionMeasure.Statistic.values:
        raise ValidationError({"statistic": _("Choose the group's value or its ratio to White")})
    if statistic == ActionMeasure.Statistic.RATIO and not measures.has_ratio(metric_id, group):
        raise ValidationError(
            {
                "statistic": _(
                    "%(metric)s has no ratio to White for %(group)s: choose a group other than "
                    "White, of a metric compared with White"
                )
                % {"metric": metric_id, "group": group or _("all people")}
            }
        )
    if data.get("direction") not in Direction.values:
        raise ValidationError({"direction": _("Choose whether lower or higher is better")})
    if data.get("target") is None:
        raise ValidationError({"target": _("Enter the target")})
    if ActionMeasure.objects.filter(
        action=action, metric_id=metric_id, group=group, statistic=statistic
    ).exists():
        raise ValidationError({"metric_id": _("This action already has that measure")})
    measure = ActionMeasure(
        action=action,
        metric_id=metric_id,
        group_scheme="broad" if group else measures.ALL_PEOPLE,
        group=group,
        statistic=statistic,
        baseline=data.get("baseline"),
        target=data["target"],
        direction=data["direction"],
        target_on=data.get("target_on"),
    )
    measure.full_clean()
    measure.save()
    audit.record(
        action="governance.measure_linked",
        by=by,
        target=action,
        after={"measure": str(measure.pk), **audit.snapshot(measure, MEASURE_FIELDS)},
        organisation_id=action.workstream.plan.organisation_id,
    )
    return measure


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
