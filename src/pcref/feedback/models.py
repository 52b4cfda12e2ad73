"""Feedback from patients, carers and communities, its triage, follow-up and publication."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcref.core.models import BaseModel, Organisation, ServiceTeam
from pcref.feedback.theme_labels import THEME_LABELS

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud on the phone


def new_reference() -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"FB-{body[:4]}-{body[4:]}"


class Theme(models.Model):
    """A theme of the NHS patient experience framework (v6) or a PCREF theme."""

    class Group(models.TextChoices):
        NHS_V6 = "nhs_v6", _("NHS patient experience framework")
        PCREF = "pcref", _("PCREF")

    key = models.SlugField(_("key"), max_length=80, unique=True)
    label = models.CharField(_("theme"), max_length=200)
    group = models.CharField(_("framework"), max_length=20, choices=Group.choices)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["group", "label"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The theme's name in the reader's language."""
        return str(THEME_LABELS.get(self.key, self.label))


class FeedbackSubmissionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Trust staff see their organisation's feedback; a partner user sees only what their
        own organisation submitted on someone's behalf."""
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        if user.is_partner_user:
            return self.filter(submitted_via_id=user.organisation_id)
        return self.filter(organisation_id=user.organisation_id)


class FeedbackSubmission(BaseModel):
    """One piece of feedback, in the person's own words as written."""

    class RespondentType(models.TextChoices):
        PATIENT = "patient", _("A patient or service user")
        CARER = "carer", _("A carer")
        FAMILY = "family", _("A family member")
        FRIEND = "friend", _("A friend")
        COMMUNITY = "community", _("A member of the community")
        ON_BEHALF = "on_behalf", _("Someone writing on behalf of another person")

    class Experience(models.TextChoices):
        VERY_GOOD = "very_good", _("Very good")
        GOOD = "good", _("Good")
        NEITHER = "neither", _("Neither good nor poor")
        POOR = "poor", _("Poor")
        VERY_POOR = "very_poor", _("Very poor")
        DONT_KNOW = "dont_know", _("Don't know")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online form")
        PARTNER = "partner", _("Through a partner organisation")
        LISTENING_EVENT = "listening_event", _("Group listening event")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        IN_PROGRESS = "in_progress", _("In progress")
        REPLIED = "replied", _("Replied")
        CLOSED = "closed", _("Closed")

    class Sentiment(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEUTRAL = "neutral", _("Neutral")
        MIXED = "mixed", _("Mixed")
        NEGATIVE = "negative", _("Negative")

    reference = models.CharField(_("reference"), max_length=20, unique=True, default=new_reference)
    journey_token = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("trust")
    )
    service_team = models.ForeignKey(
        ServiceTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("service or team"),
    )
    respondent_type = models.CharField(_("who"), max_length=20, choices=RespondentType.choices)
    text = models.TextField(_("what happened"))
    cultural_needs = models.TextField(_("cultural needs"), blank=True)
    family_involvement = models.TextField(_("family and carer involvement"), blank=True)
    sharing_information = models.TextField(_("sharing personal information"), blank=True)
    overall_experience = models.CharField(
        _("overall experience"), max_length=20, choices=Experience.choices, blank=True
    )
    wants_reply = models.BooleanField(_("wants a reply"), default=False)
    interface_language = models.CharField(_("language of the form"), max_length=10)
    easy_read = models.BooleanField(_("Easy Read form"), default=False)
    text_language = models.CharField(_("language written in"), max_length=10, blank=True)
    channel = models.CharField(_("how it reached us"), max_length=20, choices=Channel.choices)
    submitted_via = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback_submitted",
        verbose_name=_("partner organisation"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    group_size = models.PositiveIntegerField(_("people at the event"), null=True, blank=True)
    # Equality answers: optional; ethnicity stored three ways (as given, NHS code, mapping).
    ethnicity_as_given = models.CharField(_("ethnic group (as given)"), max_length=60, blank=True)
    ethnicity_details = models.CharField(
        _("ethnic group (in their words)"), max_length=200, blank=True
    )
    ethnic_category_code = models.CharField(_("NHS ethnic category"), max_length=2, blank=True)
    ethnicity_mapping_version = models.CharField(max_length=60, blank=True)
    main_language = models.CharField(_("main language"), max_length=100, blank=True)
    religion = models.CharField(_("religion"), max_length=40, blank=True)
    disability = models.CharField(_("disability"), max_length=20, blank=True)
    age_band = models.CharField(_("age"), max_length=20, blank=True)
    sex = models.CharField(_("sex"), max_length=20, blank=True)
    gender_same_as_sex = models.CharField(
        _("gender same as sex registered at birth"), max_length=20, blank=True
    )
    # Case handling
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    assigned_team = models.ForeignKey(
        ServiceTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_feedback",
        verbose_name=_("assigned to team"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_feedback",
        verbose_name=_("owner"),
    )
    sentiment = models.CharField(
        _("sentiment"), max_length=20, choices=Sentiment.choices, blank=True
    )
    suggested_sentiment = models.CharField(max_length=20, choices=Sentiment.choices, blank=True)
    safeguarding = models.BooleanField(_("safeguarding concern"), default=False)
    formal_complaint = models.BooleanField(_("formal complaint"), default=False)
    triaged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = FeedbackSubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status", "created_at"])]

    def __str__(self) -> str:
        return self.reference

    def confirmed_theme_keys(self) -> list[str]:
        return sorted(decision.theme.key for decision in self.triage_decisions.all())


class ContactDetails(BaseModel):
    """How to reply to the person; only if they asked for a reply. Deleted by retention."""

    class Method(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        PARTNER = "partner", _("Through a partner organisation")

    submission = models.OneToOneField(
        FeedbackSubmission, on_delete=models.CASCADE, related_name="contact_details"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    preferred_method = models.CharField(_("how to contact"), max_length=20, choices=Method.choices)
    partner_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner organisation"),
    )
    consent = models.BooleanField(_("consent to be contacted"), default=False)


class ThemeSuggestion(models.Model):
    """A machine's suggestion, kept to measure how often people agree with it."""

    submission = models.ForeignKey(
        FeedbackSubmission, on_delete=models.CASCADE, related_name="theme_suggestions"
    )
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    model_version = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score"]

    def __str__(self) -> str:
        return f"{self.theme_id} ({self.score:.2f})"


class TriageDecision(models.Model):
    """A theme a person confirmed for a piece of feedback."""

    submission = models.ForeignKey(
        FeedbackSubmission, on_delete=models.CASCADE, related_name="triage_decisions"
    )
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="decisions")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "theme"], name="triage_decision_unique")
        ]

    def __str__(self) -> str:
        return str(self.theme_id)


