"""Every change to uploads and metric runs goes through here, and each one writes the audit log.

A request only stores the files and queues work (`receive_upload`); the worker validates
(`validate_upload`) and computes (`compute_metrics`), reporting progress on the records.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections import Counter

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pcref.core import audit, storage
from pcref.insights import files
from pcref.insights.models import ExtractUpload, MetricRun
from pcref.insights.rules import Perm

logger = logging.getLogger(__name__)

IMPORT_ACTOR, METRIC_RUN_ACTOR = "import", "metric-run"
POPULATION = "population"  # the table a population-only upload holds
PROGRESS_EVERY_SECONDS = 0.5  # progress is written at most this often, and at the end


def receive_upload(uploaded_files, *, by) -> ExtractUpload:
    """Store an analyst's extract files and queue their check. Refused files leave nothing.

    An upload of the population file alone is combined with the other tables of the
    organisation's latest dataset version (recorded as `based_on_dataset`); with no version yet
    it is refused.

    Raises:
        PermissionDenied: the person may not upload extracts.
        files.UploadRefused: naming the file or zip member refused, or a population file alone
            with no dataset version to join.
    """
    if not by.has_perm(Perm.UPLOAD_EXTRACTS, by.organisation):
        raise PermissionDenied
    from pcref.insights import tasks

    upload = ExtractUpload(organisation=by.organisation, uploaded_by=by)
    folder = files.upload_dir(upload)
    try:
        received = files.save_files(uploaded_files, folder / "extract")
        upload.based_on_dataset = _population_base(upload.organisation, received)
        with transaction.atomic():
            upload.files = [{"name": f.name, "bytes": f.bytes} for f in received]
            upload.save()
            audit.record(
                action="insights.extract_uploaded",
                by=by,
                target=upload,
                after={"status": upload.status, "based_on_dataset": upload.based_on_dataset},
                context={"files": upload.files},
            )
            # In the same transaction: the queue row and the upload appear together or not at all.
            tasks.validate_extract.enqueue(str(upload.pk))
    except BaseException as error:
        shutil.rmtree(folder, ignore_errors=True)
        if storage.is_disk_full(error):
            raise files.UploadRefused(storage.no_room(_("these files"), error)) from error
        raise
    return upload


def _population_base(organisation, received) -> int | None:
    """For an upload of the population table only, the latest dataset version: its other
    tables go with the new population. None for any other upload.

    Raises:
        files.UploadRefused: a population file alone, and no dataset version to join.
    """
    from pcref.analytics.extract.load import list_datasets

    if {files.table_of(item.name) for item in received} != {POPULATION}:
        return None
    versions = list_datasets(files.datasets_dir(organisation))
    if not versions:
        raise files.UploadRefused(
            _(
                "A population file on its own cannot become a dataset: there is no earlier "
                "dataset version to take the other tables from. Upload the whole extract, with "
                "the population file, first."
            )
        )
    return versions[-1].number


class _ProgressWriter:
    """Writes a record's progress now and then, not on every step of a long run."""

    def __init__(self, model, pk):
        self.model, self.pk, self.last = model, pk, 0.0

    def write(self, force=False, **fields):
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_EVERY_SECONDS:
            self.last = now
            self.model.objects.filter(pk=self.pk).update(**fields, updated_at=timezone.now())


def validate_upload(upload_id) -> ExtractUpload:
    """Check an upload with the analytics engine; a valid one becomes a dataset version and
    queues a metric run. Called by the worker.

    A population-only upload (`based_on_dataset`) is checked, and stored, with the other tables
    of that dataset version put beside it, so the one ingest checks the whole dataset and its
    manifest says where the other tables came from."""
    from pcref.analytics.extract.load import ingest, open_dataset

    upload = ExtractUpload.objects.select_related("organisation").get(pk=upload_id)
    if upload.status != ExtractUpload.Status.RECEIVED:
        return upload  # already taken by another worker, or finished
    _change(upload, IMPORT_ACTOR, status=ExtractUpload.Status.VALIDATING, started_at=timezone.now())
    folder = files.upload_dir(upload)
    writer = _ProgressWriter(ExtractUpload, upload.pk)

    def progress(step, done, total):
        writer.write(progress_step=step[:200], progress_done=done, progress_total=total)

    try:
        (folder / "work").mkdir(parents=True, exist_ok=True)
        based_on = None
        if upload.based_on_dataset:
            version = open_dataset(files.datasets_dir(upload.organisation), upload.based_on_dataset)
            writer.write(
                force=True,
                progress_step=_("Taking the other tables from dataset version %(version)s")
                % {"version": version.name},
            )
            uploaded = {files.table_of(entry["name"]) for entry in upload.files}
            carried = files.carry_over_tables(version, folder / "extract", uploaded=uploaded)
            based_on = {"dataset": version.number, "name": version.name, "tables": carried}
        result = ingest(
            folder / "extract",
            files.datasets_dir(upload.organisation),
            progress=progress,
            memory_limit=settings.INSIGHTS_MEMORY_LIMIT,
            work_dir=folder / "work",
            report_dir=folder / "report",
            based_on=based_on,
        )
    except Exception as error:
        logger.exception("validating upload %s failed", upload.pk)
        _fail(upload, IMPORT_ACTOR, error)
        shutil.rmtree(folder / "extract", ignore_errors=True)
        shutil.rmtree(folder / "report", ignore_errors=True)  # report_path is never set then
        return upload
    finally:
        shutil.rmtree(folder / "work", ignore_errors=True)
    upload.refresh_from_db()
    report = result.report
    outcome = {
        "status": ExtractUpload.Status.VALID if result.ok else ExtractUpload.Status.INVALID,
        "error_count": report.error_count,
        "warning_count": report.warning_count,
        "report_path": str(folder / "report"),
        "row_count": sum(result.row_counts.values()),
        "dataset_number": result.dataset.number if result.ok else None,
        "progress_done": upload.progress_total,
        "finished_at": timezone.now(),
    }
    with transaction.atomic():
        _change(upload, IMPORT_ACTOR, **outcome)
        if result.ok:
            queue_metric_run(
                upload.organisation, result.dataset.number, upload=upload, by=IMPORT_ACTOR
            )
    # The extract is patient-level data: once checked, only the dataset version keeps it. It
    # goes only now, after the outcome is saved, so a check whose worker is killed part way can
    # run again on it (jobs.py).
    shutil.rmtree(folder / "extract", ignore_errors=True)
    return upload


