"""Background jobs that outlive their worker (docs/operations.md, "If the worker stops").

While a job runs, `heartbeat` touches its record's `updated_at` every JOB_HEARTBEAT_SECONDS from
a thread of its own, so even a long step that writes no progress looks alive. A job still in
its running status whose record is older than JOB_LEASE_SECONDS lost its worker (killed, out of
memory, power cut): it is *interrupted*. `recover_interrupted` (run by `pcref worker` at start
and every lease period) and the staff pages' "Start it again now" (`restart`) put such a job back
in the queue, after removing whatever the killed attempt half-made, so running it again makes
exactly what one run makes: one dataset version, one set of results, one report folder.
The killed attempt's own queue row (django-tasks-db leaves it "RUNNING" for ever) is marked
failed in the same transaction.

A worker can also be killed after taking a job's queue row but before the job began (its record
still waiting): nothing would ever run it. `recover_interrupted` also puts back a record left
waiting for longer than the lease whose queue holds no row that could still run it (none
"READY", none "RUNNING" taken within the lease): it is *unstarted*.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from traceback import format_exception

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from pcref.core import audit
from pcref.insights import files
from pcref.insights.models import ExtractUpload, MetricRun, Report
from pcref.insights.rules import Perm

logger = logging.getLogger(__name__)

ACTOR = "worker"
ACTION = "insights.job_interrupted"
# The status a record has while its worker is on it, and the one that queues it again.
ACTIVE = {
    ExtractUpload: ExtractUpload.Status.VALIDATING,
    MetricRun: MetricRun.Status.RUNNING,
    Report: Report.Status.RUNNING,
}
WAITING = {
    ExtractUpload: ExtractUpload.Status.RECEIVED,
    MetricRun: MetricRun.Status.QUEUED,
    Report: Report.Status.QUEUED,
}
KINDS = {ExtractUpload: "extract", MetricRun: "metric_run", Report: "report"}
RESTART_PERMS = {
    ExtractUpload: Perm.UPLOAD_EXTRACTS,
    MetricRun: Perm.RUN_METRICS,
    Report: Perm.MAKE_REPORTS,
}
_STAGING_PREFIX = ".ingest-"  # pcref.analytics.extract.load builds a version in such a folder


class WorkerStopped(Exception):
    """Written on a queue row whose worker stopped part way (killed, out of memory, power cut):
    the job was put back in the queue with a new row."""


def task_of(model):
    """The background task that runs a record of `model` (pcref.insights.tasks)."""
    from pcref.insights import tasks

    return {
        ExtractUpload: tasks.validate_extract,
        MetricRun: tasks.compute_metrics,
        Report: tasks.build_report,
    }[model]


# Interrupted ---------------------------------------------------------------------------------


def lease_cutoff(now=None):
    """A running record last touched before this moment has lost its worker."""
    return (now or timezone.now()) - timedelta(seconds=settings.JOB_LEASE_SECONDS)


def interrupted(model, now=None):
    """The records of `model` whose job was stopped part way."""
    return model.objects.filter(status=ACTIVE[model], updated_at__lt=lease_cutoff(now))


def is_interrupted(record, now=None) -> bool:
    """Whether this upload, metric run or report was stopped part way by its worker."""
    return record.status == ACTIVE[type(record)] and record.updated_at < lease_cutoff(now)


# Unstarted: the worker was killed between taking the queue row and starting the job ----------


def unstarted(model, now=None) -> list:
    """The keys of the records of `model` waiting for longer than the lease with no queue row
    that could still run them. Empty when the queue is not django-tasks-db's table."""
    task = task_of(model)
    if not isinstance(task.get_backend(), DatabaseBackend):
        return []
    cutoff = lease_cutoff(now)
    waiting = model.objects.filter(status=WAITING[model], updated_at__lt=cutoff)
    keys = list(waiting.values_list("pk", flat=True))
    if not keys:
        return []
    live = DBTaskResult.objects.filter(
        task_path=task.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).only("status", "started_at", "enqueued_at", "args_kwargs")
    served = {tuple(row.args_kwargs.get("args", [])) for row in live if _alive(row, cutoff)}
    return [key for key in keys if (str(key),) not in served]


