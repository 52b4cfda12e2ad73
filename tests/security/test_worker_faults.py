"""Issue #8, faults: a background worker killed in the middle of a job leaves nothing stuck.

A running job keeps its record's `updated_at` fresh (a heartbeat); one left in its running
status for longer than the lease lost its worker, and is put back in the queue, after what the
killed attempt half-made is removed, by `pcref worker` or by a person on the staff page.

The last tests kill a real worker process (SIGKILL) while it checks an upload and while it makes
a report, then start another: they need a database two processes share, so they run on
PostgreSQL (CI) and skip on SQLite's in-memory test database.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files import File
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pcref.analytics.extract.load import ingest, list_datasets
from pcref.core.models import AuditEntry
from pcref.core.roles import Role
from pcref.insights import files, jobs, reports, services, tasks
from pcref.insights.models import ExtractUpload, MetricRun, Report
from pcref.insights.reports.render import report_dir, scratch_dir

ACTION = "insights.job_interrupted"
STOPPED = "Stopped before it finished"


def upload_files(folder):
    """The extract's files as the upload service takes them (streamed, never whole in memory)."""
    return [File(path.open("rb"), name=path.name) for path in sorted(folder.iterdir())]


def receive(folder, analyst) -> ExtractUpload:
    handles = upload_files(folder)
    try:
        return services.receive_upload(handles, by=analyst)
    finally:
        for handle in handles:
            handle.close()


def set_state(record, status, *, age_seconds=0.0):
    """Put a record in a status, last touched `age_seconds` ago (as a killed worker leaves it)."""
    type(record).objects.filter(pk=record.pk).update(
        status=status, updated_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    record.refresh_from_db()
    return record


def queued_tasks(task_name: str) -> list[str]:
    """The record ids a task is waiting in the queue for."""
    rows = DBTaskResult.objects.ready().filter(task_path__endswith=f".{task_name}")
    return [row.args_kwargs["args"][0] for row in rows]


def recovered_ids() -> set[str]:
    return set(AuditEntry.objects.filter(action=ACTION).values_list("target_id", flat=True))


@pytest.fixture
def records(trust, analyst):
    """An upload, a metric run and a report, each created as the services create them."""

    def make(run_status=MetricRun.Status.DONE):
        upload = ExtractUpload.objects.create(
            organisation=trust, uploaded_by=analyst, files=[{"name": "population.csv", "bytes": 1}]
        )
        run = MetricRun.objects.create(
            organisation=trust, dataset_number=1, status=run_status, started_by_system="import"
        )
        latest = Report.objects.filter(organisation=trust).count()
        report = Report.objects.create(
            organisation=trust,
            kind=Report.Kind.BOARD,
            run=run,
            period="2024/25",
            period_start="2024-04-01",
            period_end="2025-03-31",
            version=latest + 1,
            created_by=analyst,
        )
        return upload, run, report

    return make


# Interrupted: the lease ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_running_job_is_interrupted_only_once_its_record_is_older_than_the_lease(
    records, settings
):
    settings.JOB_LEASE_SECONDS = 60
    upload, run, report = records()
    set_state(upload, ExtractUpload.Status.VALIDATING)
    set_state(run, MetricRun.Status.RUNNING)
    set_state(report, Report.Status.RUNNING)
    for record in (upload, run, report):
        touched = record.updated_at
        lease_ends = touched + timedelta(seconds=60)
        assert not jobs.is_interrupted(record, now=touched)
        assert not jobs.is_interrupted(record, now=lease_ends)  # exactly the lease: still alive
        assert jobs.is_interrupted(record, now=lease_ends + timedelta(microseconds=1))
        model = type(record)
        assert list(jobs.interrupted(model, now=lease_ends)) == []
        assert list(jobs.interrupted(model, now=lease_ends + timedelta(seconds=1))) == [record]


@pytest.mark.django_db
def test_waiting_and_finished_jobs_are_never_interrupted_however_old(records):
    upload, run, report = records()
    later = timezone.now() + timedelta(days=30)
    for record, statuses in (
        (upload, ["received", "valid", "invalid", "failed"]),
        (run, ["queued", "done", "failed"]),
        (report, ["queued", "done", "failed"]),
    ):
        for status in statuses:
            set_state(record, status, age_seconds=3600)
            assert not jobs.is_interrupted(record, now=later), status
            assert not jobs.interrupted(type(record), now=later).exists(), status


