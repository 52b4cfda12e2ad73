"""The ethnicity data quality page: per table, team and month, figures as in the results."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from pcref.analytics import stats
from pcref.analytics.engine import write_results
from pcref.core import services as core_services
from pcref.core.models import ServiceTeam
from pcref.core.roles import Role
from pcref.insights import files, quality
from pcref.insights.dashboard import VARIATIONS, figure
from pcref.insights.models import MetricRun

pytestmark = pytest.mark.django_db

URL = "/staff/insights/data-quality/"
PARTS = {
    "completeness": "DQ1",
    "not_stated": "DQ2",
    "not_known": "DQ3.not_known",
    "missing": "DQ3.missing",
    "invalid": "DQ3.invalid",
}


@pytest.fixture(scope="module")
def dq_rows(results_table):
    """Every DQ row of the engine's results, straight from the table the run wrote."""
    return [row for row in results_table.to_pylist() if row["metric"] in PARTS.values()]


def trust_row(rows, metric, period, table):
    scheme = "all" if table == "all" else "dataset"
    found = [
        row
        for row in rows
        if row["metric"] == metric
        and row["period"] == period
        and row["organisation"] == "all"
        and row["service"] == "all"
        and row["group_scheme"] == scheme
        and (table == "all" or row["group"] == table)
    ]
    assert len(found) <= 1
    return found[0] if found else None


def team_rows(rows, metric, period, table):
    scheme = "all" if table == "all" else "dataset"
    return [
        row
        for row in rows
        if row["metric"] == metric
        and row["period"] == period
        and row["organisation"] != "all"
        and row["service"] != "all"
        and row["group_scheme"] == scheme
        and (table == "all" or row["group"] == table)
    ]


def latest(rows, period_type):
    return max(row["period"] for row in rows if row["period_type"] == period_type)


def table_html(body, element_id):
    start = body.index(f'id="{element_id}"')
    return html.unescape(body[start : body.index("</tr>", start)])


def team_ids(body):
    return re.findall(r'<tr class="nhsuk-table__row pcref-team" id="team-([^"]+)"', body)


def expected_variation(rows, table, organisation="all", service="all"):
    months = sorted(
        (row["period"], row["spc_variation"])
        for row in rows
        if row["metric"] == "DQ1"
        and row["period_type"] == "month"
        and row["organisation"] == organisation
        and row["service"] == service
        and row["group_scheme"] == ("all" if table == "all" else "dataset")
        and (table == "all" or row["group"] == table)
    )
    return months[-1][1] if months else None


def test_each_table_shows_the_figures_of_the_results(analyst, signed_in, finished_run, dq_rows):
    response = signed_in(analyst).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not for publication: figures are not suppressed" in body
    year = latest(dq_rows, "financial_year")
    tables = sorted({row["group"] for row in dq_rows if row["group_scheme"] == "dataset"})
    assert "mhs101_referrals" in tables and "mhs001_patients" in tables and len(tables) >= 6
    with_spc = 0
    for table in ["all", *tables]:
        shown = table_html(body, f"table-{table}")
        period = "all" if table == "mhs001_patients" else year
        rows = {part: trust_row(dq_rows, metric, period, table) for part, metric in PARTS.items()}
        complete = rows["completeness"]
        assert f'<span class="pcref-value">{figure(complete["value"])}</span>' in shown, table
        assert f"({figure(complete['lower'])} to {figure(complete['upper'])})" in shown, table
        assert f">{figure(complete['denominator'], 0)}</td>" in shown, table
        assert f'pcref-not-stated">{figure(rows["not_stated"]["value"])}<' in shown, table
        assert f'pcref-not-known">{figure(rows["not_known"]["value"])}<' in shown, table
        assert f'pcref-missing">{figure(rows["missing"]["value"])}<' in shown, table
        assert f'pcref-invalid">{figure(rows["invalid"]["value"])}<' in shown, table
        code = expected_variation(dq_rows, table)
        if code:
            assert f'<span class="pcref-variation">{VARIATIONS[code][0]}</span>' in shown
            with_spc += 1
        else:
            assert "No SPC chart" in shown, table
    assert with_spc >= 2
    assert "Whole extract: this table has no dates" in table_html(body, "table-mhs001_patients")
    assert f'<h2 id="tables">Each table: financial year {year}</h2>' in body


