"""Organisations, programmes, services and teams, staff users, and the audit log."""

import re
import uuid
from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcref.core.roles import Role


class BaseModel(models.Model):
    """UUID key and timestamps for every table the apps own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


ODS_CODE_PATTERN = re.compile(r"^[A-Z0-9]{3,6}$")


def validate_ods_code(value: str) -> None:
    if value and not ODS_CODE_PATTERN.match(value):
        raise ValidationError(
            _(
                "Enter an ODS code of 3 to 6 capital letters and numbers, like RT5; %(value)s is not one"
            ),
            params={"value": value},
            code="invalid_ods_code",
        )


class OrganisationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Trust staff see their organisation and the organisations that share a programme
        with it; a partner user sees only their own organisation."""
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        if user.is_partner_user:
            return self.filter(pk=user.organisation_id)
        return self.filter(pk__in=user.programme_organisation_ids)


class Organisation(BaseModel):
    """A trust, a voluntary and community (VCSE) partner, a statutory partner or a community group."""

    class Kind(models.TextChoices):
        NHS_TRUST = "nhs_trust", _("NHS trust")
        VCSE_PARTNER = "vcse_partner", _("Voluntary, community or social enterprise partner")
        STATUTORY_PARTNER = "statutory_partner", _("Statutory partner")
        COMMUNITY_GROUP = "community_group", _("Community group")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind of organisation"), max_length=30, choices=Kind.choices)
    ods_code = models.CharField(
        _("ODS code"),
        max_length=6,
        blank=True,
        validators=[validate_ods_code],
        help_text=_("The Organisation Data Service code, if it has one, like RT5."),
    )
    website = models.URLField(_("website"), blank=True)
    patient_experience_email = models.EmailField(_("patient experience team email"), blank=True)
    patient_experience_phone = models.CharField(
        _("patient experience team phone"), max_length=30, blank=True
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ods_code"],
                condition=~models.Q(ods_code=""),
                name="organisation_ods_code_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Programme(BaseModel):
    """A programme that joins organisations, such as a joint anti-racism programme."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    organisations = models.ManyToManyField(
        Organisation, related_name="programmes", verbose_name=_("organisations")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceTeamQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Services and teams of the user's own organisation only."""
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class ServiceTeam(BaseModel):
    """A service or team within an organisation (MHSDS "service or team")."""

    class Kind(models.TextChoices):
        INPATIENT_WARD = "inpatient_ward", _("Inpatient ward")
        COMMUNITY_TEAM = "community_team", _("Community mental health team")
        CRISIS = "crisis", _("Crisis and home treatment")
        CAMHS = "camhs", _("Children and young people's mental health (CAMHS)")
        LEARNING_DISABILITY = "learning_disability", _("Learning disability and autism")
        TALKING_THERAPIES = "talking_therapies", _("NHS Talking Therapies")
        PERINATAL = "perinatal", _("Perinatal mental health")
        FORENSIC = "forensic", _("Forensic and secure services")
        OLDER_PEOPLE = "older_people", _("Older people's mental health")
        EARLY_INTERVENTION = "early_intervention", _("Early intervention in psychosis")
        EATING_DISORDERS = "eating_disorders", _("Eating disorders")
        LIAISON = "liaison", _("Liaison psychiatry")
        OTHER = "other", _("Other service")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="service_teams",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind of service"), max_length=30, choices=Kind.choices)
    local_code = models.CharField(
        _("local team code"),
        max_length=40,
        blank=True,
        help_text=_("The code this team has in data extracts, if any."),
    )
    is_active = models.BooleanField(_("open to patients"), default=True)

    objects = ServiceTeamQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="service_team_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StaffQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff accounts of the user's own organisation."""
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class StaffManager(UserManager.from_queryset(StaffQuerySet)):
    """Django's user manager with visible_to(); named so migrations can refer to it."""

    def get_queryset(self):
        # Every staff page's header names the signed-in person's organisation: fetched with the
        # person (Django's sign-in reads the user through this manager), not one query later.
        return super().get_queryset().select_related("organisation")


class User(AbstractUser):
    """A member of staff of an organisation; roles are Django groups named after `Role`."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("organisation"),
    )

    objects = StaffManager()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def roles(self) -> frozenset[Role]:
        if not self.pk:
            return frozenset()
        return frozenset(Role(name) for name in self.groups.values_list("name", flat=True))

    def has_role(self, role: Role) -> bool:
        return self.is_active and role in self.roles

    @property
    def is_partner_user(self) -> bool:
        return self.has_role(Role.PARTNER_USER)

    @cached_property
    def programme_organisation_ids(self) -> frozenset:
        """The user's organisation and every organisation sharing a programme with it."""
        if self.organisation_id is None:
            return frozenset()
        ids = set(
            Organisation.objects.filter(programmes__organisations=self.organisation_id).values_list(
                "pk", flat=True
            )
        )
        return frozenset(ids | {self.organisation_id})


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit entries are append-only: they cannot be updated")

    def delete(self):
        raise PermissionError("Audit entries are append-only: they cannot be deleted")


class AuditEntry(models.Model):
    """One append-only record of a change, or of a look at personal data.

    Written only by `pcref.core.audit.record`. The database refuses updates and deletes too
    (migration 0002), so nothing in the app can rewrite history.
    """

    occurred_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=150)
    system_actor = models.CharField(_("system process"), max_length=50, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("kind of record"), max_length=100, blank=True)
    target_id = models.CharField(_("record id"), max_length=64, blank=True, db_index=True)
    target_label = models.CharField(_("record"), max_length=255, blank=True)
    organisation_id = models.UUIDField(_("organisation"), null=True, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit entries are append-only: they cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only: they cannot be deleted")


class SentForm(models.Model):
    """The one-time key of a staff form that has been acted on (`pcref.core.once`).

    Each rendered form carries a new key; saving the key with the record it made, in the same
    transaction, means a second send of the same form (a double click, a resent page, two tabs)
    finds the key taken and makes nothing. The unique key holds even for two sends at once.
    """

    key = models.UUIDField(primary_key=True)
    # Empty for a form of the public site (the involvement sign-up).
    sent_by = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.key)
