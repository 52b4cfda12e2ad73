"""The staff page of one metric: charts and tables agree with the results, filters, refusals
and who may see it."""

import html
import re

import pytest
from django.urls import reverse

from pcref.analytics.metrics.catalogue import CATALOGUE
from pcref.core.roles import Role
from pcref.insights import metric_page
from pcref.insights.dashboard import BROAD_GROUPS, direction, figure, ratio_figure

pytestmark = pytest.mark.django_db


def url(metric, **query):
    address = reverse("insights_staff:metric", args=[metric])
    if query:
        address += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return address


def of(results_table, metric, **match):
    """The results rows of a metric that match every column given."""
    return [
        row
        for row in results_table.to_pylist()
        if row["metric"] == metric and all(row[key] == value for key, value in match.items())
    ]


def latest(results_table, metric, period_type="financial_year"):
    return max(row["period"] for row in of(results_table, metric, period_type=period_type))


def page_of(finished_run, metric, **query):
    return metric_page.metric_page(finished_run.organisation_id, metric, query)


def test_the_chart_by_group_and_the_ratios_are_the_results(finished_run, results_table):
    year = latest(results_table, "MHA1.people")
    page = page_of(finished_run, "MHA1.people")
    assert not page.refused
    rows = of(
        results_table,
        "MHA1.people",
        period_type="financial_year",
        period=year,
        organisation="all",
        service="all",
        group_scheme="broad",
    )
    values = {row["group"]: row for row in rows}  # each group repeats per comparison group
    assert page.by_group.table.rows == [
        [str(BROAD_GROUPS[group]), figure(row["value"]), figure(row["lower"]), figure(row["upper"])]
        for group, row in sorted(values.items(), key=lambda item: list(BROAD_GROUPS).index(item[0]))
    ]
    # the reference line is White's value, the first comparison group
    assert f"Against White ({figure(values['White']['value'])})" in page.by_group.summary
    assert len(page.ratios) == len(rows) == 10  # 5 groups × White and White British
    for ratio in page.ratios:
        row = next(
            r
            for r in rows
            if str(BROAD_GROUPS[r["group"]]) == ratio.group
            and r["comparison_group"] == ratio.comparison_group
        )
        assert (ratio.ratio, ratio.lower, ratio.upper) == (
            ratio_figure(row["ratio"]),
            ratio_figure(row["ratio_lower"]),
            ratio_figure(row["ratio_upper"]),
        )
        assert ratio.direction == direction(row["ratio_lower"], row["ratio_upper"])
        assert ratio.method == row["ratio_method"]
    assert page.definition.title == CATALOGUE["MHA1.people"].title
    assert page.definition.methods == ", ".join(
        sorted({r["method"] for r in of(results_table, "MHA1.people") if r["method"]})
    )


def test_an_spc_chart_for_all_people_and_each_group_with_the_engines_flags(
    finished_run, results_table
):
    page = page_of(finished_run, "ACC1.referrals")
    titles = [chart.title for chart in page.over_time]
    assert titles[0].endswith(": All people")
    assert [title.rsplit(": ", 1)[1] for title in titles[1:]] == [
        str(label) for label in BROAD_GROUPS.values()
    ]
    words = {
        None: "Common cause",
        "improvement": "Special cause: improvement",
        "concern": "Special cause: concern",
        "neutral_high": "Special cause: neither better nor worse",
        "neutral_low": "Special cause: neither better nor worse",
    }
    compared = 0
    for chart, (scheme, group) in zip(
        page.over_time, [("all", "all")] + [("broad", g) for g in BROAD_GROUPS], strict=True
    ):
        monthly = {
            row["period"]: row
            for row in of(
                results_table,
                "ACC1.referrals",
                period_type="month",
                organisation="all",
                service="all",
                group_scheme=scheme,
                group=group,
            )
        }
        assert [row[1] for row in chart.table.rows] == [
            figure(monthly[month]["value"]) for month in sorted(monthly)
        ]
        if all(row["spc_variation"] for row in monthly.values()):
            assert [row[5] for row in chart.table.rows] == [
                words[monthly[month]["spc_special_cause"]] for month in sorted(monthly)
            ]
            compared += 1
    assert compared >= 2


def test_the_funnel_plot_of_teams_is_the_team_rows(finished_run, results_table):
    year = latest(results_table, "ACC2")
    page = page_of(finished_run, "ACC2")
    teams = sorted(
        (
            row
            for row in of(
                results_table, "ACC2", period_type="financial_year", period=year, group_scheme="all"
            )
            if row["service"] != "all"
        ),
        key=lambda row: row["service"],
    )
    assert len(teams) >= 5
    assert [row[:4] for row in page.funnel.table.rows] == [
        [
            row["service"],
            figure(row["value"]) if row["denominator"] else "–",
            figure(row["numerator"], 0),
            figure(row["denominator"], 0),
        ]
        for row in teams
    ]
    assert page.funnel_absent == ""


