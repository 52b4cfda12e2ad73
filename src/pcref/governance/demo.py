"""The demo delivery plan: the trust's 2025/26 plan, its four workstreams and eight actions with
progress updates, milestones, measures, feedback themes and one evidence file, published on the
public page, loaded through the services as the demo's steering group member.

Idempotent: it adds the plan only when the demo trust has no plan for that year.
"""

import tomllib
from datetime import date, timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from pcref.core.demo import refuse_in_production
from pcref.core.models import Organisation, Programme, User
from pcref.feedback.models import FeedbackSubmission, Theme, YouSaidWeDidEntry
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
                "themes": list(Theme.objects.filter(key__in=item.get("themes", []))),
            },
            by=lead,
        )
        for milestone in item.get("milestones", []):
            _add_milestone(action, milestone, today, lead)
        for measure in item.get("measures", []):
            services.link_measure(action, _measure(measure, today), by=lead)
        for position, (days_ago, text, link) in enumerate(item["updates"]):
            evidence = item.get("evidence") if position == len(item["updates"]) - 1 else None
            services.add_progress_update(
                action,
                {
                    "text": text,
                    "recorded_on": today - timedelta(days=days_ago),
                    "evidence_link": link,
                    **_citations(trust, evidence),
                },
                by=lead,
                uploaded=_evidence_file(evidence),
            )
        if "override" in item:
            services.override_rag(action, *item["override"], by=lead)
    services.publish_plan(plan, by=lead)  # shown on the public page /our-plan/
    return len(spec["actions"])


def _add_milestone(action, item: dict, today: date, by: User) -> None:
    milestone = services.add_milestone(
        action,
        {"title": item["title"], "due_on": today + timedelta(days=item["due_in_days"])},
        by=by,
    )
    if "done_days_ago" in item:
        done_on = today - timedelta(days=item["done_days_ago"])
        services.mark_milestone_done(milestone, done_on, by=by)


def _measure(item: dict, today: date) -> dict:
    return {
        "metric_id": item["metric"],
        "group": item["group"],
        "statistic": item["statistic"],
        "baseline": item.get("baseline"),
        "target": item["target"],
        "direction": item["direction"],
        "target_on": today + timedelta(days=item["target_in_days"]),
    }


def _citations(trust: Organisation, evidence: dict | None) -> dict:
    """The first demo feedback and "You said, we did" entry, when the evidence cites them."""
    if not evidence:
        return {}
    cited: dict = {}
    if evidence.get("cite_feedback"):
        first = FeedbackSubmission.objects.filter(organisation=trust).order_by("created_at").first()
        cited["feedback_references"] = [first.reference] if first else []
    if evidence.get("cite_you_said_we_did"):
        entries = YouSaidWeDidEntry.objects.filter(organisation=trust).order_by("created_at")
        cited["you_said_we_did"] = list(entries[:1])
    return cited


def _evidence_file(evidence: dict | None) -> SimpleUploadedFile | None:
    if not evidence:
        return None
    return SimpleUploadedFile(
        evidence["name"], evidence["text"].encode("utf-8"), content_type="text/plain"
    )
