"""The insights forms: an extract upload, the experience page's period, and a report to make."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from pcref.insights import experience
from pcref.insights.models import Report

if TYPE_CHECKING:
    from pcref.insights.reports import ReportChoices

EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)  # the experience page's dates


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files; each is checked as a FileField would be."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            if not data:
                return super().clean(None, initial)
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class ExtractUploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Extract files"),
        help_text=_(
            "Choose the table files (CSV or Parquet, named like mhs001_patients.csv, with the "
            "population file population.csv), or one zip file holding them."
        ),
        error_messages={
            "required": _("Choose the extract's files, or a zip file of them"),
            "empty": _("The file you chose is empty"),
        },
    )

    def clean_files(self):
        uploaded = self.cleaned_data["files"]
        total = sum(item.size for item in uploaded)
        limit = settings.INSIGHTS_MAX_UPLOAD_BYTES
        if total > limit:
            raise forms.ValidationError(
                _("The files come to %(size)s, more than the %(limit)s allowed"),
                params={"size": filesizeformat(total), "limit": filesizeformat(limit)},
            )
        return uploaded


class ExperiencePeriodForm(forms.Form):
    """The period (a financial year, or from and to dates) and the ethnic groups to show.

    Every message names its field, as the values come from an address anyone can edit."""

    year = forms.ChoiceField(
        label=_("Financial year"),
        required=False,
        widget=forms.Select,
        error_messages={
            "invalid_choice": _("Financial year: choose a year from the list (not “%(value)s”)")
        },
    )
    start = forms.DateField(
        label=_("From (YYYY-MM-DD)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("From: enter a real date, like 2025-04-01")},
    )
    end = forms.DateField(
        label=_("To (YYYY-MM-DD)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("To: enter a real date, like 2026-03-31")},
    )
    groups = forms.ChoiceField(
        label=_("Ethnic groups"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (experience.BROAD, _("Broad groups (White, Mixed, Asian, Black, Other)")),
            (experience.DETAILED, _("Detailed groups (the 16 NHS ethnic categories)")),
        ],
        error_messages={
            "invalid_choice": _("Ethnic groups: choose broad or detailed (not “%(value)s”)")
        },
    )

    def __init__(self, data, *, organisation, today: dt.date):
        if data is not None and not data.get("groups"):
            data = data.copy()
            data["groups"] = experience.BROAD  # so the radios show what the page shows
        super().__init__(data, initial={"groups": experience.BROAD})
        self.today = today
        self.fields["year"].choices = [("", _("None: use the dates below"))] + [
            (year, year) for year in experience.financial_years(organisation, today)
        ]

    def _in_range(self, name: str, words) -> dt.date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(words)
        return day

    def clean_start(self):
        return self._in_range("start", _("From: enter a date from 2000 to 2099"))

    def clean_end(self):
        return self._in_range("end", _("To: enter a date from 2000 to 2099"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if cleaned.get("year") and (start or end):
            self.add_error(
                "year", _("Financial year: choose a year or enter from and to dates, not both")
            )
        if start and end and start > end:
            self.add_error("end", _("To: the date must be the same as or after the From date"))
        return cleaned

    def period(self) -> tuple[dt.date, dt.date, str]:
        """(start, end, scheme) chosen: a financial year, the dates (a missing From is twelve
        months before To; a missing To is today), or by default the latest twelve months."""
        chosen = self.cleaned_data if self.is_bound else {}
        scheme = chosen.get("groups") or experience.BROAD
        start, end = chosen.get("start"), chosen.get("end")
        if chosen.get("year"):
            return (*experience.financial_year_dates(chosen["year"]), scheme)
        if start:
            return start, end or max(start, self.today), scheme
        return (*experience.latest_twelve_months(end or self.today), scheme)


class ReportForm(forms.Form):
    """Which report to make: its kind, the metric run it reads and the financial year."""

    kind = forms.ChoiceField(
        label=_("Kind of report"),
        choices=Report.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of report")},
    )
    run = forms.ChoiceField(
        label=_("Metric results to use"),
        widget=forms.RadioSelect,
        help_text=_("A public report can only use published results."),
        error_messages={
            "required": _("Choose the metric results to use"),
            "invalid_choice": _("Choose one of the metric runs listed"),
        },
    )
    period = forms.ChoiceField(
        label=_("Financial year"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the financial year"),
            "invalid_choice": _("Choose one of the financial years listed"),
        },
    )

    def __init__(self, data=None, *, choices: ReportChoices):
        super().__init__(data, initial=choices.initial)
        self.runs = choices.runs
        self.fields["run"].choices = choices.run_choices
        self.fields["period"].choices = choices.period_choices
