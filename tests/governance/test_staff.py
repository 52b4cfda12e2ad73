"""Delivery plans through the staff pages: creating a plan, actions, progress, RAG overrides,
the board view; roles, organisation and programme scoping, bad input, audit."""

import html
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pcref.core import services as core_services
from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.core.services import role_groups
from pcref.governance import queries, services
from pcref.governance.models import (
    ActionMeasure,
    DeliveryAction,
    DeliveryPlan,
    EvidenceFile,
    Milestone,
    ProgressUpdate,
    Workstream,
)
from pcref.governance.presenters import PlanPresenter

pytestmark = pytest.mark.django_db

PLAN = {
    "title": "PCREF delivery plan",
    "year": "2026/27",
    "approved_by": "Transformation and Quality Improvement Committee",
    "approved_on": "2026-04-14",
    "programme": "",
    "workstreams": "\n".join(services.DEFAULT_WORKSTREAMS),
}


def assert_error(response, field, message):
    """The error summary links to the field, and the field shows the message."""
    page = html.unescape(response.content.decode())
    assert f'href="#id_{field}"' in page, page
    error = re.search(rf'id="id_{field}-error">(.*?)\n\s*</span>', page, re.S)
    assert error and message in error.group(1), (field, error and error.group(1))


def action_data(plan, person, lead, **changes):
    return {
        "title": "Ethnicity recorded for 95% of admissions",
        "description": "Ward clerks record ethnic category on admission.",
        "workstream": str(plan.workstreams.last().pk),
        "owner": str(person.pk),
        "lead_organisation": str(lead.pk),
        "component": "data",
        "competency": "staff_knowledge",
        "due_on": "2027-03-31",
        "status": "not_started",
        **changes,
    }


def test_a_steering_group_member_creates_a_plan_with_the_four_workstreams(
    trust, steering, signed_in
):
    client = signed_in(steering)
    form = client.get(reverse("governance_staff:plan_new")).content.decode()
    for name in services.DEFAULT_WORKSTREAMS:
        assert name in form  # offered by default
    response = client.post(reverse("governance_staff:plan_new"), PLAN)
    plan = DeliveryPlan.objects.get()
    assert response["Location"] == reverse("governance_staff:plan", args=[plan.pk])
    assert (plan.organisation, plan.year, plan.approved_on) == (trust, "2026/27", date(2026, 4, 14))
    assert [w.name for w in plan.workstreams.all()] == list(services.DEFAULT_WORKSTREAMS)
    entry = AuditEntry.objects.get(action="governance.plan_created")
    assert entry.actor == steering and entry.organisation_id == trust.pk
    assert entry.changes["workstreams"][1] == list(services.DEFAULT_WORKSTREAMS)
    page = client.get(response["Location"]).content.decode()
    assert "Approved by Transformation and Quality Improvement Committee" in page
    assert "Improving data quality and insight" in page
    listing = client.get(reverse("governance_staff:plans")).content.decode()
    assert "PCREF delivery plan" in listing and "2026/27" in listing


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"year": "2026-27"}, "year", "Enter the year as a financial year, like 2025/26"),
        ({"year": "2026/28"}, "year", "Enter the year as a financial year, like 2025/26; "),
        ({"year": "0000/01"}, "year", "Enter the year as a financial year, like 2025/26; "),
        ({"year": "2099/00"}, "year", "Enter the year as a financial year, like 2025/26; "),
        ({"title": ""}, "title", "Enter a title"),
        ({"workstreams": " \n \n"}, "workstreams", "Enter at least one workstream"),
        (
            {"workstreams": "Partnership working\npartnership working"},
            "workstreams",
            "Give each workstream a different name",
        ),
        (
            {"approved_on": ""},
            "approved_on",
            "Enter both the committee that approved the plan and the date, or neither",
        ),
        ({"approved_on": "April"}, "approved_on", "Enter a real date, like 2026-03-31"),
    ],
)
def test_bad_plan_input_names_the_field_and_saves_nothing(
    steering, signed_in, changes, field, message
):
    response = signed_in(steering).post(reverse("governance_staff:plan_new"), {**PLAN, **changes})
    assert response.status_code == 400
    assert_error(response, field, message)
    assert not DeliveryPlan.objects.exists() and not Workstream.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="governance.").exists()


