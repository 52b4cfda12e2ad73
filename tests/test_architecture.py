"""Rules of the codebase that a reviewer would otherwise have to remember."""

import re
from pathlib import Path

import pytest
from django.conf import settings

SRC = Path(settings.PACKAGE_DIR)
# Models whose rows belong to an organisation: views reach them only through visible_to(user).
SCOPED_MODELS = [
    "Organisation",
    "ServiceTeam",
    "User",
    "FeedbackSubmission",
    "YouSaidWeDidEntry",
    "ExtractUpload",
    "MetricRun",
    "Report",
    "InvolvementRegistration",
    "InvolvementOpportunity",
    "PartnerContact",
    "PartnerAgreement",
    "DeliveryPlan",
    "DeliveryAction",
    "GovernanceGroup",
    "Resource",
    "EngagementEvent",
    "PaymentRate",
    "InvolvementPayment",
]


def view_modules():
    return sorted(SRC.glob("*/views*.py")) + sorted(SRC.glob("*/views/*.py"))


def test_views_reach_scoped_models_only_through_visible_to():
    pattern = re.compile(rf"\b({'|'.join(SCOPED_MODELS)})\.objects\.(?!visible_to\b)(\w+)")
    offences = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in view_modules()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offences, "use Model.objects.visible_to(request.user):\n" + "\n".join(offences)


def test_views_never_write_the_audit_log():
    offences = [str(path) for path in view_modules() if "audit.record" in path.read_text()]
    assert not offences, "audit entries are written by services only"


@pytest.mark.django_db
def test_models_and_migrations_agree():
    from io import StringIO

    from django.core.management import call_command

    output = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit:
        raise AssertionError(f"a model change has no migration:\n{output.getvalue()}") from None
