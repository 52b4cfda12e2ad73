"""The ethnicity data quality page in a real browser: with and without results, with and without
JavaScript, filters and a bad filter value, and accessible (axe)."""

import re

import pytest
from playwright.sync_api import expect

from pcref.core.demo import load_demo
from pcref.core.models import User

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/staff/insights/data-quality/"
DATA_QUALITY = ["DQ1", "DQ2", "DQ3", "DQ3.not_known", "DQ3.missing", "DQ3.invalid"]


def test_an_analyst_and_a_board_viewer_read_the_data_quality_page(
    live_server, new_page, check_page, finish_a_run, settings, tmp_path
):
    settings.INSIGHTS_DIR = tmp_path / "insights"
    load_demo()
    analyst = User.objects.get(username="analyst")
    board = User.objects.get(username="board")
    page = new_page(user=analyst, base_url=live_server.url)
    page.goto(URL)
    expect(page.get_by_text("There are no metric results yet")).to_be_visible()
    check_page(page)

    finish_a_run(analyst.organisation, metrics=DATA_QUALITY)
    page.goto("/staff/insights/dashboard/")
    page.get_by_role("link", name="Ethnicity data quality by table, team and month").click()
    expect(page.get_by_role("heading", name="Ethnicity data quality", level=1)).to_be_visible()
    expect(page.get_by_text("Not for publication: figures are not suppressed")).to_be_visible()
    expect(page.locator("#table-mhs101_referrals .pcref-value")).to_be_visible()
    expect(page.locator("figure#completeness-mhs201_care_contacts svg")).to_be_visible()
    check_page(page)

    page.get_by_label("Period").select_option(label="2024/25 Q3 (October to December 2024)")
    page.get_by_label("Table for the teams").select_option(label="Referrals (MHS101)")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"period=2024%2F25\+Q3"))
    expect(
        page.get_by_role("heading", name=re.compile("Teams, lowest completeness first: Referrals"))
    ).to_be_visible()
    expect(page.locator("tr.pcref-team").first).to_be_visible()
    check_page(page)

    page.goto(URL + "?table=nonsense")
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile("Table for the teams: “nonsense”"))
    ).to_be_visible()
    check_page(page)

    plain = new_page(javascript=False, user=board, base_url=live_server.url)
    plain.goto(URL)
    check_page(plain)
    expect(plain.locator("#table-all .pcref-value")).to_be_visible()
    expect(plain.locator("figure#teams-funnel svg")).to_be_visible()
    expect(plain.locator(".pcref-summary").first).to_be_visible()
    plain.get_by_label("Period").select_option(label="March 2026")
    plain.get_by_role("button", name="Show").click()
    expect(plain.get_by_role("heading", name="Each table: March 2026")).to_be_visible()
    plain.get_by_text(re.compile("^Data table: Care contacts")).first.click()
    expect(plain.locator("#completeness-mhs201_care_contacts-table")).to_be_visible()