def test_a_plan_is_shared_with_a_programme_its_organisation_belongs_to(
    trust, other_trust, steering, make_staff, signed_in
):
    programme = core_services.create_programme(
        "Together Against Racism", "", [trust, other_trust], by="demo"
    )
    client = signed_in(steering)
    client.post(reverse("governance_staff:plan_new"), {**PLAN, "programme": str(programme.pk)})
    plan = DeliveryPlan.objects.get()
    assert plan.programme == programme
    colleague = make_staff(other_trust, Role.BOARD_VIEWER)
    assert (
        signed_in(colleague).get(reverse("governance_staff:board", args=[plan.pk])).status_code
        == 200
    )


def test_an_action_is_added_and_changed_and_shows_with_its_rag(trust, plan, steering, signed_in):
    client = signed_in(steering)
    form = client.get(reverse("governance_staff:action_new", args=[plan.pk]))
    assert "Co-learning" in form.content.decode()  # the six competencies are offered
    response = client.post(
        reverse("governance_staff:action_new", args=[plan.pk]), action_data(plan, steering, trust)
    )
    action = DeliveryAction.objects.get()
    assert response["Location"] == reverse("governance_staff:action", args=[action.pk])
    assert (action.workstream.name, action.competency) == (
        "Improving data quality and insight",
        "staff_knowledge",
    )
    assert AuditEntry.objects.filter(action="governance.action_added", actor=steering).exists()
    page = client.get(reverse("governance_staff:plan", args=[plan.pk])).content.decode()
    assert "Ethnicity recorded for 95% of admissions" in page and "Green: on track" in page
    response = client.post(
        reverse("governance_staff:action_edit", args=[action.pk]),
        action_data(plan, steering, trust, status="complete"),
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "complete"
    entry = AuditEntry.objects.get(action="governance.action_changed")
    assert entry.changes == {"status": ["not_started", "complete"]}
    assert (
        "Blue: complete"
        in client.get(reverse("governance_staff:action", args=[action.pk])).content.decode()
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"competency": ""}, "competency", "Choose the national organisational competency"),
        ({"component": "budget"}, "component", "Select a valid choice"),
        ({"due_on": "2027-02-30"}, "due_on", "Enter a real date, like 2026-03-31"),
        ({"title": "   "}, "title", "Enter a title"),
        ({"owner": ""}, "owner", "Choose the owner"),
    ],
)
def test_bad_action_input_names_the_field_and_saves_nothing(
    trust, plan, steering, signed_in, changes, field, message
):
    response = signed_in(steering).post(
        reverse("governance_staff:action_new", args=[plan.pk]),
        action_data(plan, steering, trust, **changes),
    )
    assert response.status_code == 400
    assert_error(response, field, message)
    assert not DeliveryAction.objects.exists()


def test_an_owner_from_another_organisation_is_refused(
    trust, other_trust, plan, steering, make_staff, signed_in
):
    outsider = make_staff(other_trust, Role.STEERING_GROUP_MEMBER)
    response = signed_in(steering).post(
        reverse("governance_staff:action_new", args=[plan.pk]),
        action_data(plan, outsider, trust),
    )
    assert response.status_code == 400
    assert_error(response, "owner", "Choose an owner from the list")
    with pytest.raises(Exception, match="Choose an owner who works for an organisation"):
        services.add_action(
            plan,
            {
                "workstream": plan.workstreams.first(),
                "title": "x",
                "owner": outsider,
                "lead_organisation": trust,
                "component": "data",
                "competency": "workforce",
                "due_on": date(2027, 1, 1),
                "status": "not_started",
            },
            by=steering,
        )
    assert not DeliveryAction.objects.exists()


