"""Fixtures for involvement: a sign-up's answers, and people on the register."""

from datetime import date

import pytest

from pcref.involvement import services

ANSWERS = {
    "name": "Amara Okafor",
    "email": "amara@example.com",
    "phone": "0116 000 0009",
    "interests": ["steering_group", "events"],
    "communities": "Nigerian community; carer for my brother",
    "ethnic_group": "black-african",
    "access_needs": "Yoruba interpreter; step-free access",
    "preferred_language": "Yoruba",
    "consent": True,
}


@pytest.fixture
def answers():
    return dict(ANSWERS)


@pytest.fixture
def sign_up(trust):
    """sign_up(**changes) puts someone on the trust's register; returns (registration, token)."""

    def make(organisation=None, **changes):
        return services.sign_up(
            {**ANSWERS, **changes},
            organisation=organisation or trust,
            interface_language="en",
            by="public-form",
        )

    return make


@pytest.fixture
def record_event(trust, make_staff):
    """record_event(by=None, **changes): an event of the trust, recorded by a steering group
    member unless `by` is given."""
    from pcref.core.models import User
    from pcref.core.roles import Role

    def record(by=None, organisation=None, **changes):
        organisation = organisation or trust
        username = f"events-{organisation.ods_code}"
        by = (
            by
            or User.objects.filter(username=username).first()
            or make_staff(organisation, Role.STEERING_GROUP_MEMBER, username=username)
        )
        data = {
            "kind": "listening",
            "title": "Listening event on crisis care",
            "held_on": date(2026, 3, 5),
            "partner": None,
            "place": "Highfields community centre",
            "participation": [("Somali", 12), ("Pakistani", 9)],
            "heard": "Long waits at the crisis line.",
            "led_to": "",
            "feedback_references": [],
            "actions": [],
            **changes,
        }
        return services.record_event(data, organisation=organisation, by=by)

    return record