@pytest.mark.parametrize(
    ("metric", "why"),
    [
        ("LOS1.mean", "funnel limits are for proportions and crude rates"),
        ("MHA1.people", "not broken down by team"),
    ],
)
def test_no_funnel_where_it_does_not_apply(finished_run, metric, why):
    page = page_of(finished_run, metric)
    assert page.funnel is None and why in page.funnel_absent


def test_filters_choose_period_scheme_organisation_and_team(finished_run, results_table):
    month = latest(results_table, "ACC2", "month")
    page = page_of(finished_run, "ACC2", period_type="month", group_scheme="sex")
    assert page.form.cleaned_data["period"] == month  # the latest month by default
    assert "by sex" in page.by_group.title
    assert page.ratios == []  # sex has no comparison group: the reference is all people
    assert "Against All people" in page.by_group.summary

    quarter = of(results_table, "ACC2", period_type="quarter")[0]["period"]
    page = page_of(finished_run, "ACC2", period_type="quarter", period=quarter)
    assert quarter in page.by_group.title

    page = page_of(finished_run, "ACC2", organisation="RT5", service="CRHT", group_scheme="broad")
    year = latest(results_table, "ACC2")
    rows = of(
        results_table,
        "ACC2",
        period_type="financial_year",
        period=year,
        organisation="RT5",
        service="CRHT",
        group_scheme="broad",
    )
    assert {row[0] for row in page.by_group.table.rows} == {
        str(BROAD_GROUPS[row["group"]]) for row in rows
    }
    assert "CRHT (RT5)" in page.chosen


def test_near_misses_are_moved_with_a_note(finished_run, results_table):
    year = latest(results_table, "ACC2")
    month = latest(results_table, "ACC2", "month")
    page = page_of(finished_run, "ACC2", period_type="month", period=year)
    assert page.form.cleaned_data["period"] == month
    assert any(f"{year} is not a month" in note for note in page.form.notes)

    page = page_of(finished_run, "ACC2", service="CRHT")  # organisation left at "all"
    assert page.form.cleaned_data["organisation"] == "RT5"
    assert any("CRHT is a team of RT5" in note for note in page.form.notes)

    page = page_of(finished_run, "ACC2", organisation="RT5", service="CRHT", group_scheme="sex")
    assert page.form.cleaned_data["group_scheme"] == "broad"  # teams have no sex breakdown
    assert any("no results by sex here" in note for note in page.form.notes)
    assert not page.refused


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"period_type": "weekly"}, "period_type", "Choose a period type from the list"),
        ({"period": "1999/00"}, "period", "Choose a period from the list"),
        ({"period": "<script>"}, "period", "Choose a period from the list"),
        ({"organisation": "XYZ"}, "organisation", "Choose an organisation from the list"),
        ({"organisation": "RT5", "service": "NOPE"}, "service", "Choose a service or team"),
        ({"group_scheme": "colour"}, "group_scheme", "Choose groups from the list"),
    ],
)
def test_a_filter_the_results_do_not_hold_is_refused_by_name(
    analyst, signed_in, finished_run, query, field, message
):
    response = signed_in(analyst).get(url("ACC2", **query))
    assert response.status_code == 400
    body = response.content.decode()
    summary = body[body.index("nhsuk-error-summary") :]
    assert message in html.unescape(summary[: summary.index("</ul>")])
    assert f'href="#id_{field}"' in body
    assert f'id="id_{field}-error"' in body
    assert "<script>" not in body.split("<main", 1)[1].split("</main>")[0].replace(
        '<script type="module"', ""
    )
    assert "pcref-chart" not in body  # no charts of a refused choice


def test_the_page_says_not_for_publication_and_shows_every_part(analyst, signed_in, finished_run):
    response = signed_in(analyst).get(url("ACC2"))
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert "Not for publication: figures are not suppressed" in body
    assert CATALOGUE["ACC2"].description in body
    for part in ('id="by-group"', 'id="over-time-0"', 'id="funnel"', 'id="ratios"'):
        assert part in body
    # every chart: its static SVG has no script; the page's scripts are data or one module
    for svg in re.findall(r"<svg xmlns=.*?</svg>", body, re.S):
        assert "<script" not in svg
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body.split("<main", 1)[1], re.S)
    chart_scripts = [s for s in scripts if "data-pcref-chart" in s[0] or "charts.mjs" in s[0]]
    assert chart_scripts
    for attributes, content in chart_scripts:
        assert 'type="application/json"' in attributes or (
            'type="module"' in attributes and content == ""
        )


