"""Steering and working groups: members (a lived experience co-chair), meetings with papers,
attendance and minutes, decisions that create plan actions in the same step, the action log and
the board's "Decisions made"; roles, organisation and programme scoping, bad input, audit."""

import html
import json
import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pcref.core import services as core_services
from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.core.services import role_groups
from pcref.governance import meetings, services
from pcref.governance.models import (
    Attendance,
    Decision,
    DeliveryAction,
    GovernanceGroup,
    GroupMember,
    LogItem,
    Meeting,
    MeetingPaper,
)

pytestmark = pytest.mark.django_db

TODAY = date.today()


def assert_error(response, field, message):
    """The error summary links to the field, and the field shows the message."""
    page = html.unescape(response.content.decode())
    assert f'href="#id_{field}"' in page, page
    error = re.search(rf'id="id_{field}-error">(.*?)\n\s*</span>', page, re.S)
    assert error and message in error.group(1), (field, error and error.group(1))


def page_text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def words(response) -> str:
    """The page's text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_text(response)))


@pytest.fixture
def group(trust, plan, steering):
    return meetings.create_group(
        {"name": "PCREF steering group", "kind": "steering_group", "plan": plan},
        organisation=trust,
        by=steering,
    )


@pytest.fixture
def add_member(group, steering):
    def add(name="Marcus Campbell", **changes):
        data = {
            "name": name,
            "role": "member",
            "represents": "trust",
            "is_lived_experience_partner": False,
            "joined_on": timezone.localdate() - timedelta(days=365),
            **changes,
        }
        return meetings.add_member(group, data, by=steering)

    return add


@pytest.fixture
def meeting(group, steering):
    return meetings.create_meeting(
        group,
        {"held_on": timezone.localdate() - timedelta(days=30), "agenda": "1. Welcome"},
        by=steering,
    )


def decision_data(plan, owner, lead, **changes):
    return {
        "text": "Ward clerks will be trained on asking about ethnicity.",
        "create_action": "on",
        "title": "Ethnicity recording training for ward clerks",
        "description": "",
        "workstream": str(plan.workstreams.last().pk),
        "owner": str(owner.pk),
        "lead_organisation": str(lead.pk),
        "component": "data",
        "competency": "staff_knowledge",
        "due_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "status": "not_started",
        **changes,
    }


# ---------------------------------------------------------------------------------------------
# Groups and members


def test_a_steering_group_member_creates_a_group_linked_to_a_plan(trust, plan, steering, signed_in):
    client = signed_in(steering)
    form = client.get(reverse("governance_staff:group_new") + f"?plan={plan.pk}")
    assert form.status_code == 200
    assert f'value="{plan.pk}" selected' in form.content.decode()
    response = client.post(
        reverse("governance_staff:group_new"),
        {"name": " PCREF steering group ", "kind": "steering_group", "plan": str(plan.pk)},
    )
    group = GovernanceGroup.objects.get()
    assert response["Location"] == reverse("governance_staff:group", args=[group.pk])
    assert (group.name, group.organisation, group.plan, group.created_by) == (
        "PCREF steering group",
        trust,
        plan,
        steering,
    )
    entry = AuditEntry.objects.get(action="governance.group_created")
    assert entry.actor == steering and entry.organisation_id == trust.pk
    assert entry.changes["plan"] == [None, str(plan.pk)]
    page = page_text(client.get(response["Location"]))
    assert "PCREF steering group" in page and "No lived experience partner chairs" in page
    listing = client.get(reverse("governance_staff:groups")).content.decode()
    assert reverse("governance_staff:group", args=[group.pk]) in listing


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the name of the group"),
        ({"kind": ""}, "kind", "Choose whether this is a steering or working group"),
        ({"name": "pcref steering group"}, "name", "has a group called pcref steering group"),
        ({"workstream": "other"}, "workstream", "Choose a workstream of the chosen plan"),
    ],
)
def test_bad_group_input_names_the_field_and_saves_nothing(
    trust, group, plan, steering, signed_in, changes, field, message
):
    other_plan = services.create_plan(
        {"title": "Next plan", "year": "2026/27"}, ["Data"], organisation=trust, by=steering
    )
    if changes.get("workstream") == "other":
        changes = {"workstream": str(other_plan.workstreams.get().pk)}
    data = {"name": "Data working group", "kind": "working_group", "plan": str(plan.pk), **changes}
    response = signed_in(steering).post(reverse("governance_staff:group_new"), data)
    assert response.status_code == 400
    assert_error(response, field, message)
    assert GovernanceGroup.objects.count() == 1  # the fixture's only
    assert AuditEntry.objects.filter(action="governance.group_created").count() == 1


def test_a_lived_experience_co_chair_is_shown_clearly_and_names_stay_out_of_the_log(
    group, steering, signed_in
):
    client = signed_in(steering)
    url = reverse("governance_staff:member_new", args=[group.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "Marcus Campbell",
            "role": "co_chair",
            "represents": "patient",
            "is_lived_experience_partner": "on",
            "joined_on": "2025-04-01",
        },
    )
    assert response["Location"] == reverse("governance_staff:group", args=[group.pk])
    member = GroupMember.objects.get()
    assert (member.role, member.is_lived_experience_partner) == ("co_chair", True)
    entry = AuditEntry.objects.get(action="governance.member_added")
    assert entry.changes["name"] == [None, "changed"]
    assert entry.changes["role"] == [None, "co_chair"]
    assert "Marcus" not in json.dumps(entry.changes) + entry.target_label
    page = page_text(client.get(response["Location"]))
    assert "Marcus Campbell (co-chair, lived experience partner)" in page
    assert "This steering group is co-chaired by a lived experience partner." in page
    assert "Lived experience partner</strong>" in page


def test_a_member_who_leaves_is_listed_as_a_former_member(group, add_member, steering, signed_in):
    member = add_member("Ravi Mistry", represents="statutory")
    client = signed_in(steering)
    url = reverse("governance_staff:member_edit", args=[member.pk])
    assert "Ravi Mistry" in client.get(url).content.decode()
    data = {
        "name": "Ravi Mistry",
        "role": "member",
        "represents": "statutory",
        "joined_on": member.joined_on.isoformat(),
        "left_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
    }
    assert client.post(url, data).status_code == 302
    member.refresh_from_db()
    assert member.left_on == timezone.localdate() - timedelta(days=2)
    entry = AuditEntry.objects.get(action="governance.member_changed")
    assert list(entry.changes) == ["left_on"]
    page = page_text(client.get(reverse("governance_staff:group", args=[group.pk])))
    assert "Former members" in page and "Ravi Mistry: Member, left on" in page
    response = client.post(url, {**data, "left_on": "2000-01-01"})
    assert response.status_code == 400
    assert_error(response, "left_on", "The date they left cannot be before the date they joined")


def test_a_member_account_must_be_staff_of_the_groups_organisations(
    group, other_trust, make_staff, steering
):
    stranger = make_staff(other_trust, Role.STEERING_GROUP_MEMBER)
    with pytest.raises(ValidationError) as refused:
        meetings.add_member(
            group,
            {"name": "X", "represents": "trust", "joined_on": TODAY, "user": stranger},
            by=steering,
        )
    assert "user" in refused.value.error_dict
    assert not GroupMember.objects.exists()


# ---------------------------------------------------------------------------------------------
# Meetings, papers, attendance, minutes


def test_a_meeting_needs_a_date_and_an_agenda(group, steering, signed_in):
    client = signed_in(steering)
    url = reverse("governance_staff:meeting_new", args=[group.pk])
    response = client.post(url, {"held_on": "2026-01-15", "agenda": "  "})
    assert response.status_code == 400
    assert_error(response, "agenda", "Enter the agenda")
    response = client.post(url, {"held_on": "", "agenda": "1. Welcome"})
    assert_error(response, "held_on", "Enter the date of the meeting")
    assert not Meeting.objects.exists()
    response = client.post(url, {"held_on": "2026-01-15", "agenda": "1. Welcome\n2. The plan"})
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("governance_staff:meeting", args=[meeting.pk])
    entry = AuditEntry.objects.get(action="governance.meeting_created")
    assert entry.changes == {"agenda": [None, "changed"], "held_on": [None, "2026-01-15"]}
    response = client.post(url, {"held_on": "2026-01-15", "agenda": "Again"})
    assert_error(response, "held_on", "This group has a meeting on 15 January 2026 already")
    page = page_text(client.get(reverse("governance_staff:meeting", args=[meeting.pk])))
    assert "Meeting of 15 January 2026" in page and "2. The plan" in page


def test_a_meetings_date_and_agenda_can_be_put_right(group, meeting, steering, signed_in):
    client = signed_in(steering)
    other = meetings.create_meeting(
        group, {"held_on": TODAY - timedelta(days=60), "agenda": "1. Terms"}, by=steering
    )
    url = reverse("governance_staff:meeting_edit", args=[meeting.pk])
    page = client.get(reverse("governance_staff:meeting", args=[meeting.pk])).content.decode()
    assert f'href="{url}"' in page
    clash = {"held_on": other.held_on.isoformat(), "agenda": "1. Welcome"}
    assert_error(client.post(url, clash), "held_on", "This group has a meeting on")
    assert_error(client.post(url, {"held_on": "", "agenda": "x"}), "held_on", "Enter the date")
    moved = (TODAY - timedelta(days=29)).isoformat()
    response = client.post(url, {"held_on": moved, "agenda": "1. Welcome\n2. Data"})
    assert response["Location"] == reverse("governance_staff:meeting", args=[meeting.pk])
    meeting.refresh_from_db()
    assert (meeting.held_on.isoformat(), meeting.agenda) == (moved, "1. Welcome\n2. Data")
    entry = AuditEntry.objects.get(action="governance.meeting_changed")
    assert entry.changes == {
        "agenda": [None, "changed"],
        "held_on": [(TODAY - timedelta(days=30)).isoformat(), moved],
    }
    # With minutes it has taken place: not to a day still to come, nor after the approval.
    meetings.record_minutes(meeting, "Agreed.", TODAY - timedelta(days=20), by=steering)
    tomorrow = {"held_on": (TODAY + timedelta(days=1)).isoformat(), "agenda": "1. Welcome"}
    assert_error(client.post(url, tomorrow), "held_on", "not in the future")
    late = {"held_on": (TODAY - timedelta(days=10)).isoformat(), "agenda": "1. Welcome"}
    assert_error(client.post(url, late), "held_on", "The minutes were approved on")
    meeting.refresh_from_db()
    assert meeting.held_on.isoformat() == moved


def test_a_meeting_set_up_by_mistake_is_removed_after_asking(group, meeting, steering, signed_in):
    client = signed_in(steering)
    mistake = meetings.create_meeting(
        group, {"held_on": TODAY + timedelta(days=7), "agenda": "1. Welcome"}, by=steering
    )
    url = reverse("governance_staff:meeting_remove", args=[mistake.pk])
    page = client.get(reverse("governance_staff:meeting", args=[mistake.pk])).content.decode()
    assert f'href="{url}"' in page
    asked = client.get(url)
    assert asked.status_code == 200 and "Remove meeting" in words(asked)
    assert Meeting.objects.filter(pk=mistake.pk).exists()  # asking removes nothing
    response = client.post(url)
    assert response["Location"] == reverse("governance_staff:group", args=[group.pk])
    assert not Meeting.objects.filter(pk=mistake.pk).exists()
    assert Meeting.objects.filter(pk=meeting.pk).exists()  # the group's other meeting stays
    entry = AuditEntry.objects.get(action="governance.meeting_removed")
    assert (entry.target_id, entry.organisation_id) == (str(mistake.pk), group.organisation_id)
    assert entry.changes == {
        "agenda": ["changed", None],
        "held_on": [mistake.held_on.isoformat(), None],
    }
    assert client.post(url).status_code == 404  # sent twice: gone already, nothing more happens
    assert AuditEntry.objects.filter(action="governance.meeting_removed").count() == 1


def test_a_paper_uploaded_by_mistake_is_removed_with_its_file(
    meeting, steering, signed_in, django_capture_on_commit_callbacks
):
    paper = meetings.add_paper(
        meeting, "Pack", SimpleUploadedFile("Jo Bloggs notes.pdf", b"%PDF x"), by=steering
    )
    kept = meetings.add_paper(meeting, "Terms", SimpleUploadedFile("t.pdf", b"%PDF t"), by=steering)
    stored, storage = paper.file.name, paper.file.storage
    client = signed_in(steering)
    url = reverse("governance_staff:paper_remove", args=[paper.pk])
    page = client.get(reverse("governance_staff:meeting", args=[meeting.pk])).content.decode()
    assert f'href="{url}"' in page
    asked = client.get(url)
    assert asked.status_code == 200 and "Remove paper" in words(asked)
    assert storage.exists(stored)  # asking removes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response["Location"] == reverse("governance_staff:meeting", args=[meeting.pk])
    assert not MeetingPaper.objects.filter(pk=paper.pk).exists()
    assert not storage.exists(stored)  # the file goes with its record
    assert storage.exists(kept.file.name) and MeetingPaper.objects.filter(pk=kept.pk).exists()
    entry = AuditEntry.objects.get(action="governance.paper_removed")
    assert entry.target_id == str(meeting.pk)
    assert entry.changes["sha256"][0] == paper.sha256
    assert "Bloggs" not in json.dumps(entry.changes)  # a file's name may name someone
    assert client.post(url).status_code == 404  # sent twice: gone already


@pytest.mark.parametrize("record", ["paper", "attendance", "minutes", "decision", "log item"])
def test_a_meeting_with_anything_recorded_stays(
    group, meeting, add_member, steering, signed_in, record
):
    member = add_member()
    if record == "paper":
        meetings.add_paper(meeting, "Pack", SimpleUploadedFile("pack.pdf", b"%PDF"), by=steering)
    elif record == "attendance":
        meetings.record_attendance(
            meeting, {meetings.attendance_field(member): "present"}, by=steering
        )
    elif record == "minutes":
        meetings.record_minutes(meeting, "Agreed.", None, by=steering)
    elif record == "decision":
        meetings.add_decision(meeting, {"text": "Agreed."}, by=steering)
    else:
        meetings.add_log_item(
            meeting, {"text": "Write", "owner": member, "due_on": TODAY}, by=steering
        )
    client = signed_in(steering)
    url = reverse("governance_staff:meeting_remove", args=[meeting.pk])
    page = client.get(reverse("governance_staff:meeting", args=[meeting.pk])).content.decode()
    assert url not in page  # no link to a removal that cannot happen
    asked = client.get(url)
    assert asked.status_code == 200
    assert "cannot be removed" in words(asked) and "Remove meeting" not in words(asked)
    assert client.post(url).status_code == 400
    with pytest.raises(ValidationError, match="stays as part of the group's record"):
        meetings.remove_meeting(meeting, by=steering)
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    assert not AuditEntry.objects.filter(action="governance.meeting_removed").exists()


def test_attendance_and_minutes_wait_until_the_meeting_has_taken_place(
    group, add_member, steering, signed_in
):
    add_member("Marcus Campbell")
    coming = meetings.create_meeting(
        group, {"held_on": TODAY + timedelta(days=7), "agenda": "1. Welcome"}, by=steering
    )
    client = signed_in(steering)
    page = client.get(reverse("governance_staff:meeting", args=[coming.pk])).content.decode()
    for name in ("attendance", "minutes"):
        assert reverse(f"governance_staff:{name}", args=[coming.pk]) not in page
    assert "once the meeting has taken place" in page
    member = coming.group.members.get()
    answers = {meetings.attendance_field(member): "present"}
    response = client.post(reverse("governance_staff:attendance", args=[coming.pk]), answers)
    assert response.status_code == 400
    assert "record attendance once it has taken place" in page_text(response)
    response = client.post(
        reverse("governance_staff:minutes", args=[coming.pk]),
        {"minutes": "Agreed.", "minutes_approved_on": ""},
    )
    assert_error(response, "minutes", "add the minutes once it has taken place")
    coming.refresh_from_db()
    assert not Attendance.objects.exists() and coming.minutes == ""


def test_attendance_is_recorded_for_every_current_member_at_once(
    meeting, add_member, steering, signed_in
):
    chair = add_member("Marcus Campbell", role="co_chair", is_lived_experience_partner=True)
    director = add_member("Helen Okafor", role="co_chair")
    add_member("Left Long Ago", left_on=meeting.held_on - timedelta(days=10))
    add_member("Joined Later", joined_on=meeting.held_on + timedelta(days=1))
    client = signed_in(steering)
    url = reverse("governance_staff:attendance", args=[meeting.pk])
    form = client.get(url).content.decode()
    assert "Marcus Campbell" in form and "Helen Okafor" in form
    assert "Left Long Ago" not in form and "Joined Later" not in form
    chair_field, director_field = (
        meetings.attendance_field(chair),
        meetings.attendance_field(director),
    )
    response = client.post(url, {chair_field: "present"})  # one member unanswered
    assert response.status_code == 400
    assert_error(
        response, director_field, "Choose whether Helen Okafor was present, sent apologies"
    )
    assert not Attendance.objects.exists()
    response = client.post(url, {chair_field: "present", director_field: "apologies"})
    assert response.status_code == 302
    assert dict(Attendance.objects.values_list("member__name", "status")) == {
        "Marcus Campbell": "present",
        "Helen Okafor": "apologies",
    }
    entry = AuditEntry.objects.get(action="governance.attendance_recorded")
    assert entry.changes[str(chair.pk)] == [None, "present"]
    client.post(url, {chair_field: "present", director_field: "present"})  # corrected
    assert Attendance.objects.filter(status="present").count() == 2
    page = words(client.get(reverse("governance_staff:meeting", args=[meeting.pk])))
    assert "Helen Okafor Co-chair Present" in page


def test_minutes_are_recorded_with_the_date_they_were_approved(meeting, steering, signed_in):
    client = signed_in(steering)
    url = reverse("governance_staff:minutes", args=[meeting.pk])
    before = (meeting.held_on - timedelta(days=1)).isoformat()
    response = client.post(url, {"minutes": "Agreed.", "minutes_approved_on": before})
    assert response.status_code == 400
    assert_error(
        response, "minutes_approved_on", "The minutes cannot be approved before the meeting"
    )
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(url, {"minutes": "Agreed.", "minutes_approved_on": future})
    assert_error(response, "minutes_approved_on", "cannot be in the future")
    response = client.post(url, {"minutes": "", "minutes_approved_on": ""})
    assert_error(response, "minutes", "Enter the minutes")
    meeting.refresh_from_db()
    assert meeting.minutes == "" and meeting.minutes_approved_on is None
    approved = timezone.localdate().isoformat()
    response = client.post(
        url, {"minutes": "The group agreed the plan.", "minutes_approved_on": approved}
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes_approved_on == timezone.localdate()
    entry = AuditEntry.objects.get(action="governance.minutes_recorded")
    assert entry.changes["minutes"] == [None, "changed"]
    assert "agreed" not in json.dumps(entry.changes)
    page = page_text(client.get(reverse("governance_staff:meeting", args=[meeting.pk])))
    assert "The group agreed the plan." in page and "Approved on" in page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("minutes.exe", b"MZ...", "minutes.exe is not a kind of file we keep"),
        ("empty.pdf", b"", "empty"),
        ("big.pdf", b"x" * 2000, "big.pdf is larger than"),
    ],
)
def test_a_paper_of_the_wrong_kind_empty_or_too_big_is_refused(
    settings, meeting, steering, signed_in, name, content, message
):
    settings.GOVERNANCE_MAX_FILE_BYTES = 1000
    response = signed_in(steering).post(
        reverse("governance_staff:paper_new", args=[meeting.pk]),
        {"title": "Terms of reference", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert_error(response, "file", message)
    assert not MeetingPaper.objects.exists()
    assert not AuditEntry.objects.filter(action="governance.paper_added").exists()


def test_a_paper_is_uploaded_and_downloaded_as_an_attachment_by_the_groups_staff_only(
    meeting, steering, other_trust, make_staff, signed_in
):
    client = signed_in(steering)
    form = client.get(reverse("governance_staff:paper_new", args=[meeting.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in form
    response = client.post(
        reverse("governance_staff:paper_new", args=[meeting.pk]),
        {
            "title": "Terms of reference",
            "file": SimpleUploadedFile("../../terms.pdf", b"%PDF-1.4 terms"),
        },
    )
    assert response.status_code == 302
    paper = MeetingPaper.objects.get()
    assert (paper.name, paper.size, paper.uploaded_by) == ("terms.pdf", 14, steering)
    assert AuditEntry.objects.filter(action="governance.paper_added").exists()
    url = reverse("governance_staff:paper", args=[paper.pk])
    assert (
        url in client.get(reverse("governance_staff:meeting", args=[meeting.pk])).content.decode()
    )
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="terms.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"%PDF-1.4 terms"
    outsider = signed_in(make_staff(other_trust, Role.ADMINISTRATOR))
    assert outsider.get(url).status_code == 404


# ---------------------------------------------------------------------------------------------
# Decisions and the action log


def test_a_decision_creates_a_plan_action_in_the_same_step(
    trust, plan, meeting, steering, signed_in
):
    client = signed_in(steering)
    url = reverse("governance_staff:decision_new", args=[meeting.pk])
    form = client.get(url).content.decode()
    assert "This decision creates an action in the delivery plan" in form
    response = client.post(url, decision_data(plan, steering, trust))
    assert response["Location"] == reverse("governance_staff:meeting", args=[meeting.pk])
    decision = Decision.objects.get()
    action = DeliveryAction.objects.get()
    assert decision.action == action and decision.created_by == steering
    assert (action.title, action.workstream, action.owner) == (
        "Ethnicity recording training for ward clerks",
        plan.workstreams.last(),
        steering,
    )
    entry = AuditEntry.objects.get(action="governance.decision_recorded")
    assert entry.changes == {"action": [None, str(action.pk)], "text": "changed"}
    assert entry.context == {"decision": str(decision.pk)}
    assert AuditEntry.objects.filter(action="governance.action_added", target_id=str(action.pk))
    meeting_page = client.get(response["Location"]).content.decode()
    assert reverse("governance_staff:action", args=[action.pk]) in meeting_page
    plan_page = client.get(reverse("governance_staff:plan", args=[plan.pk])).content.decode()
    assert "Ethnicity recording training for ward clerks" in plan_page
    board = page_text(client.get(reverse("governance_staff:board", args=[plan.pk])))
    decisions = board.split("<h2>Decisions made</h2>")[1]
    assert "Ward clerks will be trained on asking about ethnicity." in decisions
    assert "PCREF steering group" in decisions
    assert reverse("governance_staff:action", args=[action.pk]) in decisions


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"due_on": ""}, "due_on", "Enter the due date"),
        ({"title": " "}, "title", "Enter a title for the plan action"),
        ({"workstream": ""}, "workstream", "Choose a workstream"),
        ({"text": ""}, "text", "Enter the decision"),
    ],
)
def test_a_decision_with_a_bad_action_saves_neither(
    trust, plan, meeting, steering, signed_in, changes, field, message
):
    response = signed_in(steering).post(
        reverse("governance_staff:decision_new", args=[meeting.pk]),
        decision_data(plan, steering, trust, **changes),
    )
    assert response.status_code == 400
    assert_error(response, field, message)
    assert not Decision.objects.exists() and not DeliveryAction.objects.exists()
    assert not AuditEntry.objects.filter(
        action__in=["governance.decision_recorded", "governance.action_added"]
    ).exists()


def test_the_service_saves_neither_when_the_plan_refuses_the_action(
    trust, other_trust, plan, meeting, steering, make_staff
):
    stranger = make_staff(other_trust, Role.STEERING_GROUP_MEMBER)
    data = {
        "text": "Train the ward clerks.",
        "create_action": True,
        "title": "Training",
        "workstream": plan.workstreams.first(),
        "owner": stranger,  # not of the plan's organisations: add_action refuses
        "lead_organisation": trust,
        "component": "data",
        "competency": "staff_knowledge",
        "due_on": TODAY + timedelta(days=30),
    }
    with pytest.raises(ValidationError) as refused:
        meetings.add_decision(meeting, data, by=steering)
    assert "owner" in refused.value.error_dict
    assert not Decision.objects.exists() and not DeliveryAction.objects.exists()
    with pytest.raises(ValidationError) as refused:
        meetings.add_decision(meeting, {**data, "due_on": None}, by=steering)
    assert refused.value.message_dict == {"due_on": ["Enter the due date"]}
    decision = meetings.add_decision(meeting, {"text": "Noted."}, by=steering)
    assert decision.action is None


def test_a_group_with_no_plan_cannot_create_actions(trust, steering, signed_in):
    group = meetings.create_group(
        {"name": "Listening group", "kind": "working_group"}, organisation=trust, by=steering
    )
    meeting = meetings.create_meeting(group, {"held_on": TODAY, "agenda": "1."}, by=steering)
    with pytest.raises(ValidationError) as refused:
        meetings.add_decision(meeting, {"text": "Do it.", "create_action": True}, by=steering)
    assert "create_action" in refused.value.error_dict
    form = signed_in(steering).get(reverse("governance_staff:decision_new", args=[meeting.pk]))
    assert "is not linked to a delivery plan" in form.content.decode()
    assert 'name="create_action"' not in form.content.decode()


def test_the_action_log_lists_open_items_oldest_due_first_with_overdue_in_words(
    group, meeting, add_member, steering, signed_in
):
    owner = add_member("Joan Baptiste", represents="carer")
    later = meetings.create_meeting(group, {"held_on": TODAY, "agenda": "1."}, by=steering)

    def log(on, text, days):
        return meetings.add_log_item(
            on, {"text": text, "owner": owner, "due_on": TODAY + timedelta(days=days)}, by=steering
        )

    log(later, "Due in a month", 30)
    log(meeting, "Due last week", -7)
    done = log(meeting, "Done already", -20)
    log(later, "Due tomorrow", 1)
    client = signed_in(steering)
    response = client.post(
        reverse("governance_staff:log_item_done", args=[done.pk]),
        {"done_on": TODAY.isoformat(), "note": "Sent on Friday."},
    )
    assert response["Location"] == reverse("governance_staff:group", args=[group.pk])
    done.refresh_from_db()
    assert done.done_on == TODAY and done.note == "Sent on Friday."
    entry = AuditEntry.objects.get(action="governance.log_item_done")
    assert entry.changes == {"done_on": [None, TODAY.isoformat()], "note": [None, "changed"]}
    assert [item.text for item in meetings.open_log_items(group)] == [
        "Due last week",
        "Due tomorrow",
        "Due in a month",
    ]
    page = page_text(client.get(reverse("governance_staff:group", args=[group.pk])))
    log_section = page.split("<h2>Action log</h2>")[1].split("<h2>Meetings</h2>")[0]
    assert "Done already" not in log_section
    rows = re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", log_section)[1:4]
    assert ["Due last week" in rows[0], "Due tomorrow" in rows[1]] == [True, True]
    assert "Overdue" in rows[0] and "Overdue" not in rows[1] + rows[2]
    future = (TODAY + timedelta(days=1)).isoformat()
    item = LogItem.objects.get(text="Due tomorrow")
    response = client.post(
        reverse("governance_staff:log_item_done", args=[item.pk]), {"done_on": future}
    )
    assert response.status_code == 400
    assert_error(response, "done_on", "cannot be in the future")


def test_a_log_item_needs_an_owner_of_the_group(group, meeting, steering, signed_in):
    response = signed_in(steering).post(
        reverse("governance_staff:log_item_new", args=[meeting.pk]),
        {"text": "Invite Outspoken", "owner": "", "due_on": "2026-05-01"},
    )
    assert response.status_code == 400
    assert_error(response, "owner", "Choose a member of this group")
    assert not LogItem.objects.exists()


def test_the_group_page_shows_actions_created_by_decisions_with_their_rag(
    trust, plan, group, meeting, steering, signed_in
):
    data = decision_data(plan, steering, trust)
    meetings.add_decision(
        meeting,
        {
            **data,
            "create_action": True,
            "workstream": plan.workstreams.last(),
            "owner": steering,
            "lead_organisation": trust,
            "due_on": TODAY - timedelta(days=1),
        },
        by=steering,
    )
    page = page_text(signed_in(steering).get(reverse("governance_staff:group", args=[group.pk])))
    section = page.split("Plan actions from the group's decisions")[1]
    assert "Ethnicity recording training for ward clerks" in section
    assert "Red: off track" in section


# ---------------------------------------------------------------------------------------------
# Who may do what


def urls_of(group, meeting, member, paper, item):
    read = [
        reverse("governance_staff:groups"),
        reverse("governance_staff:group", args=[group.pk]),
        reverse("governance_staff:meeting", args=[meeting.pk]),
        reverse("governance_staff:paper", args=[paper.pk]),
    ]
    edit = [
        reverse("governance_staff:group_new"),
        reverse("governance_staff:member_new", args=[group.pk]),
        reverse("governance_staff:member_edit", args=[member.pk]),
        reverse("governance_staff:meeting_new", args=[group.pk]),
        reverse("governance_staff:meeting_edit", args=[meeting.pk]),
        reverse("governance_staff:meeting_remove", args=[meeting.pk]),
        reverse("governance_staff:paper_new", args=[meeting.pk]),
        reverse("governance_staff:paper_remove", args=[paper.pk]),
        reverse("governance_staff:attendance", args=[meeting.pk]),
        reverse("governance_staff:minutes", args=[meeting.pk]),
        reverse("governance_staff:decision_new", args=[meeting.pk]),
        reverse("governance_staff:log_item_new", args=[meeting.pk]),
        reverse("governance_staff:log_item_done", args=[item.pk]),
    ]
    return read, edit


@pytest.fixture
def everything(group, meeting, add_member, steering):
    member = add_member()
    paper = meetings.add_paper(
        meeting, "Agenda pack", SimpleUploadedFile("pack.pdf", b"%PDF pack"), by=steering
    )
    item = meetings.add_log_item(
        meeting, {"text": "Write to NHS England", "owner": member, "due_on": TODAY}, by=steering
    )
    return urls_of(group, meeting, member, paper, item)


@pytest.mark.parametrize(
    ("role", "reads", "edits"),
    [
        (Role.ADMINISTRATOR, True, True),
        (Role.STEERING_GROUP_MEMBER, True, True),
        (Role.BOARD_VIEWER, True, False),
        (Role.ANALYST, True, False),
        (Role.PATIENT_EXPERIENCE_OFFICER, False, False),
    ],
)
def test_who_reads_and_who_edits(
    trust, meeting, everything, make_staff, signed_in, role, reads, edits
):
    read, edit = everything
    client = signed_in(make_staff(trust, role, username=f"person-{role}"))
    for url in read:
        assert client.get(url).status_code == (200 if reads else 403), url
    for url in edit:
        assert client.get(url).status_code == (200 if edits else 403), url
    if reads:
        page = client.get(reverse("governance_staff:meeting", args=[meeting.pk])).content.decode()
        assert ("Record a decision" in page) == edits
    response = client.post(
        reverse("governance_staff:decision_new", args=[meeting.pk]), {"text": "Agreed."}
    )
    assert response.status_code == (302 if edits else 403)
    assert Decision.objects.exists() == edits


def test_other_organisations_get_404_and_partner_users_nothing(
    trust, other_trust, partner_organisation, group, meeting, everything, make_staff, signed_in
):
    read, edit = everything
    outsider = signed_in(make_staff(other_trust, Role.ADMINISTRATOR))
    listing = outsider.get(reverse("governance_staff:groups")).content.decode()
    assert reverse("governance_staff:group", args=[group.pk]) not in listing
    for url in read[1:] + edit[1:]:
        assert outsider.get(url).status_code == 404, url
    response = outsider.post(
        reverse("governance_staff:decision_new", args=[meeting.pk]), {"text": "Agreed."}
    )
    assert response.status_code == 404 and not Decision.objects.exists()
    partner = signed_in(make_staff(partner_organisation, Role.PARTNER_USER))
    assert partner.get(reverse("governance_staff:groups")).status_code == 403
    for url in read[1:]:
        assert partner.get(url).status_code == 404, url
    # a trust account with the partner role, as one saved before roles were checked, sees none
    trust_partner = make_staff(trust, username="trust-partner")
    trust_partner.groups.set(role_groups([Role.PARTNER_USER]))
    assert GovernanceGroup.objects.visible_to(trust_partner).count() == 0
    with pytest.raises(PermissionDenied):
        meetings.create_meeting(
            group,
            {"held_on": TODAY, "agenda": "x"},
            by=make_staff(other_trust, Role.STEERING_GROUP_MEMBER),
        )


def test_a_group_shared_with_a_programme_is_seen_by_its_other_organisations(
    trust, other_trust, steering, make_staff, signed_in
):
    programme = core_services.create_programme(
        "Together Against Racism", "", [trust, other_trust], by="demo"
    )
    group = meetings.create_group(
        {"name": "Workforce pillar", "kind": "working_group", "programme": programme},
        organisation=trust,
        by=steering,
    )
    colleague = signed_in(make_staff(other_trust, Role.BOARD_VIEWER))
    assert colleague.get(reverse("governance_staff:group", args=[group.pk])).status_code == 200


def test_the_staff_menu_shows_groups_to_readers_only(trust, make_staff, signed_in):
    link = f'href="{reverse("governance_staff:groups")}"'
    board = signed_in(make_staff(trust, Role.BOARD_VIEWER))
    assert link in board.get(reverse("core_staff:staff_home")).content.decode()
    officer = signed_in(make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER))
    assert link not in officer.get(reverse("core_staff:staff_home")).content.decode()


# ---------------------------------------------------------------------------------------------
# The demo


def test_the_demo_groups_load_through_the_services_once():
    from pcref.demo import load_everything

    load_everything(insights=False)
    steering = GovernanceGroup.objects.get(name="PCREF steering group")
    assert steering.kind == "steering_group" and steering.plan.year == "2025/26"
    co_chairs = steering.members.filter(role="co_chair")
    assert (
        co_chairs.count() == 2 and co_chairs.filter(is_lived_experience_partner=True).count() == 1
    )
    assert set(steering.members.values_list("represents", flat=True)) == {
        "trust",
        "voluntary",
        "patient",
        "carer",
        "statutory",
    }
    working = GovernanceGroup.objects.filter(kind="working_group")
    assert working.count() == 2 and all(group.programme for group in working)
    assert steering.meetings.count() == 2
    assert all(meeting.held_on < TODAY for meeting in steering.meetings.all())
    decisions = Decision.objects.filter(meeting__group=steering)
    assert decisions.count() == 3 and decisions.exclude(action=None).count() == 1
    assert decisions.exclude(action=None).get().action.workstream.plan == steering.plan
    items = LogItem.objects.filter(meeting__group=steering)
    assert items.filter(done_on__isnull=False).count() == 1
    assert items.filter(done_on__isnull=True, due_on__lt=TODAY).count() == 1
    assert MeetingPaper.objects.count() == 1
    assert Attendance.objects.filter(meeting__group=steering).count() == 12
    assert AuditEntry.objects.filter(action="governance.group_created").count() == 3
    load_everything(insights=False)
    assert GovernanceGroup.objects.count() == 3 and Decision.objects.count() == 3
    assert Meeting.objects.count() == 2