@pytest.mark.django_db
def test_recovery_requeues_exactly_the_stale_jobs_audits_each_and_is_safe_to_repeat(
    records, settings, trust
):
    settings.JOB_LEASE_SECONDS = 60
    stale_upload, stale_run, stale_report = records()
    fresh_upload, fresh_run, fresh_report = records()
    old_waiting, old_done, _report = records()
    set_state(stale_upload, "validating", age_seconds=61)
    set_state(stale_run, "running", age_seconds=61)
    set_state(stale_report, "running", age_seconds=61)
    set_state(fresh_upload, "validating", age_seconds=55)
    set_state(fresh_run, "running", age_seconds=55)
    set_state(fresh_report, "running", age_seconds=55)
    set_state(old_waiting, "received", age_seconds=3600)
    tasks.validate_extract.enqueue(str(old_waiting.pk))  # waiting its turn behind a long queue
    set_state(old_done, "done", age_seconds=3600)
    MetricRun.objects.filter(pk=stale_run.pk).update(
        progress_text="DQ1 2024/25", progress_done=7, result_rows=12
    )
    Report.objects.filter(pk=stale_report.pk).update(progress_text="Making the PDF")

    assert jobs.recover_interrupted() == {"extract": 1, "metric_run": 1, "report": 1}

    for record, waiting in ((stale_upload, "received"), (stale_run, "queued")):
        record.refresh_from_db()
        assert record.status == waiting
        assert not jobs.is_interrupted(record)
    stale_run.refresh_from_db()
    assert (stale_run.progress_text, stale_run.progress_done, stale_run.result_rows) == ("", 0, 0)
    stale_report.refresh_from_db()
    assert (stale_report.status, stale_report.progress_text) == ("queued", "")
    for record, status in (
        (fresh_upload, "validating"),
        (fresh_run, "running"),
        (fresh_report, "running"),
        (old_waiting, "received"),
        (old_done, "done"),
    ):
        record.refresh_from_db()
        assert record.status == status

    stale = {str(stale_upload.pk), str(stale_run.pk), str(stale_report.pk)}
    assert recovered_ids() == stale
    entries = AuditEntry.objects.filter(action=ACTION)
    assert {(entry.system_actor, entry.organisation_id) for entry in entries} == {
        ("worker", trust.pk)
    }
    run_entry = entries.get(target_id=str(stale_run.pk))
    assert run_entry.context == {"job": "metric_run", "stopped_at": "DQ1 2024/25"}
    assert queued_tasks("validate_extract") == [str(old_waiting.pk), str(stale_upload.pk)]
    assert queued_tasks("compute_metrics") == [str(stale_run.pk)]
    assert queued_tasks("build_report") == [str(stale_report.pk)]

    # Again, at once: nothing is interrupted any more, so nothing is queued twice.
    assert jobs.recover_interrupted() == {"extract": 0, "metric_run": 0, "report": 0}
    assert AuditEntry.objects.filter(action=ACTION).count() == 3
    assert len(queued_tasks("validate_extract")) == 2


# The queue's own rows: a killed attempt's row, and a worker killed as it took the row -------

TASKS = {ExtractUpload: tasks.validate_extract, MetricRun: tasks.compute_metrics}
TASKS[Report] = tasks.build_report
WAITING = {ExtractUpload: "received", MetricRun: "queued", Report: "queued"}
ACTIVE = {ExtractUpload: "validating", MetricRun: "running", Report: "running"}


def rows_of(record) -> list[DBTaskResult]:
    """The record's rows in the queue table (picked out here, not by the code under test)."""
    return [
        row for row in DBTaskResult.objects.all() if row.args_kwargs["args"] == [str(record.pk)]
    ]


def statuses(record) -> dict[str, int]:
    """How many of the record's queue rows are in each status."""
    found: dict[str, int] = {}
    for row in rows_of(record):
        found[row.status] = found.get(row.status, 0) + 1
    return found


