"""Fixtures for governance: a steering group member, and a plan with the four workstreams."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from pcref.governance import services


@pytest.fixture
def plan(trust, steering):
    return services.create_plan(
        {
            "title": "PCREF delivery plan",
            "year": "2025/26",
            "approved_by": "Transformation and Quality Improvement Committee",
            "approved_on": date(2025, 4, 15),
        },
        services.DEFAULT_WORKSTREAMS,
        organisation=trust,
        by=steering,
    )


@pytest.fixture
def add_action(plan, steering, trust):
    """add_action(**changes): an action in the plan's first workstream, owned by `steering`."""

    def add(**changes):
        data = {
            "workstream": plan.workstreams.first(),
            "title": "Cultural awareness training for ward staff",
            "description": "Every ward team trained.",
            "owner": steering,
            "lead_organisation": trust,
            "component": "leadership_governance",
            "competency": "cultural_awareness",
            "due_on": timezone.localdate() + timedelta(days=60),
            "status": "on_track",
            **changes,
        }
        return services.add_action(plan, data, by=steering)

    return add
