"""The resources page: links to national guidance, Easy Read documents and related programmes
that the steering group keeps for the public page `/resources/`. Every change goes through here,
is checked, and writes the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _

from pcref.core import audit
from pcref.core.models import Organisation, User
from pcref.governance.models import Resource
from pcref.governance.rules import Perm

RESOURCE_FIELDS = ("kind", "title", "url", "description")
AUDITED_FIELDS = ("kind", "title", "url", "position", "is_published")
ALLOWED_SCHEMES = ("https", "http")
# The order of the groups on both pages: the model's Kind, as declared.
KIND_ORDER = list(Resource.Kind)


def check_url(value: str) -> str:
    """A web address that starts with https:// or http://; javascript:, data:, mailto:, ftp:
    and anything else are refused, naming the field and the value."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({"url": _("Enter the address of the page, like https://www.nhs.uk")})
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.netloc:
        raise ValidationError(
            {
                "url": _(
                    "Enter an address that starts with https:// or http://; “%(value)s” is not one"
                )
                % {"value": value[:100]}
            }
        )
    return value


def may_edit(user: User, organisation_id) -> bool:
    """Editors of the organisation's delivery plans (administrators and steering group
    members) edit its resources page; partner users never."""
    return (
        user.is_authenticated
        and organisation_id is not None
        and user.organisation_id == organisation_id
        and user.has_perm(Perm.MANAGE_PLANS, None)
    )


def _check(by: User, organisation_id) -> None:
    if not may_edit(by, organisation_id):
        raise PermissionDenied


def _snapshot(resource: Resource) -> dict:
    return audit.snapshot(resource, AUDITED_FIELDS)


def _clean(resource: Resource, data: Mapping[str, Any]) -> None:
    kind = data.get("kind") or ""
    if kind not in Resource.Kind.values:
        raise ValidationError({"kind": _("Choose what kind of resource this is")})
    title = (data.get("title") or "").strip()
    if not title:
        raise ValidationError({"title": _("Enter the title of the resource")})
    resource.kind = kind
    resource.title = title
    resource.url = check_url(data.get("url") or "")
    resource.description = (data.get("description") or "").strip()
    resource.full_clean(exclude=["organisation", "updated_by"])


def _description_marker(before: str, after: str) -> tuple[dict, dict]:
    """The description is free text: the log says that it changed, never what it says."""
    if before == after:
        return {}, {}
    return {"description": ""}, {"description": audit.MASK}


@transaction.atomic
def add_resource(organisation: Organisation, data: Mapping[str, Any], *, by: User) -> Resource:
    """A new link, last in its group, shown on the public page unless `is_published` is False."""
    _check(by, organisation.pk)
    resource = Resource(organisation=organisation, updated_by=by)
    _clean(resource, data)
    resource.is_published = bool(data.get("is_published", True))
    latest = Resource.objects.filter(organisation=organisation, kind=resource.kind).aggregate(
        latest=Max("position")
    )["latest"]
    resource.position = 0 if latest is None else latest + 1
    resource.save()
    _before, marker = _description_marker("", resource.description)
    audit.record(
        action="governance.resource_added",
        by=by,
        target=resource,
        after={**_snapshot(resource), **marker},
    )
    return resource


@transaction.atomic
def change_resource(resource: Resource, data: Mapping[str, Any], *, by: User) -> Resource:
    """Change a link's kind, title, address or description; moved to another group, it goes
    last there."""
    _check(by, resource.organisation_id)
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    before, old_description = _snapshot(resource), resource.description
    old_kind = resource.kind
    _clean(resource, data)
    if resource.kind != old_kind:
        latest = Resource.objects.filter(
            organisation_id=resource.organisation_id, kind=resource.kind
        ).aggregate(latest=Max("position"))["latest"]
        resource.position = 0 if latest is None else latest + 1
    resource.updated_by = by
    resource.save()
    marker_before, marker_after = _description_marker(old_description, resource.description)
    after = _snapshot(resource)
    if before != after or marker_after:
        audit.record(
            action="governance.resource_changed",
            by=by,
            target=resource,
            before={**before, **marker_before},
            after={**after, **marker_after},
        )
    return resource


@transaction.atomic
def remove_resource(resource: Resource, *, by: User) -> None:
    _check(by, resource.organisation_id)
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    audit.record(
        action="governance.resource_removed",
        by=by,
        target=resource,
        before=_snapshot(resource),
    )
    resource.delete()


@transaction.atomic
def move_resource(resource: Resource, direction: str, *, by: User) -> Resource:
    """Swap the link with the one before it (`up`) or after it (`down`) in its group; at
    either end nothing changes and nothing is logged."""
    _check(by, resource.organisation_id)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Choose to move the link up or down")})
    siblings = list(
        Resource.objects.select_for_update()
        .filter(organisation_id=resource.organisation_id, kind=resource.kind)
        .order_by("position", "title", "pk")
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == resource.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return siblings[index]
    before = [sibling.pk for sibling in siblings]
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):  # renumbered 0, 1, 2…: ties never linger
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position", "updated_at"])
    moved = siblings[other]
    moved.updated_by = by
    moved.save(update_fields=["updated_by", "updated_at"])
    audit.record(
        action="governance.resource_moved",
        by=by,
        target=moved,
        before={"position": before.index(moved.pk)},
        after={"position": other},
    )
    return moved


@transaction.atomic
def set_published(resource: Resource, published: bool, *, by: User) -> Resource:
    """Show the link on the public page, or hide it; asking for what already is changes and
    logs nothing."""
    _check(by, resource.organisation_id)
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if resource.is_published == published:
        return resource
    resource.is_published, resource.updated_by = published, by
    resource.save(update_fields=["is_published", "updated_by", "updated_at"])
    audit.record(
        action="governance.resource_published" if published else "governance.resource_hidden",
        by=by,
        target=resource,
        before={"is_published": not published},
        after={"is_published": published},
    )
    return resource


def grouped(resources) -> list[dict]:
    """Resources in groups by kind, in the order of Resource.Kind, each group in its order;
    groups with no resources are left out."""
    groups = {kind: [] for kind in KIND_ORDER}
    for resource in sorted(resources, key=lambda r: (r.position, r.title.casefold(), str(r.pk))):
        groups[Resource.Kind(resource.kind)].append(resource)
    return [
        {"kind": kind.value, "heading": str(kind.label), "resources": items}
        for kind, items in groups.items()
        if items
    ]


def public_resources(organisation: Organisation | None) -> QuerySet[Resource]:
    """The published links of the organisation whose site this is, for the public page."""
    if organisation is None:
        return Resource.objects.none()
    return Resource.objects.filter(organisation=organisation, is_published=True)


def host(url: str) -> str:
    """The site a link goes to, as the public page names it: www.england.nhs.uk."""
    return urlsplit(url).netloc.lower()
