"""Reports in a real browser: an analyst makes a board report and a public report, the real
worker makes them, the progress page reloads itself without JavaScript, the public reads the
published report; axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from pcref.core.demo import load_demo
from pcref.core.models import User
from pcref.insights import publication
from pcref.insights.models import Report

pytestmark = pytest.mark.django_db(transaction=True)


def test_reports_are_made_read_and_published_with_and_without_javascript(
    live_server, new_page, check_page, worker, finish_a_run
):
    load_demo()
    analyst = User.objects.get(username="analyst")
    board = User.objects.get(username="board")
    run = finish_a_run(analyst.organisation)
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
    # The report itself is in English (lang="en"); the page around it is in the reader's language.
    title = "Our Patient and Carer Race Equality Framework report, 2025/26"
    download = {"/report/": "Download this report as a PDF", "/ur/report/": "PDF کے طور پر"}
    for javascript in (True, False):
        reader = new_page(javascript=javascript, base_url=live_server.url)
        for address in ("/report/", "/ur/report/"):
            reader.goto(address)
            expect(reader.get_by_role("heading", name=title, level=1)).to_be_visible()
            expect(reader.get_by_role("heading", name="What we found")).to_be_visible()
            pdf_link = reader.get_by_role("link", name=download[address])
            expect(pdf_link).to_have_attribute("href", re.compile(r"/v\d+\.pdf$"))
            check_page(reader)