def test_each_table_is_said_in_words(analyst, signed_in, finished_run, dq_rows):
    body = html.unescape(signed_in(analyst).get(URL).content.decode())
    year = latest(dq_rows, "financial_year")
    complete = trust_row(dq_rows, "DQ1", year, "mhs101_referrals")
    not_known = trust_row(dq_rows, "DQ3.not_known", year, "mhs101_referrals")
    sentence = (
        f"Referrals (MHS101), financial year {year}: {figure(complete['value'])}% of "
        f"{figure(complete['denominator'], 0)} records had a valid national ethnic category code "
        f"(95% interval {figure(complete['lower'])} to {figure(complete['upper'])})."
    )
    assert sentence in body
    assert f"not known (99): {figure(not_known['value'])}%" in body
    assert body.count('class="pcref-summary"') == body.count('id="table-')


def test_teams_are_ranked_lowest_completeness_first(analyst, signed_in, finished_run, dq_rows):
    year = latest(dq_rows, "financial_year")
    table = "mhs201_care_contacts"
    response = signed_in(analyst).get(URL, {"table": table, "period": year})
    assert response.status_code == 200
    body = response.content.decode()
    expected = sorted(
        team_rows(dq_rows, "DQ1", year, table),
        key=lambda row: (row["value"], -row["denominator"], row["service"]),
    )
    assert len(expected) >= 5
    values = [row["value"] for row in expected]
    assert values == sorted(values) and values[0] < values[-1]
    assert team_ids(body) == [f"{row['organisation']}-{row['service']}" for row in expected]
    limits = stats.funnel_limits(
        [row["numerator"] for row in expected],
        [row["denominator"] for row in expected],
        "proportion",
        100,
    )
    said = set()
    for i, row in enumerate(expected):
        shown = table_html(body, f"team-{row['organisation']}-{row['service']}")
        counts = {
            part: next(
                r["numerator"]
                for r in team_rows(dq_rows, metric, year, table)
                if r["service"] == row["service"]
            )
            for part, metric in PARTS.items()
        }
        assert f'pcref-records">{figure(row["denominator"], 0)}<' in shown
        assert f'<span class="pcref-value">{figure(row["value"])}</span>' in shown
        assert f"({figure(row['lower'])} to {figure(row['upper'])})" in shown
        assert f'pcref-not-stated">{figure(counts["not_stated"], 0)}<' in shown
        assert f'pcref-not-known">{figure(counts["not_known"], 0)}<' in shown
        assert f'pcref-missing-invalid">{figure(counts["missing"] + counts["invalid"], 0)}<' in (
            shown
        )
        value = row["numerator"] / row["denominator"] * 100
        position = (
            "below the 99.8% limit"
            if value < limits.lower_99_8[i]
            else "below the 95% limit"
            if value < limits.lower_95[i]
            else "above the 99.8% limit"
            if value > limits.upper_99_8[i]
            else "above the 95% limit"
            if value > limits.upper_95[i]
            else "within the funnel limits"
        )
        said.add(position)
        assert position in shown.split("pcref-funnel")[1].split("</span>")[0]
        code = expected_variation(dq_rows, table, row["organisation"], row["service"])
        if code:
            assert f'<span class="pcref-variation">{VARIATIONS[code][0]}</span>' in shown
        else:
            assert "No SPC chart" in shown
    assert "below the 99.8% limit" in said and "within the funnel limits" in said
    funnel_svg = body[body.index('id="teams-funnel"') :].split("</svg>")[0]
    assert ">Records</text>" in funnel_svg and "Denominator" not in funnel_svg  # the x axis
    heading = f"Teams, lowest completeness first: Care contacts (MHS201), financial year {year}"
    assert heading in html.unescape(body)


