"""The CQC evidence pack in Chromium, with and without JavaScript: a board member opens it from
the plans page, gets a period wrong and is told which field, chooses a period, follows an item to
its source record, and downloads the PDF and the zip (each download audited); axe on every page."""

import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pcref.core.models import AuditEntry, User
from pcref.demo import load_everything

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_board_downloads_the_evidence_pack(live_server, new_page, check_page, javascript):
    load_everything(insights=False)
    board = User.objects.get(username="board")
    page = new_page(javascript=javascript, base_url=live_server.url, user=board)
    page.goto("/staff/governance/")
    check_page(page)
    page.get_by_role("link", name="CQC evidence pack").click()
    check_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("CQC evidence pack")
    today = timezone.localdate()
    first = dt.date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    expect(page.locator("input[name=start]")).to_have_value(first.isoformat())
    expect(page.locator("input[name=end]")).to_have_value(today.isoformat())

    page.locator("input[name=start]").fill("2026-06-01")
    page.locator("input[name=end]").fill("2026-05-01")
    page.get_by_role("button", name="Show the pack").click()
    check_page(page)
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("The last day (1 May 2026) must be on or after the first day")
    link = summary.get_by_role("link").first  # the summary leads to the field it names
    field_id = page.locator("input[name=end]").get_attribute("id")
    assert link.get_attribute("href") == f"#{field_id}"

    start = dt.date(today.year - 1, 4, 1)
    page.locator("input[name=start]").fill(start.isoformat())
    page.locator("input[name=end]").fill(today.isoformat())
    page.get_by_role("button", name="Show the pack").click()
    check_page(page)
    for heading in ("Leadership and governance", "Data", "Patient and carer feedback"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("There is no finished metric run")
    expect(page.locator("main")).to_contain_text("Cultural and religious needs")

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download the pack as a PDF").click()
    pdf = pdf_download.value
    assert pdf.suggested_filename == f"evidence-pack-{start.isoformat()}-to-{today}.pdf"
    with open(pdf.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    with page.expect_download() as zip_download:
        page.get_by_role("link", name="Download the pack as a zip file").click()
    with open(zip_download.value.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert {"pack.pdf", "index.csv", "items.json"} <= set(archive.namelist())
    assert live_server.url + "/staff/governance/actions/" in archive.read("index.csv").decode()
    exports = AuditEntry.objects.filter(action="governance.evidence_pack_exported", actor=board)
    assert sorted(entry.context["format"] for entry in exports) == ["pdf", "zip"]

    page.get_by_role(
        "link", name="A race equality objective in every director's appraisal", exact=True
    ).click()
    check_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "A race equality objective in every director's appraisal"
    )
