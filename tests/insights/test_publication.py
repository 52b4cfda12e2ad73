"""Publishing a metric run: who may, what is audited, what the public page and downloads show,
and the disclosure rules on known cases (D1-D4, secondary suppression, ratios)."""

import csv
import io
import math

import pyarrow as pa
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from pcref.analytics.disclosure import RULE_SET_VERSION
from pcref.analytics.engine import RESULT_SCHEMA, write_results
from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.insights import files, publication
from pcref.insights.models import MetricRun

pytestmark = pytest.mark.django_db

GROUPS = ["White", "Mixed", "Asian", "Black", "Other"]


def result(metric, group, numerator, denominator, value=None, *, period="2024/25", **extra):
    """One results-table row of the whole trust, every column present."""
    scheme = "all" if group == "all" else "broad"
    row = dict.fromkeys(RESULT_SCHEMA.names)
    row.update(
        metric=metric,
        period_type="extract" if period == "all" else "financial_year",
        period=period,
        organisation="all",
        service="all",
        group_scheme=scheme,
        group=group,
        numerator=numerator,
        denominator=denominator,
        value=value if value is not None else 100 * numerator / denominator,
        lower=0.5,
        upper=200.0,
        method="Wilson",
    )
    if scheme == "broad":
        row.update(comparison_group="White", ratio=1.5, ratio_lower=0.8, ratio_upper=2.9)
        row["ratio_method"] = "Katz log"
    row.update(extra)
    return row


def make_run(organisation, rows, status=MetricRun.Status.DONE):
    run = MetricRun.objects.create(
        organisation=organisation,
        dataset_number=MetricRun.objects.count() + 1,
        status=status,
        started_by_system="import",
        finished_at=timezone.now(),
    )
    write_results(pa.Table.from_pylist(rows, schema=RESULT_SCHEMA), files.results_dir(run))
    run.results_path = str(files.results_dir(run))
    run.save()
    return run


def by_group(rows, metric="ACC2"):
    return {row.group: row for row in rows if row.metric == metric}


# --- Publishing: who, when, audit -------------------------------------------------------------


def test_nothing_is_public_before_a_run_is_published(client, finished_run):
    page = client.get("/data/")
    assert page.status_code == 200
    assert "No figures have been published yet." in page.content.decode()
    assert client.get("/data/data.csv").status_code == 404
    assert client.get("/data/data.json").status_code == 404
    assert client.get("/ur/data/").status_code == 200
    assert client.get("/data/schema.json")["Content-Type"] == "application/schema+json"


def test_the_page_works_before_the_trust_is_set_up(client, db):
    assert "No figures have been published yet." in client.get("/data/").content.decode()
    assert client.get("/data/data.json").status_code == 404


def test_an_analyst_publishes_a_run_and_the_public_sees_it(
    client, analyst, signed_in, finished_run
):
    staff = signed_in(analyst)
    run_page = staff.get(reverse("insights_staff:run", args=[finished_run.pk])).content.decode()
    assert "Publish these figures" in run_page and "Not published." in run_page
    assert "Counts below 5 are hidden" in run_page

    response = staff.post(reverse("insights_staff:publish", args=[finished_run.pk]))
    assert response.status_code == 302
    finished_run.refresh_from_db()
    assert finished_run.published_by == analyst
    assert finished_run.published_at is not None
    entry = AuditEntry.objects.get(action="insights.metric_run_published")
    assert entry.actor == analyst and entry.target_id == str(finished_run.pk)
    assert entry.context["rule_set"] == RULE_SET_VERSION
    assert entry.context["rows"] == len(publication.published_rows(finished_run))
    assert "Unpublish these figures" in (
        staff.get(reverse("insights_staff:run", args=[finished_run.pk])).content.decode()
    )

    page = client.get("/data/").content.decode()
    assert "No figures have been published yet." not in page
    assert RULE_SET_VERSION in page
    assert (
        'id="metric-MHA1-people"' in page and "People detained under the Mental Health Act" in page
    )
    for name in ("data_csv", "data_json", "data_schema"):
        assert f'href="{reverse(f"insights:{name}")}"' in page
    assert "fewer than 5, or hidden so that no one can be identified" in page
    assert client.get("/data/data.csv")["Content-Disposition"].startswith(
        'attachment; filename="pcref-data-RT5-v0001-'
    )
    document = client.get("/data/data.json").json()
    assert document["disclosure_control"]["rule_set"] == RULE_SET_VERSION
    assert document["organisation"]["ods_code"] == "RT5"
    assert len(document["rows"]) == entry.context["rows"]


