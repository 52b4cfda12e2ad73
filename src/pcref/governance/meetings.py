"""Steering and working groups: members, meetings, papers, attendance, minutes, decisions (which
may create a plan action in the same step) and the action log. Every change goes through here,
checks the permission, and writes the audit log without names or free text (only "changed")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pcref.core import audit
from pcref.core.models import Organisation, User
from pcref.core.presenters import date_only
from pcref.core.roles import Role
from pcref.governance import files, services
from pcref.governance.models import (
    Attendance,
    Decision,
    DeliveryAction,
    DeliveryPlan,
    GovernanceGroup,
    GroupMember,
    LogItem,
    Meeting,
    MeetingPaper,
)
from pcref.governance.rules import Perm

GROUP_FIELDS = ("kind", "programme", "plan", "workstream")
MEMBER_FIELDS = (
    "user",
    "organisation",
    "role",
    "represents",
    "is_lived_experience_partner",
    "joined_on",
    "left_on",
)
# What a decision needs to create a plan action (the action form's required fields).
ACTION_REQUIRED = {
    "title": lambda: _("Enter a title for the plan action"),
    "workstream": lambda: _("Choose a workstream"),
    "owner": lambda: _("Choose the owner"),
    "lead_organisation": lambda: _("Choose the lead organisation"),
    "component": lambda: _("Choose the PCREF component"),
    "competency": lambda: _("Choose the national organisational competency"),
    "due_on": lambda: _("Enter the due date"),
}


def _check(by: User, perm: Perm, target) -> None:
    if not by.has_perm(perm, target):
        raise PermissionDenied


def _text(data: Mapping[str, Any], field: str) -> str:
    return (data.get(field) or "").strip()


def _masked(before: Mapping[str, Any], after: Mapping[str, Any], fields) -> tuple[dict, dict]:
    """Names and free text go into the log as "changed", never as what they say."""
    old, new = dict(before), dict(after)
    for field in fields:
        if old.get(field) != new.get(field):
            old[field], new[field] = None, audit.MASK
        else:
            old.pop(field, None)
            new.pop(field, None)
    return old, new


def _record(action: str, by: User, target, group: GovernanceGroup, before=None, after=None, **ctx):
    audit.record(
        action=action,
        by=by,
        target=target,
        before=before,
        after=after,
        context=ctx or None,
        organisation_id=group.organisation_id,
    )


def reach(group: GovernanceGroup) -> set:
    """The organisations of a group: its own, and its programme's."""
    ids = {group.organisation_id}
    if group.programme_id:
        ids |= set(group.programme.organisations.values_list("pk", flat=True))
    return ids


# ---------------------------------------------------------------------------------------------
# Groups and members


@transaction.atomic
def create_group(
    data: Mapping[str, Any], *, organisation: Organisation, by: User
) -> GovernanceGroup:
    """A steering group or working group of the user's organisation, perhaps shared with a
    programme and linked to a delivery plan (its decisions can then become the plan's actions)."""
    _check(by, Perm.MANAGE_GROUPS, None)
    if by.organisation_id != organisation.pk:
        raise PermissionDenied
    name = _text(data, "name")
    if not name:
        raise ValidationError({"name": _("Enter the name of the group")})
    if GovernanceGroup.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValidationError(
            {"name": _("Your organisation has a group called %(name)s already") % {"name": name}}
        )
    kind = data.get("kind")
    if kind not in GovernanceGroup.Kind.values:
        raise ValidationError({"kind": _("Choose whether this is a steering or working group")})
    programme = data.get("programme")
    if programme is not None and not programme.organisations.filter(pk=organisation.pk).exists():
        raise ValidationError(
            {"programme": _("Choose a programme %(name)s belongs to") % {"name": organisation}}
        )
    plan: DeliveryPlan | None = data.get("plan")
    workstream = data.get("workstream")
    if workstream is not None and plan is None:
        plan = workstream.plan
    if workstream is not None and workstream.plan_id != plan.pk:
        raise ValidationError({"workstream": _("Choose a workstream of the chosen plan")})
    if plan is not None and not by.has_perm(Perm.MANAGE_PLANS, plan):
        raise ValidationError({"plan": _("Choose a plan you run")})
    group = GovernanceGroup(
        organisation=organisation,
        programme=programme,
        plan=plan,
        workstream=workstream,
        name=name,
        kind=kind,
        purpose=_text(data, "purpose"),
        created_by=by,
    )
    group.full_clean()
    group.save()
    _record(
        "governance.group_created",
        by,
        group,
        group,
        after=audit.snapshot(group, ("name", *GROUP_FIELDS)),
    )
    return group