def _alive(row: DBTaskResult, cutoff) -> bool:
    """Whether a queue row may still run its job: waiting, or taken within the lease (the
    heartbeat touches the record only once the job has started)."""
    if row.status == TaskResultStatus.READY:
        return True
    return row.status == TaskResultStatus.RUNNING and (row.started_at or row.enqueued_at) >= cutoff


def queue_rows(model, pk):
    """The django-tasks-db queue rows of this record's job, in any status."""
    return DBTaskResult.objects.filter(
        task_path=task_of(model).module_path, args_kwargs__args=[str(pk)]
    )


def _put_back_by(by) -> str:
    """Why a killed attempt's queue row is failed when its job is put back in the queue."""
    by_whom = by if isinstance(by, str) else "a person on its page"
    return (
        "the worker stopped part way (killed, out of memory or power cut); the job was put "
        f"back in the queue by {by_whom}"
    )


FINISHED_BEFORE_CLOSING = (
    "the worker stopped after the job finished (its outcome is saved on its record), before "
    "closing this queue entry"
)


def _fail_dead_rows(model, pk, why: str) -> int:
    """Mark the record's "RUNNING" queue rows failed with `WorkerStopped(why)`: their worker
    stopped. Called only once none of them can be alive. Returns how many."""
    error = WorkerStopped(f"{why} (pcref.insights.jobs)")
    return (
        queue_rows(model, pk)
        .filter(status=TaskResultStatus.RUNNING)
        .update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path=f"{type(error).__module__}.{type(error).__qualname__}",
            traceback="".join(format_exception(error)),
            return_value=None,
        )
    )


def _enqueue_once(model, pk) -> None:
    """Queue the record's job, unless a queue row is already waiting to run it."""
    if not queue_rows(model, pk).filter(status=TaskResultStatus.READY).exists():
        task_of(model).enqueue(str(pk))


# The heartbeat -------------------------------------------------------------------------------


@contextmanager
def heartbeat(model, pk):
    """Touch the record's `updated_at` every JOB_HEARTBEAT_SECONDS while the block runs.

    The thread has its own database connection (closed when it ends) and touches the record
    only while it is in its running status, so it never revives a finished or failed job."""
    stop = threading.Event()
    beat = threading.Thread(
        target=_beat,
        args=(model, pk, stop, settings.JOB_HEARTBEAT_SECONDS),
        name=f"heartbeat-{KINDS[model]}-{pk}",
        daemon=True,
    )
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()


def _beat(model, pk, stop: threading.Event, every: float) -> None:
    try:
        while not stop.wait(every):
            try:
                model.objects.filter(pk=pk, status=ACTIVE[model]).update(updated_at=timezone.now())
            except DatabaseError:  # the database may be back at the next beat
                logger.warning("heartbeat of %s %s not written", KINDS[model], pk, exc_info=True)
                connection.close()
    finally:
        connection.close()


# Putting jobs back ---------------------------------------------------------------------------


def recover_interrupted(now=None) -> dict[str, int]:
    """Put every interrupted or unstarted upload, metric run and report back in the queue;
    returns how many of each kind ({"extract": 1, "metric_run": 0, "report": 0}).

    Safe to run from several workers at once: each record is taken under a row lock that the
    others skip, and checked again once locked."""
    counts = {}
    for model in ACTIVE:
        pks = list(interrupted(model, now).values_list("pk", flat=True))
        counts[KINDS[model]] = sum(_recover(model, pk, by=ACTOR, now=now) for pk in pks)
        counts[KINDS[model]] += sum(
            _requeue_unstarted(model, pk, now=now) for pk in unstarted(model, now)
        )
    if any(counts.values()):
        logger.warning("put back jobs whose worker stopped part way: %s", counts)
    return counts


def restart(record, *, by) -> bool:
    """Start an interrupted upload check, metric run or report again now, for a person on its
    page. False when it is not interrupted (any more): nothing is done.

    Raises:
        PermissionDenied: the person may not start this kind of job for the organisation.
    """
    if not by.has_perm(RESTART_PERMS[type(record)], record):
        raise PermissionDenied
    return _recover(type(record), record.pk, by=by)


