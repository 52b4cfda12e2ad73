"""The experience page in a real browser: with and without a catchment population, with and
without JavaScript, a bad filter value, and accessible (axe)."""

import pytest
from playwright.sync_api import expect

from pcref.analytics.extract.load import ingest
from pcref.core.models import User
from pcref.demo import load_everything
from pcref.insights import files

pytestmark = pytest.mark.django_db(transaction=True)

SPREAD = [
    ("white-british", "very_good", 6),
    ("white-british", "poor", 2),
    ("asian-indian", "good", 3),
    ("asian-pakistani", "very_poor", 2),
    ("black-african", "good", 2),
    ("black-caribbean", "poor", 1),
    ("mixed-white-and-asian", "neither", 1),
    ("other-arab", "good", 1),
    ("prefer-not-to-say", "good", 1),
    ("", "dont_know", 2),
]


def test_board_and_analyst_read_the_experience_page(
    live_server, new_page, check_page, give_feedback, write_extract, settings, tmp_path
):
    settings.INSIGHTS_DIR = tmp_path / "insights"
    load_everything(insights=False)
    analyst = User.objects.get(username="analyst")
    board = User.objects.get(username="board")
    for group, overall, times in SPREAD:
        for _ in range(times):
            give_feedback(analyst.organisation, group, overall, text="The staff listened to me.")

    # No dataset version yet: volumes only, said plainly.
    page = new_page(user=analyst, base_url=live_server.url)
    page.goto("/staff/insights/dashboard/")
    page.get_by_role("link", name="Experience by ethnic group").click()
    expect(page.get_by_role("heading", name="Experience by ethnic group", level=1)).to_be_visible()
    expect(page.get_by_text("Not for publication: figures are not suppressed")).to_be_visible()
    expect(page.get_by_text("Your organisation has no dataset version yet")).to_be_visible()
    expect(page.locator("#experience-positive svg")).to_be_visible()
    check_page(page)

    extract = write_extract(tmp_path / "extract")
    assert ingest(extract, files.datasets_dir(analyst.organisation)).ok
    page.goto("/staff/insights/experience/")
    expect(page.get_by_role("heading", name="Who gives feedback", level=2)).to_be_visible()
    expect(page.locator("#representation-lead")).to_be_visible()
    expect(page.locator("#experience-representation svg")).to_be_visible()
    expect(page.locator("#volume-Black .pcref-representation")).to_be_visible()
    check_page(page)

    # A bogus value in the address: a message naming the field, linked to it.
    page.goto("/staff/insights/experience/?groups=everyone")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Ethnic groups: choose broad or detailed")
    expect(page.get_by_text("Correct the problem above to see the figures.")).to_be_visible()
    check_page(page)

    # Without JavaScript: the form works, the figures are in tables and words.
    plain = new_page(javascript=False, user=board, base_url=live_server.url)
    plain.goto("/staff/insights/experience/")
    check_page(plain)
    expect(plain.locator("#volume-table")).to_be_visible()
    expect(plain.locator("#experience-positive svg")).to_be_visible()
    expect(plain.get_by_label("Broad groups (White, Mixed, Asian, Black, Other)")).to_be_checked()
    plain.get_by_label("Detailed groups (the 16 NHS ethnic categories)").check()
    plain.get_by_role("button", name="Show the figures").click()
    check_page(plain)
    expect(plain.locator("#volume-H")).to_contain_text("Asian: Indian")
    expect(plain.locator("#positive-H")).to_contain_text("100.0%")
    expect(plain.get_by_label("Detailed groups (the 16 NHS ethnic categories)")).to_be_checked()
    plain.get_by_label("From (YYYY-MM-DD)").fill("2020-04-01")
    plain.get_by_label("To (YYYY-MM-DD)").fill("2020-03-01")
    plain.get_by_role("button", name="Show the figures").click()
    expect(plain.locator(".nhsuk-error-summary")).to_contain_text(
        "To: the date must be the same as or after the From date"
    )
    check_page(plain)