def enqueue(record) -> DBTaskResult:
    """Queue the record's job as the services do (a READY row)."""
    TASKS[type(record)].enqueue(str(record.pk))
    (row,) = [row for row in rows_of(record) if row.status == "READY"]
    return row


def taken(row: DBTaskResult, *, age_seconds: float) -> DBTaskResult:
    """What a worker that took the row leaves if killed: RUNNING, taken `age_seconds` ago."""
    row.claim("killed-worker")
    started = timezone.now() - timedelta(seconds=age_seconds)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=started)
    row.refresh_from_db()
    return row


def snapshot(*records):
    """Everything recovery could change: the queue, the audit log and the records."""
    queue = sorted((str(row.pk), row.status, row.finished_at) for row in DBTaskResult.objects.all())
    for record in records:
        record.refresh_from_db()
    states = [(record.status, record.updated_at) for record in records]
    return queue, AuditEntry.objects.filter(action=ACTION).count(), states


def assert_closed_as_stopped(row: DBTaskResult) -> None:
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert row.finished_at is not None and row.finished_at >= row.started_at
    assert row.exception_class_path == "pcref.insights.jobs.WorkerStopped"
    assert "worker stopped part way" in row.traceback
    assert row.worker_ids == ["killed-worker"]


@pytest.mark.django_db
def test_a_recovered_job_s_killed_queue_row_is_failed_and_exactly_one_new_row_waits(
    records, analyst, settings
):
    lease = settings.JOB_LEASE_SECONDS
    upload, run, report = records()
    alive_upload, _run, _report = records()
    run = MetricRun.objects.create(
        organisation=run.organisation, dataset_number=1, started_by_system="import"
    )
    killed = {}
    for record in (upload, run, report):
        killed[record.pk] = taken(enqueue(record), age_seconds=lease + 5)
        set_state(record, ACTIVE[type(record)], age_seconds=lease + 5)
    alive_row = taken(enqueue(alive_upload), age_seconds=lease - 5)
    set_state(alive_upload, "validating", age_seconds=1)

    # The worker puts back the upload and the run; the report's page button puts back the report.
    assert jobs.restart(report, by=analyst)
    assert jobs.recover_interrupted() == {"extract": 1, "metric_run": 1, "report": 0}

    for record in (upload, run, report):
        assert statuses(record) == {"FAILED": 1, "READY": 1}
        assert_closed_as_stopped(killed[record.pk])
        record.refresh_from_db()
        assert record.status == WAITING[type(record)]
    alive_row.refresh_from_db()
    assert (alive_row.status, alive_row.finished_at) == ("RUNNING", None)
    assert statuses(alive_upload) == {"RUNNING": 1}

    before = snapshot(upload, run, report, alive_upload)
    assert jobs.recover_interrupted() == {"extract": 0, "metric_run": 0, "report": 0}
    assert snapshot(upload, run, report, alive_upload) == before


@pytest.mark.django_db
def test_a_job_whose_worker_was_killed_as_it_took_the_queue_row_is_queued_again_once(
    records, settings, trust
):
    """Killed between taking the row and the job's first step: the record still waits, its
    only row is RUNNING (or was lost), and nothing would ever run it."""
    lease = settings.JOB_LEASE_SECONDS
    upload, _run, report = records()
    run = MetricRun.objects.create(organisation=trust, dataset_number=1, started_by_system="import")
    killed = {
        upload.pk: taken(enqueue(upload), age_seconds=lease + 5),
        report.pk: taken(enqueue(report), age_seconds=lease + 5),
    }
    for record in (upload, run, report):  # the run's row is gone altogether
        set_state(record, WAITING[type(record)], age_seconds=lease + 5)
        assert not jobs.is_interrupted(record)  # its page has nothing to say: it is waiting

    assert jobs.recover_interrupted() == {"extract": 1, "metric_run": 1, "report": 1}

    for record in (upload, report):
        assert statuses(record) == {"FAILED": 1, "READY": 1}
        assert_closed_as_stopped(killed[record.pk])
    assert statuses(run) == {"READY": 1}
    for record in (upload, run, report):
        record.refresh_from_db()
        assert record.status == WAITING[type(record)]
        entry = AuditEntry.objects.get(action=ACTION, target_id=str(record.pk))
        assert (entry.system_actor, entry.organisation_id) == ("worker", trust.pk)
        assert entry.context == {"job": jobs.KINDS[type(record)], "started": False}
        assert entry.changes == {}  # it waited, and waits again

    # Again, at once, and once more a lease later with the new rows still waiting: no change.
    before = snapshot(upload, run, report)
    assert jobs.recover_interrupted() == {"extract": 0, "metric_run": 0, "report": 0}
    later = timezone.now() + timedelta(seconds=lease * 3)
    assert jobs.recover_interrupted(now=later) == {"extract": 0, "metric_run": 0, "report": 0}
    assert snapshot(upload, run, report) == before