def test_each_metric_on_the_dashboard_links_to_its_page(analyst, signed_in, finished_run):
    body = signed_in(analyst).get(reverse("insights_staff:dashboard")).content.decode()
    for metric in ("MHA1.people", "ACC2", "DQ1"):
        assert f'href="{url(metric)}"' in body
    assert signed_in(analyst).get(url("DQ1")).status_code == 200


def test_an_unknown_metric_is_not_found(analyst, signed_in, finished_run):
    assert signed_in(analyst).get(url("NOPE.1")).status_code == 404


def test_without_results_the_page_says_so(analyst, signed_in):
    response = signed_in(analyst).get(url("ACC2"))
    assert response.status_code == 200
    assert "There are no metric results yet" in response.content.decode()


@pytest.mark.parametrize(
    "role", [Role.ANALYST, Role.BOARD_VIEWER, Role.STEERING_GROUP_MEMBER, Role.ADMINISTRATOR]
)
def test_insight_readers_see_the_page(role, trust, make_staff, signed_in, finished_run):
    client = signed_in(make_staff(trust, role, username=f"{role}-reader"))
    assert client.get(url("MHA1.people")).status_code == 200


def test_others_are_refused(
    trust, partner_organisation, make_staff, signed_in, client, finished_run
):
    partner = make_staff(partner_organisation, Role.PARTNER_USER, Role.ANALYST)
    assert signed_in(partner).get(url("MHA1.people")).status_code == 403
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    assert signed_in(officer).get(url("MHA1.people")).status_code == 403
    anonymous = client.get(url("MHA1.people"))
    assert anonymous.status_code == 302 and "/staff/" in anonymous["Location"]
    assert (
        signed_in(make_staff(trust, Role.ANALYST, username="a2"))
        .post(url("MHA1.people"))
        .status_code
        == 405
    )


def test_another_organisations_results_are_not_shown(
    partner_organisation, make_staff, signed_in, finished_run
):
    """The partner trust's administrator may view insights, but of their own organisation:
    the trust's run is not theirs."""
    other = make_staff(partner_organisation, Role.ADMINISTRATOR, username="other-admin")
    response = signed_in(other).get(url("ACC2"))
    assert response.status_code == 200
    assert "There are no metric results yet" in response.content.decode()


def test_every_team_is_offered_and_a_team_name_two_organisations_share_is_asked_about():
    rows = [
        {
            "period_type": "financial_year",
            "period": "2024/25",
            "organisation": organisation,
            "service": service,
            "group_scheme": scheme,
        }
        for organisation, service in [
            ("all", "all"),
            ("RT5", "all"),
            ("RT5", "CRHT"),
            ("RP1", "all"),
            ("RP1", "CRHT"),
            ("RP1", "PERI"),
        ]
        for scheme in ("all", "broad")
    ]
    options = metric_page.Options.of(rows)
    form = metric_page.MetricFiltersForm({}, options, {"RT5": "Test Trust"})
    assert [value for value, _label in form.fields["service"].choices] == ["all", "CRHT", "PERI"]
    assert ("RT5", "Test Trust") in form.fields["organisation"].choices
    assert form.is_valid()

    form = metric_page.MetricFiltersForm({"service": "PERI"}, options, {})
    assert form.is_valid() and form.cleaned_data["organisation"] == "RP1"

    form = metric_page.MetricFiltersForm({"service": "CRHT"}, options, {})
    assert not form.is_valid()
    assert form.errors["service"] == [
        "Choose the organisation of CRHT too: more than one organisation has a team of that name"
    ]
    form = metric_page.MetricFiltersForm({"service": "CRHT", "organisation": "RP1"}, options, {})
    assert form.is_valid()


def test_spc_charts_keep_each_statistic_within_the_values_it_can_take():
    bounds = {name: metric_page._spc_bounds(definition) for name, definition in CATALOGUE.items()}
    for name, definition in CATALOGUE.items():
        if definition.statistic == "proportion":
            assert bounds[name] == (0.0, float(definition.multiplier)), name
        elif definition.statistic in ("rate", "dsr"):
            assert bounds[name] == (0.0, None), name
        else:
            assert bounds[name] is None, name  # means and medians: the chart's default
    assert (0.0, 100.0) in bounds.values() and (0.0, None) in bounds.values()
    assert metric_page._spc_bounds(None) is None
