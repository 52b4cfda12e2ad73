"""The public data page in a real browser: before and after publishing, in English and Urdu,
with and without JavaScript, accessible (axe); its downloads reached from its links."""

import pytest
from playwright.sync_api import expect

from pcref.core.roles import Role
from pcref.insights import publication

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(trust, make_staff, finish_a_run, settings, tmp_path):
    """A finished run of the real engine on a synthetic extract, published by an analyst."""
    settings.INSIGHTS_DIR = tmp_path / "insights"
    run = finish_a_run(trust)
    analyst = make_staff(trust, Role.ANALYST, username="analyst")
    return run, analyst


def test_the_page_says_nothing_is_published_yet(live_server, new_page, check_page, trust):
    for javascript in (True, False):
        page = new_page(javascript=javascript, base_url=live_server.url)
        page.goto("/data/")
        check_page(page)
        expect(page.get_by_text("No figures have been published yet.")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_analyst_publishes_and_the_public_reads_the_figures(
    live_server, new_page, check_page, published, javascript
):
    run, analyst = published
    staff = new_page(javascript=javascript, user=analyst, base_url=live_server.url)
    staff.goto(f"/staff/insights/runs/{run.pk}/")
    check_page(staff)
    staff.get_by_role("button", name="Publish these figures").click()
    expect(staff.get_by_text("Published. The public data page now shows")).to_be_visible()
    check_page(staff)

    page = new_page(javascript=javascript, base_url=live_server.url)
    page.goto("/data/")
    check_page(page)
    expect(page.get_by_role("heading", name="Published figures on race equality")).to_be_visible()
    detained = page.locator("#metric-MHA1-people")
    expect(
        detained.get_by_role("heading", name="People detained under the Mental Health Act")
    ).to_be_visible()
    expect(detained.get_by_role("table").first).to_be_visible()
    expect(page.get_by_text(publication.RULE_SET_VERSION).first).to_be_visible()
    # Earlier years sit in a details element that opens without script.
    detained.get_by_text("Other years: People detained under the Mental Health Act").click()
    expect(detained.get_by_role("table").nth(1)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="All the figures as a spreadsheet (CSV)").click()
    assert download.value.suggested_filename.startswith("pcref-data-RT5-v0001-")
    response = page.request.get(live_server.url + "/data/data.json")
    assert response.ok and response.json()["disclosure_control"]["rule_set"]


def test_the_urdu_page_is_right_to_left_and_accessible(
    live_server, new_page, check_page, published
):
    run, analyst = published
    publication.publish(run, by=analyst)
    for javascript in (True, False):
        page = new_page(javascript=javascript, base_url=live_server.url)
        page.goto("/ur/data/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        check_page(page)
        expect(page.locator("#metric-MHA1-people table").first).to_be_visible()
