"""The CQC evidence pack: choose a period, see its items grouped by PCREF component, and download
it as a PDF or a zip (each download audited by the service)."""

import datetime as dt

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_safe

from pcref.core.forms import add_validation_error
from pcref.governance import evidence_pack, evidence_pack_export
from pcref.governance.rules import Perm

EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
TEMPLATE = "governance/staff/evidence-pack.jinja"


class EvidencePackForm(forms.Form):
    """The period of the pack, from the address (GET): each message names its field."""

    start = forms.DateField(
        label=_("From (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("From: enter the first day of the period, like 2025-04-01"),
            "invalid": _("From: enter a real date, like 2025-04-01"),
        },
    )
    end = forms.DateField(
        label=_("To (YYYY-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("To: enter the last day of the period, like 2026-03-31"),
            "invalid": _("To: enter a real date, like 2026-03-31"),
        },
    )

    def clean_start(self):
        return self._in_range("start", _("From: enter a date from 2000 to 2099"))

    def clean_end(self):
        return self._in_range("end", _("To: enter a date from 2000 to 2099"))

    def _in_range(self, name, words):
        day = self.cleaned_data.get(name)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(words)
        return day


def _period_form(request):
    """The form, bound to the address's dates, or to the current financial year to today."""
    if "start" in request.GET or "end" in request.GET:
        data = request.GET
    else:
        start, end = evidence_pack.current_financial_year(timezone.localdate())
        data = {"start": start.isoformat(), "end": end.isoformat()}
    return EvidencePackForm(data)


def _pack(request):
    """The form and, when the period is good, the pack (None otherwise)."""
    if not request.user.has_perm(Perm.VIEW_PLANS, None) or request.user.organisation is None:
        raise PermissionDenied
    form = _period_form(request)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    try:
        pack = evidence_pack.build_pack(
            request.user.organisation, data["start"], data["end"], viewer=request.user
        )
    except ValidationError as error:
        add_validation_error(form, error)
        return form, None
    return form, pack


@require_safe
def evidence_pack_page(request):
    form, pack = _pack(request)
    query = ""
    if pack is not None:
        query = urlencode({"start": pack.start.isoformat(), "end": pack.end.isoformat()})
    context = {"form": form, "pack": pack, "query": query}
    return render(request, TEMPLATE, context, status=400 if pack is None else 200)


def _download(request, file_format: str):
    form, pack = _pack(request)
    if pack is None:
        return render(request, TEMPLATE, {"form": form, "pack": None, "query": ""}, status=400)
    base_url = request.build_absolute_uri("/").rstrip("/")
    if file_format == "pdf":
        content = evidence_pack_export.make_pack_pdf(pack, base_url)
        content_type = "application/pdf"
    else:
        content = evidence_pack_export.make_pack_zip(pack, base_url)
        content_type = "application/zip"
    evidence_pack.record_export(pack, file_format, by=request.user)
    response = HttpResponse(content, content_type=content_type)
    name = f"evidence-pack-{pack.start.isoformat()}-to-{pack.end.isoformat()}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET  # not HEAD: every download is made, and audited, on purpose
def evidence_pack_pdf(request):
    return _download(request, "pdf")


@require_GET
def evidence_pack_zip(request):
    return _download(request, "zip")