@pytest.mark.django_db
def test_a_waiting_job_whose_queue_row_may_still_run_it_is_left_alone(records, settings, trust):
    lease = settings.JOB_LEASE_SECONDS
    upload, _run, report = records()
    run = MetricRun.objects.create(organisation=trust, dataset_number=1, started_by_system="import")
    # Long in the queue behind other jobs, its row waiting its turn.
    enqueue(upload)
    set_state(upload, "received", age_seconds=3600)
    # A worker has just taken its row and is about to start it.
    just_taken = taken(enqueue(run), age_seconds=lease - 5)
    set_state(run, "queued", age_seconds=3600)
    # Waiting, with a row READY beside a dead one: the READY one will run it.
    dead = taken(enqueue(report), age_seconds=3600)
    enqueue(report)
    set_state(report, "queued", age_seconds=3600)
    # Just made (and never queued): within the lease, never touched.
    fresh_upload, _fresh_run, fresh_report = records()
    before = snapshot(upload, run, report, fresh_upload, fresh_report)

    assert jobs.recover_interrupted() == {"extract": 0, "metric_run": 0, "report": 0}

    assert snapshot(upload, run, report, fresh_upload, fresh_report) == before
    assert statuses(upload) == {"READY": 1}
    assert statuses(run) == {"RUNNING": 1}
    assert statuses(report) == {"RUNNING": 1, "READY": 1}
    for row in (just_taken, dead):
        row.refresh_from_db()
        assert (row.status, row.finished_at) == ("RUNNING", None)
    assert not AuditEntry.objects.filter(action=ACTION).exists()


@pytest.mark.django_db(transaction=True)
def test_a_check_whose_worker_was_killed_as_it_took_the_row_is_run_by_the_next_worker(
    analyst, good_extract, run_worker, settings
):
    """The state made for real: the upload service queues the check; the killed worker had
    taken the row long ago and never started; the real worker then runs it once."""
    lease = settings.JOB_LEASE_SECONDS
    upload = receive(good_extract, analyst)
    (row,) = rows_of(upload)
    killed = taken(row, age_seconds=lease + 5)
    set_state(upload, "received", age_seconds=lease + 5)

    assert jobs.recover_interrupted() == {"extract": 1, "metric_run": 0, "report": 0}
    assert statuses(upload) == {"FAILED": 1, "READY": 1}
    assert_closed_as_stopped(killed)
    assert jobs.recover_interrupted() == {"extract": 0, "metric_run": 0, "report": 0}
    assert AuditEntry.objects.filter(action=ACTION).count() == 1

    run_worker()

    upload.refresh_from_db()
    assert upload.status == "valid", upload.failure
    assert statuses(upload) == {"FAILED": 1, "SUCCESSFUL": 1}
    run = MetricRun.objects.get()
    assert (run.status, run.upload_id) == ("done", upload.pk), run.failure
    assert statuses(run) == {"SUCCESSFUL": 1}
    assert jobs.recover_interrupted() == {"extract": 0, "metric_run": 0, "report": 0}


# What a killed attempt leaves is removed; running again makes exactly one of everything ------