def queue_metric_run(organisation, dataset_number: int, *, by, upload=None) -> MetricRun:
    """Queue the metric catalogue on a dataset version, by a person or the import."""
    from pcref.insights import tasks

    if not isinstance(by, str) and not by.has_perm(Perm.RUN_METRICS, organisation):
        raise PermissionDenied
    with transaction.atomic():
        run = MetricRun.objects.create(
            organisation=organisation,
            upload=upload,
            dataset_number=dataset_number,
            started_by=None if isinstance(by, str) else by,
            started_by_system=by if isinstance(by, str) else "",
        )
        audit.record(
            action="insights.metric_run_queued",
            by=by,
            target=run,
            after={"status": run.status, "dataset_number": dataset_number},
        )
        tasks.compute_metrics.enqueue(str(run.pk))
    return run


def compute_metrics(run_id) -> MetricRun:
    """Run every metric the dataset version supports; write results.parquet and results.csv.
    Called by the worker."""
    from pcref.analytics.engine import run_metrics, write_results
    from pcref.analytics.extract.load import open_dataset

    run = MetricRun.objects.select_related("organisation").get(pk=run_id)
    if run.status != MetricRun.Status.QUEUED:
        return run
    _change(run, METRIC_RUN_ACTOR, status=MetricRun.Status.RUNNING, started_at=timezone.now())
    writer = _ProgressWriter(MetricRun, run.pk)
    steps = {"done": 0}

    def progress(line):
        steps["done"] += 1
        writer.write(progress_text=str(line)[:200], progress_done=steps["done"])

    try:
        dataset = open_dataset(files.datasets_dir(run.organisation), run.dataset_number)
        table = run_metrics(dataset.path, progress=progress)
        out = files.results_dir(run)
        write_results(table, out)
    except Exception as error:
        logger.exception("metric run %s failed", run.pk)
        _fail(run, METRIC_RUN_ACTOR, error)
        shutil.rmtree(files.results_dir(run), ignore_errors=True)  # results_path is never set
        return run
    counts = Counter(
        zip(
            table.column("metric").to_pylist(), table.column("period_type").to_pylist(), strict=True
        )
    )
    summary = [
        {"metric": metric, "period_type": period_type, "rows": rows}
        for (metric, period_type), rows in sorted(counts.items())
    ]
    run.refresh_from_db()
    _change(
        run,
        METRIC_RUN_ACTOR,
        status=MetricRun.Status.DONE,
        results_path=str(out),
        result_rows=table.num_rows,
        summary=summary,
        progress_done=steps["done"],
        finished_at=timezone.now(),
    )
    return run


def _fail(record, actor, error) -> None:
    record.refresh_from_db()
    reason = f"{type(error).__name__}: {error}"[:500]
    if storage.is_disk_full(error):
        upload = isinstance(record, ExtractUpload)
        what = _("this upload as a dataset version") if upload else _("these metric results")
        reason = storage.no_room(what)
    _change(record, actor, status="failed", failure=reason, finished_at=timezone.now())


AUDITED_FIELDS = ("status", "dataset_number", "error_count", "warning_count", "result_rows")


@transaction.atomic
def _change(record, actor, **fields) -> None:
    """Save some fields of an upload or run, and audit the change of state."""
    before = {name: getattr(record, name) for name in AUDITED_FIELDS if hasattr(record, name)}
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(update_fields=[*fields, "updated_at"])
    after = {name: getattr(record, name) for name in AUDITED_FIELDS if hasattr(record, name)}
    kind = "extract" if isinstance(record, ExtractUpload) else "metric_run"
    audit.record(
        action=f"insights.{kind}_{record.status}",
        by=actor,
        target=record,
        before=before,
        after=after,
        context={"failure": record.failure} if record.failure else None,
    )
