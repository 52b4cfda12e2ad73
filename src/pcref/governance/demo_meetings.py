"""The demo steering and working groups (demo_meetings.toml): members, two past meetings of the
steering group with attendance, minutes, a paper, decisions (one creating a plan action) and an
action log with one item done and one overdue. Loaded through the services as `steering`.

Idempotent: it adds a group only when the demo trust has no group of that name.
"""

import tomllib
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from pcref.core.demo import refuse_in_production
from pcref.core.models import Organisation, Programme, User
from pcref.governance import meetings
from pcref.governance.models import DeliveryPlan, GovernanceGroup

DEMO_FILE = Path(__file__).with_name("demo_meetings.toml")


@transaction.atomic
def load_meetings_demo(trust_ods_code: str = "RT5") -> int:
    """Load the demo groups; returns how many were added."""
    refuse_in_production()
    spec = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))
    trust = Organisation.objects.get(ods_code=trust_ods_code)
    lead = User.objects.get(username="steering")
    today = timezone.localdate()
    added = 0
    for item in spec["groups"]:
        if GovernanceGroup.objects.filter(organisation=trust, name=item["name"]).exists():
            continue
        plan = DeliveryPlan.objects.filter(organisation=trust, year=item["plan_year"]).first()
        workstreams = list(plan.workstreams.all()) if plan else []
        group = meetings.create_group(
            {
                "name": item["name"],
                "kind": item["kind"],
                "purpose": item["purpose"],
                "programme": Programme.objects.get(name=item["programme"])
                if "programme" in item
                else None,
                "plan": plan,
                "workstream": workstreams[item["workstream"]]
                if plan and "workstream" in item
                else None,
            },
            organisation=trust,
            by=lead,
        )
        members = [
            meetings.add_member(
                group,
                {
                    "name": name,
                    "role": role,
                    "represents": represents,
                    "organisation": Organisation.objects.get(name=organisation)
                    if organisation
                    else None,
                    "is_lived_experience_partner": partner,
                    "user": User.objects.get(username=username) if username else None,
                    "joined_on": today - timedelta(days=joined),
                },
                by=lead,
            )
            for name, role, represents, organisation, partner, username, joined in item["members"]
        ]
        for spec_meeting in item.get("meetings", []):
            _meeting(group, members, workstreams, spec_meeting, lead, today)
        added += 1
    return added


def _meeting(group, members, workstreams, item, lead, today) -> None:
    held_on = today - timedelta(days=item["days_ago"])
    meeting = meetings.create_meeting(
        group, {"held_on": held_on, "agenda": item["agenda"]}, by=lead
    )
    for title, filename, text in item.get("papers", []):
        upload = SimpleUploadedFile(filename, text.encode(), content_type="text/plain")
        meetings.add_paper(meeting, title, upload, by=lead)
    answers = {
        meetings.attendance_field(member): status
        for member, status in zip(members, item["attendance"], strict=True)
    }
    meetings.record_attendance(meeting, answers, by=lead)
    approved = item["approved_days_ago"]
    meetings.record_minutes(
        meeting,
        item["minutes"],
        today - timedelta(days=approved) if approved != "" else None,
        by=lead,
    )
    action = item.get("action")
    for index, text in enumerate(item["decisions"]):
        data = {"text": text}
        if action and action["decision"] == index:
            data |= {
                "create_action": True,
                "title": action["title"],
                "description": text,
                "workstream": workstreams[action["workstream"]],
                "owner": User.objects.get(username=action["owner"]),
                "lead_organisation": group.organisation,
                "component": action["component"],
                "competency": action["competency"],
                "due_on": today + timedelta(days=action["due_in_days"]),
                "status": "not_started",
            }
        meetings.add_decision(meeting, data, by=lead)
    for text, owner, due_days_ago, done_days_ago in item["log_items"]:
        log_item = meetings.add_log_item(
            meeting,
            {"text": text, "owner": members[owner], "due_on": today - timedelta(days=due_days_ago)},
            by=lead,
        )
        if done_days_ago != "":
            meetings.mark_log_item_done(
                log_item, today - timedelta(days=done_days_ago), "", by=lead
            )
