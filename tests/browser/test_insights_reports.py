"""Reports in a real browser: an analyst makes a board report and a public report, the real
worker makes them, the progress page reloads itself without JavaScript, the public reads the
published report; axe on every page."""

import threading
import time

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from pcref.analytics.engine import run_metrics, write_results
from pcref.analytics.extract.load import ingest, open_dataset
from pcref.analytics.synth import generate
from pcref.core.demo import load_demo
from pcref.core.models import User
from pcref.insights import files, publication
from pcref.insights.models import MetricRun, Report

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


@pytest.fixture
def worker(settings, tmp_path, live_server):
    """worker(): the real database worker in a thread until the queue is empty, taking turns
    with the live server on the shared in-memory SQLite connection (as in
    test_insights_uploads.py, where the reason is written out)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    settings.INSIGHTS_DIR = tmp_path / "insights"
    settings.INSIGHTS_REFRESH_SECONDS = 1
    turn = threading.RLock()
    server = live_server.thread.httpd
    app = server.get_app()

    def one_at_a_time(environ, start_response):
        with turn:
            response = app(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                getattr(response, "close", lambda: None)()
        return [body]

    server.set_app(one_at_a_time)
    connection = connections["default"]
    shared = connection.vendor == "sqlite" and connection.is_in_memory_db()
    threads = []

    def drain():
        if shared:
            connections["default"] = connection
        try:
            while True:
                with turn:
                    if not DBTaskResult.objects.ready().exists():
                        return
                    Worker(
                        queue_names=["default"],
                        interval=0,
                        batch=True,
                        backend_name="default",
                        startup_delay=False,
                        max_tasks=1,
                        worker_id="browser-test-worker",
                        excluded_queue_names=[],
                    ).run()
                time.sleep(0.3)
        finally:
            if not shared:
                connections.close_all()

    def start():
        if shared:
            connection.inc_thread_sharing()
        thread = threading.Thread(target=drain, daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    for thread in threads:
        thread.join(timeout=120)
        if shared:
            connection.dec_thread_sharing()


def test_reports_are_made_read_and_published_with_and_without_javascript(
    live_server, new_page, check_page, worker, tmp_path
):
    load_demo()
    analyst = User.objects.get(username="analyst")
    board = User.objects.get(username="board")
    run = finish_a_run(analyst.organisation, tmp_path)
    page = new_page(user=analyst, base_url=live_server.url)

    # With scripts (axe runs): the list, the form, and a board report waiting for the worker.
    page.goto("/staff/insights/reports/")
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.get_by_text("No reports have been made yet.")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Make a report").click()
    expect(page.get_by_label("Board report")).to_be_checked()
    check_page(page)
    page.get_by_role("button", name="Make the report").click()
    expect(page.locator("#report-progress[role=status]")).to_contain_text(
        "Waiting for the report to start"
    )
    board_url = page.url.split("?")[0]
    page.goto(board_url + "?refresh=off")  # axe needs a page that stays put
    check_page(page)

    # Without scripts: a public report on published figures; the page reloads itself.
    publication.publish(run, by=analyst)
    plain = new_page(javascript=False, user=analyst, base_url=live_server.url)
    plain.goto("/staff/insights/reports/new/")
    plain.get_by_label("Public annual report").check()
    plain.get_by_role("button", name="Make the report").click()
    status = plain.locator("#report-progress[role=status]")
    expect(status).to_contain_text("Waiting for the report to start")
    worker()  # from here the page only waits: each new state arrives by its own reload
    expect(status).to_contain_text("The report is ready", timeout=120_000)
    public_url = plain.url.split("?")[0]
    plain.get_by_role("button", name="Publish on the website").click()
    expect(plain.get_by_text("The report is published on the website.")).to_be_visible()
    assert Report.objects.filter(kind="public", published_at__isnull=False).count() == 1

    # Both finished pages, and the list, with scripts for axe.
    for url in (board_url, public_url):
        page.goto(url)
        expect(page.locator("#report-progress")).to_contain_text("The report is ready")
        expect(page.get_by_role("link", name="Open the PDF")).to_be_visible()
        check_page(page)
    page.goto("/staff/insights/reports/")
    expect(
        page.get_by_role("link", name="Board report 2025/26, version 1", exact=True)
    ).to_be_visible()
    check_page(page)
    pdf = page.request.get(
        live_server.url
        + f"/staff/insights/reports/{Report.objects.get(kind='board').pk}/report.pdf"
    )
    assert pdf.ok and pdf.body().startswith(b"%PDF-")

    # A board viewer reads the list and a report, but is not offered to make one.
    viewer = new_page(javascript=False, user=board, base_url=live_server.url)
    viewer.goto("/staff/insights/reports/")
    expect(
        viewer.get_by_role("link", name="Board report 2025/26, version 1", exact=True)
    ).to_be_visible()
    expect(viewer.get_by_role("link", name="Make a report")).to_have_count(0)
    check_page(viewer)

    # The public: the published report, in English and under /ur/, with and without scripts.
    title = "Our Patient and Carer Race Equality Framework report, 2025/26"
    for javascript in (True, False):
        reader = new_page(javascript=javascript, base_url=live_server.url)
        for address in ("/report/", "/ur/report/"):
            reader.goto(address)
            expect(reader.get_by_role("heading", name=title, level=1)).to_be_visible()
            expect(reader.get_by_role("heading", name="What we found")).to_be_visible()
            expect(reader.get_by_role("link", name="Download this report as a PDF")).to_be_visible()
            check_page(reader)
