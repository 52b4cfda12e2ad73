"""The audit trail: `record()` is the one way to write it, called by services only."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from pcref.core.models import AuditEntry, Organisation, User

# Named system actors: every change is attributed to a person or to one of these.
SYSTEM_ACTORS = frozenset(
    {
        "demo",
        "retention",
        "metric-run",
        "import",
        "command-line",
        "public-form",
        "suggestions",
        "report",
        "worker",  # puts back a job whose worker was killed part way (insights/jobs.py)
    }
)

# Personal values never go into the log: it records that they changed, not what they were.
PERSONAL_FIELDS = frozenset(
    {
        "email",
        "phone",
        "first_name",
        "last_name",
        "name_of_person",
        "address",
        "postcode",
        "contact_details",
        "password",
        "date_of_birth",
        "nhs_number",
        "text",
        "cultural_needs",
        "family_involvement",
        "sharing_information",
        "ethnicity_details",
        "body",
    }
)
MASK = "changed"


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a field value."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(_plain(item) for item in value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict:
    """Only what changed, as {field: [before, after]}; personal values masked."""
    before, after = before or {}, after or {}
    changes = {}
    for field in sorted(set(before) | set(after)):
        old, new = _plain(before.get(field)), _plain(after.get(field))
        if old == new:
            continue
        if field in PERSONAL_FIELDS:
            changes[field] = MASK
        else:
            changes[field] = [old, new]
    return changes


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict:
    """The values of some fields of a model instance, for before/after."""
    return {field: getattr(instance, field) for field in fields}


Actor = User | str  # a person, or the name of a system process from SYSTEM_ACTORS


def record(
    *,
    action: str,
    by: Actor,
    target: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    organisation_id: uuid.UUID | None = None,
) -> AuditEntry:
    """Append one entry, attributed to a person or to a named system process (`by`)."""
    if isinstance(by, str):
        if by not in SYSTEM_ACTORS:
            raise ValueError(f"unknown system actor {by!r}; known: {sorted(SYSTEM_ACTORS)}")
        actor, system_actor, actor_label = None, by, f"system:{by}"
    elif isinstance(by, User) and by.pk:
        actor, system_actor, actor_label = by, "", by.get_username()
    else:
        raise ValueError(f"audit.record needs a saved user or a system actor name; got {by!r}")
    if organisation_id is None and target is not None:
        organisation_id = _organisation_of(target)
    if organisation_id is None and actor is not None:
        organisation_id = actor.organisation_id
    return AuditEntry.objects.create(
        actor=actor,
        actor_label=actor_label,
        system_actor=system_actor,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=_label_of(target),
        organisation_id=organisation_id,
        changes=changed_fields(before, after),
        context=_plain(dict(context or {})),
    )


def _label_of(target: models.Model | None) -> str:
    """How the log names a record: never a person's name (a user is named by username)."""
    if target is None:
        return ""
    if isinstance(target, User):
        return target.get_username()
    return str(target)[:255]


def _organisation_of(target: models.Model):
    if isinstance(target, Organisation):
        return target.pk
    return getattr(target, "organisation_id", None)