def test_a_progress_update_is_recorded_and_audited_without_its_words(
    add_action, steering, signed_in
):
    action = add_action()
    client = signed_in(steering)
    url = reverse("governance_staff:progress_new", args=[action.pk])
    assert client.get(url).status_code == 200
    today = timezone.localdate()
    response = client.post(
        url,
        {
            "text": "Four of nine wards trained.",
            "recorded_on": today.isoformat(),
            "evidence_link": "example.org/training",
        },
    )
    assert response["Location"] == reverse("governance_staff:action", args=[action.pk])
    update = ProgressUpdate.objects.get()
    assert (update.written_by, update.evidence_link) == (steering, "https://example.org/training")
    entry = AuditEntry.objects.get(action="governance.progress_recorded")
    assert entry.changes["text"] == "changed"
    page = client.get(response["Location"]).content.decode()
    assert "Four of nine wards trained." in page and 'href="https://example.org/training"' in page


def test_a_progress_update_sent_twice_is_recorded_once(add_action, steering, signed_in):
    action = add_action()
    client = signed_in(steering)
    url = reverse("governance_staff:progress_new", args=[action.pk])
    page = client.get(url).content.decode()
    key = re.search(r'name="once" value="([0-9a-f-]{36})"', page).group(1)
    update = {"once": key, "text": "Wards trained.", "recorded_on": timezone.localdate()}
    assert client.post(url, update).status_code == 302
    again = client.post(url, update)
    assert again.status_code == 400
    assert "nothing was recorded a second time" in again.content.decode()
    assert ProgressUpdate.objects.count() == 1
    assert AuditEntry.objects.filter(action="governance.progress_recorded").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"text": "  "}, "text", "Describe the progress made"),
        ({"recorded_on": ""}, "recorded_on", "Enter the date of the update"),
        (
            {"recorded_on": (date.today() + timedelta(days=2)).isoformat()},
            "recorded_on",
            "The date of an update cannot be in the future",
        ),
        ({"evidence_link": "not a link"}, "evidence_link", "Enter a web address"),
    ],
)
def test_bad_progress_input_names_the_field_and_saves_nothing(
    add_action, steering, signed_in, changes, field, message
):
    action = add_action()
    data = {"text": "Trained.", "recorded_on": timezone.localdate().isoformat(), **changes}
    response = signed_in(steering).post(
        reverse("governance_staff:progress_new", args=[action.pk]), data
    )
    assert response.status_code == 400
    assert_error(response, field, message)
    assert not ProgressUpdate.objects.exists()


def test_an_override_without_a_reason_is_refused_naming_the_field(add_action, steering, signed_in):
    action = add_action()
    response = signed_in(steering).post(
        reverse("governance_staff:rag_override", args=[action.pk]), {"rag": "red", "reason": " "}
    )
    assert response.status_code == 400
    assert_error(response, "reason", "Give a reason for overriding the RAG rating")
    action.refresh_from_db()
    assert action.rag_override == ""
    assert not AuditEntry.objects.filter(action__startswith="governance.rag").exists()
    with pytest.raises(Exception, match="Give a reason"):
        services.override_rag(action, "red", "", by=steering)  # the service refuses too


def test_an_override_with_a_reason_is_audited_and_shown_beside_the_computed_rating(
    plan, add_action, steering, signed_in
):
    action = add_action()
    client = signed_in(steering)
    reason = "The training supplier has withdrawn; a new one starts in May."
    response = client.post(
        reverse("governance_staff:rag_override", args=[action.pk]), {"rag": "red", "reason": reason}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="governance.rag_overridden")
    assert entry.changes["rag_override"] == ["", "red"]
    assert entry.changes["rag_override_reason"] == ["", reason]
    for page in ("plan", "board"):
        shown = client.get(reverse(f"governance_staff:{page}", args=[plan.pk])).content.decode()
        assert "Red: off track" in shown and "computed: Green: on track" in shown
        assert reason in shown
    client.post(
        reverse("governance_staff:rag_override", args=[action.pk]), {"rag": "none", "reason": ""}
    )
    action.refresh_from_db()
    assert (action.rag_override, action.rag_override_reason) == ("", "")
    assert AuditEntry.objects.filter(action="governance.rag_override_removed").exists()


