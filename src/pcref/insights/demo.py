"""Demo insights: a synthetic extract of the demo trust, uploaded, checked, measured and
published, with a board report and a published annual report, through the same services an
analyst's work goes through.

Idempotent: it adds its upload only when the demo trust has none. The extract is synthetic
(pcref.analytics.synth), with the demo feedback's answers as its feedback table.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from pcref.core import audit
from pcref.core.demo import refuse_in_production
from pcref.core.models import Organisation, User
from pcref.insights import files, publication, reports, services
from pcref.insights.models import ExtractUpload, MetricRun, Report

DEMO_SEED = 2026
DEMO_YEARS = 3


def demo_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The demo extract's first and last days: the three years up to the end of last month,
    as a trust's monthly extract would be.

    >>> demo_period(dt.date(2026, 11, 27))
    (datetime.date(2023, 11, 1), datetime.date(2026, 10, 31))
    """
    end = today.replace(day=1)  # exclusive
    return end.replace(year=end.year - DEMO_YEARS), end - dt.timedelta(days=1)


DEMO_ACTOR = "demo"


def load_insights_demo(trust_ods_code: str | None = None) -> MetricRun | None:
    """Upload, check and measure the demo extract, publish its figures and make the latest
    financial year's reports; returns the metric run, or None when the trust already has
    uploads."""
    from pcref.analytics.synth import generate
    from pcref.feedback.experience import write_responses

    refuse_in_production()
    trust = Organisation.objects.get(ods_code=trust_ods_code or settings.TRUST_ODS_CODE)
    if ExtractUpload.objects.filter(organisation=trust).exists():
        return None
    analyst = User.objects.get(username="analyst")
    upload = ExtractUpload(organisation=trust, uploaded_by=analyst)
    extract = files.upload_dir(upload) / "extract"
    first, last = demo_period(dt.date.today())
    generate(
        extract,
        people=settings.INSIGHTS_DEMO_PEOPLE,
        seed=DEMO_SEED,
        years=DEMO_YEARS,
        start=first,
        file_format="parquet",
    )
    (extract / "ground_truth.json").unlink()  # the answers are not part of an extract
    # Feedback within the extract's months only: a table running on past the others would give
    # every metric empty months at the end (and so no complete monthly series for SPC).
    write_responses(extract, trust, since=first, until=last)
    upload.files = [
        {"name": path.name, "bytes": path.stat().st_size} for path in sorted(extract.iterdir())
    ]
    upload.save()
    audit.record(
        action="insights.extract_uploaded",
        by=DEMO_ACTOR,
        target=upload,
        after={"status": upload.status},
        context={"files": upload.files},
    )
    # The worker would do these; the demo does them now, so its pages have figures at once
    # (the queued task then finds the run done and leaves it).
    services.validate_upload(upload.pk)
    run = MetricRun.objects.filter(upload=upload).first()
    if run is None:
        return None
    run = services.compute_metrics(run.pk)
    if run.status != MetricRun.Status.DONE:
        return run
    run = publication.publish(run, by=analyst)
    period = reports.run_periods(run)[0]
    for kind in (Report.Kind.BOARD, Report.Kind.PUBLIC):
        report = reports.queue_report(
            organisation=trust, kind=kind, run=run, period=period, by=analyst
        )
        report = reports.build_report(report.pk)
        if kind == Report.Kind.PUBLIC and report.status == Report.Status.DONE:
            reports.publish_report(report, by=analyst)
    return run