def test_a_month_and_all_tables_together(analyst, signed_in, finished_run, dq_rows):
    tables = {row["group"] for row in dq_rows if row["group_scheme"] == "dataset"}
    dated = tables - {"mhs001_patients"}

    def empty_in(month):
        return sorted(t for t in dated if not trust_row(dq_rows, "DQ1", month, t))

    # the latest month in which some table has no records
    month = max(
        p for p in {r["period"] for r in dq_rows if r["period_type"] == "month"} if empty_in(p)
    )
    empty = empty_in(month)
    body = signed_in(analyst).get(URL, {"period": month, "table": "all"}).content.decode()
    expected = sorted(
        team_rows(dq_rows, "DQ1", month, "all"),
        key=lambda row: (row["value"], -row["denominator"], row["service"]),
    )
    assert expected and team_ids(body) == [
        f"{row['organisation']}-{row['service']}" for row in expected
    ]
    referrals = trust_row(dq_rows, "DQ1", month, "mhs101_referrals")
    shown = table_html(body, "table-mhs101_referrals")
    assert f'<span class="pcref-value">{figure(referrals["value"])}</span>' in shown
    said = html.unescape(body.split('class="pcref-no-records">')[1].split("</p>")[0])
    for table in empty:
        assert f'id="table-{table}"' not in body
        assert quality.table_title(table) in said
    # mhs001_patients has no dates: the whole extract whatever the period
    patients = trust_row(dq_rows, "DQ1", "all", "mhs001_patients")
    shown = table_html(body, "table-mhs001_patients")
    assert f'<span class="pcref-value">{figure(patients["value"])}</span>' in shown


def test_teams_are_named_as_the_organisation_knows_them(
    analyst, trust, signed_in, finished_run, dq_rows
):
    core_services.add_service_team(
        trust,
        {
            "name": "City East Community Mental Health Team",
            "kind": ServiceTeam.Kind.COMMUNITY_TEAM,
            "local_code": "CMHT-CE",
        },
        by="demo",
    )
    body = signed_in(analyst).get(URL).content.decode()
    shown = table_html(body, "team-RT5-CMHT-CE")
    assert "City East Community Mental Health Team" in shown and "(CMHT-CE)" in shown


@pytest.mark.parametrize(
    "query, field, value",
    [
        ({"table": "mhs999_nonsense"}, "Table for the teams", "mhs999_nonsense"),
        ({"period": "2099/00"}, "Period", "2099/00"),
        ({"period": "<script>"}, "Period", "<script>"),
        # mhs001_patients has no teams, so it is not offered for the team ranking
        ({"table": "mhs001_patients"}, "Table for the teams", "mhs001_patients"),
    ],
)
def test_a_bogus_filter_value_is_a_clear_message_naming_the_field(
    query, field, value, analyst, signed_in, finished_run
):
    response = signed_in(analyst).get(URL, query)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert f"{field}: “{html.escape(value, quote=False)}” is not" in body
    assert "<script>" not in body.split("</header>")[1]
    assert 'id="teams"' not in body