@pytest.mark.django_db(transaction=True)
def test_a_check_killed_after_writing_its_dataset_version_runs_again_into_one_version(
    analyst, trust, good_extract, run_worker, settings
):
    """The worst moment: the version was renamed into place, but the worker died before the
    upload recorded it. The unrecorded version goes; the check runs again on the files."""
    upload = receive(good_extract, analyst)
    DBTaskResult.objects.all().delete()  # the worker that took this job is the one killed
    folder = files.upload_dir(upload)
    datasets = files.datasets_dir(trust)
    # What the killed check had done: DuckDB's spill folder, part of its report, the version.
    (folder / "work").mkdir()
    (folder / "work" / "duckdb.tmp").write_bytes(b"spill")
    (folder / "report").mkdir()
    (folder / "report" / "report.csv").write_text("half")
    assert ingest(folder / "extract", datasets, threads=1).ok
    # ... and a hidden half-built version of an even earlier attempt.
    half_built = datasets / ".ingest-killed"
    half_built.mkdir()
    (half_built / "population.parquet").write_bytes(b"half")
    long_ago = time.time() - 3600
    os.utime(half_built / "population.parquet", (long_ago, long_ago))
    os.utime(half_built, (long_ago, long_ago))
    set_state(upload, "validating", age_seconds=settings.JOB_LEASE_SECONDS + 1)
    uploaded = sorted(path.name for path in (folder / "extract").iterdir())

    assert jobs.recover_interrupted()["extract"] == 1

    assert list_datasets(datasets) == []
    assert not half_built.exists()
    assert not (folder / "work").exists() and not (folder / "report").exists()
    assert sorted(path.name for path in (folder / "extract").iterdir()) == uploaded

    run_worker()

    upload.refresh_from_db()
    assert upload.status == "valid", upload.failure
    assert [version.number for version in list_datasets(datasets)] == [upload.dataset_number]
    assert not (folder / "extract").exists()  # deleted once the outcome is saved
    run = MetricRun.objects.get()
    assert (run.status, run.dataset_number) == ("done", upload.dataset_number)


@pytest.mark.django_db(transaction=True)
def test_a_population_file_check_killed_after_taking_the_other_tables_runs_again(
    analyst, trust, good_extract, run_worker, settings, tmp_path
):
    """A population file alone is checked with the other tables of the latest version put
    beside it (linked, not copied): those go again, and the check runs again once."""
    receive(good_extract, analyst)
    run_worker()
    population = tmp_path / "new"
    population.mkdir()
    shutil.copy(good_extract / "population.csv", population)
    upload = receive(population, analyst)
    assert upload.based_on_dataset == 1
    DBTaskResult.objects.all().delete()
    extract = files.upload_dir(upload) / "extract"
    version = list_datasets(files.datasets_dir(trust))[0]
    carried = files.carry_over_tables(version, extract, uploaded={"population"})
    assert carried
    set_state(upload, "validating", age_seconds=settings.JOB_LEASE_SECONDS + 1)

    assert jobs.recover_interrupted()["extract"] == 1
    assert sorted(path.name for path in extract.iterdir()) == ["population.csv"]
    run_worker()

    upload.refresh_from_db()
    assert (upload.status, upload.dataset_number) == ("valid", 2), upload.failure
    assert [found.number for found in list_datasets(files.datasets_dir(trust))] == [1, 2]
    assert MetricRun.objects.filter(status="done").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_report_killed_after_moving_its_folder_into_place_is_made_again_into_that_folder(
    analyst, trust, finished_run, run_worker, settings
):
    period = reports.run_periods(finished_run)[-1]
    report = reports.queue_report(
        organisation=trust, kind="board", run=finished_run, period=period, by=analyst
    )
    DBTaskResult.objects.all().delete()
    for folder in (scratch_dir(report), report_dir(report)):
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("half")
    set_state(report, "running", age_seconds=settings.JOB_LEASE_SECONDS + 1)

    assert jobs.recover_interrupted()["report"] == 1
    assert not scratch_dir(report).exists() and not report_dir(report).exists()
    run_worker()

    report.refresh_from_db()
    assert report.status == "done", report.failure
    assert Path(report.pdf_path).parent == report_dir(report)
    assert Path(report.pdf_path).read_bytes().startswith(b"%PDF")
    assert "half" not in Path(report.html_path).read_text()


# The heartbeat -------------------------------------------------------------------------------


