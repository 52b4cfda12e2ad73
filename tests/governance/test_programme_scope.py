"""Acceptance (issue #7): two organisations in one programme each see the shared plan, but only
their own involvement register."""

import pytest
from django.urls import reverse

from pcref.core import services as core_services
from pcref.core.roles import Role
from pcref.governance import services
from pcref.involvement import services as involvement_services

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "email": "",
    "phone": "",
    "interests": ["events"],
    "communities": "",
    "ethnic_group": "prefer-not-to-say",
    "access_needs": "",
    "preferred_language": "",
    "consent": True,
}


@pytest.fixture
def programme(trust, other_trust):
    return core_services.create_programme(
        "Together Against Racism", "Two trusts, one programme.", [trust, other_trust], by="demo"
    )


@pytest.fixture
def shared_plan(trust, programme, make_staff):
    lead = make_staff(trust, Role.STEERING_GROUP_MEMBER, username="lead")
    return services.create_plan(
        {"title": "Together Against Racism plan", "year": "2025/26", "programme": programme},
        ["Workforce", "Patients and service users", "Community"],
        organisation=trust,
        by=lead,
    )


def register(organisation, name):
    registration, _token = involvement_services.sign_up(
        {**SIGN_UP, "name": name},
        organisation=organisation,
        interface_language="en",
        by="public-form",
    )
    return registration


def test_each_trust_sees_the_shared_plan_but_only_its_own_register(
    trust, other_trust, shared_plan, make_staff, signed_in
):
    ours = register(trust, "Amara Okafor")
    theirs = register(other_trust, "Imran Shah")
    assert ours.reference != theirs.reference
    people = {
        trust: (make_staff(trust, Role.STEERING_GROUP_MEMBER), ours, theirs),
        other_trust: (make_staff(other_trust, Role.STEERING_GROUP_MEMBER), theirs, ours),
    }
    for _organisation, (member, own, other) in people.items():
        client = signed_in(member)
        plans = client.get(reverse("governance_staff:plans"))
        assert plans.status_code == 200
        assert shared_plan.title in plans.content.decode()
        plan = client.get(reverse("governance_staff:plan", args=[shared_plan.pk]))
        assert plan.status_code == 200 and shared_plan.title in plan.content.decode()
        for workstream in ("Workforce", "Patients and service users", "Community"):
            assert workstream in plan.content.decode()
        board = client.get(reverse("governance_staff:board", args=[shared_plan.pk]))
        assert board.status_code == 200 and shared_plan.title in board.content.decode()

        listed = client.get(reverse("involvement_staff:register"))
        assert listed.status_code == 200
        text = listed.content.decode()
        assert own.reference in text, member.username
        assert other.reference not in text, member.username
        assert other.name not in text
        own_page = client.get(reverse("involvement_staff:person", args=[own.pk]))
        assert own_page.status_code == 200
        assert client.get(reverse("involvement_staff:person", args=[other.pk])).status_code == 404


def test_a_trust_outside_the_programme_sees_neither(
    shared_plan, make_staff, signed_in, trust, partner_organisation
):
    register(trust, "Amara Okafor")
    outsider_trust = core_services.create_organisation(
        {"name": "Elsewhere NHS Trust", "kind": "nhs_trust", "ods_code": "RX9"}, by="demo"
    )
    outsider = signed_in(make_staff(outsider_trust, Role.STEERING_GROUP_MEMBER))
    assert shared_plan.title not in outsider.get(reverse("governance_staff:plans")).content.decode()
    assert outsider.get(reverse("governance_staff:plan", args=[shared_plan.pk])).status_code == 404
    assert outsider.get(reverse("governance_staff:board", args=[shared_plan.pk])).status_code == 404
