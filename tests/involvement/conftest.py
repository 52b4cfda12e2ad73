"""Fixtures for involvement: a sign-up's answers, and people on the register."""

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
