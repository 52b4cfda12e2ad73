"""Staff pages of steering and working groups: the groups, a group with its members, meetings and
action log, a meeting with its papers, attendance, minutes, decisions and log items; the forms."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from pcref.core.forms import call_service
from pcref.core.models import Organisation, User
from pcref.core.permissions import require_perm
from pcref.governance import files, meetings, presenters, queries
from pcref.governance.meeting_forms import (
    AttendanceForm,
    DecisionForm,
    GroupForm,
    LogItemDoneForm,
    LogItemForm,
    MeetingForm,
    MemberForm,
    MinutesForm,
    PaperForm,
)
from pcref.governance.models import (
    DeliveryPlan,
    GovernanceGroup,
    GroupMember,
    LogItem,
    Meeting,
    MeetingPaper,
    Workstream,
)
from pcref.governance.rules import Perm


def _visible_groups(request):
    return GovernanceGroup.objects.visible_to(request.user)


def _group(request, pk) -> GovernanceGroup:
    group = get_object_or_404(
        _visible_groups(request).select_related("organisation", "programme", "plan", "workstream"),
        pk=pk,
    )
    require_perm(request, Perm.VIEW_GROUPS, group)
    return group


def _meeting(request, pk) -> Meeting:
    meeting = get_object_or_404(
        Meeting.objects.filter(group__in=_visible_groups(request).values("pk")).select_related(
            "group__organisation", "group__plan"
        ),
        pk=pk,
    )
    require_perm(request, Perm.VIEW_GROUPS, meeting)
    return meeting


def _render_form(request, template, context):
    status = 400 if context["form"].errors else 200
    return render(request, template, context, status=status)


@require_safe
def groups(request):
    require_perm(request, Perm.VIEW_GROUPS, None)
    context = {
        "groups": meetings.groups(_visible_groups(request)).order_by("kind", "name"),
        "can_manage": request.user.has_perm(Perm.MANAGE_GROUPS, None),
    }
    return render(request, "governance/staff/groups.jinja", context)


def _group_form(request, **kwargs):
    user = request.user
    plans = DeliveryPlan.objects.visible_to(user)
    return GroupForm(
        request.POST if request.method == "POST" else None,
        programmes=queries.programme_choices(user),
        plans=plans,
        workstreams=Workstream.objects.filter(plan__in=plans.values("pk")).select_related("plan"),
        **kwargs,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def group_new(request):
    require_perm(request, Perm.MANAGE_GROUPS, None)
    initial = {"kind": GovernanceGroup.Kind.STEERING_GROUP}
    if request.GET.get("plan"):
        initial["plan"] = request.GET["plan"]
    form = _group_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = {}

        def create():
            saved["group"] = meetings.create_group(
                form.cleaned_data, organisation=request.user.organisation, by=request.user
            )

        if call_service(form, create, by=request.user):
            messages.success(request, _("Group created. Add its members next."))
            return redirect("governance_staff:group", pk=saved["group"].pk)
    return _render_form(request, "governance/staff/group-form.jinja", {"form": form})


@require_safe
def group(request, pk):
    group = _group(request, pk)
    today = timezone.localdate()
    members = list(group.members.select_related("organisation", "user"))
    current = [m for m in members if m.left_on is None or m.left_on >= today]
    chairs = [m for m in current if m.role in (GroupMember.Role.CHAIR, GroupMember.Role.CO_CHAIR)]
    log_items = [
        {"item": item, "overdue": item.due_on < today} for item in meetings.open_log_items(group)
    ]
    action_rows = [
        presenters.ActionRow(action, today) for action in meetings.decision_actions(group)
    ]
    context = {
        "group": group,
        "current": current,
        "former": [m for m in members if m not in current],
        "chairs": chairs,
        "lived_experience_chair": any(m.is_lived_experience_partner for m in chairs),
        "meetings": group.meetings.prefetch_related("decisions"),
        "log_items": log_items,
        "action_rows": action_rows,
        "can_manage": request.user.has_perm(Perm.MANAGE_GROUPS, group),
    }
    return render(request, "governance/staff/group.jinja", context)


def _member_form(request, group, **kwargs):
    return MemberForm(
        request.POST if request.method == "POST" else None,
        organisations=meetings.member_organisation_choices(group),
        users=meetings.member_user_choices(group),
        **kwargs,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def member_new(request, pk):
    group = _group(request, pk)
    require_perm(request, Perm.MANAGE_GROUPS, group)
    form = _member_form(request, group, initial={"joined_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: meetings.add_member(group, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Member added."))
            return redirect("governance_staff:group", pk=group.pk)
    context = {"form": form, "group": group, "member": None}
    return _render_form(request, "governance/staff/member-form.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def member_edit(request, pk):
    member = get_object_or_404(
        GroupMember.objects.filter(group__in=_visible_groups(request).values("pk")).select_related(
            "group"
        ),
        pk=pk,
    )
    group = member.group
    require_perm(request, Perm.MANAGE_GROUPS, group)
    initial = {field: getattr(member, field) for field in ("name", *meetings.MEMBER_FIELDS)}
    form = _member_form(request, group, initial=initial)
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: meetings.change_member(member, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Member saved."))
            return redirect("governance_staff:group", pk=group.pk)
    context = {"form": form, "group": group, "member": member}
    return _render_form(request, "governance/staff/member-form.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def meeting_new(request, pk):
    group = _group(request, pk)
    require_perm(request, Perm.MANAGE_GROUPS, group)
    form = MeetingForm(
        request.POST if request.method == "POST" else None,
        initial={"held_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        saved = {}

        def create():
            saved["meeting"] = meetings.create_meeting(group, form.cleaned_data, by=request.user)

        if call_service(form, create, by=request.user):
            messages.success(request, _("Meeting added."))
            return redirect("governance_staff:meeting", pk=saved["meeting"].pk)
    context = {"form": form, "group": group}
    return _render_form(request, "governance/staff/meeting-form.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def meeting_edit(request, pk):
    meeting = _meeting(request, pk)
    require_perm(request, Perm.MANAGE_GROUPS, meeting)
    form = MeetingForm(
        request.POST if request.method == "POST" else None,
        initial={"held_on": meeting.held_on, "agenda": meeting.agenda},
    )
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: meetings.update_meeting(meeting, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Meeting saved."))
            return redirect("governance_staff:meeting", pk=meeting.pk)
    context = {"form": form, "group": meeting.group, "meeting": meeting}
    return _render_form(request, "governance/staff/meeting-form.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def meeting_remove(request, pk):
    """A page that asks first; the POST removes a meeting set up by mistake. A meeting with
    anything recorded stays: the page says so, and a POST is refused with 400."""
    meeting = _meeting(request, pk)
    require_perm(request, Perm.MANAGE_GROUPS, meeting)
    status = 200
    if request.method == "POST":
        try:
            group = meetings.remove_meeting(meeting, by=request.user)
        except ValidationError:
            status = 400  # recorded meanwhile: the page below says why it stays
        else:
            messages.success(request, _("Meeting removed."))
            return redirect("governance_staff:group", pk=group.pk)
    context = {
        "meeting": meeting,
        "group": meeting.group,
        "recorded": meetings.is_recorded(meeting),
    }
    return render(request, "governance/staff/meeting-remove.jinja", context, status=status)


@require_safe
def meeting(request, pk):
    meeting = _meeting(request, pk)
    today = timezone.localdate()
    attendance = {a.member_id: a for a in meeting.attendance.all()}
    members = meetings.attendance_members(meeting)
    context = {
        "meeting": meeting,
        "group": meeting.group,
        "papers": list(meeting.papers.all()),
        "attendance": [
            {"member": member, "status": attendance.get(member.pk)} for member in members
        ],
        "attendance_recorded": bool(attendance),
        "decisions": list(meeting.decisions.select_related("action")),
        "log_items": [
            {"item": item, "overdue": not item.done_on and item.due_on < today}
            for item in meeting.log_items.select_related("owner")
        ],
        "can_manage": request.user.has_perm(Perm.MANAGE_GROUPS, meeting),
        "has_taken_place": meeting.held_on <= today,
        "can_remove": not meetings.is_recorded(meeting),
    }
    return render(request, "governance/staff/meeting.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def paper_new(request, pk):
    meeting = _meeting(request, pk)
    require_perm(request, Perm.MANAGE_GROUPS, meeting)
    post = request.method == "POST"
    form = PaperForm(request.POST if post else None, request.FILES if post else None)
    if post and form.is_valid():
        data = form.cleaned_data

        def add():
            meetings.add_paper(meeting, data["title"], data["file"], by=request.user)

        if call_service(form, add, by=request.user):
            messages.success(request, _("Paper added."))
            return redirect("governance_staff:meeting", pk=meeting.pk)
    context = {"form": form, "meeting": meeting, "group": meeting.group}
    return _render_form(request, "governance/staff/meeting-paper-form.jinja", context)


@require_safe
def paper(request, pk):
    """Download a paper, to staff who may see its meeting's group (404 to everyone else)."""
    paper = get_object_or_404(
        MeetingPaper.objects.filter(meeting__group__in=_visible_groups(request).values("pk")),
        pk=pk,
    )
    require_perm(request, Perm.VIEW_GROUPS, paper)
    return files.download(paper)