def test_unpublishing_takes_the_figures_down_or_shows_the_earlier_run(
    client, analyst, signed_in, finished_run, results_table
):
    staff = signed_in(analyst)
    publication.publish(finished_run, by=analyst)
    later = MetricRun.objects.create(
        organisation=finished_run.organisation,
        dataset_number=2,
        status=MetricRun.Status.DONE,
        started_by_system="import",
        finished_at=timezone.now(),
    )
    write_results(results_table, files.results_dir(later))
    later.results_path = str(files.results_dir(later))
    later.save()
    publication.publish(later, by=analyst)
    assert publication.published_run(finished_run.organisation) == later
    assert "Dataset version v0002" in client.get("/data/").content.decode()
    run_page = staff.get(reverse("insights_staff:run", args=[later.pk])).content.decode()
    assert "will then show dataset version v0001 instead" in run_page

    staff.post(reverse("insights_staff:unpublish", args=[later.pk]))
    assert "Dataset version v0001" in client.get("/data/").content.decode()
    staff.post(reverse("insights_staff:unpublish", args=[finished_run.pk]))
    assert "No figures have been published yet." in client.get("/data/").content.decode()
    assert client.get("/data/data.json").status_code == 404
    entries = AuditEntry.objects.filter(action="insights.metric_run_unpublished")
    assert entries.count() == 2 and {e.actor for e in entries} == {analyst}


def test_the_demo_publishes_as_a_system_actor_but_the_import_may_not(
    analyst, signed_in, finished_run
):
    with pytest.raises(PermissionDenied):
        publication.publish(finished_run, by="import")
    publication.publish(finished_run, by="demo")
    finished_run.refresh_from_db()
    assert finished_run.published_at is not None and finished_run.published_by is None
    entry = AuditEntry.objects.get(action="insights.metric_run_published")
    assert entry.actor_label == "system:demo"
    page = signed_in(analyst).get(reverse("insights_staff:run", args=[finished_run.pk]))
    assert "by the system." in page.content.decode()


@pytest.mark.parametrize("role", [Role.BOARD_VIEWER, Role.STEERING_GROUP_MEMBER])
def test_only_analysts_and_administrators_publish(role, trust, make_staff, signed_in, finished_run):
    person = make_staff(trust, role)
    client = signed_in(person)
    assert client.post(reverse("insights_staff:publish", args=[finished_run.pk])).status_code in (
        403,
        404,
    )
    with pytest.raises(PermissionDenied):
        publication.publish(finished_run, by=person)
    finished_run.refresh_from_db()
    assert finished_run.published_at is None


def test_an_administrator_may_publish_and_another_trust_may_not(
    trust, other_trust, make_staff, signed_in, finished_run
):
    outsider = signed_in(make_staff(other_trust, Role.ANALYST))
    assert (
        outsider.post(reverse("insights_staff:publish", args=[finished_run.pk])).status_code == 404
    )
    administrator = signed_in(make_staff(trust, Role.ADMINISTRATOR))
    assert (
        administrator.get(reverse("insights_staff:publish", args=[finished_run.pk])).status_code
        == 405
    )
    administrator.post(reverse("insights_staff:publish", args=[finished_run.pk]))
    finished_run.refresh_from_db()
    assert finished_run.published_at is not None


