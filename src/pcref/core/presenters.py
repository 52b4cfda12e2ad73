"""View models for core templates: navigation, footer, form fields shaped like NHS.UK macro params."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pcref.core.roles import Perm


def footer_links() -> list[dict]:
    return [
        {"href": reverse("core:accessibility"), "text": _("Accessibility statement")},
        {"href": reverse("core:privacy"), "text": _("Privacy notice")},
        {"href": reverse("core:cookies"), "text": _("Cookies")},
        {"href": reverse("core:about_pcref"), "text": _("About PCREF")},
        {"href": reverse("core_staff:staff_home"), "text": _("Staff sign in")},
    ]


def staff_navigation(request) -> list[dict]:
    """The staff menu items the user may open; the one the page belongs to is active: the item
    that names the page, else the one with the longest address the page's address starts with."""
    user = request.user
    home = reverse("core_staff:staff_home")
    items = [(home, _("Home"), ())]
    items += [
        (reverse(name), str(label), pages)
        for name, permission, label, pages in settings.STAFF_NAVIGATION
        if user.has_perm(permission, None)
    ]
    if user.organisation_id:
        items.append((reverse("core_staff:organisation_list"), _("Organisations"), ()))
    if user.has_perm(Perm.VIEW_AUDIT_LOG, None):
        items.append((reverse("core_staff:staff_list"), _("Staff accounts"), ()))
        items.append((reverse("core_staff:audit_log"), _("Audit log"), ()))
    path = request.path
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    named = [href for href, _text, pages in items if view_name in pages]
    below = [href for href, _text, _pages in items if href != home and path.startswith(href)]
    active = named[0] if named else max(below, key=len, default=None)
    return [
        {"href": href, "text": text, "current": path == href, "active": href == active}
        for href, text, _pages in items
    ]


def form_error_list(form: forms.Form) -> list[dict]:
    """The error summary's links, one per error, pointing at the field in error."""
    errors = []
    for name, messages in form.errors.items():
        href = f"#{form[name].auto_id}" if name in form.fields else "#maincontent"
        for message in messages:
            errors.append({"text": message, "href": href})
    return errors


def field_params(bound_field: forms.BoundField, **overrides) -> dict:
    """NHS.UK macro parameters for a Django form field; `kind` names the macro to use."""
    widget = bound_field.field.widget
    error = bound_field.errors[0] if bound_field.errors else None
    params: dict = {
        "id": bound_field.auto_id,
        "name": bound_field.html_name,
        "label": {"text": str(bound_field.label)},
        "hint": {"text": str(bound_field.help_text)} if bound_field.help_text else None,
        "errorMessage": {"text": error, "visuallyHiddenText": _("Error")} if error else None,
        "attributes": {
            key: value
            for key, value in widget.attrs.items()
            if key in {"dir", "lang", "pattern"}  # inputmode: the input macro's own parameter
        },
    }
    value = bound_field.value()
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value])}
        params.update(
            kind="checkboxes" if isinstance(widget, forms.CheckboxSelectMultiple) else "radios",
            idPrefix=bound_field.auto_id,
            fieldset={"legend": {"text": str(bound_field.label), "size": "s"}},
            items=[
                {"value": str(v), "text": str(text), "checked": str(v) in chosen}
                for v, text in bound_field.field.choices
                if str(v) != ""
            ],
        )
        params.pop("label")
        params.pop("id")  # the first item's id: one element per id, as labels need
    elif isinstance(widget, forms.Select):
        params.update(
            kind="select",
            items=[
                {"value": str(v), "text": str(text), "selected": str(v) == str(value)}
                for v, text in bound_field.field.choices
            ],
        )
    elif isinstance(widget, forms.Textarea):
        params.update(kind="textarea", value=value or "", rows=widget.attrs.get("rows", 5))
    elif isinstance(widget, forms.CheckboxInput):
        params.update(
            kind="checkboxes",
            idPrefix=bound_field.auto_id,
            items=[{"value": "on", "text": str(bound_field.label), "checked": bool(value)}],
        )
        params.pop("label")
        params.pop("id")  # the first item's id: one element per id, as labels need
    else:
        input_type = getattr(widget, "input_type", "text")
        params.update(
            kind="input",
            type=input_type,
            value="" if input_type == "password" or value is None else value,
            autocomplete=widget.attrs.get("autocomplete"),
            spellcheck=False if input_type in {"email", "password"} else None,
            inputmode=widget.attrs.get("inputmode"),
            classes=widget.attrs.get("class"),
        )
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def date_only(value) -> str:
    """A day in the reader's language."""
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def date_time(value) -> str:
    """A moment in the trust's time zone and the reader's language."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


class AuditEntryPresenter:
    """One row of the audit log, ready to show."""

    def __init__(self, entry):
        self.when = date_time(entry.occurred_at)
        self.who = entry.actor_label
        self.action = entry.action
        self.record = entry.target_label or entry.target_id
        self.record_type = entry.target_type
        self.changes = [
            {
                "field": field,
                "text": change if isinstance(change, str) else f"{change[0]!s} → {change[1]!s}",
            }
            for field, change in entry.changes.items()
        ]
        self.context = ", ".join(f"{key}: {value}" for key, value in entry.context.items())


class StaffHomePresenter:
    """The staff home page: what this person can do, by role."""

    def __init__(self, user):
        self.name = user.get_full_name() or user.get_username()
        self.organisation = user.organisation.name if user.organisation_id else ""
        self.roles = sorted(role.label for role in user.roles)
        self.links = [
            {
                "href": reverse("core_staff:organisation_list"),
                "text": _("Organisations, services and teams"),
            },
            {"href": reverse("core_staff:account"), "text": _("Your account and security")},
        ]
        if user.has_perm(Perm.MANAGE_STAFF, None):
            self.links.append(
                {"href": reverse("core_staff:staff_list"), "text": _("Staff accounts and roles")}
            )
        if user.has_perm(Perm.VIEW_AUDIT_LOG, None):
            self.links.append({"href": reverse("core_staff:audit_log"), "text": _("Audit log")})