@require_http_methods(["GET", "HEAD", "POST"])
def paper_remove(request, pk):
    """A page that asks first; the POST removes the paper and its file."""
    paper = get_object_or_404(
        MeetingPaper.objects.filter(
            meeting__group__in=_visible_groups(request).values("pk")
        ).select_related("meeting__group"),
        pk=pk,
    )
    require_perm(request, Perm.MANAGE_GROUPS, paper.meeting)
    if request.method == "POST":
        meeting = meetings.remove_paper(paper, by=request.user)
        messages.success(request, _("Paper removed."))
        return redirect("governance_staff:meeting", pk=meeting.pk)
    context = {"paper": paper, "meeting": paper.meeting, "group": paper.meeting.group}
    return render(request, "governance/staff/paper-remove.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def attendance(request, pk):
    meeting = _meeting(request, pk)
    require_perm(request, Perm.MANAGE_GROUPS, meeting)
    members = meetings.attendance_members(meeting)
    recorded = dict(meeting.attendance.values_list("member_id", "status"))
    form = AttendanceForm(
        request.POST if request.method == "POST" else None,
        members=members,
        initial={meetings.attendance_field(m): recorded.get(m.pk) for m in members},
    )
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: meetings.record_attendance(meeting, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Attendance saved."))
            return redirect("governance_staff:meeting", pk=meeting.pk)
    context = {"form": form, "meeting": meeting, "group": meeting.group, "members": members}
    return _render_form(request, "governance/staff/meeting-attendance.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def minutes(request, pk):
    meeting = _meeting(request, pk)
    require_perm(request, Perm.MANAGE_GROUPS, meeting)
    form = MinutesForm(
        request.POST if request.method == "POST" else None,
        initial={
            "minutes": meeting.minutes,
            "minutes_approved_on": meeting.minutes_approved_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def record():
            meetings.record_minutes(
                meeting, data["minutes"], data["minutes_approved_on"], by=request.user
            )

        if call_service(form, record, by=request.user):
            messages.success(request, _("Minutes saved."))
            return redirect("governance_staff:meeting", pk=meeting.pk)
    context = {"form": form, "meeting": meeting, "group": meeting.group}
    return _render_form(request, "governance/staff/meeting-minutes.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def decision_new(request, pk):
    meeting = _meeting(request, pk)
    require_perm(request, Perm.MANAGE_GROUPS, meeting)
    plan = meeting.group.plan
    with_action = plan is not None and request.user.has_perm(Perm.MANAGE_PLANS, plan)
    form = DecisionForm(
        request.POST if request.method == "POST" else None,
        with_action=with_action,
        workstreams=plan.workstreams.all() if with_action else Workstream.objects.none(),
        owners=queries.owner_choices(plan)
        if with_action
        else User.objects.visible_to(request.user).none(),
        organisations=queries.lead_organisation_choices(plan)
        if with_action
        else Organisation.objects.visible_to(request.user).none(),
        initial={
            "owner": request.user.pk,
            "lead_organisation": plan.organisation_id if plan else None,
            "workstream": meeting.group.workstream_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: meetings.add_decision(meeting, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Decision recorded."))
            return redirect("governance_staff:meeting", pk=meeting.pk)
    context = {"form": form, "meeting": meeting, "group": meeting.group, "plan": plan}
    return _render_form(request, "governance/staff/decision-form.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def log_item_new(request, pk):
    meeting = _meeting(request, pk)
    require_perm(request, Perm.MANAGE_GROUPS, meeting)
    form = LogItemForm(
        request.POST if request.method == "POST" else None,
        members=meeting.group.members.order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        if call_service(
            form,
            lambda: meetings.add_log_item(meeting, form.cleaned_data, by=request.user),
            by=request.user,
        ):
            messages.success(request, _("Added to the action log."))
            return redirect("governance_staff:meeting", pk=meeting.pk)
    context = {"form": form, "meeting": meeting, "group": meeting.group}
    return _render_form(request, "governance/staff/log-item-form.jinja", context)


@require_http_methods(["GET", "HEAD", "POST"])
def log_item_done(request, pk):
    item = get_object_or_404(
        LogItem.objects.filter(
            meeting__group__in=_visible_groups(request).values("pk")
        ).select_related("meeting__group", "owner"),
        pk=pk,
    )
    require_perm(request, Perm.MANAGE_GROUPS, item)
    form = LogItemDoneForm(
        request.POST if request.method == "POST" else None,
        initial={"done_on": timezone.localdate(), "note": item.note},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def done():
            meetings.mark_log_item_done(item, data["done_on"], data["note"], by=request.user)

        if call_service(form, done, by=request.user):
            messages.success(request, _("Marked as done."))
            return redirect("governance_staff:group", pk=item.meeting.group_id)
    context = {"form": form, "item": item, "meeting": item.meeting, "group": item.meeting.group}
    return _render_form(request, "governance/staff/log-item-done.jinja", context)