def _check_member(group: GovernanceGroup, member: GroupMember) -> None:
    if not member.name.strip():
        raise ValidationError({"name": _("Enter the member's name")})
    if member.user_id and (
        member.user.organisation_id not in reach(group) or member.user.is_partner_user
    ):
        raise ValidationError(
            {"user": _("Choose a staff account of an organisation of this group")}
        )
    if member.left_on and member.left_on < member.joined_on:
        raise ValidationError(
            {
                "left_on": _("The date they left cannot be before the date they joined, %(date)s")
                % {"date": date_only(member.joined_on)}
            }
        )


def _member_fields(member: GroupMember, data: Mapping[str, Any]) -> None:
    member.name = _text(data, "name")
    member.user = data.get("user")
    member.organisation = data.get("organisation")
    member.role = data.get("role") or GroupMember.Role.MEMBER
    member.represents = data.get("represents") or ""
    member.is_lived_experience_partner = bool(data.get("is_lived_experience_partner"))
    member.joined_on = data.get("joined_on")
    member.left_on = data.get("left_on")


@transaction.atomic
def add_member(group: GovernanceGroup, data: Mapping[str, Any], *, by: User) -> GroupMember:
    _check(by, Perm.MANAGE_GROUPS, group)
    member = GroupMember(group=group)
    _member_fields(member, data)
    if member.joined_on is None:
        raise ValidationError({"joined_on": _("Enter the date they joined")})
    _check_member(group, member)
    member.full_clean()
    member.save()
    before, after = _masked({}, {"name": member.name}, ["name"])
    _record(
        "governance.member_added",
        by,
        group,
        group,
        before=before,
        after={**after, **audit.snapshot(member, MEMBER_FIELDS)},
        member=str(member.pk),
    )
    return member


@transaction.atomic
def change_member(member: GroupMember, data: Mapping[str, Any], *, by: User) -> GroupMember:
    """Change what we know of a member; a date in `left_on` marks them as having left."""
    _check(by, Perm.MANAGE_GROUPS, member)
    member = GroupMember.objects.select_for_update().get(pk=member.pk)
    group = member.group
    old_name = member.name
    before = audit.snapshot(member, MEMBER_FIELDS)
    _member_fields(member, data)
    if member.joined_on is None:
        raise ValidationError({"joined_on": _("Enter the date they joined")})
    _check_member(group, member)
    member.full_clean()
    member.save()
    names_before, names_after = _masked({"name": old_name}, {"name": member.name}, ["name"])
    _record(
        "governance.member_changed",
        by,
        group,
        group,
        before={**names_before, **before},
        after={**names_after, **audit.snapshot(member, MEMBER_FIELDS)},
        member=str(member.pk),
    )
    return member


def current_members(group: GovernanceGroup, on: date) -> QuerySet:
    """Who belonged to the group on a day: joined by then, and not yet left."""
    return group.members.filter(joined_on__lte=on).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=on)
    )


# ---------------------------------------------------------------------------------------------
# Meetings, papers, attendance, minutes


def _meeting_answers(group: GovernanceGroup, data: Mapping[str, Any], meeting=None):
    """The date and agenda of a new or changed meeting, checked: one meeting a day per group."""
    held_on = data.get("held_on")
    if held_on is None:
        raise ValidationError({"held_on": _("Enter the date of the meeting")})
    agenda = _text(data, "agenda")
    if not agenda:
        raise ValidationError({"agenda": _("Enter the agenda")})
    others = group.meetings.exclude(pk=meeting.pk) if meeting else group.meetings.all()
    if others.filter(held_on=held_on).exists():
        raise ValidationError(
            {
                "held_on": _("This group has a meeting on %(date)s already")
                % {"date": date_only(held_on)}
            }
        )
    return held_on, agenda


def _check_held(meeting: Meeting, field: str | None, message: str) -> None:
    """Attendance and minutes are of a meeting that has taken place."""
    if meeting.held_on > timezone.localdate():
        raise ValidationError({field: message % {"date": date_only(meeting.held_on)}})


@transaction.atomic
def create_meeting(group: GovernanceGroup, data: Mapping[str, Any], *, by: User) -> Meeting:
    _check(by, Perm.MANAGE_GROUPS, group)
    held_on, agenda = _meeting_answers(group, data)
    meeting = Meeting(group=group, held_on=held_on, agenda=agenda, created_by=by)
    meeting.full_clean()
    meeting.save()
    _record(
        "governance.meeting_created",
        by,
        meeting,
        group,
        after={"held_on": held_on, "agenda": audit.MASK},
    )
    return meeting