def test_the_board_view_rolls_up_and_lists_overdue_and_at_risk_actions(
    plan, add_action, steering, signed_in, django_assert_max_num_queries
):
    today = timezone.localdate()
    add_action(title="Due yesterday", due_on=today - timedelta(days=1))
    add_action(title="Due today", due_on=today)
    stale = add_action(title="No news for weeks", due_on=today + timedelta(days=30))
    services.add_progress_update(
        stale, {"text": "Started.", "recorded_on": today - timedelta(weeks=6, days=1)}, by=steering
    )
    add_action(title="Finished", status="complete", component="feedback")
    presenter = PlanPresenter(plan, queries.workstreams_with_actions(plan), today)
    assert [row.title for row in presenter.overdue] == ["Due yesterday"]
    assert [row.title for row in presenter.at_risk] == ["No news for weeks"]
    # Red, amber, green, blue: every action is in the first workstream.
    assert presenter.by_workstream[0]["counts"] == [1, 1, 1, 1] and presenter.total["total"] == 4
    assert presenter.by_workstream[1]["counts"] == [0, 0, 0, 0]
    by_component = {r["name"]: r["counts"] for r in presenter.by_component}
    assert by_component["Patient and carer feedback"] == [0, 0, 0, 1]
    assert by_component["Leadership and governance"] == [1, 1, 1, 0]
    client = signed_in(steering)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("governance_staff:board", args=[plan.pk]))
    page = html.unescape(response.content.decode())
    assert 'href="/static/governance/board-print.css" media="print"' in page
    overdue, at_risk = page.split("<h2>Overdue actions</h2>")[1].split("<h2>Actions at risk</h2>")
    assert "Due yesterday" in overdue and "Due today" not in overdue
    assert "No news for weeks" in at_risk and "Due today" not in at_risk
    assert "RAG ratings by workstream" in page and "RAG ratings by PCREF component" in page


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
def test_who_reads_and_who_edits(trust, add_action, make_staff, signed_in, role, reads, edits):
    action = add_action()
    plan = action.workstream.plan
    client = signed_in(make_staff(trust, role, username=f"person-{role}"))
    read = [
        reverse("governance_staff:plans"),
        reverse("governance_staff:plan", args=[plan.pk]),
        reverse("governance_staff:board", args=[plan.pk]),
        reverse("governance_staff:action", args=[action.pk]),
    ]
    edit = [
        reverse("governance_staff:plan_new"),
        reverse("governance_staff:action_new", args=[plan.pk]),
        reverse("governance_staff:action_edit", args=[action.pk]),
        reverse("governance_staff:progress_new", args=[action.pk]),
        reverse("governance_staff:rag_override", args=[action.pk]),
    ]
    for url in read:
        assert client.get(url).status_code == (200 if reads else 403), url
    for url in edit:
        assert client.get(url).status_code == (200 if edits else 403), url
    page = client.get(reverse("governance_staff:action", args=[action.pk])).content.decode()
    assert ("Add a progress update" in page) == edits
    response = client.post(
        reverse("governance_staff:rag_override", args=[action.pk]),
        {"rag": "amber", "reason": "Supplier late"},
    )
    assert response.status_code == (302 if edits else 403)