def keep_recovering(stop: threading.Event) -> None:
    """`pcref worker`'s thread: recover at once, then every JOB_LEASE_SECONDS until `stop`."""
    try:
        while True:
            try:
                recover_interrupted()
                remove_leftover_extracts()
                close_finished_rows()
            except Exception:  # noqa: BLE001 - the database may be back next time
                logger.exception("putting back interrupted jobs failed")
                connection.close()
            if stop.wait(settings.JOB_LEASE_SECONDS):
                return
    finally:
        connection.close()


def _recover(model, pk, *, by, now=None) -> bool:
    with transaction.atomic():
        record = model.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if record is None or not is_interrupted(record, now):
            return False  # another worker has it, or it finished or moved on meanwhile
        before = {"status": record.status}
        stopped_at = record.progress_step if model is ExtractUpload else record.progress_text
        # Files first: if anything below fails, the job stays interrupted and the next attempt
        # cleans again (each step is safe to repeat).
        if model is ExtractUpload:
            _clean_upload(record)
            fields = {"progress_step": "", "progress_done": 0, "progress_total": 0}
        elif model is MetricRun:
            shutil.rmtree(files.results_dir(record), ignore_errors=True)
            fields = {"progress_text": "", "progress_done": 0, "results_path": "", "summary": []}
            fields["result_rows"] = 0
        else:
            _clean_report(record)
            fields = {"progress_text": ""}
        fields.update(status=WAITING[model], started_at=None)
        for name, value in fields.items():
            setattr(record, name, value)
        record.save(update_fields=[*fields, "updated_at"])
        audit.record(
            action=ACTION,
            by=by,
            target=record,
            before=before,
            after={"status": record.status},
            context={"job": KINDS[model], "stopped_at": stopped_at[:200]},
        )
        # In the same transaction: the record waits again, the killed attempt's queue row is
        # closed and the new one appears, together.
        _fail_dead_rows(model, record.pk, _put_back_by(by))
        _enqueue_once(model, record.pk)
    return True


def _requeue_unstarted(model, pk, *, now=None) -> bool:
    """Queue again a record whose worker was killed after taking its queue row, before the job
    began (nothing was made: no cleaning). Checked again under the record's lock."""
    with transaction.atomic():
        record = model.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        cutoff = lease_cutoff(now)
        if record is None or record.status != WAITING[model] or record.updated_at >= cutoff:
            return False  # another worker has it, or it started or was put back meanwhile
        rows = queue_rows(model, pk).filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        )
        if any(_alive(row, cutoff) for row in rows):
            return False
        record.save(update_fields=["updated_at"])  # waits afresh: not put back twice
        audit.record(
            action=ACTION,
            by=ACTOR,
            target=record,
            context={"job": KINDS[model], "started": False},  # it still waits: no change
        )
        _fail_dead_rows(model, record.pk, _put_back_by(ACTOR))
        _enqueue_once(model, record.pk)
    return True


FINISHED_UPLOADS = (
    ExtractUpload.Status.VALID,
    ExtractUpload.Status.INVALID,
    ExtractUpload.Status.FAILED,
)


def remove_leftover_extracts(now=None) -> int:
    """Remove the uploaded files of checks that finished more than a lease ago. A check deletes
    them itself once its outcome is saved; a worker killed between the two left them, and they
    are patient-level data that the dataset version (or nobody) keeps. Returns how many."""
    removed = 0
    finished = ExtractUpload.objects.filter(
        status__in=FINISHED_UPLOADS, updated_at__lt=lease_cutoff(now)
    ).select_related("organisation")
    for upload in finished.iterator():
        extract = files.upload_dir(upload) / "extract"
        if extract.exists():
            logger.warning("removing the uploaded files of finished check %s", upload.pk)
            shutil.rmtree(extract, ignore_errors=True)
            removed += 1
    return removed


