"""Fixtures for feedback: a trust with teams, officers, and a way to walk the public journey."""

import pytest
from django.urls import reverse
from django.utils import translation

from pcref.core import services as core_services
from pcref.core.models import ServiceTeam
from pcref.core.roles import Role


@pytest.fixture
def ward(trust):
    return core_services.add_service_team(
        trust,
        {"name": "Ashby Ward", "kind": ServiceTeam.Kind.INPATIENT_WARD, "local_code": "ASHBY"},
        by="demo",
    )


@pytest.fixture
def officer(trust, make_staff):
    return make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER, username="officer")


def step_url(slug, language="en"):
    with translation.override(language):
        return reverse("feedback:step", args=[slug])


def check_url(language="en"):
    with translation.override(language):
        return reverse("feedback:check")


@pytest.fixture
def walk_journey():
    """walk_journey(client, answers, language): post every step, then send; returns the response."""

    def walk(
        client,
        *,
        text="The staff were kind.",
        wants_reply=False,
        language="en",
        extra=None,
        send=True,
        **post,
    ):
        steps = [
            ("who", {"respondent_type": "carer"}),
            ("service", {"service_team": ""}),
            ("what-happened", {"text": text, "website": ""}),
            ("topics", {"cultural_needs": "", "family_involvement": "", "sharing_information": ""}),
            ("overall", {"overall_experience": "good"}),
            ("reply", {"wants_reply": "yes" if wants_reply else "no"}),
        ]
        if wants_reply:
            steps.append(
                (
                    "contact",
                    {
                        "name": "Sam",
                        "preferred_method": "email",
                        "email": "sam@example.com",
                        "consent": "on",
                    },
                )
            )
        steps.append(("about-you", {"ethnic_group": "black-african", **(extra or {})}))
        for slug, data in steps:
            response = client.post(step_url(slug, language), data)
            assert response.status_code == 302, (slug, response.content.decode()[:2000])
        if not send:
            return None
        return client.post(check_url(language), {"website": "", **post})

    return walk
