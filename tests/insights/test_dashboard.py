"""The staff overview dashboard: every metric of the latest run, its ratio to White and SPC."""

import html
import re

import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from pcref.analytics.metrics.catalogue import CATALOGUE
from pcref.core.roles import Role
from pcref.insights import files
from pcref.insights.dashboard import VARIATIONS, direction, figure, ratio_figure
from pcref.insights.models import MetricRun

pytestmark = pytest.mark.django_db


def whole_extract_rows(run):
    table = pq.read_table(files.results_dir(run) / "results.parquet")
    return [
        row for row in table.to_pylist() if row["organisation"] == "all" and row["service"] == "all"
    ]


def metric_row(body, metric):
    """The HTML of one metric's table row."""
    start = body.index(f'id="metric-{metric}"')
    return html.unescape(body[start : body.index("</tr>", start)])


def test_every_metric_is_shown_with_its_value_ratio_and_spc_as_in_the_results(
    analyst, signed_in, finished_run
):
    body = signed_in(analyst).get(reverse("insights_staff:dashboard")).content.decode()
    rows = whole_extract_rows(finished_run)
    metrics = sorted({row["metric"] for row in rows})
    assert len(metrics) > 30
    compared = spc_checked = 0
    for metric in metrics:
        shown = metric_row(body, metric)
        assert CATALOGUE[metric].title in shown
        of_metric = [row for row in rows if row["metric"] == metric]
        years = [r["period"] for r in of_metric if r["period_type"] == "financial_year"]
        latest = max(years)
        everyone = next(
            r
            for r in of_metric
            if r["period_type"] == "financial_year"
            and r["period"] == latest
            and r["group_scheme"] == "all"
        )
        if everyone["value"] is None:
            assert "No value" in shown
        else:
            value = f"{figure(everyone['value'])}</span> {CATALOGUE[metric].unit}"
            assert f'<span class="pcref-value">{value}' in shown
            assert f"({figure(everyone['lower'])} to {figure(everyone['upper'])})" in shown

        ratios = [
            r
            for r in of_metric
            if r["period_type"] == "financial_year"
            and r["period"] == latest
            and r["group_scheme"] == "broad"
            and r["comparison_group"] == "White"
            and r["group"] != "White"
            and r["ratio"] is not None
        ]
        if ratios:
            top = max(ratios, key=lambda r: (r["ratio"], r["group"]))
            expected = (
                f'{top["group"]}: <span class="pcref-ratio">{ratio_figure(top["ratio"])}</span> '
                f"({ratio_figure(top['ratio_lower'])} to {ratio_figure(top['ratio_upper'])})"
            )
            assert expected in shown, metric
            said = direction(top["ratio_lower"], top["ratio_upper"])
            assert f'<span class="pcref-direction">{said}</span>' in shown
            sentence = (
                f"For {top['group']} people it was {ratio_figure(top['ratio'])} times that for "
                f"White people (95% interval {ratio_figure(top['ratio_lower'])} to "
                f"{ratio_figure(top['ratio_upper'])}): {said}."
            )
            assert sentence in html.unescape(body), metric
            compared += 1
        else:
            assert "No comparison" in shown

        months = sorted(
            (r["period"], r["spc_variation"])
            for r in of_metric
            if r["period_type"] == "month" and r["group_scheme"] == "all" and r["spc_variation"]
        )
        if months:
            label = str(VARIATIONS[months[-1][1]][0])
            assert f'<span class="pcref-variation">{label}</span>' in shown
            assert "<svg" in shown and 'aria-hidden="true"' in shown
            spc_checked += 1
        else:
            assert "No SPC chart" in shown
    assert compared > 10 and spc_checked > 5
    for section in ("Data quality", "Access", "Mental Health Act", "Restrictive practice"):
        assert f"<h2>{section}</h2>" in body
    assert '<table class="nhsuk-table">' in body and 'scope="row"' in body


def test_the_dashboard_of_a_run_the_worker_finished(
    analyst, signed_in, good_extract, post_files, run_worker, transactional_db
):
    client = signed_in(analyst)
    post_files(client, sorted(good_extract.iterdir()))
    run_worker()
    run = MetricRun.objects.get(status=MetricRun.Status.DONE)
    body = client.get(reverse("insights_staff:dashboard")).content.decode()
    assert "dataset version v0001" in body
    assert reverse("insights_staff:run", args=[run.pk]) in body
    assert 'id="metric-MHA1.people"' in body


def test_without_a_run_the_page_says_so_and_links_to_the_upload_page(analyst, signed_in):
    body = signed_in(analyst).get(reverse("insights_staff:dashboard")).content.decode()
    assert "There are no metric results yet" in body
    assert reverse("insights_staff:upload_new") in body
    assert "<table" not in body


@pytest.mark.parametrize(
    "role", [Role.ANALYST, Role.ADMINISTRATOR, Role.STEERING_GROUP_MEMBER, Role.BOARD_VIEWER]
)
def test_staff_who_may_view_insights_reach_it_and_see_it_in_the_navigation(
    role, trust, make_staff, signed_in, finished_run
):
    client = signed_in(make_staff(trust, role, username=f"{role}-x"))
    response = client.get(reverse("insights_staff:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="metric-DQ1"' in body
    assert re.search(
        r'href="/staff/insights/dashboard/"[^>]*>\s*(<[^>]+>\s*)*Insights dashboard', body
    )


def test_others_are_refused(trust, partner_organisation, make_staff, signed_in, finished_run):
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    partner = make_staff(partner_organisation, Role.PARTNER_USER, Role.ANALYST)
    for user in (officer, partner):
        assert signed_in(user).get(reverse("insights_staff:dashboard")).status_code == 403
    assert not partner.has_perm("insights.view_insights", finished_run)


def test_another_organisation_sees_only_its_own_nothing(
    other_trust, make_staff, signed_in, finished_run
):
    outsider = make_staff(other_trust, Role.ANALYST)
    body = signed_in(outsider).get(reverse("insights_staff:dashboard")).content.decode()
    assert "There are no metric results yet" in body
    assert "metric-DQ1" not in body
    assert not outsider.has_perm("insights.view_insights", finished_run)


def test_the_history_links_to_the_dashboard(analyst, signed_in):
    body = signed_in(analyst).get(reverse("insights_staff:history")).content.decode()
    assert reverse("insights_staff:dashboard") in body


@pytest.mark.parametrize("language", ["ar", "pl"])
def test_the_dashboard_in_another_language(language, analyst, rf, finished_run):
    """Staff pages are in English today; the translated strings must still format."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.template.loader import render_to_string
    from django.utils import translation

    from pcref.insights.dashboard import dashboard_for

    request = rf.get("/staff/insights/dashboard/")
    request.user = analyst
    analyst.is_verified = lambda: True  # as django-otp's middleware sets it
    request.session = {}
    request._messages = FallbackStorage(request)
    with translation.override(language):
        overview = dashboard_for(analyst.organisation_id)
        body = render_to_string(
            "insights/staff/dashboard.jinja",
            {"dashboard": overview, "can_upload": True},
            request=request,
        )
        heading = translation.gettext("Insights dashboard")
        summaries = [words for section in overview.sections for words in section.summary]
    assert heading != "Insights dashboard" and f"<h1>{heading}</h1>" in body
    assert summaries and not any("for all people" in words for words in summaries)
    assert 'id="metric-MHA1.people"' in body
