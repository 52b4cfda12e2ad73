"""Shared fixtures: organisations, staff in each role, and clients signed in with a second factor."""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcref.core import services
from pcref.core.models import Organisation
from pcref.core.roles import Role

PASSWORD = "a-long-test-password-2026"


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
