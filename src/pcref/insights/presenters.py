"""View models for the insights pages: uploads, their reports, metric runs and the history."""

from __future__ import annotations

import json
from pathlib import Path

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcref.core.presenters import date_time
from pcref.insights.jobs import is_interrupted
from pcref.insights.models import ExtractUpload, MetricRun

UPLOAD_TAG_CLASSES = {
    ExtractUpload.Status.RECEIVED: "nhsuk-tag--grey",
    ExtractUpload.Status.VALIDATING: "nhsuk-tag--blue",
    ExtractUpload.Status.VALID: "nhsuk-tag--green",
    ExtractUpload.Status.INVALID: "nhsuk-tag--red",
    ExtractUpload.Status.FAILED: "nhsuk-tag--red",
}
RUN_TAG_CLASSES = {
    MetricRun.Status.QUEUED: "nhsuk-tag--grey",
    MetricRun.Status.RUNNING: "nhsuk-tag--blue",
    MetricRun.Status.DONE: "nhsuk-tag--green",
    MetricRun.Status.FAILED: "nhsuk-tag--red",
}
PERIOD_TYPES = {
    "financial_year": gettext_lazy("Financial year"),
    "quarter": gettext_lazy("Quarter"),
    "month": gettext_lazy("Month"),
}
# What each rule of the validation report means (pcref.analytics.extract.report.RULES).
RULE_LABELS = {
    "missing_table": gettext_lazy("A required table has no file"),
    "ambiguous_table": gettext_lazy("A table has both a CSV and a Parquet file"),
    "unknown_file": gettext_lazy("A file that is not an extract table; it is not loaded"),
    "empty_file": gettext_lazy("The file is empty"),
    "encoding": gettext_lazy("The file is not UTF-8 text"),
    "unreadable": gettext_lazy("The file cannot be read"),
    "malformed_row": gettext_lazy("A row has the wrong number of fields, or bad quoting"),
    "duplicate_column": gettext_lazy("The same column name appears twice"),
    "unnamed_column": gettext_lazy("A column has no name in the header row"),
    "missing_column": gettext_lazy("A required column is not in the file"),
    "unknown_column": gettext_lazy("A column that is not in the specification; it is not loaded"),
    "identifying_column": gettext_lazy(
        "A column name says it holds names, addresses or NHS numbers"
    ),
    "nhs_number": gettext_lazy("Most values in a column are valid NHS numbers"),
    "no_rows": gettext_lazy("The table has a header but no data rows"),
    "blank": gettext_lazy("A required value is blank"),
    "type": gettext_lazy("A value is not an integer, a number or a date (YYYY-MM-DD)"),
    "code": gettext_lazy("A value is not in the column's code list"),
    "date_range": gettext_lazy("A date is before 1900 or after the extract date"),
    "year_range": gettext_lazy("A year is before 1900 or after the extract date's year"),
    "negative": gettext_lazy("A count is negative"),
    "date_order": gettext_lazy("An end date is before its start date"),
    "foreign_key": gettext_lazy("A value refers to a row that is not in the table it points to"),
    "duplicate_key": gettext_lazy("A primary key value appears in more than one row"),
    "ethnicity_invalid": gettext_lazy("An ethnicity value is not an NHS ethnic category code"),
}


def _who(user, system: str = "") -> str:
    if user is not None:
        return user.get_full_name() or user.get_username()
    return _("the system (%(process)s)") % {"process": system}


