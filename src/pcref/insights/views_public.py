"""The public data page (/data/) and its downloads: CSV, JSON and the JSON's schema.

Every figure comes from `publication.published_rows`, so what the page, the CSV and the JSON
show has been through disclosure control. Nothing is shown until a run is published.
"""

import io
import logging
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from pcref.analytics.text.safe_export import write_csv
from pcref.core import queries
from pcref.insights import presenters_public, publication

logger = logging.getLogger(__name__)
SCHEMA_PATH = Path(__file__).parent / "schemas" / "published-data.schema.json"


def _published():
    """(trust, run, rows) of the public site's trust; run and rows empty when none is public."""
    trust = queries.public_trust()
    run = publication.published_run(trust)
    if run is None:
        return trust, None, []
    try:
        return trust, run, publication.published_rows(run)
    except publication.PublicationRefused:
        # Checked when published; a results file lost since then hides the figures, not the page.
        logger.exception("published metric run %s cannot be read", run.pk)
        return trust, None, []


def _published_or_404():
    _trust, run, rows = _published()
    if run is None:
        raise Http404("No figures are published yet")
    return run, rows


def _filename(run, extension: str) -> str:
    code = run.organisation.ods_code or "pcref"
    return f"pcref-data-{code}-v{run.dataset_number:04d}-{run.published_at:%Y-%m-%d}.{extension}"


@login_not_required
@require_safe
def data(request):
    trust, run, rows = _published()
    page = presenters_public.PublicDataPage(trust, run, rows)
    return render(request, "insights/public/data.jinja", {"trust": trust, "data": page})


@login_not_required
@require_safe
def data_csv(request):
    run, rows = _published_or_404()
    text = io.StringIO(newline="")
    write_csv(presenters_public.csv_rows(run, rows), presenters_public.CSV_COLUMNS, text)
    response = HttpResponse(
        "\ufeff" + text.getvalue(), content_type="text/csv; charset=utf-8"
    )  # the byte order mark lets Excel read UTF-8
    response["Content-Disposition"] = f'attachment; filename="{_filename(run, "csv")}"'
    return response


@login_not_required
@require_safe
def data_json(request):
    run, rows = _published_or_404()
    document = presenters_public.public_document(
        run,
        rows,
        schema_url=request.build_absolute_uri(reverse("insights:data_schema")),
        language=get_language(),
    )
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'inline; filename="{_filename(run, "json")}"'
    return response


@login_not_required
@require_safe
def data_schema(request):
    return FileResponse(SCHEMA_PATH.open("rb"), content_type="application/schema+json")
