"""Shared fixtures: organisations, staff in each role, and clients signed in with a second factor."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcref.core import services
from pcref.core import urls as core_urls
from pcref.core.models import Organisation
from pcref.core.roles import Role

PASSWORD = "a-long-test-password-2026"


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in English: a request in another language leaves it active in the
    thread, and reverse() would then give that language's addresses."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def own_insights_folder(settings, tmp_path):
    """Uploads, results and reports of a test go to its own folder, never var/; the demo's
    synthetic trust is small, so tests that load the whole demo stay quick."""
    settings.INSIGHTS_DIR = tmp_path / "insights"
    settings.INSIGHTS_DEMO_PEOPLE = 1_000


@pytest.fixture
def trust(db):
    return services.create_organisation(
        {
            "name": "Test Partnership NHS Trust",
            "kind": Organisation.Kind.NHS_TRUST,
            "ods_code": "RT5",
            "patient_experience_email": "px@example.nhs.uk",
        },
        by="demo",
    )


@pytest.fixture
def other_trust(db):
    return services.create_organisation(
        {
            "name": "Other NHS Foundation Trust",
            "kind": Organisation.Kind.NHS_TRUST,
            "ods_code": "RP1",
        },
        by="demo",
    )


@pytest.fixture
def partner_organisation(db):
    return services.create_organisation(
        {"name": "Community Voices", "kind": Organisation.Kind.VCSE_PARTNER}, by="demo"
    )


@pytest.fixture
def make_staff(db):
    """A staff member with the given roles and a confirmed authenticator."""

    def make(organisation, *roles: Role, username: str | None = None, authenticator: bool = True):
        username = (
            username
            or f"{'-'.join(roles) or 'none'}-{organisation.ods_code or organisation.pk.hex[:6]}"
        )
        user = services.create_staff_user(
            organisation,
            username=username,
            email=f"{username}@example.nhs.uk",
            first_name="Test",
            last_name=username.title(),
            roles=roles,
            password=PASSWORD,
            by="demo",
        )
        if authenticator:
            device = services.start_totp_enrolment(user)
            services.confirm_totp_enrolment(user, device, by=user)
        return user

    return make


def verified_client(user) -> Client:
    """A client signed in as the user, with the second factor already verified."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in():
    """signed_in(user) gives a client with the password and second factor done."""
    return verified_client


# Every public page that needs no answers first (the journey's own steps have their own tests).
PUBLIC_PAGE_NAMES = [f"core:{pattern.name}" for pattern in core_urls.public_urlpatterns[0]] + [
    "feedback:start",
    "feedback:easy_read_start",
    "feedback:you_said_we_did",
    "insights:data",
    "insights:annual_report",
    "involvement:start",
    "involvement:sign_up",
]


def core_staff_urls(organisation, team, person) -> list[str]:
    """Every core staff page, for an organisation, one of its teams and one of its staff."""
    return [
        reverse("core_staff:staff_home"),
        reverse("core_staff:account"),
        reverse("core_staff:backup_codes"),
        reverse("core_staff:sign_out"),
        reverse("core_staff:organisation_list"),
        reverse("core_staff:organisation_detail", args=[organisation.pk]),
        reverse("core_staff:organisation_edit", args=[organisation.pk]),
        reverse("core_staff:service_team_add", args=[organisation.pk]),
        reverse("core_staff:service_team_edit", args=[team.pk]),
        reverse("core_staff:staff_list"),
        reverse("core_staff:staff_add"),
        reverse("core_staff:staff_roles", args=[person.pk]),
        reverse("core_staff:audit_log"),
    ]


@pytest.fixture
def public_page_names():
    return PUBLIC_PAGE_NAMES


@pytest.fixture
def staff_urls():
    """staff_urls(organisation, team, person): every core staff page."""
    return core_staff_urls


def pytest_report_header(config):
    from django.db import connection

    return f"database: {connection.vendor} ({connection.settings_dict['NAME']})"
