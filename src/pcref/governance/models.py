"""Delivery plans by year, their workstreams, actions, milestones, measures and progress updates
with evidence; steering and working groups with their members and meetings; the resources page."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pcref.core.models import BaseModel, Organisation, Programme
from pcref.feedback.models import FeedbackSubmission, Theme, YouSaidWeDidEntry
from pcref.governance.files import governance_storage, stored_name

PLAN_YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")
# The years a plan may be for: PCREF started in 2023, and dates outside these make no sense in
# a plan (year 0000 is not even a date Python can hold, so the evidence pack would fail).
FIRST_PLAN_YEAR, LAST_PLAN_YEAR = 2000, 2098


def validate_plan_year(value: str) -> None:
    """A financial year written as the NHS writes it, like 2025/26, from 2000/01 to 2098/99."""
    match = PLAN_YEAR_PATTERN.match(value or "")
    if (
        not match
        or (int(match[1]) + 1) % 100 != int(match[2])
        or not FIRST_PLAN_YEAR <= int(match[1]) <= LAST_PLAN_YEAR
    ):
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
    # The feedback themes the action answers: the board sees what people say about them.
    themes = models.ManyToManyField(
        Theme, blank=True, related_name="delivery_actions", verbose_name=_("feedback themes")
    )
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
    # Feedback and "You said, we did" entries the update cites as evidence (staff-only links).
    feedback_items = models.ManyToManyField(
        FeedbackSubmission, blank=True, related_name="plan_updates", verbose_name=_("feedback")
    )
    you_said_we_did = models.ManyToManyField(
        YouSaidWeDidEntry,
        blank=True,
        related_name="plan_updates",
        verbose_name=_("You said, we did entries"),
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_on", "-created_at"]

    def __str__(self) -> str:
        return f"update to {self.action_id}"


class Milestone(BaseModel):
    """A step on the way to an action's due date."""

    action = models.ForeignKey(DeliveryAction, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "title"]

    def __str__(self) -> str:
        return self.title


class Direction(models.TextChoices):
    """Which way a measure should move."""

    DOWN = "down", _("Lower is better")
    UP = "up", _("Higher is better")


class ActionMeasure(BaseModel):
    """A metric of the catalogue an action should move: for which group, from what baseline, to
    what target, by when. The current value comes from the latest finished metric run."""

    class Statistic(models.TextChoices):
        VALUE = "value", _("The group's value")
        RATIO = "ratio", _("The group's ratio to White")

    action = models.ForeignKey(DeliveryAction, on_delete=models.CASCADE, related_name="measures")
    metric_id = models.CharField(_("metric"), max_length=60)  # a catalogue id, like MHA1.people
    group_scheme = models.CharField(_("grouping"), max_length=30, default="broad")
    group = models.CharField(_("group"), max_length=100, blank=True)  # blank: all people
    statistic = models.CharField(
        _("figure"), max_length=10, choices=Statistic.choices, default=Statistic.VALUE
    )
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    target = models.FloatField(_("target"))
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    target_on = models.DateField(_("target date"), null=True, blank=True)

    class Meta:
        ordering = ["metric_id", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "metric_id", "group_scheme", "group", "statistic"],
                name="action_measure_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.group or 'all'} {self.statistic}"


class StoredFile(BaseModel):
    """A file kept by pcref.governance.files: the server names it; `name` is the uploader's."""

    file = models.FileField(storage=governance_storage, upload_to=stored_name, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class EvidenceFile(StoredFile):
    """A file attached to a progress update as evidence."""

    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="files")

    class Meta:
        ordering = ["created_at"]


class GovernanceGroupQuerySet(models.QuerySet):
    def visible_to(self, user):
        """As plans: staff of the group's organisation and of its programme's organisations;
        partner users see no group."""
        if not user.is_authenticated or user.organisation_id is None or user.is_partner_user:
            return self.none()
        mine = Q(organisation_id=user.organisation_id)
        shared = Q(programme__organisations=user.organisation_id)
        return self.filter(pk__in=self.model.objects.filter(mine | shared).values("pk"))


class GovernanceGroup(BaseModel):
    """The PCREF steering group, or a working group (of a workstream or a programme's pillar)."""

    class Kind(models.TextChoices):
        STEERING_GROUP = "steering_group", _("Steering group")
        WORKING_GROUP = "working_group", _("Working group")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="governance_groups"
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="governance_groups",
        verbose_name=_("shared with programme"),
    )
    plan = models.ForeignKey(
        DeliveryPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("delivery plan"),
    )
    workstream = models.ForeignKey(
        Workstream,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("workstream"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind of group"), max_length=20, choices=Kind.choices)
    purpose = models.TextField(_("purpose"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = GovernanceGroupQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="group_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class GroupMember(BaseModel):
    """A member of a group: who they are, what they bring, and their role in the group."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        CO_CHAIR = "co_chair", _("Co-chair")
        MEMBER = "member", _("Member")
        SECRETARY = "secretary", _("Secretary")

    class Represents(models.TextChoices):
        TRUST = "trust", _("Trust")
        VOLUNTARY = "voluntary", _("Voluntary and community sector")
        PATIENT = "patient", _("Patients and service users")
        CARER = "carer", _("Carers")
        STATUTORY = "statutory", _("Statutory partner")

    group = models.ForeignKey(GovernanceGroup, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_memberships",
        verbose_name=_("staff account"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    represents = models.CharField(_("represents"), max_length=20, choices=Represents.choices)
    is_lived_experience_partner = models.BooleanField(_("lived experience partner"), default=False)
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        ordering = ["role", "name"]

    def __str__(self) -> str:
        return self.name


class Meeting(BaseModel):
    """One meeting of a group: its agenda before, its minutes after."""

    group = models.ForeignKey(GovernanceGroup, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField(_("date"))
    agenda = models.TextField(_("agenda"))
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_approved_on = models.DateField(_("minutes approved on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-held_on"]
        constraints = [
            models.UniqueConstraint(fields=["group", "held_on"], name="meeting_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.held_on.isoformat()}"


class MeetingPaper(StoredFile):
    """A paper for a meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["created_at"]


class Attendance(models.Model):
    """Whether a member came to a meeting."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        APOLOGIES = "apologies", _("Sent apologies")
        ABSENT = "absent", _("Absent")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_unique")
        ]

    def __str__(self) -> str:
        return self.status


class Decision(BaseModel):
    """What a meeting decided; a decision may create a plan action, linked here."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("decision"))
    action = models.ForeignKey(
        DeliveryAction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("plan action"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class LogItem(BaseModel):
    """An item of a group's action log: something a member agreed to do before a later meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="log_items")
    text = models.TextField(_("action"))
    owner = models.ForeignKey(
        GroupMember, on_delete=models.PROTECT, related_name="log_items", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class ResourceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff of the organisation edit its resources page; partner users do not."""
        if not user.is_authenticated or user.organisation_id is None or user.is_partner_user:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class Resource(BaseModel):
    """A link on the public resources page: national guidance, an Easy Read document, a related
    programme."""

    class Kind(models.TextChoices):
        NATIONAL_GUIDANCE = "national_guidance", _("National guidance")
        EASY_READ = "easy_read", _("Easy Read documents")
        RELATED_PROGRAMME = "related_programme", _("Related programmes")
        OTHER = "other", _("Other resources")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind of resource"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("address (URL)"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_published = models.BooleanField(_("shown on the public page"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "position", "title"]

    def __str__(self) -> str:
        return self.title
