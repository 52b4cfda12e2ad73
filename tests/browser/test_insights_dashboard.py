"""The staff insights dashboard in a real browser: with and without results, with and without
JavaScript, and accessible (axe)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pcref.analytics.engine import run_metrics, write_results
from pcref.analytics.extract.load import ingest, open_dataset
from pcref.analytics.synth import generate
from pcref.core.demo import load_demo
from pcref.core.models import User
from pcref.insights import files
from pcref.insights.models import MetricRun

pytestmark = pytest.mark.django_db(transaction=True)


def finish_a_run(organisation, folder):
    """A finished metric run of the real engine on a synthetic extract."""
    generate(folder / "extract", people=1_000, seed=11, file_format="csv")
    (folder / "extract" / "ground_truth.json").unlink()
    ingest(folder / "extract", folder / "datasets")
    table = run_metrics(open_dataset(folder / "datasets", 1).path)
    run = MetricRun.objects.create(
        organisation=organisation,
        dataset_number=1,
        status=MetricRun.Status.DONE,
        started_by_system="import",
        result_rows=table.num_rows,
        finished_at=timezone.now(),
    )
    write_results(table, files.results_dir(run))
    run.results_path = str(files.results_dir(run))
    run.save()
    return run


def test_an_analyst_and_a_board_viewer_read_the_dashboard(
    live_server, new_page, check_page, settings, tmp_path
):
    settings.INSIGHTS_DIR = tmp_path / "insights"
    load_demo()
    analyst = User.objects.get(username="analyst")
    board = User.objects.get(username="board")
    assert board.organisation_id == analyst.organisation_id
    page = new_page(user=analyst, base_url=live_server.url)
    page.goto("/staff/insights/dashboard/")
    expect(page.get_by_text("There are no metric results yet")).to_be_visible()
    check_page(page)

    finish_a_run(analyst.organisation, tmp_path)
    page.goto("/staff/insights/")
    page.get_by_role("link", name="See the insights dashboard of the latest results").click()
    expect(page.get_by_role("heading", name="Insights dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Mental Health Act", level=2)).to_be_visible()
    row = page.locator("#metric-MHA1\\.people")
    expect(row.locator(".pcref-variation")).to_be_visible()
    check_page(page)

    plain = new_page(javascript=False, user=board, base_url=live_server.url)
    plain.goto("/staff/insights/dashboard/")
    check_page(plain)
    expect(plain.get_by_role("table").first).to_be_visible()
    expect(plain.locator(".pcref-summary").first).to_be_visible()
    expect(plain.get_by_role("link", name="Insights dashboard")).to_be_visible()
