"""Demo involvement register (three sign-ups, two opportunities) and the contacts and agreements
kept for three partner organisations, loaded through the services; then (after the governance
demo, whose plan actions they link to) three events, the payment policy's rates and payments.

Idempotent: it adds its sign-ups only when the demo trust's register is empty.
"""

import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pcref.core.demo import refuse_in_production
from pcref.core.models import Organisation, User
from pcref.involvement import services
from pcref.involvement.models import (
    EngagementEvent,
    InvolvementPayment,
    InvolvementRegistration,
    PaymentRate,
)

DEMO_FILE = Path(__file__).with_name("demo.toml")


@transaction.atomic
def load_involvement_demo(trust_ods_code: str = "RT5") -> int:
    """Load the demo register; returns how many sign-ups were added."""
    refuse_in_production()
    trust = Organisation.objects.get(ods_code=trust_ods_code)
    if InvolvementRegistration.objects.filter(organisation=trust).exists():
        return 0
    spec = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))
    officer = User.objects.get(username="pxo")
    people = [
        services.sign_up(
            {**item, "consent": True},
            organisation=trust,
            interface_language=item["language"],
            by="demo",
        )[0]
        for item in spec["sign_ups"]
    ]
    today = timezone.localdate()
    for item in spec["opportunities"]:
        opportunity = services.add_opportunity(
            {
                "title": item["title"],
                "description": item["description"],
                "kind": item["kind"],
                "takes_place_on": today + timedelta(days=item["days_from_now"]),
            },
            organisation=trust,
            by=officer,
        )
        services.invite(opportunity, [people[index] for index in item["invite"]], by=officer)
    for item in spec["partners"]:
        partner = Organisation.objects.get(name=item["name"])
        for name, job_title, email, phone in item["contacts"]:
            services.add_partner_contact(
                partner,
                {"name": name, "job_title": job_title, "email": email, "phone": phone},
                by=officer,
            )
        for title, kind, starts_on, ends_on in item["agreements"]:
            services.add_partner_agreement(
                partner,
                {
                    "title": title,
                    "kind": kind,
                    "starts_on": date.fromisoformat(starts_on),
                    "ends_on": date.fromisoformat(ends_on) if ends_on else None,
                },
                by=officer,
            )
    return len(people)


@transaction.atomic
def load_engagement_demo(trust_ods_code: str = "RT5") -> int:
    """Load the demo events (linked to the demo plan's actions, so after the governance demo),
    the payment policy's rates and a few payments; returns how many events were added.
    Idempotent: each part is added only when the trust has none yet."""
    from pcref.feedback.models import FeedbackSubmission
    from pcref.governance.models import DeliveryAction

    refuse_in_production()
    trust = Organisation.objects.get(ods_code=trust_ods_code)
    spec = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))
    officer = User.objects.get(username="pxo")
    admin = User.objects.get(username="admin")
    today = timezone.localdate()
    events = list(EngagementEvent.objects.filter(organisation=trust).order_by("created_at"))
    added = 0
    if not events:
        first_feedback = (
            FeedbackSubmission.objects.filter(organisation=trust).order_by("created_at").first()
        )
        for item in spec["events"]:
            action = DeliveryAction.objects.filter(
                workstream__plan__organisation=trust, title=item["action"]
            ).first()
            feedback = [first_feedback.reference] if item["feedback"] and first_feedback else []
            events.append(
                services.record_event(
                    {
                        "kind": item["kind"],
                        "title": item["title"],
                        "held_on": today - timedelta(days=item["days_ago"]),
                        "partner": Organisation.objects.get(name=item["partner"]),
                        "place": item["place"],
                        "participation": [tuple(row) for row in item["participation"]],
                        "heard": item["heard"],
                        "led_to": item["led_to"],
                        "feedback_references": feedback,
                        "actions": [action] if action else [],
                    },
                    organisation=trust,
                    by=officer,
                )
            )
            added += 1
    if not PaymentRate.objects.filter(organisation=trust).exists():
        for item in spec["rates"]:
            services.set_rate(
                {**item, "valid_from": date.fromisoformat(item["valid_from"])},
                organisation=trust,
                by=admin,
            )
    people = list(
        InvolvementRegistration.objects.filter(
            organisation=trust, status=InvolvementRegistration.Status.ACTIVE
        ).order_by("created_at")
    )
    if not InvolvementPayment.objects.filter(organisation=trust).exists() and len(people) >= 2:
        rates = {rate.name: rate for rate in PaymentRate.objects.filter(organisation=trust)}
        for item in spec["payments"]:
            day = today - timedelta(days=item["days_ago"])
            services.record_payment(
                {
                    "registration": people[item["person"]],
                    "kind": item["kind"],
                    "activity_on": day,
                    "description": item["description"],
                    "rate": rates.get(item.get("rate", "")),
                    "units": Decimal(item["units"]) if "units" in item else None,
                    "amount_pence": item.get("amount_pence"),
                    "event": events[item["event"]] if "event" in item else None,
                    "paid_on": day + timedelta(days=7) if item["paid"] else None,
                },
                organisation=trust,
                by=officer,
            )
    return added
