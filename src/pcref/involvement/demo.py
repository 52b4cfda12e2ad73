"""Demo involvement register (three sign-ups, two opportunities) and the contacts and agreements
kept for three partner organisations, loaded through the services.

Idempotent: it adds its sign-ups only when the demo trust's register is empty.
"""

import tomllib
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pcref.core.demo import refuse_in_production
from pcref.core.models import Organisation, User
from pcref.involvement import services
from pcref.involvement.models import InvolvementRegistration

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
