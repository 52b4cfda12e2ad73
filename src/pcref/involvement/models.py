"""The involvement register: sign-ups from the public, opportunities, and who was matched to what."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcref.core.models import BaseModel, Organisation


class Interest(models.TextChoices):
    """What someone would like to do; an opportunity is of one of these kinds."""

    STEERING_GROUP = "steering_group", _("Join the PCREF steering group or a working group")
    SHARE_EXPERIENCES = "share_experiences", _("Share my experiences of care")
    REVIEW_DOCUMENTS = "review_documents", _("Review leaflets, letters and Easy Read documents")
    EVENTS = "events", _("Take part in listening events and community events")
    TRAINING = "training", _("Help design and deliver staff training")
    RECRUITMENT = "recruitment", _("Sit on interview panels for staff")


class InvolvementRegistrationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Trust staff see their own organisation's register only (a programme shares its plan,
        never its register); partner users see no register."""
        if not user.is_authenticated or user.organisation_id is None or user.is_partner_user:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class InvolvementRegistration(BaseModel):
    """A person who signed up to get involved. Withdrawing deletes every personal value and
    leaves an anonymous record, so the trust can still count sign-ups and withdrawals."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("On the register")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="involvement_registrations",
        verbose_name=_("trust"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    # Personal details: all blanked by withdrawal (services.PERSONAL_FIELDS).
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    communities = models.TextField(_("communities"), blank=True)
    ethnicity_as_given = models.CharField(_("ethnic group (as given)"), max_length=60, blank=True)
    ethnicity_details = models.CharField(
        _("ethnic group (in their words)"), max_length=200, blank=True
    )
    ethnic_category_code = models.CharField(_("NHS ethnic category"), max_length=2, blank=True)
    ethnicity_mapping_version = models.CharField(max_length=60, blank=True)
    access_needs = models.TextField(_("access needs"), blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=100, blank=True)
    # Kept after withdrawal: nothing here says who the person was.
    interface_language = models.CharField(_("language of the form"), max_length=10)
    consented_at = models.DateTimeField(_("agreed to be contacted"), null=True, blank=True)
    withdrawal_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    objects = InvolvementRegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status", "created_at"])]

    def __str__(self) -> str:
        # The audit log names records by str(): never the person's name.
        return f"IR-{str(self.pk)[:8].upper()}"

    @property
    def reference(self) -> str:
        return str(self)

    @property
    def is_withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN


class RegistrationInterest(models.Model):
    """One thing a person would like to do (kept after withdrawal, for counts)."""

    registration = models.ForeignKey(
        InvolvementRegistration, on_delete=models.CASCADE, related_name="interests"
    )
    interest = models.CharField(_("interest"), max_length=30, choices=Interest.choices)

    class Meta:
        ordering = ["interest"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "interest"], name="registration_interest_unique"
            )
        ]

    def __str__(self) -> str:
        return self.interest


class InvolvementOpportunityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Opportunities of the user's own trust; none for partner users."""
        if not user.is_authenticated or user.organisation_id is None or user.is_partner_user:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class InvolvementOpportunity(BaseModel):
    """A chance to get involved: a meeting, a document to review, an event, a training day."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="involvement_opportunities",
        verbose_name=_("trust"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    kind = models.CharField(_("kind"), max_length=30, choices=Interest.choices)
    takes_place_on = models.DateField(_("date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = InvolvementOpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["takes_place_on", "title"]
        verbose_name_plural = _("involvement opportunities")

    def __str__(self) -> str:
        return self.title


class OpportunityMatch(BaseModel):
    """A person from the register matched to an opportunity, and where that stands."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        TAKING_PART = "taking_part", _("Taking part")
        DECLINED = "declined", _("Declined")

    opportunity = models.ForeignKey(
        InvolvementOpportunity, on_delete=models.CASCADE, related_name="matches"
    )
    registration = models.ForeignKey(
        InvolvementRegistration, on_delete=models.CASCADE, related_name="matches"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.INVITED
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "registration"], name="opportunity_match_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration} – {self.opportunity_id}"


class PartnerRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        """What a trust keeps about its partner organisations, for that trust's staff only."""
        if not user.is_authenticated or user.organisation_id is None or user.is_partner_user:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class PartnerContact(BaseModel):
    """Someone at a partner organisation (a work contact), as the trust keeps it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("trust")
    )
    partner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="partner_contacts",
        verbose_name=_("partner organisation"),
    )
    name = models.CharField(_("name"), max_length=200)
    job_title = models.CharField(_("role"), max_length=200, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = PartnerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        # The audit log names records by str(): never the person's name.
        return f"contact at {self.partner_id}"


class PartnerAgreement(BaseModel):
    """An agreement with a partner organisation: a grant, a memorandum, data sharing."""

    class Kind(models.TextChoices):
        MEMORANDUM = "memorandum", _("Memorandum of understanding")
        GRANT = "grant", _("Grant or funding agreement")
        DATA_SHARING = "data_sharing", _("Data sharing agreement")
        SERVICE = "service", _("Contract for a service")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("trust")
    )
    partner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="partner_agreements",
        verbose_name=_("partner organisation"),
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind of agreement"), max_length=20, choices=Kind.choices)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    link = models.URLField(_("link to the document"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = PartnerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "title"]

    def __str__(self) -> str:
        return self.title


class InvolvementRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A trust's own engagement and payment records, for its staff only (a programme shares
        its plan, never its people)."""
        if not user.is_authenticated or user.organisation_id is None or user.is_partner_user:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class EngagementEvent(BaseModel):
    """An engagement event or co-production activity: when, with which partner, how many people
    from which communities took part (counts, never names), what was heard and what it led to."""

    class Kind(models.TextChoices):
        EVENT = "event", _("Engagement event")
        LISTENING = "listening", _("Listening session or focus group")
        CO_PRODUCTION = "co_production", _("Co-production activity")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("trust")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date"))
    partner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="engagement_events",
        verbose_name=_("partner organisation"),
    )
    place = models.CharField(_("where"), max_length=200, blank=True)
    heard = models.TextField(_("what we heard"))
    led_to = models.TextField(_("what it led to"), blank=True)
    feedback_items = models.ManyToManyField(
        "feedback.FeedbackSubmission",
        blank=True,
        related_name="engagement_events",
        verbose_name=_("feedback"),
    )
    actions = models.ManyToManyField(
        "governance.DeliveryAction",
        blank=True,
        related_name="engagement_events",
        verbose_name=_("plan actions"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = InvolvementRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "title"]

    def __str__(self) -> str:
        return self.title


class EventParticipation(models.Model):
    """How many people of one community took part in an event."""

    event = models.ForeignKey(
        EngagementEvent, on_delete=models.CASCADE, related_name="participation"
    )
    community = models.CharField(_("community"), max_length=100)
    people = models.PositiveIntegerField(_("people"))

    class Meta:
        ordering = ["community"]
        constraints = [
            models.UniqueConstraint(fields=["event", "community"], name="participation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.community}: {self.people}"


class PaymentRate(BaseModel):
    """A rate of the trust's involvement payment policy, valid over a span of dates."""

    class Unit(models.TextChoices):
        HOUR = "hour", _("per hour")
        SESSION = "session", _("per session (up to half a day)")
        DAY = "day", _("per day")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("trust")
    )
    name = models.CharField(_("activity"), max_length=200)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    amount_pence = models.PositiveIntegerField(_("amount (pence)"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = InvolvementRecordQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-valid_from"]

    def __str__(self) -> str:
        return self.name


class InvolvementPayment(BaseModel):
    """A payment, voucher, expenses or recognition for someone on the register, at a policy rate.
    The amount is fixed when recorded, so changing a rate later never changes a past payment;
    it stays (without the person's details) if they withdraw, because finance must keep it."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        VOUCHER = "voucher", _("Voucher")
        EXPENSES = "expenses", _("Expenses")
        RECOGNITION = "recognition", _("Recognition without payment")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("trust")
    )
    registration = models.ForeignKey(
        InvolvementRegistration,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    activity_on = models.DateField(_("date of the activity"))
    description = models.CharField(_("what it was for"), max_length=300)
    rate = models.ForeignKey(
        PaymentRate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("rate"),
    )
    units = models.DecimalField(_("units"), max_digits=6, decimal_places=2, null=True, blank=True)
    amount_pence = models.PositiveIntegerField(_("amount (pence)"), default=0)
    event = models.ForeignKey(
        EngagementEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("event"),
    )
    meeting = models.ForeignKey(
        "governance.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("meeting"),
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = InvolvementRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-activity_on", "-created_at"]

    def __str__(self) -> str:
        return f"payment {str(self.pk)[:8]}"
