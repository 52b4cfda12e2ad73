"""Every change to core records goes through here, and each one writes the audit log."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcref.core import audit
from pcref.core.audit import Actor
from pcref.core.models import Organisation, Programme, ServiceTeam, User
from pcref.core.roles import Role

ORGANISATION_FIELDS = (
    "name",
    "kind",
    "ods_code",
    "website",
    "patient_experience_email",
    "patient_experience_phone",
)
SERVICE_TEAM_FIELDS = ("name", "kind", "local_code", "is_active")
BACKUP_CODE_COUNT = 10


def _apply(instance, fields: Iterable[str], data: Mapping[str, Any]) -> tuple[dict, dict]:
    """Set the given fields from data; validate; return (before, after) snapshots."""
    fields = [field for field in fields if field in data]
    before = audit.snapshot(instance, fields)
    for field in fields:
        setattr(instance, field, data[field])
    instance.full_clean()
    return before, audit.snapshot(instance, fields)


@transaction.atomic
def create_organisation(data: Mapping[str, Any], *, by: Actor) -> Organisation:
    organisation = Organisation()
    _, after = _apply(organisation, ORGANISATION_FIELDS, data)
    organisation.save()
    audit.record(action="organisation.created", by=by, target=organisation, after=after)
    return organisation


@transaction.atomic
def update_organisation(organisation: Organisation, data: Mapping[str, Any], *, by: Actor):
    before, after = _apply(organisation, ORGANISATION_FIELDS, data)
    organisation.save()
    audit.record(
        action="organisation.updated", by=by, target=organisation, before=before, after=after
    )
    return organisation


@transaction.atomic
def create_programme(
    name: str, description: str, organisations: Iterable[Organisation], *, by: Actor
) -> Programme:
    programme = Programme(name=name, description=description)
    programme.full_clean()
    programme.save()
    programme.organisations.set(organisations)
    audit.record(
        action="programme.created",
        by=by,
        target=programme,
        after={
            "name": name,
            "organisations": {str(o.pk) for o in programme.organisations.all()},
        },
    )
    return programme


@transaction.atomic
def add_service_team(organisation: Organisation, data: Mapping[str, Any], *, by: Actor):
    team = ServiceTeam(organisation=organisation)
    _, after = _apply(team, SERVICE_TEAM_FIELDS, data)
    team.save()
    audit.record(action="service_team.created", by=by, target=team, after=after)
    return team


@transaction.atomic
def update_service_team(team: ServiceTeam, data: Mapping[str, Any], *, by: Actor) -> ServiceTeam:
    before, after = _apply(team, SERVICE_TEAM_FIELDS, data)
    team.save()
    audit.record(action="service_team.updated", by=by, target=team, before=before, after=after)
    return team


def role_groups(roles: Iterable[Role]) -> list[Group]:
    return [Group.objects.get_or_create(name=str(Role(role)))[0] for role in roles]


def _check_roles(organisation: Organisation | None, roles: Iterable[Role]) -> None:
    """The partner user role is for people of partner organisations: on a trust's account it
    would take away everything the account's other roles give, and mark trust staff as
    outsiders. (A partner organisation's account may hold other roles beside it: the partner
    role still limits what they see.)"""
    if (
        Role.PARTNER_USER in set(roles)
        and organisation is not None
        and organisation.kind == Organisation.Kind.NHS_TRUST
    ):
        raise ValidationError(
            {
                "roles": _(
                    "Partner organisation user is for people of partner organisations, not of a trust"
                )
            }
        )


@transaction.atomic
def create_staff_user(
    organisation: Organisation,
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    roles: Iterable[Role],
    password: str | None,
    by: Actor,
) -> User:
    """A new staff account. Without a password it can only sign in through single sign-on."""
    roles = list(roles)
    _check_roles(organisation, roles)
    user = User(
        organisation=organisation,
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    user.groups.set(role_groups(roles))
    audit.record(
        action="staff_user.created",
        by=by,
        target=user,
        after={
            "username": username,
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "roles": {str(role) for role in roles},
        },
    )
    return user


@transaction.atomic
def set_roles(user: User, roles: Iterable[Role], *, by: Actor) -> User:
    roles = list(roles)
    _check_roles(user.organisation, roles)
    before = {"roles": {str(role) for role in user.roles}}
    user.groups.set(role_groups(roles))
    user.__dict__.pop("roles", None)
    audit.record(
        action="staff_user.roles_changed",
        by=by,
        target=user,
        before=before,
        after={"roles": {str(role) for role in user.roles}},
    )
    return user


@transaction.atomic
def set_active(user: User, active: bool, *, by: Actor) -> User:
    before = {"is_active": user.is_active}
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        action="staff_user.activated" if active else "staff_user.deactivated",
        by=by,
        target=user,
        before=before,
        after={"is_active": active},
    )
    return user


# Second factor ----------------------------------------------------------------------------


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


@transaction.atomic
def start_totp_enrolment(user: User) -> TOTPDevice:
    """An unconfirmed authenticator for the user; any earlier unconfirmed one is replaced."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def confirm_totp_enrolment(user: User, device: TOTPDevice, *, by: Actor) -> list[str]:
    """Confirm the authenticator (after a correct code) and issue fresh backup codes."""
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _issue_backup_codes(user)
    audit.record(
        action="account.second_factor_enrolled",
        by=by,
        target=user,
        context={"backup_codes_issued": len(codes)},
    )
    return codes


@transaction.atomic
def regenerate_backup_codes(user: User, *, by: Actor) -> list[str]:
    codes = _issue_backup_codes(user)
    audit.record(
        action="account.backup_codes_issued",
        by=by,
        target=user,
        context={"backup_codes_issued": len(codes)},
    )
    return codes


def _issue_backup_codes(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes")
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def record_sign_in(user: User, *, method: str) -> None:
    audit.record(action="account.signed_in", by=user, target=user, context={"method": method})


def record_sign_out(user: User) -> None:
    audit.record(action="account.signed_out", by=user, target=user)
