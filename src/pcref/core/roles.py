"""Staff roles and permissions: the names every rules.py and view uses."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    """A staff role; each is a Django group of the same name."""

    PATIENT_EXPERIENCE_OFFICER = "patient_experience_officer"
    ANALYST = "analyst"
    STEERING_GROUP_MEMBER = "steering_group_member"
    BOARD_VIEWER = "board_viewer"
    PARTNER_USER = "partner_user"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def description(self) -> str:
        return str(ROLE_DESCRIPTIONS[self])


ROLE_LABELS = {
    Role.PATIENT_EXPERIENCE_OFFICER: _("Patient experience officer"),
    Role.ANALYST: _("Analyst"),
    Role.STEERING_GROUP_MEMBER: _("Steering group member"),
    Role.BOARD_VIEWER: _("Board viewer"),
    Role.PARTNER_USER: _("Partner organisation user"),
    Role.ADMINISTRATOR: _("Administrator"),
}

ROLE_DESCRIPTIONS = {
    Role.PATIENT_EXPERIENCE_OFFICER: _(
        "Reads and triages feedback, replies to people, records actions."
    ),
    Role.ANALYST: _("Uploads data extracts, runs metrics and checks ethnicity data quality."),
    Role.STEERING_GROUP_MEMBER: _("Runs the delivery plan, meetings and co-production records."),
    Role.BOARD_VIEWER: _("Reads plan progress, disparities and board reports."),
    Role.PARTNER_USER: _(
        "Works for a partner organisation; sees only that organisation's records."
    ),
    Role.ADMINISTRATOR: _(
        "Manages the organisation, its services and teams, staff accounts and the audit log."
    ),
}


class Perm(StrEnum):
    """Permissions checked per object through django-rules (core/rules.py)."""

    VIEW_ORGANISATION = "core.view_organisation"
    CHANGE_ORGANISATION = "core.change_organisation"
    MANAGE_SERVICE_TEAMS = "core.manage_service_teams"
    MANAGE_STAFF = "core.manage_staff"
    VIEW_AUDIT_LOG = "core.view_audit_log"
