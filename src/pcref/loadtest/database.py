"""The load test's Django side, run in a fresh process with the load's settings (`run.py`):

python -m pcref.loadtest.database prepare STAFF_FILE ACCOUNTS
python -m pcref.loadtest.database check RESULTS_DIR      (prints the check as JSON)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

STAFF_PASSWORD = "pcref-load-2026-not-a-real-password"


def prepare(staff_file: Path, accounts: int) -> None:
    """Migrate, load the demo, and make `accounts` staff accounts each for the load's officers
    and analysts (one each: an authenticator code is accepted once, so people cannot share)."""
    from django.conf import settings
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pcref.cli import _prepare_database
    from pcref.core import services
    from pcref.core.demo import demo_totp_key
    from pcref.core.models import Organisation
    from pcref.core.roles import Role
    from pcref.demo import load_everything

    _prepare_database()
    load_everything()
    trust = Organisation.objects.get(ods_code=settings.TRUST_ODS_CODE)
    staff = {"password": STAFF_PASSWORD, "officer": [], "analyst": []}
    for kind, role in (("officer", Role.PATIENT_EXPERIENCE_OFFICER), ("analyst", Role.ANALYST)):
        for number in range(1, accounts + 1):
            username = f"load-{kind}-{number}"
            user = services.create_staff_user(
                trust,
                username=username,
                email=f"{username}@example.nhs.uk",
                first_name="Load",
                last_name=f"{kind.title()} {number}",
                roles=[role],
                password=STAFF_PASSWORD,
                by="demo",
            )
            key = demo_totp_key(username)
            device = TOTPDevice.objects.create(user=user, name="Load", key=key, confirmed=False)
            services.confirm_totp_enrolment(user, device, by="demo")
            staff[kind].append({"username": username, "key": key})
    staff_file.write_text(json.dumps(staff))


def check(results: Path) -> dict:
    """The confirmations the people received, against what the database holds."""
    from pcref.feedback.models import FeedbackSubmission
    from pcref.loadtest.run import compare

    confirmed = [
        item
        for path in sorted(results.glob("confirmations-*.json"))
        for item in json.loads(path.read_text())
    ]
    stored = FeedbackSubmission.objects.filter(text__contains="[load ").values_list(
        "reference", "text"
    )
    return compare(confirmed, stored.iterator())


def main(argv: list[str]) -> int:
    from pcref.cli import _django

    _django()
    if argv[:1] == ["prepare"] and len(argv) == 3:
        prepare(Path(argv[1]), int(argv[2]))
    elif argv[:1] == ["check"] and len(argv) == 2:
        print(json.dumps(check(Path(argv[1]))))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