def test_summary_for_reports_gives_each_table_with_its_worst_teams(finished_run, dq_rows):
    year = latest(dq_rows, "financial_year")
    found = quality.summary(finished_run)
    tables = [item.table for item in found]
    assert tables[0] == "mhs001_patients" and "all" not in tables
    assert set(tables) == {row["group"] for row in dq_rows if row["group_scheme"] == "dataset"}
    for item in found:
        period = "all" if item.table == "mhs001_patients" else year
        assert item.period == period
        for part, metric in PARTS.items():
            row = trust_row(dq_rows, metric, period, item.table)
            share = getattr(item, part)
            assert (share.percent, share.lower, share.upper) == (
                row["value"],
                row["lower"],
                row["upper"],
            )
            assert share.count == row["numerator"]
        assert item.records == trust_row(dq_rows, "DQ1", period, item.table)["denominator"]
        code = expected_variation(dq_rows, item.table)
        assert (item.variation.code if item.variation else None) == code
        teams = team_rows(dq_rows, "DQ1", period, item.table)
        worst = sorted(teams, key=lambda row: (row["value"], -row["denominator"], row["service"]))
        assert [team.code for team in item.worst_teams] == [r["service"] for r in worst[:3]]
        for team, row in zip(item.worst_teams, worst, strict=False):
            assert team.completeness.percent == row["value"] and team.records == row["denominator"]
    contacts = next(item for item in found if item.table == "mhs201_care_contacts")
    assert len(contacts.worst_teams) == 3


def test_summary_of_another_period_and_a_bogus_one(finished_run, dq_rows):
    quarter = latest(dq_rows, "quarter")
    found = quality.summary(finished_run, period=quarter)
    referrals = next(item for item in found if item.table == "mhs101_referrals")
    row = trust_row(dq_rows, "DQ2", quarter, "mhs101_referrals")
    assert referrals.not_stated.percent == row["value"] and referrals.period_type == "quarter"
    with pytest.raises(ValueError, match="period must be one of this run's periods.*'2099/00'"):
        quality.summary(finished_run, period="2099/00")


def test_without_a_run_the_page_says_so_and_links_to_the_upload_page(analyst, signed_in):
    body = signed_in(analyst).get(URL).content.decode()
    assert "There are no metric results yet" in body
    assert reverse("insights_staff:upload_new") in body
    assert "<table" not in body


def test_a_run_without_data_quality_metrics(analyst, trust, signed_in, results_table):
    import pyarrow.compute as pc

    others = results_table.filter(pc.invert(pc.starts_with(results_table["metric"], "DQ")))
    run = MetricRun.objects.create(
        organisation=trust,
        dataset_number=2,
        status=MetricRun.Status.DONE,
        started_by_system="import",
        finished_at=timezone.now(),
    )
    write_results(others, files.results_dir(run))
    run.results_path = str(files.results_dir(run))
    run.save()
    response = signed_in(analyst).get(URL)
    assert response.status_code == 200
    assert "This metric run has no ethnicity data quality results" in response.content.decode()
    assert quality.summary(run) == []


@pytest.mark.parametrize(
    "role", [Role.ANALYST, Role.ADMINISTRATOR, Role.STEERING_GROUP_MEMBER, Role.BOARD_VIEWER]
)
def test_staff_who_may_view_insights_reach_it(role, trust, make_staff, signed_in, finished_run):
    response = signed_in(make_staff(trust, role, username=f"{role}-q")).get(URL)
    assert response.status_code == 200
    assert 'id="table-mhs101_referrals"' in response.content.decode()


def test_others_are_refused(
    client, trust, partner_organisation, other_trust, make_staff, signed_in, finished_run
):
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER)
    partner = make_staff(partner_organisation, Role.PARTNER_USER, Role.ANALYST)
    for user in (officer, partner):
        assert signed_in(user).get(URL).status_code == 403
    anonymous = client.get(URL)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("core_staff:sign_in") + "?next=")
    outsider = signed_in(make_staff(other_trust, Role.ANALYST)).get(URL).content.decode()
    assert "There are no metric results yet" in outsider and "table-mhs101" not in outsider


def test_the_url_and_the_dashboard_link(analyst, signed_in, finished_run):
    assert reverse("insights_staff:quality") == URL
    body = signed_in(analyst).get(reverse("insights_staff:dashboard")).content.decode()
    assert f'href="{URL}"' in body


def test_the_page_reads_few_queries(
    analyst, signed_in, finished_run, django_assert_max_num_queries
):
    client = signed_in(analyst)
    client.get(URL)
    with django_assert_max_num_queries(12):
        assert client.get(URL, {"table": "mhs101_referrals"}).status_code == 200
