"""A metric's page in a real browser: static SVG charts without JavaScript, interactive Vega
views with it (under the site's own Content-Security-Policy: no inline script, no eval),
accessible (axe) either way."""

import re

import pytest
from playwright.sync_api import expect

from pcref.core.demo import load_demo
from pcref.core.models import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_with_results(finish_a_run, settings, tmp_path):
    settings.INSIGHTS_DIR = tmp_path / "insights"
    load_demo()
    analyst = User.objects.get(username="analyst")
    finish_a_run(analyst.organisation)
    return analyst


def errors_of(page) -> list[str]:
    """What the browser reports as errors on the page: scripts thrown, or refused by the
    site's policy."""
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_a_metric_page_is_interactive_with_javascript(
    demo_with_results, live_server, new_page, check_page
):
    page = new_page(user=demo_with_results, base_url=live_server.url)
    errors = errors_of(page)
    response = page.goto("/staff/insights/dashboard/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in policy and "'unsafe-inline'" not in policy
    page.get_by_role("link", name="People detained under the Mental Health Act").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("People detained")
    expect(page.get_by_text("Not for publication: figures are not suppressed")).to_be_visible()
    page.wait_for_load_state()  # every chart parsed: the heading shows before the page ends
    figures = page.locator("figure.pcref-chart__figure")
    count = figures.count()
    assert count >= 3  # by group, all people over time (and each group), teams or a note
    expect(page.locator("figure[data-pcref-interactive='true']")).to_have_count(count)
    # each chart is now Vega's own SVG, and the static one is gone
    expect(page.locator(".pcref-chart__interactive svg.marks")).to_have_count(count)
    expect(page.locator(".pcref-chart__static")).to_have_count(0)
    # the table and words stay beside the chart
    expect(page.locator(".pcref-chart__summary")).to_have_count(count)
    expect(page.locator("details.nhsuk-details table.nhsuk-table")).to_have_count(count)
    # a tooltip: hovering a group's point shows its figures (Vega's own handler sets a title)
    chart = page.locator("#by-group .pcref-chart__interactive")
    chart.locator("path[aria-roledescription='point']").last.hover()
    expect(chart).to_have_attribute("title", re.compile(r"Group: .+95% interval: .+ to .+", re.S))
    # each point tells a screen reader its figures
    assert "95% interval" in chart.locator(
        "path[aria-roledescription='point']"
    ).first.get_attribute("aria-label")
    # nothing refused by the policy, nothing thrown (the NHS.UK fonts' host is out of reach
    # of this machine, and says so)
    ours = [e for e in errors if "net::ERR_NAME_NOT_RESOLVED" not in e]
    assert not ours, ours
    check_page(page)

    page.get_by_label("Groups", exact=True).select_option("sex")
    page.get_by_label("Period type", exact=True).select_option("month")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("Showing: Sex")).to_be_visible()
    expect(page.locator("figure[data-pcref-interactive='true']").first).to_be_visible()
    check_page(page)


def test_a_metric_page_works_without_javascript(
    demo_with_results, live_server, new_page, check_page
):
    board = User.objects.get(username="board")
    page = new_page(javascript=False, user=board, base_url=live_server.url)
    page.goto("/staff/insights/metrics/ACC2/?group_scheme=detailed")
    check_page(page)
    static = page.locator(".pcref-chart__static svg[role='img']")
    assert static.count() >= 3
    expect(static.first).to_be_visible()
    expect(page.locator(".pcref-chart__interactive")).to_have_count(0)
    expect(page.locator("#funnel")).to_be_visible()
    page.get_by_text("Data table: ", exact=False).first.click()
    expect(page.locator("#by-group-table")).to_be_visible()

    # filters without scripts: a team chosen straight away brings its organisation with it
    page.get_by_label("Service or team", exact=True).select_option("CRHT")
    page.get_by_role("button", name="Apply filters").click()
    check_page(page)
    notes = page.locator(".pcref-filter-note")
    expect(notes.filter(has_text="CRHT is a team of")).to_be_visible()
    # the page was on detailed groups, which teams do not have: broad groups instead
    expect(notes.filter(has_text="no results by detailed ethnic groups here")).to_be_visible()
    expect(page.get_by_text("Showing: Broad ethnic groups")).to_contain_text("CRHT (")
    expect(page.locator("#funnel")).to_be_visible()

    page.goto("/staff/insights/metrics/ACC2/?period=1999/00")
    check_page(page)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose a period from the list")
    expect(page.locator("#id_period-error")).to_contain_text("1999/00 is not in these results")


def test_a_refused_filter_passes_axe_with_javascript(
    demo_with_results, live_server, new_page, check_page
):
    page = new_page(user=demo_with_results, base_url=live_server.url)
    page.goto("/staff/insights/metrics/ACC2/?group_scheme=nonsense&service=CRHT")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose groups from the list")
    check_page(page)
