"""Every change to feedback goes through here, and each one writes the audit log."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from pcref.analytics import ethnicity
from pcref.analytics.text.redaction import Kind, find_personal_details, redact
from pcref.analytics.text.themes import THEMES
from pcref.core import audit
from pcref.core.audit import Actor
from pcref.core.models import Organisation, ServiceTeam, User
from pcref.feedback import suggestions
from pcref.feedback.models import (
    ContactDetails,
    FeedbackAction,
    FeedbackSubmission,
    Reply,
    SubmissionAttempt,
    Theme,
    ThemeSuggestion,
    TriageDecision,
    YouSaidWeDidEntry,
)
from pcref.feedback.rules import Perm

logger = logging.getLogger(__name__)

SUBMISSION_FIELDS = (
    "respondent_type",
    "service_team",
    "text",
    "cultural_needs",
    "family_involvement",
    "sharing_information",
    "overall_experience",
    "wants_reply",
    "main_language",
    "religion",
    "disability",
    "age_band",
    "sex",
    "gender_same_as_sex",
    "group_size",
)


# Receiving feedback -------------------------------------------------------------------------


def address_hash(address: str) -> str:
    """The sender's address, hashed with the secret key: enough to count, never stored plain."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()


def over_rate_limit(address: str) -> bool:
    """Whether this address has sent as many submissions as the limit allows this hour."""
    since = timezone.now() - timedelta(hours=1)
    recent = SubmissionAttempt.objects.filter(
        address_hash=address_hash(address), created_at__gte=since
    ).count()
    return recent >= settings.FEEDBACK_SUBMISSIONS_PER_HOUR


def ethnicity_fields(answers: Mapping[str, Any]) -> dict[str, str]:
    """The ethnicity fields a form's answers give (the ethnic group question, as the feedback
    form and the involvement sign-up ask it): as given, and as a national code."""
    option = answers.get("ethnic_group") or None
    details = answers.get("ethnic_group_details") or None
    result = ethnicity.form_answer_to_code(option, details if option else None)
    return {
        "ethnicity_as_given": option or "",
        "ethnicity_details": details or "" if option else "",
        "ethnic_category_code": result.code or "",
        "ethnicity_mapping_version": result.mapping_version,
    }


@transaction.atomic
def receive_feedback(
    answers: Mapping[str, Any],
    *,
    organisation: Organisation,
    channel: str,
    interface_language: str,
    easy_read: bool = False,
    journey_token: str | None = None,
    address: str = "",
    by: Actor = "public-form",
    submitted_via: Organisation | None = None,
) -> FeedbackSubmission:
    """Store a piece of feedback exactly as written. A repeated journey token (a double click,
    a resent form) returns the first submission instead of storing a second."""
    if journey_token:
        existing = FeedbackSubmission.objects.filter(journey_token=journey_token).first()
        if existing is not None:
            return existing
    submission = FeedbackSubmission(
        organisation=organisation,
        channel=channel,
        interface_language=interface_language,
        easy_read=easy_read,
        journey_token=journey_token,
        submitted_via=submitted_via,
        submitted_by=by if isinstance(by, User) else None,
        **{field: answers[field] for field in SUBMISSION_FIELDS if answers.get(field) is not None},
        **ethnicity_fields(answers),
    )
    submission.text_language = suggestions.detect_language(submission.text)
    submission.full_clean(exclude=["journey_token"])
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError:
        existing = FeedbackSubmission.objects.filter(journey_token=journey_token).first()
        if existing is not None:
            return existing
        raise
    if submission.wants_reply:
        contact = ContactDetails(
            submission=submission,
            name=answers.get("name") or "",
            email=answers.get("email") or "",
            phone=answers.get("phone") or "",
            preferred_method=answers.get("preferred_method") or "",
            partner_organisation=answers.get("partner_organisation"),
            consent=bool(answers.get("consent")),
        )
        contact.full_clean(exclude=["submission"])
        contact.save()
    if address:
        SubmissionAttempt.objects.create(address_hash=address_hash(address))
    audit.record(
        action="feedback.received",
        by=by,
        target=submission,
        after={"channel": channel, "status": submission.status, "text": submission.text},
        context={"language": interface_language, "wants_reply": submission.wants_reply},
    )
    suggest_for(submission)
    return submission