def close_finished_rows(now=None) -> int:
    """Close the "RUNNING" queue rows of jobs that finished more than a lease ago: their worker
    was killed after saving the job's outcome and before closing the row, which django-tasks-db
    would then leave running, and never prune, for ever. Returns how many."""
    cutoff = lease_cutoff(now)
    closed = 0
    for model in ACTIVE:
        task = task_of(model)
        if not isinstance(task.get_backend(), DatabaseBackend):
            continue  # no queue table to tidy
        running = DBTaskResult.objects.filter(
            task_path=task.module_path, status=TaskResultStatus.RUNNING
        ).only("args_kwargs")
        keys = {_key(model, row.args_kwargs.get("args", [])) for row in running} - {None}
        finished = (
            model.objects.filter(pk__in=keys, updated_at__lt=cutoff)
            .exclude(status__in=[ACTIVE[model], WAITING[model]])
            .values_list("pk", flat=True)
        )
        for pk in finished:
            closed += _fail_dead_rows(model, pk, FINISHED_BEFORE_CLOSING)
    if closed:
        logger.warning(
            "closed %s queue entries of jobs that finished as their worker stopped", closed
        )
    return closed


def _key(model, args: list):
    """The record key a queue row's arguments name, or None for arguments no job of ours
    was queued with."""
    try:
        (given,) = args
        return model._meta.pk.to_python(given)
    except (ValueError, ValidationError):
        return None


def _clean_upload(upload: ExtractUpload) -> None:
    """Remove what a killed check of the upload left, keeping the uploaded files: DuckDB's
    spill files, the report, the tables carried over from an earlier version, and a dataset
    version (or a hidden half-built one) it wrote but never recorded."""
    from pcref.analytics.extract.load import list_datasets

    folder = files.upload_dir(upload)
    shutil.rmtree(folder / "work", ignore_errors=True)
    shutil.rmtree(folder / "report", ignore_errors=True)
    extract = folder / "extract"
    if upload.based_on_dataset and extract.is_dir():
        uploaded = {files.table_of(entry["name"]) for entry in upload.files}
        for path in extract.glob("*.parquet"):
            if files.table_of(path.name) not in uploaded:
                path.unlink()
    datasets = files.datasets_dir(upload.organisation)
    claimed = set(
        ExtractUpload.objects.filter(
            organisation=upload.organisation, dataset_number__isnull=False
        ).values_list("dataset_number", flat=True)
    )
    source = str(extract.resolve())
    for version in list_datasets(datasets):
        if version.manifest.get("source_dir") == source and version.number not in claimed:
            logger.warning("removing %s, written by a check that never finished", version.path)
            _remove_read_only(version.path)
    # A hidden folder of a version being built: only when no other check of the organisation
    # is alive, and nothing in it was written within the lease.
    alive = (
        ExtractUpload.objects.filter(
            organisation=upload.organisation,
            status=ExtractUpload.Status.VALIDATING,
            updated_at__gte=lease_cutoff(),
        )
        .exclude(pk=upload.pk)
        .exists()
    )
    if not alive and datasets.is_dir():
        oldest_allowed = time.time() - settings.JOB_LEASE_SECONDS
        for path in datasets.glob(f"{_STAGING_PREFIX}*"):
            if path.is_dir() and _last_written(path) < oldest_allowed:
                _remove_read_only(path)


def _clean_report(report: Report) -> None:
    """Remove a report's scratch folder and any version folder the killed attempt moved into
    place without recording it: the report is made again from the start."""
    from pcref.insights.reports.render import report_dir, scratch_dir

    shutil.rmtree(scratch_dir(report), ignore_errors=True)
    shutil.rmtree(report_dir(report), ignore_errors=True)


def _last_written(folder: Path) -> float:
    """When anything in the folder last changed (now, if it changes as we look)."""
    try:
        return max([folder.stat().st_mtime, *(path.stat().st_mtime for path in folder.iterdir())])
    except OSError:
        return time.time()


def _remove_read_only(folder: Path) -> None:
    """Remove a folder whose files and folder were made read-only (a dataset version)."""
    os.chmod(folder, stat.S_IRWXU)
    shutil.rmtree(folder, ignore_errors=True)
