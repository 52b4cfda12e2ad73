"""Safe sign-in: password, a second factor, enrolment with backup codes, lockout, idle timeout."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcref.core.models import AuditEntry
from pcref.core.roles import Role

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


PASSWORD = "a-long-test-password-2026"  # as tests/conftest.py gives every test user


def sign_in_with_password(client, username, password=PASSWORD, next_url="/staff/accounts/"):
    return client.post(
        reverse("core_staff:sign_in"),
        {"username": username, "password": password, "next": next_url},
    )


def test_passwords_are_hashed_with_argon2(trust, make_staff, site_password_hashing):
    person = make_staff(trust, Role.ANALYST)
    assert identify_hasher(person.password).algorithm == "argon2"


def test_sign_in_needs_the_password_and_then_a_code(client, trust, make_staff):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    device = TOTPDevice.objects.get(user=admin)
    response = sign_in_with_password(client, admin.username)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core_staff:verify"))
    # Signed in with a password alone, staff pages still send you to the code.
    assert client.get("/staff/accounts/")["Location"].startswith(reverse("core_staff:verify"))

    wrong = client.post(
        response["Location"], {"code": "000000" if current_code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert "The security code is not right" in wrong.content.decode()
    assert "Error:" in wrong.content.decode()  # the page title says so

    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code above started django-otp's throttle
    device.throttling_failure_timestamp = None
    device.save()
    right = client.post(response["Location"], {"code": current_code(device)})
    assert right.status_code == 302 and right["Location"] == "/staff/accounts/"
    assert client.get("/staff/accounts/").status_code == 200
    assert AuditEntry.objects.filter(action="account.signed_in", actor=admin).count() == 1


def test_wrong_password_names_no_field_and_keeps_nothing(client, trust, make_staff):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    response = sign_in_with_password(client, admin.username, password="not-the-password")
    text = response.content.decode()
    assert response.status_code == 200
    assert "The username or password is not right" in text
    assert "not-the-password" not in text
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account(client, trust, make_staff):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_with_password(client, admin.username, password="wrong-password-again")
    locked = sign_in_with_password(client, admin.username)  # even the right password
    assert locked.status_code == 429
    assert "Your account is locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_enrolment_shows_a_qr_code_and_gives_backup_codes(client, trust, make_staff):
    person = make_staff(trust, Role.ANALYST, authenticator=False)
    response = sign_in_with_password(client, person.username, next_url="/staff/")
    assert response["Location"].startswith(reverse("core_staff:two_factor_setup"))
    page = client.get(response["Location"])
    text = page.content.decode()
    assert "<svg" in text and "QR code for your authenticator app" in text
    secret = re.search(r'class="pcref-secret-key">([A-Z2-7 ]+)<', text).group(1)
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    assert secret.replace(" ", "") in device.config_url

    confirmed = client.post(response["Location"], {"code": current_code(device)})
    assert confirmed["Location"].startswith(reverse("core_staff:backup_codes"))
    codes_page = client.get(confirmed["Location"]).content.decode()
    codes = re.findall(r"<li><code>(\d{8})</code></li>", codes_page)
    assert len(codes) == 10
    assert "<code>" not in client.get(reverse("core_staff:backup_codes")).content.decode()
    assert client.get("/staff/").status_code == 200
    assert AuditEntry.objects.filter(action="account.second_factor_enrolled", actor=person).exists()

    # A backup code works once, in place of the app.
    client.post(reverse("core_staff:sign_out"))
    again = sign_in_with_password(client, person.username)
    assert client.post(again["Location"], {"code": codes[0]}).status_code == 302
    assert client.get("/staff/accounts/").status_code == 403  # signed in; analysts cannot see it
    client.post(reverse("core_staff:sign_out"))
    third = sign_in_with_password(client, person.username)
    reused = client.post(third["Location"], {"code": codes[0]})
    assert reused.status_code == 200
    assert StaticToken.objects.filter(device__user=person).count() == 9


def test_signing_out_ends_the_session_and_is_recorded(client, trust, make_staff, signed_in):
    person = make_staff(trust, Role.BOARD_VIEWER)
    staff_client = signed_in(person)
    assert staff_client.post(reverse("core_staff:sign_out"))["Location"] == reverse(
        "core_staff:sign_in"
    )
    assert staff_client.get("/staff/")["Location"].startswith(reverse("core_staff:sign_in"))
    assert AuditEntry.objects.filter(action="account.signed_out", actor=person).exists()


def test_sessions_end_after_the_idle_timeout(trust, make_staff, signed_in):
    person = make_staff(trust, Role.BOARD_VIEWER)
    staff_client = signed_in(person)
    staff_client.get("/staff/")
    session = staff_client.session
    assert session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60
    session.set_expiry(-1)  # as if the idle time had passed
    session.save()
    assert staff_client.get("/staff/")["Location"].startswith(reverse("core_staff:sign_in"))


def test_sign_in_refuses_to_redirect_to_another_site(client, trust, make_staff):
    admin = make_staff(trust, Role.ADMINISTRATOR)
    response = sign_in_with_password(client, admin.username, next_url="https://evil.example/")
    assert "evil.example" not in response["Location"]