def suggest_for(submission: FeedbackSubmission) -> list[ThemeSuggestion]:
    """Suggested themes and sentiment; a failure here never loses the feedback."""
    try:
        suggested = suggestions.suggest(submission)
    except Exception:  # the person's words are saved already; suggestions can be redone
        logger.exception("theme suggestions failed for %s", submission.reference)
        return []
    themes = {
        theme.key: theme
        for theme in Theme.objects.filter(key__in=[s.theme_key for s in suggested.themes])
    }
    created = ThemeSuggestion.objects.bulk_create(
        ThemeSuggestion(
            submission=submission,
            theme=themes[item.theme_key],
            score=item.score,
            # a trained model may hand a theme it never saw to the keywords: each says its own
            model_version=item.model_version or suggested.model_version,
        )
        for item in suggested.themes
        if item.theme_key in themes
    )
    if suggested.sentiment:
        FeedbackSubmission.objects.filter(pk=submission.pk).update(
            suggested_sentiment=suggested.sentiment
        )
        submission.suggested_sentiment = suggested.sentiment
    return created


# Triage and case handling ----------------------------------------------------------------------


def _check_version(submission: FeedbackSubmission, version: int | None) -> None:
    """Two officers may open the same case: the second save is refused, not silently lost."""
    if version is not None and version != submission.version:
        raise ValidationError(
            _(
                "Someone else changed this feedback while you were working on it. Check their changes, then try again."
            ),
            code="stale",
        )


def _save(submission: FeedbackSubmission, fields: Iterable[str]) -> None:
    submission.version += 1
    submission.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def confirm_triage(
    submission: FeedbackSubmission,
    decision: Mapping[str, Any],
    *,
    by: User,
    version: int | None = None,
) -> FeedbackSubmission:
    """Record the themes and flags a person chose; suggestions stay, to measure agreement."""
    submission = FeedbackSubmission.objects.select_for_update().get(pk=submission.pk)
    _check_version(submission, version)
    fields = ("sentiment", "safeguarding", "formal_complaint")
    before = {**audit.snapshot(submission, fields), "themes": submission.confirmed_theme_keys()}
    themes: list[Theme] = list(decision["themes"])
    submission.triage_decisions.exclude(theme__in=themes).delete()
    existing = set(submission.triage_decisions.values_list("theme_id", flat=True))
    TriageDecision.objects.bulk_create(
        TriageDecision(submission=submission, theme=theme, decided_by=by)
        for theme in themes
        if theme.pk not in existing
    )
    for field in fields:
        setattr(submission, field, decision[field])
    submission.triaged_at = submission.triaged_at or timezone.now()
    if submission.status == FeedbackSubmission.Status.RECEIVED:
        submission.status = FeedbackSubmission.Status.ACKNOWLEDGED
        submission.acknowledged_at = timezone.now()
    _save(submission, [*fields, "triaged_at", "status", "acknowledged_at"])
    audit.record(
        action="feedback.triage_confirmed",
        by=by,
        target=submission,
        before=before,
        after={**audit.snapshot(submission, fields), "themes": submission.confirmed_theme_keys()},
        context=_flag_routes(submission),
    )
    return submission


def _flag_routes(submission: FeedbackSubmission) -> dict[str, str]:
    """Where flagged feedback must go: the safeguarding team and the complaints team."""
    routes = {}
    if submission.safeguarding:
        routes["safeguarding_route"] = settings.FEEDBACK_SAFEGUARDING_EMAIL or "safeguarding team"
    if submission.formal_complaint:
        routes["complaint_route"] = settings.FEEDBACK_COMPLAINTS_EMAIL or "complaints team"
    return routes


