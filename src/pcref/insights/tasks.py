"""Background tasks: the worker (`pcref worker`) runs these off the request. Each keeps its
record's heartbeat while it runs, so a job whose worker is killed is started again (jobs.py)."""

from django_tasks import task

from pcref.insights import jobs, services
from pcref.insights.models import ExtractUpload, MetricRun, Report


@task()
def validate_extract(upload_id: str) -> str:
    with jobs.heartbeat(ExtractUpload, upload_id):
        return services.validate_upload(upload_id).status


@task()
def compute_metrics(run_id: str) -> str:
    with jobs.heartbeat(MetricRun, run_id):
        return services.compute_metrics(run_id).status


@task()
def build_report(report_id: str) -> str:
    from pcref.insights import reports

    with jobs.heartbeat(Report, report_id):
        return reports.build_report(report_id).status