class FeedbackAction(BaseModel):
    """A follow-up on a piece of feedback (not a delivery plan action)."""

    submission = models.ForeignKey(
        FeedbackSubmission, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_date"]


class Reply(BaseModel):
    """A reply sent to the person, as it was sent."""

    submission = models.ForeignKey(
        FeedbackSubmission, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(_("reply"))
    method = models.CharField(_("sent by"), max_length=20, choices=ContactDetails.Method.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]


class YouSaidWeDidEntryQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=YouSaidWeDidEntry.Status.PUBLISHED)

    def visible_to(self, user):
        if not user.is_authenticated or user.organisation_id is None or user.is_partner_user:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class YouSaidWeDidEntry(BaseModel):
    """A change the trust made because of feedback: a summary it writes, never raw text."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, related_name="+", verbose_name=_("theme")
    )
    service_team = models.ForeignKey(
        ServiceTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service or team"),
    )
    you_said = models.TextField(_("you said"))
    we_did = models.TextField(_("we did"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    submissions = models.ManyToManyField(FeedbackSubmission, related_name="you_said_we_did")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = YouSaidWeDidEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name_plural = _("You said, we did entries")

    def __str__(self) -> str:
        return f"{self.theme}: {self.we_did[:60]}"


class SubmissionAttempt(models.Model):
    """A recent submission from an address (hashed), for the per-address rate limit."""

    address_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.address_hash[:8]} {self.created_at:%Y-%m-%d %H:%M}"