@transaction.atomic
def assign(
    submission: FeedbackSubmission,
    *,
    team: ServiceTeam | None,
    owner: User | None,
    by: User,
    version: int | None = None,
) -> FeedbackSubmission:
    submission = FeedbackSubmission.objects.select_for_update().get(pk=submission.pk)
    _check_version(submission, version)
    if team is not None and team.organisation_id != submission.organisation_id:
        raise ValidationError({"assigned_team": _("Choose a team of this trust")})
    if owner is not None and owner.organisation_id != submission.organisation_id:
        raise ValidationError({"owner": _("Choose someone who works for this trust")})
    before = audit.snapshot(submission, ("assigned_team", "owner", "status"))
    submission.assigned_team, submission.owner = team, owner
    if submission.status in (
        FeedbackSubmission.Status.RECEIVED,
        FeedbackSubmission.Status.ACKNOWLEDGED,
    ):
        submission.status = FeedbackSubmission.Status.IN_PROGRESS
        submission.acknowledged_at = submission.acknowledged_at or timezone.now()
    _save(submission, ["assigned_team", "owner", "status", "acknowledged_at"])
    audit.record(
        action="feedback.assigned",
        by=by,
        target=submission,
        before=before,
        after=audit.snapshot(submission, ("assigned_team", "owner", "status")),
    )
    return submission


@transaction.atomic
def set_status(
    submission: FeedbackSubmission, status: str, *, by: User, version: int | None = None
) -> FeedbackSubmission:
    submission = FeedbackSubmission.objects.select_for_update().get(pk=submission.pk)
    _check_version(submission, version)
    status = FeedbackSubmission.Status(status)
    before = {"status": submission.status}
    submission.status = status
    now = timezone.now()
    if status != FeedbackSubmission.Status.RECEIVED:
        submission.acknowledged_at = submission.acknowledged_at or now
    submission.closed_at = now if status == FeedbackSubmission.Status.CLOSED else None
    _save(submission, ["status", "acknowledged_at", "closed_at"])
    audit.record(
        action="feedback.status_changed",
        by=by,
        target=submission,
        before=before,
        after={"status": status},
    )
    return submission


@transaction.atomic
def add_action(
    submission: FeedbackSubmission, *, description: str, owner: User, due_date: date, by: User
) -> FeedbackAction:
    if owner.organisation_id != submission.organisation_id:
        raise ValidationError({"owner": _("Choose someone who works for this trust")})
    action = FeedbackAction(
        submission=submission,
        description=description,
        owner=owner,
        due_date=due_date,
        created_by=by,
    )
    action.full_clean()
    action.save()
    audit.record(
        action="feedback.action_added",
        by=by,
        target=submission,
        after={"action": str(action.pk), "owner": owner.username, "due_date": due_date},
    )
    return action


@transaction.atomic
def complete_action(action: FeedbackAction, *, by: User) -> FeedbackAction:
    action.done_at = timezone.now()
    action.save(update_fields=["done_at", "updated_at"])
    audit.record(
        action="feedback.action_done",
        by=by,
        target=action.submission,
        after={"action": str(action.pk)},
    )
    return action


def contact_details(submission: FeedbackSubmission, *, viewer: User) -> ContactDetails | None:
    """The person's contact details, for a reply; every look is audited."""
    if not viewer.has_perm(Perm.VIEW_CONTACT_DETAILS, submission):
        raise PermissionDenied
    audit.record(action="feedback.contact_details_viewed", by=viewer, target=submission)
    return ContactDetails.objects.filter(submission=submission).first()


