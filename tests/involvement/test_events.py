"""Engagement events and co-production activities: counts by community (never names), what was
heard and what it led to; who may record them, scoping by trust, bad input, audit."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from pcref.core import services as core_services
from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.governance import services as governance_services
from pcref.involvement import services
from pcref.involvement.models import EngagementEvent, EventParticipation

pytestmark = pytest.mark.django_db

EVENT_ROLES = [Role.ADMINISTRATOR, Role.PATIENT_EXPERIENCE_OFFICER, Role.STEERING_GROUP_MEMBER]

FORM = {
    "kind": "co_production",
    "title": "Co-designing the crisis leaflet",
    "held_on": "2026-03-05",
    "partner": "",
    "place": "Highfields community centre",
    "participation": "Somali, 12\nPakistani: 9\n\nCarers, 4",
    "heard": "People did not know the crisis line number.",
    "led_to": "A new leaflet in five languages.",
    "feedback_references": "",
}


@pytest.fixture
def plan_action(trust, steering):
    plan = governance_services.create_plan(
        {"title": "PCREF delivery plan", "year": "2025/26"},
        governance_services.DEFAULT_WORKSTREAMS,
        organisation=trust,
        by=steering,
    )
    return governance_services.add_action(
        plan,
        {
            "workstream": plan.workstreams.first(),
            "title": "Crisis leaflet in community languages",
            "owner": steering,
            "lead_organisation": trust,
            "component": "feedback",
            "competency": "co_production",
            "due_on": date(2026, 9, 30),
            "status": "on_track",
        },
        by=steering,
    )


# Parsing who took part ------------------------------------------------------------------------


def test_participation_lines_are_read_with_commas_or_colons():
    text = "Somali, 12\n Pakistani : 9 \n\nGypsy, Roma and Traveller, 3\nRoma, Sinti: 0"
    assert services.parse_participation(text) == [
        ("Somali", 12),
        ("Pakistani", 9),
        ("Gypsy, Roma and Traveller", 3),
        ("Roma, Sinti", 0),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Somali, 12\nPakistani", 'Line 2 ("Pakistani")'),
        ("Somali, twelve", 'Line 1: "twelve" is not a number of people'),
        ("Somali, -3", 'Line 1: "-3" is not a number of people'),
        ("Somali, 2.5", 'Line 1: "2.5" is not a number of people'),
        (", 4", 'Line 1 (", 4")'),
        ("Somali, 12\nsomali, 3", 'Line 2: "somali" is already on line 1'),
        ("x" * 101 + ", 3", "Line 1: keep the community's name to 100 characters"),
    ],
)
def test_bad_participation_lines_are_refused_naming_the_line_and_value(text, message):
    with pytest.raises(ValidationError) as refused:
        services.parse_participation(text)
    assert message in refused.value.message_dict["participation"][0]


@pytest.mark.parametrize("text", ["FB-1234", "FB-ABCD-EFGH-X", "hello"])
def test_feedback_references_must_look_like_references(text):
    with pytest.raises(ValidationError) as refused:
        services.parse_feedback_references(f"FB-ABCD-EFGH, {text}")
    assert text.upper()[:40] in refused.value.message_dict["feedback_references"][0]


# Recording ------------------------------------------------------------------------------------


def test_an_event_is_recorded_with_counts_links_and_audit(
    trust, steering, partner_organisation, give_feedback, plan_action, record_event
):
    feedback = give_feedback(trust, "white-british", "good")
    event = record_event(
        by=steering,
        partner=partner_organisation,
        feedback_references=[feedback.reference],
        actions=[plan_action],
        led_to="The leaflet was rewritten.",
    )
    assert event.organisation == trust and event.created_by == steering
    assert sorted((p.community, p.people) for p in event.participation.all()) == [
        ("Pakistani", 9),
        ("Somali", 12),
    ]
    assert list(event.feedback_items.all()) == [feedback]
    assert list(event.actions.all()) == [plan_action]
    entry = AuditEntry.objects.get(action="involvement.event_recorded")
    assert entry.target_id == str(event.pk) and entry.actor == steering
    logged = str(entry.changes) + str(entry.context)
    assert "21" in logged and feedback.reference in logged
    # Free text never goes into the log: the place, what was heard, what it led to, communities.
    for text in ("Highfields", "crisis line", "rewritten", "Somali"):
        assert text not in logged


def test_feedback_of_another_trust_or_unknown_is_refused_naming_it(
    trust, other_trust, steering, give_feedback, record_event
):
    theirs = give_feedback(other_trust, "white-british", "good")
    for reference in (theirs.reference, "FB-ZZZZ-ZZZZ"):
        with pytest.raises(ValidationError) as refused:
            record_event(by=steering, feedback_references=[reference])
        assert reference in refused.value.message_dict["feedback_references"][0]
    assert not EngagementEvent.objects.exists() and not EventParticipation.objects.exists()


def test_an_action_the_user_cannot_see_is_refused(
    trust, other_trust, make_staff, plan_action, record_event
):
    theirs = make_staff(other_trust, Role.STEERING_GROUP_MEMBER)
    with pytest.raises(ValidationError) as refused:
        record_event(organisation=other_trust, by=theirs, actions=[plan_action])
    assert plan_action.title in refused.value.message_dict["actions"][0]
    assert not EngagementEvent.objects.exists()


def test_an_nhs_trust_is_not_a_partner(trust, other_trust, steering, record_event):
    with pytest.raises(ValidationError) as refused:
        record_event(by=steering, partner=other_trust)
    assert other_trust.name in refused.value.message_dict["partner"][0]


@pytest.mark.parametrize("role", [Role.BOARD_VIEWER, Role.ANALYST])
def test_roles_that_do_not_work_with_the_register_cannot_record(
    trust, make_staff, record_event, role
):
    with pytest.raises(PermissionDenied):
        record_event(by=make_staff(trust, role))


def test_staff_of_another_trust_cannot_record_for_this_one(
    trust, other_trust, make_staff, record_event
):
    with pytest.raises(PermissionDenied):
        record_event(by=make_staff(other_trust, Role.ADMINISTRATOR))


def test_changing_an_event_replaces_counts_and_links_and_is_audited(
    trust, steering, give_feedback, record_event
):
    event = record_event(by=steering)
    feedback = give_feedback(trust, "white-british", "good")
    services.update_event(
        event,
        {
            "kind": "event",
            "title": "Listening event (changed)",
            "held_on": date(2026, 3, 6),
            "partner": None,
            "place": "",
            "participation": [("Somali", 14)],
            "heard": "Long waits.",
            "led_to": "",
            "feedback_references": [feedback.reference],
            "actions": [],
        },
        by=steering,
    )
    event.refresh_from_db()
    assert event.title == "Listening event (changed)" and event.kind == "event"
    assert [(p.community, p.people) for p in event.participation.all()] == [("Somali", 14)]
    assert list(event.feedback_items.all()) == [feedback]
    entry = AuditEntry.objects.get(action="involvement.event_changed")
    assert set(entry.context["changed"]) == {"title", "place", "heard"}
    assert "Long waits" not in str(entry.changes)


def test_a_refused_change_leaves_the_event_as_it_was(trust, steering, record_event):
    event = record_event(by=steering)
    with pytest.raises(ValidationError):
        services.update_event(
            event,
            {
                "kind": "event",
                "title": "Changed",
                "held_on": date(2026, 3, 6),
                "participation": [("Somali", 1)],
                "heard": "x",
                "feedback_references": ["FB-ZZZZ-ZZZZ"],
            },
            by=steering,
        )
    event.refresh_from_db()
    assert event.title == "Listening event on crisis care"
    assert event.participation.count() == 2


# Pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_the_event_pages_it_should(
    trust, partner_organisation, make_staff, signed_in, record_event, role
):
    event = record_event()
    own = partner_organisation if role == Role.PARTNER_USER else trust
    client = signed_in(make_staff(own, role))
    lists = [reverse("involvement_staff:events"), reverse("involvement_staff:event_new")]
    details = [
        reverse("involvement_staff:event", args=[event.pk]),
        reverse("involvement_staff:event_edit", args=[event.pk]),
    ]
    for url in lists + details:
        response = client.get(url)
        if role in EVENT_ROLES:
            assert response.status_code == 200, url
        elif role == Role.PARTNER_USER and url in details:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 403, url


def test_two_trusts_in_a_programme_see_only_their_own_events(
    trust, other_trust, make_staff, signed_in, record_event
):
    core_services.create_programme("Together Against Racism", "", [trust, other_trust], by="demo")
    ours = record_event(title="Our listening event")
    theirs = record_event(organisation=other_trust, title="Their listening event")
    client = signed_in(make_staff(trust, Role.ADMINISTRATOR))
    page = client.get(reverse("involvement_staff:events")).content.decode()
    assert "Our listening event" in page and "Their listening event" not in page
    assert client.get(reverse("involvement_staff:event", args=[ours.pk])).status_code == 200
    for name in ("involvement_staff:event", "involvement_staff:event_edit"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    response = client.post(reverse("involvement_staff:event_edit", args=[theirs.pk]), FORM)
    assert response.status_code == 404
    assert EngagementEvent.objects.get(pk=theirs.pk).title == "Their listening event"


def test_an_event_is_recorded_through_the_form_and_shown_with_counts(
    trust, steering, make_staff, signed_in, partner_organisation, give_feedback, plan_action
):
    feedback = give_feedback(trust, "white-british", "good")
    client = signed_in(steering)
    response = client.post(
        reverse("involvement_staff:event_new"),
        {
            **FORM,
            "partner": str(partner_organisation.pk),
            "feedback_references": feedback.reference.lower(),
            "actions": [str(plan_action.pk)],
        },
    )
    event = EngagementEvent.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "involvement_staff:event", args=[event.pk]
    )
    page = client.get(response.url).content.decode()
    for text in ("Somali", "12", "Pakistani", "Carers", "25", "Community Voices", "five languages"):
        assert text in page
    # A steering member may not open feedback cases: the feedback is named, not linked.
    assert feedback.reference in page
    assert reverse("feedback_staff:case", args=[feedback.pk]) not in page
    assert reverse("governance_staff:action", args=[plan_action.pk]) in page
    officer = signed_in(make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER))
    page = officer.get(response.url).content.decode()
    assert reverse("feedback_staff:case", args=[feedback.pk]) in page
    assert reverse("governance_staff:action", args=[plan_action.pk]) not in page
    listing = client.get(reverse("involvement_staff:events")).content.decode()
    assert "Co-designing the crisis leaflet" in listing and "25" in listing


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title"),
        ({"kind": "party"}, "kind", "Choose the kind of activity from the list"),
        ({"held_on": "2026-02-30"}, "held_on", "Enter a real date"),
        ({"heard": "   "}, "heard", "Say what we heard"),
        ({"participation": "Somali, 12\nSomali, 3"}, "participation", "already on line 1"),
        ({"participation": "Somali twelve"}, "participation", 'Line 1 ("Somali twelve")'),
        ({"feedback_references": "FB-ZZZZ-ZZZZ"}, "feedback_references", "FB-ZZZZ-ZZZZ"),
        ({"feedback_references": "12345"}, "feedback_references", '"12345" is not a feedback'),
        ({"partner": "not-a-pk"}, "partner", "Choose a partner organisation from the list"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    trust, steering, signed_in, changes, field, message
):
    client = signed_in(steering)
    response = client.post(reverse("involvement_staff:event_new"), {**FORM, **changes})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and f'href="#id_{field}' in page
    assert message in page.replace("&#34;", '"').replace("&quot;", '"')
    assert not EngagementEvent.objects.exists() and not EventParticipation.objects.exists()


def test_the_list_filters_by_kind_and_year(trust, make_staff, signed_in, record_event):
    record_event(title="Listening in 2025", held_on=date(2025, 6, 1))
    record_event(title="Co-production in 2026", kind="co_production", held_on=date(2026, 1, 10))
    client = signed_in(make_staff(trust, Role.ADMINISTRATOR))
    page = client.get(reverse("involvement_staff:events")).content.decode()
    assert page.index("Co-production in 2026") < page.index("Listening in 2025")  # newest first
    page = client.get(reverse("involvement_staff:events"), {"year": "2025"}).content.decode()
    assert "Listening in 2025" in page and "Co-production in 2026" not in page
    page = client.get(
        reverse("involvement_staff:events"), {"kind": "co_production"}
    ).content.decode()
    assert "Listening in 2025" not in page and "Co-production in 2026" in page


def test_the_edit_form_keeps_counts_and_links(
    trust, steering, signed_in, record_event, give_feedback
):
    feedback = give_feedback(trust, "white-british", "good")
    event = record_event(by=steering, feedback_references=[feedback.reference])
    client = signed_in(steering)
    page = client.get(reverse("involvement_staff:event_edit", args=[event.pk])).content.decode()
    assert "Pakistani, 9\nSomali, 12" in page and feedback.reference in page
    response = client.post(
        reverse("involvement_staff:event_edit", args=[event.pk]),
        {**FORM, "participation": "Somali, 20", "feedback_references": feedback.reference},
    )
    assert response.status_code == 302
    assert [(p.community, p.people) for p in event.participation.all()] == [("Somali", 20)]
    assert AuditEntry.objects.filter(action="involvement.event_changed").count() == 1


def test_the_demo_loads_events_rates_and_payments_once():
    from pcref.demo import load_everything
    from pcref.involvement.demo import load_engagement_demo
    from pcref.involvement.models import InvolvementPayment, PaymentRate

    load_everything(insights=False)
    entries = AuditEntry.objects.count()
    assert load_engagement_demo() == 0  # a second time adds nothing
    assert AuditEntry.objects.count() == entries
    events = EngagementEvent.objects.all()
    assert events.count() == 3
    assert {event.partner.name for event in events} == {
        "Jamila's Legacy",
        "African Heritage Alliance",
        "Outspoken",
    }
    listening = events.get(kind="listening")
    assert listening.actions.count() == 1 and listening.feedback_items.count() == 1
    assert sum(p.people for p in listening.participation.all()) == 34
    assert PaymentRate.objects.count() == 3
    payments = InvolvementPayment.objects.all()
    assert payments.count() == 4 and payments.values("registration").distinct().count() == 2
    assert {p.amount_pence for p in payments} == {5000, 640, 15000, 0}
