"""A subject access request: everything PCREF Hub holds about one person's feedback, as JSON.

Run by the trust's information governance team from the command line
(`pcref manage subject_access_export --reference FB-XXXX-XXXX`, docs/operations.md). The export
holds that person's words, answers and contact details, the replies sent to them, the themes
staff gave their feedback, what the trust published because of it, and the audit trail about
it. It names no member of staff (they appear as "staff") and nothing of another person: a
"You said, we did" entry is the trust's own summary, shown as published.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from pcref.core import audit
from pcref.core.models import AuditEntry
from pcref.feedback.models import FeedbackSubmission

FEEDBACK_REFERENCE = re.compile(r"^FB-[A-Z0-9]{4}-[A-Z0-9]{4}$")
EXPORT_FORMAT = "pcref-subject-access/1"

SUBMISSION_FIELDS = (
    "respondent_type",
    "text",
    "cultural_needs",
    "family_involvement",
    "sharing_information",
    "overall_experience",
    "wants_reply",
    "interface_language",
    "easy_read",
    "text_language",
    "channel",
    "group_size",
    "ethnicity_as_given",
    "ethnicity_details",
    "ethnic_category_code",
    "main_language",
    "religion",
    "disability",
    "age_band",
    "sex",
    "gender_same_as_sex",
    "status",
    "sentiment",
    "safeguarding",
    "formal_complaint",
    "created_at",
    "triaged_at",
    "acknowledged_at",
    "closed_at",
)


class UnknownReference(LookupError):
    """No record has this reference (or it is not a reference at all)."""


def plain(value: Any) -> Any:
    """A JSON-safe value: dates as ISO 8601, records by their id."""
    return audit._plain(value)


def audit_trail(target_ids: set[str]) -> list[dict]:
    """The audit entries about these records, oldest first; people named only as staff."""
    entries = AuditEntry.objects.filter(target_id__in=sorted(target_ids)).order_by(
        "occurred_at", "id"
    )
    return [audit_row(entry) for entry in entries]


# Audit fields that name a member of staff (by username or id): shown as "staff".
STAFF_FIELDS = frozenset(
    {"owner", "assigned_to", "decided_by", "sent_by", "created_by", "updated_by", "approved_by"}
)


def without_staff(values: dict) -> dict:
    """An audit entry's changes or context with every member of staff shown as "staff"."""

    def hide(value):
        if isinstance(value, list):
            return [hide(item) for item in value]
        return None if value in (None, "") else "staff"

    return {key: hide(value) if key in STAFF_FIELDS else value for key, value in values.items()}


def audit_row(entry: AuditEntry, *, details: bool = True) -> dict:
    row = {
        "when": plain(entry.occurred_at),
        "action": entry.action,
        "by": f"system:{entry.system_actor}" if entry.system_actor else "staff",
    }
    if details:
        row["changes"] = without_staff(entry.changes)
        row["context"] = without_staff(entry.context)
    return row


def find_feedback(reference: str) -> FeedbackSubmission:
    reference = reference.strip().upper()
    if not FEEDBACK_REFERENCE.match(reference):
        raise UnknownReference(f"{reference!r} is not a feedback reference like FB-7KQ2-M9XD")
    try:
        return FeedbackSubmission.objects.select_related(
            "organisation", "service_team", "submitted_via"
        ).get(reference=reference)
    except FeedbackSubmission.DoesNotExist:
        raise UnknownReference(f"No feedback has the reference {reference}") from None


def feedback_export(submission: FeedbackSubmission) -> dict:
    """What PCREF Hub holds about the person who gave this feedback."""
    try:
        contact = submission.contact_details
    except ObjectDoesNotExist:
        contact = None
    related_ids = {str(submission.pk)}
    if contact is not None:
        related_ids.add(str(contact.pk))
    data = {
        "format": EXPORT_FORMAT,
        "kind": "feedback",
        "reference": submission.reference,
        "organisation": submission.organisation.name,
        "service_or_team": submission.service_team.name if submission.service_team else None,
        "through_partner_organisation": (
            submission.submitted_via.name if submission.submitted_via else None
        ),
        "feedback": {field: plain(getattr(submission, field)) for field in SUBMISSION_FIELDS},
        "contact_details": None
        if contact is None
        else {
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "preferred_method": contact.preferred_method,
            "partner_organisation": (
                contact.partner_organisation.name if contact.partner_organisation else None
            ),
            "consent": contact.consent,
            "recorded_at": plain(contact.created_at),
        },
        "replies": [
            {"sent_at": plain(reply.created_at), "method": reply.method, "body": reply.body}
            for reply in submission.replies.order_by("created_at")
        ],
        "themes": [
            {"key": decision.theme.key, "theme": decision.theme.name}
            for decision in submission.triage_decisions.select_related("theme").order_by(
                "theme__key"
            )
        ],
        "suggested_themes": [
            {
                "key": suggestion.theme.key,
                "score": round(suggestion.score, 4),
                "model_version": suggestion.model_version,
            }
            for suggestion in submission.theme_suggestions.select_related("theme")
        ],
        "follow_up_actions": [
            {
                "action": action.description,
                "due_date": plain(action.due_date),
                "done_at": plain(action.done_at),
            }
            for action in submission.actions.order_by("due_date", "created_at")
        ],
        "you_said_we_did": [
            {
                "theme": entry.theme.name,
                "you_said": entry.you_said,
                "we_did": entry.we_did,
                "status": entry.status,
                "published_at": plain(entry.published_at),
            }
            for entry in submission.you_said_we_did.select_related("theme").order_by("created_at")
        ],
        "engagement_events": [
            {"title": event.title, "held_on": plain(event.held_on)}
            for event in submission.engagement_events.order_by("held_on")
        ],
        "audit_trail": audit_trail(related_ids),
    }
    return data


@transaction.atomic
def export_feedback(reference: str, *, by: audit.Actor = "command-line") -> dict:
    """Find one piece of feedback by its reference, build its export and record that it was
    made (the entry says what was exported, never the person's details)."""
    submission = find_feedback(reference)
    data = feedback_export(submission)
    entry = audit.record(
        action="feedback.subject_access_exported",
        by=by,
        target=submission,
        context={"sections": sorted(key for key, value in data.items() if value)},
    )
    data["exported_at"] = plain(entry.occurred_at or timezone.now())
    return data