def test_refusals_say_why_and_change_nothing(analyst, signed_in, trust, finished_run):
    running = MetricRun.objects.create(
        organisation=trust, dataset_number=9, status=MetricRun.Status.RUNNING
    )
    with pytest.raises(publication.PublicationRefused, match="Only a finished metric run"):
        publication.publish(running, by=analyst)
    with pytest.raises(publication.PublicationRefused, match="not published"):
        publication.unpublish(finished_run, by=analyst)
    publication.publish(finished_run, by=analyst)
    response = signed_in(analyst).post(
        reverse("insights_staff:publish", args=[finished_run.pk]), follow=True
    )
    assert "This metric run is already published." in response.content.decode()

    negative = make_run(trust, [result("ACC2", "all", -3.0, 50.0)])
    with pytest.raises(publication.PublicationRefused, match=r"ACC2, 2024/25: .*-3"):
        publication.publish(negative, by=analyst)
    doubled = make_run(trust, [result("ACC2", "all", 30.0, 50.0)] * 2)
    with pytest.raises(publication.PublicationRefused, match="two rows for ACC2, 2024/25"):
        publication.publish(doubled, by=analyst)
    lost = make_run(trust, [result("ACC2", "all", 30.0, 50.0)])
    (files.results_dir(lost) / "results.parquet").unlink()
    with pytest.raises(publication.PublicationRefused, match="results.parquet"):
        publication.publish(lost, by=analyst)
    assert not MetricRun.objects.filter(published_at__isnull=False).exclude(pk=finished_run.pk)
    assert AuditEntry.objects.filter(action="insights.metric_run_published").count() == 1


# --- What is published, on the real engine's results ---------------------------------------------


def test_the_real_results_publish_only_the_public_subset_each_count_rounded(finished_run):
    rows = publication.published_rows(finished_run)
    assert {row.metric for row in rows} <= set(publication.PUBLIC_METRICS)
    assert {row.metric for row in rows} >= {"DQ1", "ACC1.people", "MHA1.people", "RI1.any"}
    assert {row.period_type for row in rows} == {"financial_year", "extract"}
    assert {row.group for row in rows} == {"all", *GROUPS}
    for row in rows:
        for count in (row.numerator, row.denominator):
            assert count is None or count == "*" or (count >= 5 and count % 5 == 0), row
        if "*" in (row.numerator, row.denominator):
            assert (row.value, row.lower, row.upper) == ("*", "*", "*"), row
            assert row.ratio in ("*", None) and row.method == "", row
    assert any(isinstance(row.value, float) for row in rows)
    assert any(isinstance(row.ratio, float) for row in rows)
    # Rows come latest year first, and filtered on request.
    dq = publication.published_rows(finished_run, metrics=["DQ1"], period_types=["financial_year"])
    assert [row.period for row in dq if row.group == "all"] == ["2025/26", "2024/25", "2023/24"]


def test_counts_are_rounded_and_small_ones_hidden_with_their_rates(trust):
    rows = [
        result("ACC2", "all", 1234.0, 9876.0),
        result("ACC2", "White", 1000.0, 8000.0),
        result("ACC2", "Mixed", 0.0, 30.0),
        result("ACC2", "Asian", 3.0, 600.0),
        result("ACC2", "Black", 12.0, 40.0),
        result("ACC2", "Other", 13.0, 4.0),
    ]
    shown = by_group(publication.published_rows(make_run(trust, rows)))
    assert (shown["all"].numerator, shown["all"].denominator) == (1235, 9875)
    assert shown["all"].value == pytest.approx(round(100 * 1234 / 9876, 1))  # unrounded counts
    assert shown["Mixed"].numerator == "*" and shown["Mixed"].value == "*"  # zero is hidden (D1)
    assert shown["Asian"].numerator == "*" and shown["Asian"].ratio == "*"
    assert shown["Black"].numerator == 10 and shown["Black"].value == 30.0
    assert shown["Black"].ratio == 1.5 and shown["Black"].ratio_method == "Katz log"
    assert shown["Other"].denominator == "*" and shown["Other"].value == "*"  # D3 on 4
    assert shown["White"].ratio is None and shown["White"].comparison_group is None