@transaction.atomic
def update_meeting(meeting: Meeting, data: Mapping[str, Any], *, by: User) -> Meeting:
    """A meeting's date or agenda put right. A meeting with attendance or minutes has taken
    place: it cannot move to a day still to come, nor after the day its minutes were approved."""
    _check(by, Perm.MANAGE_GROUPS, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    held_on, agenda = _meeting_answers(meeting.group, data, meeting)
    if held_on > timezone.localdate() and (meeting.minutes or meeting.attendance.exists()):
        raise ValidationError(
            {
                "held_on": _(
                    "This meeting has attendance or minutes, so it has taken place: enter a "
                    "date that is not in the future"
                )
            }
        )
    if meeting.minutes_approved_on and held_on > meeting.minutes_approved_on:
        raise ValidationError(
            {
                "held_on": _("The minutes were approved on %(date)s: the meeting was before")
                % {"date": date_only(meeting.minutes_approved_on)}
            }
        )
    before = {"held_on": meeting.held_on, "agenda": meeting.agenda}
    meeting.held_on, meeting.agenda = held_on, agenda
    meeting.full_clean()
    meeting.save(update_fields=["held_on", "agenda", "updated_at"])
    old, new = _masked(before, {"held_on": held_on, "agenda": agenda}, ["agenda"])
    if old["held_on"] == new["held_on"]:
        del old["held_on"], new["held_on"]
    _record("governance.meeting_changed", by, meeting, meeting.group, before=old, after=new)
    return meeting


def is_recorded(meeting: Meeting) -> bool:
    """Whether anything of the meeting has been recorded: papers, attendance, minutes,
    decisions or the action log. Such a meeting is part of the group's record and stays."""
    return bool(
        meeting.minutes
        or meeting.minutes_approved_on
        or meeting.papers.exists()
        or meeting.attendance.exists()
        or meeting.decisions.exists()
        or meeting.log_items.exists()
    )


@transaction.atomic
def remove_meeting(meeting: Meeting, *, by: User) -> GovernanceGroup:
    """A meeting set up by mistake (the wrong group, twice) taken away, while nothing of it is
    recorded; returns its group. The audit log keeps its date."""
    _check(by, Perm.MANAGE_GROUPS, meeting)
    meeting = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    if is_recorded(meeting):
        raise ValidationError(
            _(
                "This meeting has papers, attendance, minutes, decisions or action log items "
                "recorded, so it stays as part of the group's record. You can change its date "
                "or agenda."
            )
        )
    group = meeting.group
    _record(
        "governance.meeting_removed",
        by,
        meeting,
        group,
        before={"held_on": meeting.held_on, "agenda": audit.MASK},
    )
    meeting.delete()
    return group


@transaction.atomic
def add_paper(meeting: Meeting, title: str, uploaded: UploadedFile, *, by: User) -> MeetingPaper:
    """A paper for the meeting: a document or image of an allowed kind, not empty, not too big."""
    _check(by, Perm.MANAGE_GROUPS, meeting)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Enter the title of the paper")})
    if uploaded is None:
        raise ValidationError({"file": _("Choose a file")})
    files.check_upload(uploaded, "file")
    paper = MeetingPaper(
        meeting=meeting, title=title, uploaded_by=by, **files.file_fields(uploaded)
    )
    files.save_file(paper, uploaded, _("this meeting paper"))
    try:
        paper.full_clean()
        paper.save()
        _record(
            "governance.paper_added",
            by,
            meeting,
            meeting.group,
            after={"paper": paper.pk, "size": paper.size, "sha256": paper.sha256},
        )
    except Exception:
        paper.file.delete(save=False)  # no file is kept without its record
        raise
    return paper


@transaction.atomic
def remove_paper(paper: MeetingPaper, *, by: User) -> Meeting:
    """A paper uploaded by mistake (the wrong file, or one with personal details in it) taken
    away: its record now, its stored file once that is committed. Returns its meeting. The
    audit log keeps its size and checksum, as when it was added, never its name."""
    _check(by, Perm.MANAGE_GROUPS, paper.meeting)
    paper = (
        MeetingPaper.objects.select_for_update().select_related("meeting__group").get(pk=paper.pk)
    )
    meeting = paper.meeting
    _record(
        "governance.paper_removed",
        by,
        meeting,
        meeting.group,
        before={"paper": paper.pk, "size": paper.size, "sha256": paper.sha256},
    )
    files.delete_after_commit(paper)
    paper.delete()
    return meeting


def attendance_field(member: GroupMember) -> str:
    """The name of a member's answer on the attendance form."""
    return f"member_{member.pk.hex}"


def attendance_members(meeting: Meeting) -> list[GroupMember]:
    """Everyone whose attendance the meeting records: the members on the day, and anyone
    already recorded."""
    recorded = meeting.attendance.values("member")
    return list(
        meeting.group.members.filter(
            Q(pk__in=current_members(meeting.group, meeting.held_on).values("pk"))
            | Q(pk__in=recorded)
        ).order_by("name")
    )


@transaction.atomic
def record_attendance(meeting: Meeting, answers: Mapping[str, str], *, by: User) -> int:
    """Who came: an answer (present, apologies, absent) for every member at once, keyed by
    attendance_field(member). Returns how many were present."""
    _check(by, Perm.MANAGE_GROUPS, meeting)
    _check_held(
        meeting, None, _("This meeting is on %(date)s: record attendance once it has taken place")
    )
    members = attendance_members(meeting)
    if not members:
        raise ValidationError(_("The group had no members on the day of the meeting"))
    errors = {}
    for member in members:
        if answers.get(attendance_field(member)) not in Attendance.Status.values:
            errors[attendance_field(member)] = _(
                "Choose whether %(name)s was present, sent apologies or was absent"
            ) % {"name": member.name}
    if errors:
        raise ValidationError(errors)
    before = dict(meeting.attendance.values_list("member_id", "status"))
    for member in members:
        Attendance.objects.update_or_create(
            meeting=meeting,
            member=member,
            defaults={"status": answers[attendance_field(member)]},
        )
    after = dict(meeting.attendance.values_list("member_id", "status"))
    _record(
        "governance.attendance_recorded",
        by,
        meeting,
        meeting.group,
        before={str(k): v for k, v in before.items()},
        after={str(k): v for k, v in after.items()},
    )
    return sum(1 for status in after.values() if status == Attendance.Status.PRESENT)


@transaction.atomic
def record_minutes(
    meeting: Meeting, minutes: str, approved_on: date | None, *, by: User
) -> Meeting:
    """The minutes, and the day the group approved them (not before the meeting, not later than
    today)."""
    _check(by, Perm.MANAGE_GROUPS, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _check_held(
        meeting,
        "minutes",
        _("This meeting is on %(date)s: add the minutes once it has taken place"),
    )
    minutes = (minutes or "").strip()
    if not minutes:
        raise ValidationError({"minutes": _("Enter the minutes")})
    if approved_on and approved_on < meeting.held_on:
        raise ValidationError(
            {
                "minutes_approved_on": _(
                    "The minutes cannot be approved before the meeting, on %(date)s"
                )
                % {"date": date_only(meeting.held_on)}
            }
        )
    if approved_on and approved_on > timezone.localdate():
        raise ValidationError(
            {"minutes_approved_on": _("The date the minutes were approved cannot be in the future")}
        )
    before = {"minutes": meeting.minutes, "minutes_approved_on": meeting.minutes_approved_on}
    meeting.minutes, meeting.minutes_approved_on = minutes, approved_on
    meeting.save(update_fields=["minutes", "minutes_approved_on", "updated_at"])
    old, new = _masked(before, {"minutes": minutes}, ["minutes"])
    _record(
        "governance.minutes_recorded",
        by,
        meeting,
        meeting.group,
        before=old,
        after={**new, "minutes_approved_on": approved_on},
    )
    return meeting


# ---------------------------------------------------------------------------------------------
# Decisions and the action log


@transaction.atomic
def add_decision(meeting: Meeting, data: Mapping[str, Any], *, by: User) -> Decision:
    """What the meeting decided. With `create_action`, the decision also creates an action of
    the group's delivery plan (through services.add_action): both are saved, or neither."""
    _check(by, Perm.MANAGE_GROUPS, meeting)
    group = meeting.group
    text = _text(data, "text")
    if not text:
        raise ValidationError({"text": _("Enter the decision")})
    action: DeliveryAction | None = None
    if data.get("create_action"):
        if group.plan_id is None:
            raise ValidationError(
                {
                    "create_action": _(
                        "This group is not linked to a delivery plan, so its decisions cannot "
                        "create plan actions"
                    )
                }
            )
        missing = {
            field: message()
            for field, message in ACTION_REQUIRED.items()
            if data.get(field) in (None, "")
        }
        if missing:
            raise ValidationError(missing)
        action = services.add_action(
            group.plan,
            {**data, "status": data.get("status") or DeliveryAction.Status.NOT_STARTED},
            by=by,
        )
    decision = Decision(meeting=meeting, text=text, action=action, created_by=by)
    decision.full_clean()
    decision.save()
    _record(
        "governance.decision_recorded",
        by,
        meeting,
        group,
        after={"text": text, "action": action},
        decision=str(decision.pk),
    )
    return decision


@transaction.atomic
def add_log_item(meeting: Meeting, data: Mapping[str, Any], *, by: User) -> LogItem:
    """Something a member agreed to do, by a date: an item of the group's action log."""
    _check(by, Perm.MANAGE_GROUPS, meeting)
    text = _text(data, "text")
    if not text:
        raise ValidationError({"text": _("Describe what is to be done")})
    owner = data.get("owner")
    if owner is None or owner.group_id != meeting.group_id:
        raise ValidationError({"owner": _("Choose a member of this group")})
    if data.get("due_on") is None:
        raise ValidationError({"due_on": _("Enter the due date")})
    item = LogItem(
        meeting=meeting,
        text=text,
        owner=owner,
        due_on=data["due_on"],
        note=_text(data, "note"),
        created_by=by,
    )
    item.full_clean()
    item.save()
    _record(
        "governance.log_item_added",
        by,
        meeting,
        meeting.group,
        after={"text": text, "owner": owner, "due_on": item.due_on},
        log_item=str(item.pk),
    )
    return item


@transaction.atomic
def mark_log_item_done(item: LogItem, done_on: date | None, note: str, *, by: User) -> LogItem:
    _check(by, Perm.MANAGE_GROUPS, item)
    item = LogItem.objects.select_for_update().select_related("meeting__group").get(pk=item.pk)
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("The date it was done cannot be in the future")})
    before = {"done_on": item.done_on, "note": item.note}
    item.done_on = done_on
    if (note or "").strip():
        item.note = note.strip()
    item.save(update_fields=["done_on", "note", "updated_at"])
    old, new = _masked(before, {"note": item.note}, ["note"])
    _record(
        "governance.log_item_done",
        by,
        item.meeting,
        item.meeting.group,
        before={**old, "done_on": before["done_on"]},
        after={**new, "done_on": done_on},
        log_item=str(item.pk),
    )
    return item