def test_other_organisations_and_partner_users_see_nothing(
    trust, other_trust, partner_organisation, add_action, make_staff, signed_in
):
    action = add_action()
    plan = action.workstream.plan
    outsider = signed_in(make_staff(other_trust, Role.ADMINISTRATOR))
    listing = outsider.get(reverse("governance_staff:plans")).content.decode()
    assert reverse("governance_staff:plan", args=[plan.pk]) not in listing
    for url in (
        reverse("governance_staff:plan", args=[plan.pk]),
        reverse("governance_staff:board", args=[plan.pk]),
        reverse("governance_staff:action", args=[action.pk]),
        reverse("governance_staff:rag_override", args=[action.pk]),
    ):
        assert outsider.get(url).status_code == 404, url
    response = outsider.post(
        reverse("governance_staff:progress_new", args=[action.pk]),
        {"text": "x", "recorded_on": "2026-01-01"},
    )
    assert response.status_code == 404 and not ProgressUpdate.objects.exists()
    partner = signed_in(make_staff(partner_organisation, Role.PARTNER_USER))
    assert partner.get(reverse("governance_staff:plans")).status_code == 403
    assert partner.get(reverse("governance_staff:plan", args=[plan.pk])).status_code == 404
    # a trust account with the partner role, as one saved before roles were checked, sees none
    trust_partner = make_staff(trust, username="trust-partner")
    trust_partner.groups.set(role_groups([Role.PARTNER_USER]))
    assert DeliveryPlan.objects.visible_to(trust_partner).count() == 0


def test_the_staff_menu_shows_delivery_plans_to_readers_only(trust, make_staff, signed_in):
    board = signed_in(make_staff(trust, Role.BOARD_VIEWER))
    assert (
        'href="/staff/governance/"' in board.get(reverse("core_staff:staff_home")).content.decode()
    )
    officer = signed_in(make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER))
    home = officer.get(reverse("core_staff:staff_home")).content.decode()
    assert 'href="/staff/governance/"' not in home


def test_the_demo_plan_loads_through_the_services_once():
    from pcref.demo import load_everything

    load_everything(insights=False)
    plan = DeliveryPlan.objects.get(year="2025/26")
    assert [w.name for w in plan.workstreams.all()] == list(services.DEFAULT_WORKSTREAMS)
    # The plan's own eight actions (a steering group decision in the meetings demo adds one more).
    actions = DeliveryAction.objects.filter(workstream__plan=plan, decisions__isnull=True)
    assert actions.count() == 8
    assert actions.filter(due_on__lt=timezone.localdate()).exclude(status="complete").count() == 2
    assert ProgressUpdate.objects.filter(action__in=actions).count() == 7
    assert actions.exclude(rag_override="").get().rag_override_reason
    audited = AuditEntry.objects.filter(action="governance.action_added")
    assert audited.filter(target_id__in=[str(a.pk) for a in actions]).count() == 8
    assert plan.programme.organisations.count() == 2
    # Milestones (one overdue, two done), two measures, themes and one evidence file.
    milestones = Milestone.objects.filter(action__in=actions)
    assert milestones.count() == 6 and milestones.filter(done_on__isnull=False).count() == 2
    assert sorted(ActionMeasure.objects.values_list("metric_id", "group", "statistic")) == [
        ("DQ1", "", "value"),
        ("MHA1.people", "Black", "ratio"),
    ]
    assert actions.filter(themes__isnull=False).distinct().count() == 2
    evidence = EvidenceFile.objects.get()
    assert evidence.name == "training-register.txt" and evidence.file.read().startswith(b"Cultural")
    assert evidence.update.feedback_items.count() == 1
    assert evidence.update.you_said_we_did.count() == 1
    counts = DeliveryAction.objects.count(), Milestone.objects.count(), EvidenceFile.objects.count()
    load_everything(insights=False)
    assert DeliveryPlan.objects.count() == 1
    assert (
        DeliveryAction.objects.count(),
        Milestone.objects.count(),
        EvidenceFile.objects.count(),
    ) == counts


def test_the_database_refuses_an_override_without_a_reason(add_action):
    from django.db import IntegrityError, transaction

    action = add_action()
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryAction.objects.filter(pk=action.pk).update(rag_override="red")
