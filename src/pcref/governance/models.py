"""Delivery plans by year, their workstreams, actions and progress updates."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pcref.core.models import BaseModel, Organisation, Programme

PLAN_YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")


def validate_plan_year(value: str) -> None:
    """A financial year written as the NHS writes it, like 2025/26."""
    match = PLAN_YEAR_PATTERN.match(value or "")
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ValidationError(
            _("Enter the year as a financial year, like 2025/26; %(value)s is not one"),
            params={"value": value},
            code="invalid_plan_year",
        )


class PCREFComponent(models.TextChoices):
    """NHS England's three PCREF focus areas (reference/pcref.md, sections 2 and 3)."""

    LEADERSHIP_GOVERNANCE = "leadership_governance", _("Leadership and governance")
    DATA = "data", _("Data")
    FEEDBACK = "feedback", _("Patient and carer feedback")


class Competency(models.TextChoices):
    """The six national organisational competencies of PCREF, as Nottinghamshire Healthcare
    quotes them from NHS England (reference/pcref.md, section 2;
    https://www.nottinghamshirehealthcare.nhs.uk/iev-pcref)."""

    CULTURAL_AWARENESS = "cultural_awareness", _("Cultural awareness")
    STAFF_KNOWLEDGE = "staff_knowledge", _("Staff knowledge and awareness")
    PARTNERSHIP_WORKING = "partnership_working", _("Partnership working")
    WORKFORCE = "workforce", _("Workforce")
    CO_LEARNING = "co_learning", _("Co-learning")
    CO_PRODUCTION = "co_production", _("Co-production")


class RAG(models.TextChoices):
    """Where an action stands; colour is never shown alone (STYLE.md section 3)."""

    BLUE = "blue", _("Blue: complete")
    GREEN = "green", _("Green: on track")
    AMBER = "amber", _("Amber: at risk")
    RED = "red", _("Red: off track")


class DeliveryPlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff of the plan's organisation, and of every organisation in the programme the plan
        is shared with; partner users see no plan."""
        if not user.is_authenticated or user.organisation_id is None or user.is_partner_user:
            return self.none()
        mine = Q(organisation_id=user.organisation_id)
        shared = Q(programme__organisations=user.organisation_id)
        return self.filter(pk__in=self.model.objects.filter(mine | shared).values("pk"))


class DeliveryPlan(BaseModel):
    """An organisation's PCREF delivery plan for one year, and who approved it."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="delivery_plans",
        verbose_name=_("organisation"),
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delivery_plans",
        verbose_name=_("shared with programme"),
    )
    title = models.CharField(_("title"), max_length=200)
    year = models.CharField(_("year"), max_length=7, validators=[validate_plan_year])
    approved_by = models.CharField(_("approved by (committee)"), max_length=200, blank=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = DeliveryPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "title"], name="delivery_plan_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"


class Workstream(BaseModel):
    """A priority workstream, pillar or working group of a plan."""

    plan = models.ForeignKey(DeliveryPlan, on_delete=models.CASCADE, related_name="workstreams")
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="workstream_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class DeliveryActionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The actions of the plans the user may see."""
        plans = DeliveryPlan.objects.visible_to(user)
        return self.filter(workstream__plan__in=plans.values("pk"))


class DeliveryAction(BaseModel):
    """One action of a plan: who owns it, what it serves, when it is due and how it stands."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        ON_TRACK = "on_track", _("In progress")
        COMPLETE = "complete", _("Complete")

    workstream = models.ForeignKey(Workstream, on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_delivery_actions",
        verbose_name=_("owner"),
    )
    lead_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="led_delivery_actions",
        verbose_name=_("lead organisation"),
    )
    component = models.CharField(
        _("PCREF component"), max_length=30, choices=PCREFComponent.choices
    )
    competency = models.CharField(
        _("national organisational competency"), max_length=30, choices=Competency.choices
    )
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    rag_override = models.CharField(
        _("RAG override"), max_length=10, choices=RAG.choices, blank=True
    )
    rag_override_reason = models.TextField(_("reason for the override"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = DeliveryActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rag_override="") | ~Q(rag_override_reason=""),
                name="rag_override_needs_reason",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def plan(self) -> DeliveryPlan:
        return self.workstream.plan


class ProgressUpdate(BaseModel):
    """What happened on an action, when, who says so, and where the evidence is."""

    action = models.ForeignKey(DeliveryAction, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("progress"))
    recorded_on = models.DateField(_("date"))
    evidence_link = models.URLField(_("link to evidence"), blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_on", "-created_at"]

    def __str__(self) -> str:
        return f"update to {self.action_id}"