@transaction.atomic
def send_reply(submission: FeedbackSubmission, *, body: str, by: User) -> Reply:
    """Reply to the person the way they asked: email is sent; phone and partner replies are recorded."""
    contact = ContactDetails.objects.filter(submission=submission).first()
    if contact is None or not contact.consent:
        raise ValidationError(
            _("This person did not ask for a reply, or their contact details have been deleted.")
        )
    reply = Reply(submission=submission, body=body, method=contact.preferred_method, sent_by=by)
    reply.full_clean()
    reply.save()
    if contact.preferred_method == ContactDetails.Method.EMAIL:
        if not contact.email:
            raise ValidationError(_("There is no email address to reply to."))
        EmailMessage(
            subject=_("Your feedback %(ref)s") % {"ref": submission.reference},
            body=body,
            to=[contact.email],
        ).send(fail_silently=False)
    submission.status = FeedbackSubmission.Status.REPLIED
    submission.acknowledged_at = submission.acknowledged_at or timezone.now()
    _save(submission, ["status", "acknowledged_at"])
    audit.record(
        action="feedback.replied",
        by=by,
        target=submission,
        after={"method": reply.method, "body": body},
    )
    return reply


# "You said, we did" ------------------------------------------------------------------------------


PERSONAL_DETAIL_NAMES = {
    Kind.NAME: _lazy("a name"),
    Kind.NHS_NUMBER: _lazy("an NHS number"),
    Kind.PHONE_NUMBER: _lazy("a phone number"),
    Kind.EMAIL_ADDRESS: _lazy("an email address"),
    Kind.POSTCODE: _lazy("a postcode"),
    Kind.DATE_OF_BIRTH: _lazy("a date of birth"),
}


def personal_details_in(*texts: str) -> list[str]:
    """What personal details the texts still hold, e.g. ["an email address"]: publication
    refuses them."""
    kinds = {finding.kind for text in texts for finding in find_personal_details(text)}
    return sorted(str(PERSONAL_DETAIL_NAMES[kind]) for kind in kinds)


def suggested_summary(submissions: Iterable[FeedbackSubmission]) -> str:
    """A starting point for "you said": the people's words with personal details redacted."""
    return "\n\n".join(redact(submission.text).text for submission in submissions)


@transaction.atomic
def draft_you_said_we_did(
    *,
    organisation: Organisation,
    submissions: Iterable[FeedbackSubmission],
    theme: Theme,
    service_team: ServiceTeam | None,
    you_said: str,
    we_did: str,
    by: User,
) -> YouSaidWeDidEntry:
    entry = YouSaidWeDidEntry(
        organisation=organisation,
        theme=theme,
        service_team=service_team,
        you_said=you_said,
        we_did=we_did,
        created_by=by,
    )
    entry.full_clean()
    entry.save()
    entry.submissions.set(submissions)
    audit.record(
        action="you_said_we_did.drafted",
        by=by,
        target=entry,
        after={"theme": theme.key, "submissions": [s.reference for s in entry.submissions.all()]},
    )
    return entry


def _refuse_published(entry: YouSaidWeDidEntry) -> None:
    if entry.status == YouSaidWeDidEntry.Status.PUBLISHED:
        raise ValidationError(
            _("A published entry cannot be changed or deleted: withdraw it first."),
            code="published",
        )


@transaction.atomic
def edit_you_said_we_did(
    entry: YouSaidWeDidEntry,
    *,
    theme: Theme,
    service_team: ServiceTeam | None,
    you_said: str,
    we_did: str,
    by: User,
) -> YouSaidWeDidEntry:
    """Change an unpublished entry's text (to take out personal details the check found)."""
    _refuse_published(entry)
    before = {"theme": entry.theme.key, "service_team": str(entry.service_team_id or "")}
    entry.theme, entry.service_team = theme, service_team
    entry.you_said, entry.we_did = you_said, we_did
    entry.full_clean()
    entry.save()
    # not the words: the log cannot be changed, and the old ones may hold personal details
    audit.record(
        action="you_said_we_did.edited",
        by=by,
        target=entry,
        before=before,
        after={"theme": theme.key, "service_team": str(entry.service_team_id or "")},
        context={"text": "changed"},
    )
    return entry