def heartbeat_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("heartbeat-")]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_slow_job_alive_and_stops_with_it(records, settings):
    settings.JOB_HEARTBEAT_SECONDS = 0.1
    upload, run, report = records()
    set_state(upload, "validating", age_seconds=3600)
    set_state(report, "done", age_seconds=3600)
    stale, finished_at = upload.updated_at, report.updated_at

    with jobs.heartbeat(ExtractUpload, upload.pk):
        time.sleep(0.6)  # a long step that writes no progress
    upload.refresh_from_db()
    assert upload.updated_at > stale
    assert not jobs.is_interrupted(upload)
    assert heartbeat_threads() == []

    # A finished job is never touched (nor revived), and a failing job stops its heartbeat.
    with pytest.raises(RuntimeError), jobs.heartbeat(Report, report.pk):
        time.sleep(0.3)
        raise RuntimeError("the job failed")
    report.refresh_from_db()
    assert report.updated_at == finished_at
    assert heartbeat_threads() == []


# The staff pages -----------------------------------------------------------------------------


def pages(upload, run, report):
    return [
        (upload, "insights_staff:upload", "insights_staff:upload_restart", "received"),
        (run, "insights_staff:run", "insights_staff:run_restart", "queued"),
        (report, "insights_staff:report_detail", "insights_staff:report_restart", "queued"),
    ]


@pytest.mark.django_db
def test_an_interrupted_job_says_so_and_its_button_starts_it_again(
    records, analyst, signed_in, settings
):
    client = signed_in(analyst)
    upload, run, report = records(run_status=MetricRun.Status.DONE)
    running_run = MetricRun.objects.create(
        organisation=run.organisation, dataset_number=1, started_by_system="import"
    )
    set_state(upload, "validating", age_seconds=settings.JOB_LEASE_SECONDS + 5)
    set_state(running_run, "running", age_seconds=settings.JOB_LEASE_SECONDS + 5)
    set_state(report, "running", age_seconds=settings.JOB_LEASE_SECONDS + 5)
    for record, page, restart, waiting in pages(upload, running_run, report):
        address = reverse(restart, args=[record.pk])
        body = client.get(reverse(page, args=[record.pk])).content.decode()
        assert STOPPED in body, page
        assert "It will start again by itself" in body
        assert f'action="{address}"' in body and "Start it again now" in body

        response = client.post(address)

        assert response.status_code == 302
        assert response["Location"] == reverse(page, args=[record.pk])
        record.refresh_from_db()
        assert record.status == waiting
        entry = AuditEntry.objects.get(action=ACTION, target_id=str(record.pk))
        assert entry.actor == analyst and entry.system_actor == ""
        after = client.get(response["Location"]).content.decode()
        assert "Started again" in after and STOPPED not in after
    assert queued_tasks("validate_extract") == [str(upload.pk)]
    assert queued_tasks("compute_metrics") == [str(running_run.pk)]
    assert queued_tasks("build_report") == [str(report.pk)]


@pytest.mark.django_db
def test_a_job_still_alive_is_not_started_twice_and_says_nothing_of_stopping(
    records, analyst, signed_in, settings
):
    client = signed_in(analyst)
    upload, _run, report = records()
    running_run = MetricRun.objects.create(
        organisation=upload.organisation, dataset_number=1, started_by_system="import"
    )
    set_state(upload, "validating", age_seconds=1)
    set_state(running_run, "running", age_seconds=1)
    set_state(report, "running", age_seconds=1)
    for record, page, restart, _waiting in pages(upload, running_run, report):
        body = client.get(reverse(page, args=[record.pk])).content.decode()
        assert STOPPED not in body
        assert reverse(restart, args=[record.pk]) not in body
        response = client.post(reverse(restart, args=[record.pk]))
        assert response.status_code == 302
        record.refresh_from_db()
        assert record.status == ("validating" if record is upload else "running")
        followed = client.get(response["Location"]).content.decode()
        assert "nothing to start again" in followed
    assert not AuditEntry.objects.filter(action=ACTION).exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_only_those_who_may_make_a_report_may_start_it_again(
    records, trust, make_staff, signed_in, settings
):
    _upload, _run, report = records()
    set_state(report, "running", age_seconds=settings.JOB_LEASE_SECONDS + 5)
    board = signed_in(make_staff(trust, Role.BOARD_VIEWER, username="board"))
    body = board.get(reverse("insights_staff:report_detail", args=[report.pk])).content.decode()
    assert STOPPED in body and "Start it again now" not in body
    assert board.post(reverse("insights_staff:report_restart", args=[report.pk])).status_code == 403
    report.refresh_from_db()
    assert report.status == "running"
    assert not AuditEntry.objects.filter(action=ACTION).exists()


