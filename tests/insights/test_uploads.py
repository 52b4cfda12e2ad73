"""Uploading an extract: stored, checked by the real worker, a dataset version, a metric run."""

import json

import pytest
from django.urls import reverse

from pcref.analytics.extract.load import list_datasets
from pcref.core.models import AuditEntry
from pcref.insights import files
from pcref.insights.models import ExtractUpload, MetricRun

# The worker runs in this process on the real database backend, which commits.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_zipped_good_extract_becomes_a_dataset_version_and_a_finished_metric_run(
    analyst, signed_in, good_extract, make_zip, tmp_path, post_files, run_worker, trust
):
    client = signed_in(analyst)
    archive = make_zip(good_extract, tmp_path / "extract.zip", prefix="extract/")
    response = post_files(client, [archive])
    upload = ExtractUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("insights_staff:upload", args=[upload.pk])
    assert upload.status == ExtractUpload.Status.RECEIVED
    assert {entry["name"] for entry in upload.files} == {p.name for p in good_extract.iterdir()}

    page = client.get(response["Location"])
    assert page["Refresh"] == "3"
    assert "Waiting for the checks to start" in page.content.decode()

    run_worker()

    upload.refresh_from_db()
    assert upload.status == ExtractUpload.Status.VALID, upload.failure
    assert upload.dataset_number == 1
    assert upload.progress_done == upload.progress_total > 0
    versions = list_datasets(files.datasets_dir(trust))
    assert [version.number for version in versions] == [1]
    assert not (files.upload_dir(upload) / "extract").exists()  # source deleted once loaded
    run = MetricRun.objects.get()
    assert (run.status, run.dataset_number, run.upload_id) == ("done", 1, upload.pk)
    assert run.started_by is None and run.started_by_system == "import"
    assert run.result_rows > 0 and run.summary
    assert (files.results_dir(run) / "results.parquet").is_file()
    assert (files.results_dir(run) / "results.csv").is_file()

    page = client.get(reverse("insights_staff:upload", args=[upload.pk]))
    assert "Refresh" not in page
    assert "dataset version v0001" in page.content.decode()
    results = client.get(reverse("insights_staff:run", args=[run.pk]))
    body = results.content.decode()
    assert "DQ1" in body and "Financial year" in body
    download = client.get(reverse("insights_staff:results", args=[run.pk, "csv"]))
    assert download.status_code == 200
    assert b"metric,period_type" in b"".join(download.streaming_content)[:200].replace(b'"', b"")

    actions = list(
        AuditEntry.objects.filter(target_id__in=[str(upload.pk), str(run.pk)])
        .order_by("occurred_at")
        .values_list("action", "system_actor")
    )
    assert actions == [
        ("insights.extract_uploaded", ""),
        ("insights.extract_validating", "import"),
        ("insights.extract_valid", "import"),
        ("insights.metric_run_queued", "import"),
        ("insights.metric_run_running", "metric-run"),
        ("insights.metric_run_done", "metric-run"),
    ]


def test_separate_files_become_a_dataset_version(
    analyst, signed_in, good_extract, post_files, run_worker
):
    client = signed_in(analyst)
    response = post_files(client, sorted(good_extract.iterdir()))
    assert response.status_code == 302
    upload = ExtractUpload.objects.get()
    run_worker()
    upload.refresh_from_db()
    assert upload.status == ExtractUpload.Status.VALID
    assert upload.dataset_number == 1
    assert upload.row_count > 1_200
    assert MetricRun.objects.get().status == "done"


def test_a_broken_extract_gives_a_report_naming_every_problem_and_no_dataset(
    analyst, signed_in, broken_extract, post_files, run_worker, trust
):
    client = signed_in(analyst)
    post_files(client, sorted(broken_extract.iterdir()))
    run_worker()
    upload = ExtractUpload.objects.get()
    assert upload.status == ExtractUpload.Status.INVALID
    assert upload.dataset_number is None and upload.error_count >= 2
    assert list_datasets(files.datasets_dir(trust)) == []
    assert not MetricRun.objects.exists()
    report = json.loads((files.upload_dir(upload) / "report" / "report.json").read_text())
    found = {(c["table"], c["rule"], c["column"]) for c in report["counts"]}
    assert ("mhs001_patients", "missing_column", "area_code") in found
    assert ("mhs101_referrals", "code", "source_of_referral") in found

    page = client.get(reverse("insights_staff:report", args=[upload.pk])).content.decode()
    assert "mhs001_patients: area_code" in page
    assert "mhs101_referrals: source_of_referral" in page
    assert "ZZ" in page
    csv = client.get(reverse("insights_staff:report_csv", args=[upload.pk]))
    content = b"".join(csv.streaming_content).decode()
    assert "missing_column" in content and "ZZ" in content
    assert AuditEntry.objects.filter(action="insights.extract_invalid").exists()


def test_an_analyst_runs_the_metrics_again_and_a_failure_is_shown_and_audited(
    analyst, signed_in, run_worker, trust
):
    upload = ExtractUpload.objects.create(
        organisation=trust, uploaded_by=analyst, status="valid", dataset_number=3
    )
    earlier = MetricRun.objects.create(
        organisation=trust, upload=upload, dataset_number=3, status="done"
    )
    client = signed_in(analyst)
    response = client.post(reverse("insights_staff:rerun", args=[earlier.pk]))
    again = MetricRun.objects.exclude(pk=earlier.pk).get()
    assert response["Location"] == reverse("insights_staff:run", args=[again.pk])
    assert again.started_by == analyst and again.status == "queued"
    assert client.get(response["Location"])["Refresh"] == "3"
    assert "Refresh" not in client.get(response["Location"] + "?refresh=off")

    run_worker()  # dataset version 3 has no files on disk: the run fails and says why

    again.refresh_from_db()
    assert again.status == "failed" and "no dataset" in again.failure
    page = client.get(response["Location"])
    assert "Refresh" not in page and "Why it failed" in page.content.decode()
    assert AuditEntry.objects.filter(
        action="insights.metric_run_failed", target_id=str(again.pk), system_actor="metric-run"
    ).exists()
    assert AuditEntry.objects.filter(
        action="insights.metric_run_queued", target_id=str(again.pk), actor=analyst
    ).exists()
