"""The staff insights dashboard in a real browser: with and without results, with and without
JavaScript, and accessible (axe)."""

import pytest
from playwright.sync_api import expect

from pcref.core.demo import load_demo
from pcref.core.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_analyst_and_a_board_viewer_read_the_dashboard(
    live_server, new_page, check_page, finish_a_run, settings, tmp_path
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

    finish_a_run(analyst.organisation)
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
