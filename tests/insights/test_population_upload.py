"""A population file uploaded on its own: with the other tables of the latest dataset version it
becomes the next version (those tables unchanged), and the metrics run again on it."""

import csv
import json

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from pcref.analytics.extract.load import ingest, list_datasets, open_dataset, sha256
from pcref.core.models import AuditEntry
from pcref.insights import files
from pcref.insights.models import ExtractUpload, MetricRun

# The worker runs in this process on the real database backend, which commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _population(good_extract, target, *, times=1, first=None):
    """The extract's population.csv with every count multiplied by `times`, and the first row's
    fields set from `first`."""
    with (good_extract / "population.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["population"] = str(int(row["population"]) * times)
    rows[0].update(first or {})
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def _metric(run, metric):
    table = pq.read_table(files.results_dir(run) / "results.parquet")
    return table.filter(pc.equal(table.column("metric"), metric))


def test_a_population_file_alone_becomes_the_next_version_with_the_other_tables_unchanged(
    analyst, signed_in, good_extract, post_files, run_worker, trust, tmp_path
):
    client = signed_in(analyst)
    post_files(client, sorted(good_extract.iterdir()))
    run_worker()
    first = ExtractUpload.objects.get()
    assert (first.status, first.dataset_number, first.based_on_dataset) == ("valid", 1, None)

    doubled = _population(good_extract, tmp_path / "new" / "population.csv", times=2)
    response = post_files(client, [doubled])
    upload = ExtractUpload.objects.exclude(pk=first.pk).get()
    assert response["Location"] == reverse("insights_staff:upload", args=[upload.pk])
    assert upload.based_on_dataset == 1
    assert [entry["name"] for entry in upload.files] == ["population.csv"]
    waiting = client.get(response["Location"]).content.decode()
    assert "Other tables from" in waiting and "Dataset version v0001" in waiting

    run_worker()

    upload.refresh_from_db()
    assert upload.status == ExtractUpload.Status.VALID, upload.failure
    assert upload.dataset_number == 2 and upload.error_count == 0
    datasets = files.datasets_dir(trust)
    previous, new = open_dataset(datasets, 1), open_dataset(datasets, 2)
    new.verify()
    previous.verify()  # linking its files changed nothing
    carried = [
        name
        for name in previous.tables
        if name != "population" and previous.manifest["sources"][name] is not None
    ]
    assert "mhs001_patients" in carried  # a table with derived ethnicity columns
    for name in carried:
        assert sha256(new.table_path(name)) == sha256(previous.table_path(name)), name
        assert new.manifest["row_counts"][name] == previous.manifest["row_counts"][name]
    old_people = pq.read_table(previous.table_path("population")).column("population")
    new_people = pq.read_table(new.table_path("population")).column("population")
    assert pc.sum(new_people).as_py() == 2 * pc.sum(old_people).as_py() > 0
    assert new.manifest["based_on"] == {"dataset": 1, "name": "v0001", "tables": carried}
    assert previous.manifest["based_on"] is None
    # The carried tables are checked again; the columns ingest derives are not flagged.
    report = json.loads((files.upload_dir(upload) / "report" / "report.json").read_text())
    assert not [c for c in report["counts"] if c["rule"] == "unknown_column"]
    assert not (files.upload_dir(upload) / "extract").exists()

    first_run, run = MetricRun.objects.get(upload=first), MetricRun.objects.get(upload=upload)
    assert (run.status, run.dataset_number) == ("done", 2), run.failure
    before, after = _metric(first_run, "ACC1.people"), _metric(run, "ACC1.people")
    assert after.num_rows == before.num_rows > 0
    assert after.column("numerator").to_pylist() == before.column("numerator").to_pylist()
    denominators = before.column("denominator").to_pylist()
    assert any(denominators)
    assert [None if d is None else 2 * d for d in denominators] == after.column(
        "denominator"
    ).to_pylist()

    page = client.get(reverse("insights_staff:upload", args=[upload.pk])).content.decode()
    assert "With the other tables of dataset version v0001, it is now dataset version v0002" in (
        page
    )
    history = client.get(reverse("insights_staff:history")).content.decode()
    assert "Dataset version v0002 (new population; other tables from v0001)" in history
    uploaded = AuditEntry.objects.get(action="insights.extract_uploaded", target_id=str(upload.pk))
    assert uploaded.actor == analyst and uploaded.changes["based_on_dataset"] == [None, 1]


def test_a_broken_population_file_is_refused_with_its_report_and_no_version(
    analyst, signed_in, good_extract, make_zip, post_files, run_worker, trust, tmp_path
):
    ingest(good_extract, files.datasets_dir(trust))  # v0001, loaded before the site knew of it
    broken = _population(
        good_extract, tmp_path / "broken" / "population.csv", first={"sex": "3", "population": "-5"}
    )
    client = signed_in(analyst)
    post_files(client, [make_zip(broken.parent, tmp_path / "population.zip")])
    upload = ExtractUpload.objects.get()
    assert upload.based_on_dataset == 1

    run_worker()

    upload.refresh_from_db()
    assert upload.status == ExtractUpload.Status.INVALID and upload.dataset_number is None
    assert upload.error_count >= 2
    assert [version.number for version in list_datasets(files.datasets_dir(trust))] == [1]
    assert not MetricRun.objects.exists()
    report = json.loads((files.upload_dir(upload) / "report" / "report.json").read_text())
    found = {(c["table"], c["rule"], c["column"]) for c in report["counts"]}
    assert ("population", "code", "sex") in found
    assert ("population", "negative", "population") in found
    assert not (files.upload_dir(upload) / "extract").exists()
    page = client.get(reverse("insights_staff:report", args=[upload.pk])).content.decode()
    assert "population: sex" in page
    assert "checked with the other tables of dataset version v0001" in page
    assert AuditEntry.objects.filter(
        action="insights.extract_invalid", target_id=str(upload.pk)
    ).exists()


def test_a_population_file_alone_with_no_dataset_version_is_refused(
    analyst, signed_in, good_extract, post_files, trust
):
    client = signed_in(analyst)
    response = post_files(client, [good_extract / "population.csv"])
    assert response.status_code == 200
    page = response.content.decode()
    assert "A population file on its own cannot become a dataset" in page
    assert "nhsuk-error-message" in page
    assert not ExtractUpload.objects.exists()
    assert not AuditEntry.objects.filter(action="insights.extract_uploaded").exists()
    uploads = files.organisation_dir(trust) / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
    assert list_datasets(files.datasets_dir(trust)) == []