# The real fault: SIGKILL a worker process mid-job --------------------------------------------

needs_shared_database = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="a worker process cannot share SQLite's in-memory test database; runs on PostgreSQL",
)
WAIT_SECONDS = 120


def database_url() -> str:
    database = connection.settings_dict
    user = database["USER"] or ""
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    at = f"{user}{password}@" if user else ""
    host = database["HOST"] or "localhost"
    port = f":{database['PORT']}" if database["PORT"] else ""
    return f"postgres://{at}{host}{port}/{database['NAME']}"


@pytest.fixture
def start_worker(settings, tmp_path):
    """start_worker(): a real `pcref worker` process on the test database and the test's
    insights folder, with a 2-second lease. Every one started is killed at the end."""
    started = []
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pcref.settings",
        "DATABASE_URL": database_url(),
        "PCREF_VAR_DIR": str(tmp_path / "var"),
        "PCREF_INSIGHTS_DIR": str(settings.INSIGHTS_DIR),
        "PCREF_INSIGHTS_MEMORY_LIMIT": "500MB",
        "PCREF_JOB_LEASE_SECONDS": "2",
        "PCREF_JOB_HEARTBEAT_SECONDS": "0.5",
    }

    def start() -> subprocess.Popen:
        with (tmp_path / f"worker-{len(started)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "pcref.cli", "worker", "--interval", "0.2"],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def wait_for(record, check, what: str, worker=None):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        record.refresh_from_db()
        if check(record):
            return record
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) before {what}")
        time.sleep(0.02)
    pytest.fail(f"no {what} within {WAIT_SECONDS} s; status {record.status}")


