"""The demo organisation, partners, services and staff, loaded through the services as `demo`.

Idempotent: what exists already is left as it is, so `make run` keeps the data it had.
"""

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcref.core import services
from pcref.core.models import Organisation, Programme, ServiceTeam, User
from pcref.core.roles import Role

DEMO_FILE = Path(__file__).with_name("demo.toml")
DEMO_ACTOR = "demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    organisation: str
    roles: list[str]


def demo_spec() -> dict:
    with DEMO_FILE.open("rb") as demo_file:
        return tomllib.load(demo_file)


def demo_totp_key(username: str) -> str:
    """A fixed key per demo user, so the demo can print a working code. Demo only."""
    return hashlib.sha256(f"pcref-demo-totp:{username}".encode()).hexdigest()[:40]


def refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise RuntimeError("The demo refuses to run with PCREF_ENV=production")


@transaction.atomic
def load_demo() -> list[DemoUser]:
    """Create whatever of the demo is missing; return the demo staff, to print how to sign in."""
    refuse_in_production()
    spec = demo_spec()
    by_code = {}
    by_name = {}
    for data in spec["organisations"]:
        organisation = Organisation.objects.filter(name=data["name"]).first()
        if organisation is None:
            organisation = services.create_organisation(data, by=DEMO_ACTOR)
        by_name[organisation.name] = organisation
        if organisation.ods_code:
            by_code[organisation.ods_code] = organisation
    for data in spec["programmes"]:
        if not Programme.objects.filter(name=data["name"]).exists():
            members = [by_code[code] for code in data["organisations"]]
            services.create_programme(data["name"], data["description"], members, by=DEMO_ACTOR)
    for group in spec["service_teams"]:
        organisation = by_code[group["organisation"]]
        for name, kind, local_code in group["teams"]:
            if not ServiceTeam.objects.filter(organisation=organisation, name=name).exists():
                services.add_service_team(
                    organisation,
                    {"name": name, "kind": kind, "local_code": local_code, "is_active": True},
                    by=DEMO_ACTOR,
                )
    people = []
    for data in spec["staff"]:
        organisation = (
            by_code[data["organisation"]]
            if "organisation" in data
            else by_name[data["organisation_name"]]
        )
        user = User.objects.filter(username=data["username"]).first()
        if user is None:
            user = services.create_staff_user(
                organisation,
                username=data["username"],
                email=f"{data['username']}@example.nhs.uk",
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=[Role(role) for role in data["roles"]],
                password=spec["staff_password"],
                by=DEMO_ACTOR,
            )
            device = TOTPDevice.objects.create(
                user=user,
                name="Demo authenticator",
                key=demo_totp_key(user.username),
                confirmed=False,
            )
            services.confirm_totp_enrolment(user, device, by=DEMO_ACTOR)
        people.append(
            DemoUser(
                username=user.username,
                name=user.get_full_name(),
                organisation=organisation.name,
                roles=[Role(role).label for role in data["roles"]],
            )
        )
    return people


def demo_code(username: str) -> str:
    """The current 6-digit code of a demo user's authenticator."""
    refuse_in_production()
    device = TOTPDevice.objects.filter(user__username=username, name="Demo authenticator").first()
    if device is None:
        raise LookupError(f"{username!r} is not a demo user; demo users: {demo_usernames()}")
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def demo_usernames() -> list[str]:
    return [person["username"] for person in demo_spec()["staff"]]