def test_one_hidden_group_hides_a_second_so_it_cannot_be_worked_out(trust):
    rows = [
        result("ACC2", "all", 300.0, 3000.0),
        result("ACC2", "White", 200.0, 2000.0),
        result("ACC2", "Mixed", 40.0, 400.0),
        result("ACC2", "Asian", 30.0, 300.0),
        result("ACC2", "Black", 27.0, 270.0),
        result("ACC2", "Other", 3.0, 30.0),
    ]
    shown = by_group(publication.published_rows(make_run(trust, rows)))
    assert shown["Other"].numerator == "*"
    # Black is the smallest other count: hidden too, with its rate and ratio (§3).
    assert shown["Black"].numerator == "*"
    assert (shown["Black"].value, shown["Black"].ratio) == ("*", "*")
    assert shown["Black"].denominator == 270  # denominators have no small cell here
    assert shown["Asian"].numerator == 30 and shown["Asian"].value == 10.0


def test_a_missing_group_is_a_zero_and_hidden(trust):
    rows = [
        result("ACC2", "all", 300.0, 3000.0),
        result("ACC2", "White", 250.0, 2500.0),
        result("ACC2", "Asian", 50.0, 500.0),
    ]
    shown = by_group(publication.published_rows(make_run(trust, rows)))
    assert [shown[group].numerator for group in GROUPS] == [250, "*", 50, "*", "*"]
    assert shown["Mixed"].ratio == "*"


def test_a_ratio_is_hidden_when_the_white_group_is(trust):
    rows = [
        result("ACC2", "all", 300.0, 3000.0),
        result("ACC2", "White", 4.0, 40.0),
        result("ACC2", "Mixed", 3.0, 60.0),
        result("ACC2", "Asian", 100.0, 1000.0),
        result("ACC2", "Black", 100.0, 900.0),
        result("ACC2", "Other", 90.0, 1000.0),
    ]
    shown = by_group(publication.published_rows(make_run(trust, rows)))
    assert shown["Asian"].value == 10.0 and shown["Asian"].ratio == "*"
    assert shown["Asian"].ratio_lower == "*" and shown["Asian"].ratio_method == ""


def test_restraint_rates_need_100_bed_days_and_5_people(trust):
    """D4: interventions per 1,000 occupied bed days, people from RI2.any."""
    rows = [
        result("RI1.any", "all", 50.0, 2000.0, 25.0),
        result("RI1.any", "White", 30.0, 1200.0, 25.0),
        result("RI1.any", "Mixed", 8.0, 99.0, 80.8),
        result("RI1.any", "Asian", 6.0, 300.0, 20.0),
        result("RI1.any", "Black", 6.0, 400.0, 15.0),
        result("RI1.any", "Other", 20.0, 500.0, 40.0),
        result("RI2.any", "all", 20.0, 60.0),
        result("RI2.any", "White", 10.0, 30.0),
        result("RI2.any", "Mixed", 5.0, 6.0),
        result("RI2.any", "Asian", 4.0, 10.0),
        result("RI2.any", "Black", 6.0, 10.0),
    ]
    shown = by_group(publication.published_rows(make_run(trust, rows)), "RI1.any")
    assert shown["all"].value == 25.0 and shown["White"].value == 25.0
    assert shown["Mixed"].numerator == 10 and shown["Mixed"].value == "*"  # 99 bed days
    assert shown["Asian"].numerator == 5 and shown["Asian"].value == "*"  # 4 people
    assert shown["Black"].value == 15.0 and shown["Black"].ratio == 1.5
    assert shown["Mixed"].ratio == "*" and shown["Asian"].ratio == "*"
    assert shown["Other"].numerator == 20 and shown["Other"].value == "*"  # people not known


