"""The demo delivery plan: the trust's 2025/26 plan, its four workstreams and eight actions with
progress updates, published on the public page, loaded through the services as the demo's steering group member.

Idempotent: it adds the plan only when the demo trust has no plan for that year.
"""

import tomllib
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pcref.core.demo import refuse_in_production
from pcref.core.models import Organisation, Programme, User
from pcref.governance import services
from pcref.governance.models import DeliveryPlan

DEMO_FILE = Path(__file__).with_name("demo.toml")


@transaction.atomic
def load_governance_demo(trust_ods_code: str = "RT5") -> int:
    """Load the demo plan; returns how many actions were added."""
    refuse_in_production()
    spec = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))
    trust = Organisation.objects.get(ods_code=trust_ods_code)
    if DeliveryPlan.objects.filter(organisation=trust, year=spec["plan"]["year"]).exists():
        return 0
    lead = User.objects.get(username="steering")
    item = spec["plan"]
    plan = services.create_plan(
        {
            "title": item["title"],
            "year": item["year"],
            "approved_by": item["approved_by"],
            "approved_on": date.fromisoformat(item["approved_on"]),
            "programme": Programme.objects.get(name=item["programme"]),
        },
        item["workstreams"],
        organisation=trust,
        by=lead,
    )
    workstreams = list(plan.workstreams.all())
    today = timezone.localdate()
    for item in spec["actions"]:
        action = services.add_action(
            plan,
            {
                "workstream": workstreams[item["workstream"]],
                "title": item["title"],
                "description": item["description"],
                "owner": User.objects.get(username=item["owner"]),
                "lead_organisation": Organisation.objects.get(name=item["lead_organisation"]),
                "component": item["component"],
                "competency": item["competency"],
                "due_on": today + timedelta(days=item["due_in_days"]),
                "status": item["status"],
            },
            by=lead,
        )
        for days_ago, text, link in item["updates"]:
            services.add_progress_update(
                action,
                {
                    "text": text,
                    "recorded_on": today - timedelta(days=days_ago),
                    "evidence_link": link,
                },
                by=lead,
            )
        if "override" in item:
            services.override_rag(action, *item["override"], by=lead)
    services.publish_plan(plan, by=lead)  # shown on the public page /our-plan/
    return len(spec["actions"])
