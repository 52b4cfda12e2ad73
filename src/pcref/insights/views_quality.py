"""The staff ethnicity data quality page: per table, team and month, from the latest run."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from pcref.insights import quality
from pcref.insights.rules import Perm

TEMPLATE = "insights/staff/quality.jinja"


class QualityFilterForm(forms.Form):
    """The page's GET filters; choices are what the run's results hold, so a bogus value in
    the address is a message naming the field, not an error page."""

    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        widget=forms.Select,
        error_messages={
            "invalid_choice": _(
                "Period: “%(value)s” is not a period of these results. Choose one from the list."
            )
        },
    )
    table = forms.ChoiceField(
        label=_("Table for the teams"),
        required=False,
        widget=forms.Select,
        error_messages={
            "invalid_choice": _(
                "Table for the teams: “%(value)s” is not a table of these results. "
                "Choose one from the list."
            )
        },
    )

    def __init__(self, data, *, tables, periods, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["table"].choices = tables
        self.fields["period"].choices = periods


@require_safe
def data_quality(request):
    if not request.user.has_perm(Perm.VIEW_INSIGHTS, None):
        raise PermissionDenied
    can_upload = request.user.has_perm(Perm.UPLOAD_EXTRACTS, None)
    context = {"page": None, "can_upload": can_upload, "can_see_runs": can_upload}
    run = quality.run_for(request.user.organisation_id)
    if run is None:
        return render(request, TEMPLATE, context)
    results = quality.TrustResults(run)
    form = QualityFilterForm(
        request.GET or None,
        tables=quality.table_choices(results),
        periods=quality.period_choices(results),
        initial={"table": quality.ALL_TABLES, "period": results.default_period()},
    )
    context.update(form=form, run=run)
    if form.is_bound and not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    chosen = form.cleaned_data if form.is_bound else {}
    context["page"] = quality.page(results, table=chosen.get("table"), period=chosen.get("period"))
    return render(request, TEMPLATE, context)
