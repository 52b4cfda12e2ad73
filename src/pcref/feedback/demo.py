"""Demo feedback, cases and a published "You said, we did" entry, loaded through the services.

Idempotent: it adds its feedback only when the demo trust has none.
"""

import tomllib
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from pcref.core.demo import refuse_in_production
from pcref.core.models import Organisation, ServiceTeam, User
from pcref.feedback import services
from pcref.feedback.models import FeedbackSubmission, Theme

DEMO_FILE = Path(__file__).with_name("demo.toml")


@transaction.atomic
def load_feedback_demo(trust_ods_code: str = "RT5") -> int:
    """Load the demo feedback; returns how many pieces were added."""
    refuse_in_production()
    trust = Organisation.objects.get(ods_code=trust_ods_code)
    if FeedbackSubmission.objects.filter(organisation=trust).exists():
        return 0
    spec = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))
    officer = User.objects.get(username="pxo")
    teams = {team.local_code: team for team in ServiceTeam.objects.filter(organisation=trust)}
    added = []
    for item in spec["feedback"]:
        answers = {
            "respondent_type": item["respondent_type"],
            "service_team": teams.get(item["service"]),
            "text": item["text"],
            "cultural_needs": item.get("cultural_needs", ""),
            "overall_experience": item["overall_experience"],
            "ethnic_group": item["ethnic_group"],
            "wants_reply": False,
        }
        submission = services.receive_feedback(
            answers,
            organisation=trust,
            channel="online",
            interface_language=item["language"],
            by="demo",
        )
        # received weeks ago, as a trust's feedback is: the public counts are of past months
        received = timezone.now() - timedelta(days=item["received_days_ago"])
        FeedbackSubmission.objects.filter(pk=submission.pk).update(created_at=received)
        if item["themes"]:
            services.confirm_triage(
                submission,
                {
                    "themes": list(Theme.objects.filter(key__in=item["themes"])),
                    "sentiment": item["sentiment"],
                    "safeguarding": False,
                    "formal_complaint": False,
                },
                by=officer,
            )
        added.append(submission)
    for entry in spec["you_said_we_did"]:
        draft = services.draft_you_said_we_did(
            organisation=trust,
            submissions=added[:1],
            theme=Theme.objects.get(key=entry["theme"]),
            service_team=teams.get(entry["service"]),
            you_said=entry["you_said"],
            we_did=entry["we_did"],
            by=officer,
        )
        services.publish_you_said_we_did(draft, by=officer)
    return len(added)