def test_days_in_hospital_over_fewer_than_5_stays_are_hidden_like_a_small_count(trust):
    alone = {"comparison_group": None, "ratio": None}
    rows = [
        result("LOS1.mean", "all", 1200.0, 40.0, 30.0),
        result("LOS1.mean", "White", 600.0, 20.0, 30.0, **alone),
        result("LOS1.mean", "Mixed", 100.0, 5.0, 20.0, **alone),
        result("LOS1.mean", "Asian", 150.0, 6.0, 25.0, **alone),
        result("LOS1.mean", "Black", 250.0, 2.0, 125.0, **alone),  # two people's stays
        result("LOS1.mean", "Other", 100.0, 7.0, 14.3, **alone),
    ]
    shown = by_group(publication.published_rows(make_run(trust, rows)), "LOS1.mean")
    assert (shown["Black"].numerator, shown["Black"].denominator) == ("*", "*")
    # ... and a second group's days, so Black's cannot be worked out from the total.
    assert shown["Mixed"].numerator == "*" and shown["Mixed"].value == "*"
    assert shown["Other"].numerator == 100 and shown["Other"].value == 14.3
    assert shown["all"].numerator == 1200 and shown["White"].ratio is None


def test_other_comparisons_teams_quarters_and_detailed_groups_are_never_published(trust):
    rows = [
        result("ACC2", "all", 300.0, 3000.0),
        result("ACC2", "White", 300.0, 3000.0, comparison_group="White British", ratio=9.0),
        result("ACC2", "White", 300.0, 3000.0),
        result("ACC2", "all", 3.0, 30.0, service="T1"),
        result("ACC2", "all", 3.0, 30.0, period_type="quarter", period="2024/25 Q1"),
        result("ACC2", "A", 3.0, 30.0, group_scheme="detailed"),
        result("DQ3.invalid", "all", 3.0, 30.0),
    ]
    published = publication.published_rows(make_run(trust, rows))
    assert {(row.metric, row.period, row.group) for row in published} == {
        ("ACC2", "2024/25", group) for group in ["all", *GROUPS]
    }
    assert all(row.ratio != 9.0 for row in published)


def test_infinite_and_missing_figures_are_shown_as_no_figure(trust):
    rows = [
        result("ACC2", "all", 300.0, 3000.0, value=math.nan),
        result("ACC2", "White", 100.0, 1000.0),
        result("ACC2", "Black", 100.0, math.nan, ratio=math.inf),
    ]
    shown = by_group(publication.published_rows(make_run(trust, rows)))
    assert shown["all"].value is None and shown["all"].numerator == 300
    assert shown["Black"].denominator is None and shown["Black"].value is None


# --- The downloads ---------------------------------------------------------------------------------


def test_the_csv_is_safe_to_open_in_a_spreadsheet_and_says_which_rules(client, analyst, trust):
    formula = '=HYPERLINK("http://example.com","x")'
    rows = [result("ACC2", "all", 300.0, 3000.0, period=formula)]
    publication.publish(make_run(trust, rows), by=analyst)
    text = client.get("/data/data.csv").content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert table[0]["period"] == "'" + formula
    assert table[0]["rule_set"] == RULE_SET_VERSION
    assert table[0]["numerator"] == "300" and table[0]["metric_title"].startswith("Referrals")
    assert formula not in client.get("/data/").content.decode()  # escaped in the page


def test_the_page_and_downloads_follow_the_language(client, analyst, finished_run):
    publication.publish(finished_run, by=analyst)
    urdu = client.get("/ur/data/")
    assert urdu.status_code == 200 and 'dir="rtl"' in urdu.content.decode()
    assert client.get("/ur/data/data.json").json()["language"] == "ur"
    assert client.get("/ur/data/data.csv").status_code == 200