# ---------------------------------------------------------------------------------------------
# Read-only queries (callers pass groups already scoped by visible_to)


def groups(scoped: QuerySet) -> QuerySet:
    return scoped.select_related("organisation", "programme", "plan", "workstream").annotate(
        last_meeting=Max("meetings__held_on")
    )


def member_organisation_choices(group: GovernanceGroup) -> QuerySet:
    """The group's organisations, and the voluntary, community and statutory partners."""
    return Organisation.objects.filter(
        Q(pk__in=reach(group)) | ~Q(kind=Organisation.Kind.NHS_TRUST)
    ).order_by("name")


def member_user_choices(group: GovernanceGroup) -> QuerySet:
    """Staff accounts of the group's organisations (not partner users)."""
    return (
        User.objects.filter(organisation_id__in=reach(group), is_active=True)
        .exclude(groups__name=Role.PARTNER_USER)
        .order_by("first_name", "last_name", "username")
    )


def open_log_items(group: GovernanceGroup) -> QuerySet:
    """The action log: items not yet done across the group's meetings, oldest due first."""
    return (
        LogItem.objects.filter(meeting__group=group, done_on__isnull=True)
        .select_related("owner", "meeting")
        .order_by("due_on", "created_at")
    )


def decision_actions(group: GovernanceGroup) -> QuerySet:
    """The plan actions the group's decisions created, with what the RAG rating needs."""
    return (
        DeliveryAction.objects.filter(decisions__meeting__group=group)
        .select_related("owner", "lead_organisation")
        .annotate(last_progress=Max("updates__recorded_on"))
        .distinct()
        .order_by("due_on", "title")
    )


def plan_decisions(plan: DeliveryPlan, scoped_groups: QuerySet) -> QuerySet:
    """The decisions of meetings of the groups linked to the plan (of those the reader may see),
    newest meeting first, each with the action it created."""
    return (
        Decision.objects.filter(meeting__group__plan=plan, meeting__group__in=scoped_groups)
        .select_related("meeting__group", "action")
        .order_by("-meeting__held_on", "created_at")
    )