@transaction.atomic
def delete_you_said_we_did(entry: YouSaidWeDidEntry, *, by: User) -> None:
    """Delete an unpublished entry, text and all: a draft may hold the personal details that
    stopped it being published, so the audit entry keeps its theme only."""
    _refuse_published(entry)
    audit.record(
        action="you_said_we_did.deleted",
        by=by,
        target=entry,
        before={"theme": entry.theme.key, "status": entry.status},
    )
    entry.delete()


@transaction.atomic
def publish_you_said_we_did(entry: YouSaidWeDidEntry, *, by: User) -> YouSaidWeDidEntry:
    """Publish after a person approved the final text; refused while personal details remain.
    Publishing a published entry again changes nothing (a second click, a resent form)."""
    if entry.status == YouSaidWeDidEntry.Status.PUBLISHED:
        return entry
    found = personal_details_in(entry.you_said, entry.we_did)
    if found:
        raise ValidationError(
            _("Remove these personal details before publishing: %(kinds)s")
            % {"kinds": ", ".join(found)}
        )
    entry.status = YouSaidWeDidEntry.Status.PUBLISHED
    entry.approved_by = by
    entry.published_at = timezone.now()
    entry.save(update_fields=["status", "approved_by", "published_at", "updated_at"])
    audit.record(
        action="you_said_we_did.published", by=by, target=entry, after={"status": entry.status}
    )
    return entry


@transaction.atomic
def withdraw_you_said_we_did(entry: YouSaidWeDidEntry, *, by: User) -> YouSaidWeDidEntry:
    entry.status = YouSaidWeDidEntry.Status.WITHDRAWN
    entry.save(update_fields=["status", "updated_at"])
    audit.record(
        action="you_said_we_did.withdrawn", by=by, target=entry, after={"status": entry.status}
    )
    return entry


# Exports and retention ---------------------------------------------------------------------------


def record_export(
    *, by: User, organisation_id, file_format: str, criteria: Mapping[str, Any], rows: int
) -> None:
    audit.record(
        action="feedback.exported",
        by=by,
        organisation_id=organisation_id,
        context={
            "format": file_format,
            "filter": {k: str(v) for k, v in criteria.items() if v},
            "rows": rows,
        },
    )


@transaction.atomic
def apply_retention(*, now=None, days: int | None = None, dry_run: bool = False) -> list[str]:
    """Delete the contact details of cases closed more than `days` ago; the feedback stays."""
    now = now or timezone.now()
    days = settings.FEEDBACK_CONTACT_RETENTION_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    due = ContactDetails.objects.filter(
        submission__status=FeedbackSubmission.Status.CLOSED, submission__closed_at__lt=cutoff
    ).select_related("submission")
    references = []
    for contact in due:
        references.append(contact.submission.reference)
        if dry_run:
            continue
        submission = contact.submission
        contact.delete()
        audit.record(
            action="feedback.contact_details_deleted",
            by="retention",
            target=submission,
            context={"retention_days": days},
        )
    return references


def prune_submission_attempts(*, now=None, dry_run: bool = False) -> int:
    """Delete the keyed address hashes of the rate limit once older than a day (only the last
    hour counts): `pcref retention`. Returns how many there were."""
    cutoff = (now or timezone.now()) - timedelta(days=1)
    old = SubmissionAttempt.objects.filter(created_at__lt=cutoff)
    count = old.count()
    if not dry_run:
        old.delete()
    return count


def sync_themes(using: str = "default") -> int:
    """Create or update the themes of the framework; themes no longer in it stop being offered."""
    keys = []
    for theme in THEMES:
        Theme.objects.using(using).update_or_create(
            key=theme.key,
            defaults={
                "label": theme.label,
                "group": theme.group,
                "description": theme.description,
                "is_active": True,
            },
        )
        keys.append(theme.key)
    Theme.objects.using(using).exclude(key__in=keys).update(is_active=False)
    return len(keys)
