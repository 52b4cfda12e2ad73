"""Background tasks: the worker (`pcref manage db_worker`) runs these off the request."""

from django_tasks import task

from pcref.insights import services


@task()
def validate_extract(upload_id: str) -> str:
    return services.validate_upload(upload_id).status


@task()
def compute_metrics(run_id: str) -> str:
    return services.compute_metrics(run_id).status


@task()
def build_report(report_id: str) -> str:
    from pcref.insights import reports

    return reports.build_report(report_id).status