def file_size(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{number_format(round(size / scale, 1))} {unit}"
    return _("%(bytes)s bytes") % {"bytes": number_format(size)}


def _progress(done: int, total: int, step: str) -> str:
    if total:
        return _("Step %(done)s of %(total)s: %(step)s") % {
            "done": done,
            "total": total,
            "step": step,
        }
    return step


class UploadPresenter:
    """One upload: its files, who and when, progress or outcome, and its metric runs."""

    def __init__(self, upload: ExtractUpload, runs: list[MetricRun]):
        self.pk = upload.pk
        self.is_running = upload.is_running
        self.interrupted = is_interrupted(upload)  # its worker stopped part way (jobs.py)
        self.status = upload.status
        self.status_tag = {
            "text": upload.get_status_display(),
            "classes": UPLOAD_TAG_CLASSES[upload.status],
        }
        self.who = _who(upload.uploaded_by)
        self.when = date_time(upload.created_at)
        self.files = [
            {"name": entry["name"], "size": file_size(entry["bytes"])} for entry in upload.files
        ]
        self.progress = _progress(upload.progress_done, upload.progress_total, upload.progress_step)
        self.percent = (
            round(100 * upload.progress_done / upload.progress_total)
            if upload.progress_total
            else 0
        )
        self.errors, self.warnings = upload.error_count, upload.warning_count
        self.rows = number_format(upload.row_count, force_grouping=True)
        self.dataset = f"v{upload.dataset_number:04d}" if upload.dataset_number else ""
        # A population-only upload: the version whose other tables go with the new population.
        self.based_on = f"v{upload.based_on_dataset:04d}" if upload.based_on_dataset else ""
        self.failure = upload.failure
        self.has_report = bool(upload.report_path)
        self.runs = [RunPresenter(run) for run in runs]
        self.anything_running = self.is_running or any(run.is_running for run in self.runs)


class RunPresenter:
    """One metric run: progress or outcome, and what it computed."""

    def __init__(self, run: MetricRun):
        self.pk = run.pk
        self.is_running = run.is_running
        self.interrupted = is_interrupted(run)
        self.status = run.status
        self.status_tag = {"text": run.get_status_display(), "classes": RUN_TAG_CLASSES[run.status]}
        self.dataset = f"v{run.dataset_number:04d}"
        self.who = _who(run.started_by, run.started_by_system)
        self.when = date_time(run.created_at)
        self.finished = date_time(run.finished_at)
        self.progress = (
            _("%(done)s steps done; now: %(step)s")
            % {"done": run.progress_done, "step": run.progress_text}
            if run.progress_text
            else ""
        )
        self.failure = run.failure
        self.result_rows = number_format(run.result_rows, force_grouping=True)
        self.metric_count = len({row["metric"] for row in run.summary})
        self.summary = [
            {
                "metric": row["metric"],
                "period_type": str(PERIOD_TYPES.get(row["period_type"], row["period_type"])),
                "rows": number_format(row["rows"], force_grouping=True),
            }
            for row in run.summary
        ]
        self.upload_pk = run.upload_id


class ReportPresenter:
    """The validation report, grouped by table, rule and column, each with its examples."""

    def __init__(self, upload: ExtractUpload):
        data = json.loads((Path(upload.report_path) / "report.json").read_text("utf-8"))
        self.errors, self.warnings = data["errors"], data["warnings"]
        self.max_examples = data["max_examples"]
        examples: dict[tuple, list] = {}
        for problem in data["problems"]:
            key = (problem["table"], problem["rule"], problem["column"])
            examples.setdefault(key, []).append(problem)
        self.groups = [
            {
                "table": group["table"],
                "rule": group["rule"],
                "rule_text": str(RULE_LABELS.get(group["rule"], group["rule"])),
                "column": group["column"],
                "is_error": group["severity"] == "error",
                "severity": _("Error") if group["severity"] == "error" else _("Warning"),
                "count": number_format(group["count"], force_grouping=True),
                "shown": len(examples.get((group["table"], group["rule"], group["column"]), [])),
                "more": group["count"]
                > len(examples.get((group["table"], group["rule"], group["column"]), [])),
                "examples": [
                    {
                        "row": "" if p["row"] is None else p["row"],
                        "value": "" if p["value"] is None else p["value"],
                        "message": p["message"],
                    }
                    for p in examples.get((group["table"], group["rule"], group["column"]), [])
                ],
            }
            for group in sorted(
                data["counts"], key=lambda g: (g["severity"] != "error", g["table"], g["rule"])
            )
        ]


class HistoryRow:
    """One line of the history: an upload (and the dataset it became) or a metric run."""

    def __init__(self, record):
        self.sort_key = record.created_at
        self.when = date_time(record.created_at)
        if isinstance(record, ExtractUpload):
            self.kind = _("Upload")
            self.what = (
                _("Dataset version v%(number)04d") % {"number": record.dataset_number}
                if record.dataset_number
                else ", ".join(entry["name"] for entry in record.files[:3])
                + ("…" if len(record.files) > 3 else "")
            )
            if record.based_on_dataset:
                self.what += " " + _("(new population; other tables from v%(number)04d)") % {
                    "number": record.based_on_dataset
                }
            self.who = _who(record.uploaded_by)
            self.status_tag = {
                "text": record.get_status_display(),
                "classes": UPLOAD_TAG_CLASSES[record.status],
            }
            self.href = reverse("insights_staff:upload", args=[record.pk])
        else:
            self.kind = _("Metric run")
            self.what = _("Metrics on dataset version v%(number)04d") % {
                "number": record.dataset_number
            }
            self.who = _who(record.started_by, record.started_by_system)
            self.status_tag = {
                "text": record.get_status_display(),
                "classes": RUN_TAG_CLASSES[record.status],
            }
            self.href = reverse("insights_staff:run", args=[record.pk])