@needs_shared_database
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_check_and_mid_report_leaves_nothing_stuck(
    analyst, trust, start_worker, write_extract, tmp_path
):
    # An extract big enough that checking it takes a few seconds.
    extract = write_extract(tmp_path / "extract", people=100_000, seed=5)
    upload = receive(extract, analyst)
    shutil.rmtree(extract)

    first = start_worker()
    wait_for(upload, lambda u: u.status == "validating", "check started", first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    upload.refresh_from_db()
    assert upload.status == "validating"  # killed mid-check: stuck until recovered

    second = start_worker()
    wait_for(upload, lambda u: u.status not in ("received", "validating"), "check", second)
    assert upload.status == "valid", upload.failure
    versions = list_datasets(files.datasets_dir(trust))
    assert [version.number for version in versions] == [upload.dataset_number]
    assert not [path for path in versions[0].path.parent.iterdir() if path.name.startswith(".")]
    run = wait_for(
        MetricRun.objects.get(upload=upload), lambda r: not r.is_running, "metric run", second
    )
    assert run.status == "done", run.failure
    assert MetricRun.objects.count() == 1
    assert not (files.upload_dir(upload) / "extract").exists()  # gone before the run started
    assert sorted(path.name for path in files.results_dir(run).iterdir()) == [
        "results.csv",
        "results.parquet",
    ]
    # Put back once, when killed: the heartbeat kept the second worker's own jobs alive.
    assert AuditEntry.objects.filter(action=ACTION).count() == 1
    assert str(upload.pk) in recovered_ids()

    # A board report on that run: kill the worker while it is being made.
    second.send_signal(signal.SIGKILL)
    second.wait(timeout=30)
    report = reports.queue_report(
        organisation=trust,
        kind="board",
        run=run,
        period=reports.run_periods(run)[-1],
        by=analyst,
    )
    third = start_worker()
    wait_for(report, lambda r: r.status == "running", "report started", third)
    third.send_signal(signal.SIGKILL)
    third.wait(timeout=30)
    report.refresh_from_db()
    assert report.status == "running"

    fourth = start_worker()
    wait_for(report, lambda r: not r.is_running, "report", fourth)
    assert report.status == "done", report.failure
    folder = report_dir(report)
    assert Path(report.pdf_path).parent == folder
    assert sorted(path.name for path in folder.parent.iterdir()) == [folder.name]
    assert Path(report.pdf_path).read_bytes().startswith(b"%PDF")
    assert recovered_ids() == {str(upload.pk), str(report.pk)}
    assert AuditEntry.objects.filter(action=ACTION).count() == 2
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_the_uploaded_files_of_a_check_killed_after_its_outcome_was_saved_are_removed(
    records, settings
):
    """A worker killed between saving a check's outcome and deleting the uploaded files left
    patient-level data behind; the recovery run removes it, and only it."""
    settings.JOB_LEASE_SECONDS = 60
    uploads = {}
    for status, age in (("valid", 3600), ("invalid", 3600), ("failed", 3600), ("valid", 5)):
        upload = records()[0]
        extract = files.upload_dir(upload) / "extract"
        extract.mkdir(parents=True)
        (extract / "mhs001_patients.csv").write_text("person_id\nP1\n")
        set_state(upload, status, age_seconds=age)
        uploads[upload.pk] = (status, age, extract)
    waiting = records()[0]  # not checked yet: its files are what the check will read
    waiting_extract = files.upload_dir(waiting) / "extract"
    waiting_extract.mkdir(parents=True)
    set_state(waiting, ExtractUpload.Status.RECEIVED, age_seconds=3600)

    assert jobs.remove_leftover_extracts() == 3
    for status, age, extract in uploads.values():
        assert extract.exists() == (age < 60), (status, age)  # a check just finished: wait
    assert waiting_extract.exists()
    assert jobs.remove_leftover_extracts() == 0


@pytest.mark.django_db
def test_the_queue_row_of_a_job_that_finished_as_its_worker_was_killed_is_closed(records, settings):
    """Killed after saving the job's outcome, before closing its queue row: the row would say
    RUNNING for ever. A lease after the job finished it is closed, and nothing else changes."""
    lease = settings.JOB_LEASE_SECONDS
    upload, run, report = records()
    killed = {}
    for record, outcome in ((upload, "valid"), (run, "done"), (report, "failed")):
        killed[record.pk] = taken(enqueue(record), age_seconds=lease + 30)
        set_state(record, outcome, age_seconds=lease + 5)
    # Finished just now: its worker may still be closing the row.
    just_done = records()[0]
    just_done_row = taken(enqueue(just_done), age_seconds=lease + 30)
    set_state(just_done, "invalid", age_seconds=1)
    # Still running, or still waiting for a worker: never this sweep's business.
    running = records()[0]
    running_row = taken(enqueue(running), age_seconds=lease + 30)
    set_state(running, "validating", age_seconds=1)
    waiting_row = enqueue(records()[1])
    # A row naming no record of ours (not a key at all) is left as it is.
    tasks.validate_extract.enqueue("not-a-key")
    stray = taken(DBTaskResult.objects.get(args_kwargs__args=["not-a-key"]), age_seconds=3600)
    audited = AuditEntry.objects.count()

    assert jobs.close_finished_rows() == 3

    for record in (upload, run, report):
        (row,) = rows_of(record)
        assert row.pk == killed[record.pk].pk
        assert row.status == "FAILED" and row.finished_at is not None
        assert row.exception_class_path == "pcref.insights.jobs.WorkerStopped"
        assert "after the job finished" in row.traceback
        before = record.status
        record.refresh_from_db()
        assert record.status == before  # the outcome stands
    for row, status in ((just_done_row, "RUNNING"), (running_row, "RUNNING")):
        row.refresh_from_db()
        assert (row.status, row.finished_at) == (status, None)
    waiting_row.refresh_from_db()
    stray.refresh_from_db()
    assert (waiting_row.status, stray.status) == ("READY", "RUNNING")
    assert AuditEntry.objects.count() == audited  # no job was put back
    assert jobs.close_finished_rows() == 0
    later = timezone.now() + timedelta(seconds=lease * 2)
    assert jobs.close_finished_rows(now=later) == 1  # the one that had just finished
